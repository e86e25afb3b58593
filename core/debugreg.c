/* The debug-register policy and the host's own watchpoint (core/debugreg.h). */
#include "debugreg.h"
#include "db_delivery.h"
#include "debugctl.h"
#include "hv_config.h"
#include "log.h"
#include "pcpu.h"
#include "vcpu.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"
#include "arch-x86/msr.h"

/* The host's watchpoint for the test suite: breakpoint 0, local enable,
 * write-only, 8 bytes, on host_watch_var. */
#define HOST_WATCH_DR7 (DR7_RESET | DR7_L0 | (DR7_RW_WRITE << DR7_RW_SHIFT(0)) | \
			(DR7_LEN_8 << DR7_LEN_SHIFT(0)))

/* One variable watched by every CPU's host watchpoint; the hits are
 * counted per CPU (struct debugreg_cpu). */
static volatile uint64_t host_watch_var __attribute__((aligned(8)));

static bool test_hooks_on(void)
{
#ifdef DRVISOR_TEST_HOOKS
	return hv_config.test_hooks;
#else
	return false;
#endif
}

void debugreg_capture_guest(struct vcpu *v)
{
	v->dbg.guest.dr0 = read_dr0();
	v->dbg.guest.dr1 = read_dr1();
	v->dbg.guest.dr2 = read_dr2();
	v->dbg.guest.dr3 = read_dr3();
	v->dbg.guest.debugctl = 0; /* virtualized: the firmware never set LBR/BTF */
}

void debugreg_give_back(struct vcpu *v)
{
	write_dr7(0);
	write_dr0(v->dbg.guest.dr0);
	write_dr1(v->dbg.guest.dr1);
	write_dr2(v->dbg.guest.dr2);
	write_dr3(v->dbg.guest.dr3);
	write_dr6(v->ops->read_reg(v, VCPU_REG_DR6));
	write_dr7(v->ops->read_reg(v, VCPU_REG_DR7));
}

void debugreg_reset(struct vcpu *v)
{
	v->dbg.guest = (struct dr_set){ .dr6 = DR6_RESET, .dr7 = DR7_RESET };
	v->ops->write_reg(v, VCPU_REG_DR6, DR6_RESET);
	v->ops->write_reg(v, VCPU_REG_DR7, DR7_RESET);
}

/* The enumeration of IA32_DEBUGCTL's bits on this CPU (core/debugctl.h). */
static struct debugctl_cpuid read_debugctl_cpuid(void)
{
	uint32_t max = cpuid(0, 0).eax;
	struct debugctl_cpuid c = { .intel = boot_cpu_features.intel,
				    .leaf1_ecx = cpuid(CPUID_FEATURES, 0).ecx };

	if (max >= CPUID_STRUCT_FEATURES) {
		struct cpuid_regs r = cpuid(CPUID_STRUCT_FEATURES, 0);

		c.leaf7_ebx = r.ebx;
		c.leaf7_ecx = r.ecx;
	}
	if (c.intel && max >= CPUID_PMU_LEAF)
		c.leafa_eax = cpuid(CPUID_PMU_LEAF, 0).eax;
	if (c.intel && (c.leaf1_ecx & CPUID_1_ECX_PDCM))
		c.perf_capabilities = rdmsr(MSR_IA32_PERF_CAPABILITIES);
	return c;
}

/* Which of LBR/BTF the MSR keeps: written, read back, cleared again. BTF
 * without TF and LBR for a few host instructions change nothing. */
static uint64_t probe_debugctl_held(void)
{
	uint64_t held;

	wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_CLEARED_BY_DB);
	held = rdmsr(MSR_IA32_DEBUGCTL) & DEBUGCTL_CLEARED_BY_DB;
	wrmsr(MSR_IA32_DEBUGCTL, 0);
	return held;
}

void debugreg_host_init(void)
{
	struct debugreg_cpu *d = &this_pcpu()->dbg;
	struct debugctl_cpuid c = read_debugctl_cpuid();

	uint64_t dr7 = test_hooks_on() ? HOST_WATCH_DR7 : DR7_RESET;

	/* The host uses neither LBR nor BTF: its IA32_DEBUGCTL is 0, which is
	 * also what a VMX exit leaves (SDM vol. 3C 28.5.1). */
	d->debugctl_mask = debugctl_supported(&c);
	d->debugctl_held = probe_debugctl_held();
	log_info("debugctl: guest bits 0x%llx, hardware keeps LBR/BTF 0x%llx",
		 (unsigned long long)d->debugctl_mask, (unsigned long long)d->debugctl_held);
	wrmsr(MSR_IA32_DEBUGCTL, 0);
	write_dr7(0); /* breakpoints off before their addresses change */
	write_dr0(test_hooks_on() ? (uint64_t)&host_watch_var : 0);
	write_dr1(0);
	write_dr2(0);
	write_dr3(0);
	write_dr6(DR6_RESET);
	write_dr7(dr7);
	d->host_dr7_idle = !(dr7 & DR7_ENABLES);
	if (test_hooks_on())
		log_info("test hooks: host watchpoint on 0x%llx, host dr7=0x%llx",
			 (unsigned long long)(uint64_t)&host_watch_var,
			 (unsigned long long)HOST_WATCH_DR7);
}

bool debugreg_prepare_entry(struct vcpu *v, uint64_t guest_dr7)
{
	bool active = hv_config.dr_switch == DV_DR_SWITCH_EAGER || (guest_dr7 & DR7_ENABLES) ||
		      v->dbg.touched;

	v->dbg.switch_dr = active;
	v->dbg.touched = 0;
	v->dbg.idle = !active && pcpu_of(v)->dbg.host_dr7_idle && !(read_rflags() & RFLAGS_TF);
	return !active;
}

uint64_t debugreg_enabled_b(uint64_t dr7)
{
	uint64_t b = 0;
	unsigned n;

	for (n = 0; n < 4; n++)
		if (dr7 & (3ull << (2 * n)))  /* Ln or Gn */
			b |= DR6_B0 << n;
	return b;
}

void debugreg_guest_access(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_DR_ACCESS);
	v->dbg.touched = 1;
}

uint64_t debugreg_read_debugctl(const struct vcpu *v)
{
	return v->dbg.guest.debugctl;
}

bool debugreg_write_debugctl(struct vcpu *v, uint64_t val)
{
	if (val & ~pcpu_of(v)->dbg.debugctl_mask)
		return false;
	v->dbg.guest.debugctl = val;
	return true;
}

uint64_t debugreg_debugctl_mask(void)
{
	return this_pcpu()->dbg.debugctl_mask;
}

void debugreg_debugctl_exit(struct vcpu *v, uint64_t reported)
{
	v->dbg.guest.debugctl = debugctl_after_exit(v->dbg.guest.debugctl, reported,
						    pcpu_of(v)->dbg.debugctl_held);
}

void debugreg_emulate_step_db(struct vcpu *v)
{
	struct db_state s = { .dr6 = v->ops->read_reg(v, VCPU_REG_DR6),
			      .dr7 = v->ops->read_reg(v, VCPU_REG_DR7),
			      .debugctl = v->dbg.guest.debugctl };

	db_deliver(&s, DR6_BS);
	v->ops->write_reg(v, VCPU_REG_DR6, s.dr6);
	v->ops->write_reg(v, VCPU_REG_DR7, s.dr7);
	v->dbg.guest.debugctl = s.debugctl;
	v->ops->inject_exception(v, VEC_DB, 0);
}

bool debugreg_host_db(void)
{
	uint64_t dr6 = read_dr6();

	struct pcpu *p = pcpu_from_gdt();

	if (!test_hooks_on() || !(dr6 & DR6_B0) || !p)
		return false;
	p->dbg.host_watch_hits++;
	write_dr6(DR6_RESET); /* the CPU never clears DR6 itself (SDM 18.2.3) */
	return true;
}

uint64_t debugreg_host_watch_hypercall(struct vcpu *v)
{
	uint64_t i;

	if (!test_hooks_on())
		return DV_HC_ERR_PERM;
	if (v->gprs.rbx == DV_HOST_WATCH_TOUCH && v->gprs.rcx > DV_HOST_WATCH_TOUCH_MAX)
		return DV_HC_ERR_INVALID;
	if (v->gprs.rbx == DV_HOST_WATCH_TOUCH)
		for (i = 0; i < v->gprs.rcx; i++)
			host_watch_var = i;
	else if (v->gprs.rbx != DV_HOST_WATCH_QUERY)
		return DV_HC_ERR_INVALID;
	v->gprs.rbx = pcpu_of(v)->dbg.host_watch_hits;
	v->gprs.rcx = read_dr7();
	v->gprs.rdx = (uint64_t)&host_watch_var;
	return DV_HC_OK;
}
