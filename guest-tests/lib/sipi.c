/*
 * Starting an AP by hand: INIT and startup IPIs through the ICR (apic.c)
 * into the real-mode probe of sipi_tramp.asm, placed in a page below 1 MiB
 * (a SIPI vector names a 4 KiB page there; SDM vol. 3A 11.6.1). The timing
 * of the universal start-up algorithm: INIT, 10 ms, SIPI, 200 us, SIPI (SDM
 * vol. 3A 9.4.4.1, "Typical BSP Initialization Sequence"). Only the BSP calls
 * these (they wait with the firmware's Stall).
 */
#include "guest.h"

#define ICR_INIT       (5u << 8)  /* delivery mode 101b */
#define ICR_STARTUP    (6u << 8)  /* delivery mode 110b */
#define ICR_ASSERT     (1u << 14)
#define LOW_LIMIT      0x9ffffull /* conventional memory: below the EBDA/VGA hole */
#define PAGE           4096u
#define REPORT_OFFSET  0x800u     /* SIPI_REPORT in sipi_tramp.asm */

extern char sipi_tramp_start[], sipi_tramp_end[];

static EFI_SYSTEM_TABLE *sys;
static EFI_PHYSICAL_ADDRESS page;

bool sipi_setup(EFI_SYSTEM_TABLE *st)
{
	EFI_PHYSICAL_ADDRESS a = LOW_LIMIT;
	unsigned n = (unsigned)(sipi_tramp_end - sipi_tramp_start);

	sys = st;
	if (page)
		return true;
	if (n > REPORT_OFFSET ||
	    uefi_call_wrapper(st->BootServices->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
			      1, &a) != EFI_SUCCESS)
		return false;
	page = a;
	for (unsigned i = 0; i < PAGE; i++)
		((volatile uint8_t *)(uintptr_t)page)[i] = i < n ? (uint8_t)sipi_tramp_start[i] : 0;
	return true;
}

uint8_t sipi_vector(void)
{
	return (uint8_t)(page >> 12);
}

volatile struct sipi_report *sipi_report(void)
{
	return (volatile struct sipi_report *)(uintptr_t)(page + REPORT_OFFSET);
}

void sipi_clear(void)
{
	volatile uint8_t *r = (volatile uint8_t *)sipi_report();

	for (unsigned i = 0; i < sizeof(struct sipi_report); i++)
		r[i] = 0;
}

static void stall(uint64_t us)
{
	uefi_call_wrapper(sys->BootServices->Stall, 1, (UINTN)us);
}

bool sipi_send_init(uint32_t dest)
{
	bool ok = apic_send(dest, ICR_INIT | ICR_ASSERT);

	stall(10000);
	return ok;
}

bool sipi_send_startup(uint32_t dest, uint8_t vector)
{
	bool ok = apic_send(dest, ICR_STARTUP | ICR_ASSERT | vector);

	stall(200);
	return ok;
}

bool sipi_start(uint32_t dest)
{
	bool ok = sipi_send_init(dest);

	ok &= sipi_send_startup(dest, sipi_vector());
	ok &= sipi_send_startup(dest, sipi_vector());
	return ok;
}

bool sipi_wait(uint32_t stage, uint64_t us)
{
	for (uint64_t t = 0; t < us; t += 1000) {
		if (sipi_report()->stage >= stage)
			return true;
		stall(1000);
	}
	return sipi_report()->stage >= stage;
}
