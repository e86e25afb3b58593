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

/* Build the GDT and TSS and load them (GDTR, CS, data segments, TR).
 * Must run with interrupts off; called once per CPU. */
void gdt_init(void);

/* Base of the host GDT and TSS, for the VMCS/VMCB host-state fields. */
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
