/*
 * The serial console monitor's command interpreter (interface: monitor.h).
 * Freestanding: no libc, no hardware access; the target does the rest.
 *
 * Input. Printable ASCII builds a line of at most MONITOR_LINE_MAX bytes.
 * Backspace (0x08) or DEL (0x7f) erases one byte, Ctrl-C (0x03) abandons the
 * line, CR, LF or CR LF ends it; a longer line is refused whole with one
 * "error: line too long" at its end; ANSI escape sequences (arrow keys) and
 * every other control or non-ASCII byte are ignored. Words are separated by
 * spaces; command names are case-insensitive.
 *
 * Numbers. A VALUE (what a register holds: `dr N VALUE`, `debugctl VALUE`)
 * is hex, the 0x optional: 400 and 0x400 are the same. A COUNT (an index or
 * a number of things: `vcpu N`, `dr N`, `step N`) is decimal: step 10 is ten.
 * Either takes an explicit radix: 0x (hex) or 0n (decimal), so 0n1024 is the
 * VALUE 0x400 and 0xa the COUNT ten. Anything else, a sign, an empty number
 * or more than 64 bits, is an error.
 *
 * Modes. Human mode (the start) echoes what is typed, prints one item per
 * line and the prompt "drvisor> ". Machine mode echoes nothing, has no
 * prompt, and answers every command line with exactly one line:
 *
 *   reply   = ok-line / error-line
 *   ok-line = *(item SP) "ok" LF
 *   error-line = "error: " text LF        ; text: printable ASCII
 *   item    = name / name "=" value
 *   name    = 1*(ALPHA / DIGIT / "_" / "-" / ".")
 *   value   = "0x" 1*HEXDIG / 1*DIGIT / name
 *           / DQUOTE *(printable ASCII but DQUOTE) DQUOTE
 *
 * Empty lines and Ctrl-C get no reply. The sink may turn LF into CR LF.
 * Replies (machine mode; human mode prints the items one per line, no "ok"):
 *   help                commands=help,info,... ok
 *   help CMD            command=CMD usage="..." ok
 *   info                version=V commit=C vcpus=N vcpu=S KEY="..." ... ok
 *   vcpu [N]            vcpu=S vcpus=N state=running|paused|stopped ok
 *   dr                  dr0=0x%016 dr1=.. dr2=.. dr3=.. dr6=.. dr7=.. debugctl=.. ok
 *   dr N, dr N VALUE    drN=0x%016 ok          (after a write: read back)
 *   debugctl [VALUE]    debugctl=0x%016 ok
 *   regs                rax=0x%016 ... rflags=.. cr0=.. ... efer=.. cs=0x%04 ... ldtr=.. ok
 *   stats               total=T REASON=COUNT ... ok (reasons with a count)
 *   stats reset         reset ok
 *   pause / cont        paused ok / running ok
 *   step [N]            stepped=N rip=0x%016 ok  (after the step has ended)
 *   mode                mode=M ok
 *   mode machine|human  mode=M previous=P ok  (in the new mode)
 *
 * Writes (monitor_check_dbg, SDM vol. 3B 18.2): DR6/DR7 bits 63:32 and their
 * reserved-0 bits (DR6 bit 12; DR7 bits 11, 12, 14, 15) are refused, so is
 * a DR0-3 address that is not canonical and an IA32_DEBUGCTL bit outside the
 * target's mask. The read-as-1 bits (DR6 4-11 and 16-31, DR7 bit 10) are set
 * as MOV DR sets them: `dr 7 0` disarms everything and reads back 0x400.
 *
 * A step's reply waits for the target's monitor_step_done; meanwhile only
 * Ctrl-C is read (once: cut the step short via pause; twice: stop waiting).
 *
 * Every error is one line and changes nothing: the command is checked whole
 * before anything is written, and a reply is built whole before it is sent.
 */
#include "monitor.h"
#include "format.h"
#include "arch-x86/dr.h"

#ifndef DRVISOR_VERSION
#define DRVISOR_VERSION "unknown"
#endif
#ifndef DRVISOR_COMMIT
#define DRVISOR_COMMIT "unknown"
#endif

/* DR6 bits that must be written 0: neither read-as-1 (DR6_FIXED_1) nor
 * status; that is bit 12 (SDM vol. 3B 18.2.3) and bits 63:32 (18.2.6). */
#define DR6_MBZ (~(DR6_FIXED_1 | DR6_STATUS))

#define STEP_MAX         1000000ull
#define REPLY_MAX        4096
#define ERROR_MAX        256
#define ARGS_MAX         8
#define NAME_MAX_OUT     32
#define ALL_VCPUS_MAX    256   /* pause all / cont all act on at most this many */

enum esc_state { ESC_NONE, ESC_START, ESC_SEQ };

struct reply {
	char buf[REPLY_MAX];
	size_t len;
	unsigned items, per_row;
	bool error, overflow, deferred;
	char err[ERROR_MAX];
};

struct step_state {
	bool busy, done, interrupted, in_call;
	unsigned vcpu;
	uint64_t n, executed;
};

static struct {
	const struct monitor_target *t;
	monitor_write_fn w;
	char line[MONITOR_LINE_MAX + 1];
	size_t len;
	bool too_long, after_cr, machine;
	enum esc_state esc;
	unsigned vcpu;
	struct step_state step;
	struct reply r;
} m;

/* ---- output ---------------------------------------------------------- */

/* Send len bytes of s to the sink. */
static void emit(const char *s, size_t len)
{
	if (m.w && len)
		m.w(s, len);
}

/* Send the NUL-terminated s. */
static void emit_str(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	emit(s, n);
}

/* Echo text in human mode only. */
static void echo(const char *s)
{
	if (!m.machine)
		emit_str(s);
}

/* Print the prompt in human mode, unless a step still owes its reply. */
static void prompt(void)
{
	if (!m.machine && !m.step.busy)
		emit_str("drvisor> ");
}

/* Start building a new reply. */
static void reply_begin(void)
{
	m.r.len = 0;
	m.r.items = 0;
	m.r.per_row = 1;
	m.r.error = m.r.overflow = m.r.deferred = false;
	m.r.buf[0] = 0;
}

/* Append the raw bytes of s to the reply, noting any overflow. */
static void reply_raw(const char *s)
{
	for (; *s; s++) {
		if (m.r.len + 1 >= REPLY_MAX) {
			m.r.overflow = true;
			return;
		}
		m.r.buf[m.r.len++] = *s;
	}
	m.r.buf[m.r.len] = 0;
}

/* Append a formatted string to the reply (no separator). */
static void reply_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_fmt(const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = dv_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(tmp))
		m.r.overflow = true;
	reply_raw(tmp);
}

/* Start a new item: a space in machine mode, otherwise a line break or,
 * within a row of per_row items, two spaces. */
static void reply_sep(void)
{
	if (m.r.items)
		reply_raw(m.machine ? " " : m.r.items % m.r.per_row ? "  " : "\n");
	m.r.items++;
}

/* Append one formatted item. */
static void reply_item(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_item(const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	int n;

	reply_sep();
	va_start(ap, fmt);
	n = dv_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(tmp))
		m.r.overflow = true;
	reply_raw(tmp);
}

/* Append target text s, at most max bytes, with control bytes as '?' and,
 * when quoted, '"' as '\''. */
static void reply_text(const char *s, size_t max, bool quoted)
{
	char c[2] = { 0, 0 };

	for (; s && *s && max; s++, max--) {
		c[0] = *s >= 0x20 && *s < 0x7f ? *s : '?';
		if (quoted && c[0] == '"')
			c[0] = '\'';
		reply_raw(c);
	}
}

/* Whether c may appear in a machine-mode name. */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Append at most max bytes of target text s as a machine-mode name: other
 * characters become '_', an empty name "unnamed". */
static void reply_name(const char *s, size_t max)
{
	char c[2] = { 0, 0 };
	size_t n = 0;

	for (; s && s[n] && n < max && n < NAME_MAX_OUT; n++) {
		c[0] = name_char(s[n]) ? s[n] : '_';
		reply_raw(c);
	}
	if (!n)
		reply_raw("unnamed");
}

/* Make the reply an error (the first error wins); its items are dropped. */
static void reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_error(const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (m.r.error)
		return;
	m.r.error = true;
	va_start(ap, fmt);
	dv_vsnprintf(m.r.err, sizeof(m.r.err), fmt, ap);
	va_end(ap);
	for (i = 0; m.r.err[i]; i++)
		if (m.r.err[i] < 0x20 || m.r.err[i] >= 0x7f)
			m.r.err[i] = '?';
}

/* Send the finished reply in one write, then the prompt; nothing while a
 * step still runs (monitor_step_done sends its reply). */
static void reply_end(void)
{
	static char out[REPLY_MAX + ERROR_MAX + 16];
	int n;

	if (m.r.deferred)
		return;
	if (!m.r.error && m.r.overflow)
		reply_error("reply too long");
	if (m.r.error)
		n = dv_snprintf(out, sizeof(out), "error: %s\n", m.r.err);
	else if (m.machine)
		n = dv_snprintf(out, sizeof(out), "%s%sok\n", m.r.buf, m.r.items ? " " : "");
	else
		n = dv_snprintf(out, sizeof(out), "%s%s", m.r.buf, m.r.items ? "\n" : "");
	emit(out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
	prompt();
}

/* ---- numbers, registers, validation ----------------------------------- */

/* Lower-case ASCII c. */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether a and b are equal, ignoring ASCII case. */
static bool same_word(const char *a, const char *b)
{
	for (; *a && lower(*a) == lower(*b); a++, b++)
		;
	return !*a && !*b;
}

/* Value of digit c in radix base, or -1. */
static int digit(char c, unsigned base)
{
	int v = c >= '0' && c <= '9' ? c - '0' :
		lower(c) >= 'a' && lower(c) <= 'f' ? lower(c) - 'a' + 10 : -1;

	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* Parse s as an unsigned 64-bit number: prefix 0x hex, 0n decimal, else in
 * radix def. Returns NULL, or why s is not such a number. */
static const char *parse_number(const char *s, unsigned def, uint64_t *out)
{
	unsigned base = def;
	uint64_t v = 0;

	if (s[0] == '0' && (lower(s[1]) == 'x' || lower(s[1]) == 'n')) {
		base = lower(s[1]) == 'x' ? 16 : 10;
		s += 2;
	}
	if (!*s)
		return "no digits";
	for (; *s; s++) {
		int d = digit(*s, base);

		if (d < 0)
			return base == 16 ? "not a hex digit" : "not a decimal digit";
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return "more than 64 bits";
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return NULL;
}

/* Parse a register VALUE (hex by default); on failure the reply is an error. */
static bool parse_value(const char *s, uint64_t *out)
{
	const char *why = parse_number(s, 16, out);

	if (why)
		reply_error("bad value '%s': %s (a value is hex, 0x optional, or 0n-prefixed decimal)",
			    s, why);
	return !why;
}

/* Parse a COUNT (decimal by default); on failure the reply is an error. */
static bool parse_count(const char *s, const char *what, uint64_t *out)
{
	const char *why = parse_number(s, 10, out);

	if (why)
		reply_error("bad %s '%s': %s (a count is decimal, or 0x-prefixed hex)",
			    what, s, why);
	return !why;
}

static const char *const dbg_names[MON_DBG_COUNT] = {
	"dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "debugctl",
};

/* Whether v is canonical with 57-bit linear addresses (5-level paging), and
 * so also whenever it is with 48. */
static bool canonical57(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 7) >> 7) == v;
}

/* The rules are SDM vol. 3B 18.2 (the debug registers), for the virtual CPU
 * drvisor gives its guests: no bus-lock detection, no RTM debugging. */
const char *monitor_check_dbg(enum monitor_dbg_reg r, uint64_t val, uint64_t debugctl_mask)
{
	switch (r) {
	case MON_DR0: case MON_DR1: case MON_DR2: case MON_DR3:
		/* MOV DR0-3 takes any value (18.2.6) but a non-canonical
		 * address can never match: refused as a typo. */
		return canonical57(val) ? NULL :
		       "dr0-dr3 hold linear addresses: value not canonical";
	case MON_DR6:
		/* Bits 63:32: MOV DR6 #GPs (18.2.6). Bit 12 reads as 0
		 * (18.2.3); the read-as-1 bits are set by the monitor. */
		if (val & DR6_HIGH_MASK)
			return "dr6 bits 63:32 must be 0";
		return val & DR6_MBZ ? "dr6 bit 12 is reserved and must be 0" : NULL;
	case MON_DR7:
		/* Bits 63:32: #GP (18.2.6); 11 (RTM, absent), 12, 14, 15
		 * reserved 0 (18.2.4). R/W = 10b (I/O, with CR4.DE) is fine. */
		if (val & DR7_HIGH_MASK)
			return "dr7 bits 63:32 must be 0";
		return val & DR7_RESERVED_0 ?
		       "dr7 bits 11, 12, 14 and 15 are reserved and must be 0" : NULL;
	case MON_DEBUGCTL:
		return val & ~debugctl_mask ? "reserved IA32_DEBUGCTL bit set" : NULL;
	default:
		return "no such debug register";
	}
}

/* The bits of r that read as 1 whatever is written (MOV DR sets them too). */
static uint64_t dbg_fixed_1(enum monitor_dbg_reg r)
{
	return r == MON_DR6 ? DR6_FIXED_1 : r == MON_DR7 ? DR7_FIXED_1 : 0;
}

/* Map the COUNT token s to a debug register for `dr N`; error otherwise. */
static bool parse_dr_index(const char *s, enum monitor_dbg_reg *r)
{
	static const enum monitor_dbg_reg map[8] = {
		MON_DR0, MON_DR1, MON_DR2, MON_DR3, MON_DBG_COUNT, MON_DBG_COUNT,
		MON_DR6, MON_DR7,
	};
	uint64_t n;

	if (!parse_count(s, "register number", &n))
		return false;
	if (n == 4 || n == 5)
		reply_error("dr4 and dr5 are aliases of dr6 and dr7 (CR4.DE=0) or reserved: use dr 6 or dr 7");
	else if (n > 7)
		reply_error("no register dr%llu: N is 0-3, 6 or 7", (unsigned long long)n);
	else
		*r = map[n];
	return !m.r.error;
}

/* ---- commands --------------------------------------------------------- */

/* Whether the selected vCPU exists; error otherwise. */
static bool vcpu_ok(void)
{
	unsigned n = m.t->vcpu_count();

	if (m.vcpu < n)
		return true;
	reply_error("vcpu %u does not exist (%u vcpus)", m.vcpu, n);
	return false;
}

/* Append "name=0x%016llx" of debug register r of the selected vCPU. */
static void show_dbg(enum monitor_dbg_reg r)
{
	uint64_t v;

	if (!m.t->get_dbg(m.vcpu, r, &v))
		reply_error("cannot read %s of vcpu %u now", dbg_names[r], m.vcpu);
	else
		reply_item("%s=0x%016llx", dbg_names[r], (unsigned long long)v);
}

/* Validate token s as a VALUE for r, write it, and append the read-back. */
static void write_dbg(enum monitor_dbg_reg r, const char *s)
{
	uint64_t v, mask = m.t->debugctl_mask();
	const char *why;

	if (!parse_value(s, &v))
		return;
	why = monitor_check_dbg(r, v, mask);
	if (why && r == MON_DEBUGCTL)
		reply_error("%s: 0x%llx (this vcpu supports 0x%llx)", why,
			    (unsigned long long)v, (unsigned long long)mask);
	else if (why)
		reply_error("%s: 0x%llx", why, (unsigned long long)v);
	else if ((why = m.t->set_dbg(m.vcpu, r, v | dbg_fixed_1(r))))
		reply_error("cannot write %s of vcpu %u: %s", dbg_names[r], m.vcpu, why);
	else
		show_dbg(r);
}

/* dr [N [VALUE]]: all debug registers, one, or write one. */
static void cmd_dr(unsigned argc, char **argv)
{
	enum monitor_dbg_reg r = MON_DR0;

	if (!vcpu_ok())
		return;
	if (argc == 0) {
		for (r = MON_DR0; r < MON_DBG_COUNT; r++)
			show_dbg(r);
	} else if (parse_dr_index(argv[0], &r)) {
		if (argc == 2)
			write_dbg(r, argv[1]);
		else
			show_dbg(r);
	}
}

/* debugctl [VALUE]: show or write IA32_DEBUGCTL. */
static void cmd_debugctl(unsigned argc, char **argv)
{
	if (!vcpu_ok())
		return;
	if (argc)
		write_dbg(MON_DEBUGCTL, argv[0]);
	else
		show_dbg(MON_DEBUGCTL);
}

static const char *const state_names[] = { "running", "paused", "stopped" };

/* Name of the run state of vcpu. */
static const char *state_name(unsigned vcpu)
{
	enum monitor_run_state s = m.t->run_state(vcpu);

	return (unsigned)s < 3 ? state_names[s] : "unknown";
}

/* vcpu [N]: show the selection, or select vCPU N. */
static void cmd_vcpu(unsigned argc, char **argv)
{
	unsigned count = m.t->vcpu_count();
	uint64_t n;

	if (argc) {
		if (!parse_count(argv[0], "vcpu number", &n))
			return;
		if (n >= count) {
			reply_error("no vcpu %llu: vcpus are 0-%u", (unsigned long long)n,
				    count ? count - 1 : 0);
			return;
		}
		m.vcpu = (unsigned)n;
	} else if (!vcpu_ok()) {
		return;
	}
	reply_item("vcpu=%u", m.vcpu);
	reply_item("vcpus=%u", count);
	reply_item("state=%s", state_name(m.vcpu));
}

static const char *const reg_names[MON_REG_COUNT] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags", "cr0", "cr2", "cr3", "cr4", "efer",
	"cs", "ss", "ds", "es", "fs", "gs", "tr", "ldtr",
};

/* regs: the general, control and segment-selector registers. */
static void cmd_regs(unsigned argc, char **argv)
{
	enum monitor_reg r;
	uint64_t v;

	(void)argc;
	(void)argv;
	if (!vcpu_ok())
		return;
	m.r.per_row = 4;
	for (r = MON_RAX; r < MON_REG_COUNT && !m.r.error; r++) {
		if (!m.t->get_reg(m.vcpu, r, &v))
			reply_error("cannot read %s of vcpu %u now", reg_names[r], m.vcpu);
		else if (r >= MON_CS)
			reply_item("%s=0x%04llx", reg_names[r], (unsigned long long)v);
		else
			reply_item("%s=0x%016llx", reg_names[r], (unsigned long long)v);
	}
}

/* Exit count of reason i summed over vCPUs first..last; false if none of
 * them has the reason (its name then stays unset). */
static bool stat_sum(unsigned first, unsigned last, unsigned i, const char **name,
		     uint64_t *sum)
{
	uint64_t count;
	bool any = false;
	unsigned v;

	*sum = 0;
	for (v = first; v <= last; v++) {
		if (m.t->stat(v, i, name, &count)) {
			*sum += count;
			any = true;
		}
	}
	return any;
}

/* Total exits of vCPUs first..last. */
static uint64_t stat_total(unsigned first, unsigned last)
{
	unsigned i, n = m.t->stat_count();
	uint64_t sum, total = 0;
	const char *name;

	for (i = 0; i < n; i++)
		if (stat_sum(first, last, i, &name, &sum))
			total += sum;
	return total;
}

/* Append "total=T" and the non-zero reasons of vCPUs first..last. */
static void show_stats(unsigned first, unsigned last)
{
	unsigned i, n = m.t->stat_count();
	const char *name;
	uint64_t sum;

	reply_item("total=%llu", (unsigned long long)stat_total(first, last));
	for (i = 0; i < n; i++) {
		if (!stat_sum(first, last, i, &name, &sum) || !sum)
			continue;
		reply_sep();
		reply_name(name, NAME_MAX_OUT);
		reply_fmt("=%llu", (unsigned long long)sum);
	}
}

/* stats all: each vCPU's total, then the reasons summed over every vCPU. */
static void show_stats_all(void)
{
	unsigned v, n = m.t->vcpu_count();

	reply_item("vcpus=%u", n);
	for (v = 0; v < n; v++)
		reply_item("vcpu%u=%llu", v, (unsigned long long)stat_total(v, v));
	if (n)
		show_stats(0, n - 1);
}

/* stats [reset|all]: exit counts by reason (non-zero only) of the selected
 * vCPU, or reset them, or every vCPU's. */
static void cmd_stats(unsigned argc, char **argv)
{
	if (argc && same_word(argv[0], "all")) {
		show_stats_all();
		return;
	}
	if (!vcpu_ok())
		return;
	if (!argc) {
		show_stats(m.vcpu, m.vcpu);
	} else if (same_word(argv[0], "reset")) {
		m.t->stats_reset(m.vcpu);
		reply_item("reset");
	} else {
		reply_error("stats: unknown argument '%s' (usage: stats [reset|all])", argv[0]);
	}
}

/* Whether the selected vCPU is in run state `want`; error otherwise. */
static bool vcpu_state_is(enum monitor_run_state want, const char *verb)
{
	enum monitor_run_state s = m.t->run_state(m.vcpu);

	if (s == want)
		return true;
	if (s == MON_STOPPED)
		reply_error("vcpu %u has stopped", m.vcpu);
	else
		reply_error("cannot %s vcpu %u: it is %s", verb, m.vcpu, state_name(m.vcpu));
	return false;
}

/* Move the selected vCPU from state `from` to `to` with change(), or do
 * nothing if it is in `to` already; reply `done`, or one error naming verb. */
static void set_run_state(enum monitor_run_state from, enum monitor_run_state to,
			  const char *(*change)(unsigned vcpu), const char *verb,
			  const char *done)
{
	const char *why;

	if (!vcpu_ok())
		return;
	if (m.t->run_state(m.vcpu) == from) {
		if ((why = change(m.vcpu))) {
			reply_error("cannot %s vcpu %u: %s", verb, m.vcpu, why);
			return;
		}
	} else if (!vcpu_state_is(to, verb)) {
		return;
	}
	reply_item("%s", done);
}

/* Move every vCPU in state `from` to `to` with change(). All or nothing:
 * when one refuses, those already moved are moved back with undo() and the
 * one error names the vCPU that refused. Stopped vCPUs are left alone.
 * Replies "DONE=LIST" with every vCPU now in `to` (or "DONE=none"). */
static void set_run_state_all(enum monitor_run_state from, enum monitor_run_state to,
			      const char *(*change)(unsigned vcpu),
			      const char *(*undo)(unsigned vcpu), const char *verb,
			      const char *done)
{
	uint64_t moved[ALL_VCPUS_MAX / 64] = { 0 };
	unsigned v, k, n = m.t->vcpu_count();
	const char *why = NULL;
	bool first = true;

	if (n > ALL_VCPUS_MAX) {
		reply_error("%s all: only up to %u vcpus (this machine has %u)", verb,
			    ALL_VCPUS_MAX, n);
		return;
	}
	for (v = 0; v < n && !why; v++) {
		if (m.t->run_state(v) == from && !(why = change(v)))
			moved[v / 64] |= 1ull << (v % 64);
	}
	if (why) {
		for (k = 0; k < n; k++)
			if (moved[k / 64] & (1ull << (k % 64)))
				undo(k);
		reply_error("cannot %s vcpu %u: %s (no vcpu changed)", verb, v - 1, why);
		return;
	}
	for (v = 0; v < n; v++) {
		if (m.t->run_state(v) != to)
			continue;
		if (first)
			reply_item("%s=%u", done, v);
		else
			reply_fmt(",%u", v);
		first = false;
	}
	if (first)
		reply_item("%s=none", done);
}

/* The optional argument of pause/cont: none (the selected vCPU) or "all";
 * false after replying the error. */
static bool parse_all(unsigned argc, char **argv, const char *cmd, bool *all)
{
	*all = argc && same_word(argv[0], "all");
	if (argc && !*all)
		reply_error("%s: unknown argument '%s' (usage: %s [all])", cmd, argv[0], cmd);
	return !argc || *all;
}

/* pause [all]: stop the selected vCPU, or every running one (already
 * paused: nothing to do). */
static void cmd_pause(unsigned argc, char **argv)
{
	bool all;

	if (!parse_all(argc, argv, "pause", &all))
		return;
	if (all)
		set_run_state_all(MON_RUNNING, MON_PAUSED, m.t->pause, m.t->cont, "pause",
				  "paused");
	else
		set_run_state(MON_RUNNING, MON_PAUSED, m.t->pause, "pause", "paused");
}

/* cont [all]: let the selected vCPU, or every paused one, run (already
 * running: nothing to do). */
static void cmd_cont(unsigned argc, char **argv)
{
	bool all;

	if (!parse_all(argc, argv, "cont", &all))
		return;
	if (all)
		set_run_state_all(MON_PAUSED, MON_RUNNING, m.t->cont, m.t->pause, "continue",
				  "running");
	else
		set_run_state(MON_PAUSED, MON_RUNNING, m.t->cont, "continue", "running");
}

/* Append the outcome of the finished step to the reply. */
static void step_result(void)
{
	struct step_state *s = &m.step;
	uint64_t rip;

	if (s->executed < s->n) {
		reply_error("step stopped after %llu of %llu instructions%s",
			    (unsigned long long)s->executed, (unsigned long long)s->n,
			    s->interrupted ? " (interrupted)" : "");
		return;
	}
	reply_item("stepped=%llu", (unsigned long long)s->n);
	/* The vCPU may have gone away while it stepped. */
	if (s->vcpu < m.t->vcpu_count() && m.t->get_reg(s->vcpu, MON_RIP, &rip))
		reply_item("rip=0x%016llx", (unsigned long long)rip);
}

/* step [N]: execute N (default 1) instructions of the paused vCPU. */
static void cmd_step(unsigned argc, char **argv)
{
	struct step_state *s = &m.step;
	uint64_t n = 1;
	const char *why;

	if (argc && !parse_count(argv[0], "step count", &n))
		return;
	if (n < 1 || n > STEP_MAX) {
		reply_error("step count must be 1-%llu", STEP_MAX);
		return;
	}
	if (!vcpu_ok() || !vcpu_state_is(MON_PAUSED, "step"))
		return;
	*s = (struct step_state){ .busy = true, .in_call = true, .vcpu = m.vcpu, .n = n };
	why = m.t->step(m.vcpu, n);
	s->in_call = false;
	if (why) {
		s->busy = false;
		reply_error("cannot step vcpu %u: %s", m.vcpu, why);
	} else if (s->done) {
		step_result();
		s->busy = false;
	} else {
		m.r.deferred = true;
	}
}

/* Send the reply of the step that has just ended, and the prompt. */
static void step_finish(void)
{
	reply_begin();
	step_result();
	m.step.busy = false;
	reply_end();
}

void monitor_step_done(unsigned vcpu, uint64_t executed)
{
	if (!m.step.busy || vcpu != m.step.vcpu || m.step.done)
		return;
	m.step.done = true;
	m.step.executed = executed;
	if (!m.step.in_call)
		step_finish();
}

/* Ctrl-C during a step: the first asks the target to cut it short, the
 * second gives up waiting for monitor_step_done. */
static void step_interrupt(void)
{
	struct step_state *s = &m.step;

	if (s->interrupted) {
		reply_begin();
		reply_error("step abandoned: vcpu %u did not report its end", s->vcpu);
		s->busy = false;
		reply_end();
		return;
	}
	s->interrupted = s->in_call = true;
	if (s->vcpu < m.t->vcpu_count()) /* it may have gone away meanwhile */
		m.t->pause(s->vcpu);
	s->in_call = false;
	if (s->done)
		step_finish();
}

static const char *const mode_names[2] = { "human", "machine" };

/* mode [machine|human]: show or switch the reply format; a switch replies
 * in the new mode. */
static void cmd_mode(unsigned argc, char **argv)
{
	bool prev = m.machine;

	if (argc) {
		if (same_word(argv[0], "machine")) {
			m.machine = true;
		} else if (!same_word(argv[0], "human")) {
			reply_error("mode: unknown mode '%s' (machine or human)", argv[0]);
			return;
		} else {
			m.machine = false;
		}
	}
	reply_item("mode=%s", mode_names[m.machine]);
	if (argc)
		reply_item("previous=%s", mode_names[prev]);
}

/* Append target info line i: as is in human mode; in machine mode
 * "KEY: text" becomes KEY="text", anything else infoI="line". */
static void info_item(unsigned i, const char *line)
{
	size_t k = 0;

	reply_sep();
	if (!m.machine) {
		reply_text(line, 120, false);
		return;
	}
	while (line && k < NAME_MAX_OUT && name_char(line[k]))
		k++;
	if (k && line[k] == ':') {
		reply_name(line, k);
		for (line += k + 1; *line == ' '; line++)
			;
	} else {
		reply_fmt("info%u", i);
	}
	reply_raw("=\"");
	reply_text(line, 120, true);
	reply_raw("\"");
}

/* info: version, the vCPUs and their run states, the target's facts (CPU,
 * policy, ...). */
static void cmd_info(unsigned argc, char **argv)
{
	unsigned i, v, n = m.t->info_count(), count = m.t->vcpu_count();

	(void)argc;
	(void)argv;

	if (m.machine) {
		reply_item("version=%s", DRVISOR_VERSION);
		reply_item("commit=%s", DRVISOR_COMMIT);
		reply_item("vcpus=%u", count);
		reply_item("vcpu=%u", m.vcpu);
	} else {
		reply_item("drvisor %s (commit %s)", DRVISOR_VERSION, DRVISOR_COMMIT);
		reply_item("vcpus: %u, selected: %u", count, m.vcpu);
	}
	for (v = 0; v < count; v++)
		reply_item(m.machine ? "vcpu%u=%s" : "vcpu %u: %s", v, state_name(v));
	for (i = 0; i < n; i++)
		info_item(i, m.t->info_line(i));
}

struct command {
	const char *name, *usage, *summary;
	unsigned max_args;
	void (*run)(unsigned argc, char **argv);
};

static void cmd_help(unsigned argc, char **argv);

static const struct command commands[] = {
	{ "help", "[COMMAND]", "list the commands, or show one", 1, cmd_help },
	{ "info", "", "version, CPU, switching policy, vCPUs", 0, cmd_info },
	{ "vcpu", "[N]", "show the selected vCPU, or select vCPU N", 1, cmd_vcpu },
	{ "dr", "[N [VALUE]]", "show DR0-3, DR6, DR7, DEBUGCTL; show DRn; write DRn (N: 0-3, 6, 7)",
	  2, cmd_dr },
	{ "debugctl", "[VALUE]", "show or write IA32_DEBUGCTL", 1, cmd_debugctl },
	{ "regs", "", "general registers, RIP, RFLAGS, CR0/2/3/4, EFER, selectors", 0, cmd_regs },
	{ "stats", "[reset|all]", "VM-exit counts by reason, reset them, or every vCPU's",
	  1, cmd_stats },
	{ "pause", "[all]", "stop the selected vCPU, or every vCPU", 1, cmd_pause },
	{ "cont", "[all]", "let the selected vCPU, or every vCPU, run again", 1, cmd_cont },
	{ "step", "[N]", "execute N instructions (1-1000000, default 1) of the paused vCPU",
	  1, cmd_step },
	{ "mode", "[machine|human]", "show or switch the reply format", 1, cmd_mode },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

/* The command called name (any case), or NULL. */
static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < COMMAND_COUNT; i++)
		if (same_word(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* Write "NAME USAGE" of c into buf (no space when it takes no argument). */
static const char *usage_of(const struct command *c, char *buf, size_t size)
{
	dv_snprintf(buf, size, "%s%s%s", c->name, c->usage[0] ? " " : "", c->usage);
	return buf;
}

/* Append the human-mode help line of c. */
static void help_line(const struct command *c)
{
	char u[40];

	reply_item("  %-26s %s", usage_of(c, u, sizeof(u)), c->summary);
}

/* help [COMMAND]: the command list with the number syntax, or one command. */
static void cmd_help(unsigned argc, char **argv)
{
	const struct command *c = argc ? find_command(argv[0]) : NULL;
	char u[40];
	size_t i;

	if (argc && !c) {
		reply_error("help: no command '%s' (try help)", argv[0]);
	} else if (c && m.machine) {
		reply_item("command=%s", c->name);
		reply_item("usage=\"%s\"", usage_of(c, u, sizeof(u)));
	} else if (c) {
		help_line(c);
	} else if (m.machine) {
		reply_item("commands=");
		for (i = 0; i < COMMAND_COUNT; i++)
			reply_fmt("%s%s", i ? "," : "", commands[i].name);
	} else {
		reply_item("commands (one per line; errors change nothing):");
		for (i = 0; i < COMMAND_COUNT; i++)
			help_line(&commands[i]);
		reply_item("VALUE (register contents): hex, 0x optional (400 = 0x400), or 0n-decimal (0n1024)");
		reply_item("N (index or count): decimal (step 10), or 0x-hex (0xa)");
		reply_item("Ctrl-C abandons the line, or interrupts a step");
	}
}

/* Split line in place at spaces into argv; returns the number of words,
 * which may exceed ARGS_MAX (only the first ARGS_MAX are stored). */
static unsigned split(char *line, char **argv)
{
	unsigned argc = 0;

	for (;;) {
		while (*line == ' ')
			*line++ = 0;
		if (!*line)
			return argc;
		if (argc < ARGS_MAX)
			argv[argc] = line;
		argc++;
		while (*line && *line != ' ')
			line++;
	}
}

/* Execute one complete, non-overlong line and send its reply. */
static void execute(char *line)
{
	char *argv[ARGS_MAX];
	unsigned argc = split(line, argv);
	const struct command *c;
	char u[40];

	if (!argc) {
		prompt();
		return;
	}
	reply_begin();
	c = find_command(argv[0]);
	if (!c)
		reply_error("unknown command '%s' (try help)", argv[0]);
	else if (argc - 1 > c->max_args)
		reply_error("%s: too many arguments (usage: %s)", c->name, usage_of(c, u, sizeof(u)));
	else
		c->run(argc - 1, argv + 1);
	reply_end();
}

/* ---- line editing ----------------------------------------------------- */

/* Forget the line being typed. */
static void line_clear(void)
{
	m.len = 0;
	m.too_long = false;
}

/* A printable byte: append and echo it, or mark the line too long. */
static void line_add(char c)
{
	char s[2] = { c, 0 };

	if (m.too_long)
		return;
	if (m.len == MONITOR_LINE_MAX) {
		m.too_long = true;
		return;
	}
	m.line[m.len++] = c;
	echo(s);
}

/* Backspace or DEL: erase the last byte (nothing to erase in a refused line). */
static void line_erase(void)
{
	if (m.too_long || !m.len)
		return;
	m.len--;
	echo("\b \b");
}

/* Ctrl-C: abandon the line. */
static void line_cancel(void)
{
	line_clear();
	echo("^C\n");
	prompt();
}

/* End of line: execute it, or refuse it whole when it was too long. */
static void line_end(void)
{
	echo("\n");
	if (m.too_long) {
		line_clear();
		reply_begin();
		reply_error("line too long (more than %u bytes)", (unsigned)MONITOR_LINE_MAX);
		reply_end();
		return;
	}
	m.line[m.len] = 0;
	m.len = 0;
	execute(m.line);
}

/* Whether b belongs to an escape sequence (ESC [ or ESC O, parameters,
 * then one final byte) and is consumed as such. */
static bool escape_byte(uint8_t b)
{
	if (m.esc == ESC_START && (b == '[' || b == 'O')) {
		m.esc = ESC_SEQ;
		return true;
	}
	if (m.esc == ESC_SEQ && b >= 0x20 && b <= 0x3f)
		return true;
	if (m.esc == ESC_SEQ && b >= 0x40 && b <= 0x7e) {
		m.esc = ESC_NONE;
		return true;
	}
	m.esc = ESC_NONE;
	return false;
}

void monitor_input(uint8_t byte)
{
	bool after_cr = m.after_cr;

	m.after_cr = false;
	if (!m.t)
		return;
	if (m.step.busy) {
		if (byte == 0x03)
			step_interrupt();
		return;
	}
	if ((after_cr && byte == '\n') || (m.esc != ESC_NONE && escape_byte(byte)))
		return;
	switch (byte) {
	case '\r':
		m.after_cr = true;
		line_end();
		break;
	case '\n':
		line_end();
		break;
	case 0x03:
		line_cancel();
		break;
	case 0x08: case 0x7f:
		line_erase();
		break;
	case 0x1b:
		m.esc = ESC_START;
		break;
	default:
		if (byte >= 0x20 && byte < 0x7f)
			line_add((char)byte);
	}
}

void monitor_init(const struct monitor_target *t, monitor_write_fn w)
{
	m.t = t;
	m.w = w;
	m.machine = m.after_cr = false;
	m.esc = ESC_NONE;
	m.vcpu = 0;
	m.step = (struct step_state){ 0 };
	line_clear();
	prompt();
}
