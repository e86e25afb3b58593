/*
 * The vendor-neutral virtual CPU. core/ knows a vCPU only through this
 * header; the Intel (arch-x86/vmx/) and AMD (arch-x86/svm/) halves implement
 * struct vendor_ops and call back into the common exit handlers below, so
 * that what is the same on both vendors is written once.
 */
#ifndef DRVISOR_CORE_VCPU_H
#define DRVISOR_CORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include <drvisor/hypercall.h>
#include "debugreg.h"
#include "guest_state.h"
#include "poll_clock.h"

/* General registers the hardware does not switch. The entry loops load and
 * store them at fixed offsets (GPR_* in the .asm files): keep the order. */
struct guest_gprs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

enum vcpu_state {
	VCPU_RUNNING = 0,
	VCPU_PAUSED = 1,
	VCPU_STOPPED = 2,   /* guest shut down or failed to enter; never resumed */
};

/* Registers the common code reads or writes through the vendor. */
enum vcpu_reg {
	VCPU_REG_RIP, VCPU_REG_RSP, VCPU_REG_RFLAGS,
	VCPU_REG_CR0, VCPU_REG_CR2, VCPU_REG_CR3, VCPU_REG_CR4, VCPU_REG_EFER,
	VCPU_REG_CPL, VCPU_REG_DR6, VCPU_REG_DR7,
	/* Segment selectors, read-only: VCPU_REG_SEL + enum guest_seg_index. */
	VCPU_REG_SEL, VCPU_REG_SEL_LAST = VCPU_REG_SEL + SEG_COUNT - 1,
};

/* What the monitor asked of a vCPU (core/run_control.c). */
enum vcpu_run {
	VCPU_RUN_GO = 0,      /* runs the guest */
	VCPU_RUN_PAUSED = 1,  /* held in the host between two exits */
	VCPU_RUN_STEP = 2,    /* executes steps_left more guest instructions, then pauses */
};

struct vcpu;

struct vendor_ops {
	const char *name;               /* "svm" or "vmx" */
	uint32_t cpuid_vendor;          /* DV_CPUID_VENDOR_* */
	/* Whether this CPU can host v; if not, *why says why. Runs on v's
	 * own CPU, before enable. */
	bool (*supported)(struct vcpu *v, const char **why);
	/* Turn virtualization on on this CPU (EFER.SVME / VMXON). */
	bool (*enable)(struct vcpu *v);
	/* Undo enable after a failed launch, before returning to the loader. */
	void (*disable)(struct vcpu *v);
	/* Build the VMCB/VMCS for v from gs and the nested page tables. */
	bool (*vcpu_init)(struct vcpu *v, const struct guest_state *gs);
	/* Enter the guest and loop on exits; returns only if the first entry
	 * fails (after reporting why). */
	void (*run)(struct vcpu *v);
	uint64_t (*read_reg)(struct vcpu *v, enum vcpu_reg r);
	void (*write_reg)(struct vcpu *v, enum vcpu_reg r, uint64_t val);
	/* Queue a hardware exception for the next entry (error code used when
	 * the vector has one, SDM vol. 3A table 6-1). */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, uint32_t error_code);
	/* Print the guest state the vendor keeps (VMCB/VMCS) on the log. */
	void (*dump)(struct vcpu *v);
	/* Arm (or disarm) monitor-owned single-stepping for the next entry:
	 * the guest executes one instruction, then exits, and the vendor calls
	 * vcpu_step_event. The guest must not see the mechanism. */
	void (*set_single_step)(struct vcpu *v, bool on);
	/* Make the CPU itself raise the single-step #DB after an instruction
	 * drvisor emulated, at the next entry, with all the side effects of a
	 * delivered #DB (VMX: the pending debug exceptions field). NULL, or
	 * false returned, where it cannot: core/ emulates them then. */
	bool (*pend_step_trap)(struct vcpu *v);
	/* The state INIT leaves (SDM vol. 3A 9.1.1 table 9-1 / 10-1 in older
	 * editions; APM vol. 2 14.1.3): real mode, CS:IP F000:FFF0 with CS
	 * base FFFF0000, CR0 = 0x60000010, CR3 = CR4 = EFER = 0, segments with
	 * base 0 and limit FFFF, GDTR/IDTR base 0 limit FFFF, RFLAGS = 2, no
	 * event pending. General and debug registers are core/'s
	 * (vcpu_reset_to_init). Runs on v's CPU, outside guest mode. False
	 * where the CPU cannot run the guest in real mode (VMX without
	 * "unrestricted guest"). */
	bool (*init_state)(struct vcpu *v);
	/* A startup IPI: CS = vector << 8 (base vector << 12), IP = 0. */
	void (*sipi_start)(struct vcpu *v, uint8_t vector);
	/* Run v's guest again after its run loop ended (a shut-down vCPU
	 * brought back by INIT and SIPI): like run, returns when it stops. */
	void (*rerun)(struct vcpu *v);
};

/* Offsets the entry loops use (GPR_*, VCPU_DBG in the .asm files). */
#define VCPU_OFFSET_DBG 120

struct vcpu {
	struct guest_gprs gprs;         /* first: the entry loops address it from the vcpu pointer */
	struct vcpu_debug dbg;          /* at VCPU_OFFSET_DBG */
	uint32_t id;
	uint32_t state;                 /* enum vcpu_state */
	const struct vendor_ops *ops;
	void *vendor;                   /* struct svm_vcpu or struct vmx_vcpu */
	uint64_t exits[DV_EXIT_REASON_COUNT];
	uint64_t exits_total;
	bool has_run;                   /* made an exit: the loader's context is gone (vcpu_stats.h) */
	bool shut_down;                 /* stopped by its guest's shutdown: INIT brings it back */
	uint32_t run;                   /* enum vcpu_run */
	uint64_t steps_left, steps_done;
	bool step_tf_ours;              /* RFLAGS.TF is set by the monitor's step, not the guest */
	bool step_armed;                /* the vendor's single-step is armed */
	struct poll_clock poll;         /* when the monitor's UART was last polled */
	bool fast_ok;                   /* the next exit may be fast (core/fast_exit.h) */
};

/* The two vendor halves (arch-x86/svm/svm.c, arch-x86/vmx/vmx.c). */
extern const struct vendor_ops svm_ops;
extern const struct vendor_ops vmx_ops;

/* Count one exit of reason r. Inline: the fast exit path counts too. */
static inline void vcpu_count_exit(struct vcpu *v, enum dv_exit_reason r)
{
	v->has_run = true;
	v->exits_total++;
	v->exits[(unsigned)r < DV_EXIT_REASON_COUNT ? r : DV_EXIT_OTHER]++;
}

/* Emulate CPUID for the guest from gprs.rax/rcx into rax..rdx: the real
 * CPUID with the hypervisor bit set, VMX, SVM and what arch-x86/cpuid_mask.h
 * lists hidden, and drvisor's leaves at 0x40000000. The caller advances
 * RIP. */
void vcpu_emulate_cpuid(struct vcpu *v);

/* Carry out the hypercall in gprs (include/drvisor/hypercall.h). The
 * caller advances RIP. */
void vcpu_hypercall(struct vcpu *v);

/* General register n in encoding order (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
 * 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15), n < 16. */
uint64_t vcpu_read_gpr(struct vcpu *v, unsigned n);

/* Call after drvisor emulated an instruction and moved RIP past it: a step
 * of the monitor's is over, and if the guest itself was single-stepping
 * (its own RFLAGS.TF), the #DB with DR6.BS that the CPU would have raised
 * after the instruction (SDM vol. 3B 18.3.1.4) is raised now, as the CPU
 * would deliver it (DR7.GD, DR6's sticky bits, DEBUGCTL.LBR/BTF: core/
 * db_delivery.h). rflags: the
 * guest's RFLAGS, which the vendor has at hand. */
void vcpu_emulated_step_trap(struct vcpu *v, uint64_t rflags);

/* The guest shut down (triple fault): report it, stop the vCPU and, with
 * on_guest_shutdown=reset, reset the platform (returns if that failed). */
void vcpu_guest_shutdown(struct vcpu *v, const char *why);

/* If a machine check is pending for the guest (core/machine_check.h),
 * queue #MC for the next entry where the guest's CR4.MCE allows it, else
 * shut the guest down as the CPU would. An event queued for that entry is
 * replaced: the machine check aborts its delivery. */
void vcpu_reflect_machine_check(struct vcpu *v);

/* An exit the vendor code does not handle: report it and stop the vCPU. */
void vcpu_unexpected_exit(struct vcpu *v, const char *vendor_reason, uint64_t code);

/* v takes the INIT state: the vendor's (init_state), general registers 0
 * but EDX = the processor signature (CPUID.1:EAX), the power-on debug
 * registers (DR0-3 = 0, DR6 = 0xFFFF0FF0, DR7 = 0x400, IA32_DEBUGCTL = 0).
 * False (nothing changed) where the vendor cannot. */
bool vcpu_reset_to_init(struct vcpu *v);

/* Print the exit statistics of v. */
void vcpu_print_stats(const struct vcpu *v);

/* Print the general registers and the vendor's guest state. */
void vcpu_dump(struct vcpu *v);

/* Where a stopped vCPU's physical CPU waits for ever, serving requests of
 * other CPUs and the monitor (when no other CPU has it); keeps the
 * hypervisor alive. Never returns. */
void vcpu_park(struct vcpu *v) __attribute__((noreturn));

/* After every exit of the common path, before the next entry: serve the
 * monitor (its input, when core/poll_clock.h says so, and a pause or
 * step it asked for) and arm single-stepping when stepping. Returns only
 * when the vCPU may enter the guest again or has stopped. */
void vcpu_service(struct vcpu *v);

/* Outside guest mode, on v's own CPU: carry out what other CPUs asked of
 * it (pcpu_call) and, when it is due and no other CPU holds it, serve the
 * monitor (monitor_lock, a try-lock: a CPU that finds it held goes on). */
void vcpu_host_poll(struct vcpu *v);

/* Start the monitor on u (once, on the boot CPU, under monitor_lock: the
 * application processors already poll). */
struct uart;
void vcpu_monitor_start(const struct uart *u);

/* The vendor saw the end of one monitor-owned step. */
void vcpu_step_event(struct vcpu *v);

/* Names for the log. */
const char *exit_reason_name(enum dv_exit_reason r);

#endif
