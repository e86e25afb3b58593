/* The set of interrupts taken by the host for the guest (irq_forward.h). */
#include "irq_forward.h"

void irq_forward_record(struct irq_forward *f, unsigned vector)
{
	if (vector < 256)
		f->pending[vector / 64] |= 1ull << (vector % 64);
}

void irq_forward_record_nmi(struct irq_forward *f)
{
	f->nmi_pending = true;
}

int irq_forward_next(struct irq_forward *f)
{
	int w, b;

	/* Higher vectors have higher priority at the local APIC (SDM vol. 3A
	 * 11.8.3): deliver them first. */
	for (w = IRQ_FORWARD_WORDS - 1; w >= 0; w--) {
		if (!f->pending[w])
			continue;
		b = 63 - __builtin_clzll(f->pending[w]);
		f->pending[w] &= ~(1ull << b);
		return w * 64 + b;
	}
	return -1;
}

bool irq_forward_pending(const struct irq_forward *f)
{
	return f->pending[0] | f->pending[1] | f->pending[2] | f->pending[3];
}

bool irq_forward_take_nmi(struct irq_forward *f)
{
	bool was = f->nmi_pending;

	f->nmi_pending = false;
	return was;
}
