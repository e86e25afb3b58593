/* Printing the VMCS, for failed VM entries and unexpected exits, so that
 * the cause is visible without a debugger. */
#include "vmx.h"
#include "vmx_insn.h"
#include "core/log.h"

#define U(x) ((unsigned long long)(x))

struct vmcs_field {
	const char *name;
	uint32_t encoding;
};

static const struct vmcs_field control_fields[] = {
	{ "pin", VMCS_PIN_CONTROLS }, { "proc", VMCS_PROC_CONTROLS },
	{ "proc2", VMCS_PROC2_CONTROLS }, { "exit", VMCS_EXIT_CONTROLS },
	{ "entry", VMCS_ENTRY_CONTROLS }, { "exc_bitmap", VMCS_EXCEPTION_BITMAP },
	{ "entry_intr", VMCS_ENTRY_INTR_INFO }, { "entry_err", VMCS_ENTRY_EXCEPTION_ERROR },
	{ "entry_len", VMCS_ENTRY_INSN_LEN }, { "vpid", VMCS_VPID },
	{ "eptp", VMCS_EPT_POINTER }, { "msr_bitmap", VMCS_MSR_BITMAP },
	{ "io_bitmap_a", VMCS_IO_BITMAP_A }, { "io_bitmap_b", VMCS_IO_BITMAP_B },
	{ "cr0_mask", VMCS_CR0_MASK }, { "cr0_shadow", VMCS_CR0_SHADOW },
	{ "cr4_mask", VMCS_CR4_MASK }, { "cr4_shadow", VMCS_CR4_SHADOW },
	{ "host_cr0", VMCS_HOST_CR0 }, { "host_cr3", VMCS_HOST_CR3 },
	{ "host_cr4", VMCS_HOST_CR4 }, { "host_rsp", VMCS_HOST_RSP },
	{ "host_rip", VMCS_HOST_RIP }, { "host_efer", VMCS_HOST_EFER },
	{ "host_tr_base", VMCS_HOST_TR_BASE }, { "host_gdtr", VMCS_HOST_GDTR_BASE },
	{ "host_idtr", VMCS_HOST_IDTR_BASE }, { "host_pat", VMCS_HOST_PAT },
};

static const struct vmcs_field guest_fields[] = {
	{ "cr0", VMCS_GUEST_CR0 }, { "cr3", VMCS_GUEST_CR3 }, { "cr4", VMCS_GUEST_CR4 },
	{ "rip", VMCS_GUEST_RIP }, { "rsp", VMCS_GUEST_RSP }, { "rflags", VMCS_GUEST_RFLAGS },
	{ "efer", VMCS_GUEST_EFER }, { "pat", VMCS_GUEST_PAT }, { "dr7", VMCS_GUEST_DR7 },
	{ "debugctl", VMCS_GUEST_DEBUGCTL }, { "sysenter_cs", VMCS_GUEST_SYSENTER_CS },
	{ "sysenter_esp", VMCS_GUEST_SYSENTER_ESP },
	{ "sysenter_eip", VMCS_GUEST_SYSENTER_EIP },
	{ "interruptibility", VMCS_GUEST_INTERRUPTIBILITY }, { "activity", VMCS_GUEST_ACTIVITY },
	{ "pending_dbg", VMCS_GUEST_PENDING_DBG }, { "link_ptr", VMCS_LINK_POINTER },
	{ "gdtr_base", VMCS_GUEST_GDTR_BASE }, { "gdtr_limit", VMCS_GUEST_GDTR_LIMIT },
	{ "idtr_base", VMCS_GUEST_IDTR_BASE }, { "idtr_limit", VMCS_GUEST_IDTR_LIMIT },
};

/* VM-instruction error numbers (SDM vol. 3C 31.4, table 31-1). */
static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE of an unsupported VMCS component",
	[13] = "VMWRITE to a read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

/* Basic exit reasons of a failed entry (27.8) and the qualifications the
 * guest-state checks give "invalid guest state" (27.3). */
static const char *failure_reason(uint32_t basic, uint64_t qual)
{
	if (basic == EXIT_MSR_LOADING)
		return "MSR loading";
	if (basic == EXIT_MACHINE_CHECK)
		return "machine-check event";
	if (basic != EXIT_INVALID_GUEST_STATE)
		return "?";
	return qual == 2 ? "invalid guest state: PDPTE loading" :
	       qual == 3 ? "invalid guest state: NMI injection" :
	       qual == 4 ? "invalid guest state: VMCS link pointer" : "invalid guest state";
}

static void print_fields(const struct vmcs_field *f, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		log_raw("%s%s=%llx%s", i % 4 ? " " : "  ", f[i].name, U(vmread(f[i].encoding)),
			i % 4 == 3 || i == n - 1 ? "\n" : "");
}

void vmx_dump_vmcs(void)
{
	static const char *const seg_names[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs",
							  "ldtr", "tr" };
	uint64_t reason = vmread(VMCS_EXIT_REASON);
	int i;

	log_raw("  exit reason=0x%llx (basic %llu) qualification=%llx intr_info=%llx "
		"idt_vectoring=%llx\n", U(reason), U(reason & EXIT_REASON_BASIC_MASK),
		U(vmread(VMCS_EXIT_QUALIFICATION)), U(vmread(VMCS_EXIT_INTR_INFO)),
		U(vmread(VMCS_IDT_VECTORING_INFO)));
	log_raw("  insn_len=%llu gpa=%llx linear=%llx\n", U(vmread(VMCS_EXIT_INSN_LEN)),
		U(vmread(VMCS_GUEST_PHYSICAL_ADDR)), U(vmread(VMCS_GUEST_LINEAR_ADDR)));
	print_fields(control_fields, sizeof(control_fields) / sizeof(control_fields[0]));
	for (i = 0; i < SEG_COUNT; i++)
		log_raw("  %-4s sel=%04llx ar=%05llx limit=%08llx base=%016llx\n", seg_names[i],
			U(vmread(VMCS_GUEST_SEL(i))), U(vmread(VMCS_GUEST_AR(i))),
			U(vmread(VMCS_GUEST_LIMIT(i))), U(vmread(VMCS_GUEST_BASE(i))));
	print_fields(guest_fields, sizeof(guest_fields) / sizeof(guest_fields[0]));
}

void vmx_report_entry_failure(int how)
{
	uint64_t err = vmread(VMCS_INSN_ERROR), reason = vmread(VMCS_EXIT_REASON);
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	const unsigned n_errors = sizeof(insn_errors) / sizeof(insn_errors[0]);

	if (how == VMX_LOOP_FAIL_INVALID)
		log_raw("drvisor: VM entry failed: VMfailInvalid (no current VMCS)\n");
	else if (how == VMX_LOOP_FAIL_VALID)
		log_raw("drvisor: VM entry failed: VMfailValid, VM-instruction error %llu (%s)\n",
			U(err), err < n_errors && insn_errors[err] ? insn_errors[err] : "?");
	else
		log_raw("drvisor: VM entry failed: exit reason 0x%llx (%s), qualification 0x%llx "
			"(SDM vol. 3C 27.3, 27.8)\n", U(reason),
			failure_reason(reason & EXIT_REASON_BASIC_MASK, qual), U(qual));
	vmx_dump_vmcs();
}
