/*
 * Choosing the VMX controls from the capability MSRs (SDM vol. 3D appendix
 * A). Pure: it reads no MSR, so the host unit tests can feed it values
 * recorded from Bochs and from real CPUs.
 */
#ifndef DRVISOR_ARCH_VMX_VMX_CONTROLS_H
#define DRVISOR_ARCH_VMX_VMX_CONTROLS_H

#include <stdbool.h>
#include <stdint.h>

/* Raw capability MSR values. The TRUE_ ones are read only when basic bit 55
 * says they exist, proc2 only when proc allows secondary controls, ept_vpid
 * only when proc2 allows EPT or VPID; the others may be left 0. */
struct vmx_caps {
	uint64_t basic;                          /* IA32_VMX_BASIC */
	uint64_t pin, proc, exit, entry;         /* IA32_VMX_{PINBASED,PROCBASED,EXIT,ENTRY}_CTLS */
	uint64_t true_pin, true_proc, true_exit, true_entry; /* IA32_VMX_TRUE_* */
	uint64_t proc2;                          /* IA32_VMX_PROCBASED_CTLS2 */
	uint64_t ept_vpid;                       /* IA32_VMX_EPT_VPID_CAP */
};

struct vmx_controls {
	uint32_t pin, proc, proc2, exit, entry;  /* values for the VMCS control fields */
	uint8_t eptp_memtype;                    /* memory type of the EPT structures */
	bool ept_1g_pages;                       /* 1 GiB EPT leaves allowed */
	uint8_t invept_type;                     /* INVEPT_*_CONTEXT, 0 when INVEPT is absent */
	bool mov_dr_exiting;                     /* MOV-DR exiting may be turned on (lazy policy) */
	bool monitor_trap_flag;                  /* MTF may be turned on (monitor's step) */
	bool nmi_window_exiting;                 /* NMI-window exiting may be turned on */
};

/* Fill out from caps: every control drvisor needs set, every control it
 * does not handle clear, the optional ones set where allowed, and each
 * default setting the CPU forces kept. Returns NULL, or a one-line reason
 * naming the control or EPT feature the CPU lacks or forces. */
const char *vmx_choose_controls(const struct vmx_caps *caps, struct vmx_controls *out);

/* Whether the capability MSR pair has the VMX TRUE_ controls (basic bit 55). */
bool vmx_has_true_controls(uint64_t basic);

#endif
