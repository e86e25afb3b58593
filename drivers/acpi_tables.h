/*
 * The few ACPI tables drvisor reads to find its serial port, parsed from
 * bytes: SPCR (Serial Port Console Redirection, Microsoft's spec, revisions
 * 1-4), DBG2 (Debug Port Table 2), MCFG (PCI Firmware spec 3.x: the ECAM
 * windows), and the RSDP/XSDT/RSDT walk that finds them. Pure C without
 * libc: linked into the loader and into the host unit tests.
 *
 * Every parser distrusts its table: the length must fit the bytes the
 * caller has, cover the fields read, and the checksum must be right; a
 * table that fails is refused with the reason, never half used.
 */
#ifndef DRVISOR_DRIVERS_ACPI_TABLES_H
#define DRVISOR_DRIVERS_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_HEADER_LEN 36

/* A 16550-compatible port as SPCR or DBG2 describes it. */
struct acpi_uart {
	uint64_t base;
	uint8_t space;          /* ACPI_GAS_MEMORY or ACPI_GAS_IO */
	uint8_t width;          /* 1 or 4 bytes per register access */
	uint8_t shift;          /* 0 for byte registers, 2 for 32-bit ones */
	bool pci;               /* SPCR named a PCI function */
	uint32_t clock;         /* SPCR revision 3+: the input clock, 0 = not given */
	uint16_t pci_segment;
	uint8_t pci_bus, pci_dev, pci_fn;
};

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1

/* NULL when t (avail bytes) is a table with signature sig whose length
 * fits avail and is at least min_len, and whose checksum is right; else
 * why not. */
const char *acpi_table_check(const uint8_t *t, size_t avail, const char *sig, size_t min_len);

/* The console port of an SPCR table, if it is a 16550. */
const char *acpi_spcr_parse(const uint8_t *t, size_t avail, struct acpi_uart *u);

/* The first 16550-compatible serial debug port of a DBG2 table. */
const char *acpi_dbg2_parse(const uint8_t *t, size_t avail, struct acpi_uart *u);

/* The 4 KiB ECAM page of seg:bus:dev.fn from an MCFG table. */
const char *acpi_mcfg_ecam(const uint8_t *t, size_t avail, uint16_t seg, uint8_t bus,
			   uint8_t dev, uint8_t fn, uint64_t *page);

/* Physical memory for the walk: len bytes at pa, or NULL where none. */
typedef const uint8_t *(*acpi_map_fn)(uint64_t pa, size_t len, void *ctx);

/* Find the table with signature sig through the RSDP at rsdp: its address
 * and length (checked as acpi_table_check does); with sdt, also the
 * root table (XSDT, or RSDT without one) that lists it and its entry size. */
struct acpi_found {
	uint64_t pa;
	size_t len;
	uint64_t sdt_pa;
	size_t sdt_len;
	unsigned entry_size;    /* 8 in an XSDT, 4 in an RSDT */
};
const char *acpi_find(uint64_t rsdp, acpi_map_fn map, void *ctx, const char *sig,
		      struct acpi_found *out);

/* Take the entry pointing at pa out of the root table sdt (entry_size 4 or
 * 8), shortening it and fixing its checksum. False when it is not there. */
bool acpi_sdt_drop(uint8_t *sdt, unsigned entry_size, uint64_t pa);

#endif
