/* The AMD SVM half of drvisor: private to arch-x86/svm/. */
#ifndef DRVISOR_ARCH_SVM_SVM_H
#define DRVISOR_ARCH_SVM_SVM_H

#include <stdbool.h>
#include <stdint.h>
#include "vmcb.h"
#include "core/vcpu.h"

struct svm_vcpu {
	struct vmcb *vmcb;           /* the guest's VMCB (identity-mapped: pointer = PA) */
	uint64_t host_save_pa;       /* VMSAVE area for the host's hidden state */
	uint8_t *iopm;               /* I/O permission map, SVM_IOPM_PAGES */
	uint8_t *msrpm;              /* MSR permission map, SVM_MSRPM_PAGES */
	bool nrip_save;              /* the CPU reports next RIP on exits */
	bool lbr_virt;               /* the VMCB carries IA32_DEBUGCTL */
	bool forward_irqs;           /* interrupts exit and the host hands them on
	                              * (svm_forward_irq); else they exit, then go
	                              * straight in (svm_pass_irq) */
	uint64_t step_dr6;           /* monitor step: the guest's DR6 at this step's VMRUN */
	bool step_dr6_direct;        /* monitor step: the guest's MOV to DR6 could not be
	                              * decoded and runs unintercepted in this step */
	uint64_t efer_writable;      /* EFER bits the guest may set (efer_mask.h) */
	uint64_t nested_gen;         /* nested_generation at this CPU's last TLB flush */
};

/* The VMRUN loop (svm_entry.asm): saves the host's hidden state, then runs
 * the guest and calls svm_handle_exit after every #VMEXIT until it returns
 * 0. Returns to its caller then. */
void svm_run_loop(struct vcpu *v, uint64_t guest_vmcb_pa, uint64_t host_save_pa);

/* Handle the #VMEXIT in v's VMCB; returns nonzero to resume the guest. */
int svm_handle_exit(struct vcpu *v);
/* Called by the loop right after every #VMEXIT; returns 1 to resume at
 * once, 0 for svm_handle_exit. The fast path (core/fast_exit.h), or in the
 * exit-path floor (benchmarks only) a CPUID exit emulated with nothing else. */
#ifdef DRVISOR_EXIT_FLOOR
int svm_floor_exit(struct vcpu *v);
#else
int svm_fast_exit(struct vcpu *v);
#endif

/* Interrupt pass-through with an exit per interrupt (!forward_irqs): after an
 * INTR exit the next VMRUN lets the interrupt reach the guest directly; the
 * guest's IRET from its handler exits, and interrupts exit again. */
void svm_pass_irq(struct vcpu *v);
void svm_pass_irq_done(struct vcpu *v);

/* Advance the guest's RIP past the intercepted instruction of len bytes,
 * and raise the single-step trap the guest's TF asks for. */
void svm_skip_instruction(struct vcpu *v, unsigned len);

/* Set up the debug-register switching for the next VMRUN: DR intercepts
 * armed or not (lazy policy), IA32_DEBUGCTL through the VMCB or by hand. */
void svm_prepare_entry(struct vcpu *v);

/* A #DB intercepted while the monitor steps the guest. */
void svm_step_db(struct vcpu *v);

/* A MOV to DR6 (or DR4) intercepted while the monitor steps the guest with
 * a TF of its own: emulated, so that the step's #DB cannot change the value
 * the guest wrote. */
void svm_step_dr6_write(struct vcpu *v);

/* A #DB taken by the host at rip: true when it is the guest's single-step
 * trap that Bochs delivers to the host after the #VMEXIT of an intercepted
 * instruction (it keeps the trap pending across #VMEXIT, also with GIF=0;
 * DR6 then has BS, and BD if the guest's DR6 had it);
 * the host DR6 is then cleaned up and the trap ignored: drvisor raises it in
 * the guest itself (vcpu_emulated_step_trap). A correct CPU never gets here:
 * the host runs with TF clear and the intercepted instruction never ends. */
bool svm_leaked_guest_step(uint64_t rip);

/* Print the VMCB fields that VMRUN's consistency checks read. */
void svm_dump_vmcb(const struct vmcb *vmcb);

#endif
