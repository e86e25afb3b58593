/*
 * Host unit tests for drivers/pci.c on a fake configuration space: BAR
 * decoding (I/O, 32- and 64-bit memory, unimplemented, broken), size
 * probing (decoding off meanwhile, BAR and command restored), the 16550
 * class match and the bus scan (multi-function devices only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/pci.h"

/* A function: its config dwords and, per BAR, the size it decodes (0 =
 * unimplemented) and whether it is I/O or 64-bit memory. */
struct fake_fn {
	bool present;
	uint8_t bus, dev, fn;
	uint32_t cfg[64];
	uint64_t bar_size[6];
	unsigned bar_writes_while_decoding;
};

#define FAKE_FNS 8
static struct fake_fn fns[FAKE_FNS];
static unsigned nfns;

static struct fake_fn *find(uint8_t bus, uint8_t dev, uint8_t fn)
{
	unsigned i;

	for (i = 0; i < nfns; i++)
		if (fns[i].bus == bus && fns[i].dev == dev && fns[i].fn == fn)
			return &fns[i];
	return NULL;
}

static uint32_t rd(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	struct fake_fn *f = find(bus, dev, fn);

	(void)ctx;
	return f ? f->cfg[off / 4] : 0xffffffffu;
}

/* BARs keep only their writable bits (the size's alignment), as hardware. */
static void wr(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	struct fake_fn *f = find(bus, dev, fn);
	unsigned i;

	(void)ctx;
	if (!f)
		return;
	if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
		i = (off - PCI_BAR0) / 4;
		if (f->cfg[PCI_COMMAND / 4] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
			f->bar_writes_while_decoding++;
		if (f->bar_size[i]) {
			uint64_t m = ~(f->bar_size[i] - 1);
			uint32_t flags = f->cfg[off / 4] & (f->cfg[off / 4] & 1 ? 0x3 : 0xf);

			f->cfg[off / 4] = ((uint32_t)m & v & (flags & 1 ? 0xfffffffcu : 0xfffffff0u)) | flags;
		} else if (i > 0 && (f->cfg[off / 4 - 1] & 0x7) == PCI_BAR_MEM_64 && f->bar_size[i - 1]) {
			f->cfg[off / 4] = (uint32_t)(~(f->bar_size[i - 1] - 1) >> 32) & v;
		}
		return;
	}
	if (off == PCI_COMMAND) {
		f->cfg[1] = (f->cfg[1] & 0xffff0000u) | (v & 0xffff);
		return;
	}
	f->cfg[off / 4] = v;
}

static const struct pci_cfg cfg = { rd, wr, NULL };

static struct fake_fn *add(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t class_rev, bool multi)
{
	struct fake_fn *f = &fns[nfns++];

	memset(f, 0, sizeof(*f));
	f->present = true;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->cfg[0] = 0x00021b36;                 /* vendor 1b36, device 0002 */
	f->cfg[1] = 0x00000000;
	f->cfg[2] = class_rev;
	f->cfg[3] = multi ? 0x00800000u : 0;
	return f;
}

static void reset(void)
{
	nfns = 0;
}

static void test_decode(void **state)
{
	struct pci_bar b;

	(void)state;
	assert_true(pci_bar_decode(0xc001, 0, 0xfffffff9u, 0, &b));
	assert_true(b.io);
	assert_int_equal(b.base, 0xc000);
	assert_int_equal(b.size, 8);
	/* Upper 16 bits of an I/O BAR may read back as 0. */
	assert_true(pci_bar_decode(0xc001, 0, 0x0000fff9u, 0, &b));
	assert_int_equal(b.size, 8);
	assert_true(pci_bar_decode(0xfebd1000u, 0, 0xfffff000u, 0, &b));
	assert_false(b.io);
	assert_false(b.is64);
	assert_int_equal(b.base, 0xfebd1000u);
	assert_int_equal(b.size, 0x1000);
	assert_true(pci_bar_decode(0x0000000cu, 0x8, 0xffffc00cu, 0xffffffffu, &b));
	assert_true(b.is64);
	assert_true(b.prefetch);
	assert_int_equal(b.base, 0x800000000ull);
	assert_int_equal(b.size, 0x4000);
	/* A 64-bit BAR larger than 4 GiB. */
	assert_true(pci_bar_decode(0x0000000cu, 0x40, 0x0000000cu, 0xfffffff0u, &b));
	assert_int_equal(b.size, 0x1000000000ull);
	assert_false(pci_bar_decode(0, 0, 0, 0, &b));                   /* unimplemented */
	assert_false(pci_bar_decode(1, 0, 1, 0, &b));                   /* unimplemented I/O */
	assert_false(pci_bar_decode(0xfebd1000u, 0, 0xfffff0f0u, 0, &b)); /* not a power of two */
	assert_false(pci_bar_decode(0xc001, 0, 0xfffffff5u, 0, &b));
}

static void test_class(void **state)
{
	(void)state;
	assert_true(pci_is_16550(0x07000201u));         /* QEMU pci-serial */
	assert_true(pci_is_16550(0x07000100u));
	assert_true(pci_is_16550(0x07000600u));
	assert_false(pci_is_16550(0x07000000u));        /* generic XT */
	assert_false(pci_is_16550(0x07000700u));
	assert_false(pci_is_16550(0x07010200u));        /* parallel */
	assert_false(pci_is_16550(0x07800200u));        /* other communication */
	assert_false(pci_is_16550(0x06000200u));
}

static void test_read_bar_probes_and_restores(void **state)
{
	struct fake_fn *f;
	struct pci_bar b;

	(void)state;
	reset();
	f = add(0, 3, 0, 0x07000201u, false);
	f->cfg[1] = 0x02100003;                         /* status bits + IO|MEM */
	f->cfg[4] = 0xc001;
	f->bar_size[0] = 8;
	f->cfg[5] = 0xfebd1000u;
	f->bar_size[1] = 0x1000;
	f->cfg[6] = 0x0000000cu;                        /* 64-bit prefetchable */
	f->cfg[7] = 0x8;
	f->bar_size[2] = 0x4000;
	assert_null(pci_read_bar(&cfg, 0, 3, 0, 0, &b));
	assert_true(b.io);
	assert_int_equal(b.base, 0xc000);
	assert_int_equal(b.size, 8);
	assert_null(pci_read_bar(&cfg, 0, 3, 0, 1, &b));
	assert_int_equal(b.size, 0x1000);
	assert_null(pci_read_bar(&cfg, 0, 3, 0, 2, &b));
	assert_true(b.is64);
	assert_int_equal(b.base, 0x800000000ull);
	assert_int_equal(b.size, 0x4000);
	assert_int_equal(f->bar_writes_while_decoding, 0);
	assert_int_equal(f->cfg[1], 0x02100003);        /* command restored, status kept */
	assert_int_equal(f->cfg[4], 0xc001);
	assert_int_equal(f->cfg[5], 0xfebd1000u);
	assert_int_equal(f->cfg[6], 0x0000000cu);
	assert_int_equal(f->cfg[7], 0x8);
	assert_non_null(pci_read_bar(&cfg, 0, 3, 0, 4, &b));   /* unimplemented */
	assert_non_null(pci_read_bar(&cfg, 0, 3, 0, 6, &b));   /* no such BAR */
	assert_non_null(pci_read_bar(&cfg, 0, 4, 0, 0, &b));   /* no such function */
	f->cfg[9] = 0x4;                                        /* 64-bit in slot 5 */
	f->bar_size[5] = 0x1000;
	assert_string_equal(pci_read_bar(&cfg, 0, 3, 0, 5, &b), "a 64-bit BAR in the last slot");
	f->cfg[1] = 0x2;                                        /* I/O decoding off */
	assert_string_equal(pci_read_bar(&cfg, 0, 3, 0, 0, &b), "I/O decoding is off");
	f->cfg[1] = 0x1;
	assert_string_equal(pci_read_bar(&cfg, 0, 3, 0, 1, &b), "memory decoding is off");
	f->cfg[1] = 0x3;
	f->cfg[4] = 0x1;                                        /* implemented, unassigned */
	assert_string_equal(pci_read_bar(&cfg, 0, 3, 0, 0, &b), "BAR not assigned (address 0)");
	f->cfg[3] = 0x00010000u;                                /* a bridge's header */
	assert_string_equal(pci_read_bar(&cfg, 0, 3, 0, 1, &b), "not a type-0 (device) header");
}

static void test_uart_bar(void **state)
{
	struct fake_fn *f;
	struct pci_bar b;
	unsigned used = 99;

	(void)state;
	reset();
	f = add(0, 3, 0, 0x07000201u, false);
	f->cfg[1] = 0x3;
	f->cfg[5] = 0xd001;                                     /* BAR0 empty, BAR1 I/O */
	f->bar_size[1] = 8;
	assert_null(pci_uart_bar(&cfg, 0, 3, 0, 0xff, &b, &used));
	assert_int_equal(used, 1);
	assert_int_equal(b.base, 0xd000);
	assert_non_null(pci_uart_bar(&cfg, 0, 3, 0, 0, &b, &used));
	assert_int_equal(used, 0);
	f->cfg[5] = 0;
	f->bar_size[1] = 0;
	assert_string_equal(pci_uart_bar(&cfg, 0, 3, 0, 0xff, &b, &used),
			    "no implemented, assigned BAR");
	assert_non_null(pci_uart_bar(&cfg, 0, 9, 0, 0xff, &b, &used));
}

static void test_scan(void **state)
{
	uint8_t bus = 0xaa, dev = 0xaa, fn = 0xaa;

	(void)state;
	reset();
	add(0, 0, 0, 0x06000000u, false);                       /* host bridge */
	add(0, 4, 0, 0x02000000u, false);                       /* single-function NIC */
	add(0, 4, 1, 0x07000200u, false);                       /* ghost: fn 1 of a single-fn device */
	add(0, 0x1f, 0, 0x06010000u, true);                     /* ISA bridge, multi-function */
	add(0, 0x1f, 5, 0x07000200u, false);
	add(2, 0, 0, 0x07000200u, false);
	assert_true(pci_find_16550(&cfg, &bus, &dev, &fn));
	assert_int_equal(bus, 0);
	assert_int_equal(dev, 0x1f);
	assert_int_equal(fn, 5);
	fns[4].cfg[2] = 0x07800000u;
	assert_true(pci_find_16550(&cfg, &bus, &dev, &fn));
	assert_int_equal(bus, 2);
	assert_int_equal(dev, 0);
	nfns = 4;
	assert_false(pci_find_16550(&cfg, &bus, &dev, &fn));
	assert_true(pci_present(&cfg, 0, 4, 0));
	assert_false(pci_present(&cfg, 0, 5, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_read_bar_probes_and_restores),
		cmocka_unit_test(test_uart_bar),
		cmocka_unit_test(test_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
