/*
 * What the guest sees of the monitor's UART, the only I/O ports drvisor
 * keeps for itself. Two modes, chosen by monitor_share= in the config:
 *
 * Hidden (the default): no device answers there. Every byte reads 0xff,
 * except the line status register, which reads 0x60 (transmitter empty,
 * nothing received), so that a firmware UART driver that bound the port
 * before the late launch sees an idle line instead of an endless stream of
 * 0xff "received" bytes, on which OVMF's terminal driver spins. Writes are
 * dropped.
 *
 * Shared (for a machine with one serial port): the guest keeps a working
 * UART. Its output goes to the wire; what arrives on the wire goes to the
 * guest until the escape byte Ctrl-] (0x1d) hands the keyboard to the
 * monitor, and the same byte hands it back. The guest's UART has no
 * interrupts (its driver must poll, as firmware consoles do) and keeps
 * drvisor's line settings: its baud-rate and line-control writes are kept
 * for read-back but do not reach the hardware.
 */
#ifndef DRVISOR_CORE_IO_POLICY_H
#define DRVISOR_CORE_IO_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "vcpu.h"

#define MONITOR_UART_SPAN 8   /* a 16550 decodes 8 registers */
#define MONITOR_ESCAPE 0x1d   /* Ctrl-] */

/* One intercepted I/O instruction, decoded by the vendor. */
struct io_access {
	uint16_t port;
	uint8_t bytes;            /* 1, 2 or 4 */
	bool in, string, rep;
};

/* The guest I/O port ranges that exit, for the vendor's I/O bitmap:
 * range i of io_intercept_count(), [first, first + count). The monitor's
 * UART when it is in I/O space (core/monitor_port.h) and 0xCF8-0xCFF
 * when its PCI function is hidden (core/pci_hide.h). */
unsigned io_intercept_count(void);
void io_intercept_range(unsigned i, uint16_t *first, uint16_t *count);

/* An intercepted I/O instruction: to the PCI configuration ports or the
 * monitor's UART. Returns false when the guest gets #GP (then the caller
 * leaves RIP alone). */
bool io_intercepted(struct vcpu *v, const struct io_access *a);

/* Carry out an access of v to the monitor's UART: IN and OUT as the mode
 * says; OUTS consumes its data as the hardware would (RSI, and RCX with REP;
 * in shared mode its bytes are not sent); INS gets #GP, since emulating it
 * would mean writing guest memory through the guest's page tables. Returns
 * false when the guest gets #GP; the caller then leaves RIP alone. */
bool io_monitor_port(struct vcpu *v, const struct io_access *a);

/* A byte from the wire in shared mode while the guest has the keyboard:
 * queued for the guest's reads. */
void io_guest_input(uint8_t byte);

#endif
