/*
 * drvisor configuration parser; the syntax is documented in config_parse.h.
 *
 * No libc here: this file is linked into the GNU-EFI loader as well as into
 * the host unit tests, so the few string and number helpers it needs are
 * small static functions below. No struct assignment of dv_config either:
 * the compiler would turn it into a call to memcpy, which the loader lacks.
 */
#include <stddef.h>
#include <stdint.h>
#include <drvisor/config.h>
#include "config_parse.h"

/* Longest excerpt of user text quoted in a message: keeps messages one
 * readable line even for a 500-byte value. */
#define QUOTE_MAX 48
/* Room for "origin line N: " plus a reason quoting at most QUOTE_MAX bytes. */
#define MSG_MAX 256

#define STR2(x) #x
#define STR(x) STR2(x)

static const char *const dr_switch_names[] = {
	[DV_DR_SWITCH_EAGER] = "eager",
	[DV_DR_SWITCH_LAZY] = "lazy",
};
static const char *const log_level_names[] = {
	[DV_LOG_ERROR] = "error",
	[DV_LOG_WARN] = "warn",
	[DV_LOG_INFO] = "info",
	[DV_LOG_DEBUG] = "debug",
};
static const char *const on_unsupported_names[] = {
	[DV_UNSUPPORTED_CONTINUE] = "continue",
	[DV_UNSUPPORTED_REFUSE] = "refuse",
};
static const char *const on_guest_shutdown_names[] = {
	[DV_GUEST_SHUTDOWN_RESET] = "reset",
	[DV_GUEST_SHUTDOWN_STOP] = "stop",
};
static const char *const on_off_names[] = {
	[0] = "off", [1] = "on",
};

static const char *const selftest_names[] = {
	[DV_SELFTEST_NONE] = "none",
	[DV_SELFTEST_UD] = "ud",
	[DV_SELFTEST_GP] = "gp",
	[DV_SELFTEST_PF] = "pf",
	[DV_SELFTEST_DE] = "de",
};

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---- character and string helpers ------------------------------------ */

/* ASCII lower case of c; other bytes unchanged. */
static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* True for the blanks that may surround keys and values. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the NUL-terminated string s. */
static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* True when NUL-terminated a and b are equal ignoring ASCII case. */
static int str_ieq(const char *a, const char *b)
{
	while (*a && to_lower(*a) == to_lower(*b)) {
		a++;
		b++;
	}
	return to_lower(*a) == to_lower(*b);
}

/* True when s (n bytes) holds a byte below 0x20 or DEL: such bytes in a path
 * or in load options would only garble the firmware's text. */
static int has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Copy n bytes of src to dst and NUL-terminate; dst has room for n + 1. */
static void copy_bytes(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i];
	dst[n] = 0;
}

/* Shrink [*s, *s + *n) so that it neither starts nor ends with a blank. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_blank((*s)[*n - 1]))
		(*n)--;
}

/* Index of the first c in s[from, to), or to when there is none. */
static size_t find_byte(const char *s, size_t from, size_t to, char c)
{
	while (from < to && s[from] != c)
		from++;
	return from;
}

/* True when the n bytes at s equal NUL-terminated lit ignoring ASCII case. */
static int mem_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || to_lower(s[i]) != to_lower(lit[i]))
			return 0;
	return lit[n] == 0;
}

/* ---- message building ------------------------------------------------- */

/* A bounded, always NUL-terminated text buffer; text past cap is dropped. */
struct msg {
	char *buf;
	size_t cap;
	size_t len;
};

/* Start an empty message in buf (cap bytes; cap 0 or buf NULL drops all). */
static void msg_init(struct msg *m, char *buf, size_t cap)
{
	m->buf = buf;
	m->cap = buf ? cap : 0;
	m->len = 0;
	if (m->cap)
		buf[0] = 0;
}

/* Append one byte, keeping the terminator. */
static void msg_char(struct msg *m, char c)
{
	if (m->len + 1 < m->cap) {
		m->buf[m->len++] = c;
		m->buf[m->len] = 0;
	}
}

/* Append the NUL-terminated string s. */
static void msg_str(struct msg *m, const char *s)
{
	while (*s)
		msg_char(m, *s++);
}

/* Append v in decimal. */
static void msg_uint(struct msg *m, uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		msg_char(m, digits[--n]);
}

/* Append n bytes of user text in single quotes, at most QUOTE_MAX of them
 * (then "..."), with control and non-ASCII bytes shown as '?' so the
 * message stays one printable ASCII line (the loader prints it with %a). */
static void msg_quoted(struct msg *m, const char *s, size_t n)
{
	size_t i;

	msg_char(m, '\'');
	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		msg_char(m, (c < 0x20 || c >= 0x7f) ? '?' : (char)c);
	}
	if (n > QUOTE_MAX)
		msg_str(m, "...");
	msg_char(m, '\'');
}

/* ---- numbers ----------------------------------------------------------- */

/* Value of hex or decimal digit c in the given base, or -1. */
static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (base == 16 && to_lower(c) >= 'a' && to_lower(c) <= 'f')
		v = to_lower(c) - 'a' + 10;
	return (v >= 0 && (unsigned)v < base) ? v : -1;
}

/* Parse all of s as a decimal or 0x-prefixed hex number into *out.
 * Returns NULL on success, or the reason it is not a number. */
static const char *parse_number(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (s[0] == '-')
		return "must not be negative";
	if (s[0] == '0' && to_lower(s[1]) == 'x') {
		base = 16;
		s += 2;
	}
	if (!*s)
		return base == 16 ? "no digits after 0x" : "empty";
	for (; *s; s++) {
		d = digit_value(*s, base);
		if (d < 0)
			return "not a number";
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return "number too large";
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return NULL;
}

/* ---- per-key setters: each leaves cfg alone and appends a reason to why
 * on failure (returns -1), or stores the value (returns 0). ------------- */

/* Store the index of value in names[count] into *field. */
static int set_word(uint32_t *field, const char *value, const char *const *names,
		    uint32_t count, struct msg *why)
{
	uint32_t i;

	for (i = 0; i < count; i++) {
		if (str_ieq(value, names[i])) {
			*field = i;
			return 0;
		}
	}
	msg_str(why, "must be one of ");
	for (i = 0; i < count; i++) {
		msg_str(why, i ? ", " : "");
		msg_str(why, names[i]);
	}
	return -1;
}

/* The n bytes at s as a number (decimal or 0x-hex) into *out; NULL or why
 * not. */
static const char *parse_number_n(const char *s, size_t n, uint64_t *out)
{
	char buf[24];

	if (n >= sizeof(buf))
		return "number too large";
	copy_bytes(buf, s, n);
	return parse_number(buf, out);
}

/* The n bytes at s as hex digits (1..2 of them, no 0x) below limit. */
static int parse_hex_field(const char *s, size_t n, unsigned limit, uint8_t *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 2)
		return -1;
	for (i = 0; i < n; i++) {
		int d = digit_value(s[i], 16);

		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	if (v >= limit)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* The monitor= value being built: applied to cfg only when all of it is
 * good, so that a bad value changes nothing. */
struct monitor_spec {
	uint32_t kind;
	uint16_t port;
	uint8_t bus, dev, fn, bar;
	uint64_t mmio;
	uint32_t width, shift, clock;
};

/* One ",key=value" option of pci: or mmio: (n bytes at s, without the
 * comma). Returns NULL or why it is bad. */
static const char *monitor_option(struct monitor_spec *m, const char *s, size_t n)
{
	size_t eq = find_byte(s, 0, n, '=');
	uint64_t v;

	if (eq == n)
		return "an option must be key=value (bar=, width=, shift=, clock=)";
	if (parse_number_n(s + eq + 1, n - eq - 1, &v))
		return "an option's value must be a number";
	if (mem_ieq(s, eq, "bar") && m->kind == DV_MONITOR_PCI) {
		if (v > 5)
			return "bar= must be 0..5";
		m->bar = (uint8_t)v;
	} else if (mem_ieq(s, eq, "width") && m->kind == DV_MONITOR_MMIO) {
		if (v != 1 && v != 4)
			return "width= must be 1 or 4 (bytes per register)";
		m->width = (uint32_t)v;
	} else if (mem_ieq(s, eq, "shift") && m->kind == DV_MONITOR_MMIO) {
		if (v > 4)
			return "shift= must be 0..4";
		m->shift = (uint32_t)v;
	} else if (mem_ieq(s, eq, "clock")) {
		/* The divisor is clock / (16 x baud): 50 baud needs 800 Hz. */
		if (v < 16u * 50 || v > 0xffffffffu)
			return "clock= must be 800..4294967295 Hz";
		m->clock = (uint32_t)v;
	} else {
		return m->kind == DV_MONITOR_PCI ? "pci: takes bar= and clock= only"
						  : "mmio: takes width=, shift= and clock= only";
	}
	return NULL;
}

/* The ",option" list after pci:BB:DD.F or mmio:0xADDR, from s[pos, n). */
static const char *monitor_options(struct monitor_spec *m, const char *s, size_t pos, size_t n)
{
	const char *bad;
	size_t end;

	while (pos < n) {
		if (s[pos] != ',')
			return "options follow a ','";
		pos++;
		end = find_byte(s, pos, n, ',');
		bad = monitor_option(m, s + pos, end - pos);
		if (bad)
			return bad;
		pos = end;
	}
	return NULL;
}

/* pci:BB:DD.F (hex, as lspci prints it) and its options. */
static const char *monitor_pci(struct monitor_spec *m, const char *s, size_t n)
{
	size_t c = find_byte(s, 0, n, ':'), dot = find_byte(s, 0, n, '.');
	size_t end = find_byte(s, 0, n, ',');

	m->kind = DV_MONITOR_PCI;
	m->bar = DV_MONITOR_BAR_FIRST;
	if (c == n || dot == n || dot < c || dot + 2 != end)
		return "pci: needs BB:DD.F (hex bus, device, function, e.g. pci:00:03.0)";
	if (parse_hex_field(s, c, 0x100, &m->bus))
		return "pci: bus must be 00..ff";
	if (parse_hex_field(s + c + 1, dot - c - 1, 0x20, &m->dev))
		return "pci: device must be 00..1f";
	if (parse_hex_field(s + dot + 1, 1, 8, &m->fn))
		return "pci: function must be 0..7";
	return monitor_options(m, s, end, n);
}

/* mmio:0xADDR and its options. */
static const char *monitor_mmio(struct monitor_spec *m, const char *s, size_t n)
{
	size_t end = find_byte(s, 0, n, ',');

	m->kind = DV_MONITOR_MMIO;
	if (end == 0)
		return "mmio: needs an address (mmio:0xfe030000)";
	if (parse_number_n(s, end, &m->mmio))
		return "mmio: the address must be a number";
	if (m->mmio == 0 || m->mmio >= (1ull << 52))
		return "mmio: the address must be 1..2^52-1";
	return monitor_options(m, s, end, n);
}

/* com1..com4 or an I/O port 1..0xffff. */
static const char *monitor_port(struct monitor_spec *m, const char *value)
{
	static const uint16_t com_ports[] = { DV_COM1_PORT, DV_COM2_PORT, DV_COM3_PORT,
					      DV_COM4_PORT };
	static const char *const com_names[] = { "com1", "com2", "com3", "com4" };
	uint64_t port;
	uint32_t i;

	m->kind = DV_MONITOR_PORT;
	for (i = 0; i < COUNT(com_names); i++) {
		if (str_ieq(value, com_names[i])) {
			m->port = com_ports[i];
			return NULL;
		}
	}
	if (parse_number(value, &port))
		return "must be com1..com4, a port number 1..0xffff, auto, pci:BB:DD.F or mmio:0xADDR";
	if (port == 0 || port > 0xffff)
		return port ? "port must be 1..0xffff" : "port 0 is not allowed";
	m->port = (uint16_t)port;
	return NULL;
}

/* monitor=com1..com4|PORT|auto|pci:BB:DD.F[,bar=N][,clock=HZ]|
 * mmio:0xADDR[,width=1|4][,shift=0..4][,clock=HZ]. */
static int set_monitor(struct dv_config *cfg, const char *value, struct msg *why)
{
	struct monitor_spec m = { .port = cfg->monitor_port, .width = 1,
				  .clock = DV_UART_DEFAULT_CLOCK, .bar = DV_MONITOR_BAR_FIRST };
	size_t n = str_len(value);
	const char *bad;

	if (str_ieq(value, "auto")) {
		m.kind = DV_MONITOR_AUTO;
		bad = NULL;
	} else if (n >= 4 && mem_ieq(value, 4, "pci:")) {
		bad = monitor_pci(&m, value + 4, n - 4);
	} else if (n >= 5 && mem_ieq(value, 5, "mmio:")) {
		bad = monitor_mmio(&m, value + 5, n - 5);
	} else {
		bad = monitor_port(&m, value);
	}
	if (bad) {
		msg_str(why, bad);
		return -1;
	}
	cfg->monitor_kind = m.kind;
	cfg->monitor_port = m.port;
	cfg->monitor_pci_bus = m.bus;
	cfg->monitor_pci_dev = m.dev;
	cfg->monitor_pci_fn = m.fn;
	cfg->monitor_pci_bar = m.bar;
	cfg->monitor_mmio = m.mmio;
	cfg->monitor_width = m.width;
	cfg->monitor_shift = m.shift;
	cfg->monitor_clock = m.clock;
	return 0;
}

/* baud=N: the 16550 divisor latch is 115200 / N, so N must divide it. */
static int set_baud(struct dv_config *cfg, const char *value, struct msg *why)
{
	const char *bad;
	uint64_t baud;

	/* Range first where a remainder would mislead (or divide by zero),
	 * then the divisor rule, which is what a typo like 960 breaks. */
	bad = parse_number(value, &baud);
	if (!bad && (baud == 0 || baud > 115200))
		bad = "must be 50..115200";
	if (!bad && 115200 % baud)
		bad = "must divide 115200";
	if (!bad && baud < 50)
		bad = "must be 50..115200";
	if (bad) {
		msg_str(why, bad);
		return -1;
	}
	cfg->baud = (uint32_t)baud;
	return 0;
}

/* next=\path: an EFI file path; '/' is accepted and turned into '\'. */
static int set_next(struct dv_config *cfg, const char *value, struct msg *why)
{
	size_t i, n = str_len(value);

	if (n >= DV_CONFIG_NEXT_MAX)
		msg_str(why, "must be shorter than " STR(DV_CONFIG_NEXT_MAX) " bytes");
	else if (n && value[0] != '\\' && value[0] != '/')
		msg_str(why, "must start with '\\'");
	else if (has_control(value, n))
		msg_str(why, "contains a control character");
	else {
		for (i = 0; i < n; i++)
			cfg->next[i] = value[i] == '/' ? '\\' : value[i];
		cfg->next[n] = 0;
		return 0;
	}
	return -1;
}

/* next_args=...: load options handed to next= as they are. */
static int set_next_args(struct dv_config *cfg, const char *value, struct msg *why)
{
	size_t n = str_len(value);

	if (n >= DV_CONFIG_ARGS_MAX)
		msg_str(why, "must be shorter than " STR(DV_CONFIG_ARGS_MAX) " bytes");
	else if (has_control(value, n))
		msg_str(why, "contains a control character");
	else {
		copy_bytes(cfg->next_args, value, n);
		return 0;
	}
	return -1;
}

/* dr_switch=eager|lazy. */
static int set_dr_switch(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->dr_switch, value, dr_switch_names, COUNT(dr_switch_names), why);
}

/* log_level=error|warn|info|debug. */
static int set_log_level(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->log_level, value, log_level_names, COUNT(log_level_names), why);
}

/* on_unsupported=continue|refuse. */
static int set_on_unsupported(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->on_unsupported, value, on_unsupported_names,
			COUNT(on_unsupported_names), why);
}

/* on_guest_shutdown=reset|stop. */
static int set_on_guest_shutdown(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->on_guest_shutdown, value, on_guest_shutdown_names,
			COUNT(on_guest_shutdown_names), why);
}

/* selftest=none|ud|gp|pf|de. */
static int set_selftest(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->selftest, value, selftest_names, COUNT(selftest_names), why);
}

/* monitor_share=off|on. */
static int set_monitor_share(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->monitor_share, value, on_off_names, COUNT(on_off_names), why);
}

/* test_hooks=off|on. */
static int set_test_hooks(struct dv_config *cfg, const char *value, struct msg *why)
{
	return set_word(&cfg->test_hooks, value, on_off_names, COUNT(on_off_names), why);
}

static const struct {
	const char *key;
	int (*set)(struct dv_config *cfg, const char *value, struct msg *why);
} setters[] = {
	{ "monitor", set_monitor },
	{ "baud", set_baud },
	{ "next", set_next },
	{ "next_args", set_next_args },
	{ "dr_switch", set_dr_switch },
	{ "log_level", set_log_level },
	{ "on_unsupported", set_on_unsupported },
	{ "on_guest_shutdown", set_on_guest_shutdown },
	{ "selftest", set_selftest },
	{ "test_hooks", set_test_hooks },
	{ "monitor_share", set_monitor_share },
};

/* ---- public API -------------------------------------------------------- */

/* See config_parse.h. Field by field so that no memset call is generated. */
void dv_config_defaults(struct dv_config *cfg)
{
	size_t i;

	cfg->monitor_port = DV_DEFAULT_MONITOR_PORT;
	cfg->reserved0 = 0;
	cfg->monitor_kind = DV_MONITOR_PORT;
	cfg->monitor_pci_bus = cfg->monitor_pci_dev = cfg->monitor_pci_fn = 0;
	cfg->monitor_pci_bar = DV_MONITOR_BAR_FIRST;
	cfg->monitor_mmio = 0;
	cfg->monitor_width = 1;
	cfg->monitor_shift = 0;
	cfg->monitor_clock = DV_UART_DEFAULT_CLOCK;
	cfg->reserved1 = 0;
	cfg->baud = DV_DEFAULT_BAUD;
	cfg->dr_switch = DV_DEFAULT_DR_SWITCH;
	cfg->log_level = DV_DEFAULT_LOG_LEVEL;
	/* Safe choice: a machine without VMX/SVM still boots its OS. */
	cfg->on_unsupported = DV_UNSUPPORTED_CONTINUE;
	cfg->selftest = DV_SELFTEST_NONE;
	cfg->test_hooks = 0;
	cfg->monitor_share = 0;
	/* What the guest would get on bare metal: the machine resets. */
	cfg->on_guest_shutdown = DV_GUEST_SHUTDOWN_RESET;
	for (i = 0; i < DV_CONFIG_NEXT_MAX; i++)
		cfg->next[i] = 0;
	for (i = 0; i < DV_CONFIG_ARGS_MAX; i++)
		cfg->next_args[i] = 0;
}

/* See config_parse.h. The reason names the canonical key and quotes the
 * value; on success why is left empty. */
int dv_config_set(struct dv_config *cfg, const char *key, const char *value,
		  char *why, size_t why_len)
{
	struct msg m;
	size_t i;

	msg_init(&m, why, why_len);
	if (!key || !value) {
		msg_str(&m, "missing key or value");
		return -1;
	}
	for (i = 0; i < COUNT(setters); i++) {
		if (!str_ieq(key, setters[i].key))
			continue;
		msg_str(&m, "bad value ");
		msg_quoted(&m, value, str_len(value));
		msg_str(&m, " for ");
		msg_str(&m, setters[i].key);
		msg_str(&m, ": ");
		if (setters[i].set(cfg, value, &m))
			return -1;
		msg_init(&m, why, why_len);
		return 0;
	}
	msg_str(&m, "unknown key ");
	msg_quoted(&m, key, str_len(key));
	return -1;
}

/* Send "origin line N: text" (or "origin: text" when line is 0) to report.
 * Returns 1, the number of problems this adds. */
static int report_problem(dv_config_report_fn report, void *ctx, const char *origin,
			  size_t line, const char *text)
{
	char buf[MSG_MAX];
	struct msg m;

	if (!report)
		return 1;
	msg_init(&m, buf, sizeof(buf));
	msg_str(&m, origin);
	if (line) {
		msg_str(&m, " line ");
		msg_uint(&m, line);
	}
	msg_str(&m, ": ");
	msg_str(&m, text);
	report(ctx, buf);
	return 1;
}

/* Where a problem is reported: origin and line (0 for load options). */
struct where {
	const char *origin;
	size_t line;
	dv_config_report_fn report;
	void *ctx;
};

/* Report a problem built from prefix, quoted user text and suffix. */
static int report_quoted(const struct where *w, const char *prefix, const char *s,
			 size_t n, const char *suffix)
{
	char buf[MSG_MAX];
	struct msg m;

	msg_init(&m, buf, sizeof(buf));
	msg_str(&m, prefix);
	msg_quoted(&m, s, n);
	msg_str(&m, suffix);
	return report_problem(w->report, w->ctx, w->origin, w->line, buf);
}

/* Trim key and value (klen and vlen bytes, not NUL-terminated), then apply
 * them. Returns the number of problems reported (0 or 1). */
static int apply_pair(struct dv_config *cfg, const char *key, size_t klen,
		      const char *value, size_t vlen, const struct where *w)
{
	char k[DV_CONFIG_LINE_MAX], v[DV_CONFIG_LINE_MAX], why[MSG_MAX];
	size_t i;

	trim(&key, &klen);
	trim(&value, &vlen);
	if (!klen)
		return report_quoted(w, "missing key before '=' in ", value, vlen, "");
	if (klen >= sizeof(k))
		return report_quoted(w, "unknown key ", key, klen, "");
	if (vlen >= sizeof(v))
		return report_quoted(w, "value of ", key, klen,
				     " is " STR(DV_CONFIG_LINE_MAX) " bytes or longer, ignored");
	for (i = 0; i < vlen; i++)
		if (!value[i])
			return report_quoted(w, "NUL byte in the value of ", key, klen, "");
	copy_bytes(k, key, klen);
	copy_bytes(v, value, vlen);
	if (dv_config_set(cfg, k, v, why, sizeof(why)))
		return report_problem(w->report, w->ctx, w->origin, w->line, why);
	return 0;
}

/* Apply one line of the file (n bytes, its LF removed). Returns the number
 * of problems reported (0 or 1). */
static int parse_file_line(struct dv_config *cfg, const char *s, size_t n,
			   const struct where *w)
{
	size_t eq;

	if (n && s[n - 1] == '\r')
		n--;
	if (n >= DV_CONFIG_LINE_MAX)
		return report_problem(w->report, w->ctx, w->origin, w->line,
				      "line is " STR(DV_CONFIG_LINE_MAX) " bytes or longer, ignored");
	/* Checked over the whole line, comment included: a NUL means the file
	 * is not the text it claims to be. */
	if (find_byte(s, 0, n, 0) < n)
		return report_problem(w->report, w->ctx, w->origin, w->line,
				      "NUL byte in line, ignored");
	n = find_byte(s, 0, n, '#');
	trim(&s, &n);
	if (!n)
		return 0;
	eq = find_byte(s, 0, n, '=');
	if (eq == n)
		return report_quoted(w, "missing '=' in ", s, n, "");
	return apply_pair(cfg, s, eq, s + eq + 1, n - eq - 1, w);
}

/* See config_parse.h. Lines are counted from 1 by their LF. */
int dv_config_parse_file(struct dv_config *cfg, const char *text, size_t len,
			 const char *origin, dv_config_report_fn report, void *ctx)
{
	struct where w = { origin ? origin : "config", 0, report, ctx };
	size_t pos = 0, end;
	int problems = 0;

	if (!text)
		len = 0;
	/* Notepad and friends start UTF-8 files with a byte-order mark. */
	if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf)
		pos = 3;
	while (pos < len) {
		end = find_byte(text, pos, len, '\n');
		w.line++;
		problems += parse_file_line(cfg, text + pos, end - pos, &w);
		pos = end + 1;
	}
	return problems;
}

/* True for the bytes that separate load options. A NUL counts as one: the
 * firmware's option strings are NUL-terminated and their sizes often count
 * the terminator. */
static int is_option_blank(char c)
{
	return is_blank(c) || c == '\r' || c == '\n' || c == 0;
}

/* Index of the first non-blank byte of s[i, len), or len. */
static size_t skip_option_blanks(const char *s, size_t i, size_t len)
{
	while (i < len && is_option_blank(s[i]))
		i++;
	return i;
}

/* Index of the first blank byte of s[i, len), or len: the end of a token. */
static size_t option_token_end(const char *s, size_t i, size_t len)
{
	while (i < len && !is_option_blank(s[i]))
		i++;
	return i;
}

/* Trim option blanks from the end of s[from, *to). */
static void trim_option_end(const char *s, size_t from, size_t *to)
{
	while (*to > from && is_option_blank(s[*to - 1]))
		(*to)--;
}

/* See config_parse.h. Problems are reported as "load options: ...". */
int dv_config_parse_options(struct dv_config *cfg, const char *text, size_t len,
			    dv_config_report_fn report, void *ctx)
{
	struct where w = { "load options", 0, report, ctx };
	size_t pos, end, eq;
	int problems = 0, first = 1;

	if (!text)
		len = 0;
	for (pos = skip_option_blanks(text, 0, len); pos < len;
	     pos = skip_option_blanks(text, end, len), first = 0) {
		end = option_token_end(text, pos, len);
		eq = find_byte(text, pos, end, '=');
		if (eq == end) {
			/* The shell passes the image's own name first. */
			if (!first)
				problems += report_quoted(&w, "missing '=' in ", text + pos,
							  end - pos, "");
			continue;
		}
		if (mem_ieq(text + pos, eq - pos, "next_args")) {
			/* Its value is the rest of the line, blanks included. */
			end = len;
			trim_option_end(text, eq + 1, &end);
		}
		problems += apply_pair(cfg, text + pos, eq - pos, text + eq + 1, end - eq - 1, &w);
	}
	return problems;
}

/* names[v] when v is in range, else "?". */
static const char *name_of(uint32_t v, const char *const *names, uint32_t count)
{
	return v < count ? names[v] : "?";
}

/* See config_parse.h: "?" when v is out of range (also below). */
const char *dv_dr_switch_name(uint32_t v)
{
	return name_of(v, dr_switch_names, COUNT(dr_switch_names));
}

const char *dv_log_level_name(uint32_t v)
{
	return name_of(v, log_level_names, COUNT(log_level_names));
}

const char *dv_selftest_name(uint32_t v)
{
	return name_of(v, selftest_names, COUNT(selftest_names));
}
