; Exception entry stubs and the guest_try() unwinding point for guest tests.
;
; The stubs run on whatever stack the exception found (the test runs at CPL 0
; with the firmware's stack; 64-bit interrupt gates with IST 0 switch no
; stack, and the CPU aligns RSP to 16 bytes before pushing; SDM vol. 3A
; 6.14.2). Each stub makes the frame uniform -- a 0 error code where the CPU
; pushes none -- pushes its vector and joins trap_common, which saves every
; general register and calls trap_dispatch(frame) (trap.c, SysV ABI).
;
; Stack at the call, lowest address first (struct trap_frame in guest.h):
;
;   rsp ->  r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
;           vector  error_code                       (pushed by the stub)
;           rip  cs  rflags  rsp  ss                 (pushed by the CPU)
;
; 15 + 2 + 5 = 22 quadwords = 176 bytes below a 16-byte aligned RSP, so the
; call is made with RSP 16-byte aligned as the ABI asks. trap_dispatch may
; rewrite the frame (RIP, RSP, RFLAGS): iretq then resumes wherever it says,
; which is how an aborted guest_try() lands on trap_try_resume.
;
; The stubs are 16 bytes apart from trap_stubs, one per vector 0..31, so C
; finds vector N's stub at trap_stubs + 16 * N without a table of absolute
; addresses (this file is linked into a PIC EFI application).

default rel
bits 64

section .text

extern trap_dispatch

global trap_stubs
global trap_try_enter
global trap_try_resume

; Vectors whose exceptions push an error code (SDM vol. 3A table 6-1):
; #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21.
%define HAS_ERR(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || \
                    (v) == 13 || (v) == 14 || (v) == 17 || (v) == 21)

align 16
trap_stubs:
%assign vec 0
%rep 32
	align 16
%if HAS_ERR(vec) == 0
	push qword 0
%endif
	push qword vec
	jmp trap_common
%assign vec vec + 1
%endrep

align 16
trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld                     ; the ABI wants DF clear on entry to C
	call trap_dispatch wrt ..plt
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16             ; vector, error code
	iretq

; int trap_try_enter(struct trap_jmp *j, void (*fn)(void *), void *arg)
;   j->rsp <- the stack pointer to unwind to, j->rflags <- RFLAGS now;
;   calls fn(arg) and returns 0. An aborted exception makes trap.c iretq to
;   trap_try_resume with RSP = j->rsp and RFLAGS = j->rflags, which returns 1
;   from this same call, with the callee-saved registers popped back.
trap_try_enter:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8              ; 6 pushes + return address: realign to 16
	mov [rdi], rsp
	pushfq
	pop rax
	mov [rdi + 8], rax
	mov rax, rsi
	mov rdi, rdx
	call rax
	xor eax, eax
	jmp trap_try_out
trap_try_resume:
	mov eax, 1
trap_try_out:
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
