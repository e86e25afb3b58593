/*
 * The boot-information structure the loader hands to the core: the single
 * contract between boot/ (UEFI, GNU-EFI) and core/ (freestanding). Both sides
 * include this header. Everything in it is a copy owned by drvisor: the core
 * never follows a pointer into firmware-owned memory, because after the hand-off
 * that memory belongs to the guest.
 *
 * Versioning: the core refuses a boot_info whose magic or major version differs
 * from its own, and a size smaller than it needs. Fields are only ever appended.
 */
#ifndef DRVISOR_BOOTINFO_H
#define DRVISOR_BOOTINFO_H

#include <stdint.h>
#include "config.h"
#include "monitor_uart.h"

#define DV_BOOTINFO_MAGIC 0x4f464e4953495644ull /* "DVSINFO" little-endian + 'O' */
#define DV_BOOTINFO_VERSION_MAJOR 1
#define DV_BOOTINFO_VERSION_MINOR 3  /* 1: dv_config.on_guest_shutdown; 2: per-CPU entry;
                                       3: monitor_uart */

/* CPUs the core can run on; the loader launches at most this many. */
#define DV_CORE_MAX_CPUS 16

#define DV_MEMMAP_MAX 256

/* Memory-map entry kinds, reduced from EFI memory types. */
enum dv_mem_type {
	DV_MEM_USABLE = 1,       /* conventional, boot-services or loader memory */
	DV_MEM_RESERVED = 2,     /* firmware reserved, runtime, unusable */
	DV_MEM_ACPI = 3,         /* ACPI reclaim */
	DV_MEM_ACPI_NVS = 4,
	DV_MEM_MMIO = 5,
};

struct dv_mem_range {
	uint64_t base;
	uint64_t pages;          /* 4 KiB pages */
	uint32_t type;           /* enum dv_mem_type */
	uint32_t efi_type;       /* the EFI memory type it came from */
};

struct boot_info {
	uint64_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t size;                 /* sizeof(struct boot_info) as the loader built it */

	/* The reservation holding the core: [hv_base, hv_base + hv_size). */
	uint64_t hv_base;
	uint64_t hv_size;
	uint64_t core_base;            /* where the core image was loaded (link base 0) */
	uint64_t core_size;            /* bytes of the loaded image incl. .bss */
	uint64_t heap_base;            /* free pages after the image, for the core's allocator */
	uint64_t heap_size;

	uint64_t acpi_rsdp;            /* physical address, 0 if the firmware has none */
	uint32_t acpi_revision;        /* 0 = ACPI 1.0 RSDP, 2 = XSDP */
	uint32_t cpu_count;            /* enabled processors (EFI MP services), >= 1 */
	uint32_t bsp_apic_id;
	uint32_t mem_count;            /* valid entries of mem[] */
	uint64_t mem_max_addr;         /* highest end address of any range, for identity maps */

	struct dv_config config;
	struct dv_mem_range mem[DV_MEMMAP_MAX];

	struct dv_monitor_uart monitor;  /* the resolved monitor= (boot/uart_discover.c) */
};

/* Values the core's entry returns to the loader (in RAX). */
enum dv_core_status {
	DV_CORE_OK = 0,             /* core done; loader continues (as a guest once launched) */
	DV_CORE_BAD_BOOTINFO = 1,   /* magic, version or size mismatch */
	DV_CORE_UNSUPPORTED = 2,    /* the CPU cannot host drvisor; the message is on the serial port */
	DV_CORE_FAILED = 3,         /* launch failed; the message is on the serial port */
};

/* What the loader asks of the core at one entry (docs/architecture.md,
 * "Boot flow"): on the boot CPU first DV_CORE_SETUP (take the port, build
 * what the machine shares, check the boot CPU; nothing is launched), then
 * DV_CORE_LAUNCH on each application processor in turn (cpu 1, 2, ...),
 * each returning before the next starts, and last DV_CORE_LAUNCH on the
 * boot CPU (cpu 0). */
enum dv_core_op {
	DV_CORE_SETUP = 0,
	DV_CORE_LAUNCH = 1,
};

/* The core's entry point, System V ABI: status = entry(bi, cpu, op), cpu
 * the dense CPU number (0 = the boot CPU, < DV_CORE_MAX_CPUS). */
typedef uint64_t (*dv_core_entry_fn)(struct boot_info *bi, uint32_t cpu, uint32_t op);

#endif
