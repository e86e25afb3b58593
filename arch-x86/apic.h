/* Local APIC constants, named once (SDM vol. 3A chapter 10: xAPIC register
 * offsets table 10-1, IA32_APIC_BASE figure 10-5, ICR figures 10-12 and
 * 10-28; APM vol. 2 16.3). */
#ifndef DRVISOR_ARCH_APIC_H
#define DRVISOR_ARCH_APIC_H

/* IA32_APIC_BASE (MSR_IA32_APIC_BASE). */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)        /* x2APIC mode */
#define APIC_BASE_EN (1ull << 11)          /* xAPIC global enable */
#define APIC_BASE_ADDR_SHIFT 12            /* bits MAXPHYADDR-1:12 */

/* xAPIC registers: offsets in the 4 KiB APIC page. */
#define APIC_REG_ID 0x020
#define APIC_REG_TPR 0x080
#define APIC_REG_EOI 0x0b0
#define APIC_REG_SVR 0x0f0
#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_ICR_HIGH_DEST_SHIFT 24        /* xAPIC destination: ICR high 31:24 */

/* ICR low (both modes). */
#define APIC_ICR_VECTOR_MASK 0xffu
#define APIC_ICR_DELIVERY_SHIFT 8          /* bits 10:8 */
#define APIC_ICR_DELIVERY_MASK (7u << APIC_ICR_DELIVERY_SHIFT)
#define APIC_ICR_DELIVERY_FIXED (0u << APIC_ICR_DELIVERY_SHIFT)
#define APIC_ICR_DELIVERY_NMI (4u << APIC_ICR_DELIVERY_SHIFT)
#define APIC_ICR_DELIVERY_INIT (5u << APIC_ICR_DELIVERY_SHIFT)
#define APIC_ICR_DELIVERY_STARTUP (6u << APIC_ICR_DELIVERY_SHIFT)
#define APIC_ICR_DEST_LOGICAL (1u << 11)
#define APIC_ICR_BUSY (1u << 12)           /* xAPIC delivery status */
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL (1u << 15)
#define APIC_ICR_SHORTHAND_SHIFT 18        /* bits 19:18 */
#define APIC_ICR_SHORTHAND_MASK (3u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_SHORTHAND_NONE (0u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_SHORTHAND_SELF (1u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_SHORTHAND_ALL (2u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_SHORTHAND_OTHERS (3u << APIC_ICR_SHORTHAND_SHIFT)

#endif
