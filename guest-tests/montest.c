/*
 * montest: the guest half of the monitor's integration test (issue 6),
 * driven by tests/integration/monitor_run.sh through drvctl on drvisor's
 * monitor port. It runs only under drvisor (natively nobody answers).
 *
 * The runner and the guest talk through the guest's own debug registers:
 * the runner writes a magic value into a DR through the monitor, the guest
 * polls that DR. Before each phase the guest prints a line the runner waits
 * for; every wait is bounded (MT_WAIT_S seconds of TSC, calibrated against
 * the firmware's Stall) and a timeout is a "not ok" naming what did not come.
 *
 *   phase 1 (dr-readback)  waits for DR0 == MT_MAGIC_A (written by the
 *            runner), then writes DR1 = &mt_dr1_target and DR7 = MT_GUEST_DR7
 *            itself and prints them; the runner reads them back through the
 *            monitor and acknowledges with DR2 = MT_MAGIC_A_ACK.
 *   phase 2 (watchpoint)   prints the address of a 4-byte variable; the runner
 *            arms DR0 = that address, DR7 = MT_WATCH_DR7 (L0, R/W0 = 01,
 *            LEN0 = 11) through the monitor; once the guest reads them back it
 *            writes the variable: one #DB at the instruction after the store
 *            with DR6 exactly 0xffff0ff1. Under QEMU TCG (load option
 *            platform=qemu, given by the runner) the case is a SKIP: QEMU
 *            never arms a breakpoint that is only in the VMCB's DR7.
 *   phase 3 (step)         with interrupts off, runs mt_count_loop (below):
 *            the runner pauses, reads R12 and RIP twice, steps 10 and checks
 *            both against a simulation of the loop, then lets it go and ends
 *            it with DR3 = MT_MAGIC_C. The guest checks it saw no #DB, no TF
 *            and an untouched DR6.
 *   phase 4 (spin)         spins with interrupts off and no exiting
 *            instruction (mt_spin_loop) while the runner times monitor
 *            replies; the runner ends it with DR3 = MT_MAGIC_D (on SVM, where
 *            nothing makes such a guest exit, QEMU and Bochs ryzen, the spin
 *            ends by itself after MT_SPIN_QEMU_S seconds: a SKIP).
 *   phase 5 (errors)       waits (interrupts on, CPUID exits) while the runner
 *            sends bad input; ends on DR3 = MT_MAGIC_E.
 *   phase 6 (step-exit)    phase 3's loop again (ended by DR3 = MT_MAGIC_F):
 *            the runner steps across the CPUID, an instruction drvisor
 *            intercepts and emulates in the middle of its step. A #DB leaking
 *            into the guest ends the program ("Bail out!").
 *   phase 7 (step-dr6)     mt_dr6_loop (ended by DR3 = MT_MAGIC_G), stepped
 *            by the runner across the guest's own MOV to DR6, with DR6 always
 *            holding sticky bits (BD, BT and one of B0/B1, which the loop
 *            writes itself, a different one each round), DR0 enabled on a
 *            variable nobody touches and DR2 on the variable the loop
 *            stores to, but not enabled. No native run can have a monitor;
 *            what is asserted is exactly what the bare CPU does with this
 *            loop, steps or none: no #DB at all (nothing enabled matches,
 *            the guest's TF is clear; a sticky bit or the B2 a #DB may set
 *            for a matching disabled breakpoint, SDM vol. 3B 18.2.3, is no
 *            #DB of its own), and DR6 is what the last MOV to DR6 wrote
 *            (nothing else writes DR6 without a #DB). The guest checks it
 *            after the loop; the runner checks DR6 after its steps against
 *            its simulation of the loop.
 *
 *   phase 8 (tsc)          moves its TSC backwards (WRMSR IA32_TSC of 2^20,
 *            by all the time since reset), checks that RDTSC reads the value
 *            written (as natively), and waits with CPUID exits for DR3 = MT_MAGIC_G from
 *            the runner: the monitor must still answer; then the same with
 *            the TSC moved far forwards (2^50, MT_MAGIC_H). Each time the TSC
 *            is put back on the firmware's timeline afterwards.
 *
 *   phase 9 (ap-step)      phase 3's loop on the first application processor
 *            (vCPU 1, run there through the firmware's MP services while the
 *            boot CPU waits in them): the runner selects vCPU 1 and pauses,
 *            steps and resumes it as in phase 3 while the monitor is served
 *            by whichever CPU holds it; ends on vCPU 1's DR3 = MT_MAGIC_I.
 *            With one CPU: "phase 9 skipped" (the runner then checks it was
 *            started with one).
 *
 * Load option phases=smp: phase 1 (the handshake), then phase 9 only.
 *
 * Lines for the runner (COM1): "montest: phase N ready ..." and the TAP
 * stream; "montest: running under drvisor" or "montest: not under drvisor".
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define MT_MAGIC_A     0x00006d6f6e740a01ul /* "mont" 0a01: all canonical */
#define MT_MAGIC_A_ACK 0x00006d6f6e740a02ul
#define MT_MAGIC_C     0x00006d6f6e740c01ul
#define MT_MAGIC_D     0x00006d6f6e740d01ul
#define MT_MAGIC_E     0x00006d6f6e740e01ul
#define MT_MAGIC_F     0x00006d6f6e740f01ul
#define MT_MAGIC_G     0x00006d6f6e741001ul
#define MT_MAGIC_H     0x00006d6f6e741101ul
#define MT_MAGIC_I     0x00006d6f6e741201ul
#define MT_TSC_LOW     (1ul << 20)
#define MT_TSC_FORWARD (1ul << 50)
#define MSR_IA32_TSC   0x10u
/* DR7 the guest writes in phase 1: L1, R/W1 = 01 (write), LEN1 = 11 (4
 * bytes), bit 10; DR1 points at a variable nobody writes. */
#define MT_GUEST_DR7   0x0000000000d00404ul
/* DR7 the runner writes in phase 2: L0, R/W0 = 01, LEN0 = 11, bit 10. */
#define MT_WATCH_DR7   0x00000000000d0401ul
/* DR7 of phase 7: L0, R/W0 = 01, LEN0 = 11; R/W2 = 01, LEN2 = 11 with L2
 * and G2 clear (a disabled breakpoint); bit 10. */
#define MT_STEP_DR7    0x000000000d0d0401ul
#define DR7_INIT       0x400ul
#define DR6_CLEAN      0xffff0ff0ul
#define DR6_B0         0x1ul
#define DR6_B2         0x4ul
#define DR6_BD         (1ul << 13)
#define DR6_BT         (1ul << 15)
/* Phase 7: the loop writes DR6 = MT_DR6_BASE | (R12 & 3). */
#define MT_DR6_BASE    (DR6_CLEAN | DR6_BD | DR6_BT)
#define RFLAGS_TF      (1ul << 8)
#define MT_WAIT_S      30     /* each wait for the runner */
#define MT_SPIN_S      120    /* phase 4 safety bound where the runner ends it */
#define MT_SPIN_QEMU_S 3      /* phase 4 under QEMU TCG: nothing can end it early */

#define QEMU_SKIP_DR7 \
	"QEMU 7.2 TCG: a breakpoint written only into the VMCB's DR7 is never armed " \
	"(DESIGN.md quirk table); Bochs is the reference"
#define QEMU_SKIP_SPIN \
	"QEMU 7.2 TCG: a guest spinning with interrupts off causes no exit (VMRUN with " \
	"V_IRQ aborts QEMU, arch-x86/svm/svm.c qemu_tcg_virq_bug)"
/* Measured on Bochs ryzen: 19 interrupt exits in a whole montest run, none
 * during the spin within the runner's 20 s. */
#define SVM_SKIP_SPIN \
	"SVM: drvisor has no exit of its own for a guest spinning with interrupts off " \
	"(no preemption timer; only a physical interrupt exits it, and the firmware's timer " \
	"barely ticks on Bochs ryzen)"

#define QEMU_SKIP_TSC \
	"QEMU 7.2 TCG ignores WRMSR IA32_TSC (RDTSC keeps counting; natively too: " \
	"isolation's TSC case); the monitor must answer all the same"

/* The loops of phases 3 and 4, in assembly so that the runner can simulate
 * them instruction by instruction (tests/integration/monitor_run.sh keeps
 * the same table: offset, length, change of R12). R12 is the counter.
 *
 * uint64_t mt_count_loop(uint64_t magic, uint64_t tsc_deadline, uint64_t *ended)
 *   loops until DR3 == magic (*ended = 1) or the TSC passes the deadline
 *   (*ended = 0); returns R12, the number of iterations times 4.
 * uint64_t mt_spin_loop(uint64_t magic, uint64_t tsc_deadline, uint64_t *ended)
 *   the same without the CPUID: no instruction in it exits. */
uint64_t mt_count_loop(uint64_t magic, uint64_t deadline, uint64_t *ended);
uint64_t mt_spin_loop(uint64_t magic, uint64_t deadline, uint64_t *ended);
void mt_store(volatile uint32_t *p);
/* uint64_t mt_dr6_loop(uint64_t magic, uint64_t tsc_deadline, uint64_t *ended,
 *                      volatile uint32_t *store, uint64_t dr6_base)
 *   mt_count_loop's shape (its CPUID too), with a MOV to DR6 of
 *   dr6_base | (R12 & 3) and a store to *store each round; returns R12. */
uint64_t mt_dr6_loop(uint64_t magic, uint64_t deadline, uint64_t *ended, volatile uint32_t *store,
		     uint64_t dr6_base);
extern char mt_count_top[], mt_count_end[], mt_spin_top[], mt_spin_end[], mt_store_after[],
	mt_dr6_top[], mt_dr6_end[];

__asm__(".text\n"
	".globl mt_count_loop, mt_count_top, mt_count_end\n"
	"mt_count_loop:\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	mov %rdx, %r8\n"
	"	movq $0, (%r8)\n"
	"	xor %r12d, %r12d\n"
	"mt_count_top:\n"
	"3:\n"
	"	xor %eax, %eax\n"       /* +0  2 bytes */
	"	cpuid\n"                /* +2  2: exits on both vendors */
	"	inc %r12\n"             /* +4  3 */
	"	inc %r12\n"             /* +7  3 */
	"	inc %r12\n"             /* +10 3 */
	"	inc %r12\n"             /* +13 3 */
	"	mov %dr3, %rax\n"       /* +16 3 */
	"	cmp %rdi, %rax\n"       /* +19 3 */
	"	je 1f\n"                /* +22 2 */
	"	rdtsc\n"                /* +24 2 */
	"	shl $32, %rdx\n"        /* +26 4 */
	"	or %rdx, %rax\n"        /* +30 3 */
	"	cmp %rsi, %rax\n"       /* +33 3 */
	"	jb 3b\n"                /* +36 2 */
	"mt_count_end:\n"
	"	jmp 2f\n"
	"1:	movq $1, (%r8)\n"
	"2:	mov %r12, %rax\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	ret\n"
	".globl mt_spin_loop, mt_spin_top, mt_spin_end\n"
	"mt_spin_loop:\n"
	"	push %r12\n"
	"	mov %rdx, %r8\n"
	"	movq $0, (%r8)\n"
	"	xor %r12d, %r12d\n"
	"mt_spin_top:\n"
	"3:\n"
	"	inc %r12\n"
	"	mov %dr3, %rax\n"
	"	cmp %rdi, %rax\n"
	"	je 1f\n"
	"	rdtsc\n"
	"	shl $32, %rdx\n"
	"	or %rdx, %rax\n"
	"	cmp %rsi, %rax\n"
	"	jb 3b\n"
	"mt_spin_end:\n"
	"	jmp 2f\n"
	"1:	movq $1, (%r8)\n"
	"2:	mov %r12, %rax\n"
	"	pop %r12\n"
	"	ret\n"
	".globl mt_dr6_loop, mt_dr6_top, mt_dr6_end\n"
	"mt_dr6_loop:\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	mov %rcx, %r10\n"
	"	mov %r8, %r9\n"
	"	mov %rdx, %r8\n"
	"	movq $0, (%r8)\n"
	"	xor %r12d, %r12d\n"
	"mt_dr6_top:\n"
	"3:\n"
	"	xor %eax, %eax\n"      /* +0  2 */
	"	cpuid\n"               /* +2  2: QEMU serves the monitor on exits */
	"	mov %r12d, %eax\n"     /* +4  3 */
	"	and $3, %eax\n"        /* +7  3 */
	"	or %r9, %rax\n"        /* +10 3 */
	"	mov %rax, %dr6\n"      /* +13 3: DR6 = base | (R12 & 3) */
	"	movl $1, (%r10)\n"     /* +16 7: DR2 matches, disabled */
	"	inc %r12\n"            /* +23 3 */
	"	mov %dr3, %rax\n"      /* +26 3 */
	"	cmp %rdi, %rax\n"      /* +29 3 */
	"	je 1f\n"               /* +32 2 */
	"	rdtsc\n"               /* +34 2 */
	"	shl $32, %rdx\n"       /* +36 4 */
	"	or %rdx, %rax\n"       /* +40 3 */
	"	cmp %rsi, %rax\n"      /* +43 3 */
	"	jb 3b\n"               /* +46 2 */
	"mt_dr6_end:\n"
	"	jmp 2f\n"
	"1:	movq $1, (%r8)\n"
	"2:	mov %r12, %rax\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	ret\n"
	".globl mt_store, mt_store_after\n"
	"mt_store:\n"
	"	movl $1, (%rdi)\n"
	"mt_store_after:\n"
	"	ret\n");

static uint64_t tsc_hz;
static int on_qemu; /* load option platform=qemu */
static int on_svm;  /* drvisor says it runs on SVM */
static volatile uint32_t mt_dr1_target __attribute__((aligned(8)));
static volatile uint32_t mt_watched __attribute__((aligned(8)));
static volatile uint32_t mt_untouched __attribute__((aligned(8)));
static volatile uint32_t mt_stored __attribute__((aligned(8)));

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

#define RD_DR(n)                                                         \
	static uint64_t rd_dr##n(void)                                   \
	{                                                                \
		uint64_t v;                                              \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static void wr_dr##n(uint64_t v)                                 \
	{                                                                \
		__asm__ volatile("mov %0, %%dr" #n : : "r"(v) : "memory"); \
	}
RD_DR(0)
RD_DR(1)
RD_DR(2)
RD_DR(3)
RD_DR(6)
RD_DR(7)

static uint64_t addr_of(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t deadline(unsigned seconds)
{
	return rdtsc() + tsc_hz * seconds;
}

static void announce(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void announce(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
	serial_flush();
}

/* Waits, interrupts on and one CPUID exit per round (QEMU serves the monitor
 * only on the guest's exits), until rd() == want. 0 on timeout. */
static int wait_dr(uint64_t (*rd)(void), uint64_t want, unsigned seconds)
{
	uint64_t end = deadline(seconds);

	while (rdtsc() < end) {
		if (rd() == want)
			return 1;
		hv_cpuid(0, 0);
	}
	return rd() == want;
}

static void phase1_readback(void)
{
	int got;

	announce("montest: phase 1 ready: waiting for dr0=0x%016lx\n", MT_MAGIC_A);
	got = wait_dr(rd_dr0, MT_MAGIC_A, MT_WAIT_S);
	if (!tap_ok(got, "phase 1: the guest reads the DR0 the monitor wrote (%#lx)", MT_MAGIC_A)) {
		guest_printf("# timeout after %u s: dr0=0x%016lx\n", MT_WAIT_S, rd_dr0());
		tap_skip("phase 1 did not start", "phase 1: the runner read back the guest's DR1/DR7");
		return;
	}
	wr_dr1(addr_of(&mt_dr1_target));
	wr_dr7(MT_GUEST_DR7);
	announce("montest: phase 1 wrote dr1=0x%016lx dr7=0x%016lx; waiting for dr2=0x%016lx\n",
		 rd_dr1(), rd_dr7(), MT_MAGIC_A_ACK);
	got = wait_dr(rd_dr2, MT_MAGIC_A_ACK, MT_WAIT_S);
	if (!tap_ok(got, "phase 1: the runner read back the guest's DR1/DR7 and acknowledged"))
		guest_printf("# timeout after %u s: dr2=0x%016lx\n", MT_WAIT_S, rd_dr2());
	wr_dr7(DR7_INIT);
	wr_dr0(0);
	wr_dr1(0);
	wr_dr2(0);
}

static int armed(void)
{
	return rd_dr0() == addr_of(&mt_watched) && rd_dr7() == MT_WATCH_DR7;
}

static void phase2_watchpoint(void)
{
	uint64_t end;
	int got = 0;
	const struct trap_info *e;

	mt_watched = 0;
	wr_dr6(DR6_CLEAN);
	announce("montest: phase 2 ready: watch=0x%016lx dr7=0x%016lx\n", addr_of(&mt_watched),
		 MT_WATCH_DR7);
	end = deadline(MT_WAIT_S);
	while (!(got = armed()) && rdtsc() < end)
		hv_cpuid(0, 0);
	if (!got) {
		tap_ok(0, "phase 2: the monitor armed a watchpoint on the guest's variable");
		guest_printf("# timeout after %u s: dr0=0x%016lx dr7=0x%016lx, expected 0x%016lx "
			     "0x%016lx\n",
			     MT_WAIT_S, rd_dr0(), rd_dr7(), addr_of(&mt_watched), MT_WATCH_DR7);
		return;
	}
	trap_set_mode(TRAP_DB, TRAP_RESUME);
	trap_log_clear();
	mt_store(&mt_watched);
	trap_set_mode(TRAP_DB, TRAP_ABORT);
	e = trap_log_get(0);
	guest_printf("montest: phase 2 result: events=%u vector=%lu rip=%#lx dr6=0x%016lx "
		     "(expected 1 #DB at %#lx, dr6=0x%016lx)\n",
		     trap_log_count(), e ? e->vector : ~0ul, e ? e->rip : 0, e ? e->dr6 : 0,
		     addr_of(mt_store_after), DR6_CLEAN | DR6_B0);
	wr_dr7(DR7_INIT);
	wr_dr0(0);
	if (on_qemu) {
		tap_skip(QEMU_SKIP_DR7, "phase 2: a watchpoint armed by the monitor traps in the "
					"guest with DR6 exactly %#lx",
			 DR6_CLEAN | DR6_B0);
		return;
	}
	tap_ok(trap_log_count() == 1 && e && e->vector == TRAP_DB &&
		       e->rip == addr_of(mt_store_after) && e->dr6 == (DR6_CLEAN | DR6_B0),
	       "phase 2: a watchpoint armed by the monitor traps in the guest with DR6 exactly %#lx",
	       DR6_CLEAN | DR6_B0);
}

static void phase_step(unsigned phase, uint64_t magic, const char *what)
{
	uint64_t count, ended, dr6, fl;

	wr_dr6(DR6_CLEAN);
	trap_log_clear();
	announce("montest: phase %u ready: loop=0x%016lx end=0x%016lx\n", phase,
		 addr_of(mt_count_top), addr_of(mt_count_end));
	__asm__ volatile("cli");
	count = mt_count_loop(magic, deadline(MT_WAIT_S * 4), &ended);
	fl = rflags();
	__asm__ volatile("sti");
	dr6 = rd_dr6();
	guest_printf("montest: phase %u done: r12=%lu ended=%s dr6=0x%016lx rflags=%#lx\n", phase,
		     count, ended ? "dr3" : "timeout", dr6, fl);
	tap_ok(ended && dr6 == DR6_CLEAN && !(fl & RFLAGS_TF) && trap_log_count() == 0,
	       "phase %u: %s, ended by DR3; no #DB, TF or DR6 trace in the guest", phase, what);
	if (!ended)
		guest_printf("# timeout after %u s: dr3=0x%016lx\n", MT_WAIT_S * 4, rd_dr3());
	wr_dr3(0);
}

/* Phase 9's loop, run on an AP: its result for the BSP to report. */
struct ap_loop {
	uint64_t magic, deadline, count, ended, rflags, dr6;
};

static void ap_count(void *arg)
{
	struct ap_loop *a = arg;

	wr_dr6(DR6_CLEAN);
	a->count = mt_count_loop(a->magic, a->deadline, &a->ended);
	a->rflags = rflags();
	a->dr6 = rd_dr6();
	wr_dr3(0);
}

static void phase9_ap_step(void)
{
	static const char what[] = "phase 9: the loop on AP 1 (vcpu 1), paused, stepped and "
				   "resumed by the monitor, ended by its DR3; no #DB, TF or DR6 trace";
	struct ap_loop a = { .magic = MT_MAGIC_I };
	struct trap_info t;
	enum mp_result r;

	if (mp_cpus() < 2) {
		guest_printf("montest: phase 9 skipped: one CPU\n");
		tap_skip("one CPU: no application processor to run the loop on", "%s", what);
		return;
	}
	announce("montest: phase 9 ready: loop=0x%016lx end=0x%016lx\n", addr_of(mt_count_top),
		 addr_of(mt_count_end));
	a.deadline = deadline(MT_WAIT_S * 4);
	r = mp_run(1, ap_count, &a, (MT_WAIT_S * 4 + 30) * 1000000ul, &t);
	guest_printf("montest: phase 9 done: r12=%lu ended=%s run=%s dr6=0x%016lx rflags=%#lx\n",
		     a.count, a.ended ? "dr3" : "timeout", mp_result_name(r), a.dr6, a.rflags);
	tap_ok(r == MP_DONE && a.ended && a.dr6 == DR6_CLEAN && !(a.rflags & RFLAGS_TF), "%s",
	       what);
}

static void phase7_step_dr6(void)
{
	uint64_t count, ended, dr6, fl, want;

	wr_dr0(addr_of(&mt_untouched));
	/* Not on VMX: Bochs 2.7 saves a disabled breakpoint's match as a
	 * pending debug exception with "enabled breakpoint" set at every VM
	 * exit, and the next entry delivers it to the guest (seen here: a #DB
	 * per store of this loop, stepped or not; docs/emulator-quirks.md). */
	if (on_svm)
		wr_dr2(addr_of(&mt_stored));
	else
		guest_printf("# phase 7 on VMX: DR2 left 0 (Bochs 2.7 VMX delivers disabled "
			     "breakpoint matches as #DBs after VM exits)\n");
	wr_dr7(MT_STEP_DR7);
	wr_dr6(DR6_CLEAN | DR6_BD | DR6_BT | DR6_B2);
	mt_stored = 0;
	trap_set_mode(TRAP_DB, TRAP_RESUME);
	trap_log_clear();
	announce("montest: phase 7 ready: loop=0x%016lx end=0x%016lx\n", addr_of(mt_dr6_top),
		 addr_of(mt_dr6_end));
	__asm__ volatile("cli");
	count = mt_dr6_loop(MT_MAGIC_G, deadline(MT_WAIT_S * 4), &ended, &mt_stored, MT_DR6_BASE);
	fl = rflags();
	__asm__ volatile("sti");
	dr6 = rd_dr6();
	trap_set_mode(TRAP_DB, TRAP_ABORT);
	want = MT_DR6_BASE | ((count - 1) & 3);
	guest_printf("montest: phase 7 done: r12=%lu ended=%s dr6=0x%016lx (expected 0x%016lx) "
		     "#DBs=%u rflags=%#lx\n",
		     count, ended ? "dr3" : "timeout", dr6, want, trap_log_count(), fl);
	if (trap_log_count())
		guest_printf("# first #DB at %#lx dr6=0x%016lx\n", trap_log_get(0)->rip,
			     trap_log_get(0)->dr6);
	tap_ok(ended && count && dr6 == want && !(fl & RFLAGS_TF) && trap_log_count() == 0 &&
		       mt_stored == 1,
	       "phase 7: stepped by the monitor across the guest's MOV to DR6 with sticky DR6 bits "
	       "and a disabled matching breakpoint: no #DB, DR6 as the guest wrote it");
	if (!ended)
		guest_printf("# timeout after %u s: dr3=0x%016lx\n", MT_WAIT_S * 4, rd_dr3());
	wr_dr7(DR7_INIT);
	wr_dr0(0);
	wr_dr2(0);
	wr_dr3(0);
	wr_dr6(DR6_CLEAN);
}

static void phase4_spin(void)
{
	uint64_t count, ended, t0, t1;
	unsigned secs = on_qemu || on_svm ? MT_SPIN_QEMU_S : MT_SPIN_S;

	announce("montest: phase 4 ready: spinning with interrupts off for at most %u s, "
		 "loop=0x%016lx\n",
		 secs, addr_of(mt_spin_top));
	__asm__ volatile("cli");
	t0 = rdtsc();
	count = mt_spin_loop(MT_MAGIC_D, t0 + tsc_hz * secs, &ended);
	t1 = rdtsc();
	__asm__ volatile("sti");
	guest_printf("montest: phase 4 done: spun %lu ms (guest TSC) rounds=%lu ended=%s\n",
		     (t1 - t0) * 1000 / tsc_hz, count, ended ? "dr3" : "timeout");
	if (on_qemu || on_svm)
		tap_skip(on_qemu ? QEMU_SKIP_SPIN : SVM_SKIP_SPIN,
			 "phase 4: the runner ends a spin with interrupts off");
	else if (!tap_ok(ended, "phase 4: the runner ends a spin with interrupts off (DR3)"))
		guest_printf("# timeout after %u s: dr3=0x%016lx\n", secs, rd_dr3());
	wr_dr3(0);
}

static void phase5_errors(void)
{
	int got;

	announce("montest: phase 5 ready: waiting for dr3=0x%016lx\n", MT_MAGIC_E);
	got = wait_dr(rd_dr3, MT_MAGIC_E, MT_WAIT_S * 4);
	if (!tap_ok(got, "phase 5: the runner's bad input done, DR3 signal seen"))
		guest_printf("# timeout after %u s: dr3=0x%016lx\n", MT_WAIT_S * 4, rd_dr3());
}

static void wrmsr_tsc(uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(MSR_IA32_TSC), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* Set the TSC to target and wait for DR3 == magic. A WRMSR of IA32_TSC
 * sets the counter, so RDTSC right after reads the value written plus the
 * few ticks since (SDM vol. 3B 18.17). wait_dr measures from the TSC as it
 * now is. Afterwards the TSC goes back on the firmware's timeline. */
static void phase8_move(const char *how, uint64_t target, uint64_t magic)
{
	uint64_t before = rdtsc(), after;
	int got;

	wrmsr_tsc(target);
	after = rdtsc();
	announce("montest: phase 8 ready: tsc moved %s to 0x%016lx, reads 0x%016lx; "
		 "waiting for dr3=0x%016lx\n", how, target, after, magic);
	got = wait_dr(rd_dr3, magic, MT_WAIT_S * 4);
	wrmsr_tsc(before + (rdtsc() - target));
	if (on_qemu)
		tap_skip(QEMU_SKIP_TSC, "phase 8: RDTSC after WRMSR IA32_TSC (%s) reads the value "
			 "written", how);
	else if (!tap_ok(after - target < tsc_hz, "phase 8: RDTSC after WRMSR IA32_TSC (%s) reads "
			      "the value written", how))
		guest_printf("# wrote 0x%016lx, read 0x%016lx\n", target, after);
	if (!tap_ok(got, "phase 8: the monitor still answers after the guest moved its TSC %s "
			 "(DR3)", how))
		guest_printf("# timeout after %u s: dr3=0x%016lx\n", MT_WAIT_S * 4, rd_dr3());
	wr_dr3(0);
}

/* Back to MT_TSC_LOW, about where it stood after reset, so by all the time
 * since the boot (an absolute deadline would then lie that far ahead); then
 * forward by MT_TSC_FORWARD. */
static void phase8_tsc(void)
{
	phase8_move("back", MT_TSC_LOW, MT_MAGIC_G);
	phase8_move("forward", rdtsc() + MT_TSC_FORWARD, MT_MAGIC_H);
}

/* TSC ticks per second against the firmware's Stall (emulated time on
 * Bochs with clock: sync=none, like everything the guest measures). */
static void calibrate(EFI_SYSTEM_TABLE *st)
{
	uint64_t t0 = rdtsc();

	uefi_call_wrapper(st->BootServices->Stall, 1, 100000);
	tsc_hz = (rdtsc() - t0) * 10;
	if (tsc_hz < 1000000)
		tsc_hz = 1000000;
}

/* Not EFIAPI: see hello.c. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	int smp_only;
	struct hv_info hv;

	serial_init();
	trap_install();
	/* platform=qemu among the load options (drvisor's next_args) */
	on_qemu = guest_option_is(image, st, "platform=qemu");
	calibrate(st);
	mp_init(st);
	if (!hv_detect(&hv)) {
		guest_printf("montest: not under drvisor: nothing answers on a monitor here\n");
		tap_plan(0);
		guest_exit(1);
	}
	on_svm = hv.vendor_half == DV_CPUID_VENDOR_SVM;
	guest_printf("montest: running under drvisor (%s), tsc_hz=%lu%s\n",
		     hv_vendor_name(hv.vendor), tsc_hz, on_qemu ? ", platform=qemu" : "");
	smp_only = guest_option_is(image, st, "phases=smp");
	tap_plan(smp_only ? 3 : 13);
	phase1_readback();
	if (!smp_only) {
		phase2_watchpoint();
		phase_step(3, MT_MAGIC_C, "paused, stepped and resumed by the monitor");
		phase4_spin();
		phase5_errors();
		phase_step(6, MT_MAGIC_F, "stepped by the monitor across a CPUID (an exit)");
		phase7_step_dr6();
		phase8_tsc();
	}
	phase9_ap_step();
	wr_dr7(DR7_INIT);
	guest_printf("montest: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
