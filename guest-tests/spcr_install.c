/*
 * spcr_install: an ACPI SPCR naming the PCI UART at 00:06.0, installed
 * through EFI_ACPI_TABLE_PROTOCOL (UEFI 2.9 20.2), then drvisor's loader
 * chain-loaded from \drvisor\boot\BOOTX64.EFI (its CORE.ELF and
 * DRVISOR.CFG beside it). For tests/integration/spcr_run.sh: with
 * monitor=auto drvisor must pick the port SPCR names (issue 15). QEMU x86
 * has no SPCR of its own.
 *
 * The table: SPCR revision 2 (80 bytes), interface type 0 (16550), the
 * base address an I/O GAS at the function's BAR0 (read through 0xCF8, as
 * the firmware assigned it), 115200 baud, and the PCI device and vendor ID,
 * bus, device and function of 00:06.0.
 */
#include <efi.h>
#include <efilib.h>

#include "drivers/pci.h"
#include "guest-tests/lib/guest.h"

#define SPCR_LEN 80
#define LOADER L"\\drvisor\\boot\\BOOTX64.EFI"

/* EFI_ACPI_TABLE_PROTOCOL; gnu-efi does not define it. */
#define DV_EFI_ACPI_TABLE_PROTOCOL_GUID \
	{ 0xffe06bdd, 0x6107, 0x46a6, { 0x7b, 0xb2, 0x5a, 0x9c, 0x7e, 0xc5, 0x27, 0x5c } }
struct dv_efi_acpi_table {
	EFI_STATUS (EFIAPI *install)(struct dv_efi_acpi_table *self, VOID *table, UINTN size,
				     UINTN *key);
	EFI_STATUS (EFIAPI *uninstall)(struct dv_efi_acpi_table *self, UINTN key);
};

static inline uint32_t inl32(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t cfg_read(uint8_t dev, uint16_t off)
{
	guest_outl(PCI_CONFIG_ADDRESS, PCI_CF8(0, dev, 0, off));
	return inl32(PCI_CONFIG_DATA);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void build_spcr(uint8_t *t, uint32_t id, uint16_t port)
{
	uint8_t sum = 0;
	unsigned i;

	SetMem(t, SPCR_LEN, 0);
	CopyMem(t, "SPCR", 4);
	put32(t + 4, SPCR_LEN);
	t[8] = 2;                       /* revision */
	CopyMem(t + 10, "DRVISR", 6);   /* OEM ID */
	CopyMem(t + 16, "SPCRTEST", 8); /* OEM table ID */
	put32(t + 24, 1);
	CopyMem(t + 28, "DRVT", 4);
	put32(t + 32, 1);
	t[36] = 0;                      /* full 16550 */
	t[40] = 1;                      /* GAS: system I/O, 8 bits, byte access */
	t[41] = 8;
	t[43] = 1;
	put32(t + 44, port);
	t[58] = 7;                      /* 115200 baud */
	t[60] = 1;                      /* one stop bit */
	t[62] = 3;                      /* terminal: ANSI */
	put16(t + 64, (uint16_t)(id >> 16));
	put16(t + 66, (uint16_t)id);
	t[68] = 0;
	t[69] = 6;
	t[70] = 0;
	for (i = 0; i < SPCR_LEN; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)(0 - sum);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID guid = DV_EFI_ACPI_TABLE_PROTOCOL_GUID;
	struct dv_efi_acpi_table *acpi = NULL;
	EFI_LOADED_IMAGE *self;
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE next = NULL;
	static uint8_t spcr[SPCR_LEN];
	uint32_t id, bar;
	UINTN key = 0;
	EFI_STATUS s;

	InitializeLib(image, st);
	serial_init();
	id = cfg_read(6, PCI_VENDOR_ID);
	bar = cfg_read(6, PCI_BAR0);
	if (id == 0xffffffffu || !(bar & PCI_BAR_IO)) {
		guest_printf("spcr: no PCI UART with an I/O BAR at 00:06.0 (%08x, BAR0 %08x)\n", id, bar);
		guest_exit(1);
	}
	build_spcr(spcr, id, (uint16_t)(bar & PCI_BAR_IO_ADDR_MASK));
	s = LibLocateProtocol(&guid, (VOID **)&acpi);
	if (!EFI_ERROR(s) && acpi)
		s = uefi_call_wrapper(acpi->install, 4, acpi, spcr, (UINTN)SPCR_LEN, &key);
	guest_printf("spcr: installed an SPCR for 00:06.0 (%08x) at I/O 0x%x: status %lx\n", id,
		     bar & PCI_BAR_IO_ADDR_MASK, (unsigned long)s);
	if (EFI_ERROR(s))
		guest_exit(1);
	s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **)&self);
	dp = EFI_ERROR(s) ? NULL : FileDevicePath(self->DeviceHandle, LOADER);
	s = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &next)
	       : EFI_NOT_FOUND;
	if (!EFI_ERROR(s))
		s = uefi_call_wrapper(BS->StartImage, 3, next, NULL, NULL);
	guest_printf("spcr: drvisor's loader returned %lx\n", (unsigned long)s);
	guest_exit(1);
}
