/* Builder for identity second-level page tables with a hole. */
#include "nested_paging.h"
#include "paging.h"
#include "core/memory.h"

#define LEVELS 4
#define ENTRIES 512
/* Address bits each level's entry covers: PML4 39, PDPT 30, PD 21, PT 12. */
static const unsigned level_shift[LEVELS] = { 39, 30, 21, 12 };

/* 4 TiB covers every RAM and MMIO address a PC firmware assigns in practice
 * and costs at most 8 page-directory-pointer tables. */
#define NESTED_MAP_CAP (1ull << 42)

uint64_t nested_map_top(uint64_t mem_top, bool gib_pages)
{
	uint64_t top;

	if (gib_pages) {
		top = 1ull << cpu_phys_addr_bits();
		top = top > NESTED_MAP_CAP ? NESTED_MAP_CAP : top;
		return top > mem_top ? top : (mem_top + SIZE_1G - 1) & ~(SIZE_1G - 1);
	}
	top = mem_top < 4 * SIZE_1G ? 4 * SIZE_1G : mem_top;
	return (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
}

static bool overlaps(uint64_t a, uint64_t size, uint64_t hb, uint64_t hs)
{
	return hs && a < hb + hs && hb < a + size;
}

struct map_job {
	uint64_t top, hole_base, hole_size;
	const struct nested_pt_format *fmt;
};

static bool can_be_leaf(const struct map_job *j, int level, uint64_t addr, uint64_t size)
{
	if (level == LEVELS - 1)
		return true;
	if (level == 0 || (level == 1 && !j->fmt->gib_pages))
		return false;
	if (j->fmt->uniform && !j->fmt->uniform(addr, size))
		return false;
	return !overlaps(addr, size, j->hole_base, j->hole_size) && addr + size <= j->top;
}

/* Fill the table at level covering [base, base + 512 * size). */
static bool fill(const struct map_job *j, uint64_t *table, int level, uint64_t base)
{
	uint64_t size = 1ull << level_shift[level];
	int i;

	for (i = 0; i < ENTRIES; i++) {
		uint64_t addr = base + (uint64_t)i * size, sub;

		if (addr >= j->top)
			break;
		if (can_be_leaf(j, level, addr, size)) {
			if (!overlaps(addr, size, j->hole_base, j->hole_size))
				table[i] = addr | j->fmt->leaf_bits(addr, size) |
					   (level < LEVELS - 1 ? NPT_LARGE_PAGE : 0);
			continue;
		}
		sub = page_alloc();
		if (!sub || !fill(j, (uint64_t *)sub, level + 1, addr))
			return false;
		table[i] = sub | j->fmt->table_bits;
	}
	return true;
}

uint64_t nested_identity_map(uint64_t top, uint64_t hole_base, uint64_t hole_size,
			     const struct nested_pt_format *fmt)
{
	struct map_job j = { top, hole_base, hole_size, fmt };
	uint64_t root = page_alloc();

	if (!root || !fill(&j, (uint64_t *)root, 0, 0))
		return 0;
	return root;
}
