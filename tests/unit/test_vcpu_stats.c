/*
 * Host unit test of core/vcpu_stats.c: resetting the exit statistics (the
 * monitor's `stats reset`) must not make drvisor believe that the guest
 * never ran, or a later failed entry would return into the loader's stack
 * frame, long gone (core/launch.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vcpu_stats.h"

static void fresh_vcpu_has_not_run(void **state)
{
	struct vcpu v = { 0 };

	(void)state;
	assert_false(vcpu_has_run(&v));
	vcpu_stats_reset(&v);
	assert_false(vcpu_has_run(&v));
}

static void exit_means_ran(void **state)
{
	struct vcpu v = { 0 };

	(void)state;
	vcpu_count_exit(&v, DV_EXIT_CPUID);
	assert_true(vcpu_has_run(&v));
}

static void reset_zeroes_counts_but_not_ran(void **state)
{
	struct vcpu v = { 0 };
	unsigned i;

	(void)state;
	vcpu_count_exit(&v, DV_EXIT_CPUID);
	vcpu_count_exit(&v, DV_EXIT_IO);
	vcpu_stats_reset(&v);
	assert_int_equal(v.exits_total, 0);
	for (i = 0; i < DV_EXIT_REASON_COUNT; i++)
		assert_int_equal(v.exits[i], 0);
	assert_true(vcpu_has_run(&v));
	/* and after a second reset, still */
	vcpu_stats_reset(&v);
	assert_true(vcpu_has_run(&v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_vcpu_has_not_run),
		cmocka_unit_test(exit_means_ran),
		cmocka_unit_test(reset_zeroes_counts_but_not_ran),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
