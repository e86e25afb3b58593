/* Levelled logging to the hypervisor's serial port. */
#include <stdarg.h>
#include "log.h"
#include "format.h"
#include "pcpu.h"
#include "spinlock.h"

/* Holder id of a CPU whose pcpu is not known (a report before its GDT). */
#define LOG_CPU_UNKNOWN 0xfffffffdu

static const struct uart *log_uart;
static uint32_t log_level = DV_DEFAULT_LOG_LEVEL;
static struct spinlock log_lock = SPINLOCK_INIT;
/* For a CPU that has no pcpu yet: only the boot CPU's first entry, alone. */
static struct log_line early_line;

void log_init(const struct uart *u, uint32_t level)
{
	log_uart = u;
	log_level = level;
}

static uint32_t cpu_id(const struct pcpu *p)
{
	return p ? p->id : LOG_CPU_UNKNOWN;
}

/* A CPU that holds the lock already (a report from inside a line, a host
 * exception while it printed) writes on: waiting would be for itself. */
static bool lock(uint32_t cpu)
{
	if (spin_held_by(&log_lock, cpu))
		return false;
	spin_lock(&log_lock, cpu);
	return true;
}

void log_write_locked(const char *text, uint32_t len)
{
	struct pcpu *p = pcpu_from_gdt();
	bool took;

	if (!log_uart)
		return;
	took = lock(cpu_id(p));
	uart_write(log_uart, text, len);
	if (took)
		spin_unlock(&log_lock);
}

static void send(struct log_line *l)
{
	if (l->len)
		log_write_locked(l->buf, l->len);
	l->len = 0;
}

static void append(const char *s, struct pcpu *p)
{
	struct log_line *l = p ? &p->log : &early_line;

	for (; *s; s++) {
		l->buf[l->len++] = *s;
		if (*s == '\n' || l->len == LOG_LINE_MAX)
			send(l);
	}
}

/* prefix, the formatted text (cut at LOG_LINE_MAX), then suffix, into this
 * CPU's line; each finished line goes out whole. */
static void emit(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct pcpu *p = pcpu_from_gdt();

	if (!log_uart)
		return;
	dv_vsnprintf(line, sizeof(line), fmt, ap);
	append(prefix, p);
	append(line, p);
	append(suffix, p);
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
	struct pcpu *p = pcpu_from_gdt();

	if (!log_uart)
		return;
	send(p ? &p->log : &early_line);
	uart_flush(log_uart);
}
