/*
 * Machine checks and the guest (issue 13 item 9). The machine belongs to
 * the guest, so does a machine-check exception: drvisor hands it on as the
 * CPU would have delivered it to an OS running on bare metal (SDM vol. 3A
 * 6.15 "Interrupt 18"; vol. 3B 15.10): #MC where the guest has CR4.MCE set,
 * otherwise the shutdown the CPU would have entered.
 *
 * Where one arrives:
 * - in guest mode, SVM (#MC not intercepted) and VMX (bit 18 of the
 *   exception bitmap clear) deliver it through the guest's IDT themselves,
 *   checking the guest's CR4.MCE (a shutdown then exits as one);
 * - during a VM entry, VMX exits with reason 41 ("VM-entry failure due to
 *   machine-check event", SDM vol. 3C 27.8) without running the guest: the
 *   vendor records it here;
 * - in the host, the host IDT's #MC handler decides with
 *   machine_check_host_action and records it here when the host can go on.
 * The next entry from the common path reflects what was recorded
 * (vcpu_reflect_machine_check); the fast exit path gives way to it.
 */
#ifndef DRVISOR_CORE_MACHINE_CHECK_H
#define DRVISOR_CORE_MACHINE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#define MCG_STATUS_RIPV (1ull << 0)     /* the interrupted RIP can be restarted */
#define MCG_STATUS_EIPV (1ull << 1)     /* the error is at the interrupted RIP */
#define MCG_STATUS_MCIP (1ull << 2)     /* machine check in progress */

enum mc_host_action {
	MC_HOST_REFLECT,    /* the host resumes; the guest gets the machine check */
	MC_HOST_STOP,       /* the host's own context is lost: report and stop */
};

enum mc_guest_action {
	MC_GUEST_INJECT,    /* CR4.MCE set: #MC through the guest's IDT */
	MC_GUEST_SHUTDOWN,  /* CR4.MCE clear: the CPU would shut down */
};

/* A #MC taken in the host, with IA32_MCG_STATUS as the handler read it:
 * only with RIPV set may the interrupted host code go on (SDM vol. 3B
 * 15.3.1.2); the error itself concerns the machine, hence the guest. */
enum mc_host_action machine_check_host_action(uint64_t mcg_status);

/* What the guest, with control register 4 = guest_cr4, gets for a machine
 * check (SDM vol. 3A 6.15: with CR4.MCE clear the processor enters the
 * shutdown state). */
enum mc_guest_action machine_check_guest_action(uint64_t guest_cr4);

/* A machine check for the guest is pending on one CPU: *pending, its
 * struct pcpu's mc_pending (set from the host's #MC handler at any time,
 * hence volatile; read by the fast exit path). */
void machine_check_record(volatile bool *pending);

/* Whether one is pending; clears it. */
bool machine_check_take(volatile bool *pending);

#endif
