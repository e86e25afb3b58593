/*
 * Run control: the monitor's pause, cont and step, carried out between two
 * exits of the vCPU. A paused vCPU stays in vcpu_service, polling the
 * monitor, until it may go on; a stepping one enters the guest with the
 * vendor's single-step armed and counts the step events.
 */
#include "run_control.h"
#include "arch-x86/cpu.h"
#include "monitor.h"
#include "monitor_target.h"
#include "init_sipi.h"
#include "pcpu.h"
#include "spinlock.h"

/* The monitor's UART and interpreter: whichever CPU is in the host when a
 * poll is due takes it, if free (docs/architecture.md, "Every CPU"). */
static struct spinlock monitor_lock = SPINLOCK_INIT;

const char *run_pause(struct vcpu *v)
{
	if (v->state != VCPU_RUNNING)
		return "the vCPU is stopped";
	if (v->run == VCPU_RUN_STEP)
		monitor_step_done(v->id, v->steps_done);
	v->run = VCPU_RUN_PAUSED;
	return 0;
}

const char *run_cont(struct vcpu *v)
{
	if (v->state != VCPU_RUNNING)
		return "the vCPU is stopped";
	v->run = VCPU_RUN_GO;
	return 0;
}

const char *run_step(struct vcpu *v, uint64_t n)
{
	if (v->state != VCPU_RUNNING)
		return "the vCPU is stopped";
	v->steps_left = n;
	v->steps_done = 0;
	v->run = VCPU_RUN_STEP;
	return 0;
}

void vcpu_step_event(struct vcpu *v)
{
	vcpu_count_exit(v, DV_EXIT_MONITOR_TRAP);
	if (v->run != VCPU_RUN_STEP)
		return;
	v->steps_done++;
	if (--v->steps_left)
		return;
	v->run = VCPU_RUN_PAUSED;
	monitor_step_done(v->id, v->steps_done);
}

/* Arm or disarm the vendor's single-step. While stepping it is re-armed at
 * every entry (a stepped POPF may have cleared TF); otherwise the vendor is
 * only called on a change, keeping the common exit path short. */
static void arm_step(struct vcpu *v, bool on)
{
	if (!on && !v->step_armed)
		return;
	v->ops->set_single_step(v, on);
	v->step_armed = on;
}

static void poll_monitor(const struct pcpu *p)
{
	if (!spin_trylock(&monitor_lock, p->id))
		return;
	monitor_poll();
	spin_unlock(&monitor_lock);
}

void vcpu_monitor_start(const struct uart *u)
{
	spin_lock(&monitor_lock, this_pcpu()->id);
	monitor_target_init(u);
	spin_unlock(&monitor_lock);
}

void vcpu_host_poll(struct vcpu *v)
{
	struct pcpu *p = pcpu_of(v);

	pcpu_serve_calls(p);
	poll_monitor(p);
}

void vcpu_service(struct vcpu *v)
{
	struct pcpu *p = pcpu_of(v);

	vcpu_reflect_machine_check(v);
	if (v->state != VCPU_RUNNING)
		return;
	pcpu_serve_calls(p);
	if (p->init_pending)
		init_sipi_take(v);
	if (v->state != VCPU_RUNNING)
		return;
	if (poll_clock_due(&v->poll, rdtsc(), v->exits_total)) {
		poll_monitor(p);
		poll_clock_mark(&v->poll, rdtsc(), v->exits_total);
	}
	/* While paused, the guest's state shows nothing of a step's TF. */
	if (v->run == VCPU_RUN_PAUSED && v->state == VCPU_RUNNING)
		arm_step(v, false);
	while (v->run == VCPU_RUN_PAUSED && v->state == VCPU_RUNNING)
		vcpu_host_poll(v);
	if (v->state == VCPU_RUNNING)
		arm_step(v, v->run == VCPU_RUN_STEP);
}
