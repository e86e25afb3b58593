/*
 * Host unit tests of what the guest's virtual CPU hides and refuses of the
 * real one (issue 13 items 13, 14, 16): the CPUID masking
 * (arch-x86/cpuid_mask.c), the hidden MSRs, IA32_FEATURE_CONTROL and
 * IA32_XSS (core/msr_policy.c), and the guest-writable EFER bits from
 * CPUID (arch-x86/efer_mask.c). The emulators here have no Intel PT, no
 * debug store and no architectural LBR, so only these tests see the masks
 * act on a CPU that has them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch-x86/cpuid_bits.h"
#include "arch-x86/cpuid_mask.h"
#include "arch-x86/efer_mask.h"
#include "arch-x86/msr.h"
#include "core/msr_policy.h"

#define ALL 0xffffffffu

static struct cpuid_regs masked(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r = { ALL, ALL, ALL, ALL };

	cpuid_mask_guest(leaf, sub, &r);
	return r;
}

static void cpuid_leaf1(void **state)
{
	struct cpuid_regs r = masked(CPUID_FEATURES, 0);

	(void)state;
	assert_int_equal(r.ecx, ALL & ~(CPUID_1_ECX_VMX | CPUID_1_ECX_DTES64 | CPUID_1_ECX_DS_CPL));
	assert_int_equal(r.edx, ALL & ~CPUID_1_EDX_DS);
	assert_int_equal(r.eax, ALL);
	r = (struct cpuid_regs){ 0, 0, 0, 0 };
	cpuid_mask_guest(CPUID_FEATURES, 0, &r);
	assert_int_equal(r.ecx, CPUID_1_ECX_HYPERVISOR);
}

static void cpuid_leaf7(void **state)
{
	struct cpuid_regs r = masked(CPUID_STRUCT_FEATURES, 0);

	(void)state;
	assert_int_equal(r.ebx, ALL & ~CPUID_7_EBX_PT);
	assert_int_equal(r.edx, ALL & ~CPUID_7_EDX_ARCH_LBR);
	assert_int_equal(r.ecx, ALL);
	/* only subleaf 0 holds these bits */
	r = masked(CPUID_STRUCT_FEATURES, 1);
	assert_int_equal(r.ebx, ALL);
	assert_int_equal(r.edx, ALL);
}

static void cpuid_zero_leaves(void **state)
{
	const uint32_t leaves[] = { CPUID_PT_LEAF, CPUID_ARCH_LBR_LEAF, CPUID_SVM_FEATURES };
	unsigned i, sub;

	(void)state;
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		for (sub = 0; sub < 3; sub++) {
			struct cpuid_regs r = masked(leaves[i], sub);

			assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
		}
}

static void cpuid_xsave(void **state)
{
	struct cpuid_regs r = masked(CPUID_XSAVE_LEAF, CPUID_XSAVE_XSS_SUBLEAF);

	(void)state;
	assert_int_equal(r.ecx, ALL & ~(XFEATURE_PT | XFEATURE_ARCH_LBR));
	assert_int_equal(r.eax, ALL);
	r = masked(CPUID_XSAVE_LEAF, XFEATURE_PT_INDEX);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = masked(CPUID_XSAVE_LEAF, XFEATURE_ARCH_LBR_INDEX);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = masked(CPUID_XSAVE_LEAF, 2); /* AVX: untouched */
	assert_int_equal(r.eax & r.ebx & r.ecx & r.edx, ALL);
}

static void cpuid_svm_and_others(void **state)
{
	struct cpuid_regs r = masked(CPUID_EXT_FEATURES, 0);

	(void)state;
	assert_int_equal(r.ecx, ALL & ~CPUID_EXT_ECX_SVM);
	assert_int_equal(r.edx, ALL);
	r = masked(CPUID_ADDR_SIZES, 0);
	assert_int_equal(r.eax & r.ebx & r.ecx & r.edx, ALL);
}

static void hidden_msrs(void **state)
{
	const uint32_t hidden[] = { 0x3f1, 0x560, 0x561, 0x570, 0x571, 0x572, 0x580, 0x587,
				    0x600, 0x14ce, 0x14cf, 0x1200, 0x121f, 0x1500, 0x151f,
				    0x1600, 0x161f };
	const uint32_t visible[] = { 0x10, 0x3a, 0x1d9, 0x3f0, 0x3f2, 0x55f, 0x562, 0x56f,
				     0x573, 0x57f, 0x588, 0x5ff, 0x601, 0x680, 0x14cd, 0x14d0,
				     0x1220, 0x14ff, 0x1520, 0x15ff, 0x1620, 0xc0000080u };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		assert_true(msr_hidden(hidden[i]));
	for (i = 0; i < sizeof(visible) / sizeof(visible[0]); i++)
		assert_false(msr_hidden(visible[i]));
	for (i = 0; i < msr_hidden_range_count; i++)
		assert_true(msr_hidden_ranges[i].last < 0x2000); /* the bitmaps' low range */
}

static void feature_control(void **state)
{
	(void)state;
	/* Bochs VMX: OVMF leaves 0, drvisor locks it with VMX outside SMX on */
	assert_int_equal(msr_feature_control_guest(FEATURE_CONTROL_LOCK |
						   FEATURE_CONTROL_VMX_OUTSIDE_SMX),
			 FEATURE_CONTROL_LOCK);
	assert_int_equal(msr_feature_control_guest(0), FEATURE_CONTROL_LOCK);
	/* SMX bits and SENTER go; SGX (17, 18) and LMCE (20) stay */
	assert_int_equal(msr_feature_control_guest(0x7fffull | (1ull << 18) | (1ull << 20)),
			 FEATURE_CONTROL_LOCK | (1ull << 3) | (1ull << 4) | (1ull << 5) |
				 (1ull << 6) | (1ull << 7) | (1ull << 18) | (1ull << 20));
}

static void xss(void **state)
{
	uint64_t cpu = XFEATURE_PT | XFEATURE_ARCH_LBR | (1u << 11) | (1u << 12);

	(void)state;
	assert_true(msr_xss_writable(0, cpu));
	assert_true(msr_xss_writable((1u << 11) | (1u << 12), cpu));
	assert_false(msr_xss_writable(XFEATURE_PT, cpu));
	assert_false(msr_xss_writable(XFEATURE_ARCH_LBR, cpu));
	assert_false(msr_xss_writable(1u << 13, cpu)); /* not the CPU's */
	assert_false(msr_xss_writable(1ull << 40, cpu));
}

static void efer_zen4(void **state)
{
	struct efer_cpuid c = {
		.ext_ecx = CPUID_EXT_ECX_TCE,
		.ext_edx = CPUID_EXT_EDX_SYSCALL | CPUID_EXT_EDX_LM | CPUID_EXT_EDX_NX |
			   CPUID_EXT_EDX_FFXSR,
		.addr_ebx = CPUID_8_EBX_MCOMMIT | CPUID_8_EBX_INT_WBINVD | CPUID_8_EBX_EFER_LMSLE_MBZ,
		.ext2_eax = CPUID_21_EAX_UAI | CPUID_21_EAX_AUTOIBRS,
	};

	(void)state;
	assert_int_equal(efer_guest_writable(&c),
			 EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR | EFER_TCE | EFER_MCOMMIT |
				 EFER_INTWB | EFER_UAIE | EFER_AIBRSE);
}

static void efer_minimal(void **state)
{
	struct efer_cpuid c = { .ext_edx = CPUID_EXT_EDX_SYSCALL | CPUID_EXT_EDX_LM };
	struct efer_cpuid none = { 0 };

	(void)state;
	assert_int_equal(efer_guest_writable(&c), EFER_SCE | EFER_LME);
	assert_int_equal(efer_guest_writable(&none), 0);
}

/* LMSLE, SVME and LMA never, whatever CPUID says; nothing above bit 21. */
static void efer_never(void **state)
{
	struct efer_cpuid all = { ALL, ALL, ALL, ALL };
	struct efer_cpuid no_mbz = { ALL, ALL, ALL & ~CPUID_8_EBX_EFER_LMSLE_MBZ, ALL };

	(void)state;
	assert_int_equal(efer_guest_writable(&all) & (EFER_LMSLE | EFER_SVME | EFER_LMA), 0);
	assert_int_equal(efer_guest_writable(&no_mbz) & EFER_LMSLE, 0);
	assert_int_equal(efer_guest_writable(&all) & ~((1ull << 22) - 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpuid_leaf1),
		cmocka_unit_test(cpuid_leaf7),
		cmocka_unit_test(cpuid_zero_leaves),
		cmocka_unit_test(cpuid_xsave),
		cmocka_unit_test(cpuid_svm_and_others),
		cmocka_unit_test(hidden_msrs),
		cmocka_unit_test(feature_control),
		cmocka_unit_test(xss),
		cmocka_unit_test(efer_zen4),
		cmocka_unit_test(efer_minimal),
		cmocka_unit_test(efer_never),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
