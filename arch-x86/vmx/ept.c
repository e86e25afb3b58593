/* EPT identity map (SDM vol. 3C 29.3) built by arch-x86/nested_paging.c,
 * with memory types from the MTRRs (29.3.7). */
#include "ept.h"
#include "mtrr.h"
#include "vmcs.h"
#include "arch-x86/nested_paging.h"
#include "arch-x86/paging.h"
#include "core/log.h"
#include "core/memory.h"

#define EPT_WALK_LENGTH 4
#define EPT_LEVELS 4
#define EPT_ENTRIES_MASK 0x1ffull

static struct mtrr_state mtrrs;

/* The leaf's type is the MTRR type of its pages; the guest's PAT still
 * applies on top (IPAT clear), as it would natively (29.3.7.2). */
static uint64_t ept_leaf_bits(uint64_t addr, uint64_t size)
{
	(void)size;
	return EPT_RWX | ((uint64_t)mtrr_type(&mtrrs, addr) << EPT_MEMTYPE_SHIFT);
}

static bool ept_uniform(uint64_t addr, uint64_t size)
{
	return mtrr_uniform(&mtrrs, addr, size);
}

uint64_t ept_build(const struct vmx_controls *ctl)
{
	struct nested_pt_format fmt = {
		.table_bits = EPT_RWX,
		.leaf_bits = ept_leaf_bits,
		.uniform = ept_uniform,
		.gib_pages = ctl->ept_1g_pages,
		.write_bit = EPT_WRITE,
	};
	uint64_t top = nested_map_top(paging_top(), fmt.gib_pages), pml4;

	mtrr_read(&mtrrs);
	mtrr_print(&mtrrs);
	pml4 = nested_identity_map(top, nested_map_limit(), hv_mem.base, hv_mem.size, &fmt);
	if (!pml4)
		return 0;
	log_info("vmx: EPT maps 0x0-0x%llx with pages up to %s, hole 0x%llx-0x%llx, %llu pages "
		 "left", (unsigned long long)top, fmt.gib_pages ? "1 GiB" : "2 MiB",
		 (unsigned long long)hv_mem.base, (unsigned long long)(hv_mem.base + hv_mem.size),
		 (unsigned long long)pages_free());
	return pml4 | ((uint64_t)ctl->eptp_memtype << EPTP_MEMTYPE_SHIFT) |
	       ((uint64_t)(EPT_WALK_LENGTH - 1) << EPTP_WALK_LENGTH_SHIFT);
}

void ept_print_walk(uint64_t eptp, uint64_t gpa)
{
	static const char *const names[EPT_LEVELS] = { "pml4e", "pdpte", "pde", "pte" };
	uint64_t table = eptp & PTE_ADDR_MASK;
	int level;

	for (level = 0; level < EPT_LEVELS; level++) {
		unsigned shift = 39 - 9 * level;
		uint64_t idx = (gpa >> shift) & EPT_ENTRIES_MASK;
		uint64_t e = ((const uint64_t *)table)[idx];

		log_raw("  ept %-5s [%3llu] at 0x%llx = 0x%016llx\n", names[level],
			(unsigned long long)idx, (unsigned long long)(table + idx * 8),
			(unsigned long long)e);
		if (!(e & EPT_RWX) || (e & EPT_LARGE_PAGE) || level == EPT_LEVELS - 1)
			return;
		table = e & PTE_ADDR_MASK;
	}
}
