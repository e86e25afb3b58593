/*
 * The smallest guest test: proves that the firmware (or drvisor's loader,
 * chain-loading it as the guest) started this EFI application and that the
 * test channel works end to end: COM1 output reaches the driver's log and
 * guest_exit() ends the emulator with a code the driver can read. Every other
 * guest test builds on those two facts, so this one runs first.
 */
#include <efi.h>
#include <efilib.h>

#include "guest-tests/lib/guest.h"

/* Not EFIAPI: gnu-efi's crt0 (_start) calls efi_main with the SysV ABI
 * (image in RDI, system table in RSI), while EFIAPI here means ms_abi
 * (efibind.h turns MS ABI on whenever GNU_EFI_USE_MS_ABI is defined, even
 * as 0). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	(void)image;
	(void)st;

	serial_init();
	guest_printf("drvisor-guest: handoff ok\n");
	tap_plan(1);
	tap_ok(1, "chain-loaded by the firmware");
	guest_exit(tap_failures() ? 1 : 0);
}
