/*
 * Guest-test support library: the few services a test program needs while it
 * runs as drvisor's guest (or natively, for the reference run).
 *
 * Why not the firmware's console: gnu-efi's Print() goes to ConOut, which may
 * or may not be mirrored to a serial port depending on the firmware build and
 * on which port the hypervisor has claimed. Tests talk to COM1 directly, so
 * the output a test driver reads is the same byte stream under QEMU, Bochs
 * and real hardware, with or without drvisor underneath.
 *
 * Why polled 8N1: Bochs drops bytes from a port that was never initialised or
 * that is written faster than its transmitter drains (see DESIGN.md).
 */
#ifndef DRVISOR_GUEST_H
#define DRVISOR_GUEST_H

#include <efi.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Port numbers of the test channel. */
#define GUEST_COM1_BASE      0x3f8
#define GUEST_QEMU_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4 */
#define GUEST_BOCHS_SHUTDOWN 0x8900 /* Bochs: the bytes of "Shutdown" end it */

/* serial.c: 16550 on COM1, 115200 8N1, polled. */
void serial_init(void);
void serial_putc(char c);             /* "\n" goes out as "\r\n" */
void serial_puts(const char *s);
void serial_flush(void);              /* waits for the transmitter to empty */
/* Output to buf (size bytes) instead of COM1 until serial_capture_stop(),
 * which returns the bytes kept and stores those dropped (buffer full) in
 * *lost (may be NULL). For mp.c: an AP's output, printed by the BSP. */
void serial_capture_start(char *buf, unsigned size);
unsigned serial_capture_stop(unsigned *lost);

/* tap.c: TAP version 13 on COM1, with a small printf of its own.
 * Format: %s %c %d %i %u %x %lx %llx %lu %ld %p %%, with an optional
 * zero-pad width (e.g. %016llx) and the # flag (0x prefix). */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_vprintf(const char *fmt, va_list ap);
void tap_plan(unsigned n);            /* "TAP version 13" + "1..n" */
/* Prints "ok N - name" or "not ok N - name"; returns cond != 0. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compares two values; on mismatch appends "# expected 0x.. got 0x..". */
int tap_eq(uint64_t got, uint64_t expected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "ok N - name # SKIP reason" */
void tap_skip(const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
unsigned tap_failures(void);          /* count of "not ok" lines so far */
unsigned tap_count(void);             /* test lines (ok, not ok, skip) so far */
/* Text put before every later test name ("ok N - PREFIXname"), e.g.
 * "cpu 1: " for a case run on an AP; "" or NULL for none (the default). */
void tap_set_prefix(const char *prefix);

/* exit.c: end the machine. QEMU's isa-debug-exit makes qemu exit with
 * (code << 1) | 1; Bochs exits on "Shutdown" at 0x8900 (status 1 whatever
 * the code, which is why results are read from the serial output). On real
 * hardware neither port does anything and the CPU halts. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* Port I/O, shared by the library and the tests. */
static inline void guest_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void guest_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t guest_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* hv.c: CPU vendor, drvisor discovery and hypercalls (include/drvisor/hypercall.h).
 * Every CPUID and hypercall a test makes goes through hv_cpuid()/hv_call(),
 * which count them, so a test knows how many CPUID and hypercall exits it
 * caused itself and can compare that with drvisor's exit statistics. */
enum hv_vendor { HV_VENDOR_OTHER = 0, HV_VENDOR_INTEL, HV_VENDOR_AMD };

struct hv_cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

struct hv_info {
	enum hv_vendor vendor;     /* from the CPUID 0 vendor string */
	int hypervisor_bit;        /* CPUID.1:ECX[31] */
	int drvisor;               /* hypervisor bit and the "drvisor" signature */
	uint32_t max_leaf;         /* CPUID 0x40000000 EAX (when drvisor) */
	uint32_t version;          /* 0x40000001 EAX: major << 16 | minor */
	uint32_t vendor_half;      /* 0x40000001 EBX: DV_CPUID_VENDOR_* */
};

struct hv_regs {
	uint64_t rbx, rcx, rdx;
};

struct hv_counts {
	uint64_t cpuid;            /* CPUID instructions executed through hv_cpuid */
	uint64_t hypercall;        /* VMMCALL/VMCALL executed through hv_call */
};

/* Counted per CPU (mp_current()): hv_counts() is the running CPU's. */
struct hv_cpuid_regs hv_cpuid(uint32_t leaf, uint32_t subleaf);
/* Fills *info and returns info->drvisor. Also chooses the hypercall
 * instruction used by hv_call (VMMCALL on AMD, VMCALL otherwise). */
int hv_detect(struct hv_info *info);
enum hv_vendor hv_vendor(void);
const char *hv_vendor_name(enum hv_vendor v);
/* One hypercall: RAX = nr, RBX/RCX/RDX = args; returns RAX and stores the
 * returned RBX/RCX/RDX in *out (may be NULL). Raises #UD where no hypervisor
 * answers it: call it under guest_try() unless drvisor was detected. */
uint64_t hv_call(uint64_t nr, uint64_t rbx, uint64_t rcx, uint64_t rdx, struct hv_regs *out);
/* A hypercall's operands and results, for guest_try(hv_call_try, &args, ...)
 * where the hypercall may raise #UD. */
struct hv_call_args {
	uint64_t nr, rbx, rcx, rdx;  /* in */
	uint64_t rax;                /* out: hv_call's return */
	struct hv_regs out;          /* out: RBX/RCX/RDX */
};
void hv_call_try(void *args);
const struct hv_counts *hv_counts(void);

/* trap.c + trap_entry.asm: our own IDT and a "try" mechanism.
 *
 * trap_install() copies the firmware's 256 gates (SIDT) into our own table
 * and replaces the architectural exception vectors (#DE #DB #BP #OF #BR #UD
 * #NM #DF #TS #NP #SS #GP #PF #MF #AC #XM) with our stubs, so that timer and
 * device interrupts still reach the firmware's handlers. trap_uninstall()
 * puts the firmware's IDTR back; guest_exit() calls it too. */
void trap_install(void);
void trap_uninstall(void);

#define TRAP_DE 0
#define TRAP_DB 1
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_NM 7
#define TRAP_DF 8
#define TRAP_GP 13
#define TRAP_PF 14
#define TRAP_AC 17

/* What one exception looked like. */
struct trap_info {
	uint64_t vector;
	uint64_t error_code;   /* 0 for vectors without one */
	uint64_t rip;          /* as pushed: the faulting insn, or the next one for traps */
	uint64_t rflags;
	uint64_t cr2;          /* read for #PF, else 0 */
	uint64_t dr6;          /* read for #DB, else 0 */
};

/* The register frame our stubs build (lowest address first). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* What a vector's handler does after recording the event:
 * TRAP_ABORT  - unwind to the innermost guest_try(), which returns 1 with
 *               its trap_info filled; outside guest_try() the test bails out
 *               ("Bail out!" on COM1, firmware IDT restored, guest_exit(2)).
 * TRAP_RESUME - append the event to the event log and return to the
 *               interrupted code. For #DB: DR6 is recorded and then reset to
 *               0xffff0ff0 (as an OS does), RF is set when an instruction
 *               breakpoint (a fault) hit so that it does not fire again, and
 *               TF is cleared after a single-step trap (DR6.BS), making TF a
 *               one-shot single step. */
enum trap_mode { TRAP_ABORT = 0, TRAP_RESUME };
void trap_set_mode(unsigned vector, enum trap_mode mode);

/* Runs fn(arg). Returns 0 if it returned normally; 1 if an exception in
 * TRAP_ABORT mode interrupted it, with *t (may be NULL) describing it.
 * Installs our IDT if trap_install() was not called yet. Nests. The
 * callee-saved registers and RFLAGS are those of the call. */
int guest_try(void (*fn)(void *), void *arg, struct trap_info *t);

/* The TRAP_RESUME event log: events recorded since the last clear (the log
 * keeps the first TRAP_LOG_MAX; trap_log_count() counts all). */
#define TRAP_LOG_MAX 32
unsigned trap_log_count(void);
const struct trap_info *trap_log_get(unsigned i);
void trap_log_clear(void);

/* Short name of an exception vector: "#GP", "#UD", ... */
const char *trap_name(uint64_t vector);

/* On an AP (mp.c): load our IDT (once trap_install() ran on the BSP),
 * keeping the AP's own IDTR in *saved; and put it back. */
struct idt_ptr;
void trap_load_here(struct idt_ptr *saved);
void trap_restore_here(const struct idt_ptr *saved);

/* mp.c: a function run on each processor through the firmware's MP
 * services (lib/efi_mp.h). mp_init() finds them (without them, or with one
 * CPU, mp_cpus() is 1 and nothing changes). Logical CPU 0 is the BSP; 1..n-1
 * the enabled APs in the firmware's order (at most GUEST_MAX_CPUS in all).
 *
 * mp_run(cpu, fn, arg, timeout_us, t) runs fn(arg) on that CPU and returns
 * when it is done (StartupThisAP, blocking; timeout_us 0: no limit). On an
 * AP, fn runs with interrupts off (the firmware's AP loop), our IDT loaded,
 * and must not call boot services; what it prints is buffered and printed
 * by the BSP when it returns; TAP lines count on as everywhere. An
 * exception that no guest_try() inside fn catches ends fn: MP_ABORTED with
 * *t (may be NULL) describing it. cpu 0 runs fn here, under guest_try(). */
#define GUEST_MAX_CPUS 16
enum mp_result { MP_DONE = 0, MP_ABORTED, MP_TIMEOUT, MP_FAILED };
void mp_init(EFI_SYSTEM_TABLE *st);
unsigned mp_cpus(void);
unsigned mp_current(void);            /* the logical CPU running the caller */
uint32_t mp_apic_id(unsigned cpu);    /* from the firmware (BSP: CPUID's initial ID) */
enum mp_result mp_run(unsigned cpu, void (*fn)(void *), void *arg, uint64_t timeout_us,
		      struct trap_info *t);
const char *mp_result_name(enum mp_result r);
/* "cpu N: " (a static buffer, rewritten by the next call), for tap_set_prefix. */
const char *mp_cpu_prefix(unsigned cpu);
/* Run fn (a test's cases) on AP cpu, its TAP lines named "cpu N: "; when
 * the run ends early, the lines it did not reach of `planned` are "not ok"
 * and the reason is printed. */
void mp_run_tap(unsigned cpu, void (*fn)(void *), unsigned planned);

/* apic.c: the local APIC's ICR, xAPIC (MMIO) or x2APIC (MSR 0x830), as
 * IA32_APIC_BASE says now. apic_send writes destination (an APIC ID) and
 * the low half, and waits (bounded) for an xAPIC send to leave the pending
 * state; false when the APIC is off or stays busy. */
enum apic_mode { APIC_OFF = 0, APIC_XAPIC, APIC_X2APIC };
enum apic_mode apic_mode(void);
uint64_t apic_xapic_base(void);
bool apic_send(uint32_t dest, uint32_t icr_low);

/* sipi.c + sipi_tramp.asm: an AP started by hand with INIT and SIPIs into
 * a real-mode probe below 1 MiB that fills a struct sipi_report and halts
 * (the firmware's MP services take the CPU back with their own INIT-SIPI-
 * SIPI). sipi_setup() allocates and fills the page (BSP, boot services);
 * sipi_start(dest) is INIT, 10 ms, SIPI, 200 us, SIPI; the single steps are
 * there for the bad-input tests. sipi_wait(stage, us) waits for the probe
 * to reach stage (3: all of it). */
struct sipi_report {
	uint32_t stage;      /* 1: registers read, 2: CPUID read, 3: DEBUGCTL read */
	uint32_t count;      /* times the probe started */
	uint32_t cr0, cs;
	uint32_t dr0, dr1, dr2, dr3, dr6, dr7;
	uint32_t sig_eax, sig_ebx, sig_ecx, sig_edx; /* CPUID 0x40000000 */
	uint32_t apic_id;    /* CPUID.1:EBX[31:24] */
	uint32_t debugctl_lo, debugctl_hi;
};
bool sipi_setup(EFI_SYSTEM_TABLE *st);
uint8_t sipi_vector(void);
volatile struct sipi_report *sipi_report(void);
void sipi_clear(void);
bool sipi_send_init(uint32_t dest);
bool sipi_send_startup(uint32_t dest, uint8_t vector);
bool sipi_start(uint32_t dest);
bool sipi_wait(uint32_t stage, uint64_t us);

/* options.c: the image's load options (drvisor's next_args, the shell's
 * command line), read as words separated by spaces or tabs. A word matches
 * whole: "seed" finds "seed=5", never "myseed=5". Odd-sized options (not
 * UCS-2) and no options at all read as no words. */

/* Finds the first word "key=VALUE" (key non-empty, without the '=').
 * Returns true with *out = VALUE when VALUE is a decimal or 0x/0X hex number
 * that fits 64 bits and is all there is to the word. Otherwise returns false
 * and leaves *out alone: for no such word silently, for a malformed VALUE
 * ("key=", "key=12ab", "key=0x", overflow) after printing
 * "# ignoring a bad key= load option"; later "key=" words are not tried. */
bool guest_option_u64(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, const char *key, uint64_t *out);

/* Whether some word is exactly `word` (non-empty), e.g. a flag such as
 * "platform=qemu": "platform=qemu2" or "xplatform=qemu" do not count. */
bool guest_option_is(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, const char *word);

/* The IDT as the CPU reads it (SDM vol. 3A 6.10, 6.14.1): one 64-bit gate
 * and the IDTR, with the two instructions the tests use to find them. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static inline struct idt_ptr guest_sidt(void)
{
	struct idt_ptr r;

	__asm__ volatile("sidt %0" : "=m"(r));
	return r;
}

static inline uint16_t guest_read_cs(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}


#endif
