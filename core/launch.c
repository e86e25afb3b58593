/*
 * Late launch: turn the loader's captured context into a guest and run it
 * under the vendor's virtualization extensions. The guest resumes exactly
 * where the loader called core_entry, with RAX = DV_CORE_OK, so from the
 * loader's point of view the call simply returned.
 */
#include <drvisor/bootinfo.h>
#include "launch.h"
#include "apic_trap.h"
#include "hv_config.h"
#include "init_sipi.h"
#include "log.h"
#include "monitor_target.h"
#include "pcpu.h"
#include "pci_hide.h"
#include "vcpu.h"
#include "vcpu_stats.h"
#include "arch-x86/cpu.h"
#include "arch-x86/launch_context.h"
#include "arch-x86/msr.h"
#include "arch-x86/segment.h"

#define SYSENTER_CS_MSR 0x174
#define SYSENTER_ESP_MSR 0x175
#define SYSENTER_EIP_MSR 0x176
#define TSS64_MIN_LIMIT 0x67

/* OVMF never loads TR, yet both VM entry (SDM vol. 3C 27.3.1.2) and a later
 * task-state lookup need a present busy 64-bit TSS. The guest cannot observe
 * TR's hidden part except through a fault that needs the TSS (IST, I/O
 * bitmap), which firmware never arranges, so a null selector with base 0 and
 * the minimum limit keeps what the guest sees (STR returns 0) unchanged. */
static void fill_tr(const struct launch_context *lc, struct guest_segment *tr)
{
	if (segment_from_gdt(lc->gdtr.base, lc->gdtr.limit, lc->tr, tr))
		return;
	*tr = (struct guest_segment){
		.selector = lc->tr,
		.attr = SEG_ATTR_P | SEG_TYPE_TSS64_BUSY,
		.limit = TSS64_MIN_LIMIT,
	};
}

static void fill_segments(const struct launch_context *lc, struct guest_state *gs)
{
	const uint16_t sel[SEG_COUNT] = {
		[SEG_ES] = lc->es, [SEG_CS] = lc->cs, [SEG_SS] = lc->ss, [SEG_DS] = lc->ds,
		[SEG_FS] = lc->fs, [SEG_GS] = lc->gs, [SEG_LDTR] = lc->ldtr,
	};
	int i;

	for (i = 0; i < SEG_TR; i++)
		segment_from_gdt(lc->gdtr.base, lc->gdtr.limit, sel[i], &gs->seg[i]);
	fill_tr(lc, &gs->seg[SEG_TR]);
	/* In 64-bit mode FS and GS bases come from the MSRs, not the GDT. */
	gs->seg[SEG_FS].base = lc->fs_base;
	gs->seg[SEG_GS].base = lc->gs_base;
	gs->gdtr_base = lc->gdtr.base;
	gs->gdtr_limit = lc->gdtr.limit;
	gs->idtr_base = lc->idtr.base;
	gs->idtr_limit = lc->idtr.limit;
}

/* The core has not changed CR0, CR2, CR4, EFER, PAT, the debug registers
 * or the system-call MSRs since core_entry, so their live values are the
 * loader's. The late-launched firmware context keeps its own debug-register
 * values (no power-on reset: it is not a new CPU). */
static void fill_registers(const struct launch_context *lc, struct guest_state *gs)
{
	gs->cr0 = read_cr0();
	gs->cr2 = read_cr2();
	gs->cr3 = lc->cr3;
	gs->cr4 = read_cr4();
	gs->efer = rdmsr(MSR_IA32_EFER);
	gs->pat = rdmsr(MSR_IA32_PAT);
	gs->rip = lc->rip;
	gs->rsp = lc->rsp;
	gs->rflags = lc->rflags;
	gs->rax = DV_CORE_OK;
	gs->rbx = lc->rbx;
	gs->rbp = lc->rbp;
	gs->r12 = lc->r12;
	gs->r13 = lc->r13;
	gs->r14 = lc->r14;
	gs->r15 = lc->r15;
	gs->dr6 = read_dr6();
	gs->dr7 = read_dr7();
	gs->sysenter_cs = rdmsr(SYSENTER_CS_MSR);
	gs->sysenter_esp = rdmsr(SYSENTER_ESP_MSR);
	gs->sysenter_eip = rdmsr(SYSENTER_EIP_MSR);
	gs->star = rdmsr(MSR_IA32_STAR);
	gs->lstar = rdmsr(MSR_IA32_LSTAR);
	gs->cstar = rdmsr(MSR_IA32_CSTAR);
	gs->sfmask = rdmsr(MSR_IA32_FMASK);
	gs->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
}

static void seed_gprs(struct vcpu *v, const struct guest_state *gs)
{
	v->gprs.rax = gs->rax;
	v->gprs.rbx = gs->rbx;
	v->gprs.rbp = gs->rbp;
	v->gprs.r12 = gs->r12;
	v->gprs.r13 = gs->r13;
	v->gprs.r14 = gs->r14;
	v->gprs.r15 = gs->r15;
}

/* The machine's one APIC page trap and the monitor UART's hidden pages
 * (issue 15), set by the first CPU that launches (the loader launches them
 * one at a time) in the nested map its vcpu_init built. */
static bool machine_traps_set(void)
{
	static bool done;

	if (!done && (done = apic_trap_init()))
		pci_hide_pages();
	return done;
}

uint64_t late_launch(const struct vendor_ops *ops, const struct uart *console)
{
	struct pcpu *p = this_pcpu();
	struct guest_state gs = { 0 };
	struct vcpu *v = &p->vcpu;
	const char *why = "";

	if (!ops->supported(v, &why)) {
		log_error("cannot virtualize cpu %u with %s: %s", p->id, ops->name, why);
		p->refused = why;
		return DV_CORE_UNSUPPORTED;
	}
	fill_segments(&launch_ctx[p->id], &gs);
	fill_registers(&launch_ctx[p->id], &gs);
	v->ops = ops;
	v->state = VCPU_RUNNING;
	seed_gprs(v, &gs);
	debugreg_capture_guest(v);
	if (!ops->enable(v)) {
		p->refused = "enabling the virtualization extensions failed";
		return DV_CORE_UNSUPPORTED;
	}
	/* The APIC trap and the monitor's hidden pages go into the nested map
	 * the first vcpu_init built, before any guest code runs. */
	if (ops->vcpu_init(v, &gs) && machine_traps_set()) {
		log_info("launching the loader as a guest under %s at rip 0x%llx, dr_switch=%s%s",
			 ops->name, (unsigned long long)gs.rip,
			 hv_config.dr_switch == DV_DR_SWITCH_LAZY ? "lazy" : "eager",
			 p->id ? " (application processor)" : "");
		debugreg_host_init();
		if (p->id == 0)
			vcpu_monitor_start(console);
		init_sipi_setup();
		p->launched = true;
		ops->run(v);
		/* Once the guest has run, the loader's context is gone: there is
		 * nothing to return to. The CPU stays drvisor's, parked. */
		if (vcpu_has_run(v))
			vcpu_park(v);
		p->launched = false;
	}
	debugreg_give_back(v);
	ops->disable(v);
	log_error("launch failed on cpu %u; %s is off again", p->id, ops->name);
	p->refused = "the launch failed";
	return DV_CORE_FAILED;
}
