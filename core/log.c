/* Levelled logging to the hypervisor's serial port. */
#include <stdarg.h>
#include "log.h"
#include "format.h"

#define LOG_LINE_MAX 256

static const struct uart *log_uart;
static uint32_t log_level = DV_DEFAULT_LOG_LEVEL;

void log_init(const struct uart *u, uint32_t level)
{
	log_uart = u;
	log_level = level;
}

static void write_str(const char *s)
{
	uint32_t n = 0;

	while (s[n])
		n++;
	uart_write(log_uart, s, n);
}

/* prefix, the formatted text (cut at LOG_LINE_MAX), then suffix. */
static void emit(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	if (!log_uart)
		return;
	dv_vsnprintf(line, sizeof(line), fmt, ap);
	write_str(prefix);
	write_str(line);
	write_str(suffix);
}

void log_msg(uint32_t level, const char *fmt, ...)
{
	static const char *const prefixes[] = {
		"drvisor: error: ", "drvisor: warning: ", "drvisor: ", "drvisor: debug: ",
	};
	va_list ap;

	if (level > log_level || level > DV_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	emit(prefixes[level], "\n", fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", "", fmt, ap);
	va_end(ap);
}

void log_regs(const char *const names[], const uint64_t values[], unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		log_raw("%s%s=%016llx%s", i % 4 ? " " : "  ", names[i],
			(unsigned long long)values[i], i % 4 == 3 || i == n - 1 ? "\n" : "");
}

void log_flush(void)
{
	if (log_uart)
		uart_flush(log_uart);
}
