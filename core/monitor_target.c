/*
 * The monitor's target: what `dr`, `regs`, `stats`, `pause`... read and
 * change. Every call runs in the host between two exits of the vCPU (the
 * monitor is only polled there), so a write reaches the guest at its next
 * entry: DR0-3 and IA32_DEBUGCTL are loaded from struct vcpu_debug by the
 * entry path, DR6/DR7 go through the vendor into the VMCS/VMCB (VMCB clean
 * bits are never set, so nothing stale survives).
 */
#include "monitor_target.h"
#include "debugreg.h"
#include "format.h"
#include "hv_config.h"
#include "io_policy.h"
#include "monitor.h"
#include "monitor_port.h"
#include "run_control.h"
#include "vcpu.h"
#include "vcpu_stats.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/dr.h"

#define INFO_LINES 5
#define INFO_LINE_MAX 256

static const struct uart *mon_uart;
/* With monitor_share=on the guest has the keyboard until the escape. */
static bool guest_has_keyboard = true;
static char info_text[INFO_LINES][INFO_LINE_MAX];

/* Only the boot CPU runs under drvisor for now. */
static struct vcpu *vcpu_of(unsigned n)
{
	return n == 0 && boot_vcpu.ops ? &boot_vcpu : 0;
}

static unsigned t_vcpu_count(void)
{
	return 1;
}

static bool t_get_dbg(unsigned n, enum monitor_dbg_reg r, uint64_t *val)
{
	struct vcpu *v = vcpu_of(n);
	const struct dr_set *g;

	if (!v)
		return false;
	g = &v->dbg.guest;
	switch (r) {
	case MON_DR0: *val = g->dr0; return true;
	case MON_DR1: *val = g->dr1; return true;
	case MON_DR2: *val = g->dr2; return true;
	case MON_DR3: *val = g->dr3; return true;
	case MON_DR6: *val = v->ops->read_reg(v, VCPU_REG_DR6); return true;
	case MON_DR7: *val = v->ops->read_reg(v, VCPU_REG_DR7); return true;
	case MON_DEBUGCTL: *val = g->debugctl; return true;
	default: return false;
	}
}

static const char *t_set_dbg(unsigned n, enum monitor_dbg_reg r, uint64_t val)
{
	struct vcpu *v = vcpu_of(n);
	struct dr_set *g;

	if (!v)
		return "no such vCPU";
	g = &v->dbg.guest;
	switch (r) {
	case MON_DR0: g->dr0 = val; break;
	case MON_DR1: g->dr1 = val; break;
	case MON_DR2: g->dr2 = val; break;
	case MON_DR3: g->dr3 = val; break;
	case MON_DR6: v->ops->write_reg(v, VCPU_REG_DR6, val); break;
	case MON_DR7: v->ops->write_reg(v, VCPU_REG_DR7, val); break;
	case MON_DEBUGCTL:
		if (!debugreg_write_debugctl(v, val))
			return "reserved IA32_DEBUGCTL bit";
		break;
	default: return "no such register";
	}
	/* The vendor re-decides the switching (a DR7 that now enables a
	 * breakpoint makes even the lazy policy load DR0-3). */
	return 0;
}

static uint64_t gpr(const struct guest_gprs *g, enum monitor_reg r)
{
	const uint64_t by_reg[] = {
		[MON_RAX] = g->rax, [MON_RBX] = g->rbx, [MON_RCX] = g->rcx, [MON_RDX] = g->rdx,
		[MON_RSI] = g->rsi, [MON_RDI] = g->rdi, [MON_RBP] = g->rbp, [MON_R8] = g->r8,
		[MON_R9] = g->r9, [MON_R10] = g->r10, [MON_R11] = g->r11, [MON_R12] = g->r12,
		[MON_R13] = g->r13, [MON_R14] = g->r14, [MON_R15] = g->r15,
	};

	return by_reg[r];
}

static bool t_get_reg(unsigned n, enum monitor_reg r, uint64_t *val)
{
	static const enum vcpu_reg vendor_reg[MON_REG_COUNT] = {
		[MON_RSP] = VCPU_REG_RSP, [MON_RIP] = VCPU_REG_RIP, [MON_RFLAGS] = VCPU_REG_RFLAGS,
		[MON_CR0] = VCPU_REG_CR0, [MON_CR2] = VCPU_REG_CR2, [MON_CR3] = VCPU_REG_CR3,
		[MON_CR4] = VCPU_REG_CR4, [MON_EFER] = VCPU_REG_EFER,
		[MON_CS] = VCPU_REG_SEL + SEG_CS, [MON_SS] = VCPU_REG_SEL + SEG_SS,
		[MON_DS] = VCPU_REG_SEL + SEG_DS, [MON_ES] = VCPU_REG_SEL + SEG_ES,
		[MON_FS] = VCPU_REG_SEL + SEG_FS, [MON_GS] = VCPU_REG_SEL + SEG_GS,
		[MON_TR] = VCPU_REG_SEL + SEG_TR, [MON_LDTR] = VCPU_REG_SEL + SEG_LDTR,
	};
	struct vcpu *v = vcpu_of(n);

	if (!v || (unsigned)r >= MON_REG_COUNT)
		return false;
	*val = r <= MON_R15 && r != MON_RSP ? gpr(&v->gprs, r) : v->ops->read_reg(v, vendor_reg[r]);
	return true;
}

static uint64_t t_debugctl_mask(void)
{
	return debugreg_debugctl_mask();
}

static unsigned t_stat_count(void)
{
	return DV_EXIT_REASON_COUNT;
}

static bool t_stat(unsigned n, unsigned i, const char **name, uint64_t *count)
{
	struct vcpu *v = vcpu_of(n);

	if (!v || i >= DV_EXIT_REASON_COUNT)
		return false;
	*name = exit_reason_name(i);
	*count = v->exits[i];
	return true;
}

static void t_stats_reset(unsigned n)
{
	struct vcpu *v = vcpu_of(n);

	if (v)
		vcpu_stats_reset(v);
}

static enum monitor_run_state t_run_state(unsigned n)
{
	struct vcpu *v = vcpu_of(n);

	if (!v || v->state != VCPU_RUNNING)
		return MON_STOPPED;
	return v->run == VCPU_RUN_GO ? MON_RUNNING : MON_PAUSED;
}

static const char *t_pause(unsigned n)
{
	return vcpu_of(n) ? run_pause(vcpu_of(n)) : "no such vCPU";
}

static const char *t_cont(unsigned n)
{
	return vcpu_of(n) ? run_cont(vcpu_of(n)) : "no such vCPU";
}

static const char *t_step(unsigned n, uint64_t count)
{
	return vcpu_of(n) ? run_step(vcpu_of(n), count) : "no such vCPU";
}

static unsigned t_info_count(void)
{
	return INFO_LINES;
}

static const char *t_info_line(unsigned i)
{
	if (i == INFO_LINES - 2)
		dv_snprintf(info_text[i], INFO_LINE_MAX, "vendor: %s",
			    boot_vcpu.ops ? boot_vcpu.ops->name : "none");
	return i < INFO_LINES ? info_text[i] : "";
}

static const struct monitor_target target = {
	.vcpu_count = t_vcpu_count,
	.get_dbg = t_get_dbg,
	.get_reg = t_get_reg,
	.set_dbg = t_set_dbg,
	.debugctl_mask = t_debugctl_mask,
	.stat_count = t_stat_count,
	.stat = t_stat,
	.stats_reset = t_stats_reset,
	.run_state = t_run_state,
	.pause = t_pause,
	.cont = t_cont,
	.step = t_step,
	.info_count = t_info_count,
	.info_line = t_info_line,
};

static void write_uart(const char *text, size_t len)
{
	uart_write(mon_uart, text, (uint32_t)len);
}

static void fill_info(void)
{
	const struct cpu_features *f = &boot_cpu_features;

	dv_snprintf(info_text[0], INFO_LINE_MAX, "cpu: %s family 0x%x model 0x%x stepping 0x%x",
		    f->vendor, f->family, f->model, f->stepping);
	dv_snprintf(info_text[1], INFO_LINE_MAX, "virt: %s%s%s%s%s%s", f->vmx ? "vmx" : "svm",
		    f->ept ? " ept" : "", f->npt ? " npt" : "",
		    f->monitor_trap_flag ? " mtf" : "", f->preemption_timer ? " preemption-timer" : "",
		    f->lbr_virt ? " lbr-virt" : "");
	dv_snprintf(info_text[2], INFO_LINE_MAX, "dr_switch: %s",
		    hv_config.dr_switch == DV_DR_SWITCH_LAZY ? "lazy" : "eager");
	/* Where the monitor's port is and why (issue 15). */
	dv_snprintf(info_text[INFO_LINES - 1], INFO_LINE_MAX, "monitor: ");
	monitor_port_describe(info_text[INFO_LINES - 1] + 9, INFO_LINE_MAX - 9);
}

void monitor_target_init(const struct uart *u)
{
	mon_uart = u;
	fill_info();
	monitor_init(&target, write_uart);
}

void monitor_wire_write(const char *text, size_t len)
{
	if (mon_uart)
		uart_write(mon_uart, text, (uint32_t)len);
}

/* Shared port: the escape byte moves the keyboard between guest and
 * monitor, and says so on the wire. */
static void switch_keyboard(void)
{
	static const char to_monitor[] = "\n[drvisor monitor; Ctrl-] returns to the guest]\n";
	static const char to_guest[] = "\n[guest console; Ctrl-] for the drvisor monitor]\n";

	guest_has_keyboard = !guest_has_keyboard;
	if (guest_has_keyboard)
		monitor_wire_write(to_guest, sizeof(to_guest) - 1);
	else
		monitor_wire_write(to_monitor, sizeof(to_monitor) - 1);
	if (!guest_has_keyboard)
		monitor_input('\n'); /* a fresh prompt */
}

void monitor_poll(void)
{
	int c;

	if (!mon_uart)
		return;
	while ((c = uart_poll_read(mon_uart)) >= 0) {
		if (hv_config.monitor_share && c == MONITOR_ESCAPE)
			switch_keyboard();
		else if (hv_config.monitor_share && guest_has_keyboard)
			io_guest_input((uint8_t)c);
		else
			monitor_input((uint8_t)c);
	}
}
