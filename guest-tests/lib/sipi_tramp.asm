; The real-mode probe an AP runs after a startup IPI (lib/sipi.c copies it
; to a page below 1 MiB; the SIPI vector is that page's number, so the AP
; starts here with CS = vector << 8, IP = 0; SDM vol. 3A 9.4.4.1 / 11.6.1).
;
; It records what the CPU looks like straight after INIT and SIPI, before
; anything else touches it: CR0, DR0-3, DR6, DR7 (MOV from DRn reads the low
; 32 bits outside 64-bit mode, which is all there is after INIT), CS, the
; CPUID hypervisor leaf (drvisor's signature under drvisor), the initial
; APIC ID, and last IA32_DEBUGCTL (a #GP there would land in the real-mode
; IVT, so it comes after everything else is stored: `stage` says how far it
; got). Then it halts with interrupts off, for good; the firmware's next
; INIT-SIPI-SIPI (MP services) takes the CPU back. `count` counts the
; starts: a second SIPI must not start a CPU that has left wait-for-SIPI.
;
; The report sits at SIPI_REPORT in the same page (struct sipi_report in
; guest.h, same order); DS = CS addresses it.

bits 16
section .text

global sipi_tramp_start
global sipi_tramp_end

%define SIPI_REPORT 0x800
%define R_STAGE     (SIPI_REPORT + 0)
%define R_COUNT     (SIPI_REPORT + 4)
%define R_CR0       (SIPI_REPORT + 8)
%define R_CS        (SIPI_REPORT + 12)
%define R_DR0       (SIPI_REPORT + 16)
%define R_DR1       (SIPI_REPORT + 20)
%define R_DR2       (SIPI_REPORT + 24)
%define R_DR3       (SIPI_REPORT + 28)
%define R_DR6       (SIPI_REPORT + 32)
%define R_DR7       (SIPI_REPORT + 36)
%define R_SIG_EAX   (SIPI_REPORT + 40)
%define R_SIG_EBX   (SIPI_REPORT + 44)
%define R_SIG_ECX   (SIPI_REPORT + 48)
%define R_SIG_EDX   (SIPI_REPORT + 52)
%define R_APIC_ID   (SIPI_REPORT + 56)
%define R_DBGCTL_LO (SIPI_REPORT + 60)
%define R_DBGCTL_HI (SIPI_REPORT + 64)

sipi_tramp_start:
	cli
	mov ax, cs
	mov ds, ax
	lock inc dword [R_COUNT]
	mov eax, dr7
	mov [R_DR7], eax
	mov eax, dr6
	mov [R_DR6], eax
	mov eax, dr0
	mov [R_DR0], eax
	mov eax, dr1
	mov [R_DR1], eax
	mov eax, dr2
	mov [R_DR2], eax
	mov eax, dr3
	mov [R_DR3], eax
	mov eax, cr0
	mov [R_CR0], eax
	xor eax, eax
	mov ax, cs
	mov [R_CS], eax
	mov dword [R_STAGE], 1
	mov eax, 0x40000000
	xor ecx, ecx
	cpuid
	mov [R_SIG_EAX], eax
	mov [R_SIG_EBX], ebx
	mov [R_SIG_ECX], ecx
	mov [R_SIG_EDX], edx
	mov eax, 1
	xor ecx, ecx
	cpuid
	shr ebx, 24
	mov [R_APIC_ID], ebx
	mov dword [R_STAGE], 2
	mov ecx, 0x1d9              ; IA32_DEBUGCTL
	rdmsr
	mov [R_DBGCTL_LO], eax
	mov [R_DBGCTL_HI], edx
	mov dword [R_STAGE], 3
.halt:
	cli
	hlt
	jmp .halt
sipi_tramp_end:

section .note.GNU-stack noalloc noexec nowrite progbits
