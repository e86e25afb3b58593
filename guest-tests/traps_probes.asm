; Instruction sequences for traps.c, the self-test of the guest library's
; IDT and guest_try(). Labels mark where each exception must point.

default rel
bits 64

section .text

global tp_ud2, tp_read, tp_div0, tp_div0_insn, tp_int3, tp_int3_after
global tp_step, tp_step_trap, tp_store, tp_store_after, tp_exec

tp_ud2:                         ; #UD at tp_ud2
	ud2
	ret

tp_read:                        ; void tp_read(void *addr): a byte load
	mov al, [rdi]
	ret

tp_div0:
	xor ecx, ecx
	mov eax, 1
	xor edx, edx
tp_div0_insn:                   ; #DE (a fault) at the DIV
	div ecx
	ret

tp_int3:
	int3                    ; #BP is a trap: RIP is the next instruction
tp_int3_after:
	ret

; TF set by POPF: the single-step trap comes after the instruction that
; follows the POPF (SDM vol. 3B 18.3.1.4), i.e. with RIP at tp_step_trap.
tp_step:
	pushfq
	or qword [rsp], 0x100
	popfq
	nop
tp_step_trap:
	nop
	pushfq
	and qword [rsp], ~0x100
	popfq
	ret

tp_store:                       ; void tp_store(void *addr): a byte store
	mov byte [rdi], 1
tp_store_after:                 ; a data breakpoint is a trap: RIP is here
	ret

tp_exec:                        ; an instruction breakpoint (a fault) here
	nop
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
