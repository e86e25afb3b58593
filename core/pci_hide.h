/*
 * Hiding the monitor's PCI function from the guest, so that no OS binds a
 * driver to it or moves its BAR (issue 15):
 *
 * - The legacy configuration mechanism (PCI Local Bus 3.0 3.2.2.3.2):
 *   0xCF8-0xCFF are intercepted. A dword at 0xCF8 is CONFIG_ADDRESS: the
 *   guest's value is kept (and written through); any other access to
 *   0xCF8-0xCFB (0xCF9 is the chipset's reset control register) is carried
 *   out on the real port. An access to CONFIG_DATA (0xCFC-0xCFF) while
 *   CONFIG_ADDRESS selects the hidden function reads all ones (what an
 *   absent function answers: vendor ID 0xffff) and its writes are dropped;
 *   for every other function it is performed on the real ports, after
 *   writing the guest's CONFIG_ADDRESS, within the same exit.
 * - ECAM (PCIe 5.0 7.2.2): the function's 4 KiB page of the MCFG window
 *   is the absent-device page in the nested page tables (core/mmio_trap.h).
 * - A memory BAR's pages: the same absent-device page.
 *
 * String I/O (INS/OUTS) to 0xCF8-0xCFF is answered with #GP: emulating it
 * would mean walking the guest's page tables, and no configuration
 * mechanism user does it.
 */
#ifndef DRVISOR_CORE_PCI_HIDE_H
#define DRVISOR_CORE_PCI_HIDE_H

#include <stdbool.h>
#include <stdint.h>
#include "io_policy.h"

#define PCI_HIDE_PORT_FIRST 0xcf8
#define PCI_HIDE_PORT_COUNT 8

/* Whether a function is hidden (the monitor's UART is a PCI function). */
bool pci_hide_active(void);

/* Start hiding the monitor's function (core/monitor_port.h), when it is
 * one; call before the first guest entry. */
void pci_hide_init(void);

/* Make the monitor's pages the absent-device page in the nested page
 * tables (core/mmio_trap.h): its function's ECAM page, and its registers'
 * pages when it is memory-mapped (the whole BAR of a PCI UART, up to
 * PCI_HIDE_BAR_PAGES pages). Call after the nested map is built, before
 * the first guest entry; says what it could not hide. */
void pci_hide_pages(void);

#define PCI_HIDE_BAR_PAGES 8

/* Carry out v's access a to one of 0xCF8-0xCFF (see the top). Returns
 * false when the guest gets #GP (string I/O). */
bool pci_hide_io(struct vcpu *v, const struct io_access *a);

#endif
