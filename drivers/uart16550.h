/* 16550-compatible UART, polled (no interrupts), at an I/O port or a
 * memory address, with 1- or 4-byte register accesses spaced 1 << shift
 * bytes apart and any input clock (ACPI SPCR/DBG2 describe such ports:
 * memory-mapped 16550s with 32-bit registers, PCI cards with 14.7456 MHz
 * crystals). */
#ifndef DRVISOR_DRIVERS_UART16550_H
#define DRVISOR_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stdint.h>

enum uart_space {
	UART_SPACE_IO = 0,      /* base is an I/O port */
	UART_SPACE_MMIO = 1,    /* base is a physical (identity-mapped) address */
};

struct uart {
	uint64_t base;
	uint8_t space;          /* enum uart_space */
	uint8_t width;          /* bytes per register access: 1 or 4 */
	uint8_t shift;          /* register i at base + (i << shift) */
	bool present;
	uint32_t clock;         /* input clock, Hz; 0 = 1.8432 MHz */
	uint16_t divisor;       /* what uart_init programmed */
};

#define UART_REG_COUNT 8    /* a 16550 decodes 8 registers */

/* The divisor latch for baud from clock (clock / (16 x baud), rounded to
 * nearest), or 0 when none is within 5% of baud or fits the 16-bit latch. */
uint16_t uart_divisor(uint32_t clock, uint32_t baud);

/* A legacy UART at an I/O port, byte registers, 1.8432 MHz. */
void uart_at_port(struct uart *u, uint16_t port);

/* Program the UART that u describes (base, space, width, shift, clock) for
 * baud, 8N1, FIFOs on, interrupts off. Returns false (and leaves
 * u->present false) if no UART answers there (its scratch register does
 * not keep a value) or the clock cannot make baud. */
bool uart_init(struct uart *u, uint32_t baud);

/* Whether a UART answers at u (the scratch-register test), changing
 * nothing else. */
bool uart_probe(const struct uart *u);

/* Send len bytes, waiting for room before each (LSR.THRE); "\n" goes out as
 * "\r\n". Does nothing when the UART is absent. */
void uart_write(const struct uart *u, const char *s, uint32_t len);

/* Wait until the transmitter is empty (LSR.TEMT), so that nothing is lost
 * if the machine stops right after. */
void uart_flush(const struct uart *u);

/* Return the next received byte, or -1 if none is waiting. */
int uart_poll_read(const struct uart *u);

#endif
