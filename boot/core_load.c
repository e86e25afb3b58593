/* Loading the core image into memory the OS will never take back. */
#include "loader.h"
#include "elf_load.h"

#define CORE_FILE_NAME L"CORE.ELF"
#define CORE_MAX_SPAN (32ull << 20)
/* Pages for the core's own allocator: host page tables, nested page tables,
 * VMCS/VMCB and per-CPU areas. */
#define CORE_HEAP_SIZE (4ull << 20)

#define PAGE_ROUND_UP(x) (((x) + EFI_PAGE_SIZE - 1) & ~(UINT64)(EFI_PAGE_SIZE - 1))

/*
 * EfiReservedMemoryType: the UEFI specification (section 7.2, memory type
 * usage after ExitBootServices) says the OS must not use this memory at all,
 * neither before nor after ExitBootServices, and OSes report it as reserved
 * (Linux: "reserved" in the e820 view). EfiRuntimeServicesData would also
 * survive, but the OS maps it into its runtime-services address space and may
 * hand it to firmware code; EfiLoaderData is reclaimed as ordinary RAM.
 */
static EFI_STATUS reserve(UINT64 bytes, EFI_PHYSICAL_ADDRESS *base)
{
	return uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiReservedMemoryType,
				 bytes / EFI_PAGE_SIZE, base);
}

static dv_core_entry_fn place(const VOID *file, UINTN size, const struct dv_elf_info *info,
			      struct boot_info **bi_out)
{
	UINT64 image = PAGE_ROUND_UP(info->span);
	UINT64 bi_bytes = PAGE_ROUND_UP(sizeof(struct boot_info));
	UINT64 total = image + bi_bytes + CORE_HEAP_SIZE;
	EFI_PHYSICAL_ADDRESS base;
	struct boot_info *bi;
	enum dv_elf_status es;
	EFI_STATUS st;

	st = reserve(total, &base);
	if (EFI_ERROR(st)) {
		Print(L"drvisor: cannot reserve %ld KiB for the core (%r)\n", total >> 10, st);
		return NULL;
	}
	es = dv_elf_load(file, size, info, (VOID *)(UINTN)base, base);
	if (es != DV_ELF_OK) {
		Print(L"drvisor: %s refused: %a\n", CORE_FILE_NAME, dv_elf_status_str(es));
		uefi_call_wrapper(BS->FreePages, 2, base, total / EFI_PAGE_SIZE);
		return NULL;
	}
	bi = (struct boot_info *)(UINTN)(base + image);
	ZeroMem(bi, bi_bytes);
	bi->magic = DV_BOOTINFO_MAGIC;
	bi->version_major = DV_BOOTINFO_VERSION_MAJOR;
	bi->version_minor = DV_BOOTINFO_VERSION_MINOR;
	bi->size = sizeof(*bi);
	bi->hv_base = base;
	bi->hv_size = total;
	bi->core_base = base;
	bi->core_size = info->span;
	bi->heap_base = base + image + bi_bytes;
	bi->heap_size = CORE_HEAP_SIZE;
	*bi_out = bi;
	Print(L"drvisor: core loaded at 0x%lx (%ld KiB reserved)\n", base, total >> 10);
	return (dv_core_entry_fn)(UINTN)(base + info->entry);
}

dv_core_entry_fn core_load(const struct loader_self *self, struct boot_info **bi)
{
	CHAR16 path[300];
	struct dv_elf_info info;
	enum dv_elf_status es;
	dv_core_entry_fn entry;
	VOID *file;
	UINTN size;
	EFI_STATUS st;

	if (!path_join(path, 300, self->dir, CORE_FILE_NAME)) {
		Print(L"drvisor: loader path too long\n");
		return NULL;
	}
	st = file_read_all(self, path, &file, &size);
	if (EFI_ERROR(st)) {
		Print(L"drvisor: cannot read %s (%r)\n", path, st);
		return NULL;
	}
	es = dv_elf_check(file, size, CORE_MAX_SPAN, &info);
	if (es != DV_ELF_OK) {
		Print(L"drvisor: %s refused: %a\n", path, dv_elf_status_str(es));
		FreePool(file);
		return NULL;
	}
	entry = place(file, size, &info, bi);
	FreePool(file);
	return entry;
}
