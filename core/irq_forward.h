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

/* From the host IDT: interrupt vector (32-255) or NMI was taken. */
void irq_forward_record(unsigned vector);
void irq_forward_record_nmi(void);

/* The highest pending vector, removed from the set; -1 when none. */
int irq_forward_next(void);

/* Whether any vector is still pending. */
bool irq_forward_pending(void);

/* An NMI is pending (set by the host's NMI handler at any time while GIF
 * is 1; read directly by the fast exit path, svm_fast_exit). */
extern volatile bool irq_forward_nmi_pending;

/* Whether an NMI is pending; clears it. */
bool irq_forward_take_nmi(void);

#endif
