/*
 * EFI_MP_SERVICES_PROTOCOL, the part the guest tests call (UEFI Platform
 * Initialization specification, volume 2 "Driver Execution Environment Core
 * Interface", section 13.4 "MP Services Protocol"). Debian's gnu-efi does not
 * declare it. Member order and types are the spec's; EFIAPI is the MS ABI in
 * this build (cmake/efi.cmake), as the firmware calls and expects.
 */
#ifndef DRVISOR_GUEST_EFI_MP_H
#define DRVISOR_GUEST_EFI_MP_H

#include <efi.h>

#define GUEST_EFI_MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/* EFI_PROCESSOR_INFORMATION.StatusFlag (PI vol. 2, 13.4.3) */
#define GUEST_PROCESSOR_AS_BSP_BIT   0x1
#define GUEST_PROCESSOR_ENABLED_BIT  0x2

/* EFI_PROCESSOR_INFORMATION. PI 1.7 appends ExtendedInformation (six UINT32),
 * filled only when ProcessorNumber carries CPU_V2_EXTENDED_TOPOLOGY; it is
 * declared so that a firmware writing it never writes past our buffer. */
struct guest_efi_processor_information {
	UINT64 processor_id;   /* the local APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread;
	UINT32 extended[6];
};

/* EFI_AP_PROCEDURE */
typedef VOID (EFIAPI *guest_efi_ap_procedure)(VOID *argument);

struct guest_efi_mp_services;
typedef EFI_STATUS (EFIAPI *guest_mp_get_number_fn)(struct guest_efi_mp_services *self,
						     UINTN *count, UINTN *enabled);
typedef EFI_STATUS (EFIAPI *guest_mp_get_info_fn)(struct guest_efi_mp_services *self, UINTN n,
						   struct guest_efi_processor_information *info);
/* StartupThisAP: WaitEvent NULL = blocking; TimeoutInMicroseconds 0 =
 * forever; Finished is used only in non-blocking mode (PI vol. 2, 13.4.5). */
typedef EFI_STATUS (EFIAPI *guest_mp_startup_this_ap_fn)(struct guest_efi_mp_services *self,
							  guest_efi_ap_procedure procedure,
							  UINTN processor_number, EFI_EVENT wait_event,
							  UINTN timeout_us, VOID *argument,
							  BOOLEAN *finished);
typedef EFI_STATUS (EFIAPI *guest_mp_who_am_i_fn)(struct guest_efi_mp_services *self, UINTN *n);

struct guest_efi_mp_services {
	guest_mp_get_number_fn get_number_of_processors;
	guest_mp_get_info_fn get_processor_info;
	VOID *startup_all_aps;
	guest_mp_startup_this_ap_fn startup_this_ap;
	VOID *switch_bsp;
	VOID *enable_disable_ap;
	guest_mp_who_am_i_fn who_am_i;
};

#endif
