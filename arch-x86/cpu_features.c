/* Reading and printing the CPU's virtualization features. */
#include "cpu_features.h"
#include "cpu.h"
#include "cpuid_bits.h"
#include "msr.h"
#include "core/log.h"
#include "core/string.h"

#define SVM_EDX_NP (1u << 0)
#define SVM_EDX_LBRV (1u << 1)
#define SVM_EDX_NRIPS (1u << 3)
#define SVM_EDX_VMCB_CLEAN (1u << 5)
#define SVM_EDX_FLUSH_BY_ASID (1u << 6)
#define SVM_EDX_DECODE_ASSISTS (1u << 7)

/* VMX control bits (SDM vol. 3C 25.6, 25.7, 25.8). */
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_SECONDARY_CONTROLS (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)

struct cpu_features boot_cpu_features;

static void copy_sig(char *out, uint32_t a, uint32_t b, uint32_t c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
	out[12] = 0;
}

static void detect_identity(struct cpu_features *f)
{
	struct cpuid_regs r = cpuid(0, 0);
	uint32_t fam, mod;

	copy_sig(f->vendor, r.ebx, r.edx, r.ecx);
	f->intel = !memcmp(f->vendor, "GenuineIntel", 12);
	f->amd = !memcmp(f->vendor, "AuthenticAMD", 12);
	r = cpuid(CPUID_FEATURES, 0);
	fam = (r.eax >> 8) & 0xf;
	mod = (r.eax >> 4) & 0xf;
	/* SDM vol. 2A CPUID, "Version Information": extended family/model. */
	f->family = fam == 0xf ? fam + ((r.eax >> 20) & 0xff) : fam;
	f->model = fam == 0x6 || fam == 0xf ? mod | (((r.eax >> 16) & 0xf) << 4) : mod;
	f->stepping = r.eax & 0xf;
	f->vmx = r.ecx & CPUID_1_ECX_VMX;
	f->hypervisor_present = r.ecx & CPUID_1_ECX_HYPERVISOR;
	if (f->hypervisor_present) {
		r = cpuid(CPUID_HV_BASE, 0);
		copy_sig(f->hypervisor_sig, r.ebx, r.ecx, r.edx);
	}
}

static void detect_svm(struct cpu_features *f)
{
	struct cpuid_regs r;

	if (cpuid(0x80000000u, 0).eax < CPUID_SVM_FEATURES)
		return;
	f->svm = cpuid(CPUID_EXT_FEATURES, 0).ecx & CPUID_EXT_ECX_SVM;
	if (!f->svm)
		return;
	f->svm_disabled = rdmsr(MSR_AMD_VM_CR) & VM_CR_SVMDIS;
	r = cpuid(CPUID_SVM_FEATURES, 0);
	f->asids = r.ebx;
	f->npt = r.edx & SVM_EDX_NP;
	f->lbr_virt = r.edx & SVM_EDX_LBRV;
	f->nrip_save = r.edx & SVM_EDX_NRIPS;
	f->vmcb_clean = r.edx & SVM_EDX_VMCB_CLEAN;
	f->flush_by_asid = r.edx & SVM_EDX_FLUSH_BY_ASID;
	f->decode_assists = r.edx & SVM_EDX_DECODE_ASSISTS;
}

/* The allowed-1 settings of a VMX control MSR are its high 32 bits. */
static uint32_t allowed1(uint32_t msr)
{
	return (uint32_t)(rdmsr(msr) >> 32);
}

static void detect_vmx(struct cpu_features *f)
{
	uint64_t fc;
	uint32_t pin, proc, proc2 = 0, exit, entry;

	if (!f->vmx)
		return;
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	f->vmx_locked_off = (fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	f->vmx_true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	pin = allowed1(f->vmx_true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	proc = allowed1(f->vmx_true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	exit = allowed1(f->vmx_true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	entry = allowed1(f->vmx_true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	if (proc & PROC_SECONDARY_CONTROLS)
		proc2 = allowed1(MSR_IA32_VMX_PROCBASED_CTLS2);
	f->preemption_timer = pin & PIN_PREEMPTION_TIMER;
	f->monitor_trap_flag = proc & PROC_MONITOR_TRAP_FLAG;
	f->ept = proc2 & PROC2_EPT;
	f->vpid = proc2 & PROC2_VPID;
	f->unrestricted_guest = proc2 & PROC2_UNRESTRICTED_GUEST;
	f->save_debug_controls = exit & EXIT_SAVE_DEBUG_CONTROLS;
	f->load_debug_controls = entry & ENTRY_LOAD_DEBUG_CONTROLS;
}

void cpu_features_detect(struct cpu_features *f)
{
	memset(f, 0, sizeof(*f));
	detect_identity(f);
	detect_svm(f);
	detect_vmx(f);
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void cpu_features_print(const struct cpu_features *f)
{
	log_info("cpu: %s family 0x%x model 0x%x stepping 0x%x%s%s", f->vendor, f->family,
		 f->model, f->stepping, f->hypervisor_present ? " under hypervisor " : "",
		 f->hypervisor_present ? f->hypervisor_sig : "");
	log_info("virt: svm=%s svm-disabled=%s npt=%s asids=%u lbr-virt=%s nrip-save=%s "
		 "vmcb-clean=%s decode-assists=%s flush-by-asid=%s",
		 yn(f->svm), yn(f->svm_disabled), yn(f->npt), f->asids, yn(f->lbr_virt),
		 yn(f->nrip_save), yn(f->vmcb_clean), yn(f->decode_assists), yn(f->flush_by_asid));
	log_info("virt: vmx=%s vmx-locked-off=%s ept=%s vpid=%s unrestricted-guest=%s "
		 "preemption-timer=%s load-debug-controls=%s save-debug-controls=%s "
		 "monitor-trap-flag=%s",
		 yn(f->vmx), yn(f->vmx_locked_off), yn(f->ept), yn(f->vpid),
		 yn(f->unrestricted_guest), yn(f->preemption_timer), yn(f->load_debug_controls),
		 yn(f->save_debug_controls), yn(f->monitor_trap_flag));
}
