/* printf-style formatting without libc, for the log and the monitor. */
#include <stdint.h>
#include "format.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	int left, zero, width, length; /* length: 0 int, 1 long, 2 long long/size_t, -1 short, -2 char */
};

static void put_padded(struct out *o, const char *s, int n, const struct spec *sp)
{
	int pad = sp->width > n ? sp->width - n : 0;
	char fill = sp->zero && !sp->left ? '0' : ' ';
	int i;

	/* With zero padding the sign goes before the zeros. */
	if (fill == '0' && n > 0 && s[0] == '-') {
		put(o, '-');
		s++;
		n--;
	}
	for (i = 0; !sp->left && i < pad; i++)
		put(o, fill);
	for (i = 0; i < n; i++)
		put(o, s[i]);
	for (i = 0; sp->left && i < pad; i++)
		put(o, ' ');
}

static int utoa(char *tmp, uint64_t v, unsigned base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	int n = 0, i;

	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
	switch (length) {
	case 2: return va_arg(*ap, unsigned long long);
	case 1: return va_arg(*ap, unsigned long);
	case -1: return (unsigned short)va_arg(*ap, unsigned int);
	case -2: return (unsigned char)va_arg(*ap, unsigned int);
	default: return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(va_list *ap, int length)
{
	switch (length) {
	case 2: return va_arg(*ap, long long);
	case 1: return va_arg(*ap, long);
	case -1: return (short)va_arg(*ap, int);
	case -2: return (signed char)va_arg(*ap, int);
	default: return va_arg(*ap, int);
	}
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0, 0, 0, 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else
			break;
	}
	while (*f >= '0' && *f <= '9' && sp->width < 1000)
		sp->width = sp->width * 10 + (*f++ - '0');
	for (;; f++) {
		if (*f == 'l' || *f == 'z')
			sp->length = sp->length >= 1 || *f == 'z' ? 2 : 1;
		else if (*f == 'h')
			sp->length = sp->length <= -1 ? -2 : -1;
		else
			break;
	}
	return f;
}

static void convert(struct out *o, char c, const struct spec *sp, va_list *ap)
{
	char tmp[24];
	const char *s;
	int n = 0;
	int64_t sv;

	switch (c) {
	case 'c':
		tmp[0] = (char)va_arg(*ap, int);
		put_padded(o, tmp, 1, sp);
		return;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		while (s[n])
			n++;
		put_padded(o, s, n, sp);
		return;
	case 'd': case 'i':
		sv = arg_signed(ap, sp->length);
		if (sv < 0)
			tmp[n++] = '-';
		n += utoa(tmp + n, sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv, 10, 0);
		break;
	case 'u':
		n = utoa(tmp, arg_unsigned(ap, sp->length), 10, 0);
		break;
	case 'x': case 'X':
		n = utoa(tmp, arg_unsigned(ap, sp->length), 16, c == 'X');
		break;
	case 'p':
		tmp[0] = '0';
		tmp[1] = 'x';
		n = 2 + utoa(tmp + 2, (uint64_t)(uintptr_t)va_arg(*ap, void *), 16, 0);
		break;
	default:
		put(o, '%');
		put(o, c);
		return;
	}
	put_padded(o, tmp, n, sp);
}

int dv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		if (*fmt == '%')
			put(&o, '%');
		else
			convert(&o, *fmt, &sp, &aq);
		fmt++;
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int dv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = dv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
