/* The host's IPIs through the local APIC (apic.h). */
#include "apic.h"
#include "cpu.h"
#include "msr.h"

/* Delivery status stays "send pending" until the APIC has accepted the
 * IPI (SDM vol. 3A 11.6.1); a bounded wait, the APIC being real. */
#define APIC_SEND_SPINS 100000u

static volatile uint32_t *xapic_reg(uint64_t base, unsigned off)
{
	return (volatile uint32_t *)(base + off);
}

bool apic_send_ipi(uint32_t icr_low, uint32_t dest)
{
	uint64_t ab = rdmsr(MSR_IA32_APIC_BASE), base = ab & APIC_BASE_ADDR_MASK;
	uint32_t high;
	unsigned i;

	if (!(ab & APIC_BASE_ENABLE))
		return false;
	if (ab & APIC_BASE_EXTD) {
		/* x2APIC: one WRMSR, no delivery status (11.12.9). */
		wrmsr(X2APIC_MSR_ICR, ((uint64_t)dest << 32) | icr_low);
		return true;
	}
	high = *xapic_reg(base, APIC_REG_ICR_HIGH);
	*xapic_reg(base, APIC_REG_ICR_HIGH) = (high & 0x00ffffffu) | (dest << 24);
	*xapic_reg(base, APIC_REG_ICR_LOW) = icr_low;
	for (i = 0; i < APIC_SEND_SPINS && (*xapic_reg(base, APIC_REG_ICR_LOW) &
					    ICR_DELIVERY_PENDING); i++)
		cpu_pause();
	/* The guest may have written its destination just before this exit
	 * and write the low half (which sends) right after. */
	*xapic_reg(base, APIC_REG_ICR_HIGH) = high;
	return true;
}
