/* The guest's local APIC writes (core/apic_trap.h, docs/mmio.md). */
#include "apic_trap.h"
#include "log.h"
#include "vcpu.h"
#include "arch-x86/apic.h"
#include "arch-x86/cpu.h"
#include "arch-x86/msr.h"
#include "arch-x86/paging.h"

#define APIC_PAGE_SIZE 4096u

static uint64_t apic_page;      /* the trapped page: every CPU's APIC is here */
static icr_hook_fn icr_hook;

void apic_set_icr_hook(icr_hook_fn fn)
{
	__atomic_store_n(&icr_hook, fn, __ATOMIC_RELEASE);
}

static enum icr_verdict run_hook(struct vcpu *v, uint32_t low, uint32_t dest, bool x2apic)
{
	icr_hook_fn fn = __atomic_load_n(&icr_hook, __ATOMIC_ACQUIRE);

	return fn ? fn(v, low, dest, x2apic) : ICR_PASS;
}

static uint64_t apic_base_mask(void)
{
	return ((1ull << cpu_phys_addr_bits()) - 1) & ~(uint64_t)(APIC_PAGE_SIZE - 1);
}

/* The store as the guest made it, to the real APIC (uncached in the
 * host's map): a width other than 32 bits does natively whatever the APIC
 * does with it (SDM vol. 3A 10.4.1 asks for 32-bit accesses). */
static void write_apic(uint64_t pa, unsigned width, uint64_t value)
{
	switch (width) {
	case 1: *(volatile uint8_t *)pa = (uint8_t)value; break;
	case 2: *(volatile uint16_t *)pa = (uint16_t)value; break;
	case 4: *(volatile uint32_t *)pa = (uint32_t)value; break;
	default: *(volatile uint64_t *)pa = value; break;
	}
}

static bool overlaps_icr_low(unsigned off, unsigned width)
{
	return off < APIC_REG_ICR_LOW + 4 && APIC_REG_ICR_LOW < off + width;
}

/* ICR low: the hook first, with the destination the real ICR high holds
 * (written through before, as the guest wrote it). */
static enum mmio_verdict icr_low_write(struct vcpu *v, uint32_t low)
{
	uint32_t high = *(volatile const uint32_t *)(apic_page + APIC_REG_ICR_HIGH);

	switch (run_hook(v, low, high >> APIC_ICR_HIGH_DEST_SHIFT, false)) {
	case ICR_PASS:
		write_apic(apic_page + APIC_REG_ICR_LOW, 4, low);
		return MMIO_DONE;
	case ICR_HANDLED:
		return MMIO_DONE;
	default:
		return MMIO_GP;
	}
}

static enum mmio_verdict apic_page_write(struct vcpu *v, uint64_t gpa, unsigned width,
					 uint64_t value, void *ctx)
{
	unsigned off = gpa & (APIC_PAGE_SIZE - 1);

	(void)ctx;
	/* A store that runs past the page, or an ICR low store other than
	 * the aligned 32-bit one the SDM defines, would send an IPI the hook
	 * never saw: refused. */
	if (off + width > APIC_PAGE_SIZE ||
	    (overlaps_icr_low(off, width) && (off != APIC_REG_ICR_LOW || width != 4))) {
		log_warn("vcpu%u: %u-byte APIC write at offset 0x%x refused: #GP(0)", v->id, width,
			 off);
		return MMIO_GP;
	}
	if (off == APIC_REG_ICR_LOW)
		return icr_low_write(v, (uint32_t)value);
	write_apic(apic_page + off, width, value);
	return MMIO_DONE;
}

bool apic_trap_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	apic_page = base & apic_base_mask();
	if (!paging_map_uncached(apic_page) ||
	    !nested_trap_writes(apic_page, apic_page_write, 0)) {
		log_error("cannot write-trap the local APIC page at 0x%llx",
			  (unsigned long long)apic_page);
		return false;
	}
	log_info("local APIC at 0x%llx (%s): page writes and the x2APIC ICR intercepted",
		 (unsigned long long)apic_page,
		 base & APIC_BASE_EXTD ? "x2APIC" : base & APIC_BASE_EN ? "xAPIC" : "disabled");
	return true;
}

enum mmio_verdict apic_x2apic_icr_write(struct vcpu *v, uint64_t value)
{
	/* Outside x2APIC mode the MSR does not exist (SDM vol. 3A 10.12.1.2):
	 * #GP before any hook sees it. */
	if (!(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD))
		return MMIO_GP;
	switch (run_hook(v, (uint32_t)value, (uint32_t)(value >> 32), true)) {
	case ICR_PASS:
		return wrmsr_safe(MSR_X2APIC_ICR, value) ? MMIO_DONE : MMIO_GP;
	case ICR_HANDLED:
		return MMIO_DONE;
	default:
		return MMIO_GP;
	}
}

enum mmio_verdict apic_base_write(struct vcpu *v, uint64_t value)
{
	/* Following a moved base would mean trapping a new page on every CPU
	 * whose APIC moved (each has its own IA32_APIC_BASE) and giving the
	 * old one back; no firmware or OS drvisor runs moves it. */
	if ((value & apic_base_mask()) != apic_page) {
		log_warn("vcpu%u: IA32_APIC_BASE write 0x%llx moves the APIC from 0x%llx: refused "
			 "(docs/mmio.md), #GP(0)", v->id, (unsigned long long)value,
			 (unsigned long long)apic_page);
		return MMIO_GP;
	}
	return wrmsr_safe(MSR_IA32_APIC_BASE, value) ? MMIO_DONE : MMIO_GP;
}
