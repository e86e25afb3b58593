/*
 * bench: the cost of each VM exit drvisor takes, against the same
 * instruction natively (issue 7; driven by tools/bench).
 *
 * For each operation it runs one warm-up batch, then M batches of N
 * operations, each batch with interrupts off (CLI/STI) and timed by RDTSC
 * between LFENCEs, and prints the median cost of one operation:
 *   bench: op=NAME mode=native|drvisor cycles=X.Y min=X.Y
 * (cycles = time-stamp ticks; on Bochs with `clock: sync=none` one tick is
 * one emulated instruction.) The loop around each operation (DEC/JNZ) is
 * included in every figure; op=nop is that loop alone, the control.
 *   nop             NOP: never exits
 *   cpuid           CPUID leaf 0: always exits under drvisor
 *   hypercall       DV_HC_PING through hv_call (VMMCALL/VMCALL); natively
 *                   it raises #UD: "cycles=n/a"
 *   rdmsr, wrmsr    IA32_DEBUGCTL (0x1d9): always exit under drvisor;
 *                   natively an emulator reads 0 and takes the write
 *   out             OUT to the monitor UART's scratch register (port+7,
 *                   0x2ff with monitor=com2): always exits under drvisor
 *   mov_from_dr0, mov_to_dr7 (0x400): lazy policy: only the first of a
 *                   batch exits (it hands the registers to the guest);
 *                   eager: none
 *   cpuid_dr_armed  CPUID while DR7 enables a breakpoint (DR0 = an address
 *                   never executed): the lazy policy switches DR0-3 too
 *   apic_tpr        MOV of 0 to the xAPIC's TPR (IA32_APIC_BASE + 0x80):
 *                   under drvisor a write-trapped page, decoded and passed
 *                   to the real APIC (issue 14, docs/mmio.md); n/a where
 *                   the APIC is off or in x2APIC mode
 * With two CPUs or more (issue 14), two rows more, measured on logical
 * CPU 1 (the first AP, EFI MP services), the CPUID round trip of vCPU 1:
 *   cpuid_ap        while the BSP waits in the firmware (blocking
 *                   StartupThisAP): vCPU 1 alone exits
 *   cpuid_ap_busy   while the BSP runs CPUID without a pause (non-blocking
 *                   StartupThisAP): vCPU 0 exits continuously meanwhile
 * Equal figures mean that no lock or shared line on the exit path makes one
 * vCPU wait for another; on a one-CPU machine both are "cycles=n/a".
 * The header line names the CPU (brand string), the vendor and the counts:
 *   bench: cpu="..." vendor=... mode=... batches=M ops=N
 * and `bench: done` ends the output. Load options (drvisor's next_args):
 * batches=M (1..101, default 21) ops=N (default 1000) port=0xNNN (default
 * 0x2ff). Natively there are no load options: the defaults apply.
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/efi_mp.h"
#include "guest-tests/lib/guest.h"

#define MAX_BATCHES 101
#define MSR_IA32_DEBUGCTL 0x1d9
#define DR7_IDLE 0x400ull
#define DR7_L0 0x1ull       /* local enable of DR0; RW0 = LEN0 = 0: execution */

static uint64_t opt_batches = 21, opt_ops = 1000, opt_port = 0x2ff;
static int under;
static volatile uint8_t never_executed[16];

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static void op_nop(uint64_t n)
{
	__asm__ volatile("1: nop; dec %0; jnz 1b" : "+r"(n) : : "memory", "cc");
}

static void op_cpuid(uint64_t n)
{
	__asm__ volatile("1: xor %%eax, %%eax; cpuid; dec %0; jnz 1b"
			 : "+r"(n) : : "rax", "rbx", "rcx", "rdx", "memory", "cc");
}

static void op_hypercall(uint64_t n)
{
	while (n--)
		hv_call(DV_HC_PING, 0, 0, 0, 0);
}

static void op_rdmsr(uint64_t n)
{
	__asm__ volatile("1: mov %1, %%ecx; rdmsr; dec %0; jnz 1b"
			 : "+r"(n) : "i"(MSR_IA32_DEBUGCTL) : "rax", "rcx", "rdx", "memory", "cc");
}

static void op_wrmsr(uint64_t n)
{
	__asm__ volatile("1: mov %1, %%ecx; xor %%eax, %%eax; xor %%edx, %%edx; wrmsr; dec %0; jnz 1b"
			 : "+r"(n) : "i"(MSR_IA32_DEBUGCTL) : "rax", "rcx", "rdx", "memory", "cc");
}

static void op_out(uint64_t n)
{
	__asm__ volatile("1: outb %%al, %%dx; dec %0; jnz 1b"
			 : "+r"(n) : "a"(0), "d"((uint16_t)opt_port) : "memory", "cc");
}

static void op_mov_from_dr0(uint64_t n)
{
	__asm__ volatile("1: mov %%dr0, %%rax; dec %0; jnz 1b" : "+r"(n) : : "rax", "memory", "cc");
}

static void op_mov_to_dr7(uint64_t n)
{
	__asm__ volatile("1: mov %1, %%dr7; dec %0; jnz 1b"
			 : "+r"(n) : "r"(DR7_IDLE) : "memory", "cc");
}

static inline void set_dr0_dr7(uint64_t dr0, uint64_t dr7)
{
	__asm__ volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(dr0), "r"(dr7) : "memory");
}

static void op_cpuid_dr_armed(uint64_t n)
{
	set_dr0_dr7((uint64_t)(uintptr_t)never_executed, DR7_IDLE | DR7_L0);
	op_cpuid(n);
	set_dr0_dr7(0, DR7_IDLE);
}

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define APIC_TPR 0x80

static volatile uint32_t *apic_tpr;

static void op_apic_tpr(uint64_t n)
{
	__asm__ volatile("1: movl $0, (%1); dec %0; jnz 1b"
			 : "+r"(n) : "r"(apic_tpr) : "memory", "cc");
}

/* The TPR's address, or NULL (then op_apic_tpr would fault: n/a). */
static void find_apic(void)
{
	uint32_t lo, hi;
	uint64_t base;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	base = ((uint64_t)hi << 32) | lo;
	if ((base & APIC_BASE_EN) && !(base & APIC_BASE_EXTD))
		apic_tpr = (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR_MASK) + APIC_TPR);
}

struct op {
	const char *name;
	void (*fn)(uint64_t n);
	int needs_drvisor;
	int needs_xapic;
};

static const struct op ops[] = {
	{ "nop", op_nop, 0, 0 },
	{ "cpuid", op_cpuid, 0, 0 },
	{ "hypercall", op_hypercall, 1, 0 },
	{ "rdmsr", op_rdmsr, 0, 0 },
	{ "wrmsr", op_wrmsr, 0, 0 },
	{ "out", op_out, 0, 0 },
	{ "mov_from_dr0", op_mov_from_dr0, 0, 0 },
	{ "mov_to_dr7", op_mov_to_dr7, 0, 0 },
	{ "cpuid_dr_armed", op_cpuid_dr_armed, 0, 0 },
	{ "apic_tpr", op_apic_tpr, 0, 1 },
};

/* One batch of n operations with interrupts off; returns its ticks. */
static uint64_t batch(const struct op *o, uint64_t n)
{
	uint64_t t0, t1;

	__asm__ volatile("cli" : : : "memory");
	t0 = tsc();
	o->fn(n);
	t1 = tsc();
	__asm__ volatile("sti" : : : "memory");
	return t1 - t0;
}

static void probe_one(void *arg)
{
	((const struct op *)arg)->fn(1);
}

static void sort(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j && a[j - 1] > a[j]; j--) {
			uint64_t t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

/* Ticks per operation, in tenths, printed as X.Y. */
static void print_tenths(const char *key, uint64_t ticks, uint64_t n)
{
	uint64_t t = (ticks * 10 + n / 2) / n;

	guest_printf(" %s=%lu.%lu", key, t / 10, t % 10);
}

/* The median and the minimum of m batch figures, sorted in place, as one
 * result line. */
static void report(const char *name, uint64_t *d, unsigned m)
{
	sort(d, m);
	guest_printf("bench: op=%s mode=%s", name, under ? "drvisor" : "native");
	print_tenths("cycles", d[m / 2], opt_ops);
	print_tenths("min", d[0], opt_ops);
	guest_printf("\n");
}

static void run(const struct op *o)
{
	static uint64_t d[MAX_BATCHES];
	unsigned m = (unsigned)opt_batches;

	/* An operation that faults here (the hypercall natively, say) has no
	 * figure: n/a, never a number. */
	if ((o->needs_drvisor && !under) || (o->needs_xapic && !apic_tpr) ||
	    guest_try(probe_one, (void *)o, 0)) {
		guest_printf("bench: op=%s mode=%s cycles=n/a\n", o->name,
			     under ? "drvisor" : "native");
		return;
	}
	batch(o, opt_ops); /* warm-up: caches, and the lazy policy's first access */
	for (unsigned i = 0; i < m; i++)
		d[i] = batch(o, opt_ops);
	report(o->name, d, m);
}

/* The SMP rows: CPUID batches on the first AP, with the BSP idle in the
 * firmware or exiting continuously. The AP neither prints nor calls the
 * firmware (PI vol. 2, 13.4: an AP procedure must not use boot services);
 * it fills ap_run and raises done, which the busy BSP polls between its
 * CPUIDs. */
struct ap_run {
	uint64_t d[MAX_BATCHES];
	volatile int done;
};

static void EFIAPI ap_cpuid_batches(VOID *p)
{
	struct ap_run *r = p;

	batch(&ops[1], opt_ops); /* warm-up, as run() */
	for (unsigned i = 0; i < opt_batches; i++)
		r->d[i] = batch(&ops[1], opt_ops);
	r->done = 1;
}

/* The firmware's processor number of logical CPU 1 (mp_apic_id: the
 * library's order), or -1. */
static INTN first_ap(struct guest_efi_mp_services *mp)
{
	struct guest_efi_processor_information info;
	UINTN count = 0, enabled = 0;

	if (uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &count, &enabled) != EFI_SUCCESS)
		return -1;
	for (UINTN i = 0; i < count; i++)
		if (uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info) == EFI_SUCCESS &&
		    (uint32_t)info.processor_id == mp_apic_id(1))
			return (INTN)i;
	return -1;
}

/* One AP run; busy: the BSP runs CPUID until the AP is done (non-blocking
 * StartupThisAP, whose event the firmware signals afterwards). */
static int ap_run_once(EFI_BOOT_SERVICES *bs, struct guest_efi_mp_services *mp, UINTN ap, int busy,
		       struct ap_run *r)
{
	EFI_EVENT ev = NULL;
	EFI_STATUS s;

	r->done = 0;
	if (!busy)
		return uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_cpuid_batches, ap, NULL, 0, r,
					 NULL) == EFI_SUCCESS && r->done;
	if (uefi_call_wrapper(bs->CreateEvent, 5, 0, 0, NULL, NULL, &ev) != EFI_SUCCESS)
		return 0;
	s = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_cpuid_batches, ap, ev, 0, r, NULL);
	if (s == EFI_SUCCESS) {
		while (!r->done)
			op_cpuid(1);
		while (uefi_call_wrapper(bs->CheckEvent, 1, ev) == EFI_NOT_READY)
			op_cpuid(1);
	}
	uefi_call_wrapper(bs->CloseEvent, 1, ev);
	return s == EFI_SUCCESS;
}

static void run_smp(EFI_SYSTEM_TABLE *st)
{
	static struct ap_run r;
	static const char *const names[2] = { "cpuid_ap", "cpuid_ap_busy" };
	EFI_GUID guid = GUEST_EFI_MP_SERVICES_GUID;
	struct guest_efi_mp_services *mp = NULL;
	INTN ap = -1;

	mp_init(st);
	if (mp_cpus() > 1 &&
	    uefi_call_wrapper(st->BootServices->LocateProtocol, 3, &guid, NULL, (void **)&mp) ==
		    EFI_SUCCESS && mp)
		ap = first_ap(mp);
	for (int busy = 0; busy < 2; busy++) {
		if (ap < 0 || !ap_run_once(st->BootServices, mp, (UINTN)ap, busy, &r))
			guest_printf("bench: op=%s mode=%s cycles=n/a\n", names[busy],
				     under ? "drvisor" : "native");
		else
			report(names[busy], r.d, (unsigned)opt_batches);
	}
}

/* batches=M ops=N port=0xNNN among the load options; out-of-range counts
 * fall back to the defaults. */
static void parse_load_options(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	guest_option_u64(image, st, "batches", &opt_batches);
	guest_option_u64(image, st, "ops", &opt_ops);
	guest_option_u64(image, st, "port", &opt_port);
	if (opt_batches < 1 || opt_batches > MAX_BATCHES)
		opt_batches = 21;
	if (opt_ops < 1)
		opt_ops = 1000;
}

/* The CPU's brand string (CPUID 0x80000002-4), trimmed; "unknown" without. */
static void brand(char *out)
{
	uint32_t w[12];
	unsigned i, k = 0;
	const char *s = (const char *)w;

	if (hv_cpuid(0x80000000u, 0).eax < 0x80000004u) {
		for (s = "unknown"; *s; s++)
			out[k++] = *s;
		out[k] = 0;
		return;
	}
	for (i = 0; i < 3; i++) {
		struct hv_cpuid_regs r = hv_cpuid(0x80000002u + i, 0);

		w[i * 4] = r.eax;
		w[i * 4 + 1] = r.ebx;
		w[i * 4 + 2] = r.ecx;
		w[i * 4 + 3] = r.edx;
	}
	for (i = 0; i < 48 && s[i]; i++)
		if ((s[i] != ' ' || (k && out[k - 1] != ' ')) && s[i] != '"')
			out[k++] = s[i];
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
}

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	char cpu[52];

	serial_init();
	trap_install();
	parse_load_options(image, st);
	under = hv_detect(&hv);
	find_apic();
	brand(cpu);
	guest_printf("bench: cpu=\"%s\" vendor=%s mode=%s batches=%lu ops=%lu\n", cpu,
		     hv_vendor_name(hv.vendor), under ? "drvisor" : "native", opt_batches, opt_ops);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		run(&ops[i]);
	run_smp(st);
	guest_printf("bench: done\n");
	serial_flush();
	guest_exit(0);
}
