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
#include "log.h"
#include "monitor.h"
#include "pcpu.h"
#include "monitor_port.h"
#include "run_control.h"
#include "vcpu.h"
#include "vcpu_stats.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/dr.h"

#define INFO_LINES 5
#define INFO_LINE_MAX 256
/* How long the monitor waits for another CPU to carry out a request. */
#define MONITOR_CALL_US 50000

static const struct uart *mon_uart;
/* With monitor_share=on the guest has the keyboard until the escape. */
static bool guest_has_keyboard = true;
static char info_text[INFO_LINES][INFO_LINE_MAX];
/* The step the monitor is waiting for: it has ended once its vCPU is no
 * longer stepping (finished, cut short by pause, or stopped). */
static struct {
	bool active;
	unsigned vcpu;
} step_watch;

static struct vcpu *vcpu_of(unsigned n)
{
	return vcpu_at(n);
}

static unsigned t_vcpu_count(void)
{
	return vcpu_count();
}

/* One vCPU's registers, all read by one request: `regs` shows 31 and `dr`
 * seven, and one snapshot is both one moment of a running vCPU and one
 * cross-CPU call instead of 31. It serves the commands of one poll; any
 * request that changes the vCPU, and the next poll, drop it. */
static struct {
	bool valid;
	unsigned vcpu;
	uint64_t reg[MON_REG_COUNT];
	uint64_t dbg[MON_DBG_COUNT];
} snap;

/* One request of the monitor about a vCPU, carried out by that vCPU's own
 * CPU while it is outside guest mode (the VMCS is current only there, and
 * the guest's debug registers may be live in the hardware). */
struct vcpu_req {
	unsigned r;             /* enum monitor_dbg_reg or monitor_reg */
	uint64_t val;
	bool ok;
	const char *why;        /* a refusal, or NULL */
};

/* Run fn(v, req) on vCPU n's own CPU (inline when that is this CPU); false
 * when there is no such vCPU or it did not answer in time (the reason is
 * then in req->why). A vCPU spinning in its guest with interrupts off is
 * still kicked out by pcpu_call's NMI. */
static bool on_vcpu(unsigned n, void (*fn)(struct vcpu *v, void *req), struct vcpu_req *req)
{
	snap.valid = false; /* whatever fn does, the next read asks again */
	if (!vcpu_of(n)) {
		req->why = "no such vCPU";
		return false;
	}
	if (!pcpu_call(n, fn, req, MONITOR_CALL_US)) {
		req->why = "it did not answer within 50 ms";
		return false;
	}
	return true;
}

static void set_dbg_on(struct vcpu *v, void *arg)
{
	struct vcpu_req *q = arg;
	struct dr_set *g = &v->dbg.guest;

	switch (q->r) {
	case MON_DR0: g->dr0 = q->val; break;
	case MON_DR1: g->dr1 = q->val; break;
	case MON_DR2: g->dr2 = q->val; break;
	case MON_DR3: g->dr3 = q->val; break;
	case MON_DR6: v->ops->write_reg(v, VCPU_REG_DR6, q->val); break;
	case MON_DR7: v->ops->write_reg(v, VCPU_REG_DR7, q->val); break;
	case MON_DEBUGCTL:
		if (!debugreg_write_debugctl(v, q->val))
			q->why = "reserved IA32_DEBUGCTL bit";
		break;
	default: q->why = "no such register";
	}
	/* The vendor re-decides the switching (a DR7 that now enables a
	 * breakpoint makes even the lazy policy load DR0-3). */
}

static const char *t_set_dbg(unsigned n, enum monitor_dbg_reg r, uint64_t val)
{
	struct vcpu_req q = { .r = r, .val = val };

	on_vcpu(n, set_dbg_on, &q);
	return q.why;
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

static void snapshot_on(struct vcpu *v, void *arg)
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
	const struct dr_set *g = &v->dbg.guest;
	unsigned r;

	(void)arg;
	for (r = 0; r < MON_REG_COUNT; r++)
		snap.reg[r] = r <= MON_R15 && r != MON_RSP ? gpr(&v->gprs, r)
							   : v->ops->read_reg(v, vendor_reg[r]);
	snap.dbg[MON_DR0] = g->dr0;
	snap.dbg[MON_DR1] = g->dr1;
	snap.dbg[MON_DR2] = g->dr2;
	snap.dbg[MON_DR3] = g->dr3;
	snap.dbg[MON_DR6] = v->ops->read_reg(v, VCPU_REG_DR6);
	snap.dbg[MON_DR7] = v->ops->read_reg(v, VCPU_REG_DR7);
	snap.dbg[MON_DEBUGCTL] = g->debugctl;
}

/* The snapshot of vCPU n, taken now if there is none; false when it
 * cannot be had (no such vCPU, or it did not answer). */
static bool snapshot(unsigned n)
{
	struct vcpu_req q = { 0 };

	if (snap.valid && snap.vcpu == n)
		return true;
	snap.valid = false;
	if (!on_vcpu(n, snapshot_on, &q))
		return false;
	snap.valid = true;
	snap.vcpu = n;
	return true;
}

static bool t_get_dbg(unsigned n, enum monitor_dbg_reg r, uint64_t *val)
{
	if ((unsigned)r >= MON_DBG_COUNT || !snapshot(n))
		return false;
	*val = snap.dbg[r];
	return true;
}

static bool t_get_reg(unsigned n, enum monitor_reg r, uint64_t *val)
{
	if ((unsigned)r >= MON_REG_COUNT || !snapshot(n))
		return false;
	*val = snap.reg[r];
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

static void stats_reset_on(struct vcpu *v, void *arg)
{
	(void)arg;
	vcpu_stats_reset(v);
}

static void t_stats_reset(unsigned n)
{
	struct vcpu_req q = { 0 };

	on_vcpu(n, stats_reset_on, &q);
}

static enum monitor_run_state t_run_state(unsigned n)
{
	struct vcpu *v = vcpu_of(n);

	/* Another CPU's vCPU: its owner writes these, whole 32-bit words. */
	if (!v || __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_RUNNING)
		return MON_STOPPED;
	return __atomic_load_n(&v->run, __ATOMIC_ACQUIRE) == VCPU_RUN_GO ? MON_RUNNING
									 : MON_PAUSED;
}

static void pause_on(struct vcpu *v, void *arg)
{
	((struct vcpu_req *)arg)->why = run_pause(v);
}

static void cont_on(struct vcpu *v, void *arg)
{
	((struct vcpu_req *)arg)->why = run_cont(v);
}

static void step_on(struct vcpu *v, void *arg)
{
	struct vcpu_req *q = arg;

	q->why = run_step(v, q->val);
}

static const char *t_pause(unsigned n)
{
	struct vcpu_req q = { 0 };

	on_vcpu(n, pause_on, &q);
	return q.why;
}

static const char *t_cont(unsigned n)
{
	struct vcpu_req q = { 0 };

	on_vcpu(n, cont_on, &q);
	return q.why;
}

static const char *t_step(unsigned n, uint64_t count)
{
	struct vcpu_req q = { .val = count };
	const char *why;

	on_vcpu(n, step_on, &q);
	why = q.why;
	if (!why) {
		step_watch.active = true;
		step_watch.vcpu = n;
	}
	return why;
}

static void steps_done_on(struct vcpu *v, void *arg)
{
	((struct vcpu_req *)arg)->val = v->steps_done;
}

/* Report the watched step to the monitor once it has ended. Its vCPU's
 * run state is read from here (whole 32-bit loads); the count it reached
 * is asked from its own CPU, which wrote it. */
static void step_watch_check(void)
{
	struct vcpu_req q = { 0 };
	struct vcpu *v;

	if (!step_watch.active)
		return;
	v = vcpu_of(step_watch.vcpu);
	if (v && __atomic_load_n(&v->run, __ATOMIC_ACQUIRE) == VCPU_RUN_STEP &&
	    __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_RUNNING)
		return;
	step_watch.active = false;
	if (v && !on_vcpu(step_watch.vcpu, steps_done_on, &q))
		q.val = __atomic_load_n(&v->steps_done, __ATOMIC_ACQUIRE);
	monitor_step_done(step_watch.vcpu, q.val);
}

static unsigned t_info_count(void)
{
	return INFO_LINES;
}

static const char *t_info_line(unsigned i)
{
	if (i == INFO_LINES - 2)
		dv_snprintf(info_text[i], INFO_LINE_MAX, "vendor: %s",
			    vcpu_at(0) ? vcpu_at(0)->ops->name : "none");
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

/* The log shares the port: whole pieces under log_lock. */
static void write_uart(const char *text, size_t len)
{
	log_write_locked(text, (uint32_t)len);
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
	snap.valid = false;
	step_watch_check();
	while ((c = uart_poll_read(mon_uart)) >= 0) {
		if (hv_config.monitor_share && c == MONITOR_ESCAPE)
			switch_keyboard();
		else if (hv_config.monitor_share && guest_has_keyboard)
			io_guest_input((uint8_t)c);
		else
			monitor_input((uint8_t)c);
	}
}
