/*
 * PCI configuration space, as much as finding a serial port needs: the
 * legacy configuration mechanism's address (PCI Local Bus spec 3.0 3.2.2.3.2,
 * ports 0xCF8/0xCFC), BAR decoding and size probing (6.2.5.1), the
 * 16550-compatible class code (PCI Code and ID Assignment spec: class 07,
 * subclass 00), and a bus scan. The accessors are the caller's (the loader
 * uses the ports, the unit tests a fake space), so this file is pure C.
 */
#ifndef DRVISOR_DRIVERS_PCI_H
#define DRVISOR_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE (1u << 31)
/* What 0xCF8 selects: bus 23:16, device 15:11, function 10:8, dword 7:2. */
#define PCI_CF8(bus, dev, fn, off) \
	(PCI_CONFIG_ENABLE | (uint32_t)(bus) << 16 | (uint32_t)(dev) << 11 | \
	 (uint32_t)(fn) << 8 | ((uint32_t)(off) & 0xfc))
#define PCI_CF8_FUNCTION_MASK 0x00ffff00u  /* bus, device, function */

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0c    /* dword holding header type in bits 23:16 */
#define PCI_BAR0 0x10
#define PCI_BAR_COUNT 6

#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_64 0x4
#define PCI_BAR_PREFETCH 0x8
#define PCI_BAR_IO_ADDR_MASK 0xfffffffcu
#define PCI_BAR_MEM_ADDR_MASK 0xfffffff0u

struct pci_cfg {
	uint32_t (*read32)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off);
	void (*write32)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v);
	void *ctx;
};

struct pci_bar {
	uint64_t base, size;
	bool io, is64, prefetch;
};

/* Decode a BAR from its value (lo, and hi for the upper half of a 64-bit
 * one) and what it read after all ones were written (lo_probe, hi_probe).
 * False when it implements nothing (size 0) or its size is not a power of
 * two (a broken device). */
bool pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t lo_probe, uint32_t hi_probe,
		    struct pci_bar *bar);

/* Whether a class/revision dword is a 16550-compatible serial controller
 * (class 07, subclass 00, programming interface 16450..16950). */
bool pci_is_16550(uint32_t class_revision);

/* Read BAR index (0..5) of a type-0 function, probing its size: decoding
 * is off (command register) while the BAR holds all ones, and both are
 * restored. Returns NULL with *bar, or why not. */
const char *pci_read_bar(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn,
			 unsigned index, struct pci_bar *bar);

/* The BAR a UART is at: index, or with index 0xff the first I/O or memory
 * BAR that is implemented and assigned. *used gets its index. */
const char *pci_uart_bar(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn,
			 unsigned index, struct pci_bar *bar, unsigned *used);

/* Whether bus:dev.fn exists (vendor ID not all ones). */
bool pci_present(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn);

/* The first 16550-compatible function in bus order (all 256 buses; the
 * functions of a device beyond 0 only when it is multi-function). */
bool pci_find_16550(const struct pci_cfg *c, uint8_t *bus, uint8_t *dev, uint8_t *fn);

#endif
