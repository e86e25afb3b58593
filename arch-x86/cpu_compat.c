/* Whether an AP can join the boot CPU under drvisor (cpu_compat.h). */
#include "cpu_compat.h"

static bool same_virt(const struct cpu_features *a, const struct cpu_features *b)
{
	return a->ept == b->ept && a->npt == b->npt && a->vpid == b->vpid &&
	       a->unrestricted_guest == b->unrestricted_guest &&
	       a->preemption_timer == b->preemption_timer &&
	       a->monitor_trap_flag == b->monitor_trap_flag &&
	       a->load_debug_controls == b->load_debug_controls &&
	       a->save_debug_controls == b->save_debug_controls &&
	       a->vmx_true_ctls == b->vmx_true_ctls && a->lbr_virt == b->lbr_virt &&
	       a->nrip_save == b->nrip_save && a->vmcb_clean == b->vmcb_clean &&
	       a->decode_assists == b->decode_assists && a->flush_by_asid == b->flush_by_asid;
}

const char *cpu_features_mismatch(const struct cpu_features *boot,
				  const struct cpu_features *f)
{
	if (f->vmx && f->vmx_locked_off)
		return "VMX is locked off on this CPU (IA32_FEATURE_CONTROL)";
	if (f->svm && f->svm_disabled)
		return "SVM is disabled on this CPU (VM_CR.SVMDIS)";
	if (f->vmx != boot->vmx || f->svm != boot->svm || f->intel != boot->intel ||
	    f->amd != boot->amd)
		return "its vendor or virtualization extension differs from the boot CPU's";
	if (!same_virt(boot, f))
		return "its virtualization features differ from the boot CPU's";
	if (f->family != boot->family || f->model != boot->model)
		return "its family or model differs from the boot CPU's";
	return 0;
}
