/* What the guest sees of the I/O ports drvisor keeps for itself. */
#ifndef DRVISOR_CORE_IO_POLICY_H
#define DRVISOR_CORE_IO_POLICY_H

#include <stdint.h>

#define HIDDEN_UART_SPAN 8    /* a 16550 decodes 8 ports */

/*
 * The value of rax after the guest reads `bytes` bytes from `port` of the
 * monitor's UART. Every byte reads 0xff (no device answers on the bus),
 * except the line status register, which reads 0x60: transmitter empty,
 * nothing received. A firmware UART driver that bound the port before the
 * late launch then sees an idle line instead of an endless stream of 0xff
 * "received" bytes (LSR bit 0 set), on which OVMF's terminal driver spins.
 * Writes are dropped. An 8- or 16-bit read keeps the rest of rax; a 32-bit
 * read zero-extends, as the hardware does.
 */
uint64_t io_hidden_port_read(uint64_t rax, uint16_t port, unsigned bytes);

#endif
