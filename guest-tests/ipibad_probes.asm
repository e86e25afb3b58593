; The ICR writes of ipibad.c in forms drvisor's store decoder does not take
; (core/insn_store.c decodes MOV and XCHG stores; docs/mmio.md): a string
; store and a read-modify-write. Each label _insn is the faulting
; instruction, for the #GP(0) RIP check.

default rel
bits 64

section .text

global ipibad_rep_movsd
global ipibad_rep_movsd_insn
global ipibad_add_m32
global ipibad_add_m32_insn

; void ipibad_rep_movsd(struct icr_op *op): one dword from op->value to
; op->target (REP MOVSD with RCX = 1). struct icr_op: target at 0, value at 8.
ipibad_rep_movsd:
	push rsi
	push rdi
	mov rsi, rdi
	add rsi, 8
	mov rdi, [rdi]
	mov ecx, 1
	cld
ipibad_rep_movsd_insn:
	rep movsd
	pop rdi
	pop rsi
	ret

; void ipibad_add_m32(struct icr_op *op): ADD dword [op->target], 0, which
; reads the register and writes the same value back.
ipibad_add_m32:
	mov rax, [rdi]
ipibad_add_m32_insn:
	add dword [rax], 0
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
