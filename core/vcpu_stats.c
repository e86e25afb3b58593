/* Exit statistics of a vCPU (vcpu_stats.h). */
#include "vcpu_stats.h"

void vcpu_stats_reset(struct vcpu *v)
{
	unsigned i;

	for (i = 0; i < DV_EXIT_REASON_COUNT; i++)
		v->exits[i] = 0;
	v->exits_total = 0;
	/* not has_run: the guest ran all the same */
}

bool vcpu_has_run(const struct vcpu *v)
{
	return v->has_run;
}
