/*
 * The monitor's UART as the loader found it (monitor=, boot/uart_discover.c)
 * and hands it to the core in struct boot_info: where its registers are,
 * and what the guest must not see of it (the PCI function in configuration
 * space, its BAR). Fixed-size types only, as in config.h.
 */
#ifndef DRVISOR_MONITOR_UART_H
#define DRVISOR_MONITOR_UART_H

#include <stdint.h>

/* Where the port came from, for the banner and the monitor's info. */
enum dv_uart_source {
	DV_UART_FROM_CONFIG = 0,   /* monitor=com1..com4, 0xPORT, mmio: */
	DV_UART_FROM_SPCR = 1,     /* monitor=auto: ACPI SPCR */
	DV_UART_FROM_DBG2 = 2,     /* monitor=auto: ACPI DBG2 */
	DV_UART_FROM_LEGACY = 3,   /* monitor=auto: a COM port's scratch register answered */
	DV_UART_FROM_PCI_SCAN = 4, /* monitor=auto: the first PCI 16550 (class 07/00) */
	DV_UART_FROM_PCI = 5,      /* monitor=pci:BB:DD.F */
};

#define DV_UART_WHY_MAX 120

struct dv_monitor_uart {
	uint64_t base;           /* I/O port or physical address of register 0 */
	uint32_t space;          /* 0 = I/O port, 1 = memory (drivers/uart16550.h) */
	uint32_t width;          /* 1 or 4 bytes per register access */
	uint32_t shift;          /* register i at base + (i << shift) */
	uint32_t clock;          /* input clock, Hz */
	uint32_t source;         /* enum dv_uart_source */
	uint32_t is_pci;         /* 1: a PCI function, hidden from the guest */
	uint16_t pci_segment;
	uint8_t pci_bus, pci_dev, pci_fn;
	uint8_t pci_bar;         /* the BAR holding base */
	uint8_t reserved[2];
	uint64_t bar_base;       /* that BAR's range [bar_base, bar_base + bar_size) */
	uint64_t bar_size;
	uint64_t ecam_page;      /* the function's 4 KiB ECAM page (MCFG), 0 if none */
	uint64_t acpi_hidden;    /* bit 0: SPCR, bit 1: DBG2 taken out of the XSDT/RSDT */
	char why[DV_UART_WHY_MAX]; /* how it was chosen, one line */
};

#define DV_ACPI_HID_SPCR 1u
#define DV_ACPI_HID_DBG2 2u

#endif
