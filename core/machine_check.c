/* Machine checks and the guest: the decisions (machine_check.h). Pure C,
 * also built into the host unit tests. */
#include "machine_check.h"
#include "arch-x86/cr.h"

volatile bool machine_check_pending;

enum mc_host_action machine_check_host_action(uint64_t mcg_status)
{
	return (mcg_status & MCG_STATUS_RIPV) ? MC_HOST_REFLECT : MC_HOST_STOP;
}

enum mc_guest_action machine_check_guest_action(uint64_t guest_cr4)
{
	return (guest_cr4 & CR4_MCE) ? MC_GUEST_INJECT : MC_GUEST_SHUTDOWN;
}

void machine_check_record(void)
{
	machine_check_pending = true;
}

bool machine_check_take(void)
{
	bool was = machine_check_pending;

	machine_check_pending = false;
	return was;
}
