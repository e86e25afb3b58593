/* Host exception handling: what the entry stubs hand to C. */
#ifndef DRVISOR_ARCH_EXCEPTION_H
#define DRVISOR_ARCH_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

/* Exception vectors used by name (SDM vol. 3A 6.3.1, table 6-1). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MC 18

/* Whether the CPU pushes an error code for this exception vector (table
 * 6-1: 8, 10-14, 17, 21, 29, 30); exception_entry.asm encodes the same. */
static inline int exception_has_error_code(unsigned vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
	       vector == 29 || vector == 30;
}

/* Layout pushed by exception_entry.asm and the CPU (see that file). */
struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Build the host IDT (every vector present, #DF/NMI/#MC on IST stacks) and
 * load it. Call after gdt_init. */
void idt_init(void);

/* Base of the host IDT, for the VMCS/VMCB host-state fields. */
uint64_t idt_base(void);

/* A vendor's test for a host #DB at rip that is an emulator's leak of the
 * guest's and must be dropped (svm_leaked_guest_step); the vendor sets it
 * when it builds its vCPU, so that the generic handler calls no vendor
 * code by name. NULL: none. */
typedef bool (*exception_db_filter_fn)(uint64_t rip);
void exception_set_db_filter(exception_db_filter_fn filter);

/* Whether the host's handlers return without IRET, keeping NMI blocking
 * as it was (exception_entry.asm): set by SVM, where that blocking may be
 * the guest's; VMX keeps the guest's in the VMCS and returns with IRET. */
void exception_set_keep_nmi_blocking(bool keep);

/* Called by the stubs for every host exception or interrupt. The host's own
 * test watchpoint (#DB) is counted and execution resumes; anything else is
 * reported on the log and stops this CPU. Returns nonzero where the stub
 * must return with IRET even though the vendor keeps NMI blocking
 * (drvisor's own kick NMI, core/pcpu.h). */
int exception_dispatch(struct exception_frame *f);

#endif
