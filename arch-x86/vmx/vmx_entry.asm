; int vmx_run_loop(struct vcpu *v)
;
; The VM entry/exit loop (SDM vol. 3C 27 "VM Entries", 28 "VM Exits", 31
; VMLAUNCH/VMRESUME). VM entry and exit switch RIP, RSP, RFLAGS, the
; segment registers, CR0/CR3/CR4, EFER, PAT and (with the debug controls)
; DR7 and IA32_DEBUGCTL through the VMCS; the general registers other than
; RSP are ours to switch: loaded from and saved to struct vcpu.gprs around
; each entry (GPR_* below mirror core/vcpu.h).
;
; Debug registers (arch-x86/debugreg.inc; contract in docs/debug-registers.md):
; VM entry loads the guest's DR7 and IA32_DEBUGCTL from the VMCS ("load
; debug controls", 27.3.2.1) and VM exit saves them ("save debug controls",
; 28.3.1) and leaves DR7 = 0x400 and IA32_DEBUGCTL = 0 in the host (28.5.1).
; The loop therefore saves the host's DR7 and clears it first, saves DR6 and
; RFLAGS.TF (then cleared), loads the guest's DR6 and, when this entry
; switches them, DR0-3; after the exit it saves the guest's DR6 (and DR0-3),
; and restores the host's DR0-3, DR6, RFLAGS and, last, DR7. The host's
; IA32_DEBUGCTL is 0 (core/debugreg.c), exactly what the exit leaves.
;
; The first entry is VMLAUNCH, every later one VMRESUME. An exit lands at
; .vm_exit (HOST_RIP) with RSP = HOST_RSP = the frame below, RFLAGS = 2
; (interrupts off), saves the general registers and calls vmx_fast_exit
; (core/fast_exit.h), which may resume the guest at once; otherwise the
; common path switches the debug registers back and calls vmx_handle_exit,
; which returns nonzero to resume. A VMLAUNCH/VMRESUME that fails falls
; through with CF (VMfailInvalid) or ZF (VMfailValid) set; the loop then
; returns VMX_LOOP_FAIL_* (vmx.h) to C, which reports the VM-instruction
; error. A normal stop returns VMX_LOOP_STOPPED.
;
; Host stack while the loop runs (HOST_RSP = rsp after the prologue, 16-byte
; aligned for the call to vmx_handle_exit):
;   [rsp+0]  struct vcpu *
;   [rsp+8]  launched: 0 until the first exit, then 1
;   [rsp+16] padding
;   [rsp+24] rbx r12 r13 r14 r15 rbp  (callee-saved, restored on return)
;   then the return address into vmx_run.

bits 64
default rel

%include "arch-x86/callee_saved.inc"
%include "arch-x86/guest_gprs.inc"

%include "arch-x86/debugreg.inc"

%define SLOT_VCPU 0
%define SLOT_LAUNCHED 8
%define FRAME_SIZE 24

%define VMCS_HOST_RSP 0x6c14            ; SDM vol. 3D B.4.4 (vmcs.h)
%define VMCS_HOST_RIP 0x6c16

%define VMX_LOOP_STOPPED 0              ; vmx.h
%define VMX_LOOP_FAIL_VALID 1
%define VMX_LOOP_FAIL_INVALID 2

; What the loop calls right after an exit (vmx.h): the fast path, or the
; exit-path floor in core-floor.elf (benchmarks only, CMake DRVISOR_EXIT_FLOOR).
%ifdef DRVISOR_EXIT_FLOOR
%define FAST_EXIT vmx_floor_exit
%else
%define FAST_EXIT vmx_fast_exit
%endif

extern vmx_handle_exit
extern FAST_EXIT
global vmx_run_loop

section .text

vmx_run_loop:
	PUSH_CALLEE_SAVED
	sub rsp, FRAME_SIZE
	mov [rsp + SLOT_VCPU], rdi
	mov qword [rsp + SLOT_LAUNCHED], 0
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jna .fail
	mov rax, VMCS_HOST_RIP
	lea rdx, [.vm_exit]
	vmwrite rax, rdx
	jna .fail

.enter_guest:
	mov rbx, [rsp + SLOT_VCPU]
	DR_HOST_SAVE_AND_QUIESCE rbx
	DR_GUEST_DR0_3_IN rbx
	DR_GUEST_DR6_IN rbx
	mov rax, rbx
	cmp qword [rsp + SLOT_LAUNCHED], 0  ; MOVs below keep the flags
	LOAD_GUEST_GPRS
	mov rax, [rax + GPR_RAX]
	jne .resume
	vmlaunch
	jmp .entry_failed
.resume:
	vmresume
	jmp .entry_failed                ; reached only on failure

.fail:
	mov eax, VMX_LOOP_FAIL_VALID
	jnc .out
	mov eax, VMX_LOOP_FAIL_INVALID
	jmp .out

; VMLAUNCH/VMRESUME failed after the debug registers were switched: the
; host's come back before C reports the failure.
.entry_failed:
	mov r12d, VMX_LOOP_FAIL_VALID
	jnc .entry_failed_restore
	mov r12d, VMX_LOOP_FAIL_INVALID
.entry_failed_restore:
	mov rbx, [rsp + SLOT_VCPU]
	DR_GUEST_DR6_OUT rbx
	DR_GUEST_DR0_3_OUT rbx
	DR_HOST_RESTORE rbx
	mov eax, r12d
	jmp .out

.vm_exit:
	push rax                        ; guest rax; the frame is now at rsp+8
	mov rax, [rsp + 8 + SLOT_VCPU]
	SAVE_GUEST_GPRS
	pop qword [rax + GPR_RAX]
	; The fast path (core/fast_exit.h): FAST_EXIT handles a CPUID exit that
	; needs nothing else and returns 1, and the guest is resumed at once.
	; Nothing was switched: the guest's DR6 is still live in the CPU, the
	; host's debug registers are idle (DR7 = 0x400 and RFLAGS = 2 as the
	; exit left them, SDM vol. 3C 28.5.1, 28.5.3) and this VMCS is
	; launched; a failing VMRESUME restores the host's (saved at the last
	; common entry) through .entry_failed. The floor (core-floor.elf) does
	; the same with no conditions checked. Any other exit (0) takes the
	; common path below.
	mov rdi, rax
	call FAST_EXIT
	test eax, eax
	mov rax, [rsp + SLOT_VCPU]      ; MOV keeps the flags
	jz .common_exit
	LOAD_GUEST_GPRS
	mov rax, [rax + GPR_RAX]
	jmp .resume
.common_exit:
	mov rbx, rax
	DR_GUEST_DR6_OUT rbx
	DR_GUEST_DR0_3_OUT rbx
	DR_HOST_RESTORE rbx
	mov qword [rsp + SLOT_LAUNCHED], 1
	mov rdi, [rsp + SLOT_VCPU]
	call vmx_handle_exit
	test eax, eax
	jnz .enter_guest
	mov eax, VMX_LOOP_STOPPED

.out:
	add rsp, FRAME_SIZE
	POP_CALLEE_SAVED
	ret
