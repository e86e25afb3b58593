; The NMI gate of the events test: saves the registers C may clobber
; (SysV ABI), calls events_nmi() and returns with IRETQ, whose execution
; is what ends NMI blocking (SDM vol. 3A 6.7.1). No IST: the test runs at
; CPL 0 on the firmware's stack, which the NMI keeps (SDM vol. 3A 6.14.2).

default rel
bits 64

section .text

extern events_nmi
global events_nmi_entry

align 16
events_nmi_entry:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push rbp
	mov rbp, rsp
	and rsp, -16            ; the ABI's call alignment
	cld
	call events_nmi wrt ..plt
	mov rsp, rbp
	pop rbp
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	iretq

section .note.GNU-stack noalloc noexec nowrite progbits
