/* Machine checks and the guest: the decisions (machine_check.h). Pure C,
 * also built into the host unit tests. */
#include "machine_check.h"
#include "arch-x86/cr.h"

enum mc_host_action machine_check_host_action(uint64_t mcg_status)
{
	return (mcg_status & MCG_STATUS_RIPV) ? MC_HOST_REFLECT : MC_HOST_STOP;
}

enum mc_guest_action machine_check_guest_action(uint64_t guest_cr4)
{
	return (guest_cr4 & CR4_MCE) ? MC_GUEST_INJECT : MC_GUEST_SHUTDOWN;
}

void machine_check_record(volatile bool *pending)
{
	*pending = true;
}

bool machine_check_take(volatile bool *pending)
{
	bool was = *pending;

	*pending = false;
	return was;
}
