/*
 * Physical interrupts the host takes on the guest's behalf and hands on to
 * it unchanged. Where the CPU can only make the guest exit on an interrupt
 * by intercepting it (SVM has no preemption timer), the host accepts it
 * itself — the vector is all it records; it sends no EOI — and the vendor
 * delivers that vector to the guest as a virtual interrupt, which the guest
 * takes when its RFLAGS.IF allows and acknowledges (EOI) at the real
 * interrupt controller as always.
 */
#ifndef DRVISOR_CORE_IRQ_FORWARD_H
#define DRVISOR_CORE_IRQ_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_FORWARD_WORDS 4

/* One CPU's set (in its struct pcpu). nmi_pending is set by the host's NMI
 * handler at any time while GIF is 1, and read directly by the fast exit
 * paths. */
struct irq_forward {
	uint64_t pending[IRQ_FORWARD_WORDS];
	volatile bool nmi_pending;
};

/* From the host IDT: interrupt vector (32-255) or NMI was taken. */
void irq_forward_record(struct irq_forward *f, unsigned vector);
void irq_forward_record_nmi(struct irq_forward *f);

/* The highest pending vector, removed from the set; -1 when none. */
int irq_forward_next(struct irq_forward *f);

/* Whether any vector is still pending. */
bool irq_forward_pending(const struct irq_forward *f);

/* Whether an NMI is pending; clears it. */
bool irq_forward_take_nmi(struct irq_forward *f);

#endif
