/*
 * Host unit tests for core/pci_hide.c, the guest's view of 0xCF8-0xCFF
 * with the monitor's PCI function hidden, on a fake port space holding a
 * host bridge's configuration mechanism (CONFIG_ADDRESS, CONFIG_DATA, the
 * reset control register at 0xCF9) and two functions: 00:00.0 and the
 * hidden 00:06.0. Every access width and the odd ones (byte and word at
 * 0xCF8, a dword straddling 0xCFC, string I/O).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/pci_hide.h"
#include "core/monitor_port.h"
#include "drivers/pci.h"

struct dv_monitor_uart monitor_port;

/* ---- the fake chipset ---- */

static uint32_t cf8;
static uint8_t cf9;
static uint32_t cfg[2][64];      /* 00:00.0, 00:06.0 */
static unsigned hidden_writes, cf9_writes;

static uint32_t *reg_of(void)
{
	uint32_t fn = cf8 & PCI_CF8_FUNCTION_MASK;

	if (!(cf8 & PCI_CONFIG_ENABLE))
		return NULL;
	if (fn == (PCI_CF8(0, 0, 0, 0) & PCI_CF8_FUNCTION_MASK))
		return &cfg[0][(cf8 & 0xfc) / 4];
	if (fn == (PCI_CF8(0, 6, 0, 0) & PCI_CF8_FUNCTION_MASK))
		return &cfg[1][(cf8 & 0xfc) / 4];
	return NULL;
}

static uint32_t data_read(uint16_t port, unsigned bytes)
{
	uint32_t *r = reg_of(), v = r ? *r : 0xffffffffu;
	unsigned sh = 8 * (port - PCI_CONFIG_DATA);

	v >>= sh;
	return bytes == 4 ? v : v & ((1u << (8 * bytes)) - 1);
}

static void data_write(uint16_t port, unsigned bytes, uint32_t v)
{
	uint32_t *r = reg_of(), mask = bytes == 4 ? 0xffffffffu : (1u << (8 * bytes)) - 1;
	unsigned sh = 8 * (port - PCI_CONFIG_DATA);

	if (r == &cfg[1][(cf8 & 0xfc) / 4])
		hidden_writes++;
	if (r)
		*r = (*r & ~(mask << sh)) | ((v & mask) << sh);
}

uint8_t inb(uint16_t port)
{
	if (port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4)
		return (uint8_t)data_read(port, 1);
	if (port == 0xcf9)
		return cf9;
	if (port >= PCI_CONFIG_ADDRESS && port < PCI_CONFIG_ADDRESS + 4)
		return 0x5a;    /* what the chipset answers for a byte there */
	return 0xff;
}

void outb(uint16_t port, uint8_t v)
{
	if (port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4)
		data_write(port, 1, v);
	else if (port == 0xcf9) {
		cf9 = v;
		cf9_writes++;
	}
}

uint16_t inw(uint16_t port)
{
	return port >= PCI_CONFIG_DATA ? (uint16_t)data_read(port, 2) : 0x5a5a;
}

void outw(uint16_t port, uint16_t v)
{
	if (port >= PCI_CONFIG_DATA)
		data_write(port, 2, v);
}

uint32_t inl(uint16_t port)
{
	if (port == PCI_CONFIG_ADDRESS)
		return cf8;
	return port == PCI_CONFIG_DATA ? data_read(port, 4) : 0xffffffffu;
}

void outl(uint16_t port, uint32_t v)
{
	if (port == PCI_CONFIG_ADDRESS)
		cf8 = v;
	else if (port == PCI_CONFIG_DATA)
		data_write(port, 4, v);
}

void cpu_pause(void)
{
}

/* ---- what pci_hide.c calls in the rest of the core ---- */

void log_msg(uint32_t level, const char *fmt, ...)
{
	(void)level, (void)fmt;
}

static unsigned hidden_pages;
bool nested_hide_page(uint64_t gpa_page)
{
	(void)gpa_page;
	hidden_pages++;
	return true;
}

static int injected = -1;
static void inject(struct vcpu *v, uint8_t vector, uint32_t error_code)
{
	(void)v, (void)error_code;
	injected = vector;
}

static struct vendor_ops ops = { .inject_exception = inject };
static struct vcpu vcpu = { .ops = &ops };

/* ---- helpers ---- */

static void setup(void)
{
	memset(cfg, 0, sizeof(cfg));
	cfg[0][0] = 0x29c08086u;
	cfg[1][0] = 0x00021b36u;
	cfg[1][1] = 0x00000003u;        /* I/O and memory decoding */
	cfg[1][4] = 0x6061u;            /* BAR0 */
	cf8 = 0x80001234u;
	cf9 = 0;
	hidden_writes = cf9_writes = 0;
	injected = -1;
	memset(&monitor_port, 0, sizeof(monitor_port));
	monitor_port.is_pci = 1;
	monitor_port.pci_dev = 6;
	pci_hide_init();
}

static uint64_t guest_in(uint16_t port, unsigned bytes, uint64_t rax)
{
	struct io_access a = { .port = port, .bytes = (uint8_t)bytes, .in = true };

	vcpu.gprs.rax = rax;
	assert_true(pci_hide_io(&vcpu, &a));
	return vcpu.gprs.rax;
}

static void guest_out(uint16_t port, unsigned bytes, uint32_t v)
{
	struct io_access a = { .port = port, .bytes = (uint8_t)bytes };

	vcpu.gprs.rax = 0xdead000000000000ull | v;
	assert_true(pci_hide_io(&vcpu, &a));
}

/* ---- tests ---- */

static void test_active_only_for_pci(void **state)
{
	(void)state;
	setup();
	assert_true(pci_hide_active());
	assert_int_equal(guest_in(PCI_CONFIG_ADDRESS, 4, 0), 0x80001234u);  /* the host's, seeded */
}

static void test_hidden_function_absent(void **state)
{
	unsigned off;

	(void)state;
	setup();
	for (off = 0; off < 256; off += 4) {
		guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, off));
		assert_int_equal(guest_in(PCI_CONFIG_DATA, 4, 0x1111111122222222ull), 0xffffffffu);
	}
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, 0));
	/* Narrow reads: all ones in the bytes read, the rest of RAX kept. */
	assert_true(guest_in(PCI_CONFIG_DATA + 2, 2, 0x1111111122222222ull) == 0x111111112222ffffull);
	assert_true(guest_in(PCI_CONFIG_DATA + 3, 1, 0x1111111122222222ull) == 0x11111111222222ffull);
	/* Writes dropped: BAR0 and COMMAND keep their values. */
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, PCI_BAR0));
	guest_out(PCI_CONFIG_DATA, 4, 0xffffffffu);
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, PCI_COMMAND));
	guest_out(PCI_CONFIG_DATA, 2, 0);
	guest_out(PCI_CONFIG_DATA + 1, 1, 0);
	assert_int_equal(hidden_writes, 0);
	assert_int_equal(cfg[1][4], 0x6061u);
	assert_int_equal(cfg[1][1], 3);
}

static void test_other_functions_pass(void **state)
{
	(void)state;
	setup();
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 0, 0, 0));
	assert_int_equal(guest_in(PCI_CONFIG_ADDRESS, 4, 0), PCI_CF8(0, 0, 0, 0));
	/* The host (another CPU, the firmware's leftovers) moved the real
	 * register: the guest's value is written again before the access. */
	cf8 = PCI_CF8(0, 6, 0, 0);
	assert_int_equal(guest_in(PCI_CONFIG_DATA, 4, 0), 0x29c08086u);
	assert_int_equal(guest_in(PCI_CONFIG_DATA + 2, 2, 0), 0x29c0);
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 0, 0, 0x40));
	guest_out(PCI_CONFIG_DATA + 1, 1, 0xab);
	assert_int_equal(cfg[0][0x10], 0xab00);
	/* An absent function reads what the chipset says (all ones). */
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 7, 0, 0));
	assert_int_equal(guest_in(PCI_CONFIG_DATA, 4, 0), 0xffffffffu);
	/* CONFIG_ADDRESS's enable bit clear: the data port goes to the chipset
	 * as it is, even with the hidden function's number in it. */
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, 0) & ~PCI_CONFIG_ENABLE);
	assert_int_equal(guest_in(PCI_CONFIG_DATA, 4, 0), 0xffffffffu);
	cf8 = PCI_CF8(0, 0, 0, 0);      /* moved behind the guest's back */
	assert_int_equal(guest_in(PCI_CONFIG_DATA, 4, 0), 0xffffffffu);
}

/* Bytes and words at 0xCF8-0xCFB are not CONFIG_ADDRESS: they reach the
 * chipset, 0xCF9 (reset control) included. */
static void test_narrow_cf8_and_reset_register(void **state)
{
	(void)state;
	setup();
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, 0));
	guest_out(0xcf9, 1, 0x02);
	assert_int_equal(cf9_writes, 1);
	assert_int_equal(cf9, 0x02);
	assert_int_equal(guest_in(0xcf9, 1, 0), 0x02);
	assert_int_equal(guest_in(PCI_CONFIG_ADDRESS, 1, 0), 0x5a);
	assert_int_equal(guest_in(PCI_CONFIG_ADDRESS, 2, 0), 0x5a5a);
	/* CONFIG_ADDRESS kept the guest's dword. */
	assert_int_equal(guest_in(PCI_CONFIG_ADDRESS, 4, 0), PCI_CF8(0, 6, 0, 0));
}

/* A dword at 0xCFA covers 0xCFA-0xCFD: its CONFIG_DATA bytes are as
 * hidden as any. */
static void test_straddling_access(void **state)
{
	(void)state;
	setup();
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 6, 0, 0));
	assert_int_equal(guest_in(0xcfa, 4, 0), 0xffff5a5au);
	guest_out(0xcfa, 4, 0);
	assert_int_equal(hidden_writes, 0);
	guest_out(PCI_CONFIG_ADDRESS, 4, PCI_CF8(0, 0, 0, 0));
	assert_int_equal(guest_in(0xcfa, 4, 0), 0x80865a5au);
}

static void test_string_io_gp(void **state)
{
	struct io_access a = { .port = PCI_CONFIG_DATA, .bytes = 4, .in = true, .string = true };

	(void)state;
	setup();
	assert_false(pci_hide_io(&vcpu, &a));
	assert_int_equal(injected, 13);
	a.in = false;
	a.rep = true;
	injected = -1;
	assert_false(pci_hide_io(&vcpu, &a));
	assert_int_equal(injected, 13);
}

static void test_pages(void **state)
{
	(void)state;
	setup();
	monitor_port.ecam_page = 0xb0030000ull;
	hidden_pages = 0;
	pci_hide_pages();
	assert_int_equal(hidden_pages, 1);      /* I/O BAR: the ECAM page only */
	monitor_port.space = UART_SPACE_MMIO;
	monitor_port.base = monitor_port.bar_base = 0xfebd1000ull;
	monitor_port.bar_size = 0x2000;
	hidden_pages = 0;
	pci_hide_pages();
	assert_int_equal(hidden_pages, 3);      /* ECAM + the BAR's two pages */
	monitor_port.bar_size = 0x100000;       /* too big: the register block */
	hidden_pages = 0;
	pci_hide_pages();
	assert_int_equal(hidden_pages, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_only_for_pci),
		cmocka_unit_test(test_hidden_function_absent),
		cmocka_unit_test(test_other_functions_pass),
		cmocka_unit_test(test_narrow_cf8_and_reset_register),
		cmocka_unit_test(test_straddling_access),
		cmocka_unit_test(test_string_io_gp),
		cmocka_unit_test(test_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
