/*
 * Host unit tests for core/db_delivery.c: what a #DB drvisor raises itself
 * (a single step over an instruction it emulated) does to DR6, DR7 and
 * IA32_DEBUGCTL, as the CPU does when it delivers one (SDM vol. 3B 18.2.3,
 * 18.2.4, 18.4.1, 18.4.3). drtest cases 12 and 13 show the DR6/DR7 part on
 * the emulators; no emulator here has LBR or BTF, so the DEBUGCTL part is
 * proven only here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch-x86/dr.h"
#include "core/db_delivery.h"

static struct db_state deliver(uint64_t dr6, uint64_t dr7, uint64_t debugctl, uint64_t cond)
{
	struct db_state s = { dr6, dr7, debugctl };

	db_deliver(&s, cond);
	return s;
}

/* A step trap from a clean DR6: BS, nothing else. */
static void test_step_from_clean(void **state)
{
	struct db_state s = deliver(DR6_RESET, DR7_RESET, 0, DR6_BS);

	(void)state;
	assert_int_equal(s.dr6, DR6_RESET | DR6_BS);
	assert_int_equal(s.dr7, DR7_RESET);
	assert_int_equal(s.debugctl, 0);
}

/* GD is cleared, every other DR7 bit stays. */
static void test_gd_cleared(void **state)
{
	uint64_t dr7 = DR7_RESET | DR7_GD | DR7_GE | DR7_L0 | (0xdull << 16);
	struct db_state s = deliver(DR6_RESET, dr7, 0, DR6_BS);

	(void)state;
	assert_int_equal(s.dr7, dr7 & ~DR7_GD);
}

/* BD, BS and BT of earlier events stay; B0-B3 are cleared; the new
 * condition is added. */
static void test_sticky_bits(void **state)
{
	struct db_state s = deliver(DR6_RESET | DR6_BD | DR6_BT | 0x5, DR7_RESET, 0, DR6_BS);

	(void)state;
	assert_int_equal(s.dr6, DR6_RESET | DR6_BD | DR6_BT | DR6_BS);
	s = deliver(DR6_RESET | DR6_BS | 0xf, DR7_RESET, 0, 0x2);
	assert_int_equal(s.dr6, DR6_RESET | DR6_BS | 0x2);
}

/* RTM (bit 16, active low) reads 1 after a #DB outside an RTM region;
 * BLD (bit 11, active low) keeps a 0 a bus-lock #DB left there; the other
 * reserved bits read 1, bits 63:32 and bit 12 read 0. */
static void test_active_low_bits(void **state)
{
	struct db_state s = deliver(DR6_RESET & ~DR6_RTM, DR7_RESET, 0, DR6_BS);

	(void)state;
	assert_int_equal(s.dr6, DR6_RESET | DR6_BS);
	s = deliver(DR6_RESET & ~DR6_BLD, DR7_RESET, 0, DR6_BS);
	assert_int_equal(s.dr6, (DR6_RESET & ~DR6_BLD) | DR6_BS);
	s = deliver(0, DR7_RESET, 0, DR6_BS);
	assert_int_equal(s.dr6, (DR6_FIXED_1 & ~DR6_BLD) | DR6_BS);
	s = deliver(~0ull, DR7_RESET, 0, DR6_BS);
	assert_int_equal(s.dr6 & (DR6_HIGH_MASK | (1ull << 12)), 0);
}

/* LBR and BTF are cleared, every other IA32_DEBUGCTL bit stays. */
static void test_debugctl(void **state)
{
	uint64_t others = DEBUGCTL_BUS_LOCK_DETECT | DEBUGCTL_FREEZE_LBRS_ON_PMI |
			  DEBUGCTL_RTM_DEBUG;
	struct db_state s = deliver(DR6_RESET, DR7_RESET, DEBUGCTL_LBR | DEBUGCTL_BTF | others,
				    DR6_BS);

	(void)state;
	assert_int_equal(s.debugctl, others);
	s = deliver(DR6_RESET, DR7_RESET, DEBUGCTL_BTF, DR6_BS);
	assert_int_equal(s.debugctl, 0);
}

/* Only status bits are taken from the conditions. */
static void test_conditions_masked(void **state)
{
	struct db_state s = deliver(DR6_RESET, DR7_RESET, 0, DR6_BS | (1ull << 12) | (1ull << 40));

	(void)state;
	assert_int_equal(s.dr6, DR6_RESET | DR6_BS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_from_clean),
		cmocka_unit_test(test_gd_cleared),
		cmocka_unit_test(test_sticky_bits),
		cmocka_unit_test(test_active_low_bits),
		cmocka_unit_test(test_debugctl),
		cmocka_unit_test(test_conditions_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
