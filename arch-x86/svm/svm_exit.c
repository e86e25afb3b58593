/* #VMEXIT handling for AMD SVM: decode the VMCB's exit code and hand the
 * vendor-neutral part to core/vcpu.c. */
#include "svm.h"
#include "arch-x86/cpu.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"
#include "core/apic_trap.h"
#include "core/fast_exit.h"
#include "core/hv_config.h"
#include "core/irq_forward.h"
#include "core/pcpu.h"
#include "core/io_policy.h"
#include "core/log.h"

#define INSN_LEN_CPUID 2      /* 0f a2 */
#define INSN_LEN_VMMCALL 3    /* 0f 01 d9 */
#define INSN_LEN_RDWRMSR 2    /* 0f 32 / 0f 30 */

/* The instruction after VMRUN in svm_entry.asm. */
extern const char svm_after_vmrun[] __asm__("svm_run_loop.after_vmrun");

bool svm_leaked_guest_step(uint64_t rip)
{
	uint64_t dr6 = read_dr6();

	/* BS, and no B0-B3: Bochs keeps the DR6 the guest left in the CPU
	 * across #VMEXIT and commits the trap into it keeping BD and BS, so a
	 * guest's sticky BD may come along; B0-B3 it clears (no host
	 * breakpoint is armed at VMRUN anyway: DR_HOST_SAVE_AND_QUIESCE). */
	if (rip != (uint64_t)svm_after_vmrun || !(dr6 & DR6_BS) || (dr6 & DR6_B0_3))
		return false;
	write_dr6(DR6_RESET);
	return true;
}

/* RIP moved to rip past an instruction drvisor carried out: its interrupt
 * shadow ends, a step trap is raised as the CPU would. */
static void svm_resume_at(struct vcpu *v, uint64_t rip)
{
	struct vmcb *vm = ((struct svm_vcpu *)v->vendor)->vmcb;

	vm->save.rip = rip;
	vm->control.interrupt_shadow = 0;
	vcpu_emulated_step_trap(v, vm->save.rflags);
}

void svm_skip_instruction(struct vcpu *v, unsigned len)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;

	/* Without NRIP save (QEMU TCG) the length of each intercepted
	 * instruction is known from its encoding. */
	svm_resume_at(v, s->nrip_save ? vm->control.next_rip : vm->save.rip + len);
}

/* IA32_DEBUGCTL is virtualized (core/debugreg.h). */
static bool debugctl_access(struct vcpu *v, bool write, uint64_t val)
{
	if (write)
		return debugreg_write_debugctl(v, val);
	val = debugreg_read_debugctl(v);
	v->gprs.rax = (uint32_t)val;
	v->gprs.rdx = val >> 32;
	return true;
}

/* RDMSR/WRMSR of the MSRs in the permission map. Returns false when the
 * guest gets #GP instead. */
static bool msr_access(struct vcpu *v, struct svm_vcpu *s, bool write)
{
	uint32_t msr = (uint32_t)v->gprs.rcx;
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
	struct vmcb *vm = s->vmcb;

	if (msr == MSR_IA32_DEBUGCTL)
		return debugctl_access(v, write, val);
	if (msr == MSR_X2APIC_ICR && write)
		return apic_x2apic_icr_write(v, val) == MMIO_DONE;
	if (msr == MSR_IA32_APIC_BASE && write)
		return apic_base_write(v, val) == MMIO_DONE;
	if (msr != MSR_IA32_EFER)
		return false;  /* VM_CR, VM_HSAVE_PA: the guest's CPU has no SVM */
	if (!write) {
		val = vm->save.efer & ~EFER_SVME;
		v->gprs.rax = (uint32_t)val;
		v->gprs.rdx = val >> 32;
		return true;
	}
	/* LMA is read-only (the write leaves it as is, APM vol. 2 3.1.7); SVME
	 * is hidden from the guest, which sees no SVM. */
	if (val & ~(s->efer_writable | EFER_LMA))
		return false;
	vm->save.efer = (val & s->efer_writable) | (vm->save.efer & EFER_LMA) | EFER_SVME;
	return true;
}

static void handle_msr(struct vcpu *v, struct svm_vcpu *s)
{
	bool write = s->vmcb->control.exit_info1 & 1;

	vcpu_count_exit(v, write ? DV_EXIT_MSR_WRITE : DV_EXIT_MSR_READ);
	if (msr_access(v, s, write))
		svm_skip_instruction(v, INSN_LEN_RDWRMSR);
	else
		v->ops->inject_exception(v, VEC_GP, 0);
}

/* Only the monitor's UART and the PCI configuration ports exit
 * (core/io_policy.h). IOIO always reports
 * the next RIP in EXITINFO2 (APM vol. 2 15.10.2). */
static void handle_io(struct vcpu *v, struct svm_vcpu *s)
{
	struct vmcb *vm = s->vmcb;
	uint64_t info = vm->control.exit_info1;
	unsigned size = (info >> SVM_IOIO_SIZE_SHIFT) & 7;
	struct io_access a = {
		.port = (uint16_t)(info >> SVM_IOIO_PORT_SHIFT),
		.bytes = (uint8_t)(size == 4 ? 4 : size == 2 ? 2 : 1),
		.in = info & SVM_IOIO_TYPE_IN,
		.string = info & SVM_IOIO_STRING,
		.rep = info & SVM_IOIO_REP,
	};

	vcpu_count_exit(v, DV_EXIT_IO);
	if (!io_intercepted(v, &a))
		return;
	vm->save.rip = vm->control.exit_info2;
	vm->control.interrupt_shadow = 0;
	vcpu_emulated_step_trap(v, vm->save.rflags);
}

/* A write to a write-trapped page (core/mmio_trap.h): the instruction's
 * length comes from its decoding (next RIP is not saved for NPF without
 * decode assists, which QEMU TCG and Bochs lack). Returns false for any
 * other fault. */
static bool trapped_write(struct vcpu *v, struct vmcb *vm)
{
	const uint64_t pw = SVM_NPF_PRESENT | SVM_NPF_WRITE;
	unsigned len = 0;

	if ((vm->control.exit_info1 & pw) != pw)
		return false;
	switch (mmio_write_exit(v, vm->control.exit_info2, 0,
				vm->control.exit_int_info & SVM_EVENT_VALID, &len)) {
	case MMIO_EXIT_SKIP:
		svm_resume_at(v, vm->save.rip + len);
		return true;
	case MMIO_EXIT_GP:
		v->ops->inject_exception(v, VEC_GP, 0);
		return true;
	default:
		return false;
	}
}

static void handle_npf(struct vcpu *v, struct svm_vcpu *s)
{
	struct vmcb *vm = s->vmcb;

	vcpu_count_exit(v, DV_EXIT_NESTED_PAGE_FAULT);
	if (trapped_write(v, vm))
		return;
	if (nested_map_fault(vm->control.exit_info2)) {
		vm->control.tlb_control = SVM_TLB_FLUSH_ALL;
		return;
	}
	log_warn("guest touched drvisor's memory: gpa 0x%llx, error code 0x%llx, rip 0x%llx; "
		 "injecting #GP(0)",
		 (unsigned long long)vm->control.exit_info2,
		 (unsigned long long)vm->control.exit_info1, (unsigned long long)vm->save.rip);
	v->ops->inject_exception(v, VEC_GP, 0);
}

/* A physical interrupt arrived while the guest ran: let the host accept it
 * (IF open for one instruction, GIF being 1 in the host; the host IDT
 * records the vector, core/irq_forward.h) so that svm_prepare_entry can
 * hand it to the guest. */
static void take_interrupts(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_INTERRUPT);
	__asm__ volatile("sti; nop; cli" : : : "memory");
}

/* Pass mode (svm_pass_irq): the guest takes the interrupt itself. */
static void pass_interrupt(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_INTERRUPT);
	svm_pass_irq(v);
}

static void refuse_virt_instruction(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_VIRT_INSTRUCTION);
	v->ops->inject_exception(v, VEC_UD, 0);
}

static void failed_vmrun(struct vcpu *v, struct svm_vcpu *s)
{
	log_raw("drvisor: VMRUN failed (exit code 0x%llx): the VMCB did not pass the "
		"consistency checks (APM vol. 2 15.5.1)\n",
		(unsigned long long)s->vmcb->control.exit_code);
	svm_dump_vmcb(s->vmcb);
	v->state = VCPU_STOPPED;
}

static void dispatch(struct vcpu *v, struct svm_vcpu *s)
{
	uint64_t code = s->vmcb->control.exit_code;

	switch (code) {
	case SVM_EXIT_INTR:
		if (s->forward_irqs)
			take_interrupts(v);
		else
			pass_interrupt(v);
		break;
	case SVM_EXIT_IRET:
		/* Only intercepted in pass mode, once per passed interrupt;
		 * counted apart from the interrupt itself. */
		vcpu_count_exit(v, DV_EXIT_OTHER);
		svm_pass_irq_done(v);
		break;
	case SVM_EXIT_NMI:
		/* Taken by the host IDT at the loop's STGI (pcpu kick or an
		 * NMI for the guest, arch-x86/exception.c). */
		vcpu_count_exit(v, DV_EXIT_NMI);
		break;
	case SVM_EXIT_VINTR:
		/* The guest can take an interrupt again: svm_prepare_entry
		 * injects the next one the host holds for it. */
		vcpu_count_exit(v, DV_EXIT_INTERRUPT);
		break;
	case SVM_EXIT_CPUID:
		vcpu_count_exit(v, DV_EXIT_CPUID);
		vcpu_emulate_cpuid(v);
		svm_skip_instruction(v, INSN_LEN_CPUID);
		break;
	case SVM_EXIT_VMMCALL:
		vcpu_count_exit(v, DV_EXIT_HYPERCALL);
		vcpu_hypercall(v);
		svm_skip_instruction(v, INSN_LEN_VMMCALL);
		break;
	case SVM_EXIT_MSR:
		handle_msr(v, s);
		break;
	case SVM_EXIT_IOIO:
		handle_io(v, s);
		break;
	case SVM_EXIT_NPF:
		handle_npf(v, s);
		break;
	case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE: case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT: case SVM_EXIT_INVLPGA:
		refuse_virt_instruction(v);
		break;
	case SVM_EXIT_EXCEPTION_0 + VEC_DB:
		svm_step_db(v); /* only intercepted while the monitor steps */
		break;
	case SVM_EXIT_SHUTDOWN:
		vcpu_count_exit(v, DV_EXIT_SHUTDOWN);
		vcpu_guest_shutdown(v, "triple fault");
		break;
	default:
		if ((code == SVM_EXIT_DR_WRITE_0 + 6 || code == SVM_EXIT_DR_WRITE_0 + 4) &&
		    v->step_armed && v->step_tf_ours)
			svm_step_dr6_write(v); /* only intercepted for a monitor step */
		else if (code >= SVM_EXIT_DR_READ_0 && code <= SVM_EXIT_DR_LAST)
			debugreg_guest_access(v); /* lazy policy: re-executed, now direct */
		else if ((uint32_t)code == SVM_EXIT_INVALID_LOW32)
			failed_vmrun(v, s);
		else
			vcpu_unexpected_exit(v, "svm exit code", code);
		break;
	}
}

/* A CPUID exit emulated and RIP moved past it, the interrupt shadow ended,
 * without the single-step bookkeeping: the work of the fast path and of the
 * floor. A CPUID exit never interrupts an event delivery (EXITINTINFO is
 * not valid, APM vol. 2 15.7.2): nothing to re-inject. */
static void cpuid_resume(struct vcpu *v, struct svm_vcpu *s)
{
	struct vmcb *vm = s->vmcb;

	vm->control.tlb_control = 0;
	vm->control.event_inject = 0;
	v->gprs.rax = vm->save.rax;
	vcpu_emulate_cpuid(v);
	vm->save.rax = v->gprs.rax;
	vm->save.rip = s->nrip_save ? vm->control.next_rip : vm->save.rip + INSN_LEN_CPUID;
	vm->control.interrupt_shadow = 0;
}

#ifdef DRVISOR_EXIT_FLOOR
/* The floor of this design's exit path (CMake DRVISOR_EXIT_FLOOR, core-floor.elf,
 * benchmarks only): called by svm_entry.asm right after #VMEXIT with the
 * guest's GPRs saved, in place of svm_fast_exit. A CPUID exit is emulated
 * (drvisor's leaves included) with no statistics, no check of what may be
 * pending, no debug-register switch and no monitor poll. */
int svm_floor_exit(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;

	if (s->vmcb->control.exit_code != SVM_EXIT_CPUID)
		return 0;
	cpuid_resume(v, s);
	return 1;
}
#else
/* The fast path (core/fast_exit.h), called by svm_entry.asm right after
 * #VMEXIT with the guest's GPRs saved and GIF = 0: a CPUID exit, counted and
 * emulated, when nothing else is pending. Not when the guest single-steps
 * (its RFLAGS.TF: the trap is drvisor's to raise, vcpu_emulated_step_trap),
 * nor while the host holds an NMI for the guest: one may have come after
 * svm_prepare_entry, GIF being 1 in the host until CLGI (interrupts cannot:
 * the host's IF is 0 there).
 * Returns 1 to resume at once, 0 for the common path. */
int svm_fast_exit(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;

	if (vm->control.exit_code != SVM_EXIT_CPUID || !fast_exit_ready(v) ||
	    (vm->save.rflags & RFLAGS_TF) || pcpu_of(v)->irq.nmi_pending)
		return 0;
	vcpu_count_exit(v, DV_EXIT_CPUID);
	cpuid_resume(v, s);
	return 1;
}
#endif

int svm_handle_exit(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;

	v->gprs.rax = vm->save.rax;
	vm->control.tlb_control = 0;    /* the first VMRUN flushed the guest's ASID */
	/* An event whose delivery the exit interrupted is delivered again
	 * (APM vol. 2 15.7.2); EXITINTINFO has EVENTINJ's layout. */
	vm->control.event_inject =
		vm->control.exit_int_info & SVM_EVENT_VALID ? vm->control.exit_int_info : 0;
	/* The guest's IA32_DEBUGCTL as the CPU left it (a #DB it delivered
	 * clears LBR/BTF): #VMEXIT saved it into the VMCB with LBR
	 * virtualization, the loop read the MSR where it swapped it by hand;
	 * a guest value of 0 went in by neither (core/debugctl.h). */
	if (s->lbr_virt)
		debugreg_debugctl_exit(v, vm->save.dbgctl);
	else if (v->dbg.swap_debugctl)
		debugreg_debugctl_exit(v, v->dbg.debugctl_hw);
	dispatch(v, s);
	vm->save.rax = v->gprs.rax;
	if (v->state == VCPU_RUNNING)
		vcpu_service(v);
	if (v->state != VCPU_RUNNING)
		return 0;
	svm_prepare_entry(v);
	return 1;
}
