/*
 * mpwake: the APs woken after the launch come back under drvisor with the
 * power-on debug registers (issue 14), natively (the reference) and under
 * drvisor.
 *
 * Two ways to wake an AP, both with INIT and startup IPIs:
 * - the firmware's MP services (StartupThisAP; EDK2's MpInitLib in its HLT
 *   loop mode, OVMF's default, sends INIT-SIPI-SIPI for every call). The
 *   AP then restores the DR0-7 it had when it last went idle
 *   (MpInitLib's RestoreVolatileRegisters), so what the AP shows there is
 *   the firmware's copy; IA32_DEBUGCTL is not in that copy, so INIT's 0
 *   shows: this program sets it on one wake and reads it on the next.
 * - by hand (lib/sipi.c): INIT-SIPI-SIPI written to the ICR by this
 *   program into a real-mode probe that reads CR0, DR0-3, DR6, DR7,
 *   IA32_DEBUGCTL and the CPUID hypervisor leaf before anything else runs:
 *   the power-on values (SDM vol. 3A table 10-1: DR0-3 = 0, DR6 =
 *   0xFFFF0FF0, DR7 = 0x400; CR0: CD and NW kept, ET set, the rest clear),
 *   after the AP's registers were made nonzero on purpose.
 * Then the firmware's MP services must still run a function on the AP.
 *
 * Natively the drvisor cases skip ("running natively") and every other
 * case must pass: the native run is the reference. One CPU: nothing to wake,
 * one case that skips for that reason.
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define NATIVE "running natively"
#define MSR_IA32_DEBUGCTL 0x1d9
#define DEBUGCTL_LBR 1ull
#define DR6_INIT 0xffff0ff0ull
#define DR7_INIT 0x400ull
#define CR0_CD_NW 0x60000000u
#define CR0_ET 0x10u
#define CASES_PER_AP 7
#define PROBE_WAIT_US 200000

/* What a function run on an AP found. */
struct ap_state {
	int under, ping_ok;
	uint64_t dr[8];
	int debugctl_faulted;
	uint64_t debugctl;
	int set_faulted;       /* writing DEBUGCTL.LBR raised an exception */
	uint64_t set_readback; /* ... else what it read back */
};

struct msr_op {
	uint32_t msr;
	uint64_t value;
};

static void p_rdmsr(void *arg)
{
	struct msr_op *o = arg;
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(o->msr));
	o->value = ((uint64_t)hi << 32) | lo;
}

static void p_wrmsr(void *arg)
{
	struct msr_op *o = arg;

	__asm__ volatile("wrmsr" : : "c"(o->msr), "a"((uint32_t)o->value),
			 "d"((uint32_t)(o->value >> 32)) : "memory");
}

static uint64_t rd_dr(unsigned n)
{
	uint64_t v = 0;

	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v)); break;
	case 7: __asm__ volatile("mov %%dr7, %0" : "=r"(v)); break;
	default: break;
	}
	return v;
}

static void wr_dr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
	case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v)); break;
	default: break;
	}
}

static int under_drvisor(void)
{
	struct hv_info hv;

	return hv_detect(&hv);
}

static int ping(void)
{
	struct hv_call_args c = { .nr = DV_HC_PING };
	struct trap_info t;

	return !guest_try(hv_call_try, &c, &t) && c.rax == DV_HC_OK &&
	       c.out.rbx == DV_HC_PING_MAGIC;
}

/* On the AP: what it looks like now; then IA32_DEBUGCTL.LBR set, for the
 * next wake to find cleared. */
static void ap_look_and_set(void *arg)
{
	struct ap_state *s = arg;
	struct msr_op o = { .msr = MSR_IA32_DEBUGCTL };
	struct trap_info t;

	s->under = under_drvisor();
	s->ping_ok = s->under && ping();
	for (unsigned n = 0; n < 8; n++)
		s->dr[n] = rd_dr(n);
	s->debugctl_faulted = guest_try(p_rdmsr, &o, &t);
	s->debugctl = o.value;
	o.value = DEBUGCTL_LBR;
	s->set_faulted = guest_try(p_wrmsr, &o, &t);
	o.value = 0;
	if (!s->set_faulted)
		guest_try(p_rdmsr, &o, &t);
	s->set_readback = o.value;
}

/* On the AP: debug registers made nonzero, for the INIT to clear. */
static void ap_dirty(void *arg)
{
	(void)arg;
	wr_dr(0, 0x1000);
	wr_dr(1, 0x2000);
	wr_dr(2, 0x3000);
	wr_dr(3, 0x4000);
	wr_dr(6, DR6_INIT | 0xf);
	ap_look_and_set(arg);
}

static void ap_nothing(void *arg)
{
	*(int *)arg = 1;
}

static int drs_power_on(const uint64_t *dr)
{
	return dr[0] == 0 && dr[1] == 0 && dr[2] == 0 && dr[3] == 0 && dr[6] == DR6_INIT &&
	       dr[7] == DR7_INIT;
}

static void print_drs(unsigned cpu, const char *when, const uint64_t *dr)
{
	guest_printf("# cpu %u %s: dr0 %#lx dr1 %#lx dr2 %#lx dr3 %#lx dr6 %#lx dr7 %#lx\n", cpu, when,
		     dr[0], dr[1], dr[2], dr[3], dr[6], dr[7]);
}

/* Cases 1-3: the firmware's wake-ups. */
static void check_mp_wake(unsigned cpu, int under)
{
	struct ap_state a = { 0 }, b = { 0 };
	enum mp_result r1 = mp_run(cpu, ap_look_and_set, &a, 0, NULL);
	enum mp_result r2 = mp_run(cpu, ap_look_and_set, &b, 0, NULL);

	if (r1 != MP_DONE || r2 != MP_DONE)
		guest_printf("# cpu %u: MP services: %s, then %s\n", cpu, mp_result_name(r1),
			     mp_result_name(r2));
	if (under)
		tap_ok(r1 == MP_DONE && r2 == MP_DONE && a.ping_ok && b.ping_ok,
		       "cpu %u: woken twice by the firmware's MP services, under drvisor both times "
		       "(CPUID signature, DV_HC_PING)", cpu);
	else
		tap_skip(NATIVE, "cpu %u: woken twice by the firmware's MP services, under drvisor "
			 "both times (CPUID signature, DV_HC_PING)", cpu);
	if (!tap_ok(r1 == MP_DONE && r2 == MP_DONE && drs_power_on(a.dr) && drs_power_on(b.dr),
		    "cpu %u: woken by the MP services: DR0-3 = 0, DR6 = 0xffff0ff0, DR7 = 0x400", cpu)) {
		print_drs(cpu, "first wake", a.dr);
		print_drs(cpu, "second wake", b.dr);
	}
	guest_printf("# cpu %u: IA32_DEBUGCTL: read %s %#lx; LBR written: %s, read back %#lx; "
		     "next wake reads %s %#lx\n",
		     cpu, a.debugctl_faulted ? "faulted" : "", a.debugctl,
		     a.set_faulted ? "faulted" : "ok", a.set_readback,
		     b.debugctl_faulted ? "faulted" : "", b.debugctl);
	tap_ok(r1 == MP_DONE && r2 == MP_DONE && !a.debugctl_faulted && !b.debugctl_faulted &&
		       a.debugctl == 0 && b.debugctl == 0,
	       "cpu %u: IA32_DEBUGCTL reads 0 after each wake, though LBR was set before the second",
	       cpu);
}

/* Cases 4-7: INIT-SIPI-SIPI by hand, into the real-mode probe. */
static void check_sipi(unsigned cpu, int under)
{
	struct ap_state d = { 0 };
	volatile struct sipi_report *p = sipi_report();
	enum mp_result r = mp_run(cpu, ap_dirty, &d, 0, NULL);
	uint32_t id = mp_apic_id(cpu);
	bool sent;
	int done, again = 0;
	uint64_t dr[8];

	guest_printf("# cpu %u: before the INIT: %s, IA32_DEBUGCTL %#lx (write %s)\n", cpu,
		     mp_result_name(r), d.set_readback, d.set_faulted ? "faulted" : "ok");
	sipi_clear();
	sent = sipi_start(id);
	done = sipi_wait(3, PROBE_WAIT_US);
	dr[0] = p->dr0, dr[1] = p->dr1, dr[2] = p->dr2, dr[3] = p->dr3;
	dr[6] = p->dr6, dr[7] = p->dr7;
	guest_printf("# cpu %u: probe at vector %#x: sent %d, stage %u, starts %u, cs %#x, cr0 %#x, "
		     "apic id %u, debugctl %#x:%08x, leaf 0x40000000 %08x %08x %08x %08x\n",
		     cpu, sipi_vector(), sent, p->stage, p->count, p->cs, p->cr0, p->apic_id,
		     p->debugctl_hi, p->debugctl_lo, p->sig_eax, p->sig_ebx, p->sig_ecx, p->sig_edx);
	tap_ok(sent && done && p->count == 1 && p->cs == (uint32_t)sipi_vector() << 8 &&
		       p->apic_id == id && (p->cr0 & ~CR0_CD_NW) == CR0_ET,
	       "cpu %u: INIT-SIPI-SIPI through the ICR starts it once, in real mode at the vector "
	       "(CR0: ET, CD/NW only)", cpu);
	if (!tap_ok(done && drs_power_on(dr),
		    "cpu %u: after INIT-SIPI-SIPI: DR0-3 = 0, DR6 = 0xffff0ff0, DR7 = 0x400", cpu))
		print_drs(cpu, "in the probe", dr);
	tap_ok(done && p->debugctl_lo == 0 && p->debugctl_hi == 0,
	       "cpu %u: after INIT-SIPI-SIPI: IA32_DEBUGCTL = 0", cpu);
	if (under)
		tap_ok(done && p->sig_ebx == DV_CPUID_SIG_EBX && p->sig_ecx == DV_CPUID_SIG_ECX &&
			       p->sig_edx == DV_CPUID_SIG_EDX && mp_run(cpu, ap_nothing, &again, 0, 0) ==
			       MP_DONE && again,
		       "cpu %u: after INIT-SIPI-SIPI: under drvisor in real mode (CPUID signature), "
		       "and the MP services start it again", cpu);
	else
		tap_ok(mp_run(cpu, ap_nothing, &again, 0, 0) == MP_DONE && again,
		       "cpu %u: after INIT-SIPI-SIPI: the MP services start it again", cpu);
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the SysV ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	int under;

	(void)image;
	serial_init();
	trap_install();
	mp_init(st);
	under = under_drvisor();
	if (under)
		guest_printf("mpwake: running under drvisor on %u CPUs\n", mp_cpus());
	else
		guest_printf("mpwake: running natively on %u CPUs\n", mp_cpus());
	if (mp_cpus() < 2) {
		tap_plan(1);
		tap_skip("platform lacks a second CPU", "wake the APs");
		guest_exit(0);
	}
	if (!sipi_setup(st)) {
		guest_printf("Bail out! no page below 1 MiB for the SIPI probe\n");
		guest_exit(2);
	}
	guest_printf("# xAPIC mode %u, SIPI probe at vector %#x\n", apic_mode(), sipi_vector());
	tap_plan(CASES_PER_AP * (mp_cpus() - 1));
	for (unsigned cpu = 1; cpu < mp_cpus(); cpu++) {
		check_mp_wake(cpu, under);
		check_sipi(cpu, under);
	}
	guest_printf("mpwake: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
