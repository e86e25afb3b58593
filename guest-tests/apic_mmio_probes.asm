; The APIC stores of the apic_mmio test, one encoding each (the bytes NASM
; emits are in the comments; SDM vol. 2B MOV, XCHG, MOVNTI, ADD, STOS).
; SysV: rdi = the APIC page, esi = the value. Each returns nothing; the
; test reads the register back.

default rel
bits 64

section .text

global apic_st_mov_disp32, apic_st_mov_imm, apic_st_mov_sib, apic_st_mov_rex_sib8
global apic_st_xchg, apic_st_movnti, apic_st_moffs, apic_st_add, apic_st_rep_stos, apic_st_eoi
global apic_st_icr_mov, apic_st_icr_xchg, apic_irq_entry
extern apic_mmio_irq

apic_st_mov_disp32:                 ; 89 b7 80 00 00 00   mov [rdi+0x80], esi
	mov [rdi+0x80], esi
	ret

apic_st_mov_imm:                    ; c7 87 80 00 00 00 imm32
	mov dword [rdi+0x80], 0x20
	ret

apic_st_mov_sib:                    ; 89 14 08   mov [rax+rcx], edx
	mov rax, rdi
	mov ecx, 0x80
	mov edx, esi
	mov [rax+rcx], edx
	ret

apic_st_mov_rex_sib8:               ; 47 89 54 48 40   mov [r8+r9*2+0x40], r10d
	mov r8, rdi
	mov r9d, 0x20
	mov r10d, esi
	mov [r8+r9*2+0x40], r10d
	ret

apic_st_xchg:                       ; 87 b7 80 00 00 00; returns the old value
	xchg [rdi+0x80], esi
	mov eax, esi
	ret

apic_st_movnti:                     ; 0f c3 b7 80 00 00 00
	movnti [rdi+0x80], esi
	ret

apic_st_moffs:                      ; a3 + 8-byte address (the default APIC base)
	mov eax, esi
	mov [abs qword 0xfee00080], eax
	ret

apic_st_add:                        ; 83 87 80 00 00 00 00   add dword [rdi+0x80], 0
global apic_st_add_insn
apic_st_add_insn:
	add dword [rdi+0x80], 0
	ret

apic_st_rep_stos:                   ; f3 ab   rep stosd at [rdi+0x80], one dword
global apic_st_rep_stos_insn
	add rdi, 0x80
	mov eax, esi
	mov ecx, 1
	cld
apic_st_rep_stos_insn:
	rep stosd
	ret

apic_st_eoi:                        ; c7 87 b0 00 00 00 00 00 00 00   EOI
	mov dword [rdi+0xb0], 0
	ret

apic_st_icr_mov:                    ; 89 97 00 03 00 00   mov [rdi+0x300], edx
	mov edx, esi
	mov [rdi+0x300], edx
	ret

apic_st_icr_xchg:                   ; 87 b7 00 03 00 00   xchg [rdi+0x300], esi
	xchg [rdi+0x300], esi
	ret

; The self-IPI's gate: saves what C may clobber, calls apic_mmio_irq
; (which counts and writes EOI), IRETQ.
align 16
apic_irq_entry:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push rbp
	mov rbp, rsp
	and rsp, -16
	cld
	call apic_mmio_irq wrt ..plt
	mov rsp, rbp
	pop rbp
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	iretq

section .note.GNU-stack noalloc noexec nowrite progbits
