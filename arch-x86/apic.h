/*
 * The host's own use of the local APIC (SDM vol. 3A chapter 11; APM vol. 2
 * chapter 16): sending an IPI from drvisor itself (the kick, an INIT or
 * SIPI passed on to a CPU that is not under drvisor), in whichever mode
 * the guest has put this CPU's APIC. The guest owns the APIC; the host
 * writes only the interrupt command register and puts back the ICR's high
 * half (xAPIC), which the guest may have written just before the exit.
 */
#ifndef DRVISOR_ARCH_APIC_H
#define DRVISOR_ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_BASE_EXTD (1ull << 10)           /* x2APIC mode */
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0xffffff000ull

#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define X2APIC_MSR_ICR 0x830                  /* SDM vol. 3A 11.12.9 */

/* ICR low fields (SDM vol. 3A 11.6.1, figure 11-12). */
#define ICR_VECTOR_MASK 0xffu
#define ICR_DELIVERY_SHIFT 8
#define ICR_DELIVERY_MASK (7u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_FIXED (0u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_LOWEST (1u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_SMI (2u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_NMI (4u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_INIT (5u << ICR_DELIVERY_SHIFT)
#define ICR_DELIVERY_STARTUP (6u << ICR_DELIVERY_SHIFT)
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_SHORTHAND_MASK (3u << ICR_SHORTHAND_SHIFT)
#define ICR_SHORTHAND_NONE (0u << ICR_SHORTHAND_SHIFT)
#define ICR_SHORTHAND_SELF (1u << ICR_SHORTHAND_SHIFT)
#define ICR_SHORTHAND_ALL (2u << ICR_SHORTHAND_SHIFT)
#define ICR_SHORTHAND_OTHERS (3u << ICR_SHORTHAND_SHIFT)

/* Send the IPI icr_low (delivery mode, vector, level, shorthand) to the
 * physical APIC ID dest, from this CPU, through its APIC in the mode it is
 * in now (xAPIC: ICR high bits 31:24 = dest; x2APIC: the 32-bit ID). False
 * when this CPU's APIC is disabled. */
bool apic_send_ipi(uint32_t icr_low, uint32_t dest);

/* drvisor's kick: an NMI to the CPU with that APIC ID. */
static inline bool apic_send_nmi(uint32_t dest)
{
	return apic_send_ipi(ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT, dest);
}

#endif
