/*
 * Host unit tests for drivers/uart16550.c: the baud divisor from the input
 * clock, and the register accessor for every kind of port SPCR/DBG2 can
 * name (I/O with byte or dword registers, memory with byte registers or
 * 32-bit registers 4 bytes apart). QEMU x86 has no memory-mapped UART, so
 * this is the test of the MMIO path: the registers are host memory here.
 * The I/O path runs on a fake port space (fake_io/arch-x86/cpu.h) holding
 * one emulated 16550's registers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/uart16550.h"

/* ---- the fake port space: a 16550 at FAKE_PORT, nothing elsewhere ---- */

#define FAKE_PORT 0xc000
static uint8_t fake_regs[UART_REG_COUNT];
static uint8_t fake_dll, fake_dlm;
static unsigned fake_wide_accesses, fake_pauses;
static char fake_sent[64];
static unsigned fake_nsent;

static void fake_reset(void)
{
	memset(fake_regs, 0, sizeof(fake_regs));
	fake_regs[5] = 0x60;
	fake_dll = fake_dlm = 0;
	fake_wide_accesses = fake_pauses = fake_nsent = 0;
}

uint8_t inb(uint16_t port)
{
	unsigned r = (unsigned)(port - FAKE_PORT);

	if (port < FAKE_PORT || r >= UART_REG_COUNT)
		return 0xff;
	if (r == 0 && (fake_regs[3] & 0x80))
		return fake_dll;
	return fake_regs[r];
}

void outb(uint16_t port, uint8_t v)
{
	unsigned r = (unsigned)(port - FAKE_PORT);

	if (port < FAKE_PORT || r >= UART_REG_COUNT || r == 5)
		return;
	if (fake_regs[3] & 0x80 && r <= 1) {
		*(r ? &fake_dlm : &fake_dll) = v;
		return;
	}
	if (r == 0 && fake_nsent < sizeof(fake_sent))
		fake_sent[fake_nsent++] = (char)v;
	fake_regs[r] = v;
}

uint32_t inl(uint16_t port)
{
	fake_wide_accesses++;
	return inb(port) | 0xffffff00u;
}

void outl(uint16_t port, uint32_t v)
{
	fake_wide_accesses++;
	outb(port, (uint8_t)v);
}

uint16_t inw(uint16_t port)
{
	return inb(port);
}

void outw(uint16_t port, uint16_t v)
{
	outb(port, (uint8_t)v);
}

void cpu_pause(void)
{
	fake_pauses++;
}

/* ---- tests ---- */

static void test_divisor(void **state)
{
	(void)state;
	assert_int_equal(uart_divisor(1843200, 115200), 1);
	assert_int_equal(uart_divisor(1843200, 9600), 12);
	assert_int_equal(uart_divisor(1843200, 50), 2304);
	assert_int_equal(uart_divisor(14745600, 115200), 8);    /* PCI cards' crystal */
	assert_int_equal(uart_divisor(48000000, 115200), 26);   /* 115384 baud: 0.16% off */
	assert_int_equal(uart_divisor(24000000, 115200), 13);
	assert_int_equal(uart_divisor(1843200, 0), 0);
	assert_int_equal(uart_divisor(1000, 115200), 0);        /* below one step */
	assert_int_equal(uart_divisor(3000000, 115200), 0);     /* 93750: 19% off */
	assert_int_equal(uart_divisor(0xffffffffu, 50), 0);     /* latch is 16 bits */
}

static void test_io_byte_port(void **state)
{
	struct uart u;

	(void)state;
	fake_reset();
	uart_at_port(&u, FAKE_PORT);
	assert_true(uart_init(&u, 9600));
	assert_true(u.present);
	assert_int_equal(fake_dll, 12);
	assert_int_equal(fake_dlm, 0);
	assert_int_equal(fake_regs[3], 0x03);   /* 8N1, DLAB off */
	assert_int_equal(fake_regs[2], 0x07);   /* FIFOs */
	assert_int_equal(fake_regs[4], 0x03);   /* DTR RTS, no OUT2 */
	assert_int_equal(fake_regs[1], 0);      /* no interrupts */
	assert_int_equal(fake_wide_accesses, 0);
	uart_write(&u, "a\nb", 3);
	assert_int_equal(fake_nsent, 4);
	assert_memory_equal(fake_sent, "a\r\nb", 4);
	assert_int_equal(uart_poll_read(&u), -1);
	fake_regs[0] = 'x';
	fake_regs[5] |= 0x01;
	assert_int_equal(uart_poll_read(&u), 'x');
}

static void test_io_absent(void **state)
{
	struct uart u;

	(void)state;
	fake_reset();
	uart_at_port(&u, 0x3f8);
	assert_false(uart_probe(&u));
	assert_false(uart_init(&u, 115200));
	assert_false(u.present);
	uart_write(&u, "lost", 4);      /* nothing happens, no wait */
	uart_flush(&u);
	assert_int_equal(uart_poll_read(&u), -1);
	assert_int_equal(fake_pauses, 0);
}

static void test_io_dword_registers(void **state)
{
	struct uart u = { .base = FAKE_PORT, .space = UART_SPACE_IO, .width = 4, .shift = 0,
			  .clock = 1843200 };

	(void)state;
	fake_reset();
	assert_true(uart_init(&u, 115200));
	assert_true(fake_wide_accesses > 0);
	assert_int_equal(fake_dll, 1);
}

static void test_bad_clock_refused(void **state)
{
	struct uart u = { .base = FAKE_PORT, .space = UART_SPACE_IO, .width = 1, .clock = 1000 };

	(void)state;
	fake_reset();
	assert_false(uart_init(&u, 115200));
	assert_false(u.present);
	assert_int_equal(fake_regs[7], 0);      /* not even probed */
}

/* Memory-mapped, 32-bit registers 4 bytes apart, 48 MHz: the accessor
 * must write each register's dword at base + 4 i and nothing between. */
static void test_mmio_dword_shift2(void **state)
{
	uint32_t regs[UART_REG_COUNT + 1];
	struct uart u;

	(void)state;
	memset(regs, 0xee, sizeof(regs));
	regs[5] = 0x60;
	u = (struct uart){ .base = (uintptr_t)regs, .space = UART_SPACE_MMIO, .width = 4,
			   .shift = 2, .clock = 48000000 };
	assert_true(uart_init(&u, 115200));
	assert_int_equal(u.divisor, 26);
	assert_int_equal(regs[0], 26);          /* DLL (whole dword written) */
	assert_int_equal(regs[1], 0);           /* DLM, then IER... */
	assert_int_equal(regs[2], 0x07);
	assert_int_equal(regs[3], 0x03);
	assert_int_equal(regs[4], 0x03);
	assert_int_equal(regs[5], 0x60);        /* LSR never written */
	assert_int_equal(regs[7], 0x5a);        /* the scratch test */
	assert_int_equal(regs[8], 0xeeeeeeee);  /* nothing past the block */
	uart_write(&u, "Z", 1);
	assert_int_equal(regs[0], 'Z');
	regs[5] = 0x61;
	regs[0] = 0xffffff00u | 'k';            /* upper bits are not data */
	assert_int_equal(uart_poll_read(&u), 'k');
	uart_flush(&u);
}

static void test_mmio_bytes(void **state)
{
	uint8_t regs[UART_REG_COUNT + 8];
	struct uart u;

	(void)state;
	memset(regs, 0xee, sizeof(regs));
	regs[5] = 0x60;
	u = (struct uart){ .base = (uintptr_t)regs, .space = UART_SPACE_MMIO, .width = 1,
			   .shift = 0, .clock = 14745600 };
	assert_true(uart_init(&u, 115200));
	assert_int_equal(regs[0], 8);
	assert_int_equal(regs[1], 0);
	assert_int_equal(regs[3], 0x03);
	assert_int_equal(regs[7], 0x5a);
	assert_int_equal(regs[8], 0xee);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_divisor),
		cmocka_unit_test(test_io_byte_port),
		cmocka_unit_test(test_io_absent),
		cmocka_unit_test(test_io_dword_registers),
		cmocka_unit_test(test_bad_clock_refused),
		cmocka_unit_test(test_mmio_dword_shift2),
		cmocka_unit_test(test_mmio_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
