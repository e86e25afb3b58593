/* unit.cpu_compat: which APs may join the boot CPU (arch-x86/cpu_compat.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "arch-x86/cpu_compat.h"

/* Bochs corei7_skylake_x as cpu_features_detect reads it, roughly. */
static struct cpu_features skylake(void)
{
	struct cpu_features f;

	memset(&f, 0, sizeof(f));
	f.intel = f.vmx = f.vmx_true_ctls = f.ept = f.vpid = f.unrestricted_guest = true;
	f.preemption_timer = f.load_debug_controls = f.save_debug_controls = true;
	f.monitor_trap_flag = true;
	f.family = 6;
	f.model = 0x55;
	f.stepping = 4;
	return f;
}

static void test_same_cpu_joins(void **state)
{
	struct cpu_features b = skylake(), f = skylake();

	(void)state;
	assert_null(cpu_features_mismatch(&b, &f));
	f.stepping = 7;   /* steppings may differ within one model */
	assert_null(cpu_features_mismatch(&b, &f));
}

static void test_locked_off_is_named(void **state)
{
	struct cpu_features b = skylake(), f = skylake();
	const char *why;

	(void)state;
	f.vmx_locked_off = true;
	why = cpu_features_mismatch(&b, &f);
	assert_non_null(why);
	assert_non_null(strstr(why, "locked off"));
}

static void test_svm_disabled_is_named(void **state)
{
	struct cpu_features b, f;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.amd = b.svm = b.npt = true;
	f = b;
	f.svm_disabled = true;
	assert_non_null(strstr(cpu_features_mismatch(&b, &f), "SVMDIS"));
}

static void test_differences_refused(void **state)
{
	struct cpu_features b = skylake(), f;

	(void)state;
	f = skylake();
	f.ept = false;
	assert_non_null(strstr(cpu_features_mismatch(&b, &f), "virtualization features"));
	f = skylake();
	f.unrestricted_guest = false;
	assert_non_null(cpu_features_mismatch(&b, &f));
	f = skylake();
	f.vmx = false;
	f.svm = true;
	assert_non_null(strstr(cpu_features_mismatch(&b, &f), "vendor"));
	f = skylake();
	f.model = 0x56;
	assert_non_null(strstr(cpu_features_mismatch(&b, &f), "model"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_cpu_joins),
		cmocka_unit_test(test_locked_off_is_named),
		cmocka_unit_test(test_svm_disabled_is_named),
		cmocka_unit_test(test_differences_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
