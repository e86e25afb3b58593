/*
 * Host identity map. All of it is mapped write-back through PAT entry 0; the
 * effective memory type of MMIO still comes out uncacheable because the
 * firmware's MTRRs say so and the stricter of the two wins (SDM vol. 3A
 * 11.5.2.2, table 11-7). 1 GiB pages where the CPU has them (CPUID
 * 0x80000001 EDX[26]), else 2 MiB pages.
 */
#include "paging.h"
#include "cpu.h"
#include "cpuid_bits.h"
#include "core/memory.h"

#define ENTRIES 512

static uint64_t host_cr3, host_top;

unsigned cpu_phys_addr_bits(void)
{
	if (cpuid(0x80000000u, 0).eax < CPUID_ADDR_SIZES)
		return 36;
	return cpuid(CPUID_ADDR_SIZES, 0).eax & 0xff;
}

/* One page directory of 2 MiB pages covering the 1 GiB at gib_base. */
static uint64_t make_pd(uint64_t gib_base)
{
	uint64_t pd = page_alloc();
	uint64_t *e = (uint64_t *)pd;
	int i;

	if (!pd)
		return 0;
	for (i = 0; i < ENTRIES; i++)
		e[i] = (gib_base + (uint64_t)i * SIZE_2M) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	return pd;
}

static bool fill_pdpt(uint64_t *pdpt, uint64_t base, uint64_t top, bool gib_pages)
{
	int i;

	for (i = 0; i < ENTRIES && base + (uint64_t)i * SIZE_1G < top; i++) {
		uint64_t addr = base + (uint64_t)i * SIZE_1G, pd;

		if (gib_pages) {
			pdpt[i] = addr | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
			continue;
		}
		pd = make_pd(addr);
		if (!pd)
			return false;
		pdpt[i] = pd | PTE_PRESENT | PTE_WRITE;
	}
	return true;
}

bool paging_init(uint64_t top)
{
	bool gib = cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_PDPE1GB;
	uint64_t max = 1ull << cpu_phys_addr_bits(), pml4, base;
	int i;

	top = top < 4 * SIZE_1G ? 4 * SIZE_1G : (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
	top = top > max ? max : top;
	pml4 = page_alloc();
	if (!pml4)
		return false;
	for (i = 0, base = 0; base < top && i < ENTRIES / 2; i++, base += ENTRIES * SIZE_1G) {
		uint64_t pdpt = page_alloc();

		if (!pdpt || !fill_pdpt((uint64_t *)pdpt, base, top, gib))
			return false;
		((uint64_t *)pml4)[i] = pdpt | PTE_PRESENT | PTE_WRITE;
	}
	host_cr3 = pml4;
	host_top = top;
	write_cr3(pml4);
	return true;
}

uint64_t paging_top(void)
{
	return host_top;
}

uint64_t paging_cr3(void)
{
	return host_cr3;
}

#define PT_FLAG_MASK (~PTE_ADDR_MASK)

/* Replace the large leaf *e mapping size bytes at base with a table of
 * leaves of size / 512 that map the same (same flags; a 2 MiB page's PAT
 * bit 12 is never set here: every page uses PAT entry 0). */
static bool split_leaf(uint64_t *e, uint64_t base, uint64_t size)
{
	uint64_t t = page_alloc(), flags = *e & PT_FLAG_MASK, sub = size / ENTRIES;
	int i;

	if (!t)
		return false;
	if (sub == PAGE_SIZE)
		flags &= ~PTE_LARGE;
	for (i = 0; i < ENTRIES; i++)
		((uint64_t *)t)[i] = (base + (uint64_t)i * sub) | flags;
	*(volatile uint64_t *)e = t | PTE_PRESENT | PTE_WRITE;
	return true;
}

bool paging_map_uncached(uint64_t pa)
{
	uint64_t *table = (uint64_t *)host_cr3, *e = 0;
	unsigned shift;

	if (!host_cr3 || pa >= host_top)
		return false;
	for (shift = 39; shift >= 12; shift -= 9) {
		e = &table[(pa >> shift) % ENTRIES];
		if (!(*e & PTE_PRESENT))
			return false;
		if (shift == 12)
			break;
		if ((*e & PTE_LARGE) && !split_leaf(e, pa & ~((1ull << shift) - 1), 1ull << shift))
			return false;
		table = (uint64_t *)(*e & PTE_ADDR_MASK);
	}
	*e |= PTE_PCD | PTE_PWT;
	invlpg(pa & ~(PAGE_SIZE - 1));
	return true;
}
