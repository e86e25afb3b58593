/*
 * When the monitor's UART is due to be polled again, on a clock the guest
 * cannot stop. The TSC is the guest's as much as the host's: WRMSR of
 * IA32_TSC (0x10) or IA32_TSC_ADJUST (0x3b) passes through and moves the
 * real counter (SDM vol. 3B 18.17), natively as under drvisor. So the clock
 * is never an absolute TSC deadline, which a TSC moved backwards would
 * postpone by as much as it moved:
 *   - the TSC counts only as a difference from the last poll, unsigned: a
 *     TSC moved backwards reads as an enormous elapsed time, one moved
 *     forwards as a long one; either way the poll comes at the next exit;
 *   - and every MONITOR_POLL_PERIOD_EXITS exits a poll is due whatever the
 *     TSC says: a guest that keeps setting its TSC back to the same value
 *     just before each exit would otherwise hold the difference near zero.
 *     Exits come even from a guest that spins (VMX preemption timer, SVM
 *     interrupt intercepts), so this bound holds for every guest. The exit
 *     count is exits_total, again only as a difference: a `stats reset`
 *     makes it look far off and the next exit polls.
 * Pure inline code: the fast exit path (core/fast_exit.h) asks it too.
 */
#ifndef DRVISOR_CORE_POLL_CLOCK_H
#define DRVISOR_CORE_POLL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* At the first exit after 2^18 TSC ticks since the last poll: under 0.1 ms
 * at real clock rates (a 16550's 16-byte FIFO fills in 1.4 ms at 115200
 * baud) and ~1.3 ms emulated on Bochs (200 M ips). Reading the UART (an
 * I/O port read) on every exit would cost more than the rest of a CPUID
 * round trip (the fast exit path, core/fast_exit.h). */
#define MONITOR_POLL_PERIOD_TSC (1ull << 18)
/* ... or after this many exits: a port read per 4096 exits costs well
 * under 0.1% of a CPUID-bound guest's time. */
#define MONITOR_POLL_PERIOD_EXITS 4096u

struct poll_clock {
	uint64_t tsc;     /* the TSC at the last poll */
	uint64_t exits;   /* exits_total at the last poll */
};

static inline bool poll_clock_due(const struct poll_clock *c, uint64_t tsc, uint64_t exits)
{
	return tsc - c->tsc >= MONITOR_POLL_PERIOD_TSC || exits - c->exits >= MONITOR_POLL_PERIOD_EXITS;
}

static inline void poll_clock_mark(struct poll_clock *c, uint64_t tsc, uint64_t exits)
{
	c->tsc = tsc;
	c->exits = exits;
}

#endif
