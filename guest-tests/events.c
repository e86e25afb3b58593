/*
 * events: NMIs the guest sends itself through its local APIC, natively (the
 * reference) and under drvisor (issue 13, items 7 and 8).
 *
 * The NMI is sent with the xAPIC's interrupt command register (SDM vol. 3A
 * 11.6.1: delivery mode NMI, physical destination = this CPU's own APIC ID,
 * the xAPIC page at the IA32_APIC_BASE address), counted by our own NMI
 * handler, and checked against what the CPU guarantees (SDM vol. 3A 6.7.1):
 * - an NMI is delivered;
 * - a second NMI that arrives while the handler runs is held until the
 *   handler's IRET, then delivered once: the handler never re-enters.
 *   Meanwhile the handler executes instructions that exit to drvisor
 *   (CPUID) and spins long enough for the firmware's timer interrupts to
 *   reach the host (SVM intercepts them while the guest's IF is clear), so
 *   that whatever the host does on its side of those exits is in the test;
 * - a series of NMIs, each followed by exiting instructions, all arrive.
 */
#include <efi.h>
#include <efilib.h>

#include <drvisor/hypercall.h>

#include "guest-tests/lib/guest.h"

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define APIC_ID 0x20
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_BUSY (1u << 12)
#define VEC_NMI 2
#define GATE_INTERRUPT_64 0x8e
#define WAIT_LOOPS 2000000u         /* for an NMI that is due: bounded wait */
#define HOLD_TSC (1ull << 26)       /* the handler's hold */
#define SERIES 20

extern char events_nmi_entry[];     /* events_probes.asm */
void events_nmi(void);

static volatile uint8_t *apic;
static uint32_t apic_id;
static volatile unsigned nmi_count, nmi_depth, nmi_nested;
static volatile unsigned count_at_iret;
static volatile int send_in_handler;
static int under;                   /* drvisor below: its exit counts can be read */
static volatile uint64_t intr_exits_in_hold;

static uint64_t exit_count(enum dv_exit_reason r)
{
	struct hv_regs out;

	if (!under)
		return 0;
	hv_call(DV_HC_GET_EXIT_COUNT, r, 0, 0, &out);
	return out.rbx;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* CPUID exits under drvisor on both vendors. */
static void exiting_insn(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

static uint32_t apic_read(unsigned reg)
{
	return *(volatile uint32_t *)(apic + reg);
}

static void apic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(apic + reg) = v;
}

static void send_self_nmi(void)
{
	while (apic_read(APIC_ICR_LO) & ICR_BUSY)
		__asm__ volatile("pause");
	apic_write(APIC_ICR_HI, apic_id << 24);
	apic_write(APIC_ICR_LO, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

/* The handler's hold: exiting instructions (CPUID, and under drvisor the
 * exit-count hypercall) for HOLD_TSC ticks; under drvisor it counts the
 * physical interrupts the host took meanwhile (on SVM the host accepts
 * them itself, whatever the guest's IF, and returns from its handler with
 * IRET while the guest's NMI blocking must hold: issue 13 item 8). */
static void hold(void)
{
	uint64_t t0 = rdtsc(), intr0 = exit_count(DV_EXIT_INTERRUPT), now;

	do {
		exiting_insn();
		__asm__ volatile("pause");
		intr_exits_in_hold = exit_count(DV_EXIT_INTERRUPT) - intr0;
		now = rdtsc() - t0;
	} while (now < HOLD_TSC);
}

/* Under drvisor with test_hooks=on: the host writes its own watched
 * variable once, so that its #DB handler runs, and returns with IRET,
 * while this NMI handler runs (hooks off: DV_HC_ERR_PERM, nothing done). */
static volatile uint64_t host_watch_fired = ~0ull;

static void host_watch_touch(void)
{
	struct hv_regs out;

	if (under && hv_call(DV_HC_HOST_WATCH, DV_HOST_WATCH_TOUCH, 1, 0, &out) == DV_HC_OK)
		host_watch_fired = out.rbx;
}

void events_nmi(void)
{
	if (++nmi_depth > 1)
		nmi_nested++;
	nmi_count++;
	if (send_in_handler && nmi_count == 1) {
		send_self_nmi();
		host_watch_touch();
		hold();
		count_at_iret = nmi_count;
	}
	nmi_depth--;
}

/* Waits (bounded) until at least n NMIs were counted. */
static void wait_for(unsigned n)
{
	unsigned i;

	for (i = 0; i < WAIT_LOOPS && nmi_count < n; i++) {
		if (!(i % 64))
			exiting_insn();
		__asm__ volatile("pause");
	}
}

static void reset_counts(void)
{
	nmi_count = 0;
	nmi_nested = 0;
	count_at_iret = 0;
	send_in_handler = 0;
}

static void install_nmi_gate(void)
{
	struct idt_ptr idtr = guest_sidt();
	struct idt_gate *g = (struct idt_gate *)(uintptr_t)idtr.base + VEC_NMI;
	uint64_t h = (uint64_t)(uintptr_t)events_nmi_entry;

	*g = (struct idt_gate){
		.offset_lo = (uint16_t)h,
		.selector = guest_read_cs(),
		.type_attr = GATE_INTERRUPT_64,
		.offset_mid = (uint16_t)(h >> 16),
		.offset_hi = (uint32_t)(h >> 32),
	};
}

static void check_one(void)
{
	reset_counts();
	send_self_nmi();
	wait_for(1);
	tap_eq(nmi_count, 1, "a self NMI sent through the local APIC is delivered once");
}

/* Under drvisor: returns once the host has taken a physical interrupt for
 * the guest and the guest has had it (IF is set here), so that the
 * interrupt controller is idle and the next timer tick comes during the
 * handler's hold rather than waiting, held by the host, for the guest's IF. */
static void settle_interrupts(void)
{
	uint64_t t0 = rdtsc(), n0 = exit_count(DV_EXIT_INTERRUPT);

	while (under && exit_count(DV_EXIT_INTERRUPT) == n0 && rdtsc() - t0 < HOLD_TSC)
		__asm__ volatile("pause");
	for (t0 = rdtsc(); rdtsc() - t0 < HOLD_TSC / 64;)
		__asm__ volatile("pause");
}

static void check_blocking(void)
{
	reset_counts();
	settle_interrupts();
	send_in_handler = 1;
	send_self_nmi();
	wait_for(2);
	if (under && host_watch_fired != ~0ull)
		guest_printf("# the host's watchpoint fired inside the handler (total %llu)\n",
			     (unsigned long long)host_watch_fired);
	if (under)
		guest_printf("# interrupt exits so far %llu, during the handler's hold: %llu\n",
			     (unsigned long long)exit_count(DV_EXIT_INTERRUPT),
			     (unsigned long long)intr_exits_in_hold);
	tap_eq(nmi_nested, 0, "an NMI sent inside the NMI handler does not re-enter it");
	tap_eq(count_at_iret, 1, "that NMI is held until the handler's IRET");
	tap_eq(nmi_count, 2, "and delivered once after it");
}

static void check_series(void)
{
	unsigned i;

	reset_counts();
	for (i = 1; i <= SERIES; i++) {
		send_self_nmi();
		exiting_insn();
		wait_for(i);
	}
	tap_eq(nmi_count, SERIES, "a series of %u NMIs between exiting instructions all arrive",
	       SERIES);
	tap_eq(nmi_nested, 0, "none of them nests");
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the SysV ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	uint64_t base;

	(void)image;
	(void)st;
	serial_init();
	trap_install();
	under = hv_detect(&hv);
	if (under)
		guest_printf("events: running under drvisor %u.%u on %s\n", hv.version >> 16,
			     hv.version & 0xffff, hv_vendor_name(hv.vendor));
	else
		guest_printf("events: running natively on %s\n", hv_vendor_name(hv.vendor));
	base = rdmsr(MSR_IA32_APIC_BASE);
	tap_plan(6);
	if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2APIC)) {
		guest_printf("# IA32_APIC_BASE = %#llx\n", (unsigned long long)base);
		for (int i = 0; i < 6; i++)
			tap_skip("platform lacks an enabled xAPIC", "NMI case %d", i + 1);
		guest_exit(tap_failures() ? 1 : 0);
	}
	apic = (volatile uint8_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK);
	apic_id = apic_read(APIC_ID) >> 24;
	guest_printf("# xAPIC at %#llx, APIC ID %u\n", (unsigned long long)(uintptr_t)apic,
		     apic_id);
	install_nmi_gate();
	check_one();
	check_blocking();
	check_series();
	guest_printf("events: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
