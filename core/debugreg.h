/*
 * The guest's debug-register context and the host's, and the policy that
 * decides when the entry loops switch them (docs/debug-registers.md states
 * the whole contract). The register moves themselves are in the NASM entry
 * loops (arch-x86/debugreg.inc); this module decides and keeps the values.
 */
#ifndef DRVISOR_CORE_DEBUGREG_H
#define DRVISOR_CORE_DEBUGREG_H

#include <stdbool.h>
#include <stdint.h>

/* One CPU's debug state. Layout shared with arch-x86/debugreg.inc. */
struct dr_set {
	uint64_t dr0, dr1, dr2, dr3, dr6, dr7, debugctl;
};

struct vcpu_debug {
	/* The guest's values. DR0-3 and DEBUGCTL are authoritative here
	 * whenever the vCPU is outside guest mode; DR6 too on VMX. DR7 (and
	 * DR6 on SVM) live in the VMCS/VMCB: read them through vcpu_reg. */
	struct dr_set guest;
	struct dr_set host;          /* the host's, saved by the entry loop */
	uint64_t host_rflags;        /* the host's RFLAGS (TF) around the entry */
	uint32_t switch_dr;          /* this entry: load/save guest DR0-3 */
	uint32_t swap_debugctl;      /* this entry: load the guest's IA32_DEBUGCTL by hand
				      * (and put the host's 0 back after) */
	uint32_t touched;            /* lazy: the guest accessed a DR since the last entry */
	uint32_t idle;               /* this entry switches no DR0-3 (lazy, the guest's idle)
				      * and the host has no breakpoint enabled and TF clear:
				      * an exit may leave the debug registers as they are
				      * (core/fast_exit.h; IA32_DEBUGCTL is checked apart) */
	uint64_t debugctl_hw;        /* the guest's IA32_DEBUGCTL as the CPU left it, read by
				      * the loop where it swaps the MSR by hand (DEBUGCTL_OUT) */
};

/* What the policy keeps per physical CPU (in its struct pcpu). */
struct debugreg_cpu {
	uint64_t host_watch_hits;    /* the host watchpoint's #DBs on this CPU */
	bool host_dr7_idle;          /* the host's DR7 enables no breakpoint */
	/* The guest's IA32_DEBUGCTL bits, and those of DEBUGCTL_CLEARED_BY_DB
	 * the hardware really keeps (0 where writes are ignored, as on the
	 * emulators). */
	uint64_t debugctl_mask, debugctl_held;
};

struct vcpu;

/* At late launch: the loader's live DR0-3 become the guest's. The launched
 * firmware context keeps its own values (it is not a reset CPU). */
void debugreg_capture_guest(struct vcpu *v);

/* Put the guest's DR0-3 back into the hardware, for a launch that failed
 * before the guest ran (the loader continues with them). */
void debugreg_give_back(struct vcpu *v);

/* The power-on values (SDM vol. 3A 10.1, table 10-1) for a reset vCPU:
 * DR0-3 = 0, DR6 = 0xffff0ff0, DR7 = 0x400, DEBUGCTL = 0. */
void debugreg_reset(struct vcpu *v);

/* Arm the host's own debug state after the guest's was captured: every
 * breakpoint off, or with test_hooks=on, a write watchpoint on a host
 * variable that must keep firing whatever the guest does; IA32_DEBUGCTL 0
 * (the host uses neither LBR nor BTF). */
void debugreg_host_init(void);

/* Before every entry: decide whether the entry loop switches DR0-3 (eager:
 * always; lazy: when the guest's DR7 enables a breakpoint or the guest just
 * touched a DR), and whether everything is idle (dbg.idle). Returns whether
 * guest DR accesses must exit (lazy, idle). */
bool debugreg_prepare_entry(struct vcpu *v, uint64_t guest_dr7);

/* The DR6 bits B0-B3 of the breakpoints dr7 enables (Ln or Gn). A #DB
 * may also set Bn of a breakpoint that is not enabled but matched (SDM
 * vol. 3B 18.2.3): such a bit alone never causes a #DB. */
uint64_t debugreg_enabled_b(uint64_t dr7);

/* Lazy policy: the guest's MOV DR exited. Its registers are loaded at the
 * next entry and the instruction runs again, now without exiting. */
void debugreg_guest_access(struct vcpu *v);

/* Guest RDMSR/WRMSR of IA32_DEBUGCTL. A write with a bit outside
 * debugreg_debugctl_mask() returns false: the caller injects #GP(0). */
uint64_t debugreg_read_debugctl(const struct vcpu *v);
bool debugreg_write_debugctl(struct vcpu *v, uint64_t val);

/* The IA32_DEBUGCTL bits of the guest's virtual CPU (core/debugctl.h),
 * fixed by debugreg_host_init. */
uint64_t debugreg_debugctl_mask(void);

/* After an exit: the guest's IA32_DEBUGCTL as the hardware reports it
 * (VMCS/VMCB field, or the MSR read back by DEBUGCTL_OUT). Takes over what
 * the CPU itself did to it (LBR/BTF cleared by a #DB), nothing else. */
void debugreg_debugctl_exit(struct vcpu *v, uint64_t reported);

/* The single-step #DB after an instruction drvisor emulated, with every
 * side effect a delivered #DB has (core/db_delivery.h), for a vendor that
 * cannot make the CPU raise it: DR6, DR7 and IA32_DEBUGCTL updated, #DB
 * queued. */
void debugreg_emulate_step_db(struct vcpu *v);

/* A #DB taken in the host: true if it was the host's own watchpoint (counted
 * and cleared), false if it is unexpected. */
bool debugreg_host_db(void);

/* DV_HC_HOST_WATCH: fills rbx/rcx/rdx per include/drvisor/hypercall.h and
 * returns the status for rax; a TOUCH count above DV_HOST_WATCH_TOUCH_MAX
 * gets DV_HC_ERR_INVALID and no write (the host would loop that long with
 * the guest's CPU held). */
uint64_t debugreg_host_watch_hypercall(struct vcpu *v);

#endif
