/*
 * Host unit tests for core/debugctl.c: the guest's IA32_DEBUGCTL bits from
 * the CPU's enumeration (issue 13 item 5), what CPUID hides, and what drvisor
 * believes of the register after an exit (item 3: the CPU clears LBR/BTF
 * when it delivers a #DB; VMX's "save debug controls" and SVM's LBR
 * virtualization store that). No emulator here implements LBR, BTF or any
 * of the enumerated bits, so these decisions are proven here; the reasoning
 * is in docs/debug-registers.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch-x86/cpuid_bits.h"
#include "arch-x86/dr.h"
#include "arch-x86/msr.h"
#include "core/debugctl.h"

#define BASE (DEBUGCTL_LBR | DEBUGCTL_BTF)

/* The emulators here: nothing enumerated beyond LBR and BTF. */
static void test_plain_cpus(void **state)
{
	struct debugctl_cpuid intel = { .intel = true }, amd = { .intel = false };

	(void)state;
	assert_int_equal(debugctl_supported(&intel), BASE);
	assert_int_equal(debugctl_supported(&amd), BASE);
}

static void test_bus_lock_detect(void **state)
{
	struct debugctl_cpuid c = { .intel = true, .leaf7_ecx = CPUID_7_ECX_BUS_LOCK_DETECT };

	(void)state;
	assert_int_equal(debugctl_supported(&c), BASE | DEBUGCTL_BUS_LOCK_DETECT);
	c.intel = false;   /* AMD: the same CPUID bit, the same DebugCtl bit */
	assert_int_equal(debugctl_supported(&c), BASE | DEBUGCTL_BUS_LOCK_DETECT);
}

static void test_rtm_debug(void **state)
{
	struct debugctl_cpuid c = { .intel = true, .leaf7_ebx = CPUID_7_EBX_RTM };

	(void)state;
	assert_int_equal(debugctl_supported(&c), BASE | DEBUGCTL_RTM_DEBUG);
	c.intel = false;   /* not an AMD DebugCtl bit */
	assert_int_equal(debugctl_supported(&c), BASE);
}

/* FREEZE_*_ON_PMI: PDCM and PMU version > 1; FREEZE_WHILE_SMM: PDCM and
 * IA32_PERF_CAPABILITIES[12] (SDM vol. 4 table 2-2). */
static void test_freeze_bits(void **state)
{
	struct debugctl_cpuid c = { .intel = true, .leaf1_ecx = CPUID_1_ECX_PDCM, .leafa_eax = 2 };
	const uint64_t pmi = DEBUGCTL_FREEZE_LBRS_ON_PMI | DEBUGCTL_FREEZE_PERFMON_ON_PMI;

	(void)state;
	assert_int_equal(debugctl_supported(&c), BASE | pmi);
	c.leafa_eax = 0x07300401;   /* version 1 in bits 7:0, other fields set */
	assert_int_equal(debugctl_supported(&c), BASE);
	c.leafa_eax = 0x07300805;
	c.perf_capabilities = PERF_CAP_FREEZE_WHILE_SMM;
	assert_int_equal(debugctl_supported(&c), BASE | pmi | DEBUGCTL_FREEZE_WHILE_SMM);
	c.leaf1_ecx = 0;            /* without PDCM neither exists */
	assert_int_equal(debugctl_supported(&c), BASE);
}

/* Never accepted: the branch trace store family (DS area not virtualized),
 * ENABLE_UNCORE_PMI (model-specific), bits 5:3 and 63:16, whatever CPUID
 * says. */
static void test_never(void **state)
{
	struct debugctl_cpuid c = { .intel = true, .leaf1_ecx = ~0u, .leaf7_ebx = ~0u,
				    .leaf7_ecx = ~0u, .leafa_eax = ~0u, .perf_capabilities = ~0ull };
	uint64_t never = DEBUGCTL_TR | DEBUGCTL_BTS | DEBUGCTL_BTINT | DEBUGCTL_BTS_OFF_OS |
			 DEBUGCTL_BTS_OFF_USR | DEBUGCTL_ENABLE_UNCORE_PMI | (7ull << 3) |
			 ~0xffffull;

	(void)state;
	assert_int_equal(debugctl_supported(&c) & never, 0);
	assert_int_equal(debugctl_supported(&c),
			 BASE | DEBUGCTL_BUS_LOCK_DETECT | DEBUGCTL_FREEZE_LBRS_ON_PMI |
			 DEBUGCTL_FREEZE_PERFMON_ON_PMI | DEBUGCTL_FREEZE_WHILE_SMM |
			 DEBUGCTL_RTM_DEBUG);
	c.intel = false;
	assert_int_equal(debugctl_supported(&c), BASE | DEBUGCTL_BUS_LOCK_DETECT);
}

/* A #DB the CPU delivered cleared BTF (VMX: the VMCS field after "save
 * debug controls"): the guest now has BTF clear, so that its re-arming
 * WRMSR is a change and reaches the VMCS (issue 13 item 3). */
static void test_after_exit_db_cleared(void **state)
{
	(void)state;
	assert_int_equal(debugctl_after_exit(DEBUGCTL_BTF, 0, BASE), 0);
	assert_int_equal(debugctl_after_exit(BASE | DEBUGCTL_BUS_LOCK_DETECT,
					     DEBUGCTL_BUS_LOCK_DETECT, BASE),
			 DEBUGCTL_BUS_LOCK_DETECT);
	assert_int_equal(debugctl_after_exit(BASE, DEBUGCTL_BTF, BASE), DEBUGCTL_BTF);
}

/* Nothing changed: the value stays. */
static void test_after_exit_unchanged(void **state)
{
	(void)state;
	assert_int_equal(debugctl_after_exit(BASE, BASE, BASE), BASE);
	assert_int_equal(debugctl_after_exit(0, 0, BASE), 0);
}

/* Hardware that does not keep the bits (the emulators: QEMU reads 0, Bochs
 * has no such MSR) reports 0: the virtual value, which the guest must read
 * back, stays. */
static void test_after_exit_not_held(void **state)
{
	(void)state;
	assert_int_equal(debugctl_after_exit(BASE, 0, 0), BASE);
	assert_int_equal(debugctl_after_exit(BASE, 0, DEBUGCTL_LBR), DEBUGCTL_BTF);
}

/* The hardware never sets bits, nor clears others, on the guest's behalf:
 * such a report is not believed. */
static void test_after_exit_only_clearing(void **state)
{
	(void)state;
	assert_int_equal(debugctl_after_exit(0, BASE, BASE), 0);
	assert_int_equal(debugctl_after_exit(DEBUGCTL_BUS_LOCK_DETECT, 0, BASE),
			 DEBUGCTL_BUS_LOCK_DETECT);
	assert_int_equal(debugctl_after_exit(DEBUGCTL_RTM_DEBUG, ~0ull, ~0ull), DEBUGCTL_RTM_DEBUG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_cpus),
		cmocka_unit_test(test_bus_lock_detect),
		cmocka_unit_test(test_rtm_debug),
		cmocka_unit_test(test_freeze_bits),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_after_exit_db_cleared),
		cmocka_unit_test(test_after_exit_unchanged),
		cmocka_unit_test(test_after_exit_not_held),
		cmocka_unit_test(test_after_exit_only_clearing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
