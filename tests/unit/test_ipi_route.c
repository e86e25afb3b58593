/* unit.ipi_route: which CPUs an INIT or SIPI reaches (core/ipi_route.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/ipi_route.h"
#include "arch-x86/apic.h"

#define INIT_ASSERT (APIC_ICR_DELIVERY_INIT | APIC_ICR_LEVEL_ASSERT | APIC_ICR_TRIGGER_LEVEL)
#define INIT_DEASSERT (APIC_ICR_DELIVERY_INIT | APIC_ICR_TRIGGER_LEVEL)
#define SIPI(v) (APIC_ICR_DELIVERY_STARTUP | (v))

/* Four CPUs with APIC IDs that are not their numbers. */
static const uint32_t ids[] = { 0, 2, 4, 6 };
static const struct ipi_cpus four = { 4, ids };

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(ipi_kind(INIT_ASSERT), IPI_INIT);
	assert_int_equal(ipi_kind(APIC_ICR_DELIVERY_INIT), IPI_INIT);  /* edge INIT */
	assert_int_equal(ipi_kind(INIT_DEASSERT), IPI_INIT_DEASSERT);
	assert_int_equal(ipi_kind(SIPI(0x9a)), IPI_SIPI);
	assert_int_equal(ipi_kind(APIC_ICR_DELIVERY_FIXED | 0x40), IPI_OTHER);
	assert_int_equal(ipi_kind(APIC_ICR_DELIVERY_NMI), IPI_OTHER);
}

static void test_physical(void **state)
{
	struct ipi_targets t;

	(void)state;
	t = ipi_route(INIT_ASSERT, 4, false, 0, &four);
	assert_int_equal(t.cpus, 1u << 2);
	assert_false(t.unknown);
	t = ipi_route(SIPI(0x10), 6, true, 1, &four);
	assert_int_equal(t.cpus, 1u << 3);
	/* An APIC ID that no CPU has: nobody under drvisor. */
	t = ipi_route(INIT_ASSERT, 3, false, 0, &four);
	assert_int_equal(t.cpus, 0);
	assert_true(t.unknown);
	/* Broadcast IDs: 0xff in xAPIC mode, all ones in x2APIC mode. */
	assert_int_equal(ipi_route(INIT_ASSERT, 0xff, false, 0, &four).cpus, 0xf);
	assert_int_equal(ipi_route(INIT_ASSERT, 0xffffffffu, true, 0, &four).cpus, 0xf);
	t = ipi_route(INIT_ASSERT, 0xff, true, 0, &four);   /* an ordinary ID in x2APIC */
	assert_int_equal(t.cpus, 0);
	assert_true(t.unknown);
}

static void test_shorthands(void **state)
{
	(void)state;
	/* The destination field is ignored with a shorthand. */
	assert_int_equal(ipi_route(INIT_ASSERT | APIC_ICR_SHORTHAND_SELF, 6, false, 1, &four).cpus,
			 1u << 1);
	assert_int_equal(ipi_route(INIT_ASSERT | APIC_ICR_SHORTHAND_ALL, 6, false, 1, &four).cpus,
			 0xf);
	assert_int_equal(ipi_route(SIPI(8) | APIC_ICR_SHORTHAND_OTHERS, 0, false, 0, &four).cpus,
			 0xe);
	assert_int_equal(ipi_route(SIPI(8) | APIC_ICR_SHORTHAND_OTHERS, 0, false, 3, &four).cpus,
			 0x7);
}

static void test_logical_is_flagged(void **state)
{
	struct ipi_targets t = ipi_route(INIT_ASSERT | APIC_ICR_DEST_LOGICAL, 1, false, 0, &four);

	(void)state;
	assert_true(t.logical);
	assert_int_equal(t.cpus, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_logical_is_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
