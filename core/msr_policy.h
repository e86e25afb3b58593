/*
 * The MSR answers that are the same on both vendors: which MSRs the
 * guest's CPU does not have (RDMSR and WRMSR raise #GP(0), as on a CPU
 * without the feature: the CPUID bits are hidden by arch-x86/cpuid_mask.c),
 * what IA32_FEATURE_CONTROL reads, which IA32_XSS bits may be set. The
 * vendors intercept these MSRs in their bitmaps and ask here.
 */
#ifndef DRVISOR_CORE_MSR_POLICY_H
#define DRVISOR_CORE_MSR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct msr_range {
	uint32_t first, last;   /* inclusive */
};

/* The hidden MSRs: Intel PT, the debug store (BTS/PEBS), architectural
 * LBRs. All lie in 0-0x1fff, the low range of both vendors' bitmaps. */
extern const struct msr_range msr_hidden_ranges[];
extern const unsigned msr_hidden_range_count;

/* Whether the guest's RDMSR/WRMSR of msr raises #GP(0) for that reason. */
bool msr_hidden(uint32_t msr);

/* What the guest reads from IA32_FEATURE_CONTROL, given the host's value
 * (which drvisor itself locked with VMX on, arch-x86/vmx/vmx.c): locked,
 * VMX off inside and outside SMX, SENTER off; the other bits (SGX, LMCE)
 * as the firmware set them. Writes raise #GP(0): the MSR is locked. */
uint64_t msr_feature_control_guest(uint64_t host);

/* Whether the guest may write val to IA32_XSS on a CPU whose supported
 * XSS bits are cpu_xss (CPUID.(0xD,1):EDX:ECX): not the PT and
 * architectural-LBR components, whose XRSTORS would load the hidden MSRs. */
bool msr_xss_writable(uint64_t val, uint64_t cpu_xss);

#endif
