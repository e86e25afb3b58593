/*
 * traps: the self-test of the guest library's own IDT and guest_try()
 * (lib/trap.c), natively and under drvisor. Every other test trusts this
 * machinery to report an exception's vector, error code and RIP, so it is
 * checked here against exceptions whose answer the architecture fixes:
 *
 * - TRAP_ABORT: #UD, #GP(0), #PF (with CR2), #DE, #BP (a trap: RIP after
 *   the INT3) unwind to guest_try(), nested tries unwind to the innermost,
 *   and RFLAGS.IF is as it was at the try;
 * - TRAP_RESUME: INT3, a TF single step, a data write breakpoint and an
 *   instruction breakpoint are logged (with DR6) and the code goes on, each
 *   exactly once;
 * - the firmware's timer interrupt still reaches the firmware through our
 *   IDT (an EFI timer event fires), and trap_uninstall() gives the
 *   firmware's IDTR back.
 */
#include <efi.h>
#include <efilib.h>

#include "guest-tests/lib/guest.h"

#define NONCANONICAL 0x8000000000000000ull
#define UNMAPPED_HIGH_HALF 0xffff800000000000ull /* OVMF maps the low half only */
#define PF_ERR_PRESENT 1ull
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_TF (1ull << 8)
#define DR6_B0 (1ull << 0)
#define DR6_BS (1ull << 14)
#define DR7_INIT 0x400ull
#define DR7_L0 (1ull << 0)
#define DR7_RW0_WRITE (1ull << 16) /* R/W0 = 01, LEN0 = 00 (1 byte) */
#define TIMER_TICKS_100NS 10000    /* a 1 ms EFI timer */
#define TIMER_WAIT_MS 2000

/* traps_probes.asm */
void tp_ud2(void *);
void tp_read(void *addr);
void tp_div0(void *);
void tp_int3(void *);
void tp_step(void *);
void tp_store(void *addr);
void tp_exec(void *);
extern char tp_div0_insn[], tp_int3_after[], tp_step_trap[], tp_store_after[];

static uint64_t addr_of(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void nothing(void *arg)
{
	(void)arg;
}

static void set_dr0_dr7(uint64_t dr0, uint64_t dr7)
{
	__asm__ volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(dr0), "r"(dr7) : "memory");
}

static uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

static void expect(void (*fn)(void *), void *arg, const char *what, uint64_t vector,
		   uint64_t rip, int check_err, uint64_t err)
{
	struct trap_info t;
	int r = guest_try(fn, arg, &t);
	int ok = r == 1 && t.vector == vector && t.rip == rip && (!check_err || t.error_code == err);

	if (!tap_ok(ok, "%s raises %s at %#lx", what, trap_name(vector), rip))
		guest_printf("# returned %d: %s error code %#lx rip %#lx\n", r, trap_name(t.vector),
			     t.error_code, t.rip);
}

static void check_pf(void)
{
	struct trap_info t;
	uint64_t a = UNMAPPED_HIGH_HALF;
	int r = guest_try(tp_read, (void *)(uintptr_t)a, &t);

	if (!tap_ok(r == 1 && t.vector == TRAP_PF && t.cr2 == a && t.rip == addr_of(tp_read) &&
			    !(t.error_code & PF_ERR_PRESENT),
		    "read of unmapped %#lx raises #PF with CR2 and a not-present error code", a))
		guest_printf("# returned %d: %s error code %#lx rip %#lx cr2 %#lx\n", r,
			     trap_name(t.vector), t.error_code, t.rip, t.cr2);
}

struct nested {
	int inner_r;
	struct trap_info inner;
};

static void nested_body(void *arg)
{
	struct nested *n = arg;

	n->inner_r = guest_try(tp_ud2, 0, &n->inner);
	tp_read((void *)(uintptr_t)NONCANONICAL);
}

static void check_nested(void)
{
	struct nested n = { 0 };
	struct trap_info outer;
	int r = guest_try(nested_body, &n, &outer);

	if (!tap_ok(n.inner_r == 1 && n.inner.vector == TRAP_UD && r == 1 &&
			    outer.vector == TRAP_GP,
		    "nested guest_try: the inner one gets #UD, the outer one #GP"))
		guest_printf("# inner %d %s, outer %d %s\n", n.inner_r, trap_name(n.inner.vector), r,
			     trap_name(outer.vector));
}

static void check_if_restored(void)
{
	uint64_t before, after;

	__asm__ volatile("sti");
	before = read_rflags();
	guest_try(tp_ud2, 0, 0);
	after = read_rflags();
	tap_ok((before & RFLAGS_IF) && (after & RFLAGS_IF),
	       "RFLAGS.IF is back after an aborted guest_try (before %#lx, after %#lx)", before,
	       after);
}

/* One TRAP_RESUME event, at rip, with dr6_bits set in DR6 (for #DB). */
static int one_event(uint64_t vector, uint64_t rip, uint64_t dr6_bits)
{
	const struct trap_info *e = trap_log_get(0);
	int ok = trap_log_count() == 1 && e && e->vector == vector && e->rip == rip &&
		 (e->dr6 & dr6_bits) == dr6_bits;

	if (!ok)
		guest_printf("# %u event(s); first: %s rip %#lx dr6 %#lx; expected %s rip %#lx\n",
			     trap_log_count(), e ? trap_name(e->vector) : "-", e ? e->rip : 0,
			     e ? e->dr6 : 0, trap_name(vector), rip);
	return ok;
}

static void check_resume_bp(void)
{
	int r;

	trap_set_mode(TRAP_BP, TRAP_RESUME);
	trap_log_clear();
	r = guest_try(tp_int3, 0, 0);
	tap_ok(r == 0 && one_event(TRAP_BP, addr_of(tp_int3_after), 0),
	       "INT3 in resume mode is logged once and execution goes on");
	trap_set_mode(TRAP_BP, TRAP_ABORT);
}

static void check_single_step(void)
{
	int r;

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	trap_log_clear();
	r = guest_try(tp_step, 0, 0);
	tap_ok(r == 0 && one_event(TRAP_DB, addr_of(tp_step_trap), DR6_BS) &&
		       !(read_rflags() & RFLAGS_TF),
	       "TF single step in resume mode: one #DB with DR6.BS, then TF clear");
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

static volatile uint8_t watched;

static void check_watchpoint(void)
{
	int r;

	watched = 0;
	trap_set_mode(TRAP_DB, TRAP_RESUME);
	trap_log_clear();
	set_dr0_dr7(addr_of(&watched), DR7_INIT | DR7_L0 | DR7_RW0_WRITE);
	r = guest_try(tp_store, (void *)&watched, 0);
	set_dr0_dr7(0, DR7_INIT);
	tap_ok(r == 0 && watched == 1 && one_event(TRAP_DB, addr_of(tp_store_after), DR6_B0),
	       "data write breakpoint (DR0, 1 byte) in resume mode: one #DB after the store, "
	       "DR6.B0");
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

static void check_exec_breakpoint(void)
{
	int r;

	trap_set_mode(TRAP_DB, TRAP_RESUME);
	trap_log_clear();
	set_dr0_dr7(addr_of(tp_exec), DR7_INIT | DR7_L0); /* R/W0 = 00: execution */
	r = guest_try(tp_exec, 0, 0);
	set_dr0_dr7(0, DR7_INIT);
	tap_ok(r == 0 && one_event(TRAP_DB, addr_of(tp_exec), DR6_B0),
	       "instruction breakpoint in resume mode: one #DB at the instruction (RF set), "
	       "DR6.B0");
	trap_set_mode(TRAP_DB, TRAP_ABORT);
}

static void check_timer(EFI_SYSTEM_TABLE *st)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_EVENT ev;
	EFI_STATUS s;
	unsigned ms;
	int fired = 0;

	s = uefi_call_wrapper(bs->CreateEvent, 5, EVT_TIMER, 0, NULL, NULL, &ev);
	if (s == EFI_SUCCESS)
		s = uefi_call_wrapper(bs->SetTimer, 3, ev, TimerRelative, TIMER_TICKS_100NS);
	for (ms = 0; s == EFI_SUCCESS && ms < TIMER_WAIT_MS && !fired; ms++) {
		uefi_call_wrapper(bs->Stall, 1, 1000);
		fired = uefi_call_wrapper(bs->CheckEvent, 1, ev) == EFI_SUCCESS;
	}
	if (s == EFI_SUCCESS)
		uefi_call_wrapper(bs->CloseEvent, 1, ev);
	if (!tap_ok(fired, "an EFI timer event fires while our IDT is installed"))
		guest_printf("# status %#lx, waited %u ms\n", (uint64_t)s, ms);
}

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi
 * (efibind.h turns MS ABI on whenever GNU_EFI_USE_MS_ABI is defined, even
 * as 0). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct idt_ptr fw = guest_sidt(), now;
	struct trap_info t;
	int r;

	(void)image;
	serial_init();
	trap_install();
	guest_printf("traps: firmware IDT at %#lx limit %#x, CS %#x\n", fw.base, fw.limit,
		     guest_read_cs());
	tap_plan(15);

	r = guest_try(nothing, 0, &t);
	tap_ok(r == 0 && t.vector == (uint64_t)-1, "guest_try of a function that returns: 0");
	expect(tp_ud2, 0, "UD2", TRAP_UD, addr_of(tp_ud2), 0, 0);
	expect(tp_read, (void *)(uintptr_t)NONCANONICAL, "non-canonical read", TRAP_GP,
	       addr_of(tp_read), 1, 0);
	check_pf();
	expect(tp_div0, 0, "DIV by zero", TRAP_DE, addr_of(tp_div0_insn), 0, 0);
	expect(tp_int3, 0, "INT3 (abort mode)", TRAP_BP, addr_of(tp_int3_after), 0, 0);
	check_nested();
	check_if_restored();
	check_resume_bp();
	check_single_step();
	check_watchpoint();
	check_exec_breakpoint();
	check_timer(st);

	now = guest_sidt();
	tap_ok(now.base != fw.base, "our IDT is loaded (base %#lx)", now.base);
	trap_uninstall();
	now = guest_sidt();
	tap_ok(now.base == fw.base && now.limit == fw.limit,
	       "trap_uninstall gives the firmware's IDTR back");
	guest_exit(tap_failures() ? 1 : 0);
}
