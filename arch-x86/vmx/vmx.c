/*
 * Intel VMX: turning it on, the vCPU's structures, and the vendor_ops that
 * core/ calls. The VMCS contents are in vmx_setup.c, exit handling in
 * vmx_exit.c, the VM entry/exit loop in vmx_entry.asm.
 *
 * Debug registers (docs/debug-registers.md): DR0-3 and DR6 are switched
 * by the entry loop (vmx_entry.asm, as core/debugreg.c decides); DR7 and
 * IA32_DEBUGCTL are the VMCS's, through the "load debug controls" entry
 * and "save debug controls" exit controls.
 *
 * Not switched either, and left live for the guest: KernelGsBase, STAR,
 * LSTAR, CSTAR, FMASK, XCR0 and CR2, which the host never uses (no
 * SYSCALL, SWAPGS, XSAVE or page faults in drvisor).
 */
#include "vmx.h"
#include "ept.h"
#include "vmx_insn.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"
#include "core/fast_exit.h"
#include "core/hv_config.h"
#include "core/irq_forward.h"
#include "core/log.h"
#include "core/memory.h"

#define IO_BITMAP_PAGES 2

static struct vmx_vcpu boot_vmx;

static void read_caps(struct vmx_caps *c)
{
	*c = (struct vmx_caps){ .basic = rdmsr(MSR_IA32_VMX_BASIC) };
	c->pin = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	if (vmx_has_true_controls(c->basic)) {
		c->true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		c->true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		c->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		c->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
	/* Reading an MSR the CPU lacks would fault (SDM vol. 3D A.3.3, A.10). */
	if ((c->proc >> 32) & PROC_SECONDARY_CONTROLS)
		c->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if ((c->proc2 >> 32) & (PROC2_EPT | PROC2_VPID))
		c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

/* Also chooses the controls, which vmx_vcpu_init then uses. */
static bool vmx_supported(const char **why)
{
	const struct cpu_features *f = &boot_cpu_features;
	struct vmx_caps caps;

	if (!f->vmx) {
		*why = "the CPU has no VMX (CPUID.1:ECX[5])";
		return false;
	}
	if (f->vmx_locked_off) {
		*why = "VMX is locked off by the firmware (IA32_FEATURE_CONTROL lock set, "
		       "VMX outside SMX clear)";
		return false;
	}
	read_caps(&caps);
	/* The raw values, for reports and for tests/unit/test_vmx_controls.c. */
	log_debug("vmx: basic 0x%llx pin 0x%llx proc 0x%llx exit 0x%llx entry 0x%llx",
		  (unsigned long long)caps.basic, (unsigned long long)caps.pin,
		  (unsigned long long)caps.proc, (unsigned long long)caps.exit,
		  (unsigned long long)caps.entry);
	log_debug("vmx: true pin 0x%llx proc 0x%llx exit 0x%llx entry 0x%llx proc2 0x%llx "
		  "ept_vpid 0x%llx", (unsigned long long)caps.true_pin,
		  (unsigned long long)caps.true_proc, (unsigned long long)caps.true_exit,
		  (unsigned long long)caps.true_entry, (unsigned long long)caps.proc2,
		  (unsigned long long)caps.ept_vpid);
	*why = vmx_choose_controls(&caps, &boot_vmx.ctl);
	return !*why;
}

/* VMXON needs IA32_FEATURE_CONTROL locked with VMX outside SMX enabled (SDM
 * vol. 3C 24.7). Firmware normally does this; OVMF under Bochs leaves it 0
 * and unlocked, so we lock it ourselves. The lock holds until reset: the
 * guest then sees VMX enabled there, but CPUID tells it it has no VMX and
 * the MSR is hidden from it (vmx_setup.c). */
static void feature_control_enable(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (fc & FEATURE_CONTROL_LOCK)
		return;   /* locked with VMX on: vmx_supported refused the other case */
	wrmsr(MSR_IA32_FEATURE_CONTROL,
	      fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK);
}

/* CR0 and CR4 must respect the fixed bits in VMX operation (24.8, A.7,
 * A.8); the guest's values are adjusted separately in vmx_setup.c. */
static void read_fixed_bits(struct vmx_vcpu *x)
{
	x->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	x->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	x->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	x->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
}

static bool vmx_enable(struct vcpu *v)
{
	struct vmx_vcpu *x = &boot_vmx;
	uint64_t rev = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_REVISION_MASK;

	(void)v;
	x->vmxon_pa = page_alloc();
	if (!x->vmxon_pa) {
		log_error("vmx: out of memory for the VMXON region");
		return false;
	}
	*(uint32_t *)x->vmxon_pa = (uint32_t)rev;   /* 24.11.5 */
	feature_control_enable();
	read_fixed_bits(x);
	x->cr0_before = read_cr0();
	x->cr4_before = read_cr4();
	write_cr0((read_cr0() | x->cr0_fixed0) & x->cr0_fixed1);
	write_cr4((read_cr4() | x->cr4_fixed0 | CR4_VMXE) & x->cr4_fixed1);
	if (!vmxon(x->vmxon_pa)) {
		write_cr4(x->cr4_before);
		write_cr0(x->cr0_before);
		log_error("vmx: VMXON failed (IA32_FEATURE_CONTROL 0x%llx, cr0 0x%llx, cr4 0x%llx)",
			  (unsigned long long)rdmsr(MSR_IA32_FEATURE_CONTROL),
			  (unsigned long long)read_cr0(), (unsigned long long)read_cr4());
		return false;
	}
	log_info("vmx: on, VMCS revision 0x%llx, %s controls", (unsigned long long)rev,
		 vmx_has_true_controls(rdmsr(MSR_IA32_VMX_BASIC)) ? "TRUE" : "default");
	return true;
}

/* The loader gets back the CR0/CR4 it had: a failed entry's VM exit
 * loaded the host CR4 of the VMCS (with OSXSAVE, see vmx_setup.c). */
static void vmx_disable(struct vcpu *v)
{
	(void)v;
	vmxoff();
	write_cr4(boot_vmx.cr4_before);
	write_cr0(boot_vmx.cr0_before);
}

static bool alloc_structures(struct vmx_vcpu *x)
{
	uint64_t rev = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_REVISION_MASK;

	x->vmcs_pa = page_alloc();
	x->msr_bitmap = (uint8_t *)page_alloc();
	x->io_bitmaps = (uint8_t *)pages_alloc(IO_BITMAP_PAGES);
	if (!x->vmcs_pa || !x->msr_bitmap || !x->io_bitmaps)
		return false;
	*(uint32_t *)x->vmcs_pa = (uint32_t)rev;    /* bit 31 clear: not a shadow VMCS */
	x->eptp = ept_build(&x->ctl);
	return x->eptp != 0;
}

/* Drop any translations cached for our EPT pointer by an earlier user of
 * the same tables (29.4.3.1); harmless on a fresh CPU. */
static void flush_ept(const struct vmx_vcpu *x)
{
	if (x->ctl.invept_type && !invept(x->ctl.invept_type, x->eptp))
		log_warn("vmx: INVEPT type %u failed", x->ctl.invept_type);
}

static bool vmx_vcpu_init(struct vcpu *v, const struct guest_state *gs)
{
	struct vmx_vcpu *x = &boot_vmx;

	if (!alloc_structures(x)) {
		log_error("vmx: out of memory for the VMCS, bitmaps or EPT");
		return false;
	}
	if (!vmclear(x->vmcs_pa) || !vmptrld(x->vmcs_pa)) {
		log_error("vmx: VMCLEAR/VMPTRLD of the VMCS at 0x%llx failed",
			  (unsigned long long)x->vmcs_pa);
		return false;
	}
	flush_ept(x);
	vmx_setup_vmcs(x, gs);
	if (vmcs_write_failures()) {
		log_error("vmx: the VMCS could not be written completely");
		return false;
	}
	log_info("vmx: controls pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x, eptp 0x%llx",
		 x->ctl.pin, x->ctl.proc, x->ctl.proc2, x->ctl.exit, x->ctl.entry,
		 (unsigned long long)x->eptp);
	if (hv_config.dr_switch == DV_DR_SWITCH_LAZY && !x->ctl.mov_dr_exiting) {
		log_warn("vmx: the CPU cannot exit on MOV DR: dr_switch=lazy becomes eager");
		hv_config.dr_switch = DV_DR_SWITCH_EAGER;
	}
	v->vendor = x;
	v->dbg.guest.dr6 = gs->dr6;
	x->proc_now = x->ctl.proc;       /* as vmx_setup_vmcs wrote it */
	x->debugctl_now = ~0ull;         /* not written yet */
	vmx_prepare_entry(v);
	return true;
}

/* An NMI the host holds for the guest (one that exited, or one taken by
 * the host IDT in VMX root operation: core/irq_forward.h) is injected as a
 * virtual NMI when nothing else is being injected and the guest blocks
 * neither NMIs nor, by MOV SS or STI, the next instruction boundary (VM
 * entry checks, SDM vol. 3C 27.3.1.5; some CPUs treat STI blocking as
 * blocking NMIs, 25.3). The CPU then sets virtual-NMI blocking until the
 * guest's IRET (25.3). Otherwise NMI-window exiting makes the guest exit
 * as soon as it could take one (25.2). Returns whether it waits. */
static bool vmx_forward_nmi(void)
{
	uint64_t blocking = vmread(VMCS_GUEST_INTERRUPTIBILITY) &
			    (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_STI);

	if (!irq_forward_nmi_pending)
		return false;
	if (blocking || (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID))
		return true;
	irq_forward_take_nmi();
	vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | VEC_NMI);
	return false;
}

void vmx_prepare_entry(struct vcpu *v)
{
	struct vmx_vcpu *x = v->vendor;
	bool arm = debugreg_prepare_entry(v, vmread(VMCS_GUEST_DR7));
	bool nmi_waits = vmx_forward_nmi();

	uint32_t proc = x->ctl.proc | (arm ? PROC_MOV_DR_EXITING : 0) |
			(v->step_armed && x->ctl.monitor_trap_flag ? PROC_MONITOR_TRAP_FLAG : 0) |
			(nmi_waits ? PROC_NMI_WINDOW_EXITING : 0);

	/* Nested entries made stricter since this CPU last flushed
	 * (nested_protect_page): INVEPT drops what it cached from them. */
	if (x->nested_gen != nested_generation) {
		x->nested_gen = nested_generation;
		flush_ept(x);
	}
	/* VMCS writes only on a change: this runs before every entry. */
	if (proc != x->proc_now)
		vmcs_write(VMCS_PROC_CONTROLS, x->proc_now = proc);
	if (v->dbg.guest.debugctl != x->debugctl_now)
		vmcs_write(VMCS_GUEST_DEBUGCTL, x->debugctl_now = v->dbg.guest.debugctl);
	/* VM entry loads the guest's IA32_DEBUGCTL and VM exit leaves 0, the
	 * host's own value (28.5.1): nothing to swap by hand. */
	v->dbg.swap_debugctl = 0;
	fast_exit_arm(v, !nmi_waits);
}

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, uint32_t error_code);

/* Monitor-owned stepping: the monitor trap flag where the CPU has it
 * (SDM vol. 3C 26.5.2); otherwise TF with #DB exiting, hidden again by
 * vmx_step_db. v->step_armed is still the previous state here (core/
 * run_control.c sets it after the call). */
static void vmx_set_single_step(struct vcpu *v, bool on)
{
	struct vmx_vcpu *x = v->vendor;
	uint64_t rflags = vmread(VMCS_GUEST_RFLAGS);

	if (!x->ctl.monitor_trap_flag) {
		if (on && !v->step_armed)
			v->step_tf_ours = !(rflags & RFLAGS_TF);
		else if (!on && v->step_armed && v->step_tf_ours)
			vmcs_write(VMCS_GUEST_RFLAGS, rflags & ~RFLAGS_TF);
		if (on)
			vmcs_write(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) | RFLAGS_TF);
		vmcs_write(VMCS_EXCEPTION_BITMAP, on ? 1u << VEC_DB : 0);
	}
	if (!on)
		v->step_tf_ours = false;
}

void vmx_step_db(struct vcpu *v)
{
	/* A #DB that exits leaves DR6 alone (so a guest MOV to DR6 inside the
	 * step stands); the qualification has this #DB's bits only, no sticky
	 * ones (SDM vol. 3C 28.2.1, table 28-1), but B0-B3 "may be set even if
	 * the corresponding breakpoint is not enabled": those cause no #DB of
	 * the guest's. */
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	uint64_t seen = qual & (debugreg_enabled_b(vmread(VMCS_GUEST_DR7)) | DR6_BD | DR6_BT);

	/* Neither a step (no BS) nor a condition of the guest's: no
	 * instruction ran. Seen on Bochs 2.7: a disabled breakpoint's match
	 * saved as a pending debug exception at an exit of the freely running
	 * guest, delivered at the next entry (montest phase 7: qualification
	 * B2 alone, at the instruction where the guest was paused). */
	if (!(qual & DR6_BS) && !seen)
		return;

	if (seen || !v->step_tf_ours) {
		v->dbg.guest.dr6 = (v->dbg.guest.dr6 & ~DR6_STATUS) | seen |
				   (v->step_tf_ours ? 0 : DR6_BS);
		vmx_inject_exception(v, VEC_DB, 0);
	}
	vcpu_step_event(v);
}

static void vmx_run(struct vcpu *v)
{
	int st = vmx_run_loop(v);

	if (st != VMX_LOOP_STOPPED) {
		vmx_report_entry_failure(st);
		v->state = VCPU_STOPPED;
	}
}

uint64_t vmx_guest_cr0(void)
{
	uint64_t mask = vmread(VMCS_CR0_MASK);

	return (vmread(VMCS_GUEST_CR0) & ~mask) | (vmread(VMCS_CR0_SHADOW) & mask);
}

uint64_t vmx_guest_cr4(void)
{
	uint64_t mask = vmread(VMCS_CR4_MASK);

	return (vmread(VMCS_GUEST_CR4) & ~mask) | (vmread(VMCS_CR4_SHADOW) & mask);
}

/* CPL is SS.DPL in VMX (SDM vol. 3C 25.4.1). */
static uint64_t vmx_read_reg(struct vcpu *v, enum vcpu_reg r)
{
	switch (r) {
	case VCPU_REG_RIP: return vmread(VMCS_GUEST_RIP);
	case VCPU_REG_RSP: return vmread(VMCS_GUEST_RSP);
	case VCPU_REG_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
	case VCPU_REG_CR0: return vmx_guest_cr0();
	case VCPU_REG_CR2: return read_cr2();   /* VMX does not switch CR2 */
	case VCPU_REG_CR3: return vmread(VMCS_GUEST_CR3);
	case VCPU_REG_CR4: return vmx_guest_cr4();
	case VCPU_REG_EFER: return vmread(VMCS_GUEST_EFER);
	case VCPU_REG_CPL: return (vmread(VMCS_GUEST_AR(SEG_SS)) >> SEG_ATTR_DPL_SHIFT) & 3;
	case VCPU_REG_DR6: return v->dbg.guest.dr6;  /* VMX does not switch DR6 */
	case VCPU_REG_DR7: return vmread(VMCS_GUEST_DR7);
	default: break;
	}
	if (r >= VCPU_REG_SEL && r <= VCPU_REG_SEL_LAST)
		return vmread(VMCS_GUEST_SEL(r - VCPU_REG_SEL));
	return 0;
}

/* CR0/CR4 writes keep the bits VMX forces in the real register and show
 * the guest the value it wrote. */
static void vmx_write_reg(struct vcpu *v, enum vcpu_reg r, uint64_t val)
{
	struct vmx_vcpu *x = v->vendor;

	switch (r) {
	case VCPU_REG_RIP: vmcs_write(VMCS_GUEST_RIP, val); break;
	case VCPU_REG_RSP: vmcs_write(VMCS_GUEST_RSP, val); break;
	case VCPU_REG_RFLAGS: vmcs_write(VMCS_GUEST_RFLAGS, val); break;
	case VCPU_REG_CR0:
		vmcs_write(VMCS_CR0_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR0, (val | x->cr0_fixed0) & x->cr0_fixed1);
		break;
	case VCPU_REG_CR2: write_cr2(val); break;
	case VCPU_REG_CR3: vmcs_write(VMCS_GUEST_CR3, val); break;
	case VCPU_REG_CR4:
		vmcs_write(VMCS_CR4_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR4, (val | x->cr4_fixed0) & x->cr4_fixed1);
		break;
	case VCPU_REG_EFER: vmcs_write(VMCS_GUEST_EFER, val); break;
	case VCPU_REG_CPL: break;   /* follows SS.DPL; not writable on its own */
	case VCPU_REG_DR6: v->dbg.guest.dr6 = val; break;
	case VCPU_REG_DR7: vmcs_write(VMCS_GUEST_DR7, val); break;
	default: break;  /* selectors are read-only here */
	}
}

/* Event injection (SDM vol. 3C 25.8.3, 27.6): a hardware exception, with
 * its error code where the vector has one. */
static void vmx_inject_exception(struct vcpu *v, uint8_t vector, uint32_t error_code)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	(void)v;
	if (exception_has_error_code(vector)) {
		info |= INTR_INFO_ERROR_VALID;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error_code);
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

/* The single-step trap after an emulated instruction, raised by the CPU
 * itself, as the SDM tells a VMM to (vol. 3C, "Virtualization of System
 * Resources", Debug Exceptions: set the pending debug exceptions field, do
 * not inject): BS pending is delivered right after VM entry as an ordinary
 * #DB of the guest, with the priority of a trap on the previous instruction
 * and everything a delivered #DB does (DR6, DR7.GD, IA32_DEBUGCTL), which
 * event injection would not do (an injected #DB also bypasses the exception
 * bitmap, this one does not). The entry checks on the field (27.3.1.5)
 * concern only blocking by STI/MOV SS and HLT, which the skipped
 * instruction has ended. */
static bool vmx_pend_step_trap(struct vcpu *v)
{
	/* While the monitor steps with #DB exiting (no MTF), a pending #DB
	 * would exit and count as a second step: then core/ emulates it. */
	if (v->step_armed)
		return false;
	vmcs_write(VMCS_GUEST_PENDING_DBG, vmread(VMCS_GUEST_PENDING_DBG) | PENDING_DBG_BS);
	return true;
}

static void vmx_dump(struct vcpu *v)
{
	(void)v;
	vmx_dump_vmcs();
}

const struct vendor_ops vmx_ops = {
	.name = "vmx",
	.cpuid_vendor = DV_CPUID_VENDOR_VMX,
	.supported = vmx_supported,
	.enable = vmx_enable,
	.disable = vmx_disable,
	.vcpu_init = vmx_vcpu_init,
	.run = vmx_run,
	.read_reg = vmx_read_reg,
	.write_reg = vmx_write_reg,
	.inject_exception = vmx_inject_exception,
	.dump = vmx_dump,
	.set_single_step = vmx_set_single_step,
	.pend_step_trap = vmx_pend_step_trap,
};
