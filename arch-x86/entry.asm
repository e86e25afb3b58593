; core_entry: where the loader enters the core, and the way back.
;
; The loader calls core_entry(bi, cpu, op) as an ordinary System V function
; on its own (firmware-provided) stack, GDT, IDT and page tables, on each CPU
; in turn (include/drvisor/bootinfo.h, enum dv_core_op). We record that
; context in launch_ctx[cpu] (layout: launch_context.h), switch to CPU cpu's
; own stack with interrupts off, and call core_main(bi, cpu, op). When
; core_main returns, the loader's context is restored exactly and core_entry
; returns its status. A late launch instead resumes the loader from
; launch_ctx[cpu] as a guest.
;
; Stack on entry:   [rsp] = return address into the loader
; Core stacks:      core_stacks + cpu * CORE_STACK_SIZE, one per CPU, 16-aligned;
;                   the CPU's host stack for as long as it runs the core

bits 64
default rel

%define LC_RBX      0
%define LC_RBP      8
%define LC_R12      16
%define LC_R13      24
%define LC_R14      32
%define LC_R15      40
%define LC_RSP      48
%define LC_RIP      56
%define LC_RFLAGS   64
%define LC_CR3      72
%define LC_FS_BASE  80
%define LC_GS_BASE  88
%define LC_CS       96
%define LC_SS       98
%define LC_DS       100
%define LC_ES       102
%define LC_FS       104
%define LC_GS       106
%define LC_TR       108
%define LC_LDTR     110
%define LC_GDTR     112
%define LC_IDTR     128
%define LC_SIZE     144                 ; sizeof(struct launch_context)

%define MSR_FS_BASE 0xc0000100
%define MSR_GS_BASE 0xc0000101
%define CORE_STACK_SIZE 65536
%define MAX_CPUS 16                     ; DV_CORE_MAX_CPUS (bootinfo.h)
%define DV_CORE_BAD_BOOTINFO 1

extern launch_ctx
extern core_main
global core_entry

section .text

; Save one MSR (ecx) into launch_ctx at offset %1; rsi = &launch_ctx.
%macro SAVE_MSR 2
	mov ecx, %2
	rdmsr
	mov [rsi + %1], eax
	mov [rsi + %1 + 4], edx
%endmacro

%macro RESTORE_MSR 2
	mov ecx, %2
	mov eax, [rsi + %1]
	mov edx, [rsi + %1 + 4]
	wrmsr
%endmacro

core_entry:
	cmp esi, MAX_CPUS
	jb .cpu_ok
	mov eax, DV_CORE_BAD_BOOTINFO   ; nothing changed yet: a plain return
	ret
.cpu_ok:
	mov r10d, esi                   ; cpu
	mov r11d, edx                   ; op
	imul esi, esi, LC_SIZE
	lea rax, [launch_ctx]
	add rsi, rax                    ; rsi = &launch_ctx[cpu]
	pushfq
	pop qword [rsi + LC_RFLAGS]
	cli
	mov [rsi + LC_RBX], rbx
	mov [rsi + LC_RBP], rbp
	mov [rsi + LC_R12], r12
	mov [rsi + LC_R13], r13
	mov [rsi + LC_R14], r14
	mov [rsi + LC_R15], r15
	mov rax, [rsp]
	mov [rsi + LC_RIP], rax
	lea rax, [rsp + 8]
	mov [rsi + LC_RSP], rax
	mov rax, cr3
	mov [rsi + LC_CR3], rax
	mov [rsi + LC_CS], cs
	mov [rsi + LC_SS], ss
	mov [rsi + LC_DS], ds
	mov [rsi + LC_ES], es
	mov [rsi + LC_FS], fs
	mov [rsi + LC_GS], gs
	str word [rsi + LC_TR]
	sldt word [rsi + LC_LDTR]
	sgdt [rsi + LC_GDTR]
	sidt [rsi + LC_IDTR]
	SAVE_MSR LC_FS_BASE, MSR_FS_BASE
	SAVE_MSR LC_GS_BASE, MSR_GS_BASE

	mov r12d, r10d                  ; callee-saved: the cpu, for the way back
	lea eax, [r10d + 1]
	imul rax, rax, CORE_STACK_SIZE
	lea rsp, [core_stacks]
	add rsp, rax                    ; the top of this CPU's stack
	xor ebp, ebp                    ; ends the stack trace of the core
	mov esi, r10d                   ; rdi = bi, untouched so far
	mov edx, r11d
	call core_main
	jmp core_return_to_loader

; core_return_to_loader: rax = status, r12 = cpu. Puts back the loader's page tables,
; descriptor tables, segments, stack, callee-saved registers and RFLAGS (IF
; included), and returns from core_entry. TR stays on the core's TSS: the
; firmware never loaded one, and TR cannot be set back to a null selector.
global core_return_to_loader
core_return_to_loader:
	mov r8, rax
	imul esi, r12d, LC_SIZE
	lea rax, [launch_ctx]
	add rsi, rax
	mov rax, [rsi + LC_CR3]
	mov cr3, rax
	lgdt [rsi + LC_GDTR]
	lidt [rsi + LC_IDTR]
	movzx eax, word [rsi + LC_CS]
	push rax
	lea rax, [.reloaded_cs]
	push rax
	retfq
.reloaded_cs:
	mov ss, [rsi + LC_SS]
	mov ds, [rsi + LC_DS]
	mov es, [rsi + LC_ES]
	mov fs, [rsi + LC_FS]
	mov gs, [rsi + LC_GS]
	RESTORE_MSR LC_FS_BASE, MSR_FS_BASE
	RESTORE_MSR LC_GS_BASE, MSR_GS_BASE
	mov rbx, [rsi + LC_RBX]
	mov rbp, [rsi + LC_RBP]
	mov r12, [rsi + LC_R12]
	mov r13, [rsi + LC_R13]
	mov r14, [rsi + LC_R14]
	mov r15, [rsi + LC_R15]
	mov rsp, [rsi + LC_RSP]
	push qword [rsi + LC_RIP]       ; the slot the return address came from
	push qword [rsi + LC_RFLAGS]
	mov rax, r8
	popfq
	ret

section .bss
align 16
core_stacks:
	resb CORE_STACK_SIZE * MAX_CPUS
