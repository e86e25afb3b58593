/* Entering the core on the application processors (loader.h, ap_launch_all). */
#include "loader.h"
#include "mp_services.h"

/* Long enough for Bochs, which emulates a launch (the first one builds the
 * nested page tables) in a few emulated seconds. */
#define AP_LAUNCH_TIMEOUT_US 60000000u

struct ap_call {
	dv_core_entry_fn entry;
	struct boot_info *bi;
	UINT32 cpu;
	UINT64 status;
};

/* On the AP: its live context becomes its guest; the call returns (as a
 * guest, with DV_CORE_OK) into the firmware's AP loop. */
static VOID __attribute__((ms_abi)) ap_procedure(VOID *arg)
{
	struct ap_call *c = arg;

	c->status = c->entry(c->bi, c->cpu, DV_CORE_LAUNCH);
}

static BOOLEAN launch_one(struct dv_efi_mp_services *mp, UINTN n, struct ap_call *c,
			  const struct dv_config *cfg)
{
	EFI_STATUS st;

	c->status = DV_CORE_FAILED;
	st = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_procedure, n, NULL,
			       (UINTN)AP_LAUNCH_TIMEOUT_US, c, NULL);
	if (!EFI_ERROR(st) && c->status == DV_CORE_OK)
		return TRUE;
	Print(L"drvisor: WARNING: cpu %d (processor %d) is NOT under drvisor (%r, core status %ld)\n",
	      c->cpu, n, st, c->status);
	return cfg->on_unsupported != DV_UNSUPPORTED_REFUSE;
}

BOOLEAN ap_launch_all(dv_core_entry_fn entry, struct boot_info *bi, const struct dv_config *cfg)
{
	EFI_GUID guid = DV_EFI_MP_SERVICES_GUID;
	struct dv_efi_mp_services *mp = NULL;
	struct dv_efi_processor_information info;
	struct ap_call c = { .entry = entry, .bi = bi };
	UINTN count = 0, enabled = 0, n;
	UINT32 cpu = 1;

	if (bi->cpu_count < 2 || EFI_ERROR(LibLocateProtocol(&guid, (VOID **)&mp)) || !mp)
		return TRUE;
	if (EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &count, &enabled)))
		return TRUE;
	for (n = 0; n < count && cpu < bi->cpu_count; n++) {
		if (EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp, n, &info)))
			continue;
		if ((info.status_flag & DV_PROCESSOR_AS_BSP_BIT) ||
		    !(info.status_flag & DV_PROCESSOR_ENABLED_BIT))
			continue;
		if (cpu >= DV_CORE_MAX_CPUS) {
			Print(L"drvisor: WARNING: processor %d is NOT under drvisor (at most %d CPUs)\n",
			      n, DV_CORE_MAX_CPUS);
			cpu++;
			continue;
		}
		c.cpu = cpu++;
		if (!launch_one(mp, n, &c, cfg)) {
			Print(L"drvisor: on_unsupported=refuse: the boot CPU is not launched; the CPUs "
			      L"launched so far stay under drvisor\n");
			return FALSE;
		}
	}
	return TRUE;
}
