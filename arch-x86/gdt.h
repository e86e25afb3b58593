/* The host's own GDT and TSS (SDM vol. 3A 3.4.5, 7.7). */
#ifndef DRVISOR_ARCH_GDT_H
#define DRVISOR_ARCH_GDT_H

#include <stdint.h>

#define HOST_CS_SEL 0x08
#define HOST_DS_SEL 0x10
#define HOST_TR_SEL 0x18

/* Interrupt-stack-table slots (SDM vol. 3A 7.7.1), used by idt.c. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

#define IST_STACK_SIZE 16384
#define IST_STACKS 3
#define HOST_GDT_ENTRIES 5

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* One CPU's descriptor tables and interrupt stacks (in its struct pcpu,
 * core/pcpu.h). */
struct host_tables {
	uint64_t gdt[HOST_GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss64 tss __attribute__((aligned(16)));
	uint8_t ist_stacks[IST_STACKS][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* Build this CPU's GDT and TSS in t and load them (GDTR, CS, data
 * segments, TR). Must run with interrupts off; called on every entry of
 * the core on a CPU (the loader's TR may still name a busy TSS of ours
 * from an earlier entry: the descriptor is rewritten as available). */
void gdt_init(struct host_tables *t);

/* Base of this CPU's live GDT (SGDT) and of its TSS (from the GDT's TR
 * descriptor), for the VMCS/VMCB host-state fields and pcpu_from_gdt. */
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
