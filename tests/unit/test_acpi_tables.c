/*
 * Host unit tests for drivers/acpi_tables.c. Tables are handed over in
 * heap buffers of exactly the size the parser is told (AddressSanitizer
 * catches any read past them). Real bytes: ACPICA's iASL template SPCR
 * (source/compiler/dttemplate.h, TemplateSpcr: revision 1, the port not
 * configured); the rest are built here field by field, after the specs
 * (SPCR rev. 2-4, DBG2, MCFG as QEMU q35 lays it out: ECAM 0xb0000000,
 * segment 0, buses 0-255).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/acpi_tables.h"

/* ACPICA dttemplate.h TemplateSpcr, as iasl -T SPCR writes it. */
static const uint8_t iasl_template_spcr[80] = {
	0x53, 0x50, 0x43, 0x52, 0x50, 0x00, 0x00, 0x00, 0x01, 0xE3, 0x49, 0x4E, 0x54, 0x45,
	0x4C, 0x20, 0x54, 0x45, 0x4D, 0x50, 0x4C, 0x41, 0x54, 0x45, 0x00, 0x00, 0x00, 0x00,
	0x49, 0x4E, 0x54, 0x4C, 0x28, 0x05, 0x10, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memset(t, 0, len);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "DRVISR", 6);
}

static void fix_checksum(uint8_t *t)
{
	uint32_t len = (uint32_t)(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24), i;
	uint8_t s = 0;

	if (len > 160)
		return;         /* a mangled length: every buffer here is smaller */
	t[9] = 0;
	for (i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[9] = (uint8_t)(0 - s);
}

static void gas(uint8_t *g, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	g[0] = space;
	g[1] = bits;
	g[2] = 0;
	g[3] = access;
	put64(g + 4, addr);
}

/* An SPCR of revision rev (length 80, or 88 with a namespace string at
 * rev 4) for a port described by the GAS fields; not a PCI device. */
static size_t spcr(uint8_t *t, uint8_t rev, uint8_t iface, uint8_t space, uint8_t bits,
		   uint8_t access, uint64_t addr, uint32_t clock)
{
	uint32_t len = rev >= 4 ? 88 : 80;

	header(t, "SPCR", len, rev);
	t[36] = iface;
	gas(t + 40, space, bits, access, addr);
	t[52] = 1;              /* interrupt type: 8259 */
	t[53] = 4;
	t[58] = 7;              /* 115200 */
	put16(t + 64, 0xffff);
	put16(t + 66, 0xffff);
	if (rev >= 3)
		put32(t + 76, clock);
	if (rev >= 4) {
		put32(t + 80, 115200);
		put16(t + 84, 2);
		put16(t + 86, 86);
	}
	fix_checksum(t);
	return len;
}

/* Run fn on an exact-size heap copy of n bytes of t. */
static const char *on_copy(const char *(*fn)(const uint8_t *, size_t, struct acpi_uart *),
			   const uint8_t *t, size_t n, struct acpi_uart *u)
{
	uint8_t *c = malloc(n ? n : 1);
	const char *r;

	assert_non_null(c);
	memcpy(c, t, n);
	r = fn(c, n, u);
	free(c);
	return r;
}

static void expect_bad(const char *got, const char *needle)
{
	if (!got)
		fail_msg("accepted; expected '%s'", needle);
	if (!strstr(got, needle))
		fail_msg("reason '%s' lacks '%s'", got, needle);
}

static void test_iasl_template_spcr(void **state)
{
	struct acpi_uart u;

	(void)state;
	assert_null(acpi_table_check(iasl_template_spcr, sizeof(iasl_template_spcr), "SPCR", 80));
	expect_bad(on_copy(acpi_spcr_parse, iasl_template_spcr, 80, &u), "not configured");
}

static void test_spcr_legacy_io(void **state)
{
	uint8_t t[96];
	struct acpi_uart u;
	size_t n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);

	(void)state;
	assert_null(on_copy(acpi_spcr_parse, t, n, &u));
	assert_int_equal(u.space, ACPI_GAS_IO);
	assert_int_equal(u.base, 0x3f8);
	assert_int_equal(u.width, 1);
	assert_int_equal(u.shift, 0);
	assert_false(u.pci);
	assert_int_equal(u.clock, 0);           /* rev 2 has no clock field */
}

static void test_spcr_mmio32_clock(void **state)
{
	uint8_t t[96];
	struct acpi_uart u;
	size_t n = spcr(t, 4, 0x12, 0, 32, 3, 0xfedc9000, 48000000);

	(void)state;
	assert_null(on_copy(acpi_spcr_parse, t, n, &u));
	assert_int_equal(u.space, ACPI_GAS_MEMORY);
	assert_int_equal(u.base, 0xfedc9000);
	assert_int_equal(u.width, 4);
	assert_int_equal(u.shift, 2);
	assert_int_equal(u.clock, 48000000);
	/* Access size "undefined" with a 32-bit register: the same. */
	n = spcr(t, 3, 0x00, 0, 32, 0, 0xfedc9000, 0);
	assert_null(on_copy(acpi_spcr_parse, t, n, &u));
	assert_int_equal(u.width, 4);
	assert_int_equal(u.clock, 0);
}

static void test_spcr_pci(void **state)
{
	uint8_t t[96];
	struct acpi_uart u;
	size_t n = spcr(t, 2, 0x00, 1, 8, 1, 0xc000, 0);

	(void)state;
	put16(t + 64, 0x0002);  /* QEMU pci-serial: 1b36:0002 */
	put16(t + 66, 0x1b36);
	t[68] = 0;
	t[69] = 3;
	t[70] = 0;
	fix_checksum(t);
	assert_null(on_copy(acpi_spcr_parse, t, n, &u));
	assert_true(u.pci);
	assert_int_equal(u.pci_bus, 0);
	assert_int_equal(u.pci_dev, 3);
	assert_int_equal(u.pci_fn, 0);
	t[69] = 32;
	fix_checksum(t);
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "out of range");
}

static void test_spcr_refusals(void **state)
{
	uint8_t t[96];
	struct acpi_uart u;
	size_t n;

	(void)state;
	n = spcr(t, 2, 0x03, 0, 32, 3, 0x9000000, 0);          /* ARM PL011 */
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "not a 16550");
	n = spcr(t, 2, 0x00, 2, 8, 1, 0x1000, 0);               /* PCI config space */
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "neither in memory nor in I/O");
	n = spcr(t, 2, 0x00, 1, 8, 2, 0x3f8, 0);                /* word access */
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "neither byte nor dword");
	n = spcr(t, 2, 0x00, 1, 16, 0, 0x3f8, 0);
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "neither byte nor dword");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0xfffc, 0);
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "beyond 0xffff");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);
	t[42] = 8;                                              /* bit offset */
	fix_checksum(t);
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "bit offset");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);
	t[20] ^= 1;                                             /* checksum broken */
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "checksum");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);
	memcpy(t, "SPCQ", 4);
	fix_checksum(t);
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "signature");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);
	put32(t + 4, 60);                                       /* too short for its fields */
	fix_checksum(t);
	expect_bad(on_copy(acpi_spcr_parse, t, 60, &u), "too small");
	n = spcr(t, 2, 0x00, 1, 8, 1, 0x3f8, 0);
	put32(t + 4, 0xffffffffu);                              /* runs past the buffer */
	expect_bad(on_copy(acpi_spcr_parse, t, n, &u), "runs past");
}

/* Every truncation of a good table is refused, and every single-byte
 * change with the checksum made right again is parsed or refused without
 * a read outside the table. */
static void test_spcr_truncated_and_mangled(void **state)
{
	uint8_t t[160], m[160];
	struct acpi_uart u;
	size_t n = spcr(t, 4, 0x12, 0, 32, 3, 0xfedc9000, 48000000), i;
	unsigned v;

	(void)state;
	for (i = 0; i < n; i++)
		assert_non_null(on_copy(acpi_spcr_parse, t, i, &u));
	for (i = 0; i < n; i++) {
		for (v = 0; v < 256; v += 51) {
			memcpy(m, t, n);
			m[i] = (uint8_t)v;
			fix_checksum(m);
			(void)on_copy(acpi_spcr_parse, m, n, &u);
		}
	}
}

/* A DBG2 with a network port first, then a 16550 in I/O space at 0x2f8. */
static size_t dbg2(uint8_t *t)
{
	const uint32_t first = 44, dev_len = 22 + 12 + 4;  /* fields, one GAS, its size */
	uint8_t *d;
	unsigned i;

	header(t, "DBG2", first + 2 * dev_len, 0);
	put32(t + 36, first);
	put32(t + 40, 2);
	for (i = 0; i < 2; i++) {
		d = t + first + i * dev_len;
		d[0] = 0;
		put16(d + 1, (uint16_t)dev_len);
		d[3] = 1;
		put16(d + 12, i == 0 ? 0x8002 : 0x8000);    /* net, then serial */
		put16(d + 14, i == 0 ? 0x0000 : 0x0001);
		put16(d + 18, 22);                          /* GAS right after */
		put16(d + 20, 34);
		gas(d + 22, i == 0 ? 0 : 1, 8, 1, i == 0 ? 0xfe000000 : 0x2f8);
		put32(d + 34, 8);
	}
	fix_checksum(t);
	return first + 2 * dev_len;
}

static void test_dbg2(void **state)
{
	uint8_t t[160], m[160];
	struct acpi_uart u;
	size_t n = dbg2(t), i;

	(void)state;
	assert_null(on_copy(acpi_dbg2_parse, t, n, &u));
	assert_int_equal(u.space, ACPI_GAS_IO);
	assert_int_equal(u.base, 0x2f8);
	assert_int_equal(u.width, 1);
	for (i = 0; i < n; i++)
		assert_non_null(on_copy(acpi_dbg2_parse, t, i, &u));

	memcpy(m, t, n);
	put32(m + 40, 1);       /* only the network port */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "no 16550");
	memcpy(m, t, n);
	put32(m + 40, 0xffffffffu);     /* more entries than bytes */
	fix_checksum(m);
	assert_null(on_copy(acpi_dbg2_parse, m, n, &u)); /* the 16550 comes first */
	put16(m + 44 + 12, 0x8000);     /* first entry: a serial port in memory */
	fix_checksum(m);
	assert_null(on_copy(acpi_dbg2_parse, m, n, &u));
	assert_int_equal(u.base, 0xfe000000);
	memcpy(m, t, n);
	put32(m + 36, 200);             /* entries start past the end */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "runs past");
	memcpy(m, t, n);
	put16(m + 44 + 38 + 1, 100);    /* second entry longer than what is left */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "length is wrong");
	memcpy(m, t, n);
	put16(m + 44 + 1, 4);           /* first entry shorter than its fields */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "length is wrong");
	memcpy(m, t, n);
	put16(m + 44 + 38 + 18, 30);    /* the GAS would run out of the entry */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "outside it");
	memcpy(m, t, n);
	m[44 + 38 + 3] = 0;             /* no address register */
	fix_checksum(m);
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "no address register");
	memcpy(m, t, n);
	m[50] ^= 0x40;
	expect_bad(on_copy(acpi_dbg2_parse, m, n, &u), "checksum");
}

/* QEMU q35's MCFG: one window, 0xb0000000, segment 0, buses 0-255. */
static size_t mcfg(uint8_t *t, unsigned entries)
{
	unsigned i;

	header(t, "MCFG", 44 + 16 * entries, 1);
	for (i = 0; i < entries; i++) {
		put64(t + 44 + 16 * i, i == 0 ? 0xb0000000ull : 0x3000000000ull);
		put16(t + 44 + 16 * i + 8, (uint16_t)i);
		t[44 + 16 * i + 10] = i == 0 ? 0 : 0x10;
		t[44 + 16 * i + 11] = i == 0 ? 0xff : 0x1f;
	}
	fix_checksum(t);
	return 44 + 16 * entries;
}

static void test_mcfg(void **state)
{
	uint8_t t[96];
	uint64_t page = 0;
	size_t n = mcfg(t, 2), i;
	uint8_t *c;

	(void)state;
	c = malloc(n);
	memcpy(c, t, n);
	assert_null(acpi_mcfg_ecam(c, n, 0, 0, 3, 0, &page));
	assert_int_equal(page, 0xb0018000ull);
	assert_null(acpi_mcfg_ecam(c, n, 0, 0xff, 0x1f, 7, &page));
	assert_int_equal(page, 0xb0000000ull + (0xffull << 20) + (0x1f << 15) + (7 << 12));
	assert_null(acpi_mcfg_ecam(c, n, 1, 0x12, 1, 2, &page));
	assert_int_equal(page, 0x3000000000ull + (2ull << 20) + (1 << 15) + (2 << 12));
	expect_bad(acpi_mcfg_ecam(c, n, 1, 0x20, 0, 0, &page), "no ECAM window");
	expect_bad(acpi_mcfg_ecam(c, n, 2, 0, 0, 0, &page), "no ECAM window");
	expect_bad(acpi_mcfg_ecam(c, n, 0, 0, 32, 0, &page), "no such device");
	for (i = 0; i < n; i++)
		assert_non_null(acpi_mcfg_ecam(c, i, 0, 0, 3, 0, &page));
	free(c);
	n = mcfg(t, 1);
	put32(t + 4, (uint32_t)n - 4);  /* a partial entry */
	fix_checksum(t);
	expect_bad(acpi_mcfg_ecam(t, n - 4, 0, 0, 3, 0, &page), "whole number");
}

/* ---- the RSDP walk over a fake physical memory ---- */

#define PHYS_BASE 0xe0000ull
#define PHYS_SIZE 0x1000
static uint8_t phys[PHYS_SIZE];

static const uint8_t *map(uint64_t pa, size_t len, void *ctx)
{
	(void)ctx;
	if (pa < PHYS_BASE || pa - PHYS_BASE > PHYS_SIZE || len > PHYS_SIZE - (pa - PHYS_BASE))
		return NULL;
	return phys + (pa - PHYS_BASE);
}

#define RSDP_AT 0x000
#define XSDT_AT 0x100
#define RSDT_AT 0x200
#define SPCR_AT 0x300
#define MCFG_AT 0x400
#define JUNK_AT 0x500

static void rsdp_fix(uint8_t *r)
{
	uint8_t s = 0;
	unsigned i;

	r[8] = 0;
	for (i = 0; i < 20; i++)
		s = (uint8_t)(s + r[i]);
	r[8] = (uint8_t)(0 - s);
	r[32] = 0;
	for (s = 0, i = 0; i < 36; i++)
		s = (uint8_t)(s + r[i]);
	r[32] = (uint8_t)(0 - s);
}

static void build_phys(uint8_t revision)
{
	uint8_t *r = phys + RSDP_AT, *x = phys + XSDT_AT, *rs = phys + RSDT_AT;

	memset(phys, 0, sizeof(phys));
	memcpy(r, "RSD PTR ", 8);
	r[15] = revision;
	put32(r + 16, (uint32_t)(PHYS_BASE + RSDT_AT));
	put32(r + 20, 36);
	put64(r + 24, PHYS_BASE + XSDT_AT);
	rsdp_fix(r);
	header(x, "XSDT", 36 + 3 * 8, 1);
	put64(x + 36, PHYS_BASE + JUNK_AT);
	put64(x + 44, PHYS_BASE + SPCR_AT);
	put64(x + 52, PHYS_BASE + MCFG_AT);
	fix_checksum(x);
	header(rs, "RSDT", 36 + 2 * 4, 1);
	put32(rs + 36, (uint32_t)(PHYS_BASE + MCFG_AT));
	put32(rs + 40, (uint32_t)(PHYS_BASE + SPCR_AT));
	fix_checksum(rs);
	spcr(phys + SPCR_AT, 2, 0, 1, 8, 1, 0x2f8, 0);
	mcfg(phys + MCFG_AT, 1);
	header(phys + JUNK_AT, "FACP", 36, 1);
	fix_checksum(phys + JUNK_AT);
}

static void test_find_and_drop(void **state)
{
	struct acpi_found f;
	uint8_t *x = phys + XSDT_AT;

	(void)state;
	build_phys(2);
	assert_null(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f));
	assert_int_equal(f.pa, PHYS_BASE + SPCR_AT);
	assert_int_equal(f.len, 80);
	assert_int_equal(f.sdt_pa, PHYS_BASE + XSDT_AT);
	assert_int_equal(f.entry_size, 8);
	assert_null(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "MCFG", &f));
	assert_int_equal(f.pa, PHYS_BASE + MCFG_AT);
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "DBG2", &f), "not present");

	/* Hiding SPCR from the OS: its entry leaves the XSDT, which stays
	 * valid and still lists the others. */
	assert_true(acpi_sdt_drop(x, 8, PHYS_BASE + SPCR_AT));
	assert_null(acpi_table_check(x, 36 + 16, "XSDT", 36));
	assert_int_equal(x[4], 36 + 16);
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "not present");
	assert_null(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "MCFG", &f));
	assert_null(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "FACP", &f));
	assert_false(acpi_sdt_drop(x, 8, PHYS_BASE + SPCR_AT));

	/* Revision 0: the RSDT, 4-byte entries. */
	build_phys(0);
	assert_null(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f));
	assert_int_equal(f.sdt_pa, PHYS_BASE + RSDT_AT);
	assert_int_equal(f.entry_size, 4);
	assert_true(acpi_sdt_drop(phys + RSDT_AT, 4, PHYS_BASE + SPCR_AT));
	assert_null(acpi_table_check(phys + RSDT_AT, 40, "RSDT", 36));
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "not present");
}

static void test_find_corrupt(void **state)
{
	struct acpi_found f;

	(void)state;
	build_phys(2);
	phys[RSDP_AT + 1] = 'X';
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "RSDP");
	build_phys(2);
	phys[RSDP_AT + 33] ^= 1;        /* extended checksum */
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "2.0 RSDP");
	build_phys(2);
	phys[XSDT_AT + 40] ^= 1;
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "root table");
	build_phys(2);
	put32(phys + XSDT_AT + 4, 0x10000); /* longer than memory */
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "root table");
	build_phys(2);
	phys[SPCR_AT + 50] ^= 1;
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "checksum");
	build_phys(2);
	put64(phys + XSDT_AT + 44, 0xdead0000ull); /* entry points nowhere */
	fix_checksum(phys + XSDT_AT);
	expect_bad(acpi_find(PHYS_BASE + RSDP_AT, map, NULL, "SPCR", &f), "not present");
	expect_bad(acpi_find(0x1000, map, NULL, "SPCR", &f), "no RSDP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iasl_template_spcr),
		cmocka_unit_test(test_spcr_legacy_io),
		cmocka_unit_test(test_spcr_mmio32_clock),
		cmocka_unit_test(test_spcr_pci),
		cmocka_unit_test(test_spcr_refusals),
		cmocka_unit_test(test_spcr_truncated_and_mangled),
		cmocka_unit_test(test_dbg2),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_find_and_drop),
		cmocka_unit_test(test_find_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
