/*
 * Host unit test of arch-x86/nested_paging.c, the one builder of NPT and
 * EPT (issue 13 item 15): the map built up front stops at nested_map_top
 * (4 TiB at most), and every address above it up to the CPU's physical
 * width is mapped on the first fault (nested_map_fault) as an identity
 * page, while drvisor's hole never maps. Pages come from a static pool:
 * host pointers stand for physical addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch-x86/nested_paging.h"
#include "arch-x86/paging.h"
#include "core/memory.h"

#define TIB (1ull << 40)
#define LEAF 0x7ull  /* what the test format's leaves carry */
#define TABLE 0x3ull

#define POOL_PAGES 1024
static uint8_t pool[POOL_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static unsigned pages_given, pages_left;

uint64_t page_alloc(void)
{
	void *p;

	if (!pages_left || pages_given == POOL_PAGES)
		return 0;
	pages_left--;
	p = pool[pages_given++];
	memset(p, 0, PAGE_SIZE);
	return (uint64_t)(uintptr_t)p;
}

static unsigned phys_bits = 46;

unsigned cpu_phys_addr_bits(void)
{
	return phys_bits;
}

static uint64_t leaf_bits(uint64_t addr, uint64_t size)
{
	(void)addr;
	(void)size;
	return LEAF;
}

static const struct nested_pt_format fmt_1g = { .table_bits = TABLE, .leaf_bits = leaf_bits,
						.gib_pages = true };
static const struct nested_pt_format fmt_2m = { .table_bits = TABLE, .leaf_bits = leaf_bits };

/* Walk root for gpa: the physical address it maps to, or ~0 if none. */
static uint64_t translate(uint64_t root, uint64_t gpa)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)root;
	unsigned level;

	for (level = 0; level < 4; level++) {
		unsigned shift = 39 - 9 * level;
		uint64_t e = t[(gpa >> shift) & 511], size = 1ull << shift;

		if (!e)
			return ~0ull;
		if (level == 3 || (e & NPT_LARGE_PAGE)) {
			assert_int_equal(e & LEAF, LEAF);
			return (e & PTE_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
		}
		assert_int_equal(e & 0xfff, TABLE);
		t = (const uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return ~0ull;
}

#define HOLE_BASE 0x7f000000ull
#define HOLE_SIZE 0x00440000ull

static uint64_t build(const struct nested_pt_format *f, uint64_t mem_top)
{
	uint64_t root;

	pages_left = POOL_PAGES;
	pages_given = 0;
	root = nested_identity_map(nested_map_top(mem_top, f->gib_pages), nested_map_limit(),
				   HOLE_BASE, HOLE_SIZE, f);
	assert_int_not_equal(root, 0);
	return root;
}

static void above_4tib_maps_on_fault(void **state)
{
	uint64_t root, gpa = 5 * TIB + 0x123456789ull;

	(void)state;
	phys_bits = 46;
	root = build(&fmt_1g, 1ull << 32);
	assert_int_equal(translate(root, 4 * TIB - 1), 4 * TIB - 1);
	assert_int_equal(translate(root, gpa), ~0ull);      /* beyond the map built up front */
	assert_true(nested_map_fault(gpa));
	assert_int_equal(translate(root, gpa), gpa);        /* identity */
	assert_int_equal(translate(root, gpa + (1ull << 28)), gpa + (1ull << 28)); /* same 1 GiB */
	assert_false(nested_map_fault(gpa));                /* mapped already */
	/* the last byte below 2^46, and nothing from 2^46 up */
	assert_true(nested_map_fault((1ull << 46) - 1));
	assert_int_equal(translate(root, (1ull << 46) - 1), (1ull << 46) - 1);
	assert_false(nested_map_fault(1ull << 46));
	assert_int_equal(translate(root, 1ull << 46), ~0ull);
}

static void without_gib_pages(void **state)
{
	uint64_t root, gpa = 0x0000123456789abcull & ((1ull << 40) - 1);

	(void)state;
	phys_bits = 40;
	root = build(&fmt_2m, 2ull << 30); /* 2 GiB of RAM: the map stops at 4 GiB */
	assert_int_equal(translate(root, (4ull << 30) - 1), (4ull << 30) - 1);
	assert_int_equal(translate(root, 4ull << 30), ~0ull);
	assert_true(nested_map_fault(4ull << 30));
	assert_int_equal(translate(root, (4ull << 30) + SIZE_2M - 1), (4ull << 30) + SIZE_2M - 1);
	assert_int_equal(translate(root, (4ull << 30) + SIZE_2M), ~0ull); /* 2 MiB leaves */
	assert_true(nested_map_fault(gpa));
	assert_int_equal(translate(root, gpa), gpa);
	assert_false(nested_map_fault(1ull << 40));
}

static void hole_never_maps(void **state)
{
	uint64_t root, a;

	(void)state;
	phys_bits = 46;
	root = build(&fmt_1g, 1ull << 32);
	for (a = HOLE_BASE; a < HOLE_BASE + HOLE_SIZE; a += PAGE_SIZE) {
		assert_int_equal(translate(root, a), ~0ull);
		assert_false(nested_map_fault(a));
		assert_int_equal(translate(root, a), ~0ull);
	}
	assert_int_equal(translate(root, HOLE_BASE - 1), HOLE_BASE - 1);
	assert_int_equal(translate(root, HOLE_BASE + HOLE_SIZE), HOLE_BASE + HOLE_SIZE);
}

static void width_capped_at_48_bits(void **state)
{
	uint64_t root;

	(void)state;
	phys_bits = 52;
	root = build(&fmt_1g, 1ull << 32);
	assert_true(nested_map_fault((1ull << 48) - 1));
	assert_int_equal(translate(root, (1ull << 48) - 1), (1ull << 48) - 1);
	assert_false(nested_map_fault(1ull << 48));
}

static void out_of_pages(void **state)
{
	(void)state;
	phys_bits = 46;
	build(&fmt_1g, 1ull << 32);
	pages_left = 0;
	assert_false(nested_map_fault(40 * TIB)); /* needs a new PDPT: none left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(above_4tib_maps_on_fault),
		cmocka_unit_test(without_gib_pages),
		cmocka_unit_test(hole_never_maps),
		cmocka_unit_test(width_capped_at_48_bits),
		cmocka_unit_test(out_of_pages),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
