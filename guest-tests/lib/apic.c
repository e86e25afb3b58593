/*
 * The local APIC's interrupt command register, for tests that send IPIs
 * (SDM vol. 3A 11.6.1 "Interrupt Command Register"; x2APIC: 11.12.9, the
 * ICR is MSR 0x830, destination in bits 63:32). The mode and the xAPIC page
 * come from IA32_APIC_BASE (SDM vol. 3A 11.4.4), read on each call: the
 * caller may run on any CPU.
 */
#include "guest.h"

#define MSR_IA32_APIC_BASE 0x1b
#define MSR_X2APIC_ICR     0x830
#define APIC_BASE_ENABLE   (1ull << 11)
#define APIC_BASE_X2APIC   (1ull << 10)
#define APIC_BASE_ADDR     0x000ffffffffff000ull
#define XAPIC_ID           0x20
#define XAPIC_ICR_LO       0x300
#define XAPIC_ICR_HI       0x310
#define ICR_BUSY           (1u << 12) /* delivery status: send pending (xAPIC only) */
#define BUSY_POLLS         1000000u

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static volatile uint32_t *xapic_reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)((rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR) + off);
}

enum apic_mode apic_mode(void)
{
	uint64_t b = rdmsr(MSR_IA32_APIC_BASE);

	if (!(b & APIC_BASE_ENABLE))
		return APIC_OFF;
	return b & APIC_BASE_X2APIC ? APIC_X2APIC : APIC_XAPIC;
}

uint64_t apic_xapic_base(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR;
}

static bool xapic_idle(void)
{
	for (unsigned i = 0; i < BUSY_POLLS; i++)
		if (!(*xapic_reg(XAPIC_ICR_LO) & ICR_BUSY))
			return true;
	return false;
}

bool apic_send(uint32_t dest, uint32_t icr_low)
{
	switch (apic_mode()) {
	case APIC_X2APIC: {
		uint64_t v = ((uint64_t)dest << 32) | icr_low;

		__asm__ volatile("wrmsr" : : "c"(MSR_X2APIC_ICR), "a"((uint32_t)v),
				 "d"((uint32_t)(v >> 32)) : "memory");
		return true;
	}
	case APIC_XAPIC:
		if (!xapic_idle())
			return false;
		/* The high half first: writing the low half sends (11.6.1). */
		*xapic_reg(XAPIC_ICR_HI) = dest << 24;
		*xapic_reg(XAPIC_ICR_LO) = icr_low;
		return xapic_idle();
	default:
		return false;
	}
}
