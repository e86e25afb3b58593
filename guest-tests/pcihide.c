/*
 * pcihide: is the monitor's PCI UART gone from the guest's view (issue 15)?
 *
 * The machine (tests/integration/pci_hide.sh): QEMU q35 with a pci-serial
 * at 00:06.0 (run-qemu --pci-serial) on which drvisor runs its monitor
 * (monitor=pci:00:06.0). Natively the function is there; under drvisor it
 * must look absent, and the rest of configuration space must not change:
 *
 *   1-2  CONFIG_ADDRESS/CONFIG_DATA (0xCF8/0xCFC): the function's vendor
 *        dword, and all 64 dwords of its header: the device's natively,
 *        all ones under drvisor;
 *   3    the host bridge 00:00.0 reads the same through 0xCFC and ECAM;
 *   4    CONFIG_ADDRESS reads back what was written;
 *   5-6  ECAM (the MCFG window, found through the firmware's ACPI tables):
 *        the function's vendor dword and header, as in 1-2;
 *   7    under drvisor, writes to the hidden function (BAR0 and COMMAND
 *        through 0xCFC, COMMAND through ECAM) fault nowhere and change
 *        nothing the guest can see (that they never reach the device, the
 *        test driver checks: drvisor's later output still arrives on it);
 *   8-9  the BAR, from the firmware's PCI I/O protocol (its enumeration
 *        before the launch): natively its scratch register keeps a value,
 *        under drvisor it reads 0xff and the line status reads idle (0x60);
 *   10   COM1, the firmware's and this program's console, still answers.
 *
 * Under drvisor it ends with DV_HC_REPORT_STATS, whose lines must appear
 * on the monitor's wire after the writes of 7.
 */
#include <efi.h>
#include <efilib.h>
#include <efipciio.h>

#include "drvisor/hypercall.h"
#include "drivers/acpi_tables.h"
#include "drivers/pci.h"
#include "guest-tests/lib/guest.h"

#define UART_BUS 0
#define UART_DEV 6
#define UART_FN 0
#define UART_SCR 7
#define UART_LSR 5
#define ACPI_QWORD_DESC 0x8a
#define QWORD_MIN 14            /* ACPI 6.5 6.4.3.5.1: AddrRangeMin */

static inline uint32_t inl32(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t cf8_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	guest_outl(PCI_CONFIG_ADDRESS, PCI_CF8(bus, dev, fn, off));
	return inl32(PCI_CONFIG_DATA);
}

static void cf8_write(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	guest_outl(PCI_CONFIG_ADDRESS, PCI_CF8(bus, dev, fn, off));
	guest_outl(PCI_CONFIG_DATA, v);
}

static volatile uint32_t *ecam_at(uint64_t page, uint16_t off)
{
	return (volatile uint32_t *)(UINTN)(page + off);
}

/* The ECAM page of bus:dev.fn from the firmware's MCFG, 0 if none. */
static const uint8_t *identity(uint64_t pa, size_t len, void *ctx)
{
	(void)len, (void)ctx;
	return pa ? (const uint8_t *)(UINTN)pa : NULL;
}

static uint64_t ecam_page(uint8_t bus, uint8_t dev, uint8_t fn)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	struct acpi_found f;
	VOID *rsdp = NULL;
	uint64_t page = 0;

	if (EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, &rsdp)) || !rsdp)
		return 0;
	if (acpi_find((uint64_t)(UINTN)rsdp, identity, NULL, "MCFG", &f) ||
	    acpi_mcfg_ecam(identity(f.pa, f.len, NULL), f.len, 0, bus, dev, fn, &page))
		return 0;
	return page;
}

/* BAR0 of 00:06.0 as the firmware enumerated it (its PCI I/O protocol
 * keeps the resources it assigned), 0 if it has none. */
static uint64_t firmware_bar0(void)
{
	EFI_GUID guid = EFI_PCI_IO_PROTOCOL_GUID;
	EFI_HANDLE *handles = NULL;
	UINTN n = 0, i, seg, bus, dev, fn;
	uint64_t base = 0;

	if (EFI_ERROR(LibLocateHandle(ByProtocol, &guid, NULL, &n, &handles)))
		return 0;
	for (i = 0; i < n && !base; i++) {
		EFI_PCI_IO_PROTOCOL *io;
		VOID *res = NULL;

		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &guid,
						(VOID **)&io)))
			continue;
		if (EFI_ERROR(uefi_call_wrapper(io->GetLocation, 5, io, &seg, &bus, &dev, &fn)) ||
		    seg || bus != UART_BUS || dev != UART_DEV || fn != UART_FN)
			continue;
		if (!EFI_ERROR(uefi_call_wrapper(io->GetBarAttributes, 4, io, 0, NULL, &res)) && res) {
			const uint8_t *d = res;

			if (d[0] == ACPI_QWORD_DESC)
				CopyMem(&base, (VOID *)(d + QWORD_MIN), sizeof(base));
			FreePool(res);
		}
	}
	if (handles)
		FreePool(handles);
	return base;
}

static unsigned header_all_ones_cf8(void)
{
	unsigned off, ones = 0;

	for (off = 0; off < 256; off += 4)
		ones += cf8_read(UART_BUS, UART_DEV, UART_FN, (uint16_t)off) == 0xffffffffu;
	return ones;
}

static unsigned header_all_ones_ecam(uint64_t page)
{
	unsigned off, ones = 0;

	for (off = 0; off < 256; off += 4)
		ones += *ecam_at(page, (uint16_t)off) == 0xffffffffu;
	return ones;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	uint32_t native_id, id, bridge;
	uint64_t ecam, ecam0, bar;
	int under;

	InitializeLib(image, st);
	serial_init();
	trap_install();
	under = hv_detect(&hv);
	guest_printf("pcihide: %s\n", under ? "running under drvisor" : "running natively");
	tap_plan(10);

	/* What the device is, natively: QEMU's pci-serial, 1b36:0002. */
	native_id = 0x00021b36u;
	id = cf8_read(UART_BUS, UART_DEV, UART_FN, PCI_VENDOR_ID);
	guest_printf("# 00:06.0 through 0xcfc: %08x\n", id);
	tap_eq(id, under ? 0xffffffffu : native_id, "0xcfc: 00:06.0's vendor/device %s",
	       under ? "reads as absent" : "is QEMU's pci-serial");
	tap_eq(header_all_ones_cf8(), under ? 64 : 0, "0xcfc: %s of 00:06.0's header read all ones",
	       under ? "all 64 dwords" : "none");

	ecam = ecam_page(UART_BUS, UART_DEV, UART_FN);
	ecam0 = ecam_page(0, 0, 0);
	guest_printf("# ECAM page of 00:06.0: 0x%llx, of 00:00.0: 0x%llx\n",
		     (unsigned long long)ecam, (unsigned long long)ecam0);
	bridge = cf8_read(0, 0, 0, PCI_VENDOR_ID);
	tap_ok(ecam0 && bridge != 0xffffffffu && *ecam_at(ecam0, PCI_VENDOR_ID) == bridge,
	       "the host bridge 00:00.0 reads %08x through 0xcfc and ECAM alike", bridge);
	guest_outl(PCI_CONFIG_ADDRESS, PCI_CF8(0, 0x1f, 3, 0x40));
	tap_eq(inl32(PCI_CONFIG_ADDRESS), PCI_CF8(0, 0x1f, 3, 0x40), "CONFIG_ADDRESS reads back");

	if (ecam) {
		id = *ecam_at(ecam, PCI_VENDOR_ID);
		tap_eq(id, under ? 0xffffffffu : native_id, "ECAM: 00:06.0's vendor/device %s",
		       under ? "reads as absent" : "is QEMU's pci-serial");
		tap_eq(header_all_ones_ecam(ecam), under ? 64 : 0,
		       "ECAM: %s of 00:06.0's header read all ones", under ? "all 64 dwords" : "none");
	} else {
		tap_ok(0, "ECAM: no MCFG window for 00:06.0");
		tap_ok(0, "ECAM: header");
	}

	if (under) {
		/* Were these to reach the device, its I/O decoding would be off
		 * and its BAR moved: drvisor's monitor would fall silent. */
		cf8_write(UART_BUS, UART_DEV, UART_FN, PCI_BAR0, 0xffffffffu);
		cf8_write(UART_BUS, UART_DEV, UART_FN, PCI_COMMAND, 0);
		if (ecam)
			*ecam_at(ecam, PCI_COMMAND) = 0;
		tap_ok(header_all_ones_cf8() == 64 && (!ecam || header_all_ones_ecam(ecam) == 64),
		       "writes to 00:06.0 (BAR0, COMMAND through 0xcfc and ECAM) change nothing visible");
	} else {
		tap_skip("natively", "writes to the hidden function are dropped");
	}

	bar = firmware_bar0();
	guest_printf("# the firmware's BAR0 of 00:06.0: 0x%llx\n", (unsigned long long)bar);
	if (bar && bar < 0x10000) {
		guest_outb((uint16_t)(bar + UART_SCR), 0x5a);
		tap_eq(guest_inb((uint16_t)(bar + UART_SCR)), under ? 0xff : 0x5a,
		       "the BAR's scratch register %s", under ? "is unreachable" : "keeps a value");
		if (under)
			tap_eq(guest_inb((uint16_t)(bar + UART_LSR)), 0x60,
			       "the BAR's line status reads idle");
		else
			tap_skip("natively", "the BAR's line status reads idle");
	} else {
		tap_ok(0, "the firmware knows 00:06.0's I/O BAR");
		tap_ok(0, "the BAR's line status");
	}
	guest_outb(GUEST_COM1_BASE + UART_SCR, 0xa5);
	tap_eq(guest_inb(GUEST_COM1_BASE + UART_SCR), 0xa5, "COM1 answers");
	if (under)
		hv_call(DV_HC_REPORT_STATS, 0, 0, 0, NULL);
	guest_printf("pcihide: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
