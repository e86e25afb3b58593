/* Gathering what the core needs to know about the machine, while the
 * firmware can still tell us: memory map, ACPI RSDP, processors. The core
 * gets copies; it never calls the firmware. */
#include "loader.h"
#include "mp_services.h"

/* EfiPersistentMemory (UEFI 2.5, table 7.10); gnu-efi's enum predates it. */
#define DV_EFI_PERSISTENT_MEMORY 14

static UINT32 mem_class(UINT32 efi_type)
{
	switch (efi_type) {
	case EfiLoaderCode: case EfiLoaderData:
	case EfiBootServicesCode: case EfiBootServicesData:
	case EfiConventionalMemory: case DV_EFI_PERSISTENT_MEMORY:
		return DV_MEM_USABLE;
	case EfiACPIReclaimMemory:
		return DV_MEM_ACPI;
	case EfiACPIMemoryNVS:
		return DV_MEM_ACPI_NVS;
	case EfiMemoryMappedIO: case EfiMemoryMappedIOPortSpace:
		return DV_MEM_MMIO;
	default:
		return DV_MEM_RESERVED;
	}
}

/* Append a range, merging it with the previous one when contiguous and of
 * the same class, so that a fragmented map still fits DV_MEMMAP_MAX. */
static BOOLEAN mem_append(struct boot_info *bi, UINT64 base, UINT64 pages, UINT32 efi_type)
{
	struct dv_mem_range *last = bi->mem_count ? &bi->mem[bi->mem_count - 1] : NULL;
	UINT32 cls = mem_class(efi_type);

	if (last && last->type == cls && last->base + last->pages * EFI_PAGE_SIZE == base) {
		last->pages += pages;
		return TRUE;
	}
	if (bi->mem_count == DV_MEMMAP_MAX)
		return FALSE;
	bi->mem[bi->mem_count++] = (struct dv_mem_range){ base, pages, cls, efi_type };
	return TRUE;
}

static EFI_STATUS collect_memmap(struct boot_info *bi)
{
	UINTN entries, key, desc_size, i;
	UINT32 desc_version;
	EFI_MEMORY_DESCRIPTOR *map, *d;
	BOOLEAN dropped = FALSE;

	map = LibMemoryMap(&entries, &key, &desc_size, &desc_version);
	if (!map) {
		Print(L"drvisor: cannot read the EFI memory map\n");
		return EFI_DEVICE_ERROR;
	}
	for (i = 0; i < entries; i++) {
		UINT64 end;

		d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * desc_size);
		end = d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE;
		if (end > bi->mem_max_addr)
			bi->mem_max_addr = end;
		if (!mem_append(bi, d->PhysicalStart, d->NumberOfPages, d->Type))
			dropped = TRUE;
	}
	FreePool(map);
	if (dropped)
		Print(L"drvisor: warning: memory map has more than %d ranges, tail not passed on\n",
		      DV_MEMMAP_MAX);
	return EFI_SUCCESS;
}

static void collect_acpi(struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	VOID *rsdp = NULL;

	if (!EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, &rsdp)) && rsdp) {
		bi->acpi_rsdp = (UINT64)(UINTN)rsdp;
		bi->acpi_revision = 2;
	} else if (!EFI_ERROR(LibGetSystemConfigurationTable(&acpi10, &rsdp)) && rsdp) {
		bi->acpi_rsdp = (UINT64)(UINTN)rsdp;
		bi->acpi_revision = 0;
	}
}

/* Without the MP services protocol (some firmware omits it) we know of the
 * processor we run on only. */
static void collect_cpus(struct boot_info *bi)
{
	EFI_GUID guid = DV_EFI_MP_SERVICES_GUID;
	struct dv_efi_mp_services *mp = NULL;
	struct dv_efi_processor_information info;
	UINTN count = 0, enabled = 0, i;

	bi->cpu_count = 1;
	if (EFI_ERROR(LibLocateProtocol(&guid, (VOID **)&mp)) || !mp)
		return;
	if (EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &count, &enabled)))
		return;
	bi->cpu_count = enabled ? (UINT32)enabled : 1;
	for (i = 0; i < count; i++) {
		if (EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info)))
			continue;
		if (info.status_flag & DV_PROCESSOR_AS_BSP_BIT)
			bi->bsp_apic_id = (UINT32)info.processor_id;
	}
}

EFI_STATUS bootinfo_collect(struct boot_info *bi)
{
	collect_acpi(bi);
	collect_cpus(bi);
	return collect_memmap(bi);
}
