/* Builder for identity second-level page tables with a hole, built up
 * front to nested_map_top and extended on demand up to the CPU's physical
 * width (nested_map_fault). */
#include "nested_paging.h"
#include "paging.h"
#include "core/memory.h"

#define LEVELS 4
#define ENTRIES 512
/* Address bits each level's entry covers: PML4 39, PDPT 30, PD 21, PT 12. */
static const unsigned level_shift[LEVELS] = { 39, 30, 21, 12 };
#define PAGE_SHIFT_4K 12

/* 4 TiB covers every RAM and MMIO address a PC firmware assigns in practice
 * and costs at most 8 page-directory-pointer tables. */
#define NESTED_MAP_CAP (1ull << 42)
/* What 4-level tables can map at all (48-bit guest-physical addresses). */
#define NESTED_MAP_MAX (1ull << 48)

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

/* The one set of nested tables (shared by every CPU the guest runs on):
 * what nested_map_fault extends. */
static struct {
	uint64_t root, limit;
	struct nested_pt_format fmt;
	struct map_job job;       /* job.top = limit */
} the_map;

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

uint64_t nested_identity_map(uint64_t top, uint64_t limit, uint64_t hole_base,
			     uint64_t hole_size, const struct nested_pt_format *fmt)
{
	struct map_job j = { top, hole_base, hole_size, fmt };
	uint64_t root = page_alloc();

	if (!root || !fill(&j, (uint64_t *)root, 0, 0))
		return 0;
	the_map.root = root;
	the_map.limit = limit > NESTED_MAP_MAX ? NESTED_MAP_MAX : limit;
	the_map.fmt = *fmt;
	the_map.job = (struct map_job){ the_map.limit, hole_base, hole_size, &the_map.fmt };
	return root;
}

uint64_t nested_map_limit(void)
{
	return 1ull << cpu_phys_addr_bits();
}

/* A leaf for the largest page around gpa that can_be_leaf allows, tables
 * allocated on the way down; entries are 0 until written, so an entry that
 * is not 0 is present (a table, or a leaf: then gpa was mapped already). */
bool nested_map_fault(uint64_t gpa)
{
	const struct map_job *j = &the_map.job;
	uint64_t *table = (uint64_t *)the_map.root;
	int level;

	if (!the_map.root || gpa >= the_map.limit ||
	    overlaps(gpa & ~(PAGE_SIZE - 1), PAGE_SIZE, j->hole_base, j->hole_size))
		return false;
	for (level = 0; level < LEVELS; level++) {
		uint64_t size = 1ull << level_shift[level], addr = gpa & ~(size - 1), sub;
		uint64_t *e = &table[(gpa >> level_shift[level]) % ENTRIES];

		if (!*e && can_be_leaf(j, level, addr, size)) {
			*e = addr | j->fmt->leaf_bits(addr, size) |
			     (level < LEVELS - 1 ? NPT_LARGE_PAGE : 0);
			return true;
		}
		if (*e && (level == LEVELS - 1 || (*e & NPT_LARGE_PAGE)))
			return false;
		if (!*e) {
			sub = page_alloc();
			if (!sub)
				return false;
			*e = sub | j->fmt->table_bits;
		}
		table = (uint64_t *)(*e & PTE_ADDR_MASK);
	}
	return false;
}

volatile uint64_t nested_generation;

static uint64_t leaf(const struct map_job *j, int level, uint64_t addr)
{
	uint64_t size = 1ull << level_shift[level];

	return addr | j->fmt->leaf_bits(addr, size) | (level < LEVELS - 1 ? NPT_LARGE_PAGE : 0);
}

/* Replace the large leaf *e (at level, mapping addr) by a table of the
 * next level's leaves that map the same memory. The table is complete
 * before the one 8-byte store that makes it visible, so a CPU walking the
 * map meanwhile sees the old leaf or the new table, both right. */
static bool split(const struct map_job *j, uint64_t *e, int level, uint64_t addr)
{
	uint64_t sub = page_alloc(), size = 1ull << level_shift[level + 1];
	int i;

	if (!sub)
		return false;
	for (i = 0; i < ENTRIES; i++)
		((uint64_t *)sub)[i] = leaf(j, level + 1, addr + (uint64_t)i * size);
	*(volatile uint64_t *)e = sub | j->fmt->table_bits;
	return true;
}

bool nested_protect_page(uint64_t gpa_page, uint64_t host_pa, bool read_only)
{
	const struct map_job *j = &the_map.job;
	uint64_t *table = (uint64_t *)the_map.root, e;
	int level;

	if (!the_map.root || (gpa_page & (PAGE_SIZE - 1)) || gpa_page >= the_map.limit ||
	    overlaps(gpa_page, PAGE_SIZE, j->hole_base, j->hole_size))
		return false;
	nested_map_fault(gpa_page);    /* mapped on demand so far: map it now */
	for (level = 0; level < LEVELS - 1; level++) {
		uint64_t *ep = &table[(gpa_page >> level_shift[level]) % ENTRIES];

		if (!*ep)
			return false;
		if ((*ep & NPT_LARGE_PAGE) &&
		    !split(j, ep, level, gpa_page & ~((1ull << level_shift[level]) - 1)))
			return false;
		table = (uint64_t *)(*ep & PTE_ADDR_MASK);
	}
	e = leaf(j, LEVELS - 1, host_pa);
	if (read_only)
		e &= ~j->fmt->write_bit;
	*(volatile uint64_t *)&table[(gpa_page >> PAGE_SHIFT_4K) % ENTRIES] = e;
	__atomic_add_fetch(&nested_generation, 1, __ATOMIC_SEQ_CST);
	return true;
}
