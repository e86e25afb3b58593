/*
 * The loader's CPU state captured by core_entry (entry.asm) at the moment it
 * called the core: what the core restores to return to the loader, and what
 * a late launch turns into the guest's initial state (the guest resumes as
 * if core_entry had returned). The LC_* offsets in entry.asm mirror this
 * layout; the static assertions in launch_context.c keep them in step.
 */
#ifndef DRVISOR_ARCH_LAUNCH_CONTEXT_H
#define DRVISOR_ARCH_LAUNCH_CONTEXT_H

#include <stdint.h>
#include <drvisor/bootinfo.h>

struct descriptor_table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct launch_context {
	uint64_t rbx, rbp, r12, r13, r14, r15;  /* callee-saved, System V ABI */
	uint64_t rsp;                            /* the loader's RSP after the return */
	uint64_t rip;                            /* the return address into the loader */
	uint64_t rflags;
	uint64_t cr3;
	uint64_t fs_base, gs_base;
	uint16_t cs, ss, ds, es, fs, gs, tr, ldtr;
	struct descriptor_table_ptr gdtr;
	uint16_t pad0;
	uint32_t pad1;
	struct descriptor_table_ptr idtr;
	uint16_t pad2;
	uint32_t pad3;
};

/* Filled by core_entry before it calls core_main, one per CPU (the dense
 * cpu number of the entry, include/drvisor/bootinfo.h). */
extern struct launch_context launch_ctx[];

#endif
