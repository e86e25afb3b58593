/* VMX control selection from the capability MSRs (SDM vol. 3D A.3-A.5,
 * A.10; vol. 3C 25.6-25.8 for what each control means). */
#include <stddef.h>
#include "vmx_controls.h"
#include "vmcs.h"

enum need { NEED_REQUIRED, NEED_OPTIONAL, NEED_FORBIDDEN };

struct ctl_bit {
	uint32_t bit;
	enum need need;
	const char *refusal;    /* why drvisor cannot run when the CPU disagrees */
};

#define REQ(b, n) { b, NEED_REQUIRED, "the CPU lacks the VMX control \"" n "\"" }
#define OPT(b) { b, NEED_OPTIONAL, NULL }
#define FORBID(b, n) { b, NEED_FORBIDDEN, "the CPU forces the VMX control \"" n "\" on" }
#define END { 0, NEED_OPTIONAL, NULL }

/* Interrupts go straight to the guest. NMIs exit, so that one that
 * reaches the host (in VMX root operation, through the host IDT) and one
 * that arrives in the guest take the same way in: recorded, then injected
 * as a virtual NMI when the guest does not block NMIs (SDM vol. 3C 24.6.1,
 * 25.3; vmx_prepare_entry). */
static const struct ctl_bit pin_bits[] = {
	FORBID(PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting"),
	REQ(PIN_NMI_EXITING, "NMI exiting"),
	REQ(PIN_VIRTUAL_NMIS, "virtual NMIs"),
	/* The monitor's guarantee of a timely exit (vmx_setup.c). */
	OPT(PIN_PREEMPTION_TIMER),
	FORBID(PIN_POSTED_INTERRUPTS, "process posted interrupts"),
	END,
};

/* Only the bitmaps decide which I/O ports and MSRs exit; every exit that
 * vmx_exit.c does not handle stays off. */
static const struct ctl_bit proc_bits[] = {
	REQ(PROC_USE_IO_BITMAPS, "use I/O bitmaps"),
	REQ(PROC_USE_MSR_BITMAPS, "use MSR bitmaps"),
	REQ(PROC_SECONDARY_CONTROLS, "activate secondary controls"),
	FORBID(PROC_INTERRUPT_WINDOW_EXITING, "interrupt-window exiting"),
	FORBID(PROC_HLT_EXITING, "HLT exiting"),
	FORBID(PROC_INVLPG_EXITING, "INVLPG exiting"),
	FORBID(PROC_MWAIT_EXITING, "MWAIT exiting"),
	FORBID(PROC_RDPMC_EXITING, "RDPMC exiting"),
	FORBID(PROC_RDTSC_EXITING, "RDTSC exiting"),
	FORBID(PROC_CR3_LOAD_EXITING, "CR3-load exiting"),
	FORBID(PROC_CR3_STORE_EXITING, "CR3-store exiting"),
	FORBID(PROC_CR8_LOAD_EXITING, "CR8-load exiting"),
	FORBID(PROC_CR8_STORE_EXITING, "CR8-store exiting"),
	FORBID(PROC_TPR_SHADOW, "use TPR shadow"),
	/* Off here; on per entry while an NMI waits for the guest to unblock
	 * (vmx_prepare_entry); the CPU must allow it (checked below). */
	FORBID(PROC_NMI_WINDOW_EXITING, "NMI-window exiting"),
	/* Off here; the lazy debug-register policy turns it on and off per
	 * entry (vmx_prepare_entry) where mov_dr_exiting says it may. */
	FORBID(PROC_MOV_DR_EXITING, "MOV-DR exiting"),
	FORBID(PROC_UNCONDITIONAL_IO_EXITING, "unconditional I/O exiting"),
	/* Off here; the monitor's step turns it on per entry where
	 * monitor_trap_flag says it may (vmx_prepare_entry). */
	FORBID(PROC_MONITOR_TRAP_FLAG, "monitor trap flag"),
	FORBID(PROC_MONITOR_EXITING, "MONITOR exiting"),
	FORBID(PROC_PAUSE_EXITING, "PAUSE exiting"),
	END,
};

/* RDTSCP, INVPCID, XSAVES and TPAUSE/UMWAIT raise #UD in the guest unless
 * enabled here, so each is turned on wherever the CPU has it. */
static const struct ctl_bit proc2_bits[] = {
	REQ(PROC2_EPT, "enable EPT"),
	OPT(PROC2_VPID),
	OPT(PROC2_UNRESTRICTED_GUEST),
	OPT(PROC2_RDTSCP),
	OPT(PROC2_INVPCID),
	OPT(PROC2_XSAVES),
	OPT(PROC2_USER_WAIT_PAUSE),
	FORBID(PROC2_VIRTUALIZE_APIC, "virtualize APIC accesses"),
	FORBID(PROC2_DESCRIPTOR_EXITING, "descriptor-table exiting"),
	FORBID(PROC2_WBINVD_EXITING, "WBINVD exiting"),
	FORBID(PROC2_PAUSE_LOOP_EXITING, "PAUSE-loop exiting"),
	FORBID(PROC2_RDRAND_EXITING, "RDRAND exiting"),
	FORBID(PROC2_VMFUNC, "enable VM functions"),
	FORBID(PROC2_VMCS_SHADOWING, "VMCS shadowing"),
	FORBID(PROC2_RDSEED_EXITING, "RDSEED exiting"),
	FORBID(PROC2_PML, "enable PML"),
	FORBID(PROC2_EPT_VE, "EPT-violation #VE"),
	END,
};

/* EFER and PAT are switched by the CPU so that the guest's values never
 * reach the host; DR7 (and IA32_DEBUGCTL) too where the CPU can. */
static const struct ctl_bit exit_bits[] = {
	REQ(EXIT_HOST_ADDR_SPACE_SIZE, "host address-space size"),
	REQ(EXIT_SAVE_PAT, "save IA32_PAT"),
	REQ(EXIT_LOAD_PAT, "load IA32_PAT"),
	REQ(EXIT_SAVE_EFER, "save IA32_EFER"),
	REQ(EXIT_LOAD_EFER, "load IA32_EFER"),
	/* DR7 and IA32_DEBUGCTL of the guest (docs/debug-registers.md). */
	REQ(EXIT_SAVE_DEBUG_CONTROLS, "save debug controls"),
	FORBID(EXIT_LOAD_PERF_GLOBAL_CTRL, "load IA32_PERF_GLOBAL_CTRL"),
	FORBID(EXIT_ACK_INTERRUPT, "acknowledge interrupt on exit"),
	FORBID(EXIT_SAVE_PREEMPTION_TIMER, "save VMX-preemption timer value"),
	END,
};

/* The late-launched context is 64-bit: the guest starts in IA-32e mode. */
static const struct ctl_bit entry_bits[] = {
	REQ(ENTRY_IA32E_GUEST, "IA-32e mode guest"),
	REQ(ENTRY_LOAD_PAT, "load IA32_PAT"),
	REQ(ENTRY_LOAD_EFER, "load IA32_EFER"),
	REQ(ENTRY_LOAD_DEBUG_CONTROLS, "load debug controls"),
	FORBID(ENTRY_SMM, "entry to SMM"),
	FORBID(ENTRY_DEACTIVATE_DUAL_MONITOR, "deactivate dual-monitor treatment"),
	FORBID(ENTRY_LOAD_PERF_GLOBAL_CTRL, "load IA32_PERF_GLOBAL_CTRL"),
	END,
};

bool vmx_has_true_controls(uint64_t basic)
{
	return basic & VMX_BASIC_TRUE_CTLS;
}

/* A capability MSR's low half is the allowed-0 settings (a 1 there forces
 * the control on), its high half the allowed-1 settings (A.3.1). Bits not
 * in the table keep their forced default. */
static const char *adjust(uint64_t cap, const struct ctl_bit *bits, uint32_t *out)
{
	uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32), v = must1;

	for (; bits->bit; bits++) {
		if (bits->need == NEED_FORBIDDEN && (must1 & bits->bit))
			return bits->refusal;
		if (bits->need == NEED_REQUIRED && !(may1 & bits->bit))
			return bits->refusal;
		if (bits->need != NEED_FORBIDDEN && (may1 & bits->bit))
			v |= bits->bit;
	}
	*out = v;
	return NULL;
}

/* EPT as ept.c builds it: 4-level walks, 2 MiB leaves, WB (else UC)
 * paging structures (A.10). */
static const char *choose_ept(uint64_t cap, struct vmx_controls *out)
{
	if (!(cap & EPT_CAP_WALK_4))
		return "the CPU lacks 4-level EPT page walks";
	if (!(cap & EPT_CAP_2M_PAGES))
		return "the CPU lacks 2 MiB EPT pages";
	if (cap & EPT_CAP_MEMTYPE_WB)
		out->eptp_memtype = 6;          /* WB, SDM vol. 3A 12.3 table 12-2 */
	else if (cap & EPT_CAP_MEMTYPE_UC)
		out->eptp_memtype = 0;          /* UC */
	else
		return "the CPU allows neither WB nor UC EPT paging structures";
	out->ept_1g_pages = cap & EPT_CAP_1G_PAGES;
	out->invept_type = !(cap & EPT_CAP_INVEPT) ? 0 :
			   cap & EPT_CAP_INVEPT_SINGLE ? INVEPT_SINGLE_CONTEXT :
			   cap & EPT_CAP_INVEPT_ALL ? INVEPT_ALL_CONTEXT : 0;
	return NULL;
}

const char *vmx_choose_controls(const struct vmx_caps *caps, struct vmx_controls *out)
{
	bool t = vmx_has_true_controls(caps->basic);
	const char *why;

	*out = (struct vmx_controls){ 0 };
	if ((why = adjust(t ? caps->true_pin : caps->pin, pin_bits, &out->pin)) ||
	    (why = adjust(t ? caps->true_proc : caps->proc, proc_bits, &out->proc)) ||
	    (why = adjust(caps->proc2, proc2_bits, &out->proc2)) ||
	    (why = adjust(t ? caps->true_exit : caps->exit, exit_bits, &out->exit)) ||
	    (why = adjust(t ? caps->true_entry : caps->entry, entry_bits, &out->entry)))
		return why;
	out->mov_dr_exiting = ((t ? caps->true_proc : caps->proc) >> 32) & PROC_MOV_DR_EXITING;
	out->monitor_trap_flag = ((t ? caps->true_proc : caps->proc) >> 32) & PROC_MONITOR_TRAP_FLAG;
	out->nmi_window_exiting = ((t ? caps->true_proc : caps->proc) >> 32) & PROC_NMI_WINDOW_EXITING;
	if (!out->nmi_window_exiting)
		return "the CPU lacks the VMX control \"NMI-window exiting\"";
	return choose_ept(caps->ept_vpid, out);
}
