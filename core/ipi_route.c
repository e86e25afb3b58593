/* Routing INIT and startup IPIs (ipi_route.h). */
#include "ipi_route.h"
#include "arch-x86/apic.h"

#define XAPIC_BROADCAST 0xffu
#define X2APIC_BROADCAST 0xffffffffu

enum ipi_kind ipi_kind(uint32_t icr_low)
{
	switch (icr_low & APIC_ICR_DELIVERY_MASK) {
	case APIC_ICR_DELIVERY_INIT:
		/* Level-triggered with level 0: the de-assert that old
		 * processors used to synchronize arbitration IDs; P6 and later
		 * ignore it (SDM vol. 3A 10.6.1, "INIT Level De-assert"). */
		if ((icr_low & APIC_ICR_TRIGGER_LEVEL) && !(icr_low & APIC_ICR_LEVEL_ASSERT))
			return IPI_INIT_DEASSERT;
		return IPI_INIT;
	case APIC_ICR_DELIVERY_STARTUP:
		return IPI_SIPI;
	default:
		return IPI_OTHER;
	}
}

static uint32_t all_cpus(unsigned n)
{
	return n >= 32 ? 0xffffffffu : (1u << n) - 1;
}

struct ipi_targets ipi_route(uint32_t icr_low, uint32_t dest, bool x2apic, unsigned self,
			     const struct ipi_cpus *cpus)
{
	struct ipi_targets t = { 0, false, false };
	uint32_t all = all_cpus(cpus->n), me = self < cpus->n ? 1u << self : 0;
	unsigned i;

	switch (icr_low & APIC_ICR_SHORTHAND_MASK) {
	case APIC_ICR_SHORTHAND_SELF: t.cpus = me; return t;
	case APIC_ICR_SHORTHAND_ALL: t.cpus = all; return t;
	case APIC_ICR_SHORTHAND_OTHERS: t.cpus = all & ~me; return t;
	default: break;
	}
	if (icr_low & APIC_ICR_DEST_LOGICAL) {
		t.logical = true;
		return t;
	}
	if (dest == (x2apic ? X2APIC_BROADCAST : XAPIC_BROADCAST)) {
		t.cpus = all;
		return t;
	}
	for (i = 0; i < cpus->n; i++)
		if (cpus->apic_id[i] == dest)
			t.cpus |= 1u << i;
	t.unknown = !t.cpus;
	return t;
}
