/*
 * EFI_MP_SERVICES_PROTOCOL (UEFI PI specification, volume 2, "MP Services
 * Protocol"). Debian's gnu-efi does not declare it, so the part the loader
 * calls is declared here.
 */
#ifndef DRVISOR_BOOT_MP_SERVICES_H
#define DRVISOR_BOOT_MP_SERVICES_H

#include <efi.h>

#define DV_EFI_MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

#define DV_PROCESSOR_AS_BSP_BIT 0x1
#define DV_PROCESSOR_ENABLED_BIT 0x2
#define DV_PROCESSOR_HEALTH_STATUS_BIT 0x4

struct dv_efi_processor_information {
	UINT64 processor_id;   /* the local APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread;
};

struct dv_efi_mp_services;
typedef EFI_STATUS (EFIAPI *dv_mp_get_number_fn)(struct dv_efi_mp_services *self,
						  UINTN *count, UINTN *enabled);
typedef EFI_STATUS (EFIAPI *dv_mp_get_info_fn)(struct dv_efi_mp_services *self, UINTN n,
						struct dv_efi_processor_information *info);

/* EFI_AP_PROCEDURE: called on the AP with the firmware's (Microsoft x64)
 * calling convention. */
typedef VOID (__attribute__((ms_abi)) *dv_ap_procedure)(VOID *arg);
typedef EFI_STATUS (EFIAPI *dv_mp_startup_this_ap_fn)(struct dv_efi_mp_services *self,
						       dv_ap_procedure procedure, UINTN n,
						       EFI_EVENT wait_event, UINTN timeout_us,
						       VOID *arg, BOOLEAN *finished);

struct dv_efi_mp_services {
	dv_mp_get_number_fn get_number_of_processors;
	dv_mp_get_info_fn get_processor_info;
	VOID *startup_all_aps;
	dv_mp_startup_this_ap_fn startup_this_ap;
	VOID *switch_bsp;
	VOID *enable_disable_ap;
	VOID *who_am_i;
};

#endif
