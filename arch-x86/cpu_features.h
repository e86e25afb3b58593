/* What the CPU offers drvisor, read once from CPUID and the capability MSRs. */
#ifndef DRVISOR_ARCH_CPU_FEATURES_H
#define DRVISOR_ARCH_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_features {
	char vendor[13];
	bool intel, amd;
	uint32_t family, model, stepping;
	bool hypervisor_present;       /* CPUID.1:ECX[31]: we run nested */
	char hypervisor_sig[13];       /* CPUID 0x40000000, when present */

	/* AMD SVM (APM vol. 2 15.4, CPUID 0x8000000A EDX) */
	bool svm, svm_disabled;        /* svm_disabled: VM_CR.SVMDIS, set by the BIOS */
	bool npt, lbr_virt, nrip_save, vmcb_clean, decode_assists, flush_by_asid;
	uint32_t asids;

	/* Intel VMX (SDM vol. 3D appendix A) */
	bool vmx, vmx_locked_off;      /* locked_off: IA32_FEATURE_CONTROL locked without VMX */
	bool vmx_true_ctls, ept, vpid, unrestricted_guest, preemption_timer;
	bool load_debug_controls, save_debug_controls, monitor_trap_flag;
};

/* The boot CPU's features, filled by core_main before anything uses them. */
extern struct cpu_features boot_cpu_features;

/* Fill f from CPUID and, when VMX/SVM is present, the capability MSRs. */
void cpu_features_detect(struct cpu_features *f);

/* Print the vendor/model and virtualization-feature lines of the banner. */
void cpu_features_print(const struct cpu_features *f);

#endif
