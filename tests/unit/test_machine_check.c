/* core/machine_check.c: what a machine check becomes (issue 13 item 9).
 * No emulator here raises one (Bochs: "Machine Checks ... bochs doesn't
 * support these", cpu/event.cc; QEMU TCG only from its monitor's `mce`
 * command), so the decisions are proven here and the paths that use them
 * are described in docs/architecture.md. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/machine_check.h"
#include "arch-x86/cr.h"

static void test_host_resumes_only_with_ripv(void **state)
{
	(void)state;
	/* RIPV alone, or with EIPV/MCIP as the CPU sets them on delivery. */
	assert_int_equal(machine_check_host_action(MCG_STATUS_RIPV), MC_HOST_REFLECT);
	assert_int_equal(machine_check_host_action(MCG_STATUS_RIPV | MCG_STATUS_MCIP),
			 MC_HOST_REFLECT);
	assert_int_equal(machine_check_host_action(MCG_STATUS_RIPV | MCG_STATUS_EIPV |
						   MCG_STATUS_MCIP), MC_HOST_REFLECT);
	/* Without RIPV the interrupted host code cannot go on. */
	assert_int_equal(machine_check_host_action(0), MC_HOST_STOP);
	assert_int_equal(machine_check_host_action(MCG_STATUS_MCIP), MC_HOST_STOP);
	assert_int_equal(machine_check_host_action(MCG_STATUS_EIPV | MCG_STATUS_MCIP),
			 MC_HOST_STOP);
	assert_int_equal(machine_check_host_action(~MCG_STATUS_RIPV), MC_HOST_STOP);
}

static void test_guest_gets_mc_only_with_cr4_mce(void **state)
{
	(void)state;
	assert_int_equal(machine_check_guest_action(CR4_MCE), MC_GUEST_INJECT);
	/* A typical long-mode OS: PAE, PGE, OSFXSR, OSXMMEXCPT and MCE. */
	assert_int_equal(machine_check_guest_action(0x6e0 | CR4_MCE), MC_GUEST_INJECT);
	assert_int_equal(machine_check_guest_action(0), MC_GUEST_SHUTDOWN);
	assert_int_equal(machine_check_guest_action(~CR4_MCE), MC_GUEST_SHUTDOWN);
	assert_int_equal(machine_check_guest_action(0x6a0), MC_GUEST_SHUTDOWN);
}

static void test_pending_is_taken_once(void **state)
{
	volatile bool pending = false;

	(void)state;
	assert_false(machine_check_take(&pending));
	machine_check_record(&pending);
	machine_check_record(&pending); /* two before an entry: one #MC, as the CPU latches one */
	assert_true(pending);
	assert_true(machine_check_take(&pending));
	assert_false(pending);
	assert_false(machine_check_take(&pending));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_resumes_only_with_ripv),
		cmocka_unit_test(test_guest_gets_mc_only_with_cr4_mce),
		cmocka_unit_test(test_pending_is_taken_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
