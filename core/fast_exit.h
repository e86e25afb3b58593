/*
 * The fast exit path. Most exits of a busy guest are CPUID exits that need
 * nothing of the common exit path: no debug register to switch, no monitor
 * request to carry out, no interrupt to hand on. The vendor's fast handler
 * (vmx_fast_exit, svm_fast_exit), called by the entry loop right after the
 * exit with only the general registers saved, emulates such an exit and the
 * loop resumes the guest at once, skipping the debug-register switch, the
 * monitor poll and the entry preparation, because none of them would change
 * anything:
 *   - the guest's debug registers are idle under the lazy policy: DR0-3 stay
 *     in memory (MOV DR exits) and are not switched anyway;
 *   - the host's are idle too (its DR7 enables nothing, its RFLAGS.TF is
 *     clear): after the exit no breakpoint is enabled and TF is clear (VMX
 *     leaves DR7 = 0x400 and RFLAGS = 2, SDM vol. 3C 28.5.1 and 28.5.3; on
 *     SVM the loop's last common entry zeroed DR7 and TF before VMRUN), so
 *     no #DB can arise in the host and the guest's DR6 may stay in the CPU
 *     meanwhile, as KVM leaves the guest's debug registers in place unless
 *     a host breakpoint is active (hw_breakpoint_active() in
 *     vcpu_enter_guest);
 *   - the monitor neither pauses nor steps the vCPU, and its UART is not
 *     due to be polled (core/poll_clock.h: a fast exit when a poll is due
 *     takes the common path, whatever the guest did to its TSC);
 *   - the vendor has nothing pending (SVM: no interrupt or NMI to forward),
 *     nor the host (a machine check for the guest).
 * The exit reason and the guest's RFLAGS.TF (a single-step trap drvisor
 * would have to raise) are the vendor handler's to check.
 */
#ifndef DRVISOR_CORE_FAST_EXIT_H
#define DRVISOR_CORE_FAST_EXIT_H

#include <stdbool.h>
#include "machine_check.h"
#include "pcpu.h"
#include "vcpu.h"
#include "arch-x86/cpu.h"

/* Before every entry from the common path: may the next exit be fast?
 * vendor_idle: the vendor has nothing to do at that entry either. */
static inline void fast_exit_arm(struct vcpu *v, bool vendor_idle)
{
	v->fast_ok = vendor_idle && v->run == VCPU_RUN_GO && !v->step_armed && v->dbg.idle &&
		     !v->dbg.swap_debugctl;
}

/* In the vendor's fast handler: the common conditions still hold, the
 * monitor is not due to be polled, no machine check taken in the host waits
 * for the guest (vcpu_service reflects it), and no other CPU waits for this
 * one (pcpu_attention). Found from v, not from GS base: on SVM the fast
 * path runs with the guest's. */
static inline bool fast_exit_ready(struct vcpu *v)
{
	const struct pcpu *p = pcpu_of(v);

	return v->fast_ok && !poll_clock_due(&v->poll, rdtsc(), v->exits_total) &&
	       !p->mc_pending && !pcpu_attention(p);
}

#endif
