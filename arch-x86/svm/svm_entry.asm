; svm_run_loop(struct vcpu *v, u64 guest_vmcb_pa, u64 host_save_pa)
;
; The VMRUN loop (APM vol. 2 15.5 "VMRUN", 15.6 "#VMEXIT", 15.5.2 "VMSAVE
; and VMLOAD"). VMRUN itself switches RAX, RSP, RIP, RFLAGS, the segment
; registers' visible parts, CRs, EFER, DR6/DR7 and the host state in
; VM_HSAVE_PA; everything else is ours to switch:
;   - the general registers other than RAX/RSP: loaded from and saved to
;     struct vcpu.gprs around VMRUN (GPR_* below mirror core/vcpu.h);
;   - FS/GS/TR/LDTR hidden state, KernelGsBase, STAR/LSTAR/CSTAR/SFMASK,
;     SYSENTER_*: VMLOAD/VMSAVE of the guest VMCB around VMRUN, and of the
;     host save area (saved once on entry) after each #VMEXIT.
;   - debug registers (arch-x86/debugreg.inc; contract in
;     docs/debug-registers.md): VMRUN/#VMEXIT switch DR6, DR7 and, with LBR
;     virtualization, IA32_DEBUGCTL through the VMCB (APM 15.5.1, 15.23).
;     The loop itself saves the host's DR7 and clears it (breakpoints off
;     first), saves DR6 and RFLAGS.TF, moves DR0-3 between host and guest
;     when this entry switches them (always under the eager policy), swaps
;     IA32_DEBUGCTL by hand when the CPU has no LBR virtualization, and
;     after #VMEXIT undoes it all in reverse, host DR7 last. A zero host DR7
;     at VMRUN also keeps QEMU TCG's #VMEXIT (which reloads the host DR7 from
;     the host save area instead of disabling breakpoints) from arming
;     anything early.
; Right after #VMEXIT, with the general registers saved, svm_fast_exit
; (core/fast_exit.h) may handle the exit and resume the guest at once,
; skipping all of the above (nothing of it would change anything then).
; GIF is 0 from the CLGI before each VMRUN until the host state is back
; after #VMEXIT; the host itself runs with GIF = 1 and IF = 0: no maskable
; interrupt reaches it (except in the window svm_exit.c opens after an INTR
; exit to accept them for the guest), an NMI does and is handed on to the
; guest, and its own debug breakpoints work — AMD CPUs discard breakpoint
; #DBs while GIF = 0 (APM vol. 2 15.17; Bochs does the same). RFLAGS.IF is
; 1 across VMRUN, where (V_INTR_MASKING) it makes physical interrupts exit
; the guest.
;
; Host stack while the loop runs (RSP is restored by #VMEXIT from the host
; save area, so these slots survive the guest):
;   [rsp+0]  struct vcpu *         [rsp+8]  guest VMCB PA
;   [rsp+16] host save area PA     [rsp+24..39] padding (16-byte alignment
;            for the call to svm_handle_exit)
;   [rsp+40] rbx r12 r13 r14 r15 rbp  (callee-saved, restored on return)
;   then the return address into svm_run.

bits 64
default rel

%include "arch-x86/callee_saved.inc"
%include "arch-x86/guest_gprs.inc"

%include "arch-x86/debugreg.inc"

%define SLOT_VCPU 0
%define SLOT_GUEST_VMCB 8
%define SLOT_HOST_SAVE 16

; What the loop calls right after #VMEXIT (svm.h): the fast path, or the
; exit-path floor in core-floor.elf (benchmarks only, CMake DRVISOR_EXIT_FLOOR).
%ifdef DRVISOR_EXIT_FLOOR
%define FAST_EXIT svm_floor_exit
%else
%define FAST_EXIT svm_fast_exit
%endif

extern svm_handle_exit
extern FAST_EXIT
global svm_run_loop
global svm_run_loop.after_vmrun


section .text

svm_run_loop:
	PUSH_CALLEE_SAVED
	sub rsp, 40
	mov [rsp + SLOT_VCPU], rdi
	mov [rsp + SLOT_GUEST_VMCB], rsi
	mov [rsp + SLOT_HOST_SAVE], rdx
	clgi
	mov rax, rdx
	vmsave                          ; [rax]: the host's hidden state, once

.enter_guest:
	clgi                            ; no NMI between here and VMRUN
	mov rbx, [rsp + SLOT_VCPU]
	DR_HOST_SAVE_AND_QUIESCE rbx
	DR_GUEST_DR0_3_IN rbx
	DEBUGCTL_IN rbx
	mov rax, rbx
	LOAD_GUEST_GPRS
	mov rax, [rsp + SLOT_GUEST_VMCB]
	vmload                          ; [rax]
.vmrun:
	sti                             ; GIF is 0: nothing reaches the host, but
	vmrun                           ; [rax]   with V_INTR_MASKING the host's IF
.after_vmrun:                           ; (svm_leaked_guest_step)
	cli                             ; lets physical interrupts exit the guest
	; The fast path (core/fast_exit.h): the general registers are saved
	; first; FAST_EXIT handles a CPUID exit that needs nothing else and
	; returns 1, and the guest is resumed at once: its hidden state, DR6 and
	; DR7 are still live in the CPU (no VMSAVE/VMLOAD: the host's C code uses
	; none of that state), GIF stays 0 and the host's debug registers are
	; idle. A guest IA32_DEBUGCTL loaded by hand goes first, before the
	; host's first branch, so that a guest LBR records none of the host's.
	; The floor (core-floor.elf) does the same with no conditions checked
	; and no IA32_DEBUGCTL swap. Any other exit (0) takes the common path.
	mov rax, [rsp + SLOT_VCPU]
	SAVE_GUEST_GPRS
	mov rdi, rax
%ifndef DRVISOR_EXIT_FLOOR
	DEBUGCTL_OUT rdi
%endif
	call FAST_EXIT
	test eax, eax
	mov rax, [rsp + SLOT_VCPU]      ; MOV keeps the flags
	jz .common_exit
	LOAD_GUEST_GPRS
	mov rax, [rsp + SLOT_GUEST_VMCB]
	jmp .vmrun
.common_exit:
	mov rbx, rax
	mov rax, [rsp + SLOT_GUEST_VMCB]
	vmsave                          ; [rax]
%ifdef DRVISOR_EXIT_FLOOR
	DEBUGCTL_OUT rbx
%endif
	DR_GUEST_DR0_3_OUT rbx
	DR_HOST_RESTORE rbx
	mov rax, [rsp + SLOT_HOST_SAVE]
	vmload                          ; [rax]
	stgi                            ; the host runs with GIF=1 (and IF=0)
	mov rdi, [rsp + SLOT_VCPU]
	call svm_handle_exit
	test eax, eax
	jnz .enter_guest

	add rsp, 40
	POP_CALLEE_SAVED
	ret
