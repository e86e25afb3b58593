/*
 * The guest test's own IDT and guest_try() (see guest.h for the contract).
 *
 * Why a copy of the firmware's IDT rather than a fresh one: the test runs
 * inside UEFI boot services, whose timer interrupt (and, under drvisor, any
 * interrupt the firmware routes) must keep reaching the firmware's handlers
 * while the test runs. Only the exception vectors the tests provoke are ours.
 * The gates use the CS the test runs with (read, never assumed), since OVMF's
 * code selector is not the one an OS would use.
 *
 * Why unwinding through iretq rather than longjmp from C: the exception
 * handler returns through the CPU frame like any other, with RIP, RSP and
 * RFLAGS rewritten to the guest_try() recovery point (trap_entry.asm), so
 * RFLAGS.IF and the stack come back exactly as they were at the try, and no
 * handler state is left half-unwound.
 */
#include "guest.h"

#define IDT_VECTORS 256
#define EXC_VECTORS 32
#define GATE_INTERRUPT_64 0x8e /* present, DPL 0, type 0xE; SDM vol. 3A 6.14.1 */
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)
#define DR6_BS (1ull << 14)
#define DR6_INIT 0xffff0ff0ull /* DR6 with no condition recorded; SDM vol. 3B 18.2.3 */
#define BAIL_EXIT_CODE 2

/* trap_entry.asm */
struct trap_jmp {
	uint64_t rsp;
	uint64_t rflags;
};
extern char trap_stubs[];
extern char trap_try_resume[];
int trap_try_enter(struct trap_jmp *j, void (*fn)(void *), void *arg);
void trap_dispatch(struct trap_frame *f);
extern char ImageBase[]; /* cmake/efi_app.lds */

#define STUB_SIZE 16

struct try_ctx {
	struct trap_jmp jmp;
	struct trap_info *info;
	struct try_ctx *outer;
};

/* The vectors we take over: every architectural exception a test can
 * provoke. NMI (2) and #MC (18) stay with the firmware. */
static const uint8_t our_vectors[] = { 0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 19 };

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static struct idt_ptr fw_idtr;
static int installed;
static uint8_t modes[EXC_VECTORS];
static struct try_ctx *volatile cur_try;
static struct trap_info event_log[TRAP_LOG_MAX];
static volatile unsigned event_count;
static int bailing;

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static uint64_t read_dr6(void)
{
	uint64_t v;

	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static uint64_t read_dr7(void)
{
	uint64_t v;

	__asm__ volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static void write_dr6(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr6" : : "r"(v));
}

static void set_gate(unsigned vec, uint64_t handler, uint16_t cs)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = (uint16_t)handler,
		.selector = cs,
		.ist = 0,
		.type_attr = GATE_INTERRUPT_64,
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_hi = (uint32_t)(handler >> 32),
		.reserved = 0,
	};
}

void trap_install(void)
{
	struct idt_ptr ours;
	const uint8_t *src;
	uint8_t *dst = (uint8_t *)idt;
	unsigned n, i;
	uint16_t cs = guest_read_cs();

	if (installed)
		return;
	fw_idtr = guest_sidt();
	/* Copy what the firmware has (normally all 256 gates); vectors past
	 * its limit stay not-present, as they were. */
	n = (unsigned)fw_idtr.limit + 1;
	if (n > sizeof(idt))
		n = sizeof(idt);
	src = (const uint8_t *)(uintptr_t)fw_idtr.base;
	for (i = 0; i < sizeof(idt); i++)
		dst[i] = i < n ? src[i] : 0;
	for (i = 0; i < sizeof(our_vectors); i++)
		set_gate(our_vectors[i], (uint64_t)(uintptr_t)(trap_stubs + STUB_SIZE * our_vectors[i]),
			 cs);
	ours.limit = sizeof(idt) - 1;
	ours.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(ours) : "memory");
	installed = 1;
}

void trap_uninstall(void)
{
	if (!installed)
		return;
	__asm__ volatile("lidt %0" : : "m"(fw_idtr) : "memory");
	installed = 0;
}

/* An AP (mp.c) takes the same table: its gates use the CS the BSP had,
 * which is the AP's too (EDK2's MpInitLib loads the BSP's GDT on every AP).
 * The AP's own IDTR is the firmware's; it is put back when the AP is done. */
void trap_load_here(struct idt_ptr *saved)
{
	struct idt_ptr ours = { .limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt };

	*saved = guest_sidt();
	if (installed)
		__asm__ volatile("lidt %0" : : "m"(ours) : "memory");
}

void trap_restore_here(const struct idt_ptr *saved)
{
	__asm__ volatile("lidt %0" : : "m"(*saved) : "memory");
}

void trap_set_mode(unsigned vector, enum trap_mode mode)
{
	if (vector < EXC_VECTORS)
		modes[vector] = (uint8_t)mode;
}

unsigned trap_log_count(void)
{
	return event_count;
}

const struct trap_info *trap_log_get(unsigned i)
{
	return i < event_count && i < TRAP_LOG_MAX ? &event_log[i] : 0;
}

void trap_log_clear(void)
{
	event_count = 0;
}

const char *trap_name(uint64_t vector)
{
	static const char *const names[EXC_VECTORS] = {
		[0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",  [4] = "#OF",
		[5] = "#BR",  [6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS",
		[11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
		[17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
	};

	if (vector == (uint64_t)-1)
		return "no exception";
	return vector < EXC_VECTORS && names[vector] ? names[vector] : "#?";
}

/* #DB resumed: the architectural clean-up an OS's handler does. */
static void db_resume(struct trap_frame *f, uint64_t dr6)
{
	uint64_t dr7 = read_dr7();
	unsigned n;

	/* An instruction breakpoint (R/Wn = 00) is a fault: resuming without
	 * RF would hit it again (SDM vol. 3B 18.3.1.1). */
	for (n = 0; n < 4; n++)
		if ((dr6 & (1ull << n)) && ((dr7 >> (16 + 4 * n)) & 3) == 0)
			f->rflags |= RFLAGS_RF;
	if (dr6 & DR6_BS)
		f->rflags &= ~RFLAGS_TF; /* single step is one-shot */
	write_dr6(DR6_INIT);
}

static __attribute__((noreturn)) void bail_out(const struct trap_info *ti)
{
	if (bailing) /* an exception while bailing out: stop without output */
		guest_exit(BAIL_EXIT_CODE + 1);
	bailing = 1;
	/* The image base turns the RIP into an address in the .so's map. */
	guest_printf("Bail out! unexpected %s (vector %lu) error code %#lx at rip %#lx "
		     "(image base %p) rflags %#lx cr2 %#lx dr6 %#lx\n",
		     trap_name(ti->vector), ti->vector, ti->error_code, ti->rip,
		     (void *)ImageBase, ti->rflags, ti->cr2, ti->dr6);
	guest_exit(BAIL_EXIT_CODE); /* restores the firmware's IDT */
}

void trap_dispatch(struct trap_frame *f)
{
	struct trap_info ti = {
		.vector = f->vector,
		.error_code = f->error_code,
		.rip = f->rip,
		.rflags = f->rflags,
		.cr2 = f->vector == TRAP_PF ? read_cr2() : 0,
		.dr6 = f->vector == TRAP_DB ? read_dr6() : 0,
	};
	struct try_ctx *c = cur_try;

	if (f->vector < EXC_VECTORS && modes[f->vector] == TRAP_RESUME) {
		if (event_count < TRAP_LOG_MAX)
			event_log[event_count] = ti;
		event_count++;
		if (f->vector == TRAP_DB)
			db_resume(f, ti.dr6);
		return;
	}
	if (f->vector == TRAP_DB)
		write_dr6(DR6_INIT);
	if (!c)
		bail_out(&ti);
	if (c->info)
		*c->info = ti;
	/* Unwind: iretq lands in trap_try_enter's epilogue, which returns 1. */
	f->rip = (uint64_t)(uintptr_t)trap_try_resume;
	f->rsp = c->jmp.rsp;
	f->rflags = c->jmp.rflags;
}

int guest_try(void (*fn)(void *), void *arg, struct trap_info *t)
{
	struct trap_info local;
	struct try_ctx ctx = { .info = t ? t : &local, .outer = cur_try };
	int r;

	trap_install(); /* no-op when installed */
	*ctx.info = (struct trap_info){ .vector = (uint64_t)-1 };
	cur_try = &ctx;
	r = trap_try_enter(&ctx.jmp, fn, arg);
	cur_try = ctx.outer;
	return r;
}
