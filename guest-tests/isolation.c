/*
 * isolation: the guest tries each thing drvisor keeps for itself and checks
 * the documented answer (include/drvisor/hypercall.h, issues 3 and 4):
 *
 * - the virtualization instructions of the vendor it runs on raise #UD
 *   (exactly as on a CPU whose SVM/VMX is off, which is what the guest sees);
 * - the MSRs that would reveal or control SVM/VMX raise #GP(0), EFER never
 *   shows SVME, setting it raises #GP(0), CR4 never shows VMXE;
 * - CPUID hides SVM and VMX; an unknown hypercall returns DV_HC_ERR_UNKNOWN;
 * - drvisor's memory (DV_HC_GET_LAYOUT) is a hole: a read or write at its
 *   first and last byte raises #GP(0) at the access;
 * - the monitor's UART is not there: every port reads 0xff except LSR
 *   (0x60, an idle line), writes are dropped (the marker below must never
 *   reach the monitor's output: the runner checks), INS raises #GP(0);
 * - what reaches past the nested page tables is hidden (issue 13): Intel PT,
 *   the debug store (BTS/PEBS) and architectural LBRs are absent from CPUID
 *   and their MSRs raise #GP(0); IA32_FEATURE_CONTROL reads locked with VMX
 *   off and its write raises #GP(0); a reserved EFER bit raises #GP(0); an
 *   address near the top of the CPU's physical address space reads without
 *   a fault; the host-watch test hypercall refuses counts above its maximum;
 * - and drvisor is still alive afterwards (DV_HC_PING answers).
 *
 * Natively (the reference run) only the cases whose answer is the same on
 * bare hardware run (the SVM/VMX instructions with SVME/VMXE clear, the EFER
 * and CR4 reads and write-backs); the rest are skipped, and the monitor port
 * is never touched, so the native run's COM2 stays clean.
 *
 * The monitor port comes from the load option monitor_port=0xNNN (drvisor's
 * next_args), default 0x2f8 (COM2, as the tests configure monitor=com2).
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define NATIVE "running natively"
#define DEFAULT_MONITOR_PORT 0x2f8
#define MARKER "ISOLATION-MARKER-SHOULD-NOT-APPEAR"
#define UNKNOWN_HYPERCALL 0xdead0000ull

/* MSRs and bits; APM vol. 2 (15.30, 3.1.7), SDM vol. 4 table 2-2. */
#define MSR_EFER 0xc0000080u
#define MSR_VM_CR 0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define MSR_IA32_FEATURE_CONTROL 0x3au
#define MSR_IA32_VMX_BASIC 0x480u
#define EFER_SVME (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CR4_OSXSAVE (1ull << 18)
#define RFLAGS_IF (1ull << 9)
#define CPUID_80000001_ECX_SVM (1u << 2)
/* What drvisor hides (arch-x86/cpuid_mask.c): SDM vol. 2A CPUID. */
#define CPUID_1_ECX_DTES64 (1u << 2)
#define CPUID_1_ECX_DS_CPL (1u << 4)
#define CPUID_1_EDX_DS (1u << 21)
#define CPUID_7_EBX_PT (1u << 25)
#define CPUID_7_EDX_ARCH_LBR (1u << 19)
#define XSS_PT (1u << 8)
#define XSS_ARCH_LBR (1u << 15)
#define CPUID_8_EBX_LMSLE_MBZ (1u << 20)
#define CPUID_21_EAX_AUTOIBRS (1u << 8)
#define EFER_LMSLE (1ull << 13)
#define EFER_AIBRSE (1ull << 21)
#define EFER_RESERVED_TOP (1ull << 63)
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMX (3ull << 1) /* inside and outside SMX */
#define PAGE 4096ull

/* 16550 register offsets (PC16550D datasheet). */
#define UART_THR 0
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define UART_PORTS 8
#define LSR_IDLE 0x60 /* what drvisor's hidden UART shows: THRE | TEMT */

/* isolation_probes.asm */
#define PROBE_DECL(p) \
	void p(void *arg); \
	extern char p##_insn[]
PROBE_DECL(probe_vmrun);
PROBE_DECL(probe_vmload);
PROBE_DECL(probe_vmsave);
PROBE_DECL(probe_stgi);
PROBE_DECL(probe_clgi);
PROBE_DECL(probe_skinit);
PROBE_DECL(probe_invlpga);
PROBE_DECL(probe_vmxon);
PROBE_DECL(probe_vmclear);
PROBE_DECL(probe_vmptrld);
PROBE_DECL(probe_vmptrst);
PROBE_DECL(probe_vmread);
PROBE_DECL(probe_vmwrite);
PROBE_DECL(probe_vmlaunch);
PROBE_DECL(probe_vmresume);
PROBE_DECL(probe_vmxoff);
PROBE_DECL(probe_invept);
PROBE_DECL(probe_invvpid);
PROBE_DECL(probe_rdmsr);
PROBE_DECL(probe_wrmsr);
PROBE_DECL(probe_read8);
PROBE_DECL(probe_write8);
PROBE_DECL(probe_insb);

struct msr_op {
	uint32_t msr;
	uint32_t pad;
	uint64_t value;
};

struct port_op {
	uint16_t port;
	uint16_t pad[3];
	uint64_t buf;
};

/* Operands. A page of our own stands in for every physical address an
 * instruction would use (a VMCB, a VMXON region, the SKINIT SLB, whose
 * address bits 15:0 the CPU ignores): should one of them not fault, it
 * touches this page and nothing else. */
static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint64_t scratch_pa;
static uint8_t descriptor[16] __attribute__((aligned(16)));
static struct msr_op op_vm_cr_rd = { .msr = MSR_VM_CR };
static struct msr_op op_vm_cr_wr = { .msr = MSR_VM_CR };
static struct msr_op op_hsave_rd = { .msr = MSR_VM_HSAVE_PA };
static struct msr_op op_hsave_wr = { .msr = MSR_VM_HSAVE_PA };
static struct msr_op op_efer_svme = { .msr = MSR_EFER };
static struct msr_op op_vmx_basic = { .msr = MSR_IA32_VMX_BASIC };
static uint64_t hv_base, hv_size, hv_first, hv_last;
/* The writes into drvisor's memory are plain stores: tried only where a
 * read of the same byte faulted as it should, since a hole that lets a read
 * through might let a store through and corrupt drvisor. */
static int read_first_ok, read_last_ok;
#define WRITE_UNSAFE "the read of this byte did not fault, so a write could corrupt drvisor"
static uint16_t monitor_port = DEFAULT_MONITOR_PORT;
static uint64_t monitor_port_arg; /* the same, for a test name's %lx */
static uint8_t ins_buf[4];
static struct port_op op_insb;
static struct hv_info hv;
static int under;
static int on_qemu; /* load option platform=qemu (guest_run.sh) */

enum when { ALWAYS, DRVISOR };

struct tcase {
	enum hv_vendor vendor;     /* HV_VENDOR_OTHER: on either vendor */
	enum when when;            /* ALWAYS: the native answer is the same */
	const char *name;          /* format; may use one %lx: *name_arg */
	const uint64_t *name_arg;
	/* Either a custom check, which prints its own TAP line ... */
	void (*check)(const struct tcase *c);
	/* ... or an expected fault: probe(arg) raises vector (with error
	 * code 0 where it has one) at insn. */
	void (*probe)(void *arg);
	void *arg;
	const char *insn;
	uint64_t vector;
	/* A case run only if another passed (else "not ok", not attempted). */
	int *passed;               /* set to whether this case passed */
	const int *needs;
	const char *needs_why;
};

static int has_error_code(uint64_t v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

static void expect_fault(const struct tcase *c)
{
	struct trap_info t;
	int faulted = guest_try(c->probe, c->arg, &t);
	int ok = faulted && t.vector == c->vector && t.rip == (uint64_t)(uintptr_t)c->insn &&
		 (!has_error_code(c->vector) || t.error_code == 0);

	tap_ok(ok, c->name, c->name_arg ? *c->name_arg : 0);
	if (c->passed)
		*c->passed = ok;
	if (ok)
		return;
	if (!faulted)
		guest_printf("# no exception: the instruction completed\n");
	else
		guest_printf("# got %s error code %#lx at rip %#lx; expected %s at %p\n",
			     trap_name(t.vector), t.error_code, t.rip, trap_name(c->vector),
			     (void *)c->insn);
}

/* ---- custom checks ---- */

static void do_rdmsr(void *arg)
{
	probe_rdmsr(arg);
}

static void do_wrmsr(void *arg)
{
	probe_wrmsr(arg);
}

static void check_efer_read(const struct tcase *c)
{
	struct msr_op op = { .msr = MSR_EFER };
	struct trap_info t;
	int faulted = guest_try(do_rdmsr, &op, &t);

	if (!tap_ok(!faulted && !(op.value & EFER_SVME), "%s", c->name))
		guest_printf("# %s, EFER %#lx\n", faulted ? trap_name(t.vector) : "no fault",
			     op.value);
}

static void check_efer_writeback(const struct tcase *c)
{
	struct msr_op rd = { .msr = MSR_EFER }, wr = { .msr = MSR_EFER }, again = { .msr = MSR_EFER };
	struct trap_info t;
	int faulted = guest_try(do_rdmsr, &rd, &t);

	wr.value = rd.value;
	faulted = faulted || guest_try(do_wrmsr, &wr, &t);
	faulted = faulted || guest_try(do_rdmsr, &again, &t);
	if (!tap_ok(!faulted && again.value == rd.value && !(again.value & EFER_SVME), "%s",
		    c->name))
		guest_printf("# %s, EFER %#lx then %#lx\n",
			     faulted ? trap_name(t.vector) : "no fault", rd.value, again.value);
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void check_cr4(const struct tcase *c)
{
	uint64_t cr4 = read_cr4();

	if (!tap_ok(!(cr4 & CR4_VMXE), "%s", c->name))
		guest_printf("# CR4 %#lx\n", cr4);
}

static void do_cr4_writeback(void *arg)
{
	uint64_t *v = arg;

	__asm__ volatile("mov %0, %%cr4" : : "r"(*v) : "memory");
}

static void check_cr4_writeback(const struct tcase *c)
{
	uint64_t before = read_cr4(), after;
	struct trap_info t;
	int faulted = guest_try(do_cr4_writeback, &before, &t);

	after = read_cr4();
	if (!tap_ok(!faulted && after == before && !(after & CR4_VMXE), "%s", c->name))
		guest_printf("# %s, CR4 %#lx then %#lx\n", faulted ? trap_name(t.vector) : "no fault",
			     before, after);
}

static void check_cpuid_hides(const struct tcase *c)
{
	struct hv_cpuid_regs l1 = hv_cpuid(1, 0), ext = hv_cpuid(0x80000000u, 0);
	uint32_t ext_ecx = 0;

	if (ext.eax >= 0x80000001u)
		ext_ecx = hv_cpuid(0x80000001u, 0).ecx;
	if (!tap_ok(!(l1.ecx & CPUID_1_ECX_VMX) && !(ext_ecx & CPUID_80000001_ECX_SVM) &&
			    (l1.ecx & CPUID_1_ECX_HYPERVISOR),
		    "%s", c->name))
		guest_printf("# CPUID.1:ECX %#x, CPUID.80000001:ECX %#x\n", l1.ecx, ext_ecx);
}

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* CPUID.1:ECX.OSXSAVE is CR4.OSXSAVE as the OS set it (SDM vol. 2A, CPUID),
 * also where CPUID is emulated: cleared, then set where XSAVE exists, then
 * the firmware's CR4 back. Interrupts stay off meanwhile (a firmware handler
 * may rely on XSAVE being on). */
static void check_cpuid_osxsave(const struct tcase *c)
{
	uint64_t cr4 = read_cr4(), rflags;
	int has_xsave = !!(hv_cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE);
	uint32_t off, on = CPUID_1_ECX_OSXSAVE;

	__asm__ volatile("pushfq; pop %0; cli" : "=r"(rflags) : : "memory");
	write_cr4(cr4 & ~CR4_OSXSAVE);
	off = hv_cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE;
	if (has_xsave) {
		write_cr4(cr4 | CR4_OSXSAVE);
		on = hv_cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE;
	}
	write_cr4(cr4);
	if (rflags & RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
	if (!tap_ok(!off && on, "%s", c->name))
		guest_printf("# XSAVE %d, OSXSAVE with CR4.OSXSAVE clear %#x, set %#x\n", has_xsave,
			     off, on);
}

static void check_unknown_hypercall(const struct tcase *c)
{
	struct hv_call_args k = { .nr = UNKNOWN_HYPERCALL, .rbx = 0x1111, .rcx = 0x2222, .rdx = 0x3333 };
	struct trap_info t;
	int faulted = guest_try(hv_call_try, &k, &t);

	if (!tap_ok(!faulted && k.rax == DV_HC_ERR_UNKNOWN && k.out.rbx == 0x1111 &&
			    k.out.rcx == 0x2222 && k.out.rdx == 0x3333,
		    "%s", c->name))
		guest_printf("# %s: rax %#lx rbx %#lx rcx %#lx rdx %#lx\n",
			     faulted ? trap_name(t.vector) : "returned", k.rax, k.out.rbx, k.out.rcx,
			     k.out.rdx);
}

static void check_layout(const struct tcase *c)
{
	tap_ok(hv_size != 0 && !(hv_base & 0xfff), c->name, *c->name_arg);
	guest_printf("# drvisor's memory: %#lx..%#lx (%lu KiB)\n", hv_base, hv_last, hv_size >> 10);
}

static void check_ping(const struct tcase *c)
{
	struct hv_call_args p = { .nr = DV_HC_PING };
	struct trap_info t;
	int faulted = guest_try(hv_call_try, &p, &t);

	if (!tap_ok(!faulted && p.rax == DV_HC_OK && p.out.rbx == DV_HC_PING_MAGIC, "%s", c->name))
		guest_printf("# %s: rax %#lx rbx %#lx\n", faulted ? trap_name(t.vector) : "returned",
			     p.rax, p.out.rbx);
}

/* The monitor UART, as the guest sees it. */

static void check_uart_reads(const struct tcase *c)
{
	uint8_t v[UART_PORTS];
	int ok = 1;
	unsigned i;

	for (i = 0; i < UART_PORTS; i++) {
		v[i] = guest_inb((uint16_t)(monitor_port + i));
		ok = ok && v[i] == (i == UART_LSR ? LSR_IDLE : 0xff);
	}
	if (!tap_ok(ok, c->name, *c->name_arg))
		guest_printf("# read %02x %02x %02x %02x %02x %02x %02x %02x\n", v[0], v[1], v[2],
			     v[3], v[4], v[5], v[6], v[7]);
}

static void check_uart_scratch(const struct tcase *c)
{
	guest_outb((uint16_t)(monitor_port + UART_SCR), 0x5a);
	tap_eq(guest_inb((uint16_t)(monitor_port + UART_SCR)), 0xff, "%s", c->name);
}

#define RAX_PATTERN 0x1122334455667788ull

static void check_uart_in8_keeps_rax(const struct tcase *c)
{
	uint64_t rax = RAX_PATTERN;

	__asm__ volatile("inb %%dx, %%al" : "+a"(rax) : "d"(monitor_port + UART_SCR));
	tap_eq(rax, (RAX_PATTERN & ~0xffull) | 0xff, "%s", c->name);
}

static void check_uart_in16(const struct tcase *c)
{
	uint64_t rax = RAX_PATTERN;

	__asm__ volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(monitor_port + UART_MCR));
	tap_eq(rax, (RAX_PATTERN & ~0xffffull) | 0x60ff, "%s", c->name);
}

/* A 32-bit register write zero-extends into the 64-bit register (SDM vol.
 * 1 3.4.1.1), IN EAX included. */
static void check_uart_in32(const struct tcase *c)
{
	uint64_t rax = RAX_PATTERN;

	__asm__ volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(monitor_port + UART_MCR));
	tap_eq(rax, 0xffff60ffull, "%s", c->name);
}

static void check_uart_marker(const struct tcase *c)
{
	const char *p;

	for (p = MARKER; *p; p++)
		guest_outb((uint16_t)(monitor_port + UART_THR), (uint8_t)*p);
	tap_ok(1, "%s", c->name);
}

static void check_uart_outs(const struct tcase *c)
{
	static const char marker[] = MARKER;
	const char *rsi = marker;
	uint64_t rcx = sizeof(marker) - 1;

	__asm__ volatile("rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(monitor_port + UART_THR)
			 : "memory");
	if (!tap_ok(rsi == marker + sizeof(marker) - 1 && rcx == 0, "%s", c->name))
		guest_printf("# RSI advanced by %ld, RCX %lu\n", (long)(rsi - marker), rcx);
}

/* ---- issue 13: what would reach past the nested page tables ---- */

static uint32_t cpuid_max(uint32_t base)
{
	return hv_cpuid(base, 0).eax;
}

struct trace_bits {
	int pt, ds, arch_lbr;
	uint32_t l1_ecx, l1_edx, l7_ebx, l7_edx, xss_ecx;
	struct hv_cpuid_regs l14, l1c;
};

static struct trace_bits trace_bits(void)
{
	struct trace_bits b = { 0 };
	uint32_t max = cpuid_max(0);
	struct hv_cpuid_regs l1 = hv_cpuid(1, 0);

	b.l1_ecx = l1.ecx & (CPUID_1_ECX_DTES64 | CPUID_1_ECX_DS_CPL);
	b.l1_edx = l1.edx & CPUID_1_EDX_DS;
	if (max >= 7) {
		b.l7_ebx = hv_cpuid(7, 0).ebx & CPUID_7_EBX_PT;
		b.l7_edx = hv_cpuid(7, 0).edx & CPUID_7_EDX_ARCH_LBR;
	}
	if (max >= 0xd)
		b.xss_ecx = hv_cpuid(0xd, 1).ecx & (XSS_PT | XSS_ARCH_LBR);
	if (max >= 0x14)
		b.l14 = hv_cpuid(0x14, 0);
	if (max >= 0x1c)
		b.l1c = hv_cpuid(0x1c, 0);
	b.pt = b.l7_ebx || (b.xss_ecx & XSS_PT) || b.l14.eax | b.l14.ebx | b.l14.ecx | b.l14.edx;
	b.ds = b.l1_ecx || b.l1_edx;
	b.arch_lbr = b.l7_edx || (b.xss_ecx & XSS_ARCH_LBR) ||
		     b.l1c.eax | b.l1c.ebx | b.l1c.ecx | b.l1c.edx;
	return b;
}

static void check_cpuid_trace_hidden(const struct tcase *c)
{
	struct trace_bits b = trace_bits();

	guest_printf("# CPUID: PT %d, debug store %d, architectural LBR %d (1:ECX %#x 1:EDX %#x "
		     "7:EBX %#x 7:EDX %#x D.1:ECX %#x 14:EAX %#x 1C:EAX %#x)\n", b.pt, b.ds,
		     b.arch_lbr, b.l1_ecx, b.l1_edx, b.l7_ebx, b.l7_edx, b.xss_ecx, b.l14.eax,
		     b.l1c.eax);
	if (!under)
		tap_skip(NATIVE " (the line above is what this CPU has)", "%s", c->name);
	else
		tap_ok(!b.pt && !b.ds && !b.arch_lbr, "%s", c->name);
}

/* RDMSR, then WRMSR of 0, of every MSR in [first, last]: each must raise
 * #GP(0) at the instruction. Returns the first MSR that did not, or 0. */
static uint32_t msrs_fault(uint32_t first, uint32_t last)
{
	uint32_t msr;

	for (msr = first; msr <= last; msr++) {
		struct msr_op rd = { .msr = msr }, wr = { .msr = msr };
		struct trap_info t;

		if (!guest_try(do_rdmsr, &rd, &t) || t.vector != TRAP_GP || t.error_code)
			return msr;
		if (!guest_try(do_wrmsr, &wr, &t) || t.vector != TRAP_GP || t.error_code)
			return msr;
	}
	return 0;
}

/* No CPU assigns it: a platform that raises no #GP there raises none for
 * any MSR it lacks. */
#define UNASSIGNED_MSR 0x1fffu

struct msr_span {
	uint32_t first, last;
};

/* Natively a CPU that has the feature has these MSRs: skipped there. */
static void check_msr_spans(const struct tcase *c, const struct msr_span *s, unsigned n,
			    int cpu_has, const char *feature)
{
	uint32_t bad = 0;
	unsigned i;

	if (!under && cpu_has) {
		tap_skip("this CPU has the feature natively", "%s", c->name);
		return;
	}
	if (!under && msrs_fault(UNASSIGNED_MSR, UNASSIGNED_MSR)) {
		tap_skip("platform raises no #GP for an MSR it lacks (QEMU TCG; Bochs with "
			 "ignore_bad_msrs, its default): RDMSR reads 0", "%s", c->name);
		return;
	}
	for (i = 0; i < n && !bad; i++)
		bad = msrs_fault(s[i].first, s[i].last);
	if (!tap_ok(!bad, "%s", c->name))
		guest_printf("# MSR %#x (%s) did not raise #GP(0) on RDMSR or WRMSR 0\n", bad,
			     feature);
}

static void check_msrs_pt(const struct tcase *c)
{
	static const struct msr_span s[] = { { 0x560, 0x561 }, { 0x570, 0x572 }, { 0x580, 0x587 } };

	check_msr_spans(c, s, 3, trace_bits().pt, "Intel PT");
}

static void check_msrs_ds(const struct tcase *c)
{
	static const struct msr_span s[] = { { 0x600, 0x600 }, { 0x3f1, 0x3f1 } };

	check_msr_spans(c, s, 2, trace_bits().ds, "debug store");
}

static void check_msrs_arch_lbr(const struct tcase *c)
{
	static const struct msr_span s[] = {
		{ 0x14ce, 0x14cf }, { 0x1200, 0x121f }, { 0x1500, 0x151f }, { 0x1600, 0x161f },
	};

	check_msr_spans(c, s, 4, trace_bits().arch_lbr, "architectural LBR");
}

static void check_feature_control_read(const struct tcase *c)
{
	struct msr_op rd = { .msr = MSR_IA32_FEATURE_CONTROL };
	struct trap_info t;
	int faulted = guest_try(do_rdmsr, &rd, &t);

	guest_printf("# IA32_FEATURE_CONTROL: %s %#lx\n", faulted ? trap_name(t.vector) : "reads",
		     rd.value);
	/* Natively the firmware's value (OVMF on Bochs leaves it 0, unlocked);
	 * under drvisor the lock is set (drvisor locked the real MSR with VMX
	 * on for itself) and the guest's VMX bits are clear. */
	if (!under)
		tap_ok(!faulted, "%s", c->name);
	else
		tap_ok(!faulted && (rd.value & FEATURE_CONTROL_LOCK) &&
			       !(rd.value & FEATURE_CONTROL_VMX),
		       "%s", c->name);
}

/* A locked IA32_FEATURE_CONTROL refuses every write (SDM vol. 3C 24.7);
 * an unlocked one (natively on Bochs) takes back the value it holds. */
static void check_feature_control_write(const struct tcase *c)
{
	struct msr_op rd = { .msr = MSR_IA32_FEATURE_CONTROL }, wr = { .msr = MSR_IA32_FEATURE_CONTROL };
	struct trap_info t;
	int locked, faulted;

	if (guest_try(do_rdmsr, &rd, &t)) {
		tap_ok(0, "%s", c->name);
		guest_printf("# RDMSR raised %s\n", trap_name(t.vector));
		return;
	}
	locked = !!(rd.value & FEATURE_CONTROL_LOCK);
	wr.value = rd.value;
	faulted = guest_try(probe_wrmsr, &wr, &t);
	if (!tap_ok(locked ? faulted && t.vector == TRAP_GP && t.error_code == 0 &&
				     t.rip == (uint64_t)(uintptr_t)probe_wrmsr_insn
			   : !faulted,
		    "%s", c->name))
		guest_printf("# value %#lx (%s), WRMSR %s\n", rd.value, locked ? "locked" : "unlocked",
			     faulted ? trap_name(t.vector) : "completed");
}

/* WRMSR EFER | bit. Returns 1 if it raised #GP(0) and EFER is unchanged,
 * 0 if not; *taken: the bit reads back set (then EFER is restored). */
static int efer_set_faults(uint64_t bit, int *taken)
{
	struct msr_op rd = { .msr = MSR_EFER }, wr = { .msr = MSR_EFER }, again = { .msr = MSR_EFER };
	struct trap_info t;
	int faulted;

	*taken = 0;
	if (guest_try(do_rdmsr, &rd, &t))
		return 0;
	wr.value = rd.value | bit;
	faulted = guest_try(probe_wrmsr, &wr, &t);
	faulted = faulted && t.vector == TRAP_GP && t.error_code == 0 &&
		  t.rip == (uint64_t)(uintptr_t)probe_wrmsr_insn;
	if (guest_try(do_rdmsr, &again, &t))
		return 0;
	if (again.value & bit) {
		*taken = 1;
		wr.value = rd.value;
		guest_try(do_wrmsr, &wr, &t);
	}
	return faulted && again.value == rd.value;
}

#define QEMU_EFER "platform ignores a reserved EFER bit instead of #GP (QEMU TCG's WRMSR)"

/* Natively: the CPU's own answer is the reference; a write that neither
 * faults nor sticks is QEMU's WRMSR, which drops unsupported bits. */
static void efer_reserved(const struct tcase *c, uint64_t bit)
{
	int taken, ok = efer_set_faults(bit, &taken);

	if (!under && !ok && !taken) {
		tap_skip(QEMU_EFER, "%s", c->name);
		return;
	}
	if (!tap_ok(ok, "%s", c->name))
		guest_printf("# EFER bit %#lx %s\n", bit, taken ? "was taken" : "did not fault");
}

static void check_efer_bit63(const struct tcase *c)
{
	efer_reserved(c, EFER_RESERVED_TOP);
}

static void check_efer_autoibrs(const struct tcase *c)
{
	int taken;

	if (hv.vendor == HV_VENDOR_AMD && cpuid_max(0x80000000u) >= 0x80000021u &&
	    (hv_cpuid(0x80000021u, 0).eax & CPUID_21_EAX_AUTOIBRS)) {
		/* the CPU has it: the write must stick (EFER restored after) */
		efer_set_faults(EFER_AIBRSE, &taken);
		tap_ok(taken, "%s", c->name);
		return;
	}
	efer_reserved(c, EFER_AIBRSE);
}

/* LMSLE exists on AMD before Zen 3 without a CPUID bit of its own; drvisor
 * never grants it (arch-x86/efer_mask.c). Natively an AMD CPU that does not
 * report "LMSLE must be zero" may take it: that run only reports. */
static void check_efer_lmsle(const struct tcase *c)
{
	int taken, ok;

	if (!under && hv.vendor == HV_VENDOR_AMD && cpuid_max(0x80000000u) >= 0x80000008u &&
	    !(hv_cpuid(0x80000008u, 0).ebx & CPUID_8_EBX_LMSLE_MBZ)) {
		ok = efer_set_faults(EFER_LMSLE, &taken);
		guest_printf("# natively LMSLE %s\n", ok ? "raises #GP" : taken ? "is taken" :
			     "is ignored");
		if (ok)
			tap_ok(1, "%s", c->name);
		else
			tap_skip("natively this AMD CPU takes or drops LMSLE; drvisor refuses it",
				 "%s", c->name);
		return;
	}
	efer_reserved(c, EFER_LMSLE);
}

static void do_read8(void *arg)
{
	probe_read8(arg);
}

#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

/* The highest page below limit that the table at level (0: PML4, covering
 * base upwards) maps, or 0. The firmware's tables are identity-mapped. */
static uint64_t top_mapped(uint64_t table, int level, uint64_t base, uint64_t limit)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)table;
	unsigned shift = 39 - 9 * level;
	int i;

	for (i = 511; i >= 0; i--) {
		uint64_t e = t[i], a = base + ((uint64_t)i << shift), r;

		if (!(e & PTE_P) || a >= limit)
			continue;
		if (level == 3 || (level > 0 && (e & PTE_PS)))
			return (a + (1ull << shift) > limit ? limit : a + (1ull << shift)) - PAGE;
		r = top_mapped(e & PTE_ADDR, level + 1, a, limit);
		if (r)
			return r;
	}
	return 0;
}

/* Every address up to the CPU's physical width reaches its device (or
 * nothing, reading all-ones), drvisor's hole excepted: the highest page
 * below 2^MAXPHYADDR that the firmware's identity map maps (without 1 GiB
 * pages drvisor's own map used to end at 4 GiB or the top of RAM). */
static void check_phys_top(const struct tcase *c)
{
	uint64_t bits = cpuid_max(0x80000000u) >= 0x80000008u ? hv_cpuid(0x80000008u, 0).eax & 0xff
							      : 36;
	uint64_t cr3, addr;
	struct trap_info t;
	int faulted;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	addr = top_mapped(cr3 & PTE_ADDR, 0, 0, 1ull << bits);
	faulted = guest_try(do_read8, &addr, &t);
	guest_printf("# %lu physical address bits; the firmware maps up to %#lx; read there: %s\n",
		     bits, (uint64_t)(addr + PAGE), faulted ? trap_name(t.vector) : "no fault");
	tap_ok(addr && !faulted, "%s", c->name);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define MSR_IA32_TSC 0x10u
#define TSC_JUMP (1ull << 40)
#define TSC_SLACK (1ull << 32) /* ticks between the WRMSR and the RDTSC */
/* Natively the run shows it; under drvisor the runner says platform=qemu. */
#define QEMU_TSC "platform ignores WRMSR IA32_TSC (QEMU 7.2 TCG: RDTSC keeps counting)"

/* The reference for the monitor's TSC test (montest phase 7): RDTSC after
 * WRMSR IA32_TSC reads the value written (SDM vol. 3B 18.17), natively and
 * under drvisor (which lets the write through). The TSC is put back. */
static void check_tsc_write(const struct tcase *c)
{
	struct msr_op wr = { .msr = MSR_IA32_TSC };
	struct trap_info t;
	uint64_t target = rdtsc() + TSC_JUMP, after;
	int faulted;

	wr.value = target;
	faulted = guest_try(do_wrmsr, &wr, &t);
	after = rdtsc();
	if (!faulted) {
		wr.value = rdtsc() - TSC_JUMP;
		guest_try(do_wrmsr, &wr, &t);
	}
	if (!faulted && after - target >= TSC_SLACK && (!under || on_qemu)) {
		guest_printf("# wrote %#lx, RDTSC then read %#lx\n", target, after);
		tap_skip(QEMU_TSC, "%s", c->name);
		return;
	}
	if (!tap_ok(!faulted && after - target < TSC_SLACK, "%s", c->name))
		guest_printf("# %s, wrote %#lx, RDTSC then read %#lx\n",
			     faulted ? trap_name(t.vector) : "no fault", target, after);
}

static int host_watch(uint64_t op, uint64_t count, struct hv_call_args *a)
{
	struct trap_info t;

	*a = (struct hv_call_args){ .nr = DV_HC_HOST_WATCH, .rbx = op, .rcx = count };
	return !guest_try(hv_call_try, a, &t);
}

/* The host loops the count given: bounded by DV_HOST_WATCH_TOUCH_MAX. Over
 * it: DV_HC_ERR_INVALID and no write (the hit count stays); at it: done. A
 * huge count is tried only once one over the bound was refused (the old
 * host would loop for ever). */
static void check_host_watch_bound(const struct tcase *c)
{
	struct hv_call_args q, over, huge, at, after;
	int ok;

	if (!host_watch(DV_HOST_WATCH_QUERY, 0, &q) || q.rax == DV_HC_ERR_PERM) {
		tap_skip("drvisor without test hooks (DV_HC_HOST_WATCH returned DV_HC_ERR_PERM)",
			 "%s", c->name);
		return;
	}
	ok = host_watch(DV_HOST_WATCH_TOUCH, DV_HOST_WATCH_TOUCH_MAX + 1, &over) &&
	     over.rax == DV_HC_ERR_INVALID;
	ok = ok && host_watch(DV_HOST_WATCH_TOUCH, 1ull << 62, &huge) &&
	     huge.rax == DV_HC_ERR_INVALID;
	ok = ok && host_watch(DV_HOST_WATCH_QUERY, 0, &after) && after.out.rbx == q.out.rbx;
	ok = ok && host_watch(DV_HOST_WATCH_TOUCH, DV_HOST_WATCH_TOUCH_MAX, &at) &&
	     at.rax == DV_HC_OK && at.out.rbx - q.out.rbx == DV_HOST_WATCH_TOUCH_MAX;
	if (!tap_ok(ok, "%s", c->name))
		guest_printf("# over the bound: status %#lx, hits %lu -> %lu\n", over.rax,
			     q.out.rbx, over.out.rbx);
}

#define FAULT(v, w, nm, p, a, x) \
	{ .vendor = (v), .when = (w), .name = (nm), .probe = p, .arg = (a), .insn = p##_insn, \
	  .vector = (x) }
#define CHECK(v, w, nm, fn) { .vendor = (v), .when = (w), .name = (nm), .check = (fn) }
/* The same, with a name that shows *a (through %lx); a result kept in
 * *res, or needed from *need */
#define FAULT_AT(v, w, nm, a, p, x, res, need, why) \
	{ .vendor = (v), .when = (w), .name = (nm), .name_arg = (a), .probe = p, .arg = (a), \
	  .insn = p##_insn, .vector = (x), .passed = (res), .needs = (need), .needs_why = (why) }
#define CHECK_AT(v, w, nm, a, fn) \
	{ .vendor = (v), .when = (w), .name = (nm), .name_arg = (a), .check = (fn) }
#define AMD HV_VENDOR_AMD
#define INTEL HV_VENDOR_INTEL
#define ANY HV_VENDOR_OTHER

static const struct tcase cases[] = {
	/* AMD SVM */
	FAULT(AMD, ALWAYS, "VMRUN raises #UD", probe_vmrun, (void *)scratch, TRAP_UD),
	FAULT(AMD, ALWAYS, "VMLOAD raises #UD", probe_vmload, (void *)scratch, TRAP_UD),
	FAULT(AMD, ALWAYS, "VMSAVE raises #UD", probe_vmsave, (void *)scratch, TRAP_UD),
	FAULT(AMD, ALWAYS, "STGI raises #UD", probe_stgi, 0, TRAP_UD),
	FAULT(AMD, ALWAYS, "CLGI raises #UD", probe_clgi, 0, TRAP_UD),
	FAULT(AMD, ALWAYS, "SKINIT raises #UD", probe_skinit, (void *)scratch, TRAP_UD),
	FAULT(AMD, ALWAYS, "INVLPGA raises #UD", probe_invlpga, (void *)scratch, TRAP_UD),
	CHECK(AMD, DRVISOR, "VMMCALL with an unknown number returns DV_HC_ERR_UNKNOWN, "
			    "RBX/RCX/RDX untouched", check_unknown_hypercall),
	FAULT(AMD, DRVISOR, "RDMSR VM_CR raises #GP(0)", probe_rdmsr, &op_vm_cr_rd, TRAP_GP),
	FAULT(AMD, DRVISOR, "WRMSR VM_CR raises #GP(0)", probe_wrmsr, &op_vm_cr_wr, TRAP_GP),
	FAULT(AMD, DRVISOR, "RDMSR VM_HSAVE_PA raises #GP(0)", probe_rdmsr, &op_hsave_rd, TRAP_GP),
	FAULT(AMD, DRVISOR, "WRMSR VM_HSAVE_PA raises #GP(0)", probe_wrmsr, &op_hsave_wr, TRAP_GP),
	CHECK(AMD, ALWAYS, "RDMSR EFER shows SVME clear", check_efer_read),
	FAULT(AMD, DRVISOR, "WRMSR EFER setting SVME raises #GP(0)", probe_wrmsr, &op_efer_svme,
	      TRAP_GP),
	CHECK(AMD, ALWAYS, "WRMSR EFER with SVME clear is accepted, EFER reads back the same",
	      check_efer_writeback),
	/* Intel VMX */
	FAULT(INTEL, ALWAYS, "VMXON raises #UD", probe_vmxon, &scratch_pa, TRAP_UD),
	CHECK(INTEL, DRVISOR, "VMCALL with an unknown number returns DV_HC_ERR_UNKNOWN, "
			      "RBX/RCX/RDX untouched", check_unknown_hypercall),
	FAULT(INTEL, ALWAYS, "VMCLEAR raises #UD", probe_vmclear, &scratch_pa, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMPTRLD raises #UD", probe_vmptrld, &scratch_pa, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMPTRST raises #UD", probe_vmptrst, (void *)scratch, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMREAD raises #UD", probe_vmread, 0, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMWRITE raises #UD", probe_vmwrite, 0, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMLAUNCH raises #UD", probe_vmlaunch, 0, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMRESUME raises #UD", probe_vmresume, 0, TRAP_UD),
	FAULT(INTEL, ALWAYS, "VMXOFF raises #UD", probe_vmxoff, 0, TRAP_UD),
	FAULT(INTEL, ALWAYS, "INVEPT raises #UD", probe_invept, descriptor, TRAP_UD),
	FAULT(INTEL, ALWAYS, "INVVPID raises #UD", probe_invvpid, descriptor, TRAP_UD),
	CHECK(INTEL, ALWAYS, "RDMSR IA32_FEATURE_CONTROL reads (under drvisor: locked, VMX off)",
	      check_feature_control_read),
	CHECK(INTEL, ALWAYS, "WRMSR IA32_FEATURE_CONTROL of the value read raises #GP(0) iff it "
			     "reads locked", check_feature_control_write),
	FAULT(INTEL, DRVISOR, "RDMSR IA32_VMX_BASIC raises #GP(0)", probe_rdmsr, &op_vmx_basic,
	      TRAP_GP),
	CHECK(INTEL, ALWAYS, "CR4 shows VMXE clear", check_cr4),
	CHECK(INTEL, ALWAYS, "MOV CR4 of the value read is accepted, VMXE stays clear",
	      check_cr4_writeback),
	/* Both */
	CHECK(ANY, DRVISOR, "CPUID hides SVM (80000001:ECX[2]) and VMX (1:ECX[5]), shows "
			    "the hypervisor bit", check_cpuid_hides),
	CHECK(ANY, ALWAYS, "CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE (clear, then set)",
	      check_cpuid_osxsave),
	CHECK_AT(ANY, DRVISOR, "DV_HC_GET_LAYOUT gives drvisor's memory at %#lx", &hv_base,
		 check_layout),
	FAULT_AT(ANY, DRVISOR, "read of drvisor memory at %#lx (first byte) raises #GP(0)",
		 &hv_first, probe_read8, TRAP_GP, &read_first_ok, 0, 0),
	FAULT_AT(ANY, DRVISOR, "read of drvisor memory at %#lx (last byte) raises #GP(0)",
		 &hv_last, probe_read8, TRAP_GP, &read_last_ok, 0, 0),
	FAULT_AT(ANY, DRVISOR, "write of drvisor memory at %#lx (first byte) raises #GP(0)",
		 &hv_first, probe_write8, TRAP_GP, 0, &read_first_ok, WRITE_UNSAFE),
	FAULT_AT(ANY, DRVISOR, "write of drvisor memory at %#lx (last byte) raises #GP(0)",
		 &hv_last, probe_write8, TRAP_GP, 0, &read_last_ok, WRITE_UNSAFE),
	CHECK_AT(ANY, DRVISOR, "monitor UART at %#lx: ports read 0xff, LSR reads 0x60",
		 &monitor_port_arg, check_uart_reads),
	CHECK(ANY, DRVISOR, "monitor UART: SCR written 0x5a reads back 0xff", check_uart_scratch),
	CHECK(ANY, DRVISOR, "monitor UART: IN AL keeps RAX[63:8]", check_uart_in8_keeps_rax),
	CHECK(ANY, DRVISOR, "monitor UART: IN AX at MCR reads 0x60ff, keeps RAX[63:16]",
	      check_uart_in16),
	CHECK(ANY, DRVISOR, "monitor UART: IN EAX at MCR reads 0xffff60ff, zero-extended into RAX",
	      check_uart_in32),
	CHECK(ANY, DRVISOR, "monitor UART: marker written byte by byte to THR (dropped)",
	      check_uart_marker),
	CHECK(ANY, DRVISOR, "monitor UART: REP OUTSB of the marker is dropped, RSI/RCX advance",
	      check_uart_outs),
	FAULT(ANY, DRVISOR, "monitor UART: INSB raises #GP(0)", probe_insb, &op_insb, TRAP_GP),
	CHECK(ANY, ALWAYS, "CPUID shows no Intel PT, debug store or architectural LBR "
			   "(natively: what the CPU has)", check_cpuid_trace_hidden),
	CHECK(ANY, ALWAYS, "Intel PT MSRs (0x560-0x561, 0x570-0x572, 0x580-0x587) raise #GP(0)",
	      check_msrs_pt),
	CHECK(ANY, ALWAYS, "debug store MSRs (IA32_DS_AREA, IA32_PEBS_ENABLE) raise #GP(0)",
	      check_msrs_ds),
	CHECK(ANY, ALWAYS, "architectural LBR MSRs (0x14ce-0x14cf, 0x1200+, 0x1500+, 0x1600+) "
			   "raise #GP(0)", check_msrs_arch_lbr),
	CHECK(ANY, ALWAYS, "WRMSR EFER with reserved bit 63 raises #GP(0), EFER unchanged",
	      check_efer_bit63),
	CHECK(ANY, ALWAYS, "WRMSR EFER with AutoIBRS (bit 21) follows CPUID 0x80000021:EAX[8]",
	      check_efer_autoibrs),
	CHECK(ANY, ALWAYS, "WRMSR EFER with LMSLE (bit 13) raises #GP(0) (drvisor never grants it)",
	      check_efer_lmsle),
	CHECK(ANY, ALWAYS, "read of the highest page the firmware maps below the CPU's physical "
			   "address width does not fault", check_phys_top),
	CHECK(ANY, ALWAYS, "RDTSC after WRMSR IA32_TSC (+2^40) reads the value written",
	      check_tsc_write),
	CHECK(ANY, DRVISOR, "DV_HOST_WATCH_TOUCH refuses counts above DV_HOST_WATCH_TOUCH_MAX",
	      check_host_watch_bound),
	CHECK(ANY, DRVISOR, "drvisor still alive: DV_HC_PING answers", check_ping),
};

static int applies(const struct tcase *c)
{
	return c->vendor == ANY || c->vendor == hv.vendor;
}

/* Every case, on the CPU this runs on. */
static void run_cases(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		if (!applies(c))
			continue;
		if (!under && c->when == DRVISOR) {
			tap_skip(NATIVE, c->name, c->name_arg ? *c->name_arg : 0);
		} else if (c->needs && !*c->needs) {
			tap_ok(0, c->name, c->name_arg ? *c->name_arg : 0);
			guest_printf("# not attempted: %s\n", c->needs_why);
		} else if (c->check) {
			c->check(c);
		} else {
			expect_fault(c);
		}
	}
}

/* The same cases on each AP, named "cpu N: ...": under drvisor every CPU is
 * (issue 14), so each must give the BSP's answers. An AP whose run ends
 * early (an exception no case expected) gets "not ok" for the cases it did
 * not reach. */
static void run_on_aps(unsigned planned)
{
	for (unsigned cpu = 1; cpu < mp_cpus(); cpu++)
		mp_run_tap(cpu, run_cases, planned);
}

/* monitor_port=0xNNN (or decimal) among the load options. */
static void parse_load_options(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	uint64_t v;

	if (!guest_option_u64(image, st, "monitor_port", &v))
		return;
	if (v > 0 && v <= 0xfff8)
		monitor_port = (uint16_t)v;
	else
		guest_printf("# ignoring a bad monitor_port= load option\n");
}

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi
 * (efibind.h turns MS ABI on whenever GNU_EFI_USE_MS_ABI is defined, even
 * as 0). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	unsigned i, planned = 0;

	serial_init();
	trap_install();
	mp_init(st);
	parse_load_options(image, st);
	on_qemu = guest_option_is(image, st, "platform=qemu");
	under = hv_detect(&hv);
	scratch_pa = (uint64_t)(uintptr_t)scratch; /* OVMF maps memory 1:1 */
	op_hsave_wr.value = scratch_pa;
	monitor_port_arg = monitor_port;
	op_insb.port = (uint16_t)(monitor_port + UART_THR);
	op_insb.buf = (uint64_t)(uintptr_t)ins_buf;

	if (under) {
		struct hv_call_args layout = { .nr = DV_HC_GET_LAYOUT };
		struct msr_op efer = { .msr = MSR_EFER };
		struct trap_info t;

		if (!guest_try(hv_call_try, &layout, &t) && layout.rax == DV_HC_OK) {
			hv_base = layout.out.rbx;
			hv_size = layout.out.rcx;
			hv_first = hv_base;
			hv_last = hv_base + hv_size - 1;
		}
		if (!guest_try(do_rdmsr, &efer, &t))
			op_efer_svme.value = efer.value | EFER_SVME;
		guest_printf("isolation: running under drvisor %u.%u on %s, monitor port %#x\n",
			     hv.version >> 16, hv.version & 0xffff, hv_vendor_name(hv.vendor),
			     monitor_port);
	} else {
		guest_printf("isolation: " NATIVE " on %s\n", hv_vendor_name(hv.vendor));
	}

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		planned += applies(&cases[i]);
	tap_plan(planned * mp_cpus());
	run_cases(0);
	run_on_aps(planned);

	if (under) {
		struct hv_call_args stats = { .nr = DV_HC_REPORT_STATS };
		struct trap_info t;

		guest_try(hv_call_try, &stats, &t);
	}
	guest_exit(tap_failures() ? 1 : 0);
}
