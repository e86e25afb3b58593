/*
 * The guest's virtual IA32_DEBUGCTL: which bits it has (from the CPU's
 * CPUID), what CPUID must hide because drvisor cannot hold the feature
 * behind it, and what to believe after an exit when the CPU may have changed
 * the register itself. Pure: host unit tests in tests/unit/test_debugctl.c;
 * the reasoning is in docs/debug-registers.md ("IA32_DEBUGCTL").
 */
#ifndef DRVISOR_CORE_DEBUGCTL_H
#define DRVISOR_CORE_DEBUGCTL_H

#include <stdbool.h>
#include <stdint.h>

/* The CPUID values (and one MSR) that enumerate IA32_DEBUGCTL's bits. */
struct debugctl_cpuid {
	bool intel;                   /* Intel's layout (SDM vol. 4 table 2-2), else AMD's
				       * DebugCtl (APM vol. 2 13.1.1.6) */
	uint32_t leaf1_ecx;           /* CPUID.1:ECX (PDCM, bit 15) */
	uint32_t leaf7_ebx, leaf7_ecx; /* CPUID.(7,0), 0 when the leaf is absent */
	uint32_t leafa_eax;           /* CPUID.0AH:EAX (PMU version, bits 7:0), 0 when absent */
	uint64_t perf_capabilities;   /* IA32_PERF_CAPABILITIES where PDCM says it exists, else 0 */
};

/* The bits the guest may set: what the CPU enumerates and drvisor can hold
 * (the whole register travels in the VMCS/VMCB or is swapped by hand), less
 * the branch trace store family, which writes to the DS save area that
 * drvisor does not virtualize (CPUID hides DS: cpuid_mask_guest, arch-x86/cpuid_mask.c). */
uint64_t debugctl_supported(const struct debugctl_cpuid *c);

/* The guest's IA32_DEBUGCTL after an exit: entered is what the guest ran
 * with, reported what the hardware holds now (VMCS/VMCB field or the MSR
 * read back), held the bits the hardware really keeps (probed at start; 0
 * on the emulators here, which ignore writes). The CPU changes the register
 * by itself only by clearing LBR and BTF when it delivers a #DB (and LBR on
 * a PMI with FREEZE_LBRS_ON_PMI), so exactly those clearings are taken over;
 * anything else the hardware reports is not the guest's doing. */
uint64_t debugctl_after_exit(uint64_t entered, uint64_t reported, uint64_t held);

#endif
