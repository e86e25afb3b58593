/* 16550 UART driver (register map: PC16550D datasheet). */
#include "uart16550.h"
#include "arch-x86/cpu.h"
#include "arch-x86/port_io.h"

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
#define SCRATCH_PATTERN 0x5a

#define UART_PC_CLOCK 1843200u   /* 16 x 115200 */
#define UART_OVERSAMPLE 16u      /* the baud clock is 16 x the bit rate */
#define UART_BAUD_TOLERANCE 20u  /* 1/20 = 5%: what 8N1 framing still survives */

/* The accessor: register reg of u, as the bus sees it. A 32-bit register
 * holds the byte in bits 7:0 (SPCR/DBG2 "DWORD access" ports). */
static uint8_t reg_read(const struct uart *u, unsigned reg)
{
	uint64_t at = u->base + ((uint64_t)reg << u->shift);

	if (u->space == UART_SPACE_IO)
		return u->width == 4 ? (uint8_t)inl((uint16_t)at) : inb((uint16_t)at);
	if (u->width == 4)
		return (uint8_t)*(volatile uint32_t *)(uintptr_t)at;
	return *(volatile uint8_t *)(uintptr_t)at;
}

static void reg_write(const struct uart *u, unsigned reg, uint8_t v)
{
	uint64_t at = u->base + ((uint64_t)reg << u->shift);

	if (u->space == UART_SPACE_IO) {
		if (u->width == 4)
			outl((uint16_t)at, v);
		else
			outb((uint16_t)at, v);
	} else if (u->width == 4) {
		*(volatile uint32_t *)(uintptr_t)at = v;
	} else {
		*(volatile uint8_t *)(uintptr_t)at = v;
	}
}

uint16_t uart_divisor(uint32_t clock, uint32_t baud)
{
	uint64_t step, div, actual, err;

	if (!baud)
		return 0;
	step = (uint64_t)UART_OVERSAMPLE * baud;
	div = ((uint64_t)clock + step / 2) / step;
	if (div == 0 || div > 0xffff)
		return 0;
	actual = clock / (UART_OVERSAMPLE * div);
	err = actual > baud ? actual - baud : baud - actual;
	return err * UART_BAUD_TOLERANCE > baud ? 0 : (uint16_t)div;
}

void uart_at_port(struct uart *u, uint16_t port)
{
	*u = (struct uart){ .base = port, .space = UART_SPACE_IO, .width = 1,
			    .clock = UART_PC_CLOCK };
}

bool uart_probe(const struct uart *u)
{
	/* The scratch register holds what was written only if a UART is
	 * there; an absent device reads all ones (or an unmapped 0). */
	reg_write(u, UART_SCR, SCRATCH_PATTERN);
	return reg_read(u, UART_SCR) == SCRATCH_PATTERN;
}

bool uart_init(struct uart *u, uint32_t baud)
{
	uint16_t div = uart_divisor(u->clock ? u->clock : UART_PC_CLOCK, baud);

	u->present = false;
	u->divisor = div;
	if (!div || !uart_probe(u))
		return false;
	reg_write(u, UART_IER, 0);
	reg_write(u, UART_LCR, LCR_DLAB);
	reg_write(u, UART_DLL, div & 0xff);
	reg_write(u, UART_DLM, div >> 8);
	reg_write(u, UART_LCR, LCR_8N1);
	reg_write(u, UART_FCR, FCR_ENABLE_CLEAR);
	reg_write(u, UART_MCR, MCR_DTR_RTS);
	u->present = true;
	return true;
}

static void put_byte(const struct uart *u, char c)
{
	while (!(reg_read(u, UART_LSR) & LSR_THRE))
		cpu_pause();
	reg_write(u, UART_RBR_THR, (uint8_t)c);
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
	while (!(reg_read(u, UART_LSR) & LSR_TEMT))
		cpu_pause();
}

int uart_poll_read(const struct uart *u)
{
	if (!u->present || !(reg_read(u, UART_LSR) & LSR_DATA_READY))
		return -1;
	return reg_read(u, UART_RBR_THR);
}
