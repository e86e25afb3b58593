/* Levelled logging to the hypervisor's serial port. */
#ifndef DRVISOR_CORE_LOG_H
#define DRVISOR_CORE_LOG_H

#include <stdint.h>
#include <drvisor/config.h>
#include "drivers/uart16550.h"

#define LOG_LINE_MAX 256

/* The line a CPU is putting together (in its struct pcpu): output goes to
 * the UART a whole line at a time, under log_lock, so that the lines of two
 * CPUs never mix. */
struct log_line {
	uint32_t len;
	char buf[LOG_LINE_MAX];
};

/* Send all further output to u, printing messages up to level. */
void log_init(const struct uart *u, uint32_t level);

/* One formatted message at level, prefixed "drvisor: " (and "error: " or
 * "warning: "); dropped when above the configured level. */
void log_msg(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formatted output with no prefix and no level filter, for reports that
 * must always appear (exception reports, the monitor). */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Register dumps: "  name=%016llx" for each of the n registers, four to a
 * line, with no level filter (exception and guest-state reports). */
void log_regs(const char *const names[], const uint64_t values[], unsigned n);

/* Send this CPU's unfinished line, then wait until everything written has
 * left the UART. */
void log_flush(void);

/* Write len bytes to the log's UART as one piece, under log_lock (the
 * monitor's output, which shares the port). */
void log_write_locked(const char *text, uint32_t len);

#define log_error(...) log_msg(DV_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(DV_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(DV_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(DV_LOG_DEBUG, __VA_ARGS__)

#endif
