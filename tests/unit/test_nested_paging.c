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

#define WRITE 0x2ull /* the test format's write bit, within LEAF */

static const struct nested_pt_format fmt_1g = { .table_bits = TABLE, .leaf_bits = leaf_bits,
						.gib_pages = true, .write_bit = WRITE };
static const struct nested_pt_format fmt_2m = { .table_bits = TABLE, .leaf_bits = leaf_bits,
						.write_bit = WRITE };

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

/* The leaf entry that maps gpa and its page size (0 when none). */
static uint64_t leaf_of(uint64_t root, uint64_t gpa, uint64_t *size)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)root;
	unsigned level;

	for (level = 0; level < 4; level++) {
		unsigned shift = 39 - 9 * level;
		uint64_t e = t[(gpa >> shift) & 511];

		*size = 1ull << shift;
		if (!e)
			return *size = 0;
		if (level == 3 || (e & NPT_LARGE_PAGE))
			return e;
		t = (const uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return *size = 0;
}

/* Write-trapping one page inside a 1 GiB leaf (core/mmio_trap.h): it is
 * split down to 4 KiB (a PD and a PT), the page loses only its write bit,
 * every other page keeps its identity mapping and rights. */
static void protect_splits_to_4k(void **state)
{
	const uint64_t apic = 0xfee00000ull;
	uint64_t root, size, e, gen;
	unsigned before;

	(void)state;
	phys_bits = 46;
	root = build(&fmt_1g, 1ull << 32);
	e = leaf_of(root, apic, &size);
	assert_int_equal(size, SIZE_1G);
	before = pages_given;
	gen = nested_generation;
	assert_true(nested_protect_page(apic, apic, true));
	assert_int_equal(pages_given - before, 2);
	assert_int_equal(nested_generation, gen + 1);
	e = leaf_of(root, apic, &size);
	assert_int_equal(size, PAGE_SIZE);
	assert_int_equal(e & PTE_ADDR_MASK, apic);
	assert_int_equal(e & 0xfff, LEAF & ~WRITE);
	e = leaf_of(root, apic + PAGE_SIZE, &size);       /* the PT's neighbours */
	assert_int_equal(size, PAGE_SIZE);
	assert_int_equal(e, (apic + PAGE_SIZE) | LEAF);
	e = leaf_of(root, apic - SIZE_2M, &size);         /* the PD's neighbours */
	assert_int_equal(size, SIZE_2M);
	assert_int_equal(e, (apic - SIZE_2M) | LEAF | NPT_LARGE_PAGE);
	assert_int_equal(translate(root, 3ull << 30), 3ull << 30);
	assert_int_equal(translate(root, (4ull << 30) - 1), (4ull << 30) - 1);
	/* A second page in the same PT: no more tables. */
	before = pages_given;
	assert_true(nested_protect_page(apic + PAGE_SIZE, apic + PAGE_SIZE, true));
	assert_int_equal(pages_given, before);
}

/* The absent-device page: the guest page maps another host page,
 * read-only; a 2 MiB map splits once. */
static void protect_remaps(void **state)
{
	const uint64_t gpa = 0xc0001000ull, other = 0x12345000ull;
	uint64_t root, size, e;

	(void)state;
	phys_bits = 40;
	root = build(&fmt_2m, 2ull << 30);
	assert_true(nested_protect_page(gpa, other, true));
	e = leaf_of(root, gpa, &size);
	assert_int_equal(size, PAGE_SIZE);
	assert_int_equal(e, other | (LEAF & ~WRITE));
	assert_int_equal(translate(root, gpa + PAGE_SIZE), gpa + PAGE_SIZE);
	assert_int_equal(translate(root, gpa - PAGE_SIZE), gpa - PAGE_SIZE);
	/* Writable again: the identity back. */
	assert_true(nested_protect_page(gpa, gpa, false));
	assert_int_equal(leaf_of(root, gpa, &size), gpa | LEAF);
}

/* Refused: unaligned, in the hole, at or above the width; out of pages
 * leaves the map as it was. Above the map built up front it is mapped
 * on demand first. */
static void protect_refusals(void **state)
{
	uint64_t root, size;

	(void)state;
	phys_bits = 46;
	root = build(&fmt_1g, 1ull << 32);
	assert_false(nested_protect_page(0xfee00080ull, 0xfee00000ull, true));
	assert_false(nested_protect_page(HOLE_BASE, HOLE_BASE, true));
	assert_false(nested_protect_page(HOLE_BASE + HOLE_SIZE - PAGE_SIZE, 0, true));
	assert_false(nested_protect_page(1ull << 46, 1ull << 46, true));
	/* One page: the 1 GiB leaf splits to 2 MiB ones, the PT is missing;
	 * the memory is mapped as before, writable. */
	pages_left = 1;
	assert_false(nested_protect_page(0x80000000ull, 0x80000000ull, true));
	assert_int_equal(leaf_of(root, 0x80000000ull, &size), 0x80000000ull | LEAF | NPT_LARGE_PAGE);
	assert_int_equal(size, SIZE_2M);
	assert_int_equal(translate(root, 0xbfffffffull), 0xbfffffffull);
	pages_left = POOL_PAGES;
	assert_true(nested_protect_page(5 * TIB, 5 * TIB, true));
	assert_int_equal(leaf_of(root, 5 * TIB, &size) & 0xfff, LEAF & ~WRITE);
	assert_int_equal(translate(root, 5 * TIB + PAGE_SIZE), 5 * TIB + PAGE_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(above_4tib_maps_on_fault),
		cmocka_unit_test(without_gib_pages),
		cmocka_unit_test(hole_never_maps),
		cmocka_unit_test(width_capped_at_48_bits),
		cmocka_unit_test(out_of_pages),
		cmocka_unit_test(protect_splits_to_4k),
		cmocka_unit_test(protect_remaps),
		cmocka_unit_test(protect_refusals),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
