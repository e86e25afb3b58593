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
; If exception_dispatch returns, the registers are restored and the
; interrupted code resumes: with IRETQ, or, where the vendor asked for it
; (exception_keep_nmi_blocking, exception_set_keep_nmi_blocking) and
; exception_dispatch returned 0 (nonzero: drvisor's own kick NMI, whose
; blocking is nobody's), without IRET, because executing IRET ends NMI blocking (SDM vol. 3A 6.7.1) and on
; SVM that blocking may be the guest's, which VMRUN and #VMEXIT leave in the
; CPU (docs/architecture.md, "Events"). That return writes RFLAGS and RIP
; just below the interrupted RSP (the host has no red zone) and ends with
; POPFQ and RET, which leave RSP as it was; the target RSP is kept in the
; frame's CS slot, which lies below those 16 bytes even when the frame sits
; on the interrupted stack itself.

bits 64
default rel

extern exception_dispatch
global exception_stub_table
global exception_keep_nmi_blocking

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
	test eax, eax                   ; nonzero: IRET whatever the vendor asked
	jnz .iret
	cmp byte [exception_keep_nmi_blocking], 0
	jne .keep_nmi_blocking
.iret:
	POP_GPRS
	add rsp, 16                     ; vector and error code
	iretq
.keep_nmi_blocking:
	; Frame offsets from rsp: 15 GPRs (120), vector, error code, then
	; rip +136, cs +144, rflags +152, rsp +160.
	mov rax, [rsp + 160]
	sub rax, 16                     ; the RSP for POPFQ; RET
	mov [rsp + 144], rax
	mov rcx, [rsp + 152]
	mov rdx, [rsp + 136]
	mov [rax], rcx                  ; RFLAGS
	mov [rax + 8], rdx              ; RIP
	POP_GPRS
	add rsp, 16
	mov rsp, [rsp + 8]              ; the CS slot: the target RSP
	popfq
	ret

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
; Nonzero: return without IRET (set by the vendor, exception.c).
exception_keep_nmi_blocking: db 0
align 8
; Addresses of the 256 stubs, for idt.c (relocated by the loader).
exception_stub_table:
%assign v 0
%rep 256
	dq exception_stub_ %+ v
%assign v v + 1
%endrep
