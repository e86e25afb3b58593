/* Exit handling that is the same on both vendors: CPUID, hypercalls, exit
 * statistics, guest shutdown. */
#include "vcpu.h"
#include "debugctl.h"
#include "log.h"
#include "hv_config.h"
#include "machine_check.h"
#include "memory.h"
#include "monitor_target.h"
#include "init_sipi.h"
#include "pcpu.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/cpuid_mask.h"
#include "arch-x86/cr.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"
#include "arch-x86/paging.h"
#include "drivers/platform_reset.h"
#include <stddef.h>

_Static_assert(offsetof(struct guest_gprs, rcx) == 8 && offsetof(struct guest_gprs, r15) == 112,
	       "GPR_* in guest_gprs.inc");
_Static_assert(offsetof(struct vcpu, dbg) == VCPU_OFFSET_DBG, "VCPU_DBG in debugreg.inc");
_Static_assert(offsetof(struct vcpu_debug, host) == 56, "DBG_HOST in debugreg.inc");
_Static_assert(offsetof(struct vcpu_debug, host_rflags) == 112, "DBG_HOST_RFLAGS");
_Static_assert(offsetof(struct vcpu_debug, switch_dr) == 120, "DBG_SWITCH_DR");
_Static_assert(offsetof(struct vcpu_debug, swap_debugctl) == 124, "DBG_SWAP_DEBUGCTL");
_Static_assert(offsetof(struct vcpu_debug, debugctl_hw) == 136, "DBG_DEBUGCTL_HW");
_Static_assert(offsetof(struct dr_set, dr6) == 32 && offsetof(struct dr_set, debugctl) == 48,
	       "DRS_* in debugreg.inc");

#define CPL_KERNEL 0

static const char *const exit_names[DV_EXIT_REASON_COUNT] = {
	[DV_EXIT_CPUID] = "cpuid",
	[DV_EXIT_HYPERCALL] = "hypercall",
	[DV_EXIT_MSR_READ] = "msr-read",
	[DV_EXIT_MSR_WRITE] = "msr-write",
	[DV_EXIT_IO] = "io",
	[DV_EXIT_NESTED_PAGE_FAULT] = "nested-page-fault",
	[DV_EXIT_NESTED_PAGE_MISCONFIG] = "nested-page-misconfig",
	[DV_EXIT_VIRT_INSTRUCTION] = "virt-instruction",
	[DV_EXIT_XSETBV] = "xsetbv",
	[DV_EXIT_INVD] = "invd",
	[DV_EXIT_DR_ACCESS] = "dr-access",
	[DV_EXIT_EXCEPTION] = "exception",
	[DV_EXIT_INTERRUPT] = "interrupt",
	[DV_EXIT_NMI] = "nmi",
	[DV_EXIT_INIT] = "init",
	[DV_EXIT_SHUTDOWN] = "shutdown",
	[DV_EXIT_PREEMPTION_TIMER] = "preemption-timer",
	[DV_EXIT_MONITOR_TRAP] = "monitor-trap",
	[DV_EXIT_OTHER] = "other",
};

const char *exit_reason_name(enum dv_exit_reason r)
{
	return (unsigned)r < DV_EXIT_REASON_COUNT ? exit_names[r] : "?";
}

/* drvisor's own leaves; everything else in the hypervisor range is zero. */
static struct cpuid_regs hv_leaf(const struct vcpu *v, uint32_t leaf)
{
	struct cpuid_regs r = { 0, 0, 0, 0 };

	if (leaf == DV_CPUID_LEAF_BASE)
		r = (struct cpuid_regs){ DV_CPUID_LEAF_MAX, DV_CPUID_SIG_EBX, DV_CPUID_SIG_ECX,
					 DV_CPUID_SIG_EDX };
	else if (leaf == DV_CPUID_LEAF_VERSION)
		r = (struct cpuid_regs){ (uint32_t)DRVISOR_VERSION_NUM, v->ops->cpuid_vendor, 0, 0 };
	return r;
}

/* CPUID.1:ECX.OSXSAVE and CPUID.7.0:ECX.OSPKE mirror CR4.OSXSAVE and CR4.PKE
 * (SDM vol. 2A, CPUID): executed in the host they show the host's CR4, so
 * they are set from the guest's. A guest whose OS left XSAVE off (Linux does
 * when CPUID leaf 0xD looks inconsistent, as on Bochs) must not be told to
 * use XGETBV, which raises #UD there. */
static void cpuid_os_bits(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	uint64_t cr4;

	if (leaf != CPUID_FEATURES && leaf != CPUID_STRUCT_FEATURES)
		return;
	cr4 = v->ops->read_reg(v, VCPU_REG_CR4);
	if (leaf == CPUID_FEATURES)
		r->ecx = (r->ecx & ~CPUID_1_ECX_OSXSAVE) | (cr4 & CR4_OSXSAVE ? CPUID_1_ECX_OSXSAVE : 0);
	else if (leaf == CPUID_STRUCT_FEATURES && sub == 0)
		r->ecx = (r->ecx & ~CPUID_7_ECX_OSPKE) | (cr4 & CR4_PKE ? CPUID_7_ECX_OSPKE : 0);
}

void vcpu_emulate_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gprs.rax, sub = (uint32_t)v->gprs.rcx;
	struct cpuid_regs r;

	if (leaf >= DV_CPUID_LEAF_BASE && leaf <= CPUID_HV_RANGE_END) {
		r = hv_leaf(v, leaf);
	} else {
		r = cpuid(leaf, sub);
		cpuid_mask_guest(leaf, sub, &r);
		cpuid_os_bits(v, leaf, sub, &r);
	}
	v->gprs.rax = r.eax;
	v->gprs.rbx = r.ebx;
	v->gprs.rcx = r.ecx;
	v->gprs.rdx = r.edx;
}

/* DV_HC_READ_GUEST (test hook): the host itself reads guest memory, so that
 * a guest watchpoint on that address would fire in the host if the guest's
 * debug registers leaked into it. */
static uint64_t read_guest_hypercall(struct vcpu *v)
{
	uint64_t gpa = v->gprs.rbx;

	if (!hv_config.test_hooks)
		return DV_HC_ERR_PERM;
	if ((gpa & 7) || gpa >= paging_top() || hv_owns(gpa & ~(PAGE_SIZE - 1), PAGE_SIZE))
		return DV_HC_ERR_INVALID;
	v->gprs.rbx = *(volatile const uint64_t *)gpa;
	return DV_HC_OK;
}

static uint64_t hypercall_dispatch(struct vcpu *v, uint64_t nr)
{
	switch (nr) {
	case DV_HC_PING:
		v->gprs.rbx = DV_HC_PING_MAGIC;
		v->gprs.rcx = DRVISOR_VERSION_NUM;
		return DV_HC_OK;
	case DV_HC_GET_LAYOUT:
		v->gprs.rbx = hv_mem.base;
		v->gprs.rcx = hv_mem.size;
		return DV_HC_OK;
	case DV_HC_REPORT_STATS:
		vcpu_print_stats(v);
		return DV_HC_OK;
	case DV_HC_GET_EXIT_COUNT:
		if (v->gprs.rbx >= DV_EXIT_REASON_COUNT)
			return DV_HC_ERR_INVALID;
		v->gprs.rbx = v->exits[v->gprs.rbx];
		return DV_HC_OK;
	case DV_HC_HOST_WATCH:
		return debugreg_host_watch_hypercall(v);
	case DV_HC_READ_GUEST:
		return read_guest_hypercall(v);
	case DV_HC_LOG:
		log_info("guest log: tag 0x%llx value 0x%llx", (unsigned long long)v->gprs.rbx,
			 (unsigned long long)v->gprs.rcx);
		return DV_HC_OK;
	default:
		return DV_HC_ERR_UNKNOWN;
	}
}

void vcpu_hypercall(struct vcpu *v)
{
	if (v->ops->read_reg(v, VCPU_REG_CPL) != CPL_KERNEL) {
		v->gprs.rax = DV_HC_ERR_PERM;
		return;
	}
	v->gprs.rax = hypercall_dispatch(v, v->gprs.rax);
}

uint64_t vcpu_read_gpr(struct vcpu *v, unsigned n)
{
	const uint64_t *g = &v->gprs.rax;

	/* struct guest_gprs is in encoding order without RSP (the VMCS/VMCB
	 * holds it): RAX, RCX, RDX, RBX, then RBP.. R15. */
	if (n == 4)
		return v->ops->read_reg(v, VCPU_REG_RSP);
	return g[n < 4 ? n : n - 1];
}

void vcpu_emulated_step_trap(struct vcpu *v, uint64_t rflags)
{
	bool guest_tf = (rflags & RFLAGS_TF) && !v->step_tf_ours;

	if (v->run == VCPU_RUN_STEP)
		vcpu_step_event(v);
	if (!guest_tf)
		return;
	/* Best, the CPU raises it itself at the next entry, side effects and
	 * all; else drvisor does what delivering it would. */
	if (!v->ops->pend_step_trap || !v->ops->pend_step_trap(v))
		debugreg_emulate_step_db(v);
}

void vcpu_print_stats(const struct vcpu *v)
{
	int i;

	log_raw("drvisor: stats vcpu%u total=%llu", v->id, (unsigned long long)v->exits_total);
	for (i = 0; i < DV_EXIT_REASON_COUNT; i++)
		if (v->exits[i])
			log_raw(" %s=%llu", exit_names[i], (unsigned long long)v->exits[i]);
	log_raw("\n");
}

void vcpu_dump(struct vcpu *v)
{
	static const char *const names[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8 ",
		"r9 ", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	const struct guest_gprs *g = &v->gprs;
	const uint64_t values[] = {
		g->rax, g->rbx, g->rcx, g->rdx, g->rsi, g->rdi, g->rbp, g->r8,
		g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15,
	};

	log_regs(names, values, sizeof(values) / sizeof(values[0]));
	v->ops->dump(v);
}

/* On bare metal the chipset answers the CPU's shutdown with a platform
 * reset (Linux's last reboot fallback counts on it); with INIT blocked in
 * VMX root, or R_INIT unavailable on SVM, nothing would reset this CPU
 * otherwise. on_guest_shutdown=stop keeps the machine for the monitor. */
void vcpu_guest_shutdown(struct vcpu *v, const char *why)
{
	bool reset = hv_config.on_guest_shutdown == DV_GUEST_SHUTDOWN_RESET;

	log_raw("drvisor: guest vcpu%u shut down (%s); on_guest_shutdown=%s\n", v->id, why,
		reset ? "reset" : "stop");
	vcpu_dump(v);
	vcpu_print_stats(v);
	v->state = VCPU_STOPPED;
	if (!reset) {
		v->shut_down = true;
		log_raw("drvisor: the vCPU is stopped, drvisor keeps running\n");
		return;
	}
	log_raw("drvisor: resetting the platform\n");
	log_flush();
	platform_reset();
	log_raw("drvisor: the platform did not reset; the vCPU is stopped\n");
}

void vcpu_reflect_machine_check(struct vcpu *v)
{
	if (!machine_check_take(&pcpu_of(v)->mc_pending))
		return;
	if (machine_check_guest_action(v->ops->read_reg(v, VCPU_REG_CR4)) == MC_GUEST_INJECT) {
		log_warn("vcpu%u: machine check, reflected to the guest as #MC", v->id);
		v->ops->inject_exception(v, VEC_MC, 0);
	} else {
		vcpu_guest_shutdown(v, "machine check with CR4.MCE clear");
	}
}

bool vcpu_reset_to_init(struct vcpu *v)
{
	if (!v->ops->init_state || !v->ops->init_state(v))
		return false;
	v->gprs = (struct guest_gprs){ .rdx = cpuid(CPUID_FEATURES, 0).eax };
	debugreg_reset(v);
	return true;
}

void vcpu_unexpected_exit(struct vcpu *v, const char *vendor_reason, uint64_t code)
{
	log_raw("drvisor: unexpected exit on vcpu%u: %s (0x%llx); the vCPU is stopped\n", v->id,
		vendor_reason, (unsigned long long)code);
	vcpu_dump(v);
	vcpu_print_stats(v);
	v->state = VCPU_STOPPED;
}

/* A shut-down CPU leaves the shutdown state on INIT (SDM vol. 3A 6.15,
 * "Interrupt 8"): the vCPU takes the INIT state, waits for its SIPI and
 * runs again. */
static void restart_after_shutdown(struct vcpu *v)
{
	v->shut_down = false;
	v->state = VCPU_RUNNING;
	init_sipi_take(v);
	if (v->state == VCPU_RUNNING)
		v->ops->rerun(v);
	log_info("vcpu%u parked again", v->id);
}

void vcpu_park(struct vcpu *v)
{
	log_info("vcpu%u parked; the monitor stays available", v->id);
	log_flush();
	for (;;) {
		vcpu_host_poll(v);
		if (v->shut_down && pcpu_of(v)->init_pending)
			restart_after_shutdown(v);
	}
}
