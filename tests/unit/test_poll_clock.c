/*
 * Host unit test of core/poll_clock.h: the monitor's poll is due after
 * MONITOR_POLL_PERIOD_TSC ticks or MONITOR_POLL_PERIOD_EXITS exits since
 * the last one, and nothing the guest does to its TSC (WRMSR IA32_TSC or
 * IA32_TSC_ADJUST, backwards or forwards, once or before every exit) nor a
 * `stats reset` postpones it. (An absolute TSC deadline, as before, fails
 * backwards_jump and pinned_tsc.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/poll_clock.h"

#define T0 0x0000123456789abcull

static void not_due_within_period(void **state)
{
	struct poll_clock c;

	(void)state;
	poll_clock_mark(&c, T0, 100);
	assert_false(poll_clock_due(&c, T0, 100));
	assert_false(poll_clock_due(&c, T0 + MONITOR_POLL_PERIOD_TSC - 1, 100 + 10));
	assert_true(poll_clock_due(&c, T0 + MONITOR_POLL_PERIOD_TSC, 101));
}

static void backwards_jump(void **state)
{
	struct poll_clock c;

	(void)state;
	poll_clock_mark(&c, T0, 0);
	assert_true(poll_clock_due(&c, T0 - 1, 1));
	assert_true(poll_clock_due(&c, T0 - (1ull << 40), 1));
	assert_true(poll_clock_due(&c, 0, 1));
}

static void forwards_jump(void **state)
{
	struct poll_clock c;

	(void)state;
	poll_clock_mark(&c, T0, 0);
	assert_true(poll_clock_due(&c, T0 + (1ull << 50), 1));
	assert_true(poll_clock_due(&c, UINT64_MAX, 1));
}

/* A guest that sets its TSC to the same value before every exit: the TSC
 * difference stays 0, the exit count still makes the poll due. */
static void pinned_tsc(void **state)
{
	struct poll_clock c;
	uint64_t exits = 7;
	unsigned i;

	(void)state;
	poll_clock_mark(&c, T0, exits);
	for (i = 1; i < MONITOR_POLL_PERIOD_EXITS; i++)
		assert_false(poll_clock_due(&c, T0, exits + i));
	assert_true(poll_clock_due(&c, T0, exits + MONITOR_POLL_PERIOD_EXITS));
}

/* `stats reset` zeroes exits_total: the next exit polls at once. */
static void stats_reset(void **state)
{
	struct poll_clock c;

	(void)state;
	poll_clock_mark(&c, T0, 5000);
	assert_true(poll_clock_due(&c, T0, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_due_within_period),
		cmocka_unit_test(backwards_jump),
		cmocka_unit_test(forwards_jump),
		cmocka_unit_test(pinned_tsc),
		cmocka_unit_test(stats_reset),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
