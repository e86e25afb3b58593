/*
 * drtest: the guest's debug registers (DR0-3, DR6, DR7, IA32_DEBUGCTL), the
 * suite of issues 5 and 13. One boot runs all fourteen cases; the same binary runs
 * natively (the reference) and under drvisor with each dr_switch policy, and
 * tests/integration/drtest_compare.sh compares the TAP lines of the runs:
 *
 *   1 fixed bits          5 single step (TF)     9 persistence across exits
 *   2 read-back, #GP      6 general detect       10 isolation (test hooks)
 *   3 instruction bps     7 DR4/DR5 and CR4.DE   11 seeded random sequence
 *   4 data watchpoints    8 IA32_DEBUGCTL        12 GD across stepped exiting insns
 *                                                13 sticky DR6 bits across steps
 *                                                14 DR7 re-armed across exits
 *
 * Output rules, so that the runs compare line by line:
 * - one TAP line per case, numbered and named the same everywhere; names
 *   hold no addresses, counts or seeds;
 * - everything that differs between runs (addresses, initial values, exit
 *   counts, the seed) and every failure's detail goes to "# " lines, which
 *   the runner ignores; a failure names the register and both values:
 *   "# dr6: expected 0x... got 0x... (context)";
 * - a case skips only for a reason this run proves (e.g. "platform lacks
 *   DR7.GD" when a MOV DR with GD set did not fault); the runner accepts a
 *   skip under drvisor only where the native run skipped the same case for
 *   the platform's sake.
 * - "drtest: running natively ..." / "drtest: running under drvisor ..."
 *   before the plan, "drtest: done" at the end.
 *
 * Load options (drvisor's next_args): exits=N (case 9's forced exits,
 * default 100000), seed=N and steps=N (case 11, default DEFAULT_SEED and
 * RANDOM_STEPS), only=N (run case N alone). Decimal or 0x.
 *
 * Interrupts: the firmware's timer keeps running (IF=1). The cases that
 * count single-step traps or patch the #DB gate run with IF=0, so that an
 * interrupt taken between two steps cannot add or hide a trap; IF comes back
 * as it was (guest_try restores RFLAGS on an abort, too).
 *
 * Architecture references: SDM vol. 3B 18.2 (DR0-DR7: layout, reserved
 * bits, DR4/DR5 aliasing, #GP for bits 63:32), 18.3.1 (#DB conditions,
 * fault vs trap, RF, general detect clearing GD), 18.4 (IA32_DEBUGCTL.BTF),
 * SDM vol. 4 table 2-2 (IA32_DEBUGCTL), APM vol. 2 13.1 (AMD's DR6/DR7,
 * DebugCtl).
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define CASES 14
#define DEFAULT_EXITS 100000ull
#define DEFAULT_SEED 0x5eed2026ull
/* drtest_soak.efi (tools/soak): case 11 alone, 10^5 steps, also natively,
 * where a boot has no load options. */
#ifdef DRTEST_SOAK
#define RANDOM_STEPS 100000ull
#define DEFAULT_ONLY 11ull
#else
#define RANDOM_STEPS 2000ull
#define DEFAULT_ONLY 0ull
#endif
#define TOUCH_COUNT 7u
#define DIAG_MAX 24u

/* DR6 (SDM vol. 3B 18.2.3, fig. 18-1; APM vol. 2 13.1.1.3). */
#define DR6_B(n) (1ull << (n))
#define DR6_BLD (1ull << 11)   /* writable (active low) with bus-lock detect */
#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
#define DR6_BT (1ull << 15)
#define DR6_RTM (1ull << 16)   /* writable (active low) with RTM */
#define DR6_CLEAN 0xffff0ff0ull /* no condition recorded; what #DB handlers write */
#define DR6_ALWAYS_W 0xe00full /* B0-B3, BD, BS, BT */
/* DR7 (SDM vol. 3B 18.2.4). */
#define DR7_INIT 0x400ull      /* bit 10 reads 1 */
#define DR7_L(n) (1ull << (2 * (n)))
#define DR7_G(n) (2ull << (2 * (n)))
#define DR7_LE (1ull << 8)
#define DR7_GE (1ull << 9)
#define DR7_GD (1ull << 13)
#define DR7_RW(n, rw) ((uint64_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((uint64_t)(len) << (18 + 4 * (n)))
#define RW_EXEC 0u
#define RW_WRITE 1u
#define RW_RW 3u
/* LEN encodings: 00 = 1, 01 = 2, 11 = 4, 10 = 8 bytes (long mode). */
static const unsigned len_enc[4] = { 0, 1, 3, 2 }; /* index: log2(size) */
static const unsigned enc_size[4] = { 1, 2, 8, 4 }; /* index: encoding */

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define CR4_DE (1ull << 3)
#define MSR_IA32_DEBUGCTL 0x1d9u
#define DEBUGCTL_LBR (1ull << 0)
#define DEBUGCTL_BTF (1ull << 1)
#define CPUID_7_EBX_RTM (1u << 11)
#define CPUID_7_ECX_BUS_LOCK_DETECT (1u << 24)
#define GATE_INTERRUPT_64 0x8e

/* ---- drtest_probes.asm ---- */
void dt_p_wr_dr6(void *v);
void dt_p_wr_dr7(void *v);
void dt_p_wr_dr0(void *v);
void dt_p_rd_dr6(void *v);
void dt_p_rd_dr7(void *v);
void dt_p_rd_dr4(void *v);
void dt_p_rd_dr5(void *v);
void dt_p_wr_dr4(void *v);
void dt_p_wr_dr5(void *v);
void dt_p_gd_detect(void *v);
void dt_p_gd_after_cpuid(void *v);
void dt_p_rdmsr(void *op);
void dt_p_wrmsr(void *op);
extern char dt_p_wr_dr6_insn[], dt_p_wr_dr7_insn[], dt_p_wr_dr0_insn[], dt_p_rd_dr6_insn[],
	dt_p_rd_dr7_insn[], dt_p_rd_dr4_insn[], dt_p_rd_dr5_insn[], dt_p_wr_dr4_insn[],
	dt_p_wr_dr5_insn[], dt_p_gd_detect_insn[], dt_p_gd_after_cpuid_insn[], dt_p_rdmsr_insn[],
	dt_p_wrmsr_insn[];
uint64_t dt_ld8(uint64_t a);
uint64_t dt_ld16(uint64_t a);
uint64_t dt_ld32(uint64_t a);
uint64_t dt_ld64(uint64_t a);
void dt_st8(uint64_t a, uint64_t v);
void dt_st16(uint64_t a, uint64_t v);
void dt_st32(uint64_t a, uint64_t v);
void dt_st64(uint64_t a, uint64_t v);
extern char dt_ld8_after[], dt_ld16_after[], dt_ld32_after[], dt_ld64_after[], dt_st8_after[],
	dt_st16_after[], dt_st32_after[], dt_st64_after[];
void dt_ibp_run(void *unused);
extern char dt_ibp0[], dt_ibp1[], dt_ibp2[], dt_ibp3[];
extern volatile uint64_t dt_ibp_done;
void dt_ss_plain(void *unused);
void dt_ss_cpuid(void *unused);
uint64_t dt_ss_rdmsr(void);
uint64_t dt_ss_vmmcall(void);
uint64_t dt_ss_vmcall(void);
void dt_btf_run(void *unused);
extern char dt_ss_plain_t1[], dt_ss_plain_t2[], dt_ss_plain_t3[], dt_ss_plain_t4[],
	dt_ss_plain_t5[], dt_ss_plain_t6[], dt_ss_plain_t7[];
extern char dt_ss_cpuid_t1[], dt_ss_cpuid_t2[], dt_ss_cpuid_t3[], dt_ss_cpuid_t4[],
	dt_ss_cpuid_t5[], dt_ss_cpuid_t6[], dt_ss_cpuid_t7[];
extern char dt_ss_rdmsr_t1[], dt_ss_rdmsr_t2[], dt_ss_rdmsr_t3[], dt_ss_rdmsr_t4[],
	dt_ss_rdmsr_t5[];
extern char dt_ss_vmmcall_t1[], dt_ss_vmmcall_t2[], dt_ss_vmmcall_t3[], dt_ss_vmmcall_t4[];
extern char dt_ss_vmcall_t1[], dt_ss_vmcall_t2[], dt_ss_vmcall_t3[], dt_ss_vmcall_t4[];
extern char dt_btf_t1[], dt_btf_t2[], dt_btf_t3[], dt_btf_t4[];
void dt_db_stub(void);
#define DB_LOG_MAX 64
extern volatile uint64_t dt_db_count;
extern volatile uint64_t dt_db_rips[DB_LOG_MAX], dt_db_dr6s[DB_LOG_MAX], dt_db_dr7s[DB_LOG_MAX];

/* ---- run-wide state ---- */
static struct hv_info hv;
static int under;                 /* running under drvisor */
static uint64_t opt_exits = DEFAULT_EXITS, opt_seed = DEFAULT_SEED, opt_steps = RANDOM_STEPS;
static uint64_t opt_only = DEFAULT_ONLY; /* run only this case (0: all) */
static uint64_t dr6_w;            /* DR6 bits software can write */
static uint64_t dr6_f1;           /* DR6 bits that always read 1 */
static int has_rtm, has_bld;

/* ---- per-case verdict ---- */
static unsigned c_fails, c_diags;
static const char *c_skip;

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;

	if (c_diags++ >= DIAG_MAX) {
		if (c_diags == DIAG_MAX + 1)
			guest_printf("# (further details of this case left out)\n");
		return;
	}
	guest_printf("# ");
	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
	guest_printf("\n");
}

#define FAIL(...) (c_fails++, diag(__VA_ARGS__))

/* A "# " line that is no failure detail (initial values, counts). */
static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	guest_printf("# ");
	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
	guest_printf("\n");
}

/* got == expected, else "# reg: expected X got Y (context)". */
static int eq(const char *reg, uint64_t got, uint64_t expected, const char *ctx, ...)
	__attribute__((format(printf, 4, 5)));
static int eq(const char *reg, uint64_t got, uint64_t expected, const char *ctx, ...)
{
	va_list ap;

	if (got == expected)
		return 1;
	c_fails++;
	if (c_diags++ >= DIAG_MAX)
		return 0;
	guest_printf("# %s: expected %#lx got %#lx (", reg, expected, got);
	va_start(ap, ctx);
	guest_vprintf(ctx, ap);
	va_end(ap);
	guest_printf(")\n");
	return 0;
}

static uint64_t addr_of(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static const char *const dr_name[8] = { "dr0", "dr1", "dr2", "dr3", "dr4", "dr5", "dr6", "dr7" };

/* ---- register access ---- */
static uint64_t rd_dr(unsigned n)
{
	uint64_t v = 0;

	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v) : : "memory"); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v) : : "memory"); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v) : : "memory"); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v) : : "memory"); break;
	case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v) : : "memory"); break;
	case 7: __asm__ volatile("mov %%dr7, %0" : "=r"(v) : : "memory"); break;
	default: break;
	}
	return v;
}

static void wr_dr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v) : "memory"); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v) : "memory"); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v) : "memory"); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v) : "memory"); break;
	case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v) : "memory"); break;
	case 7: __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory"); break;
	default: break;
	}
}

/* Breakpoints off first, then the addresses and the status. */
static void dr_reset(void)
{
	wr_dr(7, DR7_INIT);
	for (unsigned n = 0; n < 4; n++)
		wr_dr(n, 0);
	wr_dr(6, DR6_CLEAN);
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static uint64_t irq_save(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; pop %0; cli" : "=r"(f) : : "memory");
	return f;
}

static void irq_restore(uint64_t f)
{
	if (f & RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
}

static uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

/* ---- exceptions ---- */
static int has_error_code(uint64_t v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

/* fn(arg) must raise vector at insn (error code 0 where it has one). */
static int expect_fault(void (*fn)(void *), void *arg, uint64_t vector, const char *insn,
			const char *what)
{
	struct trap_info t;
	int r = guest_try(fn, arg, &t);

	if (r && t.vector == vector && t.rip == addr_of(insn) &&
	    (!has_error_code(vector) || t.error_code == 0))
		return 1;
	c_fails++;
	if (!r)
		diag("exception: expected %s at %#lx got none (%s)", trap_name(vector), addr_of(insn),
		     what);
	else
		diag("exception: expected %s at %#lx got %s error code %#lx at %#lx (%s)",
		     trap_name(vector), addr_of(insn), trap_name(t.vector), t.error_code, t.rip, what);
	return 0;
}

static int expect_no_fault(void (*fn)(void *), void *arg, const char *what)
{
	struct trap_info t;

	if (!guest_try(fn, arg, &t))
		return 1;
	c_fails++;
	diag("exception: expected none got %s error code %#lx at %#lx (%s)", trap_name(t.vector),
	     t.error_code, t.rip, what);
	return 0;
}

/* DR7 read that survives a stuck GD: a #DB (GD) clears it, so retry once. */
static uint64_t safe_rd_dr7(void)
{
	struct trap_info t;
	uint64_t v = 0;

	for (unsigned i = 0; i < 2; i++)
		if (!guest_try(dt_p_rd_dr7, &v, &t))
			return v;
	return ~0ull;
}

static void safe_dr_reset(void)
{
	struct trap_info t;
	uint64_t v = DR7_INIT;

	for (unsigned i = 0; i < 2; i++)
		if (!guest_try(dt_p_wr_dr7, &v, &t))
			break;
	dr_reset();
}

/* The #DB events logged in TRAP_RESUME mode: exactly `count`, the first at
 * rip with exactly dr6 (count 0: none at all). */
static int expect_events(unsigned count, uint64_t rip, uint64_t dr6, const char *what)
{
	unsigned got = trap_log_count();
	const struct trap_info *e = trap_log_get(0);
	int ok = 1;

	if (got != count) {
		c_fails++;
		diag("#DB count: expected %u got %u (%s)", count, got, what);
		if (e)
			diag("first event: %s rip %#lx dr6 %#lx (%s)", trap_name(e->vector), e->rip,
			     e->dr6, what);
		return 0;
	}
	if (count && e) {
		ok &= eq("vector", e->vector, TRAP_DB, "%s", what);
		ok &= eq("rip", e->rip, rip, "%s", what);
		ok &= eq("dr6", e->dr6, dr6, "%s", what);
	}
	return ok;
}

/* ---- MSRs ---- */
struct msr_op {
	uint32_t msr;
	uint32_t pad;
	uint64_t value;
};

/* 0: read; 1: raised an exception (t filled). */
static int try_rdmsr(uint32_t msr, uint64_t *v, struct trap_info *t)
{
	struct msr_op op = { .msr = msr };
	int r = guest_try(dt_p_rdmsr, &op, t);

	*v = op.value;
	return r;
}

static int try_wrmsr(uint32_t msr, uint64_t v, struct trap_info *t)
{
	struct msr_op op = { .msr = msr, .value = v };

	return guest_try(dt_p_wrmsr, &op, t);
}

/* ---- hypercalls (only under drvisor; guarded by guest_try anyway) ---- */
static int hcall(struct hv_call_args *c)
{
	struct trap_info t;

	if (!guest_try(hv_call_try, c, &t))
		return 1;
	c->rax = ~0ull;
	FAIL("exception: expected none got %s at %#lx (hypercall %#lx)", trap_name(t.vector), t.rip,
	     c->nr);
	return 0;
}

static uint64_t exit_count(enum dv_exit_reason r)
{
	struct hv_call_args c = { .nr = DV_HC_GET_EXIT_COUNT, .rbx = r };

	if (!under || !hcall(&c) || c.rax != DV_HC_OK)
		return 0;
	return c.out.rbx;
}

/* n forced exits: CPUID, and under drvisor every tenth a hypercall (a
 * native run executes CPUID there instead; it does not exit natively, but
 * the debug registers see the same instructions). */
static void force_exits(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (under && i % 10 == 9)
			hv_call(DV_HC_PING, 0, 0, 0, 0);
		else
			hv_cpuid(0, 0);
	}
}

/* ---- data accesses through drtest_probes.asm ---- */
typedef uint64_t (*ld_fn)(uint64_t);
typedef void (*st_fn)(uint64_t, uint64_t);

/* size index: 0..3 = 1, 2, 4, 8 bytes. Returns the RIP a trap must show. */
static uint64_t access(int store, unsigned si, uint64_t a, uint64_t v)
{
	switch (si | (store ? 4u : 0u)) {
	case 0: dt_ld8(a); return addr_of(dt_ld8_after);
	case 1: dt_ld16(a); return addr_of(dt_ld16_after);
	case 2: dt_ld32(a); return addr_of(dt_ld32_after);
	case 3: dt_ld64(a); return addr_of(dt_ld64_after);
	case 4: dt_st8(a, v); return addr_of(dt_st8_after);
	case 5: dt_st16(a, v); return addr_of(dt_st16_after);
	case 6: dt_st32(a, v); return addr_of(dt_st32_after);
	default: dt_st64(a, v); return addr_of(dt_st64_after);
	}
}

/* ---- the counting #DB gate (dt_db_stub) ---- */
static struct idt_gate saved_db_gate;
static volatile struct idt_gate *patched_gate;

static void db_stub_install(void)
{
	struct idt_ptr r = guest_sidt();
	uint16_t cs = guest_read_cs();
	uint64_t h = addr_of((const void *)dt_db_stub);

	patched_gate = (volatile struct idt_gate *)(uintptr_t)(r.base + sizeof(struct idt_gate) * TRAP_DB);
	saved_db_gate = *(struct idt_gate *)patched_gate;
	*(struct idt_gate *)patched_gate = (struct idt_gate){
		.offset_lo = (uint16_t)h,
		.selector = cs,
		.ist = 0,
		.type_attr = GATE_INTERRUPT_64,
		.offset_mid = (uint16_t)(h >> 16),
		.offset_hi = (uint32_t)(h >> 32),
		.reserved = 0,
	};
	dt_db_count = 0;
}

static void db_stub_remove(void)
{
	if (patched_gate)
		*(struct idt_gate *)patched_gate = saved_db_gate;
	patched_gate = 0;
}

/* ---- state a case may leave changed when it is aborted ---- */
static uint64_t saved_cr4;
static int cr4_changed;
static uint64_t saved_debugctl;
static int debugctl_changed;

static void cleanup(void)
{
	struct trap_info t;

	db_stub_remove();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
	trap_set_mode(TRAP_BP, TRAP_ABORT);
	if (cr4_changed)
		write_cr4(saved_cr4);
	cr4_changed = 0;
	if (debugctl_changed)
		try_wrmsr(MSR_IA32_DEBUGCTL, saved_debugctl, &t);
	debugctl_changed = 0;
	safe_dr_reset();
}

/* ======================= 1: fixed bits ======================= */
static void case_fixed(void)
{
	uint64_t dr6 = rd_dr(6), dr7 = rd_dr(7);

	info("initial dr6 %#lx dr7 %#lx", dr6, dr7);
	if ((dr6 & dr6_f1) != dr6_f1)
		FAIL("dr6: expected bits %#lx set got %#lx (value found at start)", dr6_f1, dr6);
	if (dr6 & ~(dr6_f1 | dr6_w))
		FAIL("dr6: expected bits %#lx clear got %#lx (value found at start)",
		     ~(dr6_f1 | dr6_w), dr6);
	if (!(dr7 & DR7_INIT) || (dr7 >> 32))
		FAIL("dr7: expected bit 10 set and bits 63:32 clear got %#lx (value found at start)",
		     dr7);
	wr_dr(7, 0);
	eq("dr7", rd_dr(7), DR7_INIT, "after writing 0");
	wr_dr(6, 0);
	eq("dr6", rd_dr(6), dr6_f1, "after writing 0");
	wr_dr(6, DR6_CLEAN);
	eq("dr6", rd_dr(6), DR6_CLEAN, "after writing %#lx", (uint64_t)DR6_CLEAN);
}

/* ======================= 2: read-back ======================= */
/* Canonical 64-bit patterns (DR0-3 hold linear addresses). */
static const uint64_t dr_patterns[] = {
	0x0000000000000000ull, 0xffffffffffffffffull, 0x00007fffffffffffull,
	0xffff800000000000ull, 0x00005a5a5a5a5a5aull, 0xffffa5a5a5a5a5a5ull,
	0x0000123456789abcull, 0xffffedcba9876543ull,
};

static void case_readback(void)
{
	unsigned n, b, i;
	uint64_t v, before, f = irq_save();

	dr_reset();
	for (n = 0; n < 4; n++) {
		for (i = 0; i < sizeof(dr_patterns) / sizeof(dr_patterns[0]); i++) {
			wr_dr(n, dr_patterns[i]);
			eq(dr_name[n], rd_dr(n), dr_patterns[i], "pattern");
		}
		for (b = 0; b < 47; b++) { /* walking one and walking zero */
			wr_dr(n, 1ull << b);
			eq(dr_name[n], rd_dr(n), 1ull << b, "walking one, bit %u", b);
			wr_dr(n, ~(1ull << b));
			eq(dr_name[n], rd_dr(n), ~(1ull << b), "walking zero, bit %u", b);
		}
	}
	/* Four distinct values at once: no slot aliases another. */
	for (n = 0; n < 4; n++)
		wr_dr(n, dr_patterns[4 + n] ^ ((uint64_t)(n + 1) << 12));
	for (n = 0; n < 4; n++)
		eq(dr_name[n], rd_dr(n), dr_patterns[4 + n] ^ ((uint64_t)(n + 1) << 12),
		   "four distinct values");
	for (n = 0; n < 4; n++)
		wr_dr(n, 0);

	/* DR6: every writable bit alone, all of them, none. */
	for (b = 0; b < 32; b++) {
		if (!(dr6_w & (1ull << b)))
			continue;
		wr_dr(6, 1ull << b);
		eq("dr6", rd_dr(6), dr6_f1 | (1ull << b), "after writing bit %u", b);
	}
	wr_dr(6, DR6_CLEAN | dr6_w);
	eq("dr6", rd_dr(6), dr6_f1 | dr6_w, "after writing every writable bit");
	wr_dr(6, 0);
	eq("dr6", rd_dr(6), dr6_f1, "after writing 0");

	/* DR7 (DR0-3 = 0, IF = 0: nothing touches what the enables arm). GD is
	 * case 6's; R/W = 10 (I/O) is left out, it is undefined with CR4.DE = 0;
	 * bits 11, 12, 14 and 15 are reserved. */
	for (b = 0; b < 10; b++) {
		wr_dr(7, 1ull << b);
		eq("dr7", rd_dr(7), DR7_INIT | (1ull << b), "after writing bit %u", b);
	}
	for (n = 0; n < 4; n++) {
		static const uint64_t fields[] = { 1, 3, 4, 8, 12, 15 }; /* R/W and LEN nibbles */

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			v = fields[i] << (16 + 4 * n);
			wr_dr(7, v);
			eq("dr7", rd_dr(7), DR7_INIT | v, "R/W%u LEN%u nibble %#lx", n, n, fields[i]);
		}
	}
	wr_dr(7, 0xffff03ffull);
	eq("dr7", rd_dr(7), 0xffff07ffull, "after writing every writable bit but GD");
	wr_dr(7, DR7_INIT);

	/* A 1 in bits 63:32 raises #GP(0) and changes nothing. */
	before = DR6_CLEAN | DR6_B(1);
	wr_dr(6, before);
	v = DR6_CLEAN | (1ull << 32);
	expect_fault(dt_p_wr_dr6, &v, TRAP_GP, dt_p_wr_dr6_insn, "MOV DR6 with bit 32 set");
	v = DR6_CLEAN | (1ull << 63);
	expect_fault(dt_p_wr_dr6, &v, TRAP_GP, dt_p_wr_dr6_insn, "MOV DR6 with bit 63 set");
	eq("dr6", rd_dr(6), dr6_f1 | DR6_B(1), "after the refused writes");
	before = DR7_INIT | DR7_LE | DR7_GE;
	wr_dr(7, before);
	v = DR7_INIT | (1ull << 32);
	expect_fault(dt_p_wr_dr7, &v, TRAP_GP, dt_p_wr_dr7_insn, "MOV DR7 with bit 32 set");
	v = DR7_INIT | (1ull << 63);
	expect_fault(dt_p_wr_dr7, &v, TRAP_GP, dt_p_wr_dr7_insn, "MOV DR7 with bit 63 set");
	eq("dr7", rd_dr(7), before, "after the refused writes");
	dr_reset();
	irq_restore(f);
}

/* ======================= 3: instruction breakpoints ======================= */
static char *const ibp_targets[4] = { dt_ibp0, dt_ibp1, dt_ibp2, dt_ibp3 };

static void case_ibp(void)
{
	static const uint64_t all_en = DR7_L(0) | DR7_G(1) | DR7_L(2) | DR7_G(3);
	unsigned n, i;
	int r;

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	for (n = 0; n < 4; n++) {
		dr_reset();
		wr_dr(n, addr_of(ibp_targets[n]));
		wr_dr(7, DR7_INIT | DR7_L(n)); /* R/W = 00, LEN = 00 */
		trap_log_clear();
		dt_ibp_done = 0;
		r = guest_try(dt_ibp_run, 0, 0);
		wr_dr(7, DR7_INIT);
		if (!eq("completed", (uint64_t)(r == 0 && dt_ibp_done == 1), 1, "DR%u run", n))
			continue;
		char what[] = "DR? alone";
		what[2] = (char)('0' + n);
		expect_events(1, addr_of(ibp_targets[n]), DR6_CLEAN | DR6_B(n), what);
		if (trap_log_count() == 1)
			eq("rflags.rf", (trap_log_get(0)->rflags >> 16) & 1, 0,
			   "RF as pushed by a breakpoint fault, DR%u", n);
	}

	/* All four at once, local and global enables mixed. */
	dr_reset();
	for (n = 0; n < 4; n++)
		wr_dr(n, addr_of(ibp_targets[n]));
	wr_dr(7, DR7_INIT | all_en);
	trap_log_clear();
	dt_ibp_done = 0;
	r = guest_try(dt_ibp_run, 0, 0);
	wr_dr(7, DR7_INIT);
	eq("completed", (uint64_t)(r == 0 && dt_ibp_done == 1), 1, "all four armed");
	if (eq("#DB count", trap_log_count(), 4, "all four armed"))
		for (i = 0; i < 4; i++) {
			const struct trap_info *e = trap_log_get(i);

			eq("rip", e->rip, addr_of(ibp_targets[i]), "all four armed, event %u", i);
			eq("dr6", e->dr6, DR6_CLEAN | DR6_B(i), "all four armed, event %u", i);
		}
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ======================= 4: data watchpoints ======================= */
/* Per slot a 32-byte row; the watched cell is row[1], so row[0] and row[2]
 * are neighbours on either side. */
static volatile uint64_t wv[4][4] __attribute__((aligned(64)));

struct wp_access {
	int store;
	unsigned si;      /* log2(size) */
	int64_t off;      /* from the watched address; LEN_END: at + len */
	int hit;          /* 1: hits; 2: hits only with R/W = 11 */
	const char *what;
};
#define LEN_END 0x100

static void one_wp(unsigned n, unsigned rw, unsigned li, uint64_t dr7_extra)
{
	const unsigned len = 1u << li;
	const uint64_t a = addr_of(&wv[n][1]);
	const struct wp_access acc[] = {
		{ 1, li, 0, 1, "store of LEN bytes at the address" },
		{ 0, li, 0, 2, "load of LEN bytes at the address" },
		{ 1, 0, (int64_t)len - 1, 1, "byte store at the last watched byte" },
		{ 0, 0, (int64_t)len - 1, 2, "byte load at the last watched byte" },
		{ 1, 0, LEN_END, 0, "byte store just past the range" },
		/* aligned, like every access here: QEMU TCG splits a misaligned
		 * load into aligned halves and reports the half that overlaps */
		{ 0, li, LEN_END, 0, "load of LEN bytes just past the range" },
		{ 1, 3, -8, 0, "8-byte store just below the range" },
	};

	dr_reset();
	wr_dr(n, a);
	wr_dr(7, DR7_INIT | dr7_extra | ((rw == RW_WRITE) ? DR7_L(n) : DR7_G(n)) | DR7_RW(n, rw) |
			 DR7_LEN(n, len_enc[li]));
	for (unsigned i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		const struct wp_access *x = &acc[i];
		uint64_t at = a + (uint64_t)(x->off == LEN_END ? (int64_t)len : x->off);
		int hit = x->hit == 1 || (x->hit == 2 && rw == RW_RW);
		uint64_t rip;

		trap_log_clear();
		rip = access(x->store, x->si, at, 0x0102030405060708ull * (i + 1));
		if (!expect_events(hit ? 1 : 0, rip, DR6_CLEAN | DR6_B(n), x->what))
			diag("  ^ DR%u R/W=%u LEN=%u at %#lx, access of %u bytes at %#lx", n, rw, len, a,
			     1u << x->si, at);
	}
	wr_dr(7, DR7_INIT);
	wr_dr(n, 0);
}

static void case_wp(void)
{
	static const unsigned rws[2] = { RW_WRITE, RW_RW };
	/* All four at once: slot n watches row n with R/W and LEN below. */
	static const unsigned all_rw[4] = { RW_WRITE, RW_RW, RW_WRITE, RW_RW };
	static const unsigned all_li[4] = { 0, 1, 2, 3 };
	unsigned n, r, li;
	uint64_t dr7 = DR7_INIT, rip;

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	for (n = 0; n < 4; n++)
		for (r = 0; r < 2; r++)
			for (li = 0; li < 4; li++)
				one_wp(n, rws[r], li, 0);

	dr_reset();
	for (n = 0; n < 4; n++) {
		wr_dr(n, addr_of(&wv[n][1]));
		dr7 |= (n & 1 ? DR7_G(n) : DR7_L(n)) | DR7_RW(n, all_rw[n]) |
		       DR7_LEN(n, len_enc[all_li[n]]);
	}
	wr_dr(7, dr7);
	for (n = 0; n < 4; n++) {
		char what[] = "all four armed: store to slot ?";
		what[sizeof(what) - 2] = (char)('0' + n);
		trap_log_clear();
		rip = access(1, all_li[n], addr_of(&wv[n][1]), 0xa5a5a5a5a5a5a5a5ull);
		expect_events(1, rip, DR6_CLEAN | DR6_B(n), what);
		trap_log_clear();
		rip = access(0, all_li[n], addr_of(&wv[n][1]), 0);
		expect_events(all_rw[n] == RW_RW ? 1 : 0, rip, DR6_CLEAN | DR6_B(n),
			      all_rw[n] == RW_RW ? "all four armed: load, R/W=11 slot"
						 : "all four armed: load, R/W=01 slot");
	}
	eq("dr7", rd_dr(7), dr7, "all four armed, after the hits");
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ======================= 5: single step ======================= */
static uint64_t ss_ret;

static void run_ss_rdmsr(void *unused)
{
	(void)unused;
	ss_ret = dt_ss_rdmsr();
}

static void run_ss_vmmcall(void *unused)
{
	(void)unused;
	ss_ret = dt_ss_vmmcall();
}

static void run_ss_vmcall(void *unused)
{
	(void)unused;
	ss_ret = dt_ss_vmcall();
}

static char *const ss_plain_rips[] = { dt_ss_plain_t1, dt_ss_plain_t2, dt_ss_plain_t3,
				       dt_ss_plain_t4, dt_ss_plain_t5, dt_ss_plain_t6,
				       dt_ss_plain_t7 };
static char *const ss_cpuid_rips[] = { dt_ss_cpuid_t1, dt_ss_cpuid_t2, dt_ss_cpuid_t3,
				       dt_ss_cpuid_t4, dt_ss_cpuid_t5, dt_ss_cpuid_t6,
				       dt_ss_cpuid_t7 };
static char *const ss_rdmsr_rips[] = { dt_ss_rdmsr_t1, dt_ss_rdmsr_t2, dt_ss_rdmsr_t3,
				       dt_ss_rdmsr_t4, dt_ss_rdmsr_t5 };
static char *const ss_vmmcall_rips[] = { dt_ss_vmmcall_t1, dt_ss_vmmcall_t2, dt_ss_vmmcall_t3,
					 dt_ss_vmmcall_t4 };
static char *const ss_vmcall_rips[] = { dt_ss_vmcall_t1, dt_ss_vmcall_t2, dt_ss_vmcall_t3,
					dt_ss_vmcall_t4 };

/* Runs fn with dt_db_stub counting; checks each trap's RIP and DR6 against
 * rips[] and dr6 (count: how many traps). */
static void check_steps(const char *what, void (*fn)(void *), char *const *rips,
			unsigned count, uint64_t dr6)
{
	uint64_t f, got;
	struct trap_info t;
	int r;

	info("stepping: %s", what); /* names the culprit if the host dies here */
	f = irq_save();
	wr_dr(6, DR6_CLEAN);
	db_stub_install();
	r = guest_try(fn, 0, &t);
	db_stub_remove();
	irq_restore(f);
	got = dt_db_count;
	if (r) {
		FAIL("exception: expected none got %s at %#lx (%s)", trap_name(t.vector), t.rip, what);
		return;
	}
	eq("rflags.tf", (read_rflags() & RFLAGS_TF) != 0, 0, "after %s", what);
	if (!eq("#DB count", got, count, "%s", what)) {
		for (unsigned i = 0; i < got && i < DB_LOG_MAX && i < 4; i++)
			diag("  trap %u at %#lx dr6 %#lx", i, dt_db_rips[i], dt_db_dr6s[i]);
		return;
	}
	for (unsigned i = 0; i < count; i++) {
		eq("rip", dt_db_rips[i], addr_of(rips[i]), "%s, trap %u", what, i + 1);
		eq("dr6", dt_db_dr6s[i], dr6, "%s, trap %u", what, i + 1);
	}
}

#define SS(what, fn, rips) check_steps(what, fn, rips, sizeof(rips) / sizeof(rips[0]), \
				       DR6_CLEAN | DR6_BS)

static void case_ss(void)
{
	struct trap_info t;
	uint64_t v;

	dr_reset();
	SS("ordinary instructions", dt_ss_plain, ss_plain_rips);
	SS("CPUID, CPUID, NOP", dt_ss_cpuid, ss_cpuid_rips);
	if (try_rdmsr(MSR_IA32_DEBUGCTL, &v, &t))
		diag("RDMSR of IA32_DEBUGCTL raised %s here: not stepped", trap_name(t.vector));
	else
		SS("RDMSR of IA32_DEBUGCTL", run_ss_rdmsr, ss_rdmsr_rips);
	if (!under) {
		info("natively: no hypercall to step over");
	} else if (hv.vendor == HV_VENDOR_AMD) {
		SS("VMMCALL (DV_HC_PING)", run_ss_vmmcall, ss_vmmcall_rips);
		eq("rax", ss_ret, DV_HC_OK, "the stepped DV_HC_PING's status");
	} else {
		SS("VMCALL (DV_HC_PING)", run_ss_vmcall, ss_vmcall_rips);
		eq("rax", ss_ret, DV_HC_OK, "the stepped DV_HC_PING's status");
	}
	dr_reset();
}

/* ======================= 6: general detect ======================= */
/* After a #DB from GD: DR6 = clean | BD, and DR7 without GD (the CPU
 * clears it on delivery; SDM vol. 3B 18.2.4). */
static void check_gd(int faulted, const struct trap_info *t, const char *insn, uint64_t dr7_set,
		     const char *what)
{
	uint64_t dr7;

	if (!faulted) {
		FAIL("exception: expected #DB at %#lx got none (%s)", addr_of(insn), what);
		safe_dr_reset();
		return;
	}
	if (eq("vector", t->vector, TRAP_DB, "%s", what)) {
		eq("rip", t->rip, addr_of(insn), "%s", what);
		eq("dr6", t->dr6, DR6_CLEAN | DR6_BD, "%s", what);
	}
	dr7 = safe_rd_dr7();
	eq("dr7", dr7, dr7_set & ~DR7_GD, "after %s: GD cleared", what);
	safe_dr_reset();
}

static void gd_probe(void (*fn)(void *), uint64_t arg, const char *insn, const char *what)
{
	struct trap_info t;
	uint64_t v = arg, dr7 = DR7_INIT | DR7_GD | DR7_GE;
	int r;

	wr_dr(6, DR6_CLEAN);
	wr_dr(7, dr7);
	r = guest_try(fn, &v, &t);
	check_gd(r, &t, insn, dr7, what);
}

static void case_gd(void)
{
	struct trap_info t;
	uint64_t v = DR7_INIT | DR7_GD;
	int r;

	dr_reset();
	/* Does this platform have GD at all? Set it and read DR7 at once. */
	r = guest_try(dt_p_gd_detect, &v, &t);
	if (!r) {
		safe_dr_reset();
		info("MOV from DR7 right after setting DR7.GD did not fault; it read %#lx", v);
		c_skip = "platform lacks DR7.GD (a MOV DR with DR7.GD set did not raise #DB)";
		return;
	}
	check_gd(r, &t, dt_p_gd_detect_insn, DR7_INIT | DR7_GD, "MOV from DR7 right after setting GD");
	gd_probe(dt_p_rd_dr7, 0, dt_p_rd_dr7_insn, "MOV from DR7");
	gd_probe(dt_p_rd_dr6, 0, dt_p_rd_dr6_insn, "MOV from DR6");
	gd_probe(dt_p_wr_dr0, 0x1000, dt_p_wr_dr0_insn, "MOV to DR0");
	eq("dr0", rd_dr(0), 0, "the faulting MOV to DR0 did not write it");
	gd_probe(dt_p_wr_dr7, DR7_INIT, dt_p_wr_dr7_insn, "MOV to DR7");
	gd_probe(dt_p_gd_after_cpuid, 0, dt_p_gd_after_cpuid_insn, "MOV from DR7 after a CPUID exit");
	dr_reset();
}

/* ======================= 7: DR4/DR5 ======================= */
static void case_dr45(void)
{
	uint64_t f = irq_save(), v, dr6_set, dr7_set;

	saved_cr4 = read_cr4();
	cr4_changed = 1;
	info("CR4 at start %#lx", saved_cr4);
	dr_reset();

	write_cr4(saved_cr4 & ~CR4_DE);
	eq("cr4.de", read_cr4() & CR4_DE, 0, "after clearing it");
	dr6_set = DR6_CLEAN | DR6_B(2) | DR6_BT;
	dr7_set = DR7_INIT | DR7_LE | DR7_GE;
	wr_dr(6, dr6_set);
	wr_dr(7, dr7_set);
	v = 0;
	if (expect_no_fault(dt_p_rd_dr4, &v, "MOV from DR4 with CR4.DE=0"))
		eq("dr4", v, dr6_f1 | DR6_B(2) | DR6_BT, "reads DR6 with CR4.DE=0");
	v = 0;
	if (expect_no_fault(dt_p_rd_dr5, &v, "MOV from DR5 with CR4.DE=0"))
		eq("dr5", v, dr7_set, "reads DR7 with CR4.DE=0");
	v = DR6_CLEAN | DR6_B(3) | DR6_BS;
	if (expect_no_fault(dt_p_wr_dr4, &v, "MOV to DR4 with CR4.DE=0"))
		eq("dr6", rd_dr(6), dr6_f1 | DR6_B(3) | DR6_BS, "after a MOV to DR4 with CR4.DE=0");
	v = DR7_INIT | DR7_LE;
	if (expect_no_fault(dt_p_wr_dr5, &v, "MOV to DR5 with CR4.DE=0"))
		eq("dr7", rd_dr(7), DR7_INIT | DR7_LE, "after a MOV to DR5 with CR4.DE=0");

	wr_dr(6, dr6_set);
	wr_dr(7, dr7_set);
	write_cr4(saved_cr4 | CR4_DE);
	if (eq("cr4.de", read_cr4() & CR4_DE, CR4_DE, "after setting it")) {
		v = 0;
		expect_fault(dt_p_rd_dr4, &v, TRAP_UD, dt_p_rd_dr4_insn, "MOV from DR4 with CR4.DE=1");
		expect_fault(dt_p_rd_dr5, &v, TRAP_UD, dt_p_rd_dr5_insn, "MOV from DR5 with CR4.DE=1");
		v = DR6_CLEAN | DR6_B(0);
		expect_fault(dt_p_wr_dr4, &v, TRAP_UD, dt_p_wr_dr4_insn, "MOV to DR4 with CR4.DE=1");
		v = DR7_INIT;
		expect_fault(dt_p_wr_dr5, &v, TRAP_UD, dt_p_wr_dr5_insn, "MOV to DR5 with CR4.DE=1");
		eq("dr6", rd_dr(6), dr6_f1 | DR6_B(2) | DR6_BT, "after the #UDs");
		eq("dr7", rd_dr(7), dr7_set, "after the #UDs");
	}
	write_cr4(saved_cr4);
	cr4_changed = 0;
	eq("cr4", read_cr4(), saved_cr4, "restored");
	dr_reset();
	irq_restore(f);
}

/* ======================= 8: IA32_DEBUGCTL ======================= */
static char *const btf_rips[] = { dt_btf_t1, dt_btf_t2, dt_btf_t3, dt_btf_t4 };
#define BTF_ALL_STEPS 12u /* traps without BTF: every instruction, see the asm */

/* The IA32_DEBUGCTL bits CPUID enumerates beyond LBR and BTF (SDM vol. 4
 * table 2-2; the same bus-lock bit on AMD): bus-lock detect (bit 2), RTM_DEBUG
 * (15), FREEZE_LBRS/PERFMON_ON_PMI (11, 12: PDCM and PMU version > 1),
 * FREEZE_WHILE_SMM (14: IA32_PERF_CAPABILITIES[12]). */
static uint64_t debugctl_enumerated(void)
{
	struct hv_cpuid_regs l0 = hv_cpuid(0, 0), l1 = hv_cpuid(1, 0), l7 = { 0, 0, 0, 0 };
	uint32_t pmu = l0.eax >= 0xa ? hv_cpuid(0xa, 0).eax & 0xff : 0;
	int pdcm = (l1.ecx >> 15) & 1, intel = hv.vendor == HV_VENDOR_INTEL;
	uint64_t bits = 0, caps = 0;
	struct trap_info t;

	if (l0.eax >= 7)
		l7 = hv_cpuid(7, 0);
	if (l7.ecx & CPUID_7_ECX_BUS_LOCK_DETECT)
		bits |= 1ull << 2;
	if (intel && (l7.ebx & CPUID_7_EBX_RTM))
		bits |= 1ull << 15;
	if (intel && pdcm && pmu > 1)
		bits |= 3ull << 11;
	if (intel && pdcm && !try_rdmsr(0x345, &caps, &t) && (caps & (1ull << 12)))
		bits |= 1ull << 14;
	return bits;
}

/* Every bit CPUID enumerates is accepted and reads back; every other bit of
 * 2-15 either raises #GP(0) or, natively on a CPU with more than its CPUID
 * says, is left out of the check. */
static void debugctl_enumerated_bits(void)
{
	uint64_t want = debugctl_enumerated(), got;
	struct trap_info t;

	info("IA32_DEBUGCTL bits CPUID enumerates beyond LBR/BTF: %#lx", want);
	for (unsigned b = 2; b < 16; b++) {
		uint64_t bit = 1ull << b;
		int faulted = try_wrmsr(MSR_IA32_DEBUGCTL, bit, &t);

		if (!(want & bit)) {
			if (under && !faulted)
				FAIL("exception: expected #GP got none (WRMSR IA32_DEBUGCTL %#lx, "
				     "not enumerated)", bit);
			continue;
		}
		if (faulted) {
			FAIL("exception: expected none got %s (WRMSR IA32_DEBUGCTL %#lx, enumerated)",
			     trap_name(t.vector), bit);
			continue;
		}
		try_rdmsr(MSR_IA32_DEBUGCTL, &got, &t);
		eq("debugctl", got, bit, "enumerated bit %u read back", b);
	}
	try_wrmsr(MSR_IA32_DEBUGCTL, 0, &t);
}

static void case_debugctl(void)
{
	static const uint64_t supported[] = { DEBUGCTL_LBR, DEBUGCTL_BTF,
					      DEBUGCTL_LBR | DEBUGCTL_BTF, 0 };
	/* Reserved on both vendors (SDM vol. 4 table 2-2: bits 63:16 on Intel
	 * are reserved except none; APM vol. 2 13.1.1.6: bits 63:6 on AMD) and
	 * in drvisor's virtual CPU, which has exactly LBR and BTF. */
	static const uint64_t reserved[] = { 1ull << 32, 1ull << 63, DEBUGCTL_BTF | (1ull << 40) };
	struct trap_info t;
	uint64_t v, got, f;
	unsigned i;

	if (try_rdmsr(MSR_IA32_DEBUGCTL, &saved_debugctl, &t)) {
		c_skip = "platform lacks IA32_DEBUGCTL (RDMSR raised an exception)";
		return;
	}
	info("IA32_DEBUGCTL at start %#lx", saved_debugctl);
	debugctl_changed = 1;
	/* Does a write of LBR|BTF stick at all? */
	if (try_wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_LBR | DEBUGCTL_BTF, &t)) {
		c_skip = "platform lacks IA32_DEBUGCTL.LBR/BTF (WRMSR of 0x3 raised an exception)";
		return;
	}
	try_rdmsr(MSR_IA32_DEBUGCTL, &got, &t);
	try_wrmsr(MSR_IA32_DEBUGCTL, saved_debugctl, &t);
	if ((got & (DEBUGCTL_LBR | DEBUGCTL_BTF)) == 0) {
		c_skip = "platform lacks IA32_DEBUGCTL.LBR/BTF (a write of 0x3 reads back 0)";
		return;
	}

	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
		if (try_wrmsr(MSR_IA32_DEBUGCTL, supported[i], &t)) {
			FAIL("exception: expected none got %s (WRMSR IA32_DEBUGCTL %#lx)",
			     trap_name(t.vector), supported[i]);
			continue;
		}
		try_rdmsr(MSR_IA32_DEBUGCTL, &got, &t);
		eq("debugctl", got, supported[i], "read back");
	}
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct msr_op op = { .msr = MSR_IA32_DEBUGCTL, .value = reserved[i] };

		try_wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_LBR, &t);
		expect_fault(dt_p_wrmsr, &op, TRAP_GP, dt_p_wrmsr_insn, "WRMSR of a reserved bit");
		try_rdmsr(MSR_IA32_DEBUGCTL, &got, &t);
		eq("debugctl", got, DEBUGCTL_LBR, "after the refused write of %#lx", reserved[i]);
	}

	debugctl_enumerated_bits();

	/* BTF with TF: traps only after taken branches. */
	try_wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_BTF, &t);
	f = irq_save();
	wr_dr(6, DR6_CLEAN);
	db_stub_install();
	i = (unsigned)guest_try(dt_btf_run, 0, &t);
	db_stub_remove();
	irq_restore(f);
	try_wrmsr(MSR_IA32_DEBUGCTL, saved_debugctl, &t);
	debugctl_changed = 0;
	v = dt_db_count;
	if (i) {
		FAIL("exception: expected none got %s at %#lx (BTF run)", trap_name(t.vector), t.rip);
		return;
	}
	if (v == BTF_ALL_STEPS && !c_fails) {
		info("with DEBUGCTL.BTF=1, TF trapped after every instruction (%lu traps)", v);
		c_skip = "platform lacks BTF (TF with IA32_DEBUGCTL.BTF=1 stepped every instruction)";
		return;
	}
	if (eq("#DB count", v, sizeof(btf_rips) / sizeof(btf_rips[0]), "BTF+TF: taken branches only"))
		for (i = 0; i < sizeof(btf_rips) / sizeof(btf_rips[0]); i++) {
			eq("rip", dt_db_rips[i], addr_of(btf_rips[i]), "BTF trap %u", i + 1);
			eq("dr6", dt_db_dr6s[i], DR6_CLEAN | DR6_BS, "BTF trap %u", i + 1);
		}
}

/* ======================= 9: persistence ======================= */
static volatile uint64_t pv[4][8] __attribute__((aligned(64)));
/* Slot n: its row, R/W, log2(LEN), and the access that must hit it. */
static const unsigned p_rw[4] = { RW_WRITE, RW_RW, RW_WRITE, RW_RW };
static const unsigned p_li[4] = { 3, 2, 1, 0 };
static const int p_store[4] = { 1, 0, 1, 0 };

static uint64_t p_dr7(void)
{
	uint64_t v = DR7_INIT | DR7_GE;

	for (unsigned n = 0; n < 4; n++)
		v |= (n & 1 ? DR7_G(n) : DR7_L(n)) | DR7_RW(n, p_rw[n]) | DR7_LEN(n, len_enc[p_li[n]]);
	return v;
}

/* Every DR as set; then each watchpoint fires once, with its own bit. */
static int p_check(uint64_t dr6, uint64_t dr7, uint64_t dbgctl, int dbgctl_ok, unsigned round)
{
	const char *when = "after a round of forced exits";

	unsigned n, before = c_fails;
	struct trap_info t;
	uint64_t v, rip;

	for (n = 0; n < 4; n++)
		eq(dr_name[n], rd_dr(n), addr_of(&pv[n][0]), "%s", when);
	eq("dr6", rd_dr(6), dr6, "%s", when);
	eq("dr7", rd_dr(7), dr7, "%s", when);
	if (dbgctl_ok && !try_rdmsr(MSR_IA32_DEBUGCTL, &v, &t))
		eq("debugctl", v, dbgctl, "%s", when);
	wr_dr(6, DR6_CLEAN);
	for (n = 0; n < 4; n++) {
		trap_log_clear();
		rip = access(p_store[n], p_li[n], addr_of(&pv[n][0]), n + 1);
		if (!expect_events(1, rip, DR6_CLEAN | DR6_B(n), "watchpoint after forced exits"))
			diag("  ^ slot %u, round %u", n, round);
	}
	return c_fails == before;
}

static void case_persist(void)
{
	const uint64_t dr6 = DR6_CLEAN | DR6_BT | DR6_B(2), dr7 = p_dr7();
	unsigned rounds = opt_exits < 10 ? (unsigned)opt_exits : 10, r;
	uint64_t done = 0, cpuid0, hc0, my_cpuid0, my_hc0, dbgctl = 0;
	struct trap_info t;
	int dbgctl_ok = !try_rdmsr(MSR_IA32_DEBUGCTL, &dbgctl, &t);

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	dr_reset();
	for (unsigned n = 0; n < 4; n++)
		wr_dr(n, addr_of(&pv[n][0]));
	wr_dr(7, dr7);
	cpuid0 = exit_count(DV_EXIT_CPUID);
	hc0 = exit_count(DV_EXIT_HYPERCALL);
	my_cpuid0 = hv_counts()->cpuid;
	my_hc0 = hv_counts()->hypercall;
	for (r = 0; r < rounds; r++) {
		uint64_t n = r + 1 == rounds ? opt_exits - done : opt_exits / rounds;

		wr_dr(6, dr6);
		force_exits(n);
		done += n;
		if (!p_check(dr6 & (dr6_f1 | dr6_w), dr7, dbgctl, dbgctl_ok, r + 1))
			break;
	}
	info("%lu forced exits in %u rounds", done, rounds);
	if (under) {
		uint64_t dc = exit_count(DV_EXIT_CPUID) - cpuid0, dh = exit_count(DV_EXIT_HYPERCALL) - hc0;
		uint64_t mc = hv_counts()->cpuid - my_cpuid0, mh = hv_counts()->hypercall - my_hc0;

		info("drvisor counted cpuid=%lu hypercall=%lu exits; this case caused %lu and %lu", dc,
		     dh, mc, mh);
		if (dc < mc || dh < mh)
			FAIL("exits: expected at least cpuid=%lu hypercall=%lu got %lu and %lu", mc, mh,
			     dc, dh);
	}
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ======================= 10: isolation ======================= */
static volatile uint64_t gvar[4][8] __attribute__((aligned(64)));

static int host_watch(uint64_t op, uint64_t count, struct hv_call_args *c)
{
	*c = (struct hv_call_args){ .nr = DV_HC_HOST_WATCH, .rbx = op, .rcx = count };
	if (!hcall(c))
		return 0;
	return eq("status", c->rax, DV_HC_OK, "DV_HC_HOST_WATCH %lu", op);
}

static void iso_check_regs(const uint64_t *dr, uint64_t dr6, uint64_t dr7, const char *when)
{
	for (unsigned n = 0; n < 4; n++)
		eq(dr_name[n], rd_dr(n), dr[n], "%s", when);
	eq("dr6", rd_dr(6), dr6, "%s", when);
	eq("dr7", rd_dr(7), dr7, "%s", when);
}

static void case_isolation(void)
{
	struct hv_call_args q, c;
	uint64_t hits0, hdr7, haddr, dr[4], dr6, dr7, rip;
	unsigned i;

	if (!under) {
		c_skip = "running natively (the host watchpoint is drvisor's)";
		return;
	}
	q = (struct hv_call_args){ .nr = DV_HC_HOST_WATCH, .rbx = DV_HOST_WATCH_QUERY };
	if (!hcall(&q))
		return;
	if (q.rax == DV_HC_ERR_PERM) {
		c_skip = "drvisor without test hooks (DV_HC_HOST_WATCH returned DV_HC_ERR_PERM)";
		return;
	}
	if (!eq("status", q.rax, DV_HC_OK, "DV_HC_HOST_WATCH query"))
		return;
	hits0 = q.out.rbx;
	hdr7 = q.out.rcx;
	haddr = q.out.rdx;
	info("host watch: hits %lu, host dr7 %#lx, watched address %#lx", hits0, hdr7, haddr);
	if (!(hdr7 & 0xff))
		FAIL("host dr7: expected an enabled breakpoint got %#lx", hdr7);

	/* Distinctive guest values: DR0 watches the host's own variable (a
	 * linear address the guest never touches: a leak into the host would
	 * make the host's accesses fire it), DR1-3 guest variables. */
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_RESUME);
	for (i = 0; i < 4; i++)
		gvar[i][0] = 0x1122334455667700ull + i;
	dr[0] = haddr & ~7ull;
	for (i = 1; i < 4; i++)
		dr[i] = addr_of(&gvar[i][0]);
	dr7 = DR7_INIT | DR7_L(0) | DR7_RW(0, RW_RW) | DR7_LEN(0, 2) | DR7_G(1) | DR7_RW(1, RW_RW) |
	      DR7_LEN(1, 2) | DR7_L(2) | DR7_RW(2, RW_WRITE) | DR7_LEN(2, 3) | DR7_G(3) |
	      DR7_RW(3, RW_RW) | DR7_LEN(3, 0) | DR7_LE;
	dr6 = DR6_CLEAN | DR6_B(3) | DR6_BS;
	for (i = 0; i < 4; i++)
		wr_dr(i, dr[i]);
	wr_dr(7, dr7);
	wr_dr(6, dr6);
	trap_log_clear();
	force_exits(1000);
	for (i = 0; i < 10 && host_watch(DV_HOST_WATCH_QUERY, 0, &c); i++)
		;
	iso_check_regs(dr, dr6 & (dr6_f1 | dr6_w), dr7, "after exits and host-watch queries");

	/* The host reads a watched guest variable: no #DB anywhere. */
	for (i = 0; i < 10; i++) {
		c = (struct hv_call_args){ .nr = DV_HC_READ_GUEST, .rbx = addr_of(&gvar[1][0]) };
		if (!hcall(&c) || !eq("status", c.rax, DV_HC_OK, "DV_HC_READ_GUEST"))
			break;
		eq("rbx", c.out.rbx, 0x1122334455667701ull, "DV_HC_READ_GUEST of a watched variable");
	}
	expect_events(0, 0, 0, "after the host read a guest-watched variable");
	iso_check_regs(dr, dr6 & (dr6_f1 | dr6_w), dr7, "after DV_HC_READ_GUEST");

	/* The host touches its own watched variable: exactly N hits, with the
	 * guest's DR0 on the same address and then with the guest's DR7 off. */
	for (unsigned pass = 0; pass < 2; pass++) {
		const char *when = pass ? "guest DR7 off" : "guest DR0 on the host's address";

		if (pass)
			wr_dr(7, DR7_INIT);
		if (!host_watch(DV_HOST_WATCH_QUERY, 0, &q) ||
		    !host_watch(DV_HOST_WATCH_TOUCH, TOUCH_COUNT, &c))
			break;
		eq("host hits", c.out.rbx - q.out.rbx, TOUCH_COUNT, "TOUCH %u, %s", TOUCH_COUNT, when);
		eq("host dr7", c.out.rcx, hdr7, "host watchpoint intact, %s", when);
		eq("host address", c.out.rdx, haddr, "host watchpoint intact, %s", when);
	}
	expect_events(0, 0, 0, "after the host touched its watched variable");
	eq("dr7", rd_dr(7), DR7_INIT, "after the touches");
	wr_dr(7, dr7);
	iso_check_regs(dr, dr6 & (dr6_f1 | dr6_w), dr7, "after the touches");

	/* The guest's own watchpoint still fires for the guest. */
	wr_dr(6, DR6_CLEAN);
	trap_log_clear();
	rip = access(0, 3, addr_of(&gvar[1][0]), 0);
	expect_events(1, rip, DR6_CLEAN | DR6_B(1), "guest load of its watched variable");
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ======================= 11: seeded random sequence ======================= */
/* Between any two operations a forced exit of a random kind may come, and
 * the full register check after an operation is itself drawn: a state that
 * only the guest's next MOV DR would repair (a lazy switch gone wrong) must
 * meet the operations that show it without such a MOV in between. */
static volatile uint64_t rv[4][8] __attribute__((aligned(64)));
static uint64_t rng;
static int rnd_gd, rnd_rdmsr;   /* this platform has DR7.GD; RDMSR of DEBUGCTL works */

/* The monitor UART's scratch register with drvisor's monitor=com2 (what the
 * suite's runs configure): an I/O exit under drvisor; natively a write to
 * COM2's scratch register or to nothing. */
#define SCRATCH_PORT 0x2ffu

void dt_ss_out(uint64_t port);
void dt_out8(uint64_t port, uint64_t value);
void dt_wait_irq(void);
extern char dt_ss_out_t1[];

static uint64_t rnd(void) /* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned rndn(unsigned n)
{
	return (unsigned)((rnd() >> 32) % n);
}

enum { OP_DRN, OP_DR7, OP_DR6, OP_ACCESS, OP_EXITS, OP_TOGGLE, OP_STEP, OP_GD };
static const char *const op_names[] = { "write DRn", "write DR7", "write DR6", "access",
					"exits", "DR7 off/on", "single step", "general detect" };

struct rmodel {
	uint64_t dr[4], dr6, dr7;
	uint64_t dr7_on;       /* the DR7 that "DR7 off/on" turns back on */
};

/* One forced exit of kind k: CPUID (drvisor's fast path when the debug
 * registers are idle), the hypercall (common path; natively CPUID), OUT to
 * the monitor's scratch port (common path, I/O), the wait for the next
 * timer interrupt (an interrupt exit on SVM). */
static void forced_exit(unsigned k)
{
	if (k == 0 || (k == 1 && !under))
		hv_cpuid(0, 0);
	else if (k == 1)
		hv_call(DV_HC_PING, 0, 0, 0, 0);
	else if (k == 2)
		dt_out8(SCRATCH_PORT, 0x5a);
	else if (mp_current() == 0)
		dt_wait_irq();
	else /* an AP: no interrupt would end the HLT (MpInitLib masks its LVT entries) */
		hv_cpuid(0, 0);
}

/* Single-step one exiting instruction of kind k (CPUID, the hypercall,
 * RDMSR of IA32_DEBUGCTL, OUT; CPUID where the platform has no other);
 * returns the RIP of the trap. The library's resume mode makes TF one-shot. */
static uint64_t stepped_exit(unsigned k)
{
	if (k == 1 && under && hv.vendor == HV_VENDOR_AMD) {
		dt_ss_vmmcall();
		return addr_of(dt_ss_vmmcall_t1);
	}
	if (k == 1 && under) {
		dt_ss_vmcall();
		return addr_of(dt_ss_vmcall_t1);
	}
	if (k == 2 && rnd_rdmsr) {
		dt_ss_rdmsr();
		return addr_of(dt_ss_rdmsr_t1);
	}
	if (k == 3) {
		dt_ss_out(SCRATCH_PORT);
		return addr_of(dt_ss_out_t1);
	}
	dt_ss_cpuid(0);
	return addr_of(dt_ss_cpuid_t1);
}

/* Before an expected #DB: what a #DB keeps of DR6 differs (B0-B3 "may" be
 * cleared, SDM vol. 3B 18.2.3; Bochs 2.7 clears BT too, seen here), so DR6
 * starts without those; BD and BS of earlier writes stay and must survive. */
static void dr6_before_db(struct rmodel *m)
{
	if (m->dr6 & (DR6_BT | 0xfull)) {
		m->dr6 &= ~(DR6_BT | 0xfull);
		wr_dr(6, m->dr6);
	}
}

/* A single step over an exiting instruction: one #DB after it, DR6 as it
 * was plus BS, and (GD) DR7.GD cleared. */
static int op_step(struct rmodel *m)
{
	uint64_t rip;
	int ok;

	trap_log_clear();
	rip = stepped_exit(rndn(4));
	ok = expect_events(1, rip, m->dr6 | DR6_BS, "single step over an exiting instruction");
	m->dr6 = DR6_CLEAN; /* the handler's reset */
	m->dr7 &= ~DR7_GD;
	return ok;
}

/* DR7.GD set, maybe a forced exit (not the timer wait: the firmware's
 * interrupt entry saves the debug registers, and its MOV from DR7 would take
 * the general-detect #DB), then either a single step or a MOV from DR6: a
 * #DB with BD at the MOV, GD cleared. */
static int op_gd(struct rmodel *m)
{
	uint64_t v = 0;
	int ok;

	wr_dr(7, m->dr7 | DR7_GD);
	if (rndn(2))
		forced_exit(rndn(3));
	if (rndn(2))
		return op_step(m);
	trap_log_clear();
	dt_p_rd_dr6(&v);
	ok = expect_events(1, addr_of(dt_p_rd_dr6_insn), m->dr6 | DR6_BD, "general detect");
	m->dr6 = DR6_CLEAN;
	return ok;
}

static int op_access(struct rmodel *m, unsigned *hits, unsigned *accesses, unsigned *multi)
{
	unsigned k = rndn(4), si = rndn(4), off = rndn(8u >> si) << si, n;
	int store = (int)rndn(2), ok;
	uint64_t a = addr_of(&rv[k][0]), match = 0, rip, v = rnd();

	for (n = 0; n < 4; n++) {
		unsigned en = (m->dr7 >> (2 * n)) & 3, rw = (m->dr7 >> (16 + 4 * n)) & 3;
		unsigned len = enc_size[(m->dr7 >> (18 + 4 * n)) & 3];

		if (en && (rw == RW_RW || (rw == RW_WRITE && store)) && m->dr[n] == a && off < len)
			match |= DR6_B(n);
	}
	/* Two slots hit by one access: QEMU TCG reports only the first; the
	 * model leaves that out and forces an exit. */
	if (match & (match - 1)) {
		(*multi)++;
		hv_cpuid(0, 0);
		return 1;
	}
	/* An access the model expects to hit starts from a DR6 without
	 * B0-B3/BT (dr6_before_db); one expected not to hit keeps whatever
	 * bits the last DR6 write left, and must leave them alone. */
	if (match)
		dr6_before_db(m);
	trap_log_clear();
	rip = access(store, si, a + off, v);
	(*accesses)++;
	ok = expect_events(match ? 1 : 0, rip, m->dr6 | match, "random access");
	if (match) {
		(*hits)++;
		m->dr6 = DR6_CLEAN; /* the handler's reset */
	}
	if (!ok)
		diag("  ^ %s of %u bytes at row %u + %u, expected DR6 bits %#lx",
		     store ? "store" : "load", 1u << si, k, off, match);
	return ok;
}

/* Disabled slots get R/W = 00 (execute) on data addresses: Intel may set
 * Bn for a matching disabled data breakpoint (SDM vol. 3B 18.2.3), which
 * would make DR6 undefined. */
static uint64_t random_dr7(void)
{
	uint64_t v = DR7_INIT | ((uint64_t)rndn(4) << 8);

	for (unsigned n = 0; n < 4; n++) {
		if (rndn(2))
			v |= (rndn(2) ? DR7_L(n) : DR7_G(n)) | DR7_RW(n, rndn(2) ? RW_WRITE : RW_RW) |
			     DR7_LEN(n, rndn(4));
		else
			v |= DR7_LEN(n, rndn(4));
	}
	return v;
}

/* Every register against the model; 1 when they agree. */
static int random_check(const struct rmodel *m, unsigned step, unsigned op)
{
	uint64_t got;

	for (unsigned n = 0; n < 4; n++)
		if ((got = rd_dr(n)) != m->dr[n])
			return eq(dr_name[n], got, m->dr[n], "step %u, after %s", step, op_names[op]);
	if ((got = rd_dr(6)) != (m->dr6 & (dr6_f1 | dr6_w)))
		return eq("dr6", got, m->dr6 & (dr6_f1 | dr6_w), "step %u, after %s", step,
			  op_names[op]);
	if ((got = rd_dr(7)) != m->dr7)
		return eq("dr7", got, m->dr7, "step %u, after %s", step, op_names[op]);
	return 1;
}

static void case_random(void)
{
	struct rmodel m = { .dr6 = DR6_CLEAN, .dr7 = DR7_INIT };
	unsigned step, hits = 0, accesses = 0, multi = 0, ops[8] = { 0 }, n;
	uint64_t exits = 0, v = DR7_INIT | DR7_GD;
	struct trap_info t;
	int ok = 1;

	dr_reset();
	rnd_gd = guest_try(dt_p_gd_detect, &v, &t);
	safe_dr_reset();
	rnd_rdmsr = !try_rdmsr(MSR_IA32_DEBUGCTL, &v, &t);
	rng = opt_seed ? opt_seed : DEFAULT_SEED;
	trap_set_mode(TRAP_DB, TRAP_RESUME);
	for (step = 0; step < opt_steps && ok; step++) {
		unsigned r = rndn(100), op = r < 15 ? OP_DRN : r < 25 ? OP_DR7 : r < 33 ? OP_DR6 :
					 r < 63 ? OP_ACCESS : r < 73 ? OP_EXITS :
					 r < 85 ? OP_TOGGLE : r < 93 ? OP_STEP : OP_GD;

		if (op == OP_GD && !rnd_gd)
			op = OP_STEP; /* the same draws follow natively and under drvisor */
		ops[op]++;
		if (op == OP_DRN) {
			n = rndn(4);
			v = rndn(2) ? addr_of(&rv[rndn(4)][0])
				    : 0xffff800000000000ull | (rnd() & 0x00007ffffffffff8ull);
			wr_dr(n, v);
			m.dr[n] = v;
		} else if (op == OP_DR7) {
			m.dr7 = random_dr7();
			wr_dr(7, m.dr7);
		} else if (op == OP_DR6) {
			/* Bits 11 and 16 written as 1: they read 1 whether or
			 * not the CPU has bus-lock detect or RTM. */
			m.dr6 = DR6_CLEAN | (rnd() & DR6_ALWAYS_W);
			wr_dr(6, m.dr6);
		} else if (op == OP_ACCESS) {
			ok = op_access(&m, &hits, &accesses, &multi);
		} else if (op == OP_EXITS) {
			unsigned cnt = 1 + rndn(32), kind = rndn(4);

			for (unsigned i = 0; i < cnt; i++)
				forced_exit(kind == 3 ? 0 : kind); /* timer waits: one at most */
			if (kind == 3)
				forced_exit(3);
			exits += cnt;
		} else if (op == OP_TOGGLE) {
			/* DR7 alone, DR0-3 untouched: off keeps the addresses, on
			 * brings the last enables back (Linux does this around
			 * every #DB and NMI). */
			if (m.dr7 & 0xff) {
				m.dr7_on = m.dr7;
				m.dr7 = DR7_INIT;
			} else if (m.dr7_on) {
				m.dr7 = m.dr7_on;
			}
			wr_dr(7, m.dr7);
		} else {
			/* With IF = 0, as case 5: an interrupt between the
			 * steps would add or hide a trap, and one taken with GD
			 * set would meet the firmware's MOV DR first. */
			uint64_t f = irq_save();

			dr6_before_db(&m);
			ok = op == OP_STEP ? op_step(&m) : op_gd(&m);
			irq_restore(f);
		}
		if (ok && rndn(4) == 0) {
			forced_exit(rndn(4));
			exits++;
		}
		if (ok && rndn(2))
			ok = random_check(&m, step, op);
		if (!ok)
			diag("  ^ seed %#lx step %u (%s); model dr0-3 %#lx %#lx %#lx %#lx dr6 %#lx dr7 %#lx",
			     opt_seed, step, op_names[op], m.dr[0], m.dr[1], m.dr[2], m.dr[3], m.dr6,
			     m.dr7);
	}
	if (ok && !random_check(&m, step, OP_EXITS))
		diag("  ^ seed %#lx, at the end", opt_seed);
	info("seed %#lx: %u steps, %u accesses (%u hit), %u multi-slot skipped, %lu exits; "
	     "toggles %u, steps %u, gd %u%s",
	     opt_seed, step, accesses, hits, multi, exits, ops[OP_TOGGLE], ops[OP_STEP], ops[OP_GD],
	     rnd_gd ? "" : " (no DR7.GD here: single steps instead)");
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ================ 12, 13: what a delivered #DB does ================ */
/* A #DB the CPU delivers clears DR7.GD (SDM vol. 3B 18.2.4), leaves DR6's
 * BD, BS and BT set by earlier events (only B0-B3 "may be cleared", 18.2.3;
 * what the emulators here do: Bochs and QEMU clear them) and clears
 * IA32_DEBUGCTL.LBR/BTF (18.4). A single-step trap after an instruction that
 * exits under drvisor is raised by drvisor, not by the CPU: these cases step
 * over the exiting instructions with those conditions set and check what the
 * #DB handler (dt_db_stub) sees. DEBUGCTL's part no emulator here shows
 * (tests/unit/test_db_delivery.c). */
struct step_run {
	const char *what;
	void (*fn)(void *);
	char *const *rips;
	unsigned count;
};

#define STEP_RUN(what, fn, rips) { what, fn, rips, sizeof(rips) / sizeof(rips[0]) }

/* The exiting instructions this platform lets the guest step over: CPUID,
 * RDMSR of IA32_DEBUGCTL (where it does not fault) and, under drvisor, the
 * hypercall. Returns how many went into runs[3]. */
static unsigned exiting_runs(struct step_run *runs)
{
	struct trap_info t;
	uint64_t v;
	unsigned n = 0;

	runs[n++] = (struct step_run)STEP_RUN("CPUID, CPUID, NOP", dt_ss_cpuid, ss_cpuid_rips);
	if (!try_rdmsr(MSR_IA32_DEBUGCTL, &v, &t))
		runs[n++] = (struct step_run)STEP_RUN("RDMSR of IA32_DEBUGCTL", run_ss_rdmsr,
						      ss_rdmsr_rips);
	if (under && hv.vendor == HV_VENDOR_AMD)
		runs[n++] = (struct step_run)STEP_RUN("VMMCALL (DV_HC_PING)", run_ss_vmmcall,
						      ss_vmmcall_rips);
	else if (under)
		runs[n++] = (struct step_run)STEP_RUN("VMCALL (DV_HC_PING)", run_ss_vmcall,
						      ss_vmcall_rips);
	else
		info("natively: no hypercall to step over");
	return n;
}

/* Steps s->fn with DR6 = dr6_in and DR7 = dr7_in set just before: one trap
 * per instruction, the first with DR6 = first_dr6, the later ones clean|BS
 * (the stub resets DR6), each seeing DR7 = dr7_seen, which DR7 still holds
 * afterwards. */
static void check_db_effects(const struct step_run *s, uint64_t dr6_in, uint64_t dr7_in,
			     uint64_t first_dr6, uint64_t dr7_seen)
{
	uint64_t f, got, dr7;
	struct trap_info t;
	int r;

	info("stepping: %s", s->what);
	f = irq_save();
	db_stub_install();
	wr_dr(6, dr6_in);
	wr_dr(7, dr7_in);
	r = guest_try(s->fn, 0, &t);
	db_stub_remove();
	irq_restore(f);
	got = dt_db_count;
	dr7 = safe_rd_dr7();
	safe_dr_reset();
	if (r) {
		FAIL("exception: expected none got %s at %#lx (%s)", trap_name(t.vector), t.rip,
		     s->what);
		return;
	}
	eq("dr7", dr7, dr7_seen, "after %s", s->what);
	if (!eq("#DB count", got, s->count, "%s", s->what)) {
		for (unsigned i = 0; i < got && i < DB_LOG_MAX && i < 4; i++)
			diag("  trap %u at %#lx dr6 %#lx dr7 %#lx", i, dt_db_rips[i], dt_db_dr6s[i],
			     dt_db_dr7s[i]);
		return;
	}
	for (unsigned i = 0; i < s->count; i++) {
		eq("rip", dt_db_rips[i], addr_of(s->rips[i]), "%s, trap %u", s->what, i + 1);
		eq("dr6", dt_db_dr6s[i], i ? DR6_CLEAN | DR6_BS : first_dr6, "%s, trap %u",
		   s->what, i + 1);
		eq("dr7", dt_db_dr7s[i], dr7_seen, "%s, trap %u", s->what, i + 1);
	}
}

static void case_gd_step(void)
{
	struct step_run runs[3];
	struct trap_info t;
	uint64_t v = DR7_INIT | DR7_GD;
	unsigned n;

	dr_reset();
	if (!guest_try(dt_p_gd_detect, &v, &t)) {
		safe_dr_reset();
		c_skip = "platform lacks DR7.GD (a MOV DR with DR7.GD set did not raise #DB)";
		return;
	}
	safe_dr_reset();
	n = exiting_runs(runs);
	for (unsigned i = 0; i < n; i++)
		check_db_effects(&runs[i], DR6_CLEAN, DR7_INIT | DR7_GD | DR7_GE,
				 DR6_CLEAN | DR6_BS, DR7_INIT | DR7_GE);
	dr_reset();
}

/* BT is left out: Bochs 2.7 clears it on every #DB (it keeps only BD and
 * BS), which the SDM does not allow and QEMU does not do. */
static void case_sticky_step(void)
{
	struct step_run runs[3];
	unsigned n;

	dr_reset();
	n = exiting_runs(runs);
	for (unsigned i = 0; i < n; i++)
		check_db_effects(&runs[i], DR6_CLEAN | DR6_BD | DR6_B(1), DR7_INIT | DR7_LE,
				 DR6_CLEAN | DR6_BD | DR6_BS, DR7_INIT | DR7_LE);
	dr_reset();
}

/* ======================= 14: DR7 re-armed across exits ======================= */
/* A breakpoint whose address was written once and whose DR7 enable is
 * turned off and on again around exits (Linux clears DR7 at every #DB and
 * NMI entry and restores it at the exit): on a bare CPU DR0-3 simply keep
 * the address, so the re-enabled watchpoint fires on the guest's own
 * variable. Under a hypervisor that keeps an idle guest's DR0-3 in memory
 * (the lazy policy), every MOV that can make them live again must be seen:
 * MOV to DR7, and MOV to DR5 with CR4.DE = 0 (which writes DR7, SDM vol.
 * 3B 18.2.2). The exit between the two is each kind a guest can cause: a
 * CPUID (drvisor's fast path when idle), a hypercall (the common path) and
 * an interrupt that wakes a HLT. Also in the other order, the one of issue
 * 13's intermittent case-4 failure: the address written, an exit, then DR7. */
static volatile uint64_t tv[4][4] __attribute__((aligned(64)));

enum { TX_CPUID, TX_HCALL, TX_HLT, TX_KINDS };
static const char *const tx_names[TX_KINDS] = { "a CPUID", "a hypercall", "an interrupt (HLT)" };

/* One exit of the kind asked for; natively the same instruction (CPUID for
 * the hypercall, where there is none). HLT only with IF = 1: it returns at
 * the firmware's next timer interrupt. */
static void toggle_exit(unsigned kind)
{
	if (kind == TX_HCALL && under)
		hv_call(DV_HC_PING, 0, 0, 0, 0);
	else if (kind == TX_HLT && (read_rflags() & RFLAGS_IF))
		__asm__ volatile("hlt" : : : "memory");
	else
		hv_cpuid(0, 0);
}

static uint64_t toggle_dr7(unsigned n)
{
	return DR7_INIT | DR7_L(n) | DR7_RW(n, RW_WRITE) | DR7_LEN(n, len_enc[3]);
}

/* Enable DR7 (through DR5 when via_dr5: CR4.DE is clear then) and store to
 * the watched cell: one #DB with B(n), and DRn still the address. */
static void toggle_hit(unsigned n, int via_dr5, const char *what, unsigned kind)
{
	uint64_t v = toggle_dr7(n), a = addr_of(&tv[n][1]), rip;

	if (via_dr5)
		dt_p_wr_dr5(&v);
	else
		wr_dr(7, v);
	trap_log_clear();
	rip = access(1, 3, a, 0x5a5a5a5a00000000ull | n);
	if (!expect_events(1, rip, DR6_CLEAN | DR6_B(n), what))
		diag("  ^ DR%u, exit: %s, DR7 written with MOV to %s", n, tx_names[kind],
		     via_dr5 ? "DR5" : "DR7");
	eq(dr_name[n], rd_dr(n), a, "%s, exit: %s", what, tx_names[kind]);
	eq("dr7", rd_dr(7), v, "%s, exit: %s", what, tx_names[kind]);
	wr_dr(7, DR7_INIT);
	wr_dr(6, DR6_CLEAN);
}

static void toggle_slot(unsigned n, int via_dr5, unsigned kind)
{
	dr_reset();
	wr_dr(n, addr_of(&tv[n][1]));
	toggle_exit(kind);
	toggle_hit(n, via_dr5, "address, exit, then DR7 on", kind);
	toggle_exit(kind);
	toggle_hit(n, via_dr5, "DR7 off, exit, DR7 on again, address untouched", kind);
	for (unsigned i = 0; i < 10; i++)
		toggle_exit(kind);
	toggle_hit(n, via_dr5, "DR7 off, ten exits, DR7 on again, address untouched", kind);
}

static void case_toggle(void)
{
	uint64_t f;
	unsigned n, kind;

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	for (kind = 0; kind < TX_KINDS; kind++)
		for (n = 0; n < 4; n++)
			toggle_slot(n, 0, kind);
	/* DR5 with CR4.DE = 0, as in case 7: interrupts off meanwhile, so no
	 * HLT here. */
	f = irq_save();
	saved_cr4 = read_cr4();
	cr4_changed = 1;
	write_cr4(saved_cr4 & ~CR4_DE);
	for (kind = 0; kind < TX_HLT; kind++)
		for (n = 0; n < 4; n++)
			toggle_slot(n, 1, kind);
	write_cr4(saved_cr4);
	cr4_changed = 0;
	irq_restore(f);
	dr_reset();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

/* ======================= driver ======================= */
struct tcase {
	const char *name;
	void (*fn)(void);
};

static const struct tcase cases[CASES] = {
	{ "fixed bits: DR6 bits 4-11 and 16-31 read 1 (per CPUID), DR7 bit 10 reads 1", case_fixed },
	{ "read-back: DR0-3 64-bit patterns, DR6/DR7 writable bits, bits 63:32 of DR6/DR7 raise #GP(0)",
	  case_readback },
	{ "instruction breakpoints on DR0-3: #DB at the instruction, exact DR6, RF resumes",
	  case_ibp },
	{ "data watchpoints on DR0-3: R/W 01 and 11, LEN 1/2/4/8, all four at once, exact DR6 and RIP",
	  case_wp },
	{ "single step with TF across ordinary and exiting instructions: DR6.BS, exact trap count",
	  case_ss },
	{ "general detect: MOV DR with DR7.GD raises #DB with DR6.BD and clears GD", case_gd },
	{ "DR4/DR5 alias DR6/DR7 with CR4.DE=0 and raise #UD with CR4.DE=1", case_dr45 },
	{ "IA32_DEBUGCTL: LBR/BTF read back, reserved bits raise #GP(0), BTF+TF traps on branches only",
	  case_debugctl },
	{ "persistence: DR0-3/DR6/DR7 unchanged and four watchpoints firing across forced exits",
	  case_persist },
	{ "isolation: guest sees only its own DRs, host reads raise no guest #DB, host watchpoint hits exact",
	  case_isolation },
	{ "seeded random sequence of DR writes, DR7 toggles, watchpoint hits, single steps, general detect "
	  "and forced exits matches the reference model",
	  case_random },
	{ "single step across exiting instructions with DR7.GD set: one #DB each, GD clear in the handler",
	  case_gd_step },
	{ "single step across exiting instructions keeps DR6.BD of an earlier event, clears B0-B3",
	  case_sticky_step },
	{ "DR7 re-armed (MOV to DR7, MOV to DR5) after exits with DR0-3 untouched: the watchpoint fires",
	  case_toggle },
};

static void case_tramp(void *arg)
{
	((const struct tcase *)arg)->fn();
}

static void run_case(const struct tcase *c)
{
	struct trap_info t;
	int r;

	c_fails = 0;
	c_diags = 0;
	c_skip = 0;
	r = guest_try(case_tramp, (void *)c, &t);
	cleanup();
	if (r)
		FAIL("unexpected %s error code %#lx at rip %#lx dr6 %#lx: case aborted",
		     trap_name(t.vector), t.error_code, t.rip, t.dr6);
	if (c_skip && !c_fails)
		tap_skip(c_skip, "%s", c->name);
	else
		tap_ok(!c_fails, "%s", c->name);
}

static void run_cases(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < CASES; i++)
		if (!opt_only || opt_only > CASES || opt_only == i + 1)
			run_case(&cases[i]);
}

/* The same cases on an AP (issue 14: every CPU keeps the contract), named
 * "cpu N: ..."; the AP runs them with interrupts off (the firmware's AP
 * loop), so case 14's interrupt exit is a CPUID there, as its toggle_exit
 * says. Cases an AP did not reach (its run ended early) are "not ok". */
static void run_on_ap(unsigned cpu)
{
	mp_run_tap(cpu, run_cases, opt_only && opt_only <= CASES ? 1 : CASES);
}

static void cpu_features(void)
{
	struct hv_cpuid_regs r = hv_cpuid(0, 0);

	if (r.eax >= 7) {
		r = hv_cpuid(7, 0);
		has_rtm = (r.ebx & CPUID_7_EBX_RTM) != 0;
		has_bld = (r.ecx & CPUID_7_ECX_BUS_LOCK_DETECT) != 0;
	}
	dr6_w = DR6_ALWAYS_W | (has_rtm ? DR6_RTM : 0) | (has_bld ? DR6_BLD : 0);
	dr6_f1 = DR6_CLEAN & ~dr6_w;
}

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_call_args c;

	serial_init();
	trap_install();
	mp_init(st);
	guest_option_u64(image, st, "exits", &opt_exits);
	guest_option_u64(image, st, "seed", &opt_seed);
	guest_option_u64(image, st, "steps", &opt_steps);
	guest_option_u64(image, st, "only", &opt_only);
	under = hv_detect(&hv);
	cpu_features();
	if (under)
		guest_printf("drtest: running under drvisor %u.%u (%s) on %s\n", hv.version >> 16,
			     hv.version & 0xffff, hv.vendor_half == DV_CPUID_VENDOR_SVM ? "svm" : "vmx",
			     hv_vendor_name(hv.vendor));
	else
		guest_printf("drtest: running natively on %s\n", hv_vendor_name(hv.vendor));
	guest_printf("# exits=%lu seed=%#lx steps=%lu only=%lu; CPUID: RTM %d, bus-lock detect %d; DR6 fixed-1 %#lx, "
		     "writable %#lx\n",
		     opt_exits, opt_seed, opt_steps, opt_only, has_rtm, has_bld, dr6_f1, dr6_w);
	tap_plan((opt_only && opt_only <= CASES ? 1 : CASES) * mp_cpus());
	run_cases(0);
	for (unsigned cpu = 1; cpu < mp_cpus(); cpu++)
		run_on_ap(cpu);

	if (under) {
		c = (struct hv_call_args){ .nr = DV_HC_HOST_WATCH, .rbx = DV_HOST_WATCH_QUERY };
		if (hcall(&c) && c.rax == DV_HC_OK)
			guest_printf("# host watch at the end: hits %lu, host dr7 %#lx, address %#lx\n",
				     c.out.rbx, c.out.rcx, c.out.rdx);
		c = (struct hv_call_args){ .nr = DV_HC_REPORT_STATS };
		hcall(&c);
		guest_printf("# drtest: caused cpuid=%lu hypercall=%lu\n", hv_counts()->cpuid,
			     hv_counts()->hypercall);
	}
	guest_printf("drtest: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
