/* The fake monitor target (see fake_target.h). */
#include <stdlib.h>
#include <string.h>
#include "fake_target.h"
#include "arch-x86/dr.h"

struct fake fake;

/* In strict mode, a broken contract is a crash the fuzzer reports. */
static void require(bool ok)
{
	if (fake.strict && !ok)
		abort();
}

static unsigned f_vcpu_count(void)
{
	return fake.nvcpu;
}

static bool f_get_dbg(unsigned vcpu, enum monitor_dbg_reg r, uint64_t *val)
{
	require(vcpu < fake.nvcpu && (unsigned)r < MON_DBG_COUNT);
	if ((int)r == fake.fail_dbg)
		return false;
	*val = fake.v[vcpu].dbg[r];
	return true;
}

static bool f_get_reg(unsigned vcpu, enum monitor_reg r, uint64_t *val)
{
	require(vcpu < fake.nvcpu && (unsigned)r < MON_REG_COUNT);
	if ((int)r == fake.fail_reg)
		return false;
	*val = fake.v[vcpu].reg[r];
	return true;
}

/* The monitor only passes validated values with their read-as-1 bits set. */
static const char *f_set_dbg(unsigned vcpu, enum monitor_dbg_reg r, uint64_t val)
{
	require(vcpu < fake.nvcpu && (unsigned)r < MON_DBG_COUNT);
	require(!monitor_check_dbg(r, val, fake.debugctl_mask));
	require(r != MON_DR7 || (val & DR7_FIXED_1));
	require(r != MON_DR6 || (val & DR6_FIXED_1) == DR6_FIXED_1);
	fake.set_calls++;
	if (fake.refuse_set)
		return fake.refuse_set;
	fake.v[vcpu].dbg[r] = val;
	return NULL;
}

static uint64_t f_debugctl_mask(void)
{
	return fake.debugctl_mask;
}

static unsigned f_stat_count(void)
{
	return FAKE_STATS;
}

static bool f_stat(unsigned vcpu, unsigned i, const char **name, uint64_t *count)
{
	require(vcpu < fake.nvcpu && i < FAKE_STATS);
	if (!fake.stat_name[i])
		return false;
	*name = fake.stat_name[i];
	*count = fake.v[vcpu].stat[i];
	return true;
}

static void f_stats_reset(unsigned vcpu)
{
	require(vcpu < fake.nvcpu);
	fake.reset_calls++;
	memset(fake.v[vcpu].stat, 0, sizeof(fake.v[vcpu].stat));
}

static enum monitor_run_state f_run_state(unsigned vcpu)
{
	require(vcpu < fake.nvcpu);
	return fake.v[vcpu].state;
}

/* Whether run control of vcpu is refused now. */
static bool refused(unsigned vcpu)
{
	return fake.refuse_run &&
	       (fake.refuse_run_vcpu < 0 || (unsigned)fake.refuse_run_vcpu == vcpu);
}

/* pause: also the way to cut an asynchronous step short; with
 * pause_ends_step clear the fake forgets to report that. */
static const char *f_pause(unsigned vcpu)
{
	require(vcpu < fake.nvcpu);
	fake.pause_calls++;
	if (refused(vcpu))
		return fake.refuse_run;
	fake.v[vcpu].state = MON_PAUSED;
	if (fake.step_pending && fake.pause_ends_step)
		fake_finish_step(fake.step_pending / 2);
	fake.step_pending = 0;  /* else: cut short, but never reported */
	return NULL;
}

static const char *f_cont(unsigned vcpu)
{
	require(vcpu < fake.nvcpu && fake.v[vcpu].state == MON_PAUSED);
	fake.cont_calls++;
	if (refused(vcpu))
		return fake.refuse_run;
	fake.v[vcpu].state = MON_RUNNING;
	return NULL;
}

/* Each fake instruction is 2 bytes long. */
static const char *f_step(unsigned vcpu, uint64_t n)
{
	require(vcpu < fake.nvcpu && fake.v[vcpu].state == MON_PAUSED);
	require(n >= 1 && n <= 1000000 && !fake.step_pending);
	fake.step_calls++;
	if (refused(vcpu))
		return fake.refuse_run;
	fake.step_vcpu = vcpu;
	fake.step_n = n;
	fake.step_pending = n;
	fake.v[vcpu].state = MON_RUNNING;
	if (fake.step_mode == FAKE_STEP_SYNC)
		fake_finish_step(n);
	else if (fake.step_mode == FAKE_STEP_SHORT)
		fake_finish_step(fake.step_short);
	return NULL;
}

void fake_finish_step(uint64_t executed)
{
	unsigned vcpu = fake.step_vcpu;

	if (!fake.step_pending)
		return;
	fake.step_pending = 0;
	fake.v[vcpu].reg[MON_RIP] += 2 * executed;
	fake.v[vcpu].state = MON_PAUSED;
	monitor_step_done(vcpu, executed);
}

static unsigned f_info_count(void)
{
	return fake.info_n;
}

static const char *f_info_line(unsigned i)
{
	require(i < fake.info_n);
	return fake.info[i];
}

const struct monitor_target fake_target = {
	.vcpu_count = f_vcpu_count, .get_dbg = f_get_dbg, .get_reg = f_get_reg,
	.set_dbg = f_set_dbg, .debugctl_mask = f_debugctl_mask,
	.stat_count = f_stat_count, .stat = f_stat, .stats_reset = f_stats_reset,
	.run_state = f_run_state, .pause = f_pause, .cont = f_cont, .step = f_step,
	.info_count = f_info_count, .info_line = f_info_line,
};

void fake_reset(void)
{
	unsigned i, r;

	memset(&fake, 0, sizeof(fake));
	fake.nvcpu = 2;
	fake.debugctl_mask = 0x3;
	fake.fail_dbg = fake.fail_reg = -1;
	fake.refuse_run_vcpu = -1;
	for (i = 0; i < FAKE_VCPUS_MAX; i++) {
		fake.v[i].dbg[MON_DR6] = 0xffff0ff0;
		fake.v[i].dbg[MON_DR7] = 0x400;
		for (r = 0; r < MON_REG_COUNT; r++)
			fake.v[i].reg[r] = 0x1000 * i + r;
		fake.v[i].reg[MON_RIP] = 0xfff0 + 0x100000 * i;
		fake.v[i].reg[MON_CS] = 0x38;
		fake.v[i].stat[0] = 10 + i;
		fake.v[i].stat[2] = 3;
		fake.v[i].state = MON_PAUSED;
	}
	fake.stat_name[0] = "cpuid";
	fake.stat_name[1] = "msr";
	fake.stat_name[2] = "io";
	fake.info_n = 2;
	fake.info[0] = "cpu: FakeCPU vmx ept";
	fake.info[1] = "policy: eager";
}
