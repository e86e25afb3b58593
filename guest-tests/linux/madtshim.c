/*
 * madtshim: gives Linux the CPUs of a firmware that has no ACPI tables, then
 * starts it (issue 14, the Linux guest on Bochs).
 *
 * Why: Debian's OVMF builds its ACPI tables from QEMU's fw_cfg; under Bochs
 * there is none, so the firmware installs no RSDP at all and Linux finds
 * neither a MADT nor an MP table ("APIC: ACPI MADT or MP tables are not
 * detected") and runs on the boot CPU alone, although EFI MP services know
 * every CPU. When the configuration table has no ACPI RSDP and MP services
 * report more than one enabled CPU, this program installs the least that
 * Linux needs to start the others (ACPI 6.4, 5.2.5 RSDP, 5.2.8 XSDT, 5.2.12
 * MADT): an RSDP (revision 2) pointing at an XSDT holding one MADT, with the
 * local APIC at 0xFEE00000, PCAT_COMPAT (the 8259s are there: without an
 * I/O APIC entry Linux keeps the virtual-wire mode it uses today) and one
 * enabled Processor Local APIC entry per CPU, the BSP first. Where the
 * firmware has ACPI tables (QEMU) or one CPU, it changes nothing.
 *
 * Then it loads the image its load options name and starts it with the rest
 * of the options as that image's load options:
 *   madtshim.efi \linux\vmlinuz.efi console=ttyS0 ...
 * (from the UEFI shell the first word is the shim's own path: skipped).
 * It prints one "madtshim: ..." line on COM1 saying what it did.
 */
#include <efi.h>
#include <efilib.h>

#include "guest-tests/lib/guest.h"

#define MADT_LAPIC_BASE 0xFEE00000u
#define MADT_PCAT_COMPAT 1u          /* ACPI 6.4 table 5.20: dual 8259 present */
#define MADT_TYPE_LOCAL_APIC 0       /* ACPI 6.4 table 5.21 */
#define MADT_LAPIC_ENABLED 1u        /* ACPI 6.4 table 5.23 */
#define OPTIONS_MAX 1024

struct __attribute__((packed)) acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

struct __attribute__((packed)) madt_lapic {
	uint8_t type, length, uid, apic_id;
	uint32_t flags;
};

struct __attribute__((packed)) acpi_tables {
	struct acpi_rsdp rsdp;
	uint8_t pad[4];
	struct acpi_header xsdt;
	uint64_t xsdt_entry;
	struct acpi_header madt;
	uint32_t lapic_base;
	uint32_t madt_flags;
	struct madt_lapic lapic[GUEST_MAX_CPUS];
};

static void copy(char *dst, const char *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}

static uint8_t checksum(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *b++);
	return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t length, uint8_t revision)
{
	copy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	copy(h->oem_id, "DRVSOR", 6);
	copy(h->oem_table_id, "MADTSHIM", 8);
	h->oem_revision = 1;
	copy((char *)&h->creator_id, "DRVS", 4);
	h->creator_revision = 1;
	h->checksum = checksum(h, length);
}

static int has_acpi(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_GUID *g = &st->ConfigurationTable[i].VendorGuid;

		if (!CompareGuid(g, &acpi20) || !CompareGuid(g, &acpi10))
			return 1;
	}
	return 0;
}

/* Builds and installs the tables for mp_cpus() CPUs; 0 on success. */
static int install_madt(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	EFI_PHYSICAL_ADDRESS page;
	struct acpi_tables *t;
	unsigned n = mp_cpus();
	uint32_t madt_len;

	if (uefi_call_wrapper(st->BootServices->AllocatePages, 4, AllocateAnyPages,
			      EfiACPIReclaimMemory, 1, &page) != EFI_SUCCESS || page >> 32)
		return -1;
	t = (struct acpi_tables *)(UINTN)page;
	ZeroMem(t, sizeof(*t));
	for (unsigned i = 0; i < n; i++)
		t->lapic[i] = (struct madt_lapic){ MADT_TYPE_LOCAL_APIC, sizeof(struct madt_lapic),
						   (uint8_t)i, (uint8_t)mp_apic_id(i),
						   MADT_LAPIC_ENABLED };
	t->lapic_base = MADT_LAPIC_BASE;
	t->madt_flags = MADT_PCAT_COMPAT;
	madt_len = (uint32_t)(sizeof(t->madt) + 8 + n * sizeof(struct madt_lapic));
	header(&t->madt, "APIC", madt_len, 3);
	t->xsdt_entry = (uint64_t)(UINTN)&t->madt;
	header(&t->xsdt, "XSDT", sizeof(t->xsdt) + 8, 1);
	copy(t->rsdp.signature, "RSD PTR ", 8);
	copy(t->rsdp.oem_id, "DRVSOR", 6);
	t->rsdp.revision = 2;
	t->rsdp.length = sizeof(t->rsdp);
	t->rsdp.xsdt = (uint64_t)(UINTN)&t->xsdt;
	t->rsdp.checksum = checksum(&t->rsdp, 20);
	t->rsdp.ext_checksum = checksum(&t->rsdp, sizeof(t->rsdp));
	return uefi_call_wrapper(st->BootServices->InstallConfigurationTable, 2, &acpi20, &t->rsdp) ==
			       EFI_SUCCESS
		       ? 0
		       : -1;
}

/* The next image's path (into path) and the options after it (rest). */
static int split_options(EFI_LOADED_IMAGE *li, CHAR16 *path, UINTN max, CHAR16 **rest)
{
	static CHAR16 opts[OPTIONS_MAX];
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16), i = 0, k = 0;
	const CHAR16 *o = li->LoadOptions;

	if (!o || n >= OPTIONS_MAX)
		return -1;
	for (UINTN j = 0; j < n && o[j]; j++)
		opts[k++] = o[j];
	opts[k] = 0;
	for (;;) {
		while (opts[i] == L' ')
			i++;
		if (opts[i] == L'\\')
			break;
		if (!opts[i])
			return -1;
		while (opts[i] && opts[i] != L' ')
			i++; /* the shell's own argv[0] ("fs0:\...\madtshim.efi") */
	}
	for (k = 0; opts[i] && opts[i] != L' ' && k + 1 < max; i++)
		path[k++] = opts[i];
	path[k] = 0;
	while (opts[i] == L' ')
		i++;
	*rest = &opts[i];
	return 0;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static CHAR16 path[256];
	EFI_LOADED_IMAGE *self, *li;
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE next = NULL;
	CHAR16 *rest;
	EFI_STATUS s;

	InitializeLib(image, st);
	serial_init();
	mp_init(st);
	if (has_acpi(st))
		guest_printf("madtshim: the firmware has ACPI tables: left as they are\n");
	else if (mp_cpus() < 2)
		guest_printf("madtshim: no ACPI tables, one CPU: nothing to describe\n");
	else if (install_madt(st) == 0)
		guest_printf("madtshim: no ACPI tables: installed an RSDP, XSDT and MADT for %u CPUs\n",
			     mp_cpus());
	else
		guest_printf("madtshim: no ACPI tables, and installing a MADT failed\n");
	if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **)&self) !=
		    EFI_SUCCESS ||
	    split_options(self, path, 256, &rest) != 0) {
		guest_printf("madtshim: usage: madtshim.efi \\PATH\\IMAGE.efi [OPTIONS]\n");
		return EFI_INVALID_PARAMETER;
	}
	dp = FileDevicePath(self->DeviceHandle, path);
	s = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &next)
	       : EFI_OUT_OF_RESOURCES;
	if (s != EFI_SUCCESS) {
		guest_printf("madtshim: cannot load the next image (status %#lx)\n", (uint64_t)s);
		return s;
	}
	if (uefi_call_wrapper(BS->HandleProtocol, 3, next, &LoadedImageProtocol, (VOID **)&li) ==
	    EFI_SUCCESS) {
		li->LoadOptions = rest;
		li->LoadOptionsSize = (UINT32)((StrLen(rest) + 1) * sizeof(CHAR16));
	}
	serial_flush();
	return uefi_call_wrapper(BS->StartImage, 3, next, NULL, NULL);
}
