/*
 * The serial console monitor: a line-oriented command interpreter on the
 * hypervisor's serial port. This module is pure C with no hardware access:
 * it turns input bytes into output text and calls the rest of the hypervisor
 * only through struct monitor_target, so the host unit tests and the fuzzer
 * drive it with a fake target.
 */
#ifndef DRVISOR_CORE_MONITOR_H
#define DRVISOR_CORE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_LINE_MAX 128    /* longest accepted command line, bytes */

/* Guest debug state the monitor reads and writes. */
enum monitor_dbg_reg {
	MON_DR0, MON_DR1, MON_DR2, MON_DR3, MON_DR6, MON_DR7, MON_DEBUGCTL, MON_DBG_COUNT
};

/* Guest registers `regs` shows (read-only). */
enum monitor_reg {
	MON_RAX, MON_RBX, MON_RCX, MON_RDX, MON_RSI, MON_RDI, MON_RBP, MON_RSP,
	MON_R8, MON_R9, MON_R10, MON_R11, MON_R12, MON_R13, MON_R14, MON_R15,
	MON_RIP, MON_RFLAGS, MON_CR0, MON_CR2, MON_CR3, MON_CR4, MON_EFER,
	MON_CS, MON_SS, MON_DS, MON_ES, MON_FS, MON_GS, MON_TR, MON_LDTR,
	MON_REG_COUNT
};

enum monitor_run_state { MON_RUNNING, MON_PAUSED, MON_STOPPED };

struct monitor_target {
	unsigned (*vcpu_count)(void);
	/* Read a guest debug register or a general/control register of vcpu.
	 * Returns false if vcpu has no such state now. */
	bool (*get_dbg)(unsigned vcpu, enum monitor_dbg_reg r, uint64_t *val);
	bool (*get_reg)(unsigned vcpu, enum monitor_reg r, uint64_t *val);
	/* Write a guest debug register; the value has already been validated
	 * by the monitor (monitor_check_dbg) and has its read-as-1 bits set.
	 * Applied while the vCPU is outside guest mode, effective at its next
	 * entry; get_dbg returns it from now on, even before that entry.
	 * Returns NULL, or a short reason the target refused it (printed after
	 * "error: "); a refused write changes nothing. */
	const char *(*set_dbg)(unsigned vcpu, enum monitor_dbg_reg r, uint64_t val);
	/* Supported IA32_DEBUGCTL bits of the virtual CPU. */
	uint64_t (*debugctl_mask)(void);
	/* Exit statistics: name and count of each reason, for i < count. */
	unsigned (*stat_count)(void);
	bool (*stat)(unsigned vcpu, unsigned i, const char **name, uint64_t *count);
	void (*stats_reset)(unsigned vcpu);
	/* Run control; each returns NULL or a reason it cannot.
	 * pause: once it returns NULL the vCPU executes no guest instruction
	 *   until cont or step (run_state then says MON_PAUSED).
	 * cont: the vCPU runs again. Only called on a paused vCPU.
	 * step: only called on a paused vCPU; starts executing exactly n guest
	 *   instructions (monitor-owned single-step, invisible to the guest),
	 *   after which the vCPU is paused again and the target calls
	 *   monitor_step_done(vcpu, n) -- from inside step, or later from its
	 *   exit loop; fewer than n when the step was cut short (by pause). */
	enum monitor_run_state (*run_state)(unsigned vcpu);
	const char *(*pause)(unsigned vcpu);
	const char *(*cont)(unsigned vcpu);
	const char *(*step)(unsigned vcpu, uint64_t n);
	/* One-line facts for `info`, for i < count: e.g. "cpu: GenuineIntel ...". */
	unsigned (*info_count)(void);
	const char *(*info_line)(unsigned i);
};

/* Output sink: len bytes of text (may contain "\n"). */
typedef void (*monitor_write_fn)(const char *text, size_t len);

/* Start the monitor on target t writing through w; prints the prompt. */
void monitor_init(const struct monitor_target *t, monitor_write_fn w);

/* Feed one received byte. A complete line is executed before this returns
 * and its reply written. */
void monitor_input(uint8_t byte);

/* The step that target->step(vcpu, n) started is over: executed guest
 * instructions ran (n, or fewer if it was cut short) and the vCPU is paused.
 * Writes the step's reply and the prompt. Between step and this call the
 * monitor executes no command; Ctrl-C asks target->pause to cut the step
 * short (a second Ctrl-C gives up waiting). Ignored when no step runs. */
void monitor_step_done(unsigned vcpu, uint64_t executed);

/* Validate a value for a debug register as the architecture requires
 * (DR6/DR7 bits 63:32 zero, DEBUGCTL within mask, ...). Returns NULL when
 * valid, or the error text. Exposed for the unit tests and the target. */
const char *monitor_check_dbg(enum monitor_dbg_reg r, uint64_t val, uint64_t debugctl_mask);

#endif
