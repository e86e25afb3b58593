/* drvctl's flags, commands and reply parser (see drvctl_proto.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "drvctl_proto.h"

void drv_usage(FILE *f)
{
	fputs(
"usage: drvctl (--socket=PATH | --device=TTY [--baud=N]) [--timeout=SECONDS]\n"
"              ACTION...\n"
"Reads and writes the guest's debug registers through drvisor's serial\n"
"monitor (a QEMU UNIX socket or a serial device). Actions run in order and\n"
"stop at the first error:\n"
"  --get-drN  --set-drN=VALUE     DR0-DR3, DR6, DR7 (N = 0-3, 6, 7)\n"
"  --get-debugctl  --set-debugctl=VALUE\n"
"  --get-all                      DR0-3, DR6, DR7 and IA32_DEBUGCTL\n"
"  --vcpu=N                       the vCPU later actions act on (default 0)\n"
"  --pause  --cont  --step[=N]    stop, resume, execute N instructions (1)\n"
"  --pause-all  --cont-all        stop or resume every vCPU (prints the list)\n"
"  --stats  --reset-stats         VM-exit counts by reason\n"
"  --stats-all                    every vCPU's exit total, reasons summed\n"
"VALUE is hex, 0x optional (400 = 0x400), or 0n-prefixed decimal (0n1024);\n"
"N is decimal, or 0x-prefixed hex. Output: one name=value per line,\n"
"e.g. dr7=0x0000000000000400 (after a write: the value read back).\n"
"Exit status: 0 ok, 1 the monitor's error (on stderr), 2 usage,\n"
"3 timeout (--timeout, default 5 s per reply), 4 connection or I/O error.\n",
	      f);
}

/* Write a formatted one-line message into err and return -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* If arg is --NAME=VALUE or --NAME (VALUE then in the next argument),
 * store VALUE and return 1; 0 if arg is not --NAME; -1 if VALUE is missing. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* Whether s is a plausible VALUE or N token: 1-31 letters and digits (the
 * monitor checks the number itself; this keeps a space or a newline from
 * smuggling in a second command). */
static bool token_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= DRV_TOKEN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* Append an action of kind with register reg and argument arg. */
static int add_action(struct drv_opts *o, enum drv_kind kind, const char *reg,
		      const char *arg, const char *flag, char *err, size_t errlen)
{
	struct drv_action *a;

	if (o->n == DRV_ACTIONS_MAX)
		return fail(err, errlen, "too many actions (at most %d)", DRV_ACTIONS_MAX);
	if (arg && !token_ok(arg))
		return fail(err, errlen, "%s: bad argument '%s' (a number: letters and digits)",
			    flag, arg);
	a = &o->a[o->n++];
	a->kind = kind;
	a->reg = reg;
	snprintf(a->arg, sizeof(a->arg), "%s", arg ? arg : "");
	return 0;
}

/* --get-drN, --set-drN=VALUE, --get-debugctl, --set-debugctl=VALUE; returns
 * 1 when arg was one of them (and added), 0 when not, -1 on error. */
static int register_flag(const char *arg, struct drv_opts *o, char *err, size_t errlen)
{
	static const char *const regs[] = {
		"dr0", "dr1", "dr2", "dr3", "dr4", "dr5", "dr6", "dr7", "debugctl",
	};
	bool set = strncmp(arg, "--set-", 6) == 0;
	size_t i, n;

	if (!set && strncmp(arg, "--get-", 6) != 0)
		return 0;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		n = strlen(regs[i]);
		if (strncmp(arg + 6, regs[i], n) != 0 || (arg[6 + n] && arg[6 + n] != '='))
			continue;
		if (i == 4 || i == 5)
			return fail(err, errlen, "%.*s: dr4 and dr5 are aliases of dr6 and dr7 "
				    "(CR4.DE=0) or reserved: use dr6 or dr7", (int)(6 + n), arg);
		if (set && arg[6 + n] != '=')
			return fail(err, errlen, "%s needs =VALUE", arg);
		if (!set && arg[6 + n])
			return fail(err, errlen, "%.*s takes no value", (int)(6 + n), arg);
		if (add_action(o, set ? DRV_SET : DRV_GET, regs[i], set ? arg + 7 + n : NULL,
			       arg, err, errlen))
			return -1;
		return 1;
	}
	return fail(err, errlen, "unknown option %s", arg);
}

/* Parse --timeout's SECONDS (decimal, fraction allowed, 0.001-3600). */
static int parse_timeout(const char *s, unsigned *ms, char *err, size_t errlen)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0.001 && v <= 3600))
		return fail(err, errlen, "--timeout: bad number of seconds '%s' (0.001-3600)", s);
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

/* Parse --baud's N (decimal). */
static int parse_baud(const char *s, unsigned *baud, char *err, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v == 0 || v > 4000000)
		return fail(err, errlen, "--baud: bad rate '%s'", s);
	*baud = (unsigned)v;
	return 0;
}

/* The simple flags: actions without a register. Returns 1 when arg was one. */
static int simple_flag(const char *arg, struct drv_opts *o, char *err, size_t errlen)
{
	static const struct { const char *flag; enum drv_kind kind; } flags[] = {
		{ "--get-all", DRV_GET_ALL }, { "--pause", DRV_PAUSE }, { "--cont", DRV_CONT },
		{ "--step", DRV_STEP }, { "--stats", DRV_STATS },
		{ "--reset-stats", DRV_STATS_RESET }, { "--pause-all", DRV_PAUSE_ALL },
		{ "--cont-all", DRV_CONT_ALL }, { "--stats-all", DRV_STATS_ALL },
	};
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(arg, flags[i].flag) == 0)
			return add_action(o, flags[i].kind, NULL, NULL, arg, err, errlen) ? -1 : 1;
	}
	if (strncmp(arg, "--step=", 7) == 0)
		return add_action(o, DRV_STEP, NULL, arg + 7, "--step", err, errlen) ? -1 : 1;
	return 0;
}

/* Handle the connection options at argv[*i]; 1 when it was one, -1 on error. */
static int connection_flag(int argc, char **argv, int *i, struct drv_opts *o,
			   char *err, size_t errlen)
{
	static const char *const names[] = { "--socket", "--device", "--baud", "--timeout", "--vcpu" };
	const char *val = NULL;
	size_t k;
	int r;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		r = option_value(argc, argv, i, names[k], &val);
		if (r < 0)
			return fail(err, errlen, "%s needs a value", names[k]);
		if (r > 0)
			break;
	}
	switch (k) {
	case 0: o->socket = val; return 1;
	case 1: o->device = val; return 1;
	case 2: return parse_baud(val, &o->baud, err, errlen) ? -1 : 1;
	case 3: return parse_timeout(val, &o->timeout_ms, err, errlen) ? -1 : 1;
	case 4: return add_action(o, DRV_VCPU, NULL, val, "--vcpu", err, errlen) ? -1 : 1;
	default: return 0;
	}
}

int drv_parse_args(int argc, char **argv, struct drv_opts *o, char *err, size_t errlen)
{
	int i, r;

	memset(o, 0, sizeof(*o));
	o->baud = DRV_BAUD_DEFAULT;
	o->timeout_ms = DRV_TIMEOUT_MS_DEFAULT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			o->help = true;
			return 0;
		}
		r = connection_flag(argc, argv, &i, o, err, errlen);
		if (!r)
			r = simple_flag(argv[i], o, err, errlen);
		if (!r)
			r = register_flag(argv[i], o, err, errlen);
		if (!r)
			return fail(err, errlen, "unknown argument %s (--help)", argv[i]);
		if (r < 0)
			return -1;
	}
	if (!o->socket == !o->device)
		return fail(err, errlen, "give one of --socket=PATH or --device=TTY");
	if (!o->n)
		return fail(err, errlen, "nothing to do: give at least one action (--help)");
	/* vCPU 0 unless the first action selects another: the monitor may
	 * still have the selection of an earlier session. */
	if (o->a[0].kind != DRV_VCPU) {
		memmove(&o->a[1], &o->a[0], o->n * sizeof(o->a[0]));
		o->n++;
		o->a[0] = (struct drv_action){ .kind = DRV_VCPU, .arg = "0" };
	}
	return 0;
}

void drv_command(const struct drv_action *a, char *buf, size_t size)
{
	const char *sep = a->arg[0] ? " " : "";

	switch (a->kind) {
	case DRV_GET: case DRV_SET:
		if (strcmp(a->reg, "debugctl") == 0)
			snprintf(buf, size, "debugctl%s%s", sep, a->arg);
		else
			snprintf(buf, size, "dr %s%s%s", a->reg + 2, sep, a->arg);
		return;
	case DRV_GET_ALL: snprintf(buf, size, "dr"); return;
	case DRV_VCPU: snprintf(buf, size, "vcpu %s", a->arg); return;
	case DRV_PAUSE: snprintf(buf, size, "pause"); return;
	case DRV_CONT: snprintf(buf, size, "cont"); return;
	case DRV_STEP: snprintf(buf, size, "step%s%s", sep, a->arg); return;
	case DRV_STATS: snprintf(buf, size, "stats"); return;
	case DRV_STATS_RESET: snprintf(buf, size, "stats reset"); return;
	case DRV_PAUSE_ALL: snprintf(buf, size, "pause all"); return;
	case DRV_CONT_ALL: snprintf(buf, size, "cont all"); return;
	case DRV_STATS_ALL: snprintf(buf, size, "stats all"); return;
	}
	snprintf(buf, size, "help");
}

/* Whether c may appear in a name or an unquoted value. */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Parse the item at *p (a name, or name=value), NUL-terminate its parts and
 * move *p past it and one following space. Returns false when malformed. */
static bool parse_item(char **p, struct drv_item *it)
{
	char *s = *p;

	it->name = s;
	it->value = NULL;
	while (name_char(*s))
		s++;
	if (s == it->name)
		return false;
	if (*s == '=') {
		*s++ = 0;
		if (*s == '"') {
			it->value = ++s;
			while (*s && *s != '"')
				s++;
			if (*s != '"')
				return false;
			*s++ = 0;
		} else {
			/* Unquoted values are names, numbers or comma-separated
			 * lists of them (pause all's "paused=0,1"). */
			it->value = s;
			while (name_char(*s) || *s == ',')
				s++;
			if (s == it->value)
				return false;
		}
	}
	if (*s != ' ' && *s != 0)
		return false;
	if (*s == ' ')
		*s++ = 0;
	*p = s;
	return true;
}

enum drv_reply_kind drv_parse_reply(char *line, struct drv_reply *r)
{
	size_t n = strlen(line);
	struct drv_item it;
	char *p = line;

	memset(r, 0, sizeof(*r));
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	if (strncmp(line, "error: ", 7) == 0) {
		r->error = line + 7;
		return r->kind = DRV_REPLY_ERROR;
	}
	while (*p) {
		if (!parse_item(&p, &it))
			break;
		if (!*p && !it.value && strcmp(it.name, "ok") == 0)
			return r->kind = DRV_REPLY_OK;
		if (r->n < DRV_ITEMS_MAX)
			r->item[r->n++] = it;
		else
			r->truncated = true;
	}
	r->n = 0;
	r->truncated = false;
	return r->kind = DRV_NOT_REPLY;
}

const char *drv_reply_get(const struct drv_reply *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->item[i].name, name) == 0)
			return r->item[i].value ? r->item[i].value : "";
	return NULL;
}

/* Print every item of r, one per line. */
static void print_items(const struct drv_reply *r, FILE *f)
{
	unsigned i;

	for (i = 0; i < r->n; i++) {
		if (r->item[i].value)
			fprintf(f, "%s=%s\n", r->item[i].name, r->item[i].value);
		else
			fprintf(f, "%s\n", r->item[i].name);
	}
}

int drv_print(const struct drv_action *a, const struct drv_reply *r, FILE *f)
{
	static const char *const all[] = { "dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "debugctl" };
	const char *v;
	size_t i;

	switch (a->kind) {
	case DRV_GET: case DRV_SET:
		if (!(v = drv_reply_get(r, a->reg)) || !*v)
			return -1;
		fprintf(f, "%s=%s\n", a->reg, v);
		return 0;
	case DRV_GET_ALL:
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (!drv_reply_get(r, all[i]))
				return -1;
		break;
	case DRV_VCPU:
		return drv_reply_get(r, "vcpu") ? 0 : -1;
	case DRV_PAUSE:
		return drv_reply_get(r, "paused") ? 0 : -1;
	case DRV_CONT:
		return drv_reply_get(r, "running") ? 0 : -1;
	case DRV_STATS_RESET:
		return drv_reply_get(r, "reset") ? 0 : -1;
	case DRV_STEP:
		if (!drv_reply_get(r, "stepped"))
			return -1;
		break;
	case DRV_STATS:
		if (!drv_reply_get(r, "total"))
			return -1;
		break;
	case DRV_PAUSE_ALL:
		if (!drv_reply_get(r, "paused"))
			return -1;
		break;
	case DRV_CONT_ALL:
		if (!drv_reply_get(r, "running"))
			return -1;
		break;
	case DRV_STATS_ALL:
		if (!drv_reply_get(r, "vcpus") || !drv_reply_get(r, "total"))
			return -1;
		break;
	}
	print_items(r, f);
	return 0;
}
