/*
 * Internal interface of the UEFI loader (boot/). Each function's contract is
 * stated next to it. All of them run with boot services available.
 */
#ifndef DRVISOR_BOOT_LOADER_H
#define DRVISOR_BOOT_LOADER_H

#include <efi.h>
#include <efilib.h>
#include <drvisor/bootinfo.h>

/* The loader's own image handle, its loaded-image protocol and the directory
 * (e.g. L"\\EFI\\BOOT") it was loaded from; set once by efi_main. */
struct loader_self {
	EFI_HANDLE image;
	EFI_LOADED_IMAGE *loaded;
	CHAR16 dir[256];
};

/* Read the whole file at path (absolute on the loader's volume) into a new
 * pool buffer. Returns EFI_SUCCESS with *data and *size set (caller frees with
 * FreePool), or an error after printing nothing: callers word the message. */
EFI_STATUS file_read_all(const struct loader_self *self, const CHAR16 *path,
			 VOID **data, UINTN *size);

/* Build the path dir\name into out (out_len CHAR16s). Returns FALSE if it
 * does not fit. */
BOOLEAN path_join(CHAR16 *out, UINTN out_len, const CHAR16 *dir, const CHAR16 *name);

/* Read DRVISOR.CFG from the loader's directory and then the load options into
 * cfg (defaults first). Every problem is printed as one line; missing file
 * means defaults. */
void config_load(const struct loader_self *self, struct dv_config *cfg);

/* Print the effective configuration, one line. */
void config_print(const struct dv_config *cfg);

/* Fill in the firmware-derived parts of bi: memory map (marking
 * [hv_base, hv_base+hv_size) as drvisor's), ACPI RSDP, CPU count and BSP.
 * Returns EFI_SUCCESS or prints why not. */
EFI_STATUS bootinfo_collect(struct boot_info *bi);

/* Resolve cfg's monitor= into bi->monitor (boot/uart_discover.c): the
 * port, how it was chosen, and the PCI function and ACPI tables to hide.
 * Needs bi's memory map and RSDP (bootinfo_collect first). Prints the
 * outcome; what fails falls back to COM1, said so. */
void uart_discover(const struct dv_config *cfg, struct boot_info *bi);

/* Load CORE.ELF from the loader's directory into a fresh EfiReservedMemoryType
 * reservation, relocate it, and place a zeroed boot_info and the core's heap
 * after it. On success returns the entry point and bi; on failure prints one
 * line naming the problem and returns NULL with nothing left allocated. */
dv_core_entry_fn core_load(const struct loader_self *self, struct boot_info **bi);

/* Enter the core on every enabled application processor in turn (EFI MP
 * services, StartupThisAP, blocking: one at a time, while the boot CPU is
 * not yet a guest), each with the next dense CPU number from 1. Prints one
 * line per CPU that did not launch. Returns FALSE when one could not and
 * cfg->on_unsupported says refuse. */
BOOLEAN ap_launch_all(dv_core_entry_fn entry, struct boot_info *bi, const struct dv_config *cfg);

/* Chain-load cfg->next with cfg->next_args as load options. Returns the
 * image's exit status, or the load error after printing it. */
EFI_STATUS chainload(const struct loader_self *self, const struct dv_config *cfg);

#endif
