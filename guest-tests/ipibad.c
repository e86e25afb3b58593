/*
 * ipibad: IPIs a guest should not send, and a CPU that dies, each with its
 * documented answer (guest-tests/README.md, issue 14 "Bad input and
 * faults"); afterwards the BSP, every AP and (under drvisor) the hypervisor
 * still answer. Natively first: the native run says what the hardware does.
 *
 *  1. INIT-SIPI-SIPI to an APIC ID no CPU has: nothing starts (an IPI to an
 *     absent destination is not delivered; SDM vol. 3A 11.6.1).
 *  2. A SIPI without INIT to an AP that is running (the firmware's HLT
 *     loop): ignored, a SIPI acts only in wait-for-SIPI (SDM vol. 3A 9.4.4,
 *     11.6.1 "Start-Up"); the probe must not run.
 *  3. An ICR write by REP MOVSD, 4. by ADD m32 (read-modify-write): natively
 *     plain stores; under drvisor #GP(0) at the instruction, since its store
 *     decoder takes MOV and XCHG only (docs/mmio.md) and never guesses. The
 *     value is a fixed IPI to the absent APIC ID: harmless if it is sent.
 *  5. A triple fault on the last AP (empty IDT, UD2). Natively every
 *     platform here ends the machine (seen: QEMU 7.2 resets it, Bochs 2.7
 *     panics, or resets with reset_on_triple_fault=1), as a chipset does
 *     on a shutdown cycle: skipped natively. Under drvisor with
 *     on_guest_shutdown=stop (load option `shutdown=stop`, given by
 *     guest_run.sh where the platform lets drvisor see the triple fault:
 *     not Bochs 2.7 ryzen, which panics first, see shutdown_run.sh) that
 *     vCPU is parked, the others go on, StartupThisAP times out and
 *     MpInitLib's INIT-SIPI-SIPI (ResetProcessorToIdleState) brings it
 *     back: an INIT takes a CPU out of the shutdown state (SDM vol. 3A
 *     6.15, #DF "the processor enters shutdown"; INIT, NMI, SMI, RESET
 *     leave it).
 *  6. INIT to the boot CPU: natively the BSP restarts the firmware from the
 *     reset vector, which no program survives to report (skipped natively);
 *     under drvisor the INIT is refused (one log line) and the BSP goes on.
 *
 * Load option shutdown=stop: drvisor runs with on_guest_shutdown=stop.
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define NATIVE "running natively"
#define ICR_FIXED 0u
#define ICR_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define XAPIC_ICR_LO 0x300
#define XAPIC_ICR_HI 0x310
#define HARMLESS_VECTOR 0xfe
#define PROBE_WAIT_US 100000
#define TRIPLE_TIMEOUT_US 1000000
#define NATIVE_RESETS NATIVE " (the platform ends the machine on any CPU's triple fault)"
#define NO_STOP "drvisor without on_guest_shutdown=stop (or the platform panics first: Bochs 2.7 ryzen)"

struct icr_op {
	uint64_t target; /* the ICR's address */
	uint32_t value;
};

void ipibad_rep_movsd(void *op);
void ipibad_add_m32(void *op);
extern char ipibad_rep_movsd_insn[], ipibad_add_m32_insn[];

static int under;

static void ap_mark(void *arg)
{
	*(volatile int *)arg = 1;
}

/* Every AP runs a function for the MP services, and drvisor (when there)
 * answers DV_HC_PING on the BSP. */
static int all_alive(unsigned skip_cpu)
{
	int ok = 1;

	for (unsigned cpu = 1; cpu < mp_cpus(); cpu++) {
		volatile int mark = 0;
		enum mp_result r;

		if (cpu == skip_cpu)
			continue;
		r = mp_run(cpu, ap_mark, (void *)&mark, 0, NULL);
		if (r != MP_DONE || !mark) {
			guest_printf("# cpu %u does not answer: %s\n", cpu, mp_result_name(r));
			ok = 0;
		}
	}
	if (under) {
		struct hv_call_args c = { .nr = DV_HC_PING };
		struct trap_info t;

		if (guest_try(hv_call_try, &c, &t) || c.rax != DV_HC_OK) {
			guest_printf("# DV_HC_PING does not answer\n");
			ok = 0;
		}
	}
	return ok;
}

static uint32_t absent_apic_id(void)
{
	uint32_t id = 0;

	for (unsigned cpu = 0; cpu < mp_cpus(); cpu++)
		if (mp_apic_id(cpu) >= id)
			id = mp_apic_id(cpu) + 1;
	return id + 16 < 0xff ? id + 16 : id; /* 0xff is the xAPIC broadcast */
}

static void case_absent(void)
{
	uint32_t id = absent_apic_id();
	bool sent;

	sipi_clear();
	sent = sipi_start(id);
	sipi_wait(1, PROBE_WAIT_US);
	guest_printf("# INIT-SIPI-SIPI to APIC ID %u: sent %d, probe stage %u\n", id, sent,
		     sipi_report()->stage);
	tap_ok(sipi_report()->count == 0 && all_alive(0),
	       "INIT-SIPI-SIPI to an absent APIC ID starts nothing; every CPU still answers");
}

static void case_sipi_alone(void)
{
	uint32_t id = mp_apic_id(1);

	sipi_clear();
	sipi_send_startup(id, sipi_vector());
	sipi_send_startup(id, sipi_vector());
	sipi_wait(1, PROBE_WAIT_US);
	guest_printf("# two SIPIs without INIT to APIC ID %u: probe started %u times\n", id,
		     sipi_report()->count);
	tap_ok(sipi_report()->count == 0 && all_alive(0),
	       "SIPI without INIT to a running AP is ignored; every CPU still answers");
}

/* Cases 3 and 4: one form, natively a store, under drvisor #GP(0). */
static void case_icr_form(void (*probe)(void *), const char *insn, const char *name)
{
	struct icr_op op = { .value = ICR_FIXED | ICR_ASSERT | HARMLESS_VECTOR };
	struct trap_info t;
	int faulted;

	if (apic_mode() != APIC_XAPIC) {
		tap_skip("platform lacks the xAPIC page (x2APIC or off)", "%s", name);
		return;
	}
	op.target = apic_xapic_base() + XAPIC_ICR_LO;
	*(volatile uint32_t *)(uintptr_t)(apic_xapic_base() + XAPIC_ICR_HI) = absent_apic_id() << 24;
	faulted = guest_try(probe, &op, &t);
	if (faulted || under)
		guest_printf("# %s: %s error code %#lx at %#lx (instruction at %p)\n", name,
			     faulted ? trap_name(t.vector) : "no exception", t.error_code, t.rip,
			     (void *)insn);
	if (under)
		tap_ok(faulted && t.vector == TRAP_GP && t.error_code == 0 &&
			       t.rip == (uint64_t)(uintptr_t)insn && all_alive(0),
		       "%s: #GP(0) at the instruction (drvisor does not decode it); every CPU still "
		       "answers", name);
	else
		tap_ok(!faulted && all_alive(0), "%s: a plain store natively; every CPU still answers",
		       name);
}

static void ap_triple_fault(void *arg)
{
	struct idt_ptr empty = { 0, 0 };

	(void)arg;
	__asm__ volatile("lidt %0; ud2" : : "m"(empty) : "memory");
}

static void case_triple(int stop)
{
	unsigned cpu = mp_cpus() - 1;
	enum mp_result r;
	volatile int mark = 0;

	if (!under || !stop) {
		tap_skip(under ? NO_STOP : NATIVE_RESETS, "a triple fault on cpu %u: the others go on, "
			 "the firmware's INIT-SIPI-SIPI takes it back", cpu);
		return;
	}
	r = mp_run(cpu, ap_triple_fault, 0, TRIPLE_TIMEOUT_US, NULL);
	guest_printf("# cpu %u after its triple fault: StartupThisAP %s\n", cpu, mp_result_name(r));
	tap_ok(r == MP_TIMEOUT && all_alive(cpu) &&
		       mp_run(cpu, ap_mark, (void *)&mark, 0, NULL) == MP_DONE && mark,
	       "a triple fault on cpu %u: the others go on, the firmware's INIT-SIPI-SIPI takes it back",
	       cpu);
}

static void case_init_bsp(void)
{
	if (!under) {
		tap_skip(NATIVE " (an INIT to the boot CPU restarts the firmware: no program "
			 "survives it)", "INIT to the boot CPU");
		return;
	}
	tap_ok(apic_send(mp_apic_id(0), ICR_INIT | ICR_ASSERT) && all_alive(0),
	       "INIT to the boot CPU is refused: the BSP goes on, every CPU still answers");
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the SysV ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	int stop;

	serial_init();
	trap_install();
	mp_init(st);
	under = hv_detect(&hv);
	stop = guest_option_is(image, st, "shutdown=stop");
	guest_printf("ipibad: running %s on %u CPUs\n", under ? "under drvisor" : "natively",
		     mp_cpus());
	if (mp_cpus() < 2 || !sipi_setup(st)) {
		tap_plan(1);
		tap_skip("platform lacks a second CPU", "bad IPIs between CPUs");
		guest_exit(0);
	}
	tap_plan(6);
	case_absent();
	case_sipi_alone();
	case_icr_form(ipibad_rep_movsd, ipibad_rep_movsd_insn, "ICR written by REP MOVSD");
	case_icr_form(ipibad_add_m32, ipibad_add_m32_insn, "ICR written by ADD m32, 0");
	case_triple(stop);
	case_init_bsp();
	guest_printf("ipibad: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
