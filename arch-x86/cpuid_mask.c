/*
 * The guest's CPUID (cpuid_mask.h).
 *
 * Why each feature is hidden:
 * - VMX and SVM: the guest runs on drvisor and may not nest.
 * - Intel PT (CPUID.7.0:EBX[25], leaf 0x14): trace output goes to physical
 *   addresses that bypass EPT unless "Intel PT uses guest physical
 *   addresses" is set (SDM vol. 3C 26.5.4 / 33.5.2), so a guest could trace
 *   into drvisor's memory. Its MSRs raise #GP (core/msr_policy.c) and its
 *   XSAVE component is not offered (CPUID.(0xD,1):ECX[8]).
 * - The debug store (CPUID.1:EDX.DS, ECX.DTES64, ECX.DS-CPL): BTS and PEBS
 *   records are written to IA32_DS_AREA's linear addresses by the CPU at any
 *   time, also after a VM exit through the host's page tables unless the CPU
 *   virtualizes PEBS (SDM vol. 3B 20.9.5), so DS_AREA and PEBS_ENABLE raise
 *   #GP and DEBUGCTL.BTS is refused (core/debugreg.c).
 * - Architectural LBR (CPUID.7.0:EDX[19], leaf 0x1c): IA32_LBR_CTL would be
 *   a second switch for the LBR state that drvisor virtualizes only through
 *   IA32_DEBUGCTL, and neither VMCS field nor VMCB carries it; its MSRs
 *   raise #GP and its XSAVE component (CPUID.(0xD,1):ECX[15]) is hidden.
 */
#include "cpuid_mask.h"
#include "cpuid_bits.h"

static void mask_features(struct cpuid_regs *r)
{
	r->ecx = (r->ecx | CPUID_1_ECX_HYPERVISOR) &
		 ~(CPUID_1_ECX_VMX | CPUID_1_ECX_DTES64 | CPUID_1_ECX_DS_CPL);
	r->edx &= ~CPUID_1_EDX_DS;
}

void cpuid_mask_guest(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case CPUID_FEATURES:
		mask_features(r);
		break;
	case CPUID_STRUCT_FEATURES:
		if (sub == 0) {
			r->ebx &= ~CPUID_7_EBX_PT;
			r->edx &= ~CPUID_7_EDX_ARCH_LBR;
		}
		break;
	case CPUID_XSAVE_LEAF:
		if (sub == CPUID_XSAVE_XSS_SUBLEAF)
			r->ecx &= ~(XFEATURE_PT | XFEATURE_ARCH_LBR);
		else if (sub == XFEATURE_PT_INDEX || sub == XFEATURE_ARCH_LBR_INDEX)
			*r = (struct cpuid_regs){ 0, 0, 0, 0 }; /* those components' sizes */
		break;
	case CPUID_PT_LEAF:
	case CPUID_ARCH_LBR_LEAF:
	case CPUID_SVM_FEATURES:
		*r = (struct cpuid_regs){ 0, 0, 0, 0 };
		break;
	case CPUID_EXT_FEATURES:
		r->ecx &= ~CPUID_EXT_ECX_SVM;
		break;
	default:
		break;
	}
}
