; wrmsr_safe: a WRMSR of a value the guest chose, which may fault (#GP for
; a reserved bit or an MSR the mode does not have). exception.c resumes a
; #GP taken at wrmsr_safe_insn at wrmsr_safe_fault, which returns false.
;
; bool wrmsr_safe(uint32_t msr /* edi */, uint64_t value /* rsi */)

bits 64
default rel

global wrmsr_safe
global wrmsr_safe_insn
global wrmsr_safe_fault

section .text
wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
wrmsr_safe_insn:
	wrmsr
	mov eax, 1
	ret
wrmsr_safe_fault:
	xor eax, eax
	ret
