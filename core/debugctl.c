/* The guest's virtual IA32_DEBUGCTL (core/debugctl.h). */
#include "debugctl.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/dr.h"
#include "arch-x86/msr.h"

/* Intel's enumeration, SDM vol. 4 table 2-2 (IA32_DEBUGCTL): bus-lock
 * detect with CPUID.(7,0):ECX[24], RTM_DEBUG with CPUID.(7,0):EBX.RTM, the
 * two freeze-on-PMI bits with PDCM and architectural PMU version > 1,
 * FREEZE_WHILE_SMM with IA32_PERF_CAPABILITIES[12]. ENABLE_UNCORE_PMI is
 * model-specific (nothing enumerates it) and stays reserved. */
static uint64_t intel_bits(const struct debugctl_cpuid *c)
{
	bool pdcm = c->leaf1_ecx & CPUID_1_ECX_PDCM;
	uint64_t bits = 0;

	if (c->leaf7_ebx & CPUID_7_EBX_RTM)
		bits |= DEBUGCTL_RTM_DEBUG;
	if (pdcm && (c->leafa_eax & CPUID_A_EAX_PMU_VERSION) > 1)
		bits |= DEBUGCTL_FREEZE_LBRS_ON_PMI | DEBUGCTL_FREEZE_PERFMON_ON_PMI;
	if (pdcm && (c->perf_capabilities & PERF_CAP_FREEZE_WHILE_SMM))
		bits |= DEBUGCTL_FREEZE_WHILE_SMM;
	return bits;
}

uint64_t debugctl_supported(const struct debugctl_cpuid *c)
{
	uint64_t bits = DEBUGCTL_LBR | DEBUGCTL_BTF;

	/* Bus-lock detect is DebugCtl[2] on both vendors (SDM vol. 3B 18.3.1.6;
	 * AMD: same CPUID bit and MSR bit), where bits 5:2 were AMD's
	 * long-gone performance-monitor pin controls (reserved now). */
	if (c->leaf7_ecx & CPUID_7_ECX_BUS_LOCK_DETECT)
		bits |= DEBUGCTL_BUS_LOCK_DETECT;
	return c->intel ? bits | intel_bits(c) : bits;
}

uint64_t debugctl_after_exit(uint64_t entered, uint64_t reported, uint64_t held)
{
	return entered & ~(DEBUGCTL_CLEARED_BY_DB & held & ~reported);
}
