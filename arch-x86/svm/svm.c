/*
 * AMD SVM: enabling it, building the guest VMCB from the captured loader
 * context, and the vendor_ops that core/ calls. Exit handling is in
 * svm_exit.c, the VMRUN loop in svm_entry.asm.
 *
 * Debug registers: DR6, DR7 (and IA32_DEBUGCTL with LBR virtualization) are
 * switched by VMRUN/#VMEXIT through the VMCB; DR0-3, the host's DR6/DR7 and
 * otherwise IA32_DEBUGCTL by the VMRUN loop (svm_entry.asm), as decided by
 * svm_prepare_entry before every VMRUN (docs/debug-registers.md).
 */
#include "svm.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/cr.h"
#include "arch-x86/dr.h"
#include "arch-x86/efer_mask.h"
#include "arch-x86/exception.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"
#include "arch-x86/paging.h"
#include "core/fast_exit.h"
#include "core/guest_mem.h"
#include "core/hv_config.h"
#include "core/irq_forward.h"
#include "core/insn_mov_dr.h"
#include "core/io_policy.h"
#include "core/log.h"
#include "core/msr_policy.h"
#include "core/memory.h"
#include "core/pcpu.h"
#include "core/string.h"

#define GUEST_ASID 1                 /* ASID 0 is the host's (APM vol. 2 15.16) */

/* One per CPU, by vCPU id; the nested page tables are the machine's, built
 * by the first CPU that launches (the loader launches one at a time). */
static struct svm_vcpu svm_vcpus[DV_MAX_CPUS];
static uint64_t machine_ncr3;

static bool svm_supported(struct vcpu *v, const char **why)
{
	const struct cpu_features *f = &pcpu_of(v)->features;

	if (!f->svm)
		*why = "the CPU has no SVM (CPUID 0x80000001 ECX[2])";
	else if (f->svm_disabled)
		*why = "SVM is disabled by the firmware (VM_CR.SVMDIS)";
	else if (!f->npt)
		*why = "the CPU has no nested paging (CPUID 0x8000000A EDX[0])";
	else
		return true;
	return false;
}

static bool svm_enable(struct vcpu *v)
{
	uint64_t hsave = page_alloc();

	(void)v;
	if (!hsave) {
		log_error("svm: out of memory for the host save area");
		return false;
	}
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SVME);
	wrmsr(MSR_AMD_VM_HSAVE_PA, hsave);
	return true;
}

static void svm_disable(struct vcpu *v)
{
	(void)v;
	wrmsr(MSR_AMD_VM_HSAVE_PA, 0);
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_SVME);
}

/* Intercept reads and writes of msr (APM vol. 2 15.11: two bits per MSR in
 * three 2 KiB ranges). */
static void msrpm_intercept(uint8_t *msrpm, uint32_t msr)
{
	uint32_t base, idx;

	if (msr <= 0x1fff)
		base = 0, idx = msr;
	else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		base = 0x800, idx = msr - 0xc0000000u;
	else
		base = 0x1000, idx = msr - 0xc0010000u;
	msrpm[base + idx / 4] |= (uint8_t)(3u << ((idx % 4) * 2));
}

/* Intercept only WRMSR of msr, in 0-0x1fff (the write bit of its pair). */
static void msrpm_intercept_write(uint8_t *msrpm, uint32_t msr)
{
	msrpm[msr / 4] |= (uint8_t)(2u << ((msr % 4) * 2));
}

/* The MSRs svm_exit.c answers: EFER (SVME hidden, bits checked), the SVM
 * MSRs and those core/msr_policy.h hides (#GP), IA32_DEBUGCTL
 * (virtualized, core/debugreg.c), the writes of IA32_APIC_BASE and the
 * x2APIC ICR (core/apic_trap.h). */
static void setup_msrpm(uint8_t *msrpm)
{
	uint32_t msr;
	unsigned i;

	msrpm_intercept(msrpm, MSR_IA32_EFER);
	msrpm_intercept(msrpm, MSR_AMD_VM_CR);
	msrpm_intercept(msrpm, MSR_AMD_VM_HSAVE_PA);
	msrpm_intercept(msrpm, MSR_IA32_DEBUGCTL);
	/* The local APIC's (core/apic_trap.h): writes only, reads pass. */
	msrpm_intercept_write(msrpm, MSR_X2APIC_ICR);
	msrpm_intercept_write(msrpm, MSR_IA32_APIC_BASE);
	for (i = 0; i < msr_hidden_range_count; i++)
		for (msr = msr_hidden_ranges[i].first; msr <= msr_hidden_ranges[i].last; msr++)
			msrpm_intercept(msrpm, msr);
}

static void iopm_intercept(uint8_t *iopm, uint16_t port, unsigned count)
{
	unsigned i;

	for (i = 0; i < count; i++)
		iopm[(port + i) / 8] |= (uint8_t)(1u << ((port + i) % 8));
}

static uint64_t npt_leaf_bits(uint64_t addr, uint64_t size)
{
	(void)addr;
	(void)size;
	/* Write-back through PAT entry 0: with nested paging the guest's own
	 * PAT and MTRR types win over WB (APM vol. 2 15.25.8). */
	return PTE_PRESENT | PTE_WRITE | PTE_USER;
}

static const struct nested_pt_format npt_format = {
	/* Nested walks are user accesses: every level needs U (APM 15.25.5). */
	.table_bits = PTE_PRESENT | PTE_WRITE | PTE_USER,
	.leaf_bits = npt_leaf_bits,
	.write_bit = PTE_WRITE,
};

static bool alloc_structures(struct svm_vcpu *s)
{
	struct nested_pt_format fmt = npt_format;
	uint64_t top;

	fmt.gib_pages = cpuid(0x80000001u, 0).edx & (1u << 26);
	top = nested_map_top(paging_top(), fmt.gib_pages);
	s->vmcb = (struct vmcb *)page_alloc();
	s->host_save_pa = page_alloc();
	s->iopm = (uint8_t *)pages_alloc(SVM_IOPM_PAGES);
	s->msrpm = (uint8_t *)pages_alloc(SVM_MSRPM_PAGES);
	if (!s->vmcb || !s->host_save_pa || !s->iopm || !s->msrpm)
		return false;
	if (machine_ncr3) {
		s->vmcb->control.n_cr3 = machine_ncr3;
		return true;
	}
	machine_ncr3 = s->vmcb->control.n_cr3 =
		nested_identity_map(top, nested_map_limit(), hv_mem.base, hv_mem.size, &fmt);
	if (!s->vmcb->control.n_cr3)
		return false;
	log_info("svm: nested paging maps 0x0-0x%llx with %s pages, hole 0x%llx-0x%llx",
		 (unsigned long long)top, fmt.gib_pages ? "1 GiB" : "2 MiB",
		 (unsigned long long)hv_mem.base, (unsigned long long)(hv_mem.base + hv_mem.size));
	return true;
}

/* Workaround for a QEMU 7.2 TCG bug, applied only under that emulator
 * (CPUID signature "TCGTCGTCGTCG"): a VMRUN whose VMCB holds a virtual
 * interrupt (V_IRQ) aborts QEMU itself ("tcg_handle_interrupt: assertion
 * failed: (qemu_mutex_iothread_locked())", reproduced here). There drvisor
 * does without virtual interrupts (svm_pass_irq); the price: a guest that
 * spins with interrupts off no longer exits (docs/emulator-quirks.md). */
static bool qemu_tcg_virq_bug(void)
{
	const struct cpu_features *f = &boot_cpu_features;

	return f->hypervisor_present && !memcmp(f->hypervisor_sig, "TCGTCGTCGTCG", 12);
}

static void setup_control(struct svm_vcpu *s)
{
	struct vmcb_control *c = &s->vmcb->control;
	uint16_t first, count;
	unsigned i;

	/* Physical interrupts exit, so that the monitor is served while the
	 * guest runs. Forwarded (svm_forward_irq), they are masked by the
	 * host's IF, which the VMRUN loop sets, not by the guest's
	 * (V_INTR_MASKING): a guest spinning with interrupts off still exits.
	 * Passed (svm_pass_irq), the guest's IF masks them, so an INTR exit
	 * comes exactly when the guest would take one. */
	c->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO |
			     SVM_INTERCEPT_MSR | SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_INTR;
	if (s->forward_irqs)
		c->vintr = SVM_VINTR_MASKING;
	/* With more than one CPU, drvisor's kick (an NMI, core/pcpu.h) must
	 * not reach the guest: NMIs exit, stay pending, and are taken by the
	 * host at its STGI, which keeps the kick and hands any other on
	 * (svm_forward_irq) as for an NMI that arrives in the host. One CPU
	 * alone is never kicked: NMIs go straight to the guest, as before. */
	if (vcpu_count() > 1)
		c->intercept_misc1 |= SVM_INTERCEPT_NMI;
	/* VMRUN must be intercepted or VMRUN fails (APM 15.5.1); the rest of
	 * the SVM instructions too: the guest gets #UD, there is no nesting. */
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT;
	setup_msrpm(s->msrpm);
	for (i = 0; i < io_intercept_count(); i++) {
		io_intercept_range(i, &first, &count);
		iopm_intercept(s->iopm, first, count);
	}
	c->iopm_base_pa = (uint64_t)s->iopm;
	c->msrpm_base_pa = (uint64_t)s->msrpm;
	c->guest_asid = GUEST_ASID;
	c->tlb_control = SVM_TLB_FLUSH_ALL;
	c->np_enable = SVM_NP_ENABLE;
	c->lbr_virt_enable = s->lbr_virt ? SVM_LBR_VIRT_ENABLE : 0;
	/* Clean bits stay 0: every VMRUN reloads every VMCB field, so a change
	 * the hypervisor makes (DR6/DR7 included) is never missed. */
	c->clean_bits = 0;
}

static void set_segment(struct vmcb_segment *d, const struct guest_segment *s)
{
	d->selector = s->selector;
	d->attrib = s->unusable ? 0 : s->attr;
	d->limit = s->limit;
	d->base = s->base;
}

static void setup_save(struct vmcb_save *v, const struct guest_state *gs)
{
	set_segment(&v->es, &gs->seg[SEG_ES]);
	set_segment(&v->cs, &gs->seg[SEG_CS]);
	set_segment(&v->ss, &gs->seg[SEG_SS]);
	set_segment(&v->ds, &gs->seg[SEG_DS]);
	set_segment(&v->fs, &gs->seg[SEG_FS]);
	set_segment(&v->gs, &gs->seg[SEG_GS]);
	set_segment(&v->ldtr, &gs->seg[SEG_LDTR]);
	set_segment(&v->tr, &gs->seg[SEG_TR]);
	v->gdtr = (struct vmcb_segment){ .limit = gs->gdtr_limit, .base = gs->gdtr_base };
	v->idtr = (struct vmcb_segment){ .limit = gs->idtr_limit, .base = gs->idtr_base };
	v->cpl = (gs->seg[SEG_CS].attr >> SEG_ATTR_DPL_SHIFT) & 3;
	v->efer = gs->efer | EFER_SVME;  /* VMRUN requires guest EFER.SVME (APM 15.5.1) */
	v->cr0 = gs->cr0;
	v->cr2 = gs->cr2;
	v->cr3 = gs->cr3;
	v->cr4 = gs->cr4;
	v->rflags = gs->rflags;
	v->rip = gs->rip;
	v->rsp = gs->rsp;
	v->rax = gs->rax;
	v->dr6 = gs->dr6;
	v->dr7 = gs->dr7;
	v->g_pat = gs->pat;
	v->star = gs->star;
	v->lstar = gs->lstar;
	v->cstar = gs->cstar;
	v->sfmask = gs->sfmask;
	v->kernel_gs_base = gs->kernel_gs_base;
	v->sysenter_cs = gs->sysenter_cs;
	v->sysenter_esp = gs->sysenter_esp;
	v->sysenter_eip = gs->sysenter_eip;
}

static bool svm_vcpu_init(struct vcpu *v, const struct guest_state *gs)
{
	struct svm_vcpu *s = &svm_vcpus[v->id];
	struct efer_cpuid efer = efer_cpuid_read();

	if (!alloc_structures(s)) {
		log_error("svm: out of memory for the VMCB, permission maps or nested page tables");
		return false;
	}
	s->nrip_save = boot_cpu_features.nrip_save;
	s->lbr_virt = boot_cpu_features.lbr_virt;
	s->forward_irqs = !qemu_tcg_virq_bug();
	s->efer_writable = efer_guest_writable(&efer);
	setup_control(s);
	setup_save(&s->vmcb->save, gs);
	exception_set_db_filter(svm_leaked_guest_step);
	/* The guest's NMI blocking is the CPU's while the host runs: no host
	 * IRET may end it (issue 13 item 8; docs/architecture.md, "Events").
	 * An NMI the host takes stays blocked until the guest's IRET from the
	 * NMI injected for it. */
	exception_set_keep_nmi_blocking(true);
	v->vendor = s;
	svm_prepare_entry(v);
	return true;
}

/* Hand the interrupts the host took for the guest on, one at a time and
 * only when the guest can take one (RFLAGS.IF set, no STI/MOV SS shadow,
 * no other event queued), as event injections: exactly what the CPU would
 * have delivered, the real APIC having already arbitrated priorities. While
 * more wait, a virtual interrupt with the VINTR intercept makes the guest
 * exit as soon as it can take the next one (APM vol. 2 15.21.4), the way an
 * interrupt window works; its vector is never delivered. An NMI (which can
 * reach the host, GIF being 1 there) goes first, also where interrupts are
 * not intercepted (intr false). While the monitor steps the guest, they
 * wait. Returns whether the host still holds one for the guest. */
static bool svm_forward_irq(struct vcpu *v, struct vmcb *vm, bool intr)
{
	struct irq_forward *f = &pcpu_of(v)->irq;
	struct vmcb_control *c = &vm->control;
	bool can_take = (vm->save.rflags & RFLAGS_IF) && !(c->interrupt_shadow & 1), waiting;
	int vec;

	if (!(c->event_inject & SVM_EVENT_VALID) && irq_forward_take_nmi(f))
		c->event_inject = SVM_EVENT_VALID | SVM_EVENT_TYPE_NMI | VEC_NMI;
	if (!intr)
		return f->nmi_pending;
	c->vintr = SVM_VINTR_MASKING;
	c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	if (can_take && !(c->event_inject & SVM_EVENT_VALID) && (vec = irq_forward_next(f)) >= 0)
		c->event_inject = SVM_EVENT_VALID | SVM_EVENT_TYPE_INTR | (uint64_t)vec;
	waiting = irq_forward_pending(f);
	if (waiting) {
		c->vintr |= SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR | (0xfull << SVM_VINTR_PRIO_SHIFT);
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	}
	return waiting || f->nmi_pending;
}

/* An INTR exit in pass mode: the interrupt is still pending at the APIC
 * (nobody acknowledged it), so with the INTR intercept off the next VMRUN
 * delivers it through the guest's IDT, as on bare metal. The guest's IRET
 * from the handler is intercepted (before it executes: APM vol. 2 15.9) to
 * switch the INTR intercept back on, so that the next interrupt exits too
 * and the monitor is served at the guest's interrupt rate. */
void svm_pass_irq(struct vcpu *v)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->vendor)->vmcb->control;

	c->intercept_misc1 = (c->intercept_misc1 & ~SVM_INTERCEPT_INTR) | SVM_INTERCEPT_IRET;
}

/* The IRET exit of pass mode: the IRET runs at the next VMRUN (RIP still
 * points at it), with interrupts intercepted again. */
void svm_pass_irq_done(struct vcpu *v)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->vendor)->vmcb->control;

	c->intercept_misc1 = (c->intercept_misc1 & ~SVM_INTERCEPT_IRET) | SVM_INTERCEPT_INTR;
}

/* The lazy policy's idle state (docs/debug-registers.md): the CPU holds the
 * host's DR0-3, so every access that reads them or could make them live
 * must exit: reads and writes of DR0-3, and every write of DR7 (a MOV to
 * DR7, or to DR5 with CR4.DE = 0: SDM vol. 3B 18.2.2), which could enable a
 * breakpoint on the host's addresses. DR6 and DR7 themselves live in the
 * VMCB, which VMRUN and #VMEXIT switch (APM vol. 2 15.5.1, 15.6): reading
 * them, or writing DR6 (through DR4 too), changes nothing of the host's and
 * needs no exit. */
#define SVM_INTERCEPT_DR_IDLE (SVM_INTERCEPT_DR0_3_RW | SVM_INTERCEPT_DR_WRITE(5) | \
			       SVM_INTERCEPT_DR_WRITE(7))

void svm_prepare_entry(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;
	bool waiting;

	vm->control.intercept_dr =
		debugreg_prepare_entry(v, vm->save.dr7) ? SVM_INTERCEPT_DR_IDLE : 0;
	/* A monitor step with a TF of its own: svm_step_db compares DR6 with
	 * what the guest had at this VMRUN, and a MOV to DR6 inside the step
	 * is emulated (svm_step_dr6_write) rather than merged with the step's
	 * own #DB. */
	if (v->step_armed && v->step_tf_ours) {
		s->step_dr6 = vm->save.dr6;
		if (!s->step_dr6_direct)
			vm->control.intercept_dr |=
				SVM_INTERCEPT_DR_WRITE(4) | SVM_INTERCEPT_DR_WRITE(6);
	} else {
		s->step_dr6_direct = false;
	}
	if (s->lbr_virt)
		vm->save.dbgctl = v->dbg.guest.debugctl;
	/* Without LBR virtualization the guest's value goes in by hand, and
	 * only a nonzero one needs to (the host's is 0). */
	v->dbg.swap_debugctl = !s->lbr_virt && v->dbg.guest.debugctl;
	/* Nested entries made stricter since this CPU last flushed
	 * (nested_protect_page): its cached translations go. */
	if (s->nested_gen != nested_generation) {
		s->nested_gen = nested_generation;
		vm->control.tlb_control = SVM_TLB_FLUSH_ALL;
	}
	waiting = v->step_armed || svm_forward_irq(v, vm, s->forward_irqs);
	fast_exit_arm(v, !waiting);
}

static void svm_run(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;

	svm_run_loop(v, (uint64_t)s->vmcb, s->host_save_pa);
}

static uint64_t svm_selector(const struct vmcb_save *g, unsigned seg)
{
	const struct vmcb_segment *by_seg[SEG_COUNT] = {
		[SEG_ES] = &g->es, [SEG_CS] = &g->cs, [SEG_SS] = &g->ss, [SEG_DS] = &g->ds,
		[SEG_FS] = &g->fs, [SEG_GS] = &g->gs, [SEG_LDTR] = &g->ldtr, [SEG_TR] = &g->tr,
	};

	return by_seg[seg]->selector;
}

static uint64_t svm_read_reg(struct vcpu *v, enum vcpu_reg r)
{
	const struct vmcb_save *g = &((struct svm_vcpu *)v->vendor)->vmcb->save;

	switch (r) {
	case VCPU_REG_RIP: return g->rip;
	case VCPU_REG_RSP: return g->rsp;
	case VCPU_REG_RFLAGS: return g->rflags;
	case VCPU_REG_CR0: return g->cr0;
	case VCPU_REG_CR2: return g->cr2;
	case VCPU_REG_CR3: return g->cr3;
	case VCPU_REG_CR4: return g->cr4;
	case VCPU_REG_EFER: return g->efer & ~EFER_SVME;
	case VCPU_REG_CPL: return g->cpl;
	case VCPU_REG_DR6: return g->dr6;
	case VCPU_REG_DR7: return g->dr7;
	default: break;
	}
	return r >= VCPU_REG_SEL && r <= VCPU_REG_SEL_LAST ? svm_selector(g, r - VCPU_REG_SEL) : 0;
}

static void svm_write_reg(struct vcpu *v, enum vcpu_reg r, uint64_t val)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->vendor)->vmcb->save;

	switch (r) {
	case VCPU_REG_RIP: g->rip = val; break;
	case VCPU_REG_RSP: g->rsp = val; break;
	case VCPU_REG_RFLAGS: g->rflags = val; break;
	case VCPU_REG_CR0: g->cr0 = val; break;
	case VCPU_REG_CR2: g->cr2 = val; break;
	case VCPU_REG_CR3: g->cr3 = val; break;
	case VCPU_REG_CR4: g->cr4 = val; break;
	case VCPU_REG_EFER: g->efer = val | EFER_SVME; break;
	case VCPU_REG_CPL: g->cpl = (uint8_t)val; break;
	/* Clean bits are never set (setup_control), so the next VMRUN
	 * reloads DR6/DR7 from here: nothing else to invalidate. */
	case VCPU_REG_DR6: g->dr6 = val; break;
	case VCPU_REG_DR7: g->dr7 = val; break;
	default: break;  /* selectors are read-only here */
	}
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, uint32_t error_code)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->vendor)->vmcb->control;

	c->event_inject = vector | SVM_EVENT_TYPE_EXCEPTION | SVM_EVENT_VALID;
	if (exception_has_error_code(vector))
		c->event_inject |= SVM_EVENT_ERROR_VALID | ((uint64_t)error_code << 32);
}

/* Monitor-owned stepping without a monitor trap flag: the guest runs with
 * TF set and its #DB intercepted; svm_step_db hides both again.
 * v->step_armed is still the previous state here (core/run_control.c sets
 * it after the call). */
static void svm_set_single_step(struct vcpu *v, bool on)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;

	if (on && !v->step_armed) {
		v->step_tf_ours = !(vm->save.rflags & RFLAGS_TF);
	} else if (!on && v->step_armed && v->step_tf_ours) {
		vm->save.rflags &= ~RFLAGS_TF;
	}
	if (!on)
		v->step_tf_ours = false;
	if (on)
		vm->save.rflags |= RFLAGS_TF;
	if (on)
		vm->control.intercept_exceptions |= 1u << VEC_DB;
	else
		vm->control.intercept_exceptions &= ~(1u << VEC_DB);
}

/* The #DB of a monitor step (APM vol. 2 15.12: the CPU has updated DR6 in
 * the VMCB as for any #DB). What a bare CPU would have done with the same
 * instruction and no monitor:
 * - the guest's own TF: the same #DB, DR6 as the CPU left it;
 * - a condition of the guest's own (an enabled breakpoint, general detect,
 *   task switch) whose bit this #DB set: that #DB, DR6 as the CPU left it
 *   but for the step's BS;
 * - nothing else: no #DB and DR6 untouched, i.e. what it was at this
 *   step's VMRUN (a MOV to DR6 in the step was emulated and already moved
 *   that value). Bits that were set before the step (the guest's sticky
 *   BD/BS/BT, which the CPU never clears, and B0-B3, which it may keep:
 *   SDM vol. 3B 18.2.3; QEMU keeps all, Bochs clears B0-B3 and BT) and
 *   B0-B3 of breakpoints DR7 does not enable (set on any #DB where they
 *   match, same section) cause none.
 * The limit of DR6 alone: a condition of the guest's that fires again while
 * its bit is still set from before is not seen (the guest loses that #DB);
 * a bare CPU would not lose it. */
void svm_step_db(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;
	uint64_t pre = s->step_dr6, post = vm->save.dr6, own;
	bool direct = s->step_dr6_direct;

	s->step_dr6_direct = false;
	if (!v->step_tf_ours) {
		svm_inject_exception(v, VEC_DB, 0);
	} else {
		own = post & ~pre & (debugreg_enabled_b(vm->save.dr7) | DR6_BD | DR6_BT);
		if (own || direct)
			vm->save.dr6 = post & ~(DR6_BS & ~pre);
		else
			vm->save.dr6 = pre;
		if (own)
			svm_inject_exception(v, VEC_DB, 0);
	}
	vcpu_step_event(v);
}

/* The instruction at the guest's CS:RIP, as many bytes as are readable up
 * to INSN_MAX_LEN. Returns the count. */
static unsigned read_insn(struct vcpu *v, const struct vmcb *vm, uint8_t *b)
{
	uint64_t la = vm->save.cs.base + vm->save.rip;
	unsigned n;

	for (n = 0; n < INSN_MAX_LEN; n++)
		if (!guest_read_linear(v, la + n, &b[n], 1))
			break;
	return n;
}

/* MOV to DR6/DR4 during a monitor step: the MOV's own checks (#UD for DR4
 * with CR4.DE = 1, #GP(0) for bits 63:32: SDM vol. 3B 18.2.2, 18.2.3),
 * then DR6 = the written status bits with the bits that read as 1, RIP past
 * it; the step ends there (svm_skip_instruction). An instruction that
 * cannot be decoded runs unintercepted for the rest of the step instead. */
void svm_step_dr6_write(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	struct vmcb *vm = s->vmcb;
	uint8_t insn[INSN_MAX_LEN];
	struct mov_dr d;
	uint64_t val;

	vcpu_count_exit(v, DV_EXIT_DR_ACCESS);
	if (!decode_mov_dr(insn, read_insn(v, vm, insn), &d) || !d.to_dr ||
	    (d.dr != 4 && d.dr != 6)) {
		log_warn("svm: MOV to DR6 at rip 0x%llx not decoded; it runs unintercepted",
			 (unsigned long long)vm->save.rip);
		s->step_dr6_direct = true;
		return;
	}
	val = vcpu_read_gpr(v, d.gpr);
	if (d.dr == 4 && (vm->save.cr4 & CR4_DE))
		svm_inject_exception(v, VEC_UD, 0);
	else if (val & DR6_HIGH_MASK)
		svm_inject_exception(v, VEC_GP, 0);
	else {
		vm->save.dr6 = (val & DR6_STATUS) | DR6_FIXED_1;
		svm_skip_instruction(v, d.len);
	}
}

#define INIT_CR0 0x60000010ull          /* CD, NW, ET (APM vol. 2 14.1.3) */
#define INIT_RFLAGS 0x2ull
#define INIT_CS_SEL 0xf000u
#define INIT_CS_BASE 0xffff0000ull
#define INIT_RIP 0xfff0ull
#define REAL_LIMIT 0xffffu
/* VMCB attributes (APM vol. 2 15.5.1: descriptor bits 47:40 and 55:52
 * packed): present, S, type. */
#define ATTR_CODE_REAL 0x9bu
#define ATTR_DATA_REAL 0x93u
#define ATTR_LDT 0x82u
#define ATTR_TSS16_BUSY 0x8bu

static void real_seg(struct vmcb_segment *s, uint16_t sel, uint64_t base, uint16_t attr)
{
	*s = (struct vmcb_segment){ .selector = sel, .attrib = attr, .limit = REAL_LIMIT,
				    .base = base };
}

/* Real mode runs directly under nested paging (APM vol. 2 15.25.3: the
 * guest may have paging, even protection, off). EFER keeps SVME, which
 * VMRUN requires and the guest never sees (svm_read_reg). */
static bool svm_init_state(struct vcpu *v)
{
	struct vmcb *vm = ((struct svm_vcpu *)v->vendor)->vmcb;
	struct vmcb_save *g = &vm->save;

	real_seg(&g->es, 0, 0, ATTR_DATA_REAL);
	real_seg(&g->ss, 0, 0, ATTR_DATA_REAL);
	real_seg(&g->ds, 0, 0, ATTR_DATA_REAL);
	real_seg(&g->fs, 0, 0, ATTR_DATA_REAL);
	real_seg(&g->gs, 0, 0, ATTR_DATA_REAL);
	real_seg(&g->cs, INIT_CS_SEL, INIT_CS_BASE, ATTR_CODE_REAL);
	real_seg(&g->ldtr, 0, 0, ATTR_LDT);
	real_seg(&g->tr, 0, 0, ATTR_TSS16_BUSY);
	g->gdtr = (struct vmcb_segment){ .limit = REAL_LIMIT };
	g->idtr = (struct vmcb_segment){ .limit = REAL_LIMIT };
	g->cpl = 0;
	g->efer = EFER_SVME;
	g->cr0 = INIT_CR0;
	g->cr2 = 0;
	g->cr3 = 0;
	g->cr4 = 0;
	g->rflags = INIT_RFLAGS;
	g->rip = INIT_RIP;
	g->rsp = 0;
	g->rax = 0;
	vm->control.event_inject = 0;
	vm->control.interrupt_shadow = 0;
	vm->control.tlb_control = SVM_TLB_FLUSH_ALL;
	return true;
}

static void svm_sipi_start(struct vcpu *v, uint8_t vector)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->vendor)->vmcb->save;

	real_seg(&g->cs, (uint16_t)(vector << 8), (uint64_t)vector << 12, ATTR_CODE_REAL);
	g->rip = 0;
}

static void svm_rerun(struct vcpu *v)
{
	svm_prepare_entry(v);
	svm_run(v);
}

static void svm_dump(struct vcpu *v)
{
	svm_dump_vmcb(((struct svm_vcpu *)v->vendor)->vmcb);
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.cpuid_vendor = DV_CPUID_VENDOR_SVM,
	.supported = svm_supported,
	.enable = svm_enable,
	.disable = svm_disable,
	.vcpu_init = svm_vcpu_init,
	.run = svm_run,
	.read_reg = svm_read_reg,
	.write_reg = svm_write_reg,
	.inject_exception = svm_inject_exception,
	.dump = svm_dump,
	.set_single_step = svm_set_single_step,
	.init_state = svm_init_state,
	.sipi_start = svm_sipi_start,
	.rerun = svm_rerun,
};
