/*
 * The monitor's UART as the loader resolved it (include/drvisor/
 * monitor_uart.h): which I/O ports the guest must not reach, the PCI
 * function it must not see (core/pci_hide.h), and the one-line description
 * for the banner and the monitor's `info`.
 */
#ifndef DRVISOR_CORE_MONITOR_PORT_H
#define DRVISOR_CORE_MONITOR_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drvisor/bootinfo.h>
#include "drivers/uart16550.h"

extern struct dv_monitor_uart monitor_port;

/* Take bi's description and program u for baud. Returns whether a UART
 * answered. */
bool monitor_port_init(const struct boot_info *bi, struct uart *u);

/* The guest I/O ports drvisor keeps: the UART's registers when it is in
 * I/O space (the whole I/O BAR of a PCI UART), first and count; false
 * when it is memory-mapped. */
bool monitor_port_io_range(uint16_t *first, uint16_t *count);

/* Register index of guest I/O port p within the UART (the rest of a
 * larger BAR, or a byte between registers spaced apart, gives
 * UART_REG_COUNT: no register). */
unsigned monitor_port_reg(uint16_t p);

/* "pci 00:03.0 BAR0 I/O 0xc000 (auto: ...)" into buf, with " width W
 * shift S clock C Hz" after the address when they are not a PC COM
 * port's. */
void monitor_port_describe(char *buf, size_t len);

/* The highest physical address the host map must cover for the UART. */
uint64_t monitor_port_map_top(void);

#endif
