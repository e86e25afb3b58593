/*
 * The VMCB and the SVM constants, named once (AMD APM vol. 2, appendix B
 * "Layout of VMCB", and 15.x as cited).
 */
#ifndef DRVISOR_ARCH_SVM_VMCB_H
#define DRVISOR_ARCH_SVM_VMCB_H

#include <stdint.h>

struct vmcb_segment {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

struct vmcb_control {
	uint32_t intercept_cr;          /* 0x000: bits 15:0 reads, 31:16 writes */
	uint32_t intercept_dr;          /* 0x004: bits 15:0 reads, 31:16 writes */
	uint32_t intercept_exceptions;  /* 0x008 */
	uint32_t intercept_misc1;       /* 0x00c */
	uint32_t intercept_misc2;       /* 0x010 */
	uint32_t intercept_misc3;       /* 0x014 */
	uint8_t reserved0[0x03c - 0x018];
	uint16_t pause_filter_threshold; /* 0x03c */
	uint16_t pause_filter_count;    /* 0x03e */
	uint64_t iopm_base_pa;          /* 0x040 */
	uint64_t msrpm_base_pa;         /* 0x048 */
	uint64_t tsc_offset;            /* 0x050 */
	uint32_t guest_asid;            /* 0x058 */
	uint8_t tlb_control;            /* 0x05c */
	uint8_t reserved1[3];
	uint64_t vintr;                 /* 0x060 */
	uint64_t interrupt_shadow;      /* 0x068 */
	uint64_t exit_code;             /* 0x070 */
	uint64_t exit_info1;            /* 0x078 */
	uint64_t exit_info2;            /* 0x080 */
	uint64_t exit_int_info;         /* 0x088 */
	uint64_t np_enable;             /* 0x090 */
	uint64_t avic_apic_bar;         /* 0x098 */
	uint64_t ghcb_pa;               /* 0x0a0 */
	uint64_t event_inject;          /* 0x0a8 */
	uint64_t n_cr3;                 /* 0x0b0 */
	uint64_t lbr_virt_enable;       /* 0x0b8 */
	uint32_t clean_bits;            /* 0x0c0 */
	uint32_t reserved2;
	uint64_t next_rip;              /* 0x0c8 */
	uint8_t insn_len;               /* 0x0d0 */
	uint8_t insn_bytes[15];
	uint8_t reserved3[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	uint8_t reserved0[0x4cb - 0x4a0];
	uint8_t cpl;                    /* 0x4cb */
	uint32_t reserved1;
	uint64_t efer;                  /* 0x4d0 */
	uint8_t reserved2[0x548 - 0x4d8];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip; /* 0x548 */
	uint8_t reserved3[0x5d8 - 0x580];
	uint64_t rsp;                   /* 0x5d8 */
	uint8_t reserved4[0x5f8 - 0x5e0];
	uint64_t rax;                   /* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2; /* 0x628 */
	uint8_t reserved5[0x668 - 0x648];
	uint64_t g_pat;                 /* 0x668 */
	uint64_t dbgctl;                /* 0x670 */
	uint64_t br_from, br_to, last_excp_from, last_excp_to; /* 0x678 */
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	uint8_t reserved[4096 - 0x698];
} __attribute__((aligned(4096)));

_Static_assert(__builtin_offsetof(struct vmcb, control.exit_code) == 0x070, "exit_code");
_Static_assert(__builtin_offsetof(struct vmcb, control.n_cr3) == 0x0b0, "n_cr3");
_Static_assert(__builtin_offsetof(struct vmcb, control.next_rip) == 0x0c8, "next_rip");
_Static_assert(__builtin_offsetof(struct vmcb, save.es) == 0x400, "save area");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "cpl");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "efer");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "cr4");
_Static_assert(__builtin_offsetof(struct vmcb, save.dr7) == 0x560, "dr7");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "rip");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "rsp");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "rax");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "cr2");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "g_pat");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* intercept_misc1 (APM vol. 2 B, vector 3) */
#define SVM_INTERCEPT_INTR (1u << 0)
#define SVM_INTERCEPT_NMI (1u << 1)
#define SVM_INTERCEPT_VINTR (1u << 4)
#define SVM_INTERCEPT_INIT (1u << 3)
#define SVM_INTERCEPT_CPUID (1u << 18)
#define SVM_INTERCEPT_IRET (1u << 20)
#define SVM_INTERCEPT_INVD (1u << 22)
#define SVM_INTERCEPT_INVLPGA (1u << 26)
#define SVM_INTERCEPT_IOIO (1u << 27)
#define SVM_INTERCEPT_MSR (1u << 28)
#define SVM_INTERCEPT_SHUTDOWN (1u << 31)
/* intercept_misc2 (vector 4) */
#define SVM_INTERCEPT_VMRUN (1u << 0)
#define SVM_INTERCEPT_VMMCALL (1u << 1)
#define SVM_INTERCEPT_VMLOAD (1u << 2)
#define SVM_INTERCEPT_VMSAVE (1u << 3)
#define SVM_INTERCEPT_STGI (1u << 4)
#define SVM_INTERCEPT_CLGI (1u << 5)
#define SVM_INTERCEPT_SKINIT (1u << 6)
#define SVM_INTERCEPT_XSETBV (1u << 13)

/* Exit codes (APM vol. 2 appendix C). */
#define SVM_EXIT_DR_READ_0 0x020
#define SVM_EXIT_DR_WRITE_0 0x030
#define SVM_EXIT_EXCEPTION_0 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
/* NPF EXITINFO1: the #PF-style error code (APM vol. 2 15.25.6). */
#define SVM_NPF_PRESENT (1ull << 0)
#define SVM_NPF_WRITE (1ull << 1)
/* A failed VMRUN reports -1; QEMU TCG reports it zero-extended, so only the
 * low 32 bits are compared (see docs/emulator-quirks.md). */
#define SVM_EXIT_INVALID_LOW32 0xffffffffu

/* IOIO exit information 1 (APM vol. 2 15.10.2, figure 15-2). */
#define SVM_IOIO_TYPE_IN (1u << 0)
#define SVM_IOIO_STRING (1u << 2)
#define SVM_IOIO_REP (1u << 3)
#define SVM_IOIO_SIZE_SHIFT 4           /* bits 6:4: one-hot 1, 2, 4 bytes */
#define SVM_IOIO_PORT_SHIFT 16

/* Event injection (APM vol. 2 15.20, figure 15-4). */
#define SVM_EVENT_VALID (1ull << 31)
#define SVM_EVENT_TYPE_INTR (0ull << 8)
#define SVM_EVENT_TYPE_NMI (2ull << 8)
#define SVM_EVENT_TYPE_EXCEPTION (3ull << 8)
#define SVM_EVENT_ERROR_VALID (1ull << 11)

/* DR intercepts: bits 15:0 reads of DRn, 31:16 writes (APM vol. 2 15.12.2).
 * The bit is the one of the register the instruction names: a MOV to DR5
 * with CR4.DE = 0, which writes DR7, is the DR5 write intercept. */
#define SVM_INTERCEPT_DR_READ(n) (1u << (n))
#define SVM_INTERCEPT_DR_WRITE(n) (1u << (16 + (n)))
#define SVM_INTERCEPT_DR0_3_RW 0x000f000fu
#define SVM_EXIT_DR_LAST 0x03f

/* VINTR (APM vol. 2 15.21.1, B): the virtual interrupt and its masking. */
#define SVM_VINTR_V_IRQ (1ull << 8)
#define SVM_VINTR_PRIO_SHIFT 16
#define SVM_VINTR_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)
#define SVM_VINTR_VECTOR_SHIFT 32

#define SVM_LBR_VIRT_ENABLE (1ull << 0)
#define SVM_NP_ENABLE (1ull << 0)
#define SVM_TLB_FLUSH_ALL 1            /* TLB_CONTROL: flush the whole TLB */

/* Sizes of the permission maps (APM vol. 2 15.10.1, 15.11). */
#define SVM_IOPM_PAGES 3
#define SVM_MSRPM_PAGES 2

#endif
