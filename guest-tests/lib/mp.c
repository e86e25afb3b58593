/*
 * Running a test function on each processor, through the firmware's MP
 * services (efi_mp.h; PI spec vol. 2, 13.4). See guest.h for the contract.
 *
 * Logical CPU numbers: 0 is the BSP, 1..n-1 the enabled APs in the order of
 * the firmware's processor numbers (EDK2 sorts them by APIC ID).
 *
 * Why one AP at a time, blocking: the library's state (the TAP counter, the
 * trap handlers' try chain and event log, the output buffer) is shared, and
 * the BSP waits inside StartupThisAP while the AP runs, so exactly one
 * processor uses it at any moment and none of it needs a lock.
 *
 * Why the AP never prints or calls the firmware: boot services belong to the
 * BSP (PI vol. 2, 13.4: an AP procedure must not call them, except the MP
 * services' WhoAmI), and COM1 output goes to a buffer (serial.c) that the
 * BSP prints afterwards. An exception that no guest_try() of the test
 * expects ends the AP's function (the AP wraps it in its own guest_try()),
 * and the BSP reports it: the AP never bails out on its own.
 */
#include "guest.h"

#include "efi_mp.h"

#define CAPTURE_SIZE (128u * 1024u)

struct ap_job {
	void (*fn)(void *);
	void *arg;
	int aborted;
	struct trap_info t;
};

static struct guest_efi_mp_services *mp;
static unsigned ncpus = 1;
static UINTN fw_number[GUEST_MAX_CPUS];  /* the firmware's processor number */
static uint32_t apic_id[GUEST_MAX_CPUS];
static volatile unsigned current;        /* the logical CPU running now */
static char capture[CAPTURE_SIZE];
static uint32_t ignored; /* APs left out: more than GUEST_MAX_CPUS */

/* The initial APIC ID: CPUID.1:EBX[31:24] (SDM vol. 2A, CPUID). */
static uint32_t initial_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

void mp_init(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID guid = GUEST_EFI_MP_SERVICES_GUID;
	struct guest_efi_processor_information info;
	UINTN count = 0, enabled = 0, bsp = 0, i;

	if (mp)
		return;
	apic_id[0] = initial_apic_id();
	if (uefi_call_wrapper(st->BootServices->LocateProtocol, 3, &guid, NULL, (void **)&mp) !=
		    EFI_SUCCESS ||
	    !mp) {
		mp = 0;
		return; /* no MP services: the BSP alone */
	}
	if (uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &count, &enabled) != EFI_SUCCESS ||
	    uefi_call_wrapper(mp->who_am_i, 2, mp, &bsp) != EFI_SUCCESS)
		return;
	fw_number[0] = bsp;
	for (i = 0; i < count; i++) {
		if (i == bsp ||
		    uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info) != EFI_SUCCESS ||
		    !(info.status_flag & GUEST_PROCESSOR_ENABLED_BIT))
			continue;
		if (ncpus == GUEST_MAX_CPUS) {
			ignored++;
			continue;
		}
		fw_number[ncpus] = i;
		apic_id[ncpus] = (uint32_t)info.processor_id;
		ncpus++;
	}
	if (ignored)
		guest_printf("# mp: %u processors beyond the first %u left out\n", ignored,
			     GUEST_MAX_CPUS);
}

unsigned mp_cpus(void)
{
	return ncpus;
}

unsigned mp_current(void)
{
	return current;
}

uint32_t mp_apic_id(unsigned cpu)
{
	return cpu < ncpus ? apic_id[cpu] : ~0u;
}

static void EFIAPI ap_entry(VOID *p)
{
	struct ap_job *j = p;
	struct idt_ptr fw;

	trap_load_here(&fw);
	j->aborted = guest_try(j->fn, j->arg, &j->t);
	trap_restore_here(&fw);
}

/* The AP's output, printed by the BSP. */
static void print_capture(unsigned cpu, unsigned len, unsigned lost)
{
	for (unsigned i = 0; i < len; i++)
		serial_putc(capture[i]);
	if (lost)
		guest_printf("# mp: %u bytes of cpu %u's output lost (buffer full)\n", lost, cpu);
}

enum mp_result mp_run(unsigned cpu, void (*fn)(void *), void *arg, uint64_t timeout_us,
		      struct trap_info *t)
{
	struct ap_job job = { .fn = fn, .arg = arg };
	struct trap_info local;
	EFI_STATUS s;
	unsigned len, lost;

	if (!t)
		t = &local;
	*t = (struct trap_info){ .vector = (uint64_t)-1 };
	if (cpu >= ncpus)
		return MP_FAILED;
	trap_install(); /* the table the AP loads; no-op when installed */
	if (cpu == 0)
		return guest_try(fn, arg, t) ? MP_ABORTED : MP_DONE;
	current = cpu;
	serial_capture_start(capture, sizeof(capture));
	s = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_entry, fw_number[cpu], NULL,
			      (UINTN)timeout_us, &job, NULL);
	len = serial_capture_stop(&lost);
	current = 0;
	print_capture(cpu, len, lost);
	if (s == EFI_TIMEOUT)
		return MP_TIMEOUT;
	if (s != EFI_SUCCESS) {
		guest_printf("# mp: StartupThisAP(cpu %u, processor %lu) returned %#lx\n", cpu,
			     (uint64_t)fw_number[cpu], (uint64_t)s);
		return MP_FAILED;
	}
	*t = job.t;
	return job.aborted ? MP_ABORTED : MP_DONE;
}

const char *mp_result_name(enum mp_result r)
{
	switch (r) {
	case MP_DONE: return "done";
	case MP_ABORTED: return "aborted by an exception";
	case MP_TIMEOUT: return "timed out";
	default: return "not started";
	}
}

const char *mp_cpu_prefix(unsigned cpu)
{
	static char buf[16];
	char digits[4];
	unsigned n = 0, i = 0;

	do
		digits[n++] = (char)('0' + cpu % 10);
	while ((cpu /= 10) && n < sizeof(digits));
	for (const char *p = "cpu "; *p; p++)
		buf[i++] = *p;
	while (n)
		buf[i++] = digits[--n];
	buf[i++] = ':';
	buf[i++] = ' ';
	buf[i] = 0;
	return buf;
}

void mp_run_tap(unsigned cpu, void (*fn)(void *), unsigned planned)
{
	unsigned first = tap_count();
	struct trap_info t;
	enum mp_result r;

	tap_set_prefix(mp_cpu_prefix(cpu));
	r = mp_run(cpu, fn, 0, 0, &t);
	tap_set_prefix(0);
	if (r != MP_DONE)
		guest_printf("# cpu %u: %s (%s at rip %#lx)\n", cpu, mp_result_name(r),
			     trap_name(t.vector), t.rip);
	while (tap_count() - first < planned)
		tap_ok(0, "cpu %u: case not reached", cpu);
}
