/*
 * drvisor's UEFI loader: read the configuration, load and enter the core on
 * this CPU (which, once the core launches, returns here as a guest), then
 * chain-load the next image. See docs/architecture.md for the whole flow.
 */
#include "loader.h"

#define DEFAULT_DIR L"\\EFI\\BOOT"

/* The directory the loader was started from, so that CORE.ELF and
 * DRVISOR.CFG are found beside it wherever the user put the three files. */
static void find_own_dir(struct loader_self *self)
{
	CHAR16 *p = DevicePathToStr(self->loaded->FilePath);
	UINTN n, last = 0, i;

	StrCpy(self->dir, DEFAULT_DIR);
	if (!p)
		return;
	n = StrLen(p);
	for (i = 0; i < n; i++)
		if (p[i] == L'\\')
			last = i;
	if (p[0] == L'\\' && last > 0 && last < 255) {
		CopyMem(self->dir, p, last * sizeof(CHAR16));
		self->dir[last] = 0;
	}
	FreePool(p);
}

static const CHAR16 *core_status_name(UINT64 st)
{
	switch (st) {
	case DV_CORE_OK: return L"ok";
	case DV_CORE_BAD_BOOTINFO: return L"boot information rejected";
	case DV_CORE_UNSUPPORTED: return L"this CPU cannot host drvisor";
	case DV_CORE_FAILED: return L"launch failed";
	default: return L"unknown status";
	}
}

/* Enter the core; returns whether to go on to next=. */
static BOOLEAN run_core(const struct loader_self *self, const struct dv_config *cfg)
{
	struct boot_info *bi;
	dv_core_entry_fn entry;
	UINT64 st;

	entry = core_load(self, &bi);
	if (!entry)
		return FALSE;
	bi->config = *cfg;
	if (EFI_ERROR(bootinfo_collect(bi)))
		return FALSE;
	uart_discover(cfg, bi);
	Print(L"drvisor: entering the core (%d CPUs, RSDP 0x%lx)\n", bi->cpu_count, bi->acpi_rsdp);
	st = entry(bi, 0, DV_CORE_SETUP);
	if (st == DV_CORE_OK) {
		/* The application processors first: the boot CPU's INIT-SIPI-SIPI
		 * (MP services wakes them that way) must still reach them
		 * directly, not through drvisor's ICR catch. */
		if (!ap_launch_all(entry, bi, cfg))
			return FALSE;
		st = entry(bi, 0, DV_CORE_LAUNCH);
	}
	Print(L"drvisor: core returned %ld (%s)\n", st, core_status_name(st));
	if (st == DV_CORE_OK)
		return TRUE;
	if (st == DV_CORE_BAD_BOOTINFO || cfg->on_unsupported == DV_UNSUPPORTED_REFUSE)
		return FALSE;
	Print(L"drvisor: continuing without the hypervisor (on_unsupported=continue)\n");
	return TRUE;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct loader_self self = { .image = image };
	struct dv_config cfg;
	EFI_STATUS st;

	InitializeLib(image, systab);
	Print(L"drvisor loader %a (%a)\n", DRVISOR_VERSION, DRVISOR_COMMIT);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
			       (VOID **)&self.loaded);
	if (EFI_ERROR(st)) {
		Print(L"drvisor: no loaded-image protocol (%r)\n", st);
		return st;
	}
	find_own_dir(&self);
	config_load(&self, &cfg);
	config_print(&cfg);
	if (!run_core(&self, &cfg)) {
		Print(L"drvisor: returning to the firmware\n");
		return EFI_LOAD_ERROR;
	}
	if (!cfg.next[0]) {
		Print(L"drvisor: no next= image, returning to the boot manager\n");
		return EFI_SUCCESS;
	}
	return chainload(&self, &cfg);
}
