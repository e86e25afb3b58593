/* A small printf-style formatter for the freestanding core (no libc).
 * Conversions: %% %c %s %d %i %u %x %X %p, flags '-' and '0', a field width,
 * and length modifiers hh h l ll z. Unknown conversions are printed as-is. */
#ifndef DRVISOR_CORE_FORMAT_H
#define DRVISOR_CORE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into buf (size bytes, always NUL-terminated when size > 0).
 * Returns the length the full output would have had, like vsnprintf. */
int dv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int dv_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
