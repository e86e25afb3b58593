/*
 * COM1 output for guest tests. Polled rather than interrupt-driven because a
 * test must work before, during and after the hypervisor slides underneath
 * it, with the firmware owning the interrupt controller; and Bochs loses
 * bytes unless each one waits for THRE (see DESIGN.md, Bochs notes).
 *
 * While another processor runs a test function (mp.c), the output goes to a
 * memory buffer instead: an AP shares COM1 with the BSP, which sits inside
 * the firmware's StartupThisAP meanwhile, and the BSP prints the buffer once
 * the AP is done, so that every line reaches the log whole and in order.
 */
#include "guest.h"

/* 16550 registers (offsets from the base port); PC16550D datasheet. */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20 /* bit 5: holding register empty */
#define LSR_TEMT 0x40 /* bit 6: transmitter fully empty */

static int serial_ready;
static char *cap_buf;
static unsigned cap_size, cap_len, cap_lost;

void serial_init(void)
{
	uint16_t b = GUEST_COM1_BASE;

	guest_outb(b + UART_IER, 0x00); /* no interrupts: we poll */
	guest_outb(b + UART_LCR, 0x80); /* DLAB on */
	guest_outb(b + UART_DLL, 1);    /* 115200 = 1.8432 MHz / 16 / 1 */
	guest_outb(b + UART_DLM, 0);
	guest_outb(b + UART_LCR, 0x03); /* 8N1, DLAB off */
	guest_outb(b + UART_FCR, 0x07); /* FIFOs on and cleared */
	guest_outb(b + UART_MCR, 0x03); /* DTR, RTS */
	serial_ready = 1;
}

static void serial_raw(char c)
{
	while (!(guest_inb(GUEST_COM1_BASE + UART_LSR) & LSR_THRE))
		;
	guest_outb(GUEST_COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_capture_start(char *buf, unsigned size)
{
	cap_len = 0;
	cap_lost = 0;
	cap_size = size;
	cap_buf = buf;
}

unsigned serial_capture_stop(unsigned *lost)
{
	cap_buf = 0;
	if (lost)
		*lost = cap_lost;
	return cap_len;
}

void serial_putc(char c)
{
	if (cap_buf) {
		if (cap_len < cap_size)
			cap_buf[cap_len++] = c;
		else
			cap_lost++;
		return;
	}
	if (!serial_ready)
		serial_init();
	if (c == '\n')
		serial_raw('\r');
	serial_raw(c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_flush(void)
{
	if (!serial_ready)
		return;
	while (!(guest_inb(GUEST_COM1_BASE + UART_LSR) & LSR_TEMT))
		;
}
