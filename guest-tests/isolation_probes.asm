; The forbidden instructions isolation.c tries, one small routine each, run
; under guest_try(). Each routine sets up its operands and then executes the
; instruction at a global label PROBE_insn, so the test can check that the
; exception points exactly at the instruction (a fault: RIP not advanced).
;
; All follow the SysV ABI as void probe(void *arg) and touch only scratch
; registers. The argument is described above each one.

default rel
bits 64

section .text

%macro PROBE 1
global %1
global %1_insn
%1:
%endmacro

%macro INSN 1
%1_insn:
%endmacro

; ---- AMD SVM (APM vol. 3; all #UD while EFER.SVME = 0, APM vol. 2 15.4) ----

; arg = a page-aligned physical address (the VMCB / save area operand in rAX)
PROBE probe_vmrun
	mov rax, rdi
INSN probe_vmrun
	vmrun
	ret

PROBE probe_vmload
	mov rax, rdi
INSN probe_vmload
	vmload
	ret

PROBE probe_vmsave
	mov rax, rdi
INSN probe_vmsave
	vmsave
	ret

PROBE probe_stgi
INSN probe_stgi
	stgi
	ret

PROBE probe_clgi
INSN probe_clgi
	clgi
	ret

; arg = a 64 KiB-aligned physical address (the SLB in EAX)
PROBE probe_skinit
	mov rax, rdi
INSN probe_skinit
	skinit                 ; the SLB address in EAX
	ret

; arg = a linear address; ASID 0 in ECX
PROBE probe_invlpga
	mov rax, rdi
	xor ecx, ecx
INSN probe_invlpga
	invlpga rax, ecx
	ret

; ---- Intel VMX (SDM vol. 3C 31; all #UD outside VMX operation) ----

; arg = pointer to a 64-bit physical address (the memory operand)
PROBE probe_vmxon
INSN probe_vmxon
	vmxon [rdi]
	ret

PROBE probe_vmclear
INSN probe_vmclear
	vmclear [rdi]
	ret

PROBE probe_vmptrld
INSN probe_vmptrld
	vmptrld [rdi]
	ret

; arg = pointer to 8 writable bytes
PROBE probe_vmptrst
INSN probe_vmptrst
	vmptrst [rdi]
	ret

; VMCS field 0 (VPID) read into RDX / written from RDX
PROBE probe_vmread
	xor eax, eax
INSN probe_vmread
	vmread rdx, rax
	ret

PROBE probe_vmwrite
	xor eax, eax
	xor edx, edx
INSN probe_vmwrite
	vmwrite rax, rdx
	ret

PROBE probe_vmlaunch
INSN probe_vmlaunch
	vmlaunch
	ret

PROBE probe_vmresume
INSN probe_vmresume
	vmresume
	ret

PROBE probe_vmxoff
INSN probe_vmxoff
	vmxoff
	ret

; arg = pointer to a 16-byte descriptor; type 1 (single context)
PROBE probe_invept
	mov eax, 1
INSN probe_invept
	invept rax, [rdi]
	ret

PROBE probe_invvpid
	mov eax, 1
INSN probe_invvpid
	invvpid rax, [rdi]
	ret

; ---- MSRs: arg = struct msr_op { u32 msr; u32 pad; u64 value } ----

PROBE probe_rdmsr
	mov ecx, [rdi]
INSN probe_rdmsr
	rdmsr
	mov [rdi + 8], eax
	mov [rdi + 12], edx
	ret

PROBE probe_wrmsr
	mov ecx, [rdi]
	mov eax, [rdi + 8]
	mov edx, [rdi + 12]
INSN probe_wrmsr
	wrmsr
	ret

; ---- memory: arg = pointer to a 64-bit address ----

PROBE probe_read8
	mov rsi, [rdi]
INSN probe_read8
	mov al, [rsi]
	ret

; A plain store: a read-modify-write would fault on its read and never
; exercise the write path of the hypervisor's nested-fault handling.
PROBE probe_write8
	mov rsi, [rdi]
INSN probe_write8
	mov byte [rsi], 0
	ret

; ---- port I/O: arg = struct port_op { u16 port; u16 pad[3]; u64 buf } ----

PROBE probe_insb
	movzx edx, word [rdi]
	mov rdi, [rdi + 8]
INSN probe_insb
	insb
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
