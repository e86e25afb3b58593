/* The set of interrupts taken by the host for the guest (irq_forward.h). */
#include <stdint.h>
#include "irq_forward.h"

#define VECTOR_WORDS 4

static uint64_t pending[VECTOR_WORDS];
volatile bool irq_forward_nmi_pending;

void irq_forward_record(unsigned vector)
{
	if (vector < 256)
		pending[vector / 64] |= 1ull << (vector % 64);
}

void irq_forward_record_nmi(void)
{
	irq_forward_nmi_pending = true;
}

int irq_forward_next(void)
{
	int w, b;

	/* Higher vectors have higher priority at the local APIC (SDM vol. 3A
	 * 11.8.3): deliver them first. */
	for (w = VECTOR_WORDS - 1; w >= 0; w--) {
		if (!pending[w])
			continue;
		b = 63 - __builtin_clzll(pending[w]);
		pending[w] &= ~(1ull << b);
		return w * 64 + b;
	}
	return -1;
}

bool irq_forward_pending(void)
{
	return pending[0] | pending[1] | pending[2] | pending[3];
}

bool irq_forward_take_nmi(void)
{
	bool was = irq_forward_nmi_pending;

	irq_forward_nmi_pending = false;
	return was;
}
