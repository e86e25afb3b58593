/* VM-exit handling for Intel VMX: decode the exit reason (SDM vol. 3C
 * 28.2, vol. 3D appendix C) and hand the vendor-neutral part to
 * core/vcpu.c. */
#include <stddef.h>
#include "vmx.h"
#include "ept.h"
#include "vmx_insn.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"
#include "core/apic_trap.h"
#include "core/fast_exit.h"
#include "core/mmio_trap.h"
#include "core/io_policy.h"
#include "core/irq_forward.h"
#include "core/pcpu.h"
#include "core/log.h"
#include "core/machine_check.h"
#include "core/memory.h"
#include "core/msr_policy.h"

#define EPT_QUAL_NMI_UNBLOCKING (1u << 12)      /* table 28-7 */
#define GPR_RSP 4                               /* register numbers, table 28-3 */

/* XCR0 bits (SDM vol. 1 13.3); CPUID leaf 0xD enumerates the supported ones. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_MPX (3ull << 3)                    /* BNDREGS, BNDCSR */
#define XCR0_AVX512 (7ull << 5)                 /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_AMX (3ull << 17)                   /* XTILECFG, XTILEDATA */

static inline void xsetbv(uint32_t index, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void wbinvd(void)
{
	__asm__ volatile("wbinvd" : : : "memory");
}

/* RIP past the exiting instruction and blocking by STI or MOV SS ended,
 * as the instruction's completion would (the field is written only when
 * one is set: this runs on most exits). */
static void advance_rip_by(uint64_t len)
{
	uint64_t intr;

	vmcs_write(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + len);
	intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void advance_rip(void)
{
	advance_rip_by(vmread(VMCS_EXIT_INSN_LEN));
}

/* Past len bytes of an instruction drvisor carried out (the exit's own
 * length field where it has one, vmx_skip_instruction). */
static void skip_bytes(struct vcpu *v, uint64_t len)
{
	uint64_t rflags = vmread(VMCS_GUEST_RFLAGS);

	advance_rip_by(len);
	/* The single-step trap of the exiting instruction is drvisor's to
	 * raise (vcpu_emulated_step_trap, through the same field:
	 * vmx_pend_step_trap); one the CPU left pending in the VMCS (Bochs
	 * does) must not stay when the monitor's TF, not the guest's, made
	 * it. Only RFLAGS.TF makes one. */
	if (rflags & RFLAGS_TF)
		vmcs_write(VMCS_GUEST_PENDING_DBG,
			   vmread(VMCS_GUEST_PENDING_DBG) & ~PENDING_DBG_BS);
	vcpu_emulated_step_trap(v, rflags);
}

void vmx_skip_instruction(struct vcpu *v)
{
	skip_bytes(v, vmread(VMCS_EXIT_INSN_LEN));
}

/* An event whose delivery the exit interrupted is delivered again at the
 * next entry (28.2.4, 27.6): the IDT-vectoring information becomes the
 * entry's interruption information. A handler may replace it with an
 * exception of its own. */
static void reinject_interrupted_event(void)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO), type;

	if (!(info & INTR_INFO_VALID))
		return;
	vmcs_write(VMCS_ENTRY_INTR_INFO, info & INTR_INFO_REINJECT_MASK);
	if (info & INTR_INFO_ERROR_VALID)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
	type = info & INTR_INFO_TYPE_MASK;
	if (type == INTR_TYPE_SOFT_INTERRUPT || type == INTR_TYPE_PRIV_SOFT_EXCEPTION ||
	    type == INTR_TYPE_SOFT_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSN_LEN, vmread(VMCS_EXIT_INSN_LEN));
}

/* MSR exits come only from the MSRs vmx_setup.c hides, and from MSRs
 * outside the bitmap's ranges (SDM vol. 3C 26.1.3), which drvisor does not emulate:
 * both get #GP, as on a CPU that lacks them. */
/* IA32_DEBUGCTL is virtualized (core/debugreg.h). Returns false for #GP. */
static bool debugctl_access(struct vcpu *v, bool write)
{
	uint64_t val;

	if (write)
		return debugreg_write_debugctl(v, (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax);
	val = debugreg_read_debugctl(v);
	v->gprs.rax = (uint32_t)val;
	v->gprs.rdx = val >> 32;
	return true;
}

/* IA32_FEATURE_CONTROL reads (locked, VMX off) and IA32_XSS (checked,
 * core/msr_policy.h). Returns false for #GP. */
static bool policy_msr_access(struct vcpu *v, uint32_t msr, bool write)
{
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
	struct cpuid_regs xss = cpuid(CPUID_XSAVE_LEAF, CPUID_XSAVE_XSS_SUBLEAF);

	if (msr == MSR_IA32_FEATURE_CONTROL && !write)
		val = msr_feature_control_guest(rdmsr(MSR_IA32_FEATURE_CONTROL));
	else if (msr == MSR_IA32_XSS && !write)
		val = rdmsr(MSR_IA32_XSS);
	else if (msr == MSR_IA32_XSS && msr_xss_writable(val, ((uint64_t)xss.edx << 32) | xss.ecx))
		wrmsr(MSR_IA32_XSS, val);
	else
		return false;
	v->gprs.rax = (uint32_t)val;
	v->gprs.rdx = val >> 32;
	return true;
}

static void handle_msr(struct vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->gprs.rcx;

	vcpu_count_exit(v, write ? DV_EXIT_MSR_WRITE : DV_EXIT_MSR_READ);
	if (write && (msr == MSR_X2APIC_ICR || msr == MSR_IA32_APIC_BASE)) {
		uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

		if ((msr == MSR_X2APIC_ICR ? apic_x2apic_icr_write(v, val)
					   : apic_base_write(v, val)) == MMIO_DONE)
			vmx_skip_instruction(v);
		else
			v->ops->inject_exception(v, VEC_GP, 0);
		return;
	}
	if (msr == MSR_IA32_DEBUGCTL) {
		if (debugctl_access(v, write))
			vmx_skip_instruction(v);
		else
			v->ops->inject_exception(v, VEC_GP, 0);
		return;
	}
	if (policy_msr_access(v, msr, write)) {
		vmx_skip_instruction(v);
		return;
	}
	if (!msr_hidden(msr) && msr != MSR_IA32_FEATURE_CONTROL && msr != MSR_IA32_XSS &&
	    !(msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_EXIT_CTLS2))
		log_debug("vmx: guest %s of MSR 0x%x outside the MSR bitmap: #GP",
			  write ? "wrmsr" : "rdmsr", msr);
	v->ops->inject_exception(v, VEC_GP, 0);
}

/* Only the monitor's UART and the PCI configuration ports exit
 * (core/io_policy.h; the I/O bitmaps). */
static void handle_io(struct vcpu *v)
{
	uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
	struct io_access a = {
		.port = (uint16_t)(q >> IO_QUAL_PORT_SHIFT),
		.bytes = (uint8_t)((q & IO_QUAL_SIZE_MASK) + 1),
		.in = q & IO_QUAL_IN,
		.string = q & IO_QUAL_STRING,
		.rep = q & IO_QUAL_REP,
	};

	vcpu_count_exit(v, DV_EXIT_IO);
	if (io_intercepted(v, &a))
		vmx_skip_instruction(v);
}

/* XCR0 values XSETBV accepts (SDM vol. 2 XSETBV, vol. 1 13.3): x87 always,
 * only supported components, AVX with SSE, the MPX pair, the AVX-512
 * triple (with AVX) and the AMX pair each all or none. */
static bool xcr0_valid(uint64_t v)
{
	struct cpuid_regs r = cpuid(CPUID_XSAVE_LEAF, 0);
	uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;

	if ((v & ~supported) || !(v & XCR0_X87) || ((v & XCR0_AVX) && !(v & XCR0_SSE)))
		return false;
	if ((v & XCR0_MPX) && (v & XCR0_MPX) != XCR0_MPX)
		return false;
	if ((v & XCR0_AVX512) && ((v & XCR0_AVX512) != XCR0_AVX512 || !(v & XCR0_AVX)))
		return false;
	return !(v & XCR0_AMX) || (v & XCR0_AMX) == XCR0_AMX;
}

/* XSETBV always exits (SDM vol. 3C 26.1.2). The CPU has checked CPL and CR4.OSXSAVE;
 * the rest is checked here, then executed: XCR0 is not switched by VM
 * entry or exit, so the value stays the guest's. */
static void handle_xsetbv(struct vcpu *v)
{
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

	vcpu_count_exit(v, DV_EXIT_XSETBV);
	if ((uint32_t)v->gprs.rcx != 0 || !xcr0_valid(val)) {
		v->ops->inject_exception(v, VEC_GP, 0);
		return;
	}
	xsetbv(0, val);
	vmx_skip_instruction(v);
}

/* INVD always exits (SDM vol. 3C 26.1.2). Discarding dirty lines would lose drvisor's
 * own writes as well as the guest's; writing them back first is what a
 * cache that happened to be clean would have done, so WBINVD stands in. */
static void handle_invd(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_INVD);
	wbinvd();
	vmx_skip_instruction(v);
}

/* General register n of the exit qualifications (table 28-3 order); RSP is
 * in the VMCS and not handled through this. */
static uint64_t *gpr(struct vcpu *v, unsigned n)
{
	struct guest_gprs *g = &v->gprs;
	uint64_t *const regs[16] = {
		&g->rax, &g->rcx, &g->rdx, &g->rbx, NULL, &g->rbp, &g->rsi, &g->rdi,
		&g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13, &g->r14, &g->r15,
	};

	return regs[n & 15];
}

/* MOV to CR0/CR4 that changes a bit the guest/host mask owns (25.6.6):
 * one VMX forces (CR0.NE, CR4.VMXE) or one the CPU lacks. Setting CR4.VMXE
 * or an unsupported bit gets #GP as on a CPU without VMX; anything else is
 * the guest's to change: it reads back what it wrote, the CPU keeps the
 * forced bits. */
static void handle_cr_access(struct vcpu *v)
{
	struct vmx_vcpu *x = v->vendor;
	uint64_t q = vmread(VMCS_EXIT_QUALIFICATION), val, fixed1;
	unsigned cr = q & CR_QUAL_NUMBER_MASK, reg = (q >> CR_QUAL_GPR_SHIFT) & CR_QUAL_GPR_MASK;

	vcpu_count_exit(v, DV_EXIT_OTHER);
	if (((q >> CR_QUAL_TYPE_SHIFT) & CR_QUAL_TYPE_MASK) != CR_QUAL_TYPE_MOV_TO ||
	    (cr != 0 && cr != 4)) {
		vcpu_unexpected_exit(v, "vmx control-register access, qualification", q);
		return;
	}
	val = reg == GPR_RSP ? vmread(VMCS_GUEST_RSP) : *gpr(v, reg);
	fixed1 = cr == 0 ? x->cr0_fixed1 : x->cr4_fixed1;
	if ((val & ~fixed1) || (cr == 4 && (val & CR4_VMXE))) {
		v->ops->inject_exception(v, VEC_GP, 0);
		return;
	}
	v->ops->write_reg(v, cr == 0 ? VCPU_REG_CR0 : VCPU_REG_CR4, val);
	vmx_skip_instruction(v);
}

/* A write to a write-trapped page (core/mmio_trap.h): VMX reports no
 * instruction length for EPT violations (SDM vol. 3C 28.2.5), the decoder
 * gives it. Returns false for any other page. */
static bool trapped_write(struct vcpu *v, uint64_t gpa)
{
	bool in_delivery = vmread(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID;
	unsigned len = 0;

	switch (mmio_write_exit(v, gpa, 0, in_delivery, &len)) {
	case MMIO_EXIT_SKIP:
		skip_bytes(v, len);
		return true;
	case MMIO_EXIT_GP:
		v->ops->inject_exception(v, VEC_GP, 0);
		return true;
	default:
		return false;
	}
}

/* Addresses above the map built up front are mapped now and the access
 * retried (nested_map_fault). The only guest-physical addresses EPT leaves
 * out are then drvisor's own pages and those above the CPU's physical
 * width: reported, and answered with #GP(0) as svm_exit.c answers a nested
 * page fault. If the faulting instruction was an IRET that unblocked NMIs,
 * blocking is restored either way (28.2.3). */
static void handle_ept_violation(struct vcpu *v)
{
	uint64_t gpa = vmread(VMCS_GUEST_PHYSICAL_ADDR), q = vmread(VMCS_EXIT_QUALIFICATION);

	vcpu_count_exit(v, DV_EXIT_NESTED_PAGE_FAULT);
	if ((q & EPT_QUAL_NMI_UNBLOCKING) && !(vmread(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   vmread(VMCS_GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
	if ((q & EPT_QUAL_WRITE) && trapped_write(v, gpa))
		return;
	if (nested_map_fault(gpa))
		return;
	log_warn("guest touched %s: gpa 0x%llx, %s%s%s, qualification 0x%llx, rip 0x%llx; "
		 "injecting #GP(0)", hv_owns(gpa, 1) ? "drvisor's memory" : "unmapped memory",
		 (unsigned long long)gpa, q & EPT_QUAL_READ ? "r" : "", q & EPT_QUAL_WRITE ? "w" : "",
		 q & EPT_QUAL_FETCH ? "x" : "", (unsigned long long)q,
		 (unsigned long long)vmread(VMCS_GUEST_RIP));
	v->ops->inject_exception(v, VEC_GP, 0);
}

/* An EPT entry drvisor wrote is malformed (29.3.3.1): a bug. */
static void handle_ept_misconfig(struct vcpu *v)
{
	struct vmx_vcpu *x = v->vendor;
	uint64_t gpa = vmread(VMCS_GUEST_PHYSICAL_ADDR);

	vcpu_count_exit(v, DV_EXIT_NESTED_PAGE_MISCONFIG);
	log_raw("drvisor: EPT misconfiguration at gpa 0x%llx (eptp 0x%llx); the walk:\n",
		(unsigned long long)gpa, (unsigned long long)x->eptp);
	ept_print_walk(x->eptp, gpa);
	vcpu_unexpected_exit(v, "vmx EPT misconfiguration at gpa", gpa);
}

/* INIT is not blocked in VMX non-root operation and always exits (26.2).
 * Emulating wait-for-SIPI is for later: the vCPU stops. */
static void handle_init(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_INIT);
	log_warn("vmx: vcpu%u received INIT at rip 0x%llx; stopping it", v->id,
		 (unsigned long long)vmread(VMCS_GUEST_RIP));
	/* INIT resets the debug registers (SDM vol. 3A 10.1, table 10-1):
	 * that is what the monitor shows of the stopped vCPU. */
	debugreg_reset(v);
	v->state = VCPU_STOPPED;
}

/* An NMI (NMI exiting) or an exception of the bitmap: only #DB is in it,
 * and only while the monitor steps the guest without MTF. The NMI is the
 * guest's: recorded as one taken in the host is, and delivered by
 * vmx_prepare_entry when the guest's virtual-NMI blocking allows. */
static void handle_exception(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);

	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		struct pcpu *p = pcpu_of(v);

		vcpu_count_exit(v, DV_EXIT_NMI);
		/* drvisor's own kick (core/pcpu.h) is not the guest's. */
		if (p->kick)
			p->kick = false;
		else
			irq_forward_record_nmi(&p->irq);
		cpu_unblock_nmi();
		return;
	}
	if ((info & INTR_INFO_VECTOR_MASK) == VEC_DB) {
		vmx_step_db(v);
		return;
	}
	vcpu_unexpected_exit(v, "vmx exception exit, interruption info", info);
}

static void refuse_virt_instruction(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_VIRT_INSTRUCTION);
	v->ops->inject_exception(v, VEC_UD, 0);
}

static void dispatch(struct vcpu *v, uint32_t reason)
{
	switch (reason) {
	case EXIT_CPUID:
		vcpu_count_exit(v, DV_EXIT_CPUID);
		vcpu_emulate_cpuid(v);
		vmx_skip_instruction(v);
		break;
	case EXIT_VMCALL:
		vcpu_count_exit(v, DV_EXIT_HYPERCALL);
		vcpu_hypercall(v);
		vmx_skip_instruction(v);
		break;
	case EXIT_MOV_DR: debugreg_guest_access(v); break; /* lazy: re-executed, now direct */
	case EXIT_EXCEPTION_NMI: handle_exception(v); break;
	case EXIT_NMI_WINDOW:
		/* The guest unblocked NMIs: vmx_prepare_entry injects the one
		 * that waits. */
		vcpu_count_exit(v, DV_EXIT_OTHER);
		break;
	case EXIT_MONITOR_TRAP_FLAG: vcpu_step_event(v); break;
	case EXIT_PREEMPTION_TIMER:
		/* Only there so that the monitor is served (vcpu_service). */
		vcpu_count_exit(v, DV_EXIT_PREEMPTION_TIMER);
		break;
	case EXIT_RDMSR: handle_msr(v, false); break;
	case EXIT_WRMSR: handle_msr(v, true); break;
	case EXIT_IO: handle_io(v); break;
	case EXIT_XSETBV: handle_xsetbv(v); break;
	case EXIT_INVD: handle_invd(v); break;
	case EXIT_CR_ACCESS: handle_cr_access(v); break;
	case EXIT_EPT_VIOLATION: handle_ept_violation(v); break;
	case EXIT_EPT_MISCONFIG: handle_ept_misconfig(v); break;
	case EXIT_INIT: handle_init(v); break;
	case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST:
	case EXIT_VMREAD: case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF:
	case EXIT_VMXON: case EXIT_INVEPT: case EXIT_INVVPID: case EXIT_VMFUNC:
		refuse_virt_instruction(v);
		break;
	case EXIT_TRIPLE_FAULT:
		vcpu_count_exit(v, DV_EXIT_SHUTDOWN);
		vcpu_guest_shutdown(v, "triple fault");
		break;
	default:
		vcpu_unexpected_exit(v, "vmx exit reason", reason);
		break;
	}
}

/* A CPUID exit emulated and RIP moved past it, without the single-step
 * bookkeeping of vmx_skip_instruction: the work of the fast path and of
 * the floor. */
static void cpuid_resume(struct vcpu *v)
{
	vcpu_emulate_cpuid(v);
	advance_rip();
}

#ifdef DRVISOR_EXIT_FLOOR
/* The floor of this design's exit path (CMake DRVISOR_EXIT_FLOOR, core-floor.elf,
 * benchmarks only): called by vmx_entry.asm right after the exit with the
 * guest's GPRs saved, in place of vmx_fast_exit. A CPUID exit is emulated
 * (drvisor's leaves included) with no statistics, no check of what may be
 * pending, no debug-register switch and no monitor poll. */
int vmx_floor_exit(struct vcpu *v)
{
	if ((uint32_t)vmread(VMCS_EXIT_REASON) != EXIT_CPUID)
		return 0;
	cpuid_resume(v);
	return 1;
}
#else
/* The fast path (core/fast_exit.h), called by vmx_entry.asm right after the
 * exit with the guest's GPRs saved: a CPUID exit, counted and emulated, when
 * nothing else is pending. Not when the guest single-steps (its RFLAGS.TF):
 * the trap is drvisor's to raise (vcpu_emulated_step_trap), and a pending
 * BS the CPU may have left in the VMCS is cleared by vmx_skip_instruction.
 * Nor while an NMI taken in the host waits for the guest (vmx_prepare_entry).
 * A CPUID exit never interrupts an event delivery (no IDT-vectoring
 * information, SDM vol. 3C 28.2.4), and VM exit clears the entry's
 * interruption information (28.2.5): nothing to re-inject. Returns 1
 * to resume at once, 0 for the common path. */
int vmx_fast_exit(struct vcpu *v)
{
	if ((uint32_t)vmread(VMCS_EXIT_REASON) != EXIT_CPUID || !fast_exit_ready(v) ||
	    (vmread(VMCS_GUEST_RFLAGS) & RFLAGS_TF) || pcpu_of(v)->irq.nmi_pending)
		return 0;
	vcpu_count_exit(v, DV_EXIT_CPUID);
	cpuid_resume(v);
	return 1;
}
#endif

int vmx_handle_exit(struct vcpu *v)
{
	struct vmx_vcpu *x = v->vendor;
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);

	/* A machine check during VM entry (SDM vol. 3C 27.8): the guest did
	 * not run and its state is as before; the check is the guest's. */
	if ((reason & EXIT_REASON_BASIC_MASK) == EXIT_MACHINE_CHECK) {
		vcpu_count_exit(v, DV_EXIT_EXCEPTION);
		machine_check_record(&pcpu_of(v)->mc_pending);
		reason = EXIT_MACHINE_CHECK;
	}
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		vmx_report_entry_failure(VMX_ENTRY_FAIL_EXIT);
		v->state = VCPU_STOPPED;
		return 0;
	}
	if (reason != EXIT_MACHINE_CHECK) {
		reinject_interrupted_event();
		/* "Save debug controls" stored the guest's IA32_DEBUGCTL, which a
		 * #DB the CPU delivered may have changed (LBR/BTF cleared): the
		 * VMCS holds that now (core/debugctl.h). */
		debugreg_debugctl_exit(v, x->debugctl_now = vmread(VMCS_GUEST_DEBUGCTL));
		dispatch(v, reason & EXIT_REASON_BASIC_MASK);
	}
	if (v->state == VCPU_RUNNING)
		vcpu_service(v);
	if (v->state != VCPU_RUNNING)
		return 0;
	vmx_prepare_entry(v);
	return 1;
}
