/* The MSR answers common to both vendors (msr_policy.h). Why these MSRs
 * are hidden: arch-x86/cpuid_mask.c. */
#include "msr_policy.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/msr.h"

const struct msr_range msr_hidden_ranges[] = {
	{ MSR_IA32_PEBS_ENABLE, MSR_IA32_PEBS_ENABLE },
	{ MSR_IA32_RTIT_OUTPUT_BASE, MSR_IA32_RTIT_OUTPUT_MASK_PTRS },
	{ MSR_IA32_RTIT_CTL, MSR_IA32_RTIT_CR3_MATCH },
	{ MSR_IA32_RTIT_ADDR0_A, MSR_IA32_RTIT_ADDR3_B },
	{ MSR_IA32_DS_AREA, MSR_IA32_DS_AREA },
	{ MSR_IA32_LBR_INFO_0, MSR_IA32_LBR_INFO_31 },
	{ MSR_IA32_LBR_CTL, MSR_IA32_LBR_DEPTH },
	{ MSR_IA32_LBR_FROM_IP_0, MSR_IA32_LBR_FROM_IP_31 },
	{ MSR_IA32_LBR_TO_IP_0, MSR_IA32_LBR_TO_IP_31 },
};
const unsigned msr_hidden_range_count = sizeof(msr_hidden_ranges) / sizeof(msr_hidden_ranges[0]);

bool msr_hidden(uint32_t msr)
{
	unsigned i;

	for (i = 0; i < msr_hidden_range_count; i++)
		if (msr >= msr_hidden_ranges[i].first && msr <= msr_hidden_ranges[i].last)
			return true;
	return false;
}

uint64_t msr_feature_control_guest(uint64_t host)
{
	return (host & ~(FEATURE_CONTROL_VMX_INSIDE_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX |
			 FEATURE_CONTROL_SENTER_MASK)) |
	       FEATURE_CONTROL_LOCK;
}

bool msr_xss_writable(uint64_t val, uint64_t cpu_xss)
{
	return !(val & ~(cpu_xss & ~(uint64_t)(XFEATURE_PT | XFEATURE_ARCH_LBR)));
}
