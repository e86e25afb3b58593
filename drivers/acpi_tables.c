/* ACPI table parsing for the serial port (drivers/acpi_tables.h). Offsets:
 * ACPI 6.5 5.2 (headers, RSDP), Microsoft "Serial Port Console Redirection
 * Table" rev. 4, "Microsoft Debug Port Table 2", PCI Firmware spec 3.3
 * 4.1.2 (MCFG). */
#include "acpi_tables.h"

#define HDR_LENGTH 4
#define HDR_REVISION 8
#define HDR_CHECKSUM 9

/* Generic Address Structure (ACPI 6.5 5.2.3.2), 12 bytes. */
#define GAS_LEN 12
#define GAS_SPACE 0
#define GAS_BIT_WIDTH 1
#define GAS_BIT_OFFSET 2
#define GAS_ACCESS 3
#define GAS_ADDRESS 4
#define GAS_ACCESS_UNDEFINED 0
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_DWORD 3

/* SPCR. */
#define SPCR_INTERFACE 36
#define SPCR_BASE 40
#define SPCR_PCI_DEVICE 64
#define SPCR_PCI_VENDOR 66
#define SPCR_PCI_BUS 68
#define SPCR_PCI_DEV 69
#define SPCR_PCI_FN 70
#define SPCR_PCI_SEGMENT 75
#define SPCR_CLOCK 76
#define SPCR_MIN_LEN 80
#define SPCR_CLOCK_REVISION 3
#define PCI_NONE 0xffff

/* Interface types shared by SPCR and DBG2's serial subtypes. */
#define SERIAL_16550 0x0000
#define SERIAL_16450 0x0001      /* "16550 subset" in DBG2 */
#define SERIAL_16550_GAS 0x0012  /* 16550-compatible, parameters in the GAS */

/* DBG2. */
#define DBG2_INFO_OFFSET 36
#define DBG2_INFO_COUNT 40
#define DBG2_MIN_LEN 44
#define DEV_LENGTH 1
#define DEV_GAS_COUNT 3
#define DEV_PORT_TYPE 12
#define DEV_PORT_SUBTYPE 14
#define DEV_BAR_OFFSET 18
#define DEV_MIN_LEN 22
#define DBG2_PORT_SERIAL 0x8000

/* MCFG. */
#define MCFG_ENTRIES 44
#define MCFG_ENTRY_LEN 16
#define MCFG_BASE 0
#define MCFG_SEGMENT 8
#define MCFG_BUS_START 10
#define MCFG_BUS_END 11

/* RSDP. */
#define RSDP_SIG_LEN 8
#define RSDP_V1_LEN 20
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_V2_LEN 36

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static bool same_sig(const uint8_t *p, const char *sig, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	return true;
}

const char *acpi_table_check(const uint8_t *t, size_t avail, const char *sig, size_t min_len)
{
	uint32_t len;

	if (!t || avail < ACPI_HEADER_LEN)
		return "shorter than an ACPI header";
	if (!same_sig(t, sig, 4))
		return "wrong signature";
	len = get32(t + HDR_LENGTH);
	if (len < ACPI_HEADER_LEN || len < min_len)
		return "length too small for its fields";
	if (len > avail)
		return "length runs past the table's bytes";
	if (sum_bytes(t, len))
		return "bad checksum";
	return NULL;
}

/* A GAS naming a 16550's register block: memory or I/O, byte or dword
 * registers (a dword register block is spaced 4 bytes apart, as Linux's
 * SPCR code reads it: "mmio32"). */
static const char *gas_uart(const uint8_t *g, struct acpi_uart *u)
{
	uint8_t access = g[GAS_ACCESS], bits = g[GAS_BIT_WIDTH];

	if (g[GAS_SPACE] != ACPI_GAS_MEMORY && g[GAS_SPACE] != ACPI_GAS_IO)
		return "the port is neither in memory nor in I/O space";
	if (g[GAS_BIT_OFFSET])
		return "the register block has a bit offset";
	u->base = get64(g + GAS_ADDRESS);
	if (!u->base)
		return "the port's address is 0 (not configured)";
	if (g[GAS_SPACE] == ACPI_GAS_IO && u->base > 0xffff - 7)
		return "the I/O port is beyond 0xffff";
	u->space = g[GAS_SPACE];
	if (access == GAS_ACCESS_DWORD || (access == GAS_ACCESS_UNDEFINED && bits == 32)) {
		u->width = 4;
		u->shift = 2;
	} else if (access == GAS_ACCESS_BYTE || (access == GAS_ACCESS_UNDEFINED && bits == 8)) {
		u->width = 1;
		u->shift = 0;
	} else {
		return "register access is neither byte nor dword";
	}
	return NULL;
}

/* Field by field: a struct assignment would be a memset call, which the
 * loader's pure modules must not make (unit.no_libc). */
static void clear_uart(struct acpi_uart *u)
{
	u->base = 0;
	u->space = u->width = u->shift = 0;
	u->pci = false;
	u->clock = 0;
	u->pci_segment = 0;
	u->pci_bus = u->pci_dev = u->pci_fn = 0;
}

static bool is_16550(uint16_t type)
{
	return type == SERIAL_16550 || type == SERIAL_16450 || type == SERIAL_16550_GAS;
}

const char *acpi_spcr_parse(const uint8_t *t, size_t avail, struct acpi_uart *u)
{
	const char *bad = acpi_table_check(t, avail, "SPCR", SPCR_MIN_LEN);

	if (bad)
		return bad;
	clear_uart(u);
	if (!is_16550(t[SPCR_INTERFACE]))
		return "the console is not a 16550 (interface type)";
	bad = gas_uart(t + SPCR_BASE, u);
	if (bad)
		return bad;
	if (get16(t + SPCR_PCI_DEVICE) != PCI_NONE || get16(t + SPCR_PCI_VENDOR) != PCI_NONE) {
		u->pci = true;
		u->pci_segment = t[SPCR_PCI_SEGMENT];
		u->pci_bus = t[SPCR_PCI_BUS];
		u->pci_dev = t[SPCR_PCI_DEV];
		u->pci_fn = t[SPCR_PCI_FN];
		if (u->pci_dev > 31 || u->pci_fn > 7)
			return "the PCI device or function number is out of range";
	}
	if (t[HDR_REVISION] >= SPCR_CLOCK_REVISION)
		u->clock = get32(t + SPCR_CLOCK);
	return NULL;
}

/* Device information structure i of DBG2 at off: a 16550 serial port
 * with at least one address register. NULL and *u filled, or why not
 * (*usable false: not a 16550, look further). */
static const char *dbg2_device(const uint8_t *t, uint32_t len, uint32_t off,
			       struct acpi_uart *u, uint32_t *dev_len, bool *usable)
{
	const uint8_t *d = t + off;
	uint32_t gas;

	*usable = false;
	if (off > len || len - off < DEV_MIN_LEN)
		return "a device entry runs past the table";
	*dev_len = get16(d + DEV_LENGTH);
	if (*dev_len < DEV_MIN_LEN || *dev_len > len - off)
		return "a device entry's length is wrong";
	if (get16(d + DEV_PORT_TYPE) != DBG2_PORT_SERIAL || !is_16550(get16(d + DEV_PORT_SUBTYPE)))
		return NULL;
	if (d[DEV_GAS_COUNT] == 0)
		return "a 16550 entry has no address register";
	gas = get16(d + DEV_BAR_OFFSET);
	if (gas > *dev_len || *dev_len - gas < GAS_LEN)
		return "a 16550 entry's address register lies outside it";
	*usable = true;
	return gas_uart(d + gas, u);
}

const char *acpi_dbg2_parse(const uint8_t *t, size_t avail, struct acpi_uart *u)
{
	const char *bad = acpi_table_check(t, avail, "DBG2", DBG2_MIN_LEN);
	uint32_t len, off, count, i, dev_len = 0;
	bool usable;

	if (bad)
		return bad;
	clear_uart(u);
	len = get32(t + HDR_LENGTH);
	off = get32(t + DBG2_INFO_OFFSET);
	count = get32(t + DBG2_INFO_COUNT);
	for (i = 0; i < count; i++, off += dev_len) {
		bad = dbg2_device(t, len, off, u, &dev_len, &usable);
		if (bad || usable)
			return bad;
	}
	return "no 16550 serial port in it";
}

const char *acpi_mcfg_ecam(const uint8_t *t, size_t avail, uint16_t seg, uint8_t bus,
			   uint8_t dev, uint8_t fn, uint64_t *page)
{
	const char *bad = acpi_table_check(t, avail, "MCFG", MCFG_ENTRIES);
	uint32_t len, off;

	if (bad)
		return bad;
	if (dev > 31 || fn > 7)
		return "no such device or function number";
	len = get32(t + HDR_LENGTH);
	if ((len - MCFG_ENTRIES) % MCFG_ENTRY_LEN)
		return "length is not a whole number of entries";
	for (off = MCFG_ENTRIES; off < len; off += MCFG_ENTRY_LEN) {
		const uint8_t *e = t + off;

		if (get16(e + MCFG_SEGMENT) != seg || bus < e[MCFG_BUS_START] || bus > e[MCFG_BUS_END])
			continue;
		*page = get64(e + MCFG_BASE) + ((uint64_t)(bus - e[MCFG_BUS_START]) << 20) +
			((uint64_t)dev << 15) + ((uint64_t)fn << 12);
		return NULL;
	}
	return "no ECAM window covers that bus";
}

/* The root table (XSDT when the RSDP has one, else RSDT), checked. */
static const char *root_table(uint64_t rsdp, acpi_map_fn map, void *ctx, struct acpi_found *out)
{
	const uint8_t *r = map(rsdp, RSDP_V1_LEN, ctx), *h;
	const char *sig = "RSDT";

	if (!r)
		return "no RSDP";
	if (!same_sig(r, "RSD PTR ", RSDP_SIG_LEN) || sum_bytes(r, RSDP_V1_LEN))
		return "the RSDP's signature or checksum is wrong";
	out->sdt_pa = get32(r + RSDP_RSDT);
	out->entry_size = 4;
	if (r[RSDP_REVISION] >= 2) {
		r = map(rsdp, RSDP_V2_LEN, ctx);
		if (!r || get32(r + RSDP_LENGTH) < RSDP_V2_LEN || sum_bytes(r, RSDP_V2_LEN))
			return "the ACPI 2.0 RSDP's length or checksum is wrong";
		if (get64(r + RSDP_XSDT)) {
			out->sdt_pa = get64(r + RSDP_XSDT);
			out->entry_size = 8;
			sig = "XSDT";
		}
	}
	h = map(out->sdt_pa, ACPI_HEADER_LEN, ctx);
	if (!h)
		return "the root table is not in memory";
	out->sdt_len = get32(h + HDR_LENGTH);
	h = map(out->sdt_pa, out->sdt_len, ctx);
	if (acpi_table_check(h, h ? out->sdt_len : 0, sig, ACPI_HEADER_LEN))
		return "the root table (XSDT/RSDT) is corrupt";
	return NULL;
}

const char *acpi_find(uint64_t rsdp, acpi_map_fn map, void *ctx, const char *sig,
		      struct acpi_found *out)
{
	const char *bad = root_table(rsdp, map, ctx, out);
	const uint8_t *sdt, *h;
	size_t off;

	if (bad)
		return bad;
	sdt = map(out->sdt_pa, out->sdt_len, ctx);
	for (off = ACPI_HEADER_LEN; off + out->entry_size <= out->sdt_len; off += out->entry_size) {
		uint64_t pa = out->entry_size == 8 ? get64(sdt + off) : get32(sdt + off);

		h = map(pa, ACPI_HEADER_LEN, ctx);
		if (!h || !same_sig(h, sig, 4))
			continue;
		out->pa = pa;
		out->len = get32(h + HDR_LENGTH);
		h = map(pa, out->len, ctx);
		return h ? acpi_table_check(h, out->len, sig, ACPI_HEADER_LEN) : "not in memory";
	}
	return "not present";
}

bool acpi_sdt_drop(uint8_t *sdt, unsigned entry_size, uint64_t pa)
{
	uint32_t len = get32(sdt + HDR_LENGTH), off, i;

	for (off = ACPI_HEADER_LEN; off + entry_size <= len; off += entry_size) {
		uint64_t e = entry_size == 8 ? get64(sdt + off) : get32(sdt + off);

		if (e != pa)
			continue;
		for (i = off; i + entry_size < len; i++)
			sdt[i] = sdt[i + entry_size];
		len -= entry_size;
		put32(sdt + HDR_LENGTH, len);
		sdt[HDR_CHECKSUM] = 0;
		sdt[HDR_CHECKSUM] = (uint8_t)(0 - sum_bytes(sdt, len));
		return true;
	}
	return false;
}
