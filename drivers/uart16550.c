/* 16550 UART driver (register map: PC16550D datasheet). */
#include "uart16550.h"
#include "arch-x86/cpu.h"

#define UART_RBR_THR 0    /* receive buffer / transmit holding */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define UART_DLL 0        /* with LCR.DLAB */
#define UART_DLM 1

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03  /* OUT2 stays off: no interrupt line to the PIC */
#define LSR_DATA_READY 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define UART_CLOCK_DIV_BASE 115200u

bool uart_init(struct uart *u, uint16_t port, uint32_t baud)
{
	uint16_t div = (uint16_t)(UART_CLOCK_DIV_BASE / (baud ? baud : UART_CLOCK_DIV_BASE));

	u->port = port;
	u->present = false;
	/* The scratch register holds what was written only if a UART is there. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, div >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS);
	u->present = true;
	return true;
}

static void put_byte(const struct uart *u, char c)
{
	while (!(inb(u->port + UART_LSR) & LSR_THRE))
		cpu_pause();
	outb(u->port + UART_RBR_THR, (uint8_t)c);
}

void uart_write(const struct uart *u, const char *s, uint32_t len)
{
	uint32_t i;

	if (!u->present)
		return;
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			put_byte(u, '\r');
		put_byte(u, s[i]);
	}
}

void uart_flush(const struct uart *u)
{
	if (!u->present)
		return;
	while (!(inb(u->port + UART_LSR) & LSR_TEMT))
		cpu_pause();
}

int uart_poll_read(const struct uart *u)
{
	if (!u->present || !(inb(u->port + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(u->port + UART_RBR_THR);
}
