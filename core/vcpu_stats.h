/*
 * A vCPU's exit statistics, and the one fact they must not be confused
 * with: whether the guest has run at all. The statistics are the monitor's
 * to reset (`stats reset`); whether the guest ran decides whether the
 * loader's context (its stack frame in core_entry) still exists, so that a
 * failed entry may return to it, and no reset may change that.
 */
#ifndef DRVISOR_CORE_VCPU_STATS_H
#define DRVISOR_CORE_VCPU_STATS_H

#include <stdbool.h>
#include "vcpu.h"

/* Zero every exit counter of v (the monitor's `stats reset`). */
void vcpu_stats_reset(struct vcpu *v);

/* Whether v's guest has run (made at least one exit) since the launch:
 * then the loader's context is gone and there is nothing to return to. */
bool vcpu_has_run(const struct vcpu *v);

#endif
