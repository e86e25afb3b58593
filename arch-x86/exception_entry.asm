; Host interrupt and exception entry stubs, one per vector.
;
; Each stub makes the stack look the same whatever the vector: if the CPU did
; not push an error code (SDM vol. 3A 6.13, table 6-1: only vectors 8, 10-14,
; 17, 21, 29 and 30 have one) the stub pushes 0, then it pushes the vector
; number and jumps to exception_common, which saves the general registers and
; calls exception_dispatch(struct exception_frame *). Frame, from low to high
; address (matches struct exception_frame in exception.h):
;
;   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
;   vector  error_code  rip  cs  rflags  rsp  ss      <- pushed by the CPU
;
; If exception_dispatch returns, the registers are restored and iretq resumes.

bits 64
default rel

extern exception_dispatch
global exception_stub_table

%macro PUSH_GPRS 0
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
%endmacro

%macro POP_GPRS 0
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
%endmacro

section .text

exception_common:
	PUSH_GPRS
	cld
	mov rdi, rsp
	mov rbx, rsp                    ; callee-saved: the frame, after the call
	and rsp, -16                    ; the ABI's call alignment
	call exception_dispatch
	mov rsp, rbx
	POP_GPRS
	add rsp, 16                     ; vector and error code
	iretq

%macro STUB 1
align 16
exception_stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
%else
	push 0
%endif
	push %1
	jmp exception_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v + 1
%endrep

section .data
align 8
; Addresses of the 256 stubs, for idt.c (relocated by the loader).
exception_stub_table:
%assign v 0
%rep 256
	dq exception_stub_ %+ v
%assign v v + 1
%endrep
