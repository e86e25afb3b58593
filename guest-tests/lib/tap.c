/*
 * TAP output on COM1 with a printf of our own: gnu-efi's Print() writes
 * UCS-2 to the firmware console, while test drivers read plain bytes from
 * the serial log. This printf covers only what test lines need (integers in
 * hex and decimal, strings, characters) so it stays small and cannot pull in
 * anything from libc.
 */
#include "guest.h"

#include <stdbool.h>

static unsigned tap_next = 1;
static unsigned tap_failed;
static const char *tap_prefix = "";

void tap_set_prefix(const char *prefix)
{
	tap_prefix = prefix ? prefix : "";
}

static void put_uint(uint64_t v, unsigned base, unsigned width, char pad)
{
	char buf[24];
	unsigned n = 0;

	do {
		unsigned d = (unsigned)(v % base);
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v && n < sizeof(buf));
	while (width > n && width-- > 0)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

void guest_vprintf(const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			serial_putc(*p);
			continue;
		}
		p++;
		bool alt = false;
		char pad = ' ';
		unsigned width = 0, longs = 0;

		if (*p == '#') {
			alt = true;
			p++;
		}
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		while (*p == 'l') {
			longs++;
			p++;
		}

		uint64_t u;
		int64_t s;
		switch (*p) {
		case 'd':
		case 'i':
			s = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (s < 0) {
				serial_putc('-');
				u = (uint64_t)0 - (uint64_t)s;
			} else {
				u = (uint64_t)s;
			}
			put_uint(u, 10, width, pad);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			if (alt && *p == 'x')
				serial_puts("0x");
			put_uint(u, *p == 'x' ? 16 : 10, width, pad);
			break;
		case 'p':
			serial_puts("0x");
			put_uint((uint64_t)(uintptr_t)va_arg(ap, void *), 16, 16, '0');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			serial_puts(str ? str : "(null)");
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case '%':
			serial_putc('%');
			break;
		case '\0':
			return;
		default: /* unknown conversion: show it rather than guess */
			serial_putc('%');
			serial_putc(*p);
			break;
		}
	}
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
}

void tap_plan(unsigned n)
{
	guest_printf("TAP version 13\n1..%u\n", n);
}

static void tap_line(int cond, const char *fmt, va_list ap)
{
	if (!cond)
		tap_failed++;
	guest_printf("%sok %u - %s", cond ? "" : "not ", tap_next++, tap_prefix);
	guest_vprintf(fmt, ap);
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(cond, fmt, ap);
	va_end(ap);
	serial_putc('\n');
	return cond != 0;
}

int tap_eq(uint64_t got, uint64_t expected, const char *fmt, ...)
{
	va_list ap;
	int cond = got == expected;

	va_start(ap, fmt);
	tap_line(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		guest_printf(" # expected %#lx got %#lx", expected, got);
	serial_putc('\n');
	return cond;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_printf("ok %u - %s", tap_next++, tap_prefix);
	guest_vprintf(fmt, ap);
	va_end(ap);
	guest_printf(" # SKIP %s\n", reason);
}

unsigned tap_count(void)
{
	return tap_next - 1;
}

unsigned tap_failures(void)
{
	return tap_failed;
}
