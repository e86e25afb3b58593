/* The host's IPIs through the local APIC (apic.h). */
#include "apic.h"
#include "cpu.h"
#include "msr.h"
#include "paging.h"

/* Delivery status stays "send pending" until the APIC has accepted the
 * IPI (SDM vol. 3A 10.6.1); a bounded wait, the APIC being real. */
#define APIC_SEND_SPINS 100000u

static volatile uint32_t *xapic_reg(uint64_t base, unsigned off)
{
	return (volatile uint32_t *)(base + off);
}

bool apic_send_ipi(uint32_t icr_low, uint32_t dest)
{
	uint64_t ab = rdmsr(MSR_IA32_APIC_BASE);
	uint64_t base = ab & ((1ull << cpu_phys_addr_bits()) - 1) & ~0xfffull;
	uint32_t high;
	unsigned i;

	if (!(ab & APIC_BASE_EN))
		return false;
	if (ab & APIC_BASE_EXTD) {
		/* x2APIC: one WRMSR, no delivery status (10.12.9). */
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | icr_low);
		return true;
	}
	high = *xapic_reg(base, APIC_REG_ICR_HIGH);
	*xapic_reg(base, APIC_REG_ICR_HIGH) =
		(high & ((1u << APIC_ICR_HIGH_DEST_SHIFT) - 1)) | (dest << APIC_ICR_HIGH_DEST_SHIFT);
	*xapic_reg(base, APIC_REG_ICR_LOW) = icr_low;
	for (i = 0; i < APIC_SEND_SPINS && (*xapic_reg(base, APIC_REG_ICR_LOW) & APIC_ICR_BUSY);
	     i++)
		cpu_pause();
	/* The guest may have written its destination just before this exit
	 * and write the low half (which sends) right after. */
	*xapic_reg(base, APIC_REG_ICR_HIGH) = high;
	return true;
}
