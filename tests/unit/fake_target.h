/*
 * A fake struct monitor_target for the host tests of core/monitor.c (the
 * unit tests, the fuzzer and monitor_sim): plain arrays of register values,
 * call counters, and switches that make the target refuse or fail, so that
 * every path of the monitor can be reached without a hypervisor.
 */
#ifndef DRVISOR_TESTS_FAKE_TARGET_H
#define DRVISOR_TESTS_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/monitor.h"

#define FAKE_VCPUS_MAX 4
#define FAKE_STATS 4

enum fake_step_mode {
	FAKE_STEP_SYNC,   /* step calls monitor_step_done before returning */
	FAKE_STEP_ASYNC,  /* the test calls fake_finish_step later */
	FAKE_STEP_SHORT,  /* synchronous, but only step_short instructions */
};

struct fake_vcpu {
	uint64_t dbg[MON_DBG_COUNT];
	uint64_t reg[MON_REG_COUNT];
	uint64_t stat[FAKE_STATS];
	enum monitor_run_state state;
};

struct fake {
	unsigned nvcpu;
	struct fake_vcpu v[FAKE_VCPUS_MAX];
	uint64_t debugctl_mask;
	const char *refuse_set;     /* set_dbg's refusal, or NULL */
	const char *refuse_run;     /* pause/cont/step's refusal, or NULL */
	int refuse_run_vcpu;        /* ... of this vCPU only (-1: every vCPU) */
	int fail_dbg, fail_reg;     /* get_dbg/get_reg of this index fail (-1: none) */
	enum fake_step_mode step_mode;
	uint64_t step_short;
	bool pause_ends_step;       /* pause reports the end of an async step
	                             * (else it ends it without a report) */
	bool strict;                /* abort() on a call the contract forbids */
	unsigned info_n;
	const char *info[4];
	const char *stat_name[FAKE_STATS];
	/* What the monitor did. */
	unsigned set_calls, pause_calls, cont_calls, step_calls, reset_calls;
	unsigned step_vcpu;
	uint64_t step_n, step_pending;
};

extern struct fake fake;
extern const struct monitor_target fake_target;

/* Two paused vCPUs with power-on debug registers, LBR and BTF (0x3) the
 * supported IA32_DEBUGCTL bits, a few register values and stats. */
void fake_reset(void);
/* End the pending asynchronous step after `executed` instructions. */
void fake_finish_step(uint64_t executed);

#endif
