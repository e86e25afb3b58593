; Instruction sequences for drtest.c, the debug-register suite (issue 5).
;
; Everything whose address a check compares with a RIP lives here, behind a
; global label, because only assembly fixes which instruction sits where:
;   - probes run under guest_try() as void probe(void *arg); the instruction
;     that must fault (#GP, #UD, #DB for general detect) is at PROBE_insn;
;   - data accesses of each size, with PROBE_after at the next instruction
;     (a data breakpoint is a trap: RIP points after the access);
;   - instruction-breakpoint targets;
;   - single-step sequences with a label after every instruction that must
;     be followed by a TF trap, and a branch-trace sequence for BTF;
;   - dt_db_stub, a #DB handler that counts single steps without clearing
;     TF (the library's resume mode makes TF one-shot), so a sequence can be
;     stepped instruction by instruction.
; All routines follow the SysV ABI and touch only scratch registers (RBX is
; saved around CPUID and the hypercalls, which write it).
;
; Architecture: SDM vol. 3B 18.2 (debug registers), 18.3.1 (#DB
; conditions: instruction breakpoints are faults, data breakpoints and single
; step are traps, TF is sampled at the start of each instruction), 18.4
; (BTF); APM vol. 2 13.1.

default rel
bits 64

%define RFLAGS_TF 0x100
%define DR6_CLEAN 0xffff0ff0
%define DB_LOG_MAX 64

%macro FN 1
global %1
%1:
%endmacro

%macro AT 1
global %1
%1:
%endmacro

%macro TF_ON 0
	pushfq
	or qword [rsp], RFLAGS_TF
	popfq                   ; TF was clear when this started: no trap after it
%endmacro

section .text

; ---- MOV DR probes: void probe(uint64_t *v) ----

FN dt_p_wr_dr6                  ; DR6 <- *v
	mov rax, [rdi]
AT dt_p_wr_dr6_insn
	mov dr6, rax
	ret

FN dt_p_wr_dr7                  ; DR7 <- *v
	mov rax, [rdi]
AT dt_p_wr_dr7_insn
	mov dr7, rax
	ret

FN dt_p_wr_dr0                  ; DR0 <- *v
	mov rax, [rdi]
AT dt_p_wr_dr0_insn
	mov dr0, rax
	ret

FN dt_p_rd_dr6                  ; *v <- DR6
AT dt_p_rd_dr6_insn
	mov rax, dr6
	mov [rdi], rax
	ret

FN dt_p_rd_dr7                  ; *v <- DR7
AT dt_p_rd_dr7_insn
	mov rax, dr7
	mov [rdi], rax
	ret

FN dt_p_rd_dr4                  ; *v <- DR4 (DR6 with CR4.DE = 0, else #UD)
AT dt_p_rd_dr4_insn
	mov rax, dr4
	mov [rdi], rax
	ret

FN dt_p_rd_dr5                  ; *v <- DR5 (DR7 with CR4.DE = 0, else #UD)
AT dt_p_rd_dr5_insn
	mov rax, dr5
	mov [rdi], rax
	ret

FN dt_p_wr_dr4                  ; DR4 <- *v
	mov rax, [rdi]
AT dt_p_wr_dr4_insn
	mov dr4, rax
	ret

FN dt_p_wr_dr5                  ; DR5 <- *v
	mov rax, [rdi]
AT dt_p_wr_dr5_insn
	mov dr5, rax
	ret

; General detect, back to back: DR7 <- *v (GD set), then at once a MOV from
; DR7 (the one that must fault), whose value lands in *v if it does not.
FN dt_p_gd_detect
	mov rax, [rdi]
	mov dr7, rax
AT dt_p_gd_detect_insn
	mov rax, dr7
	mov [rdi], rax
	ret

; General detect after an exit: CPUID (always intercepted under drvisor, so
; a lazy policy has re-armed its MOV-DR intercept), then *v <- DR7.
FN dt_p_gd_after_cpuid
	push rbx
	xor eax, eax
	xor ecx, ecx
	cpuid
	pop rbx
AT dt_p_gd_after_cpuid_insn
	mov rax, dr7
	mov [rdi], rax
	ret

; ---- MSR probes: struct { uint32_t msr, pad; uint64_t value; } *op ----

FN dt_p_rdmsr
	mov ecx, [rdi]
AT dt_p_rdmsr_insn
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rdi + 8], rax
	ret

FN dt_p_wrmsr
	mov ecx, [rdi]
	mov eax, [rdi + 8]
	mov edx, [rdi + 12]
AT dt_p_wrmsr_insn
	wrmsr
	ret

; ---- data accesses: loads uint64_t f(uint64_t addr), stores
; void f(uint64_t addr, uint64_t value); PROBE_after follows the access ----

FN dt_ld8
	movzx eax, byte [rdi]
AT dt_ld8_after
	ret

FN dt_ld16
	movzx eax, word [rdi]
AT dt_ld16_after
	ret

FN dt_ld32
	mov eax, [rdi]
AT dt_ld32_after
	ret

FN dt_ld64
	mov rax, [rdi]
AT dt_ld64_after
	ret

FN dt_st8
	mov [rdi], sil
AT dt_st8_after
	ret

FN dt_st16
	mov [rdi], si
AT dt_st16_after
	ret

FN dt_st32
	mov [rdi], esi
AT dt_st32_after
	ret

FN dt_st64
	mov [rdi], rsi
AT dt_st64_after
	ret

; ---- instruction breakpoints: one target per slot, then a counter that
; proves execution went on past every breakpoint (RF) ----

FN dt_ibp_run
AT dt_ibp0
	nop
AT dt_ibp1
	nop
AT dt_ibp2
	nop
AT dt_ibp3
	nop
	inc qword [rel dt_ibp_done]
	ret

; ---- single step (TF). Each sequence sets TF with POPF (no trap after
; that POPF), and clears it with PUSHF/AND/POPF, which are still stepped
; (TF is set at the start of each; SDM vol. 3B 18.3.1.4). A label follows
; every instruction that must be followed by exactly one trap. ----

FN dt_ss_plain
	TF_ON
	nop
AT dt_ss_plain_t1
	mov eax, 1
AT dt_ss_plain_t2
	add eax, 2
AT dt_ss_plain_t3
	lea rcx, [rax + 4]
AT dt_ss_plain_t4
	pushfq
AT dt_ss_plain_t5
	and qword [rsp], ~RFLAGS_TF
AT dt_ss_plain_t6
	popfq
AT dt_ss_plain_t7
	ret

; CPUID, intercepted under drvisor: the trap must follow the emulated
; instruction; two in a row, then an ordinary one.
FN dt_ss_cpuid
	push rbx
	xor eax, eax
	xor ecx, ecx
	TF_ON
	cpuid
AT dt_ss_cpuid_t1
	xor eax, eax
AT dt_ss_cpuid_t2
	cpuid
AT dt_ss_cpuid_t3
	nop
AT dt_ss_cpuid_t4
	pushfq
AT dt_ss_cpuid_t5
	and qword [rsp], ~RFLAGS_TF
AT dt_ss_cpuid_t6
	popfq
AT dt_ss_cpuid_t7
	pop rbx
	ret

; RDMSR of IA32_DEBUGCTL (0x1d9), intercepted under drvisor. Returns the
; value read.
FN dt_ss_rdmsr
	mov ecx, 0x1d9
	TF_ON
	rdmsr
AT dt_ss_rdmsr_t1
	nop
AT dt_ss_rdmsr_t2
	pushfq
AT dt_ss_rdmsr_t3
	and qword [rsp], ~RFLAGS_TF
AT dt_ss_rdmsr_t4
	popfq
AT dt_ss_rdmsr_t5
	shl rdx, 32
	or rax, rdx
	ret

; The hypercall instruction (VMMCALL on AMD, VMCALL on Intel) with
; RAX = DV_HC_PING; only under drvisor (it raises #UD natively). Returns the
; hypercall's RAX.
FN dt_ss_vmmcall
	push rbx
	xor eax, eax
	TF_ON
	vmmcall
AT dt_ss_vmmcall_t1
	pushfq
AT dt_ss_vmmcall_t2
	and qword [rsp], ~RFLAGS_TF
AT dt_ss_vmmcall_t3
	popfq
AT dt_ss_vmmcall_t4
	pop rbx
	ret

FN dt_ss_vmcall
	push rbx
	xor eax, eax
	TF_ON
	vmcall
AT dt_ss_vmcall_t1
	pushfq
AT dt_ss_vmcall_t2
	and qword [rsp], ~RFLAGS_TF
AT dt_ss_vmcall_t3
	popfq
AT dt_ss_vmcall_t4
	pop rbx
	ret

; OUT of AL to port DI (the monitor UART's scratch register under drvisor:
; an I/O exit), stepped: one trap at dt_ss_out_t1 with the library's
; one-shot resume mode.
FN dt_ss_out
	mov edx, edi
	xor eax, eax
	TF_ON
	out dx, al
AT dt_ss_out_t1
	pushfq
	and qword [rsp], ~RFLAGS_TF
	popfq
	ret

; The same OUT, not stepped (a forced I/O exit under drvisor).
FN dt_out8
	mov edx, edi
	mov eax, esi
	out dx, al
	ret

; Wait for the next interrupt (the firmware's timer): under drvisor on SVM
; an interrupt exit. RFLAGS.IF comes back as it was.
FN dt_wait_irq
	pushfq
	sti
	hlt
	popfq
	ret

; Branch trace (IA32_DEBUGCTL.BTF = 1 with TF): a trap only after taken
; branches, at the branch target (SDM vol. 3B 18.4.3; APM vol. 2 13.1.3.3).
; Taken: JMP (-> t1), JZ (-> t2), CALL (-> t3), RET (-> t4); the JNZ is not
; taken and the rest are not branches. Without BTF, TF traps after each of
; the 12 instructions from the first NOP to the last POPF.
FN dt_btf_run
	TF_ON
	nop
	nop
	jmp dt_btf_t1
AT dt_btf_t1
	xor eax, eax
	jnz dt_btf_never
	jz dt_btf_t2
AT dt_btf_never
	nop
AT dt_btf_t2
	call dt_btf_t3
AT dt_btf_t4
	nop
	pushfq
	and qword [rsp], ~RFLAGS_TF
	popfq
	ret
AT dt_btf_t3
	ret

; ---- #DB handler for counting steps (installed in gate 1 by drtest.c):
; logs the pushed RIP, DR6 and DR7 of the first DB_LOG_MAX traps, counts all,
; resets DR6 and returns with the interrupted RFLAGS (TF stays set). ----

FN dt_db_stub
	push rax
	push rcx
	push rdx
	mov rcx, [rel dt_db_count]
	cmp rcx, DB_LOG_MAX
	jae .full
	mov rdx, [rsp + 24]     ; the RIP the CPU pushed (#DB has no error code)
	lea rax, [rel dt_db_rips]
	mov [rax + rcx * 8], rdx
	mov rdx, dr6
	lea rax, [rel dt_db_dr6s]
	mov [rax + rcx * 8], rdx
	mov rdx, dr7            ; after DR6: a #DB the CPU delivered has cleared DR7.GD
	lea rax, [rel dt_db_dr7s]
	mov [rax + rcx * 8], rdx
.full:
	inc qword [rel dt_db_count]
	mov eax, DR6_CLEAN
	mov dr6, rax
	pop rdx
	pop rcx
	pop rax
	iretq

section .bss
align 8
global dt_ibp_done, dt_db_count, dt_db_rips, dt_db_dr6s, dt_db_dr7s
dt_ibp_done: resq 1
dt_db_count: resq 1
dt_db_rips: resq DB_LOG_MAX
dt_db_dr6s: resq DB_LOG_MAX
dt_db_dr7s: resq DB_LOG_MAX

section .note.GNU-stack noalloc noexec nowrite progbits
