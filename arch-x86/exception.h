/* Host exception handling: what the entry stubs hand to C. */
#ifndef DRVISOR_ARCH_EXCEPTION_H
#define DRVISOR_ARCH_EXCEPTION_H

#include <stdint.h>

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

/* Called by the stubs for every host exception or interrupt. Reports the
 * event on the log and stops this CPU; never returns for now. */
void exception_dispatch(struct exception_frame *f);

#endif
