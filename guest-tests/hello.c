/*
 * hello: does this program run under drvisor, and does drvisor answer?
 *
 * Prints exactly one of
 *   hello: running under drvisor <major>.<minor> (<svm|vmx>)
 *   hello: running natively
 * so the test driver can tell a virtualized run from the native reference
 * run, then TAP cases for each part of the discovery protocol
 * (include/drvisor/hypercall.h). Natively the drvisor-specific cases are
 * skipped, never passed.
 *
 * Under drvisor it ends with DV_HC_REPORT_STATS (the exit statistics go to
 * the monitor port) and then prints the CPUID and hypercall exits it caused
 * itself, counted by hv_cpuid()/hv_call():
 *   hello: caused cpuid=N hypercall=M
 * M includes the DV_HC_REPORT_STATS call, whose exit is counted before the
 * statistics are printed; drvisor's figures are at least these (the loader
 * and the firmware execute CPUID too). The counts are the BSP's (vCPU 0's).
 *
 * With more than one CPU, each AP then runs the discovery too (mp_run: the
 * firmware's MP services) and gets one TAP line: under drvisor every CPU
 * must be, since drvisor virtualizes them all at the launch (issue 14).
 */
#include <efi.h>
#include <efilib.h>

#include "drvisor/hypercall.h"
#include "guest-tests/lib/guest.h"

#define NATIVE "running natively"
#define CPUID_SPIN 10 /* CPUIDs between the two exit-count reads */

/* A hypercall that cannot take the test down: a #UD (no hypervisor
 * answering) is reported as a failure of the case instead. */
static int safe_call(struct hv_call_args *c, struct trap_info *t)
{
	return !guest_try(hv_call_try, c, t);
}

static const char *half_name(uint32_t half)
{
	return half == DV_CPUID_VENDOR_SVM ? "svm" : half == DV_CPUID_VENDOR_VMX ? "vmx" : "?";
}

static uint32_t expected_half(enum hv_vendor v)
{
	return v == HV_VENDOR_AMD ? DV_CPUID_VENDOR_SVM : v == HV_VENDOR_INTEL ? DV_CPUID_VENDOR_VMX : 0;
}

/* Reads drvisor's count of one exit reason; ~0 when the call fails. */
static uint64_t exit_count(enum dv_exit_reason r)
{
	struct hv_call_args c = { .nr = DV_HC_GET_EXIT_COUNT, .rbx = r };
	struct trap_info t;

	if (!safe_call(&c, &t) || c.rax != DV_HC_OK)
		return ~0ull;
	return c.out.rbx;
}

/* The exit statistics count exactly the exits this program causes. */
static void check_exit_counts(void)
{
	uint64_t cpuid0, cpuid1, hc0, hc1, my_cpuid0, my_hc0;
	unsigned i;
	struct hv_call_args ping = { .nr = DV_HC_PING };
	struct trap_info t;
	uint64_t flags;

	/* Interrupts off: the firmware's timer handler executes CPUID too,
	 * and its exits must not land in this program's window. */
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	cpuid0 = exit_count(DV_EXIT_CPUID);
	my_cpuid0 = hv_counts()->cpuid;
	hc0 = exit_count(DV_EXIT_HYPERCALL); /* includes this call */
	my_hc0 = hv_counts()->hypercall;
	for (i = 0; i < CPUID_SPIN; i++)
		hv_cpuid(0, 0);
	safe_call(&ping, &t);
	cpuid1 = exit_count(DV_EXIT_CPUID);
	uint64_t my_cpuid = hv_counts()->cpuid - my_cpuid0;
	hc1 = exit_count(DV_EXIT_HYPERCALL);
	uint64_t my_hc = hv_counts()->hypercall - my_hc0;
	__asm__ volatile("pushq %0; popfq" : : "r"(flags) : "memory", "cc");

	if (cpuid0 == ~0ull || cpuid1 == ~0ull || hc0 == ~0ull || hc1 == ~0ull) {
		tap_ok(0, "DV_HC_GET_EXIT_COUNT answers # it failed");
		return;
	}
	if (!tap_ok(cpuid1 - cpuid0 == my_cpuid && hc1 - hc0 == my_hc,
		    "exit statistics count this program's %lu CPUID and %lu hypercall exits",
		    my_cpuid, my_hc))
		guest_printf("# drvisor counted cpuid +%lu hypercall +%lu\n", cpuid1 - cpuid0,
			     hc1 - hc0);
}

/* What one AP found (filled on the AP, judged by the BSP). */
struct ap_hello {
	struct hv_info hv;
	int under;
	struct hv_call_args ping;
	struct trap_info t;
};

static void ap_discover(void *arg)
{
	struct ap_hello *a = arg;

	a->under = hv_detect(&a->hv);
	a->ping = (struct hv_call_args){ .nr = DV_HC_PING };
	if (a->under)
		safe_call(&a->ping, &a->t);
}

/* One line per AP: the same discovery as the BSP's, on that CPU. */
static void check_aps(int under)
{
	for (unsigned cpu = 1; cpu < mp_cpus(); cpu++) {
		struct ap_hello a = { 0 };
		enum mp_result r = mp_run(cpu, ap_discover, &a, 0, &a.t);
		int ok = r == MP_DONE && a.under && a.ping.rax == DV_HC_OK &&
			 a.ping.out.rbx == DV_HC_PING_MAGIC &&
			 a.hv.vendor_half == expected_half(a.hv.vendor);

		if (!under) {
			tap_skip(NATIVE, "cpu %u (apic id %u): drvisor's CPUID signature and DV_HC_PING",
				 cpu, mp_apic_id(cpu));
			continue;
		}
		if (!tap_ok(ok, "cpu %u (apic id %u): drvisor's CPUID signature and DV_HC_PING", cpu,
			    mp_apic_id(cpu)))
			guest_printf("# cpu %u: %s; hypervisor bit %d, drvisor %d, half %s, ping rax %#lx "
				     "rbx %#lx (%s)\n",
				     cpu, mp_result_name(r), a.hv.hypervisor_bit, a.under,
				     half_name(a.hv.vendor_half), a.ping.rax, a.ping.out.rbx,
				     trap_name(a.t.vector));
	}
}

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi
 * (efibind.h turns MS ABI on whenever GNU_EFI_USE_MS_ABI is defined, even
 * as 0). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	struct hv_cpuid_regs base;
	struct hv_call_args ping = { .nr = DV_HC_PING };
	struct trap_info t;
	int under, ping_ok = 0;

	(void)image;
	serial_init();
	trap_install();
	mp_init(st);
	under = hv_detect(&hv);
	if (under) {
		ping_ok = safe_call(&ping, &t) && ping.rax == DV_HC_OK &&
			  ping.out.rbx == DV_HC_PING_MAGIC;
		if (ping_ok)
			guest_printf("hello: running under drvisor %u.%u (%s)\n", hv.version >> 16,
				     hv.version & 0xffff, half_name(hv.vendor_half));
		else
			guest_printf("hello: drvisor's CPUID signature is present but DV_HC_PING "
				     "does not answer\n");
	} else {
		guest_printf("hello: " NATIVE "\n");
		base = hv_cpuid(DV_CPUID_LEAF_BASE, 0);
		guest_printf("# CPU vendor %s, CPUID.1:ECX[31] = %d, leaf 0x40000000 = %08x %08x "
			     "%08x %08x\n",
			     hv_vendor_name(hv.vendor), hv.hypervisor_bit, base.eax, base.ebx,
			     base.ecx, base.edx);
	}

	tap_plan(5 + mp_cpus() - 1);
	if (under) {
		tap_ok(hv.hypervisor_bit, "CPUID.1:ECX[31] (hypervisor present) is set");
		tap_ok(hv.max_leaf >= DV_CPUID_LEAF_VERSION,
		       "CPUID 0x40000000 has the drvisor signature and max leaf %#x >= %#x",
		       hv.max_leaf, DV_CPUID_LEAF_VERSION);
		if (!tap_ok(hv.version != 0 && hv.vendor_half == expected_half(hv.vendor),
			    "CPUID 0x40000001: version %u.%u, vendor half %s on an %s CPU",
			    hv.version >> 16, hv.version & 0xffff, half_name(hv.vendor_half),
			    hv_vendor_name(hv.vendor)))
			guest_printf("# expected a nonzero version and the %s half\n",
				     half_name(expected_half(hv.vendor)));
		if (!tap_ok(ping_ok && ping.out.rcx == hv.version,
			    "DV_HC_PING returns DV_HC_OK, the magic %#x and the version",
			    DV_HC_PING_MAGIC))
			guest_printf("# %s: rax %#lx rbx %#lx rcx %#lx\n",
				     t.vector == (uint64_t)-1 ? "returned" : trap_name(t.vector),
				     ping.rax, ping.out.rbx, ping.out.rcx);
		check_exit_counts();
	} else {
		tap_skip(NATIVE, "CPUID.1:ECX[31] (hypervisor present) is set");
		tap_skip(NATIVE, "CPUID 0x40000000 has the drvisor signature");
		tap_skip(NATIVE, "CPUID 0x40000001 version leaf");
		tap_skip(NATIVE, "DV_HC_PING answers");
		tap_skip(NATIVE, "exit statistics count this program's exits");
	}
	check_aps(under);

	if (under) {
		struct hv_call_args stats = { .nr = DV_HC_REPORT_STATS };

		safe_call(&stats, &t);
		guest_printf("hello: caused cpuid=%lu hypercall=%lu\n", hv_counts()->cpuid,
			     hv_counts()->hypercall);
	}
	guest_exit(tap_failures() ? 1 : 0);
}
