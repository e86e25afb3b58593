/*
 * A vendor-neutral description of a guest's initial CPU state, built by
 * core/launch.c from the captured loader context and turned into a VMCB or
 * VMCS by the vendor code.
 */
#ifndef DRVISOR_CORE_GUEST_STATE_H
#define DRVISOR_CORE_GUEST_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* A segment register's visible and hidden parts. attr holds the descriptor's
 * access bits in the VMCB's compressed layout (APM vol. 2 15.5.1): type in
 * bits 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11. */
struct guest_segment {
	uint16_t selector;
	uint16_t attr;
	uint32_t limit;                  /* byte-granular, already scaled by G */
	uint64_t base;
	bool unusable;                   /* null selector or not present */
};

enum guest_seg_index {
	SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT
};

#define SEG_ATTR_TYPE_MASK 0x00f
#define SEG_ATTR_S (1u << 4)
#define SEG_ATTR_DPL_SHIFT 5
#define SEG_ATTR_P (1u << 7)
#define SEG_ATTR_AVL (1u << 8)
#define SEG_ATTR_L (1u << 9)
#define SEG_ATTR_DB (1u << 10)
#define SEG_ATTR_G (1u << 11)
#define SEG_TYPE_TSS64_BUSY 0xb
#define SEG_TYPE_LDT 0x2
#define SEG_TYPE_ACCESSED 0x1

struct guest_state {
	struct guest_segment seg[SEG_COUNT];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
	uint64_t cr0, cr2, cr3, cr4, efer, pat;
	uint64_t rip, rsp, rflags;
	uint64_t rax, rbx, rbp, r12, r13, r14, r15;
	uint64_t dr6, dr7, debugctl;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
};

#endif
