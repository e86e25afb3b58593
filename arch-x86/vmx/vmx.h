/* The Intel VMX half of drvisor: private to arch-x86/vmx/. */
#ifndef DRVISOR_ARCH_VMX_VMX_H
#define DRVISOR_ARCH_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>
#include "vmcs.h"
#include "vmx_controls.h"
#include "core/guest_state.h"
#include "core/vcpu.h"
#include "arch-x86/cr.h"


/* The VPID of the guest; 0 is the host's (SDM vol. 3C 29.1). */
#define GUEST_VPID 1

struct vmx_vcpu {
	uint64_t vmxon_pa;           /* VMXON region (identity-mapped: pointer = PA) */
	uint64_t vmcs_pa;            /* the guest's VMCS */
	uint8_t *msr_bitmap;         /* one page */
	uint8_t *io_bitmaps;         /* A then B, two pages */
	uint64_t eptp;
	struct vmx_controls ctl;
	/* CR0/CR4 bits VMX operation forces to 1 (fixed0) and allows to be 1
	 * (fixed1) in the guest (SDM vol. 3D A.7, A.8); the guest/host masks
	 * own exactly the bits these constrain. */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t cr0_before, cr4_before;   /* the host's, put back by vmx_disable */
	uint32_t proc_now;           /* the VMCS's primary processor-based controls */
	uint64_t debugctl_now;       /* the VMCS's guest IA32_DEBUGCTL */
	uint64_t nested_gen;         /* nested_generation at this CPU's last INVEPT */
};

/* What vmx_run_loop returns (vmx_entry.asm uses the same numbers). */
#define VMX_LOOP_STOPPED 0           /* vmx_handle_exit returned 0 */
#define VMX_LOOP_FAIL_VALID 1        /* VMLAUNCH/VMRESUME: VMfailValid (ZF) */
#define VMX_LOOP_FAIL_INVALID 2      /* VMLAUNCH/VMRESUME: VMfailInvalid (CF) */
#define VMX_ENTRY_FAIL_EXIT 3        /* a VM exit reporting a failed entry (27.8) */

/* The VM entry/exit loop (vmx_entry.asm): VMLAUNCH, then VMRESUME after
 * each exit that vmx_handle_exit asks to resume. The current VMCS must be
 * v's, with every field but HOST_RSP/HOST_RIP written. */
int vmx_run_loop(struct vcpu *v);

/* Handle the VM exit in the current VMCS; returns nonzero to resume. */
int vmx_handle_exit(struct vcpu *v);
/* Called by the loop right after every exit; returns 1 to resume at once,
 * 0 for vmx_handle_exit. The fast path (core/fast_exit.h), or in the
 * exit-path floor (benchmarks only) a CPUID exit emulated with nothing else. */
#ifdef DRVISOR_EXIT_FLOOR
int vmx_floor_exit(struct vcpu *v);
#else
int vmx_fast_exit(struct vcpu *v);
#endif

/* Write a VMCS field; a failure (a drvisor bug) is logged and counted. */
void vmcs_write(uint32_t field, uint64_t v);

/* Failed VMCS writes since the last call; resets the count. */
unsigned vmcs_write_failures(void);

/* Build the current VMCS from x's structures and gs. */
void vmx_setup_vmcs(struct vmx_vcpu *x, const struct guest_state *gs);

/* The guest's view of CR0/CR4: shadowed bits from the read shadow. */
uint64_t vmx_guest_cr0(void);
uint64_t vmx_guest_cr4(void);

/* Advance the guest's RIP past the instruction that exited (SDM vol. 3C
 * 28.2.5) and drop the STI/MOV SS blocking it may have set. */
void vmx_skip_instruction(struct vcpu *v);

/* A #DB exit while the monitor steps the guest without MTF. */
void vmx_step_db(struct vcpu *v);

/* Set up the debug-register switching for the next VM entry: MOV-DR
 * exiting armed or not (lazy policy), the guest's IA32_DEBUGCTL. */
void vmx_prepare_entry(struct vcpu *v);

/* Report a failed VM entry, how = VMX_LOOP_FAIL_* or VMX_ENTRY_FAIL_EXIT:
 * the VM-instruction error, or the exit reason and qualification, then the
 * controls and guest state of the current VMCS. */
void vmx_report_entry_failure(int how);

/* Print the controls and every guest-state field of the current VMCS. */
void vmx_dump_vmcs(void);

#endif
