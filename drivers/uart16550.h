/* 16550-compatible UART on an I/O port, polled (no interrupts). */
#ifndef DRVISOR_DRIVERS_UART16550_H
#define DRVISOR_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stdint.h>

struct uart {
	uint16_t port;
	bool present;
};

/* Program the UART at port for baud, 8N1, FIFOs on, interrupts off. Returns
 * false (and leaves u->present false) if no UART answers there. */
bool uart_init(struct uart *u, uint16_t port, uint32_t baud);

/* Send len bytes, waiting for room before each (LSR.THRE); "\n" goes out as
 * "\r\n". Does nothing when the UART is absent. */
void uart_write(const struct uart *u, const char *s, uint32_t len);

/* Wait until the transmitter is empty (LSR.TEMT), so that nothing is lost
 * if the machine stops right after. */
void uart_flush(const struct uart *u);

/* Return the next received byte, or -1 if none is waiting. */
int uart_poll_read(const struct uart *u);

#endif
