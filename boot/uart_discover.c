/*
 * Finding the monitor's UART (monitor=, boot/config_parse.h) while the
 * firmware can still help: the loader has the RSDP, the firmware's console
 * variables and an identity map of everything, and nothing else runs (the
 * BAR size probe writes the BAR; interrupts are off meanwhile: TPL_HIGH).
 * The result, and what the guest must not see, goes to the core in
 * boot_info.monitor; the core owns the port from then on.
 *
 * monitor=auto tries, in order: ACPI SPCR, ACPI DBG2, the first legacy COM
 * port whose scratch register answers and that the firmware does not use
 * as its console (ConOut/ConIn/ErrOut: taking it would take the firmware's
 * and the OS's console away), then the first PCI 16550 (class 07/00).
 * Whatever fails falls back to COM1, said on the firmware console and in
 * the banner: a monitor somewhere beats none.
 *
 * An SPCR or DBG2 that names the chosen port is taken out of the XSDT and
 * RSDT: the port is drvisor's, and an OS told to use it would write into
 * the void (and, on a memory-mapped port behind the absent-device page,
 * read 0xff "data ready" forever). docs/architecture.md, "The monitor's
 * serial port".
 */
#include "loader.h"
#include "drivers/acpi_tables.h"
#include "drivers/pci.h"
#include "drivers/uart16550.h"
#include "arch-x86/port_io.h"

static const UINT16 com_ports[] = { DV_COM1_PORT, DV_COM2_PORT, DV_COM3_PORT, DV_COM4_PORT };
#define COM_COUNT 4

/* EFI device path node for an ACPI device (UEFI 2.9 10.3.3). */
#define DP_ACPI 2
#define DP_ACPI_BASIC 1
#define DP_END 0x7f
#define EISA_PNP0501 0x050141d0u   /* 16550-compatible serial port */

/* m->why from a Print format (%a for the ASCII reasons). Formatted as
 * UCS-2 and narrowed: gnu-efi's AsciiVSPrint stops at half the size. */
static void why(struct dv_monitor_uart *m, const CHAR16 *fmt, ...)
{
	CHAR16 wide[DV_UART_WHY_MAX];
	va_list ap;
	UINTN i;

	va_start(ap, fmt);
	UnicodeVSPrint(wide, sizeof(wide), fmt, ap);
	va_end(ap);
	for (i = 0; i + 1 < DV_UART_WHY_MAX && wide[i]; i++)
		m->why[i] = wide[i] < 0x80 ? (char)wide[i] : '?';
	m->why[i] = 0;
}

static UINT32 get32(const UINT8 *p)
{
	return (UINT32)p[0] | (UINT32)p[1] << 8 | (UINT32)p[2] << 16 | (UINT32)p[3] << 24;
}

/* v in lower-case hex with at least digits digits (gnu-efi's %x writes
 * upper case; the core's banner and `info` write lower). */
static const char *hex(char *buf, uint64_t v, unsigned digits)
{
	char tmp[16];
	unsigned n = 0, i = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while ((v || n < digits) && n < sizeof(tmp));
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = 0;
	return buf;
}

/* "pci:BB:DD.F" of the configured function, into buf (12 bytes). */
static const char *bdf_text(char *buf, const struct dv_config *cfg)
{
	char b[17], d[17], f[17];
	const char *parts[] = { "pci:", hex(b, cfg->monitor_pci_bus, 2), ":",
				hex(d, cfg->monitor_pci_dev, 2), ".", hex(f, cfg->monitor_pci_fn, 1) };
	unsigned i, k = 0;
	const char *p;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (p = parts[i]; *p && k < 11; p++)
			buf[k++] = *p;
	buf[k] = 0;
	return buf;
}

/* ---- physical memory for the ACPI walk: only what the memory map has ---- */

static const uint8_t *acpi_map(uint64_t pa, size_t len, void *ctx)
{
	const struct boot_info *bi = ctx;
	UINT32 i;

	for (i = 0; pa && i < bi->mem_count; i++) {
		const struct dv_mem_range *r = &bi->mem[i];
		uint64_t end = r->base + r->pages * EFI_PAGE_SIZE;

		if (pa >= r->base && pa < end && len <= end - pa)
			return (const uint8_t *)(UINTN)pa;
	}
	return NULL;
}

/* ---- PCI configuration space through 0xCF8/0xCFC ---- */

static uint32_t cfg_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	(void)ctx;
	outl(PCI_CONFIG_ADDRESS, PCI_CF8(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

static void cfg_write(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	(void)ctx;
	outl(PCI_CONFIG_ADDRESS, PCI_CF8(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
}

static const struct pci_cfg pci_ports = { cfg_read, cfg_write, NULL };

/* The function's ECAM page, so that the core can hide it (0 without MCFG). */
static uint64_t ecam_page(struct boot_info *bi, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct acpi_found f;
	uint64_t page = 0;

	if (!bi->acpi_rsdp || acpi_find(bi->acpi_rsdp, acpi_map, bi, "MCFG", &f))
		return 0;
	if (acpi_mcfg_ecam(acpi_map(f.pa, f.len, bi), f.len, 0, bus, dev, fn, &page))
		return 0;
	return page;
}

/* A PCI function's UART: its BAR (index, or DV_MONITOR_BAR_FIRST), probed
 * with interrupts off. NULL or why not. */
static const char *use_pci(struct boot_info *bi, uint8_t bus, uint8_t dev, uint8_t fn,
			   unsigned index, uint32_t clock)
{
	struct dv_monitor_uart *m = &bi->monitor;
	struct pci_bar bar;
	unsigned used = 0;
	const char *bad;
	EFI_TPL tpl;

	tpl = uefi_call_wrapper(BS->RaiseTPL, 1, TPL_HIGH_LEVEL);
	bad = pci_present(&pci_ports, bus, dev, fn) ? NULL : "no such PCI function";
	if (!bad)
		bad = pci_uart_bar(&pci_ports, bus, dev, fn, index, &bar, &used);
	uefi_call_wrapper(BS->RestoreTPL, 1, tpl);
	if (bad)
		return bad;
	if (bar.io && bar.base + UART_REG_COUNT > 0x10000)
		return "its I/O BAR lies beyond port 0xffff";
	m->base = bar.base;
	m->space = bar.io ? UART_SPACE_IO : UART_SPACE_MMIO;
	m->width = 1;
	m->shift = 0;
	m->clock = clock;
	m->is_pci = 1;
	m->pci_bus = bus;
	m->pci_dev = dev;
	m->pci_fn = fn;
	m->pci_bar = (uint8_t)used;
	m->bar_base = bar.base;
	m->bar_size = bar.size;
	m->ecam_page = ecam_page(bi, bus, dev, fn);
	return NULL;
}

/* Whether a UART answers at m now (the scratch-register test). */
static BOOLEAN answers(const struct dv_monitor_uart *m)
{
	struct uart u = { .base = m->base, .space = (uint8_t)m->space, .width = (uint8_t)m->width,
			  .shift = (uint8_t)m->shift };

	return uart_probe(&u);
}

/* ---- the firmware's console ports ---- */

/* Whether the console variable name's device path has a PNP0501 node
 * with UID uid (EDK2 numbers the PC's COM ports from UID 0). */
static BOOLEAN console_uses(CHAR16 *name, UINT32 uid)
{
	UINTN size = 0, off = 0;
	UINT8 *dp = LibGetVariableAndSize(name, &EfiGlobalVariable, &size);
	BOOLEAN found = FALSE;

	while (dp && off + 4 <= size) {
		UINT16 len = (UINT16)(dp[off + 2] | dp[off + 3] << 8);

		if (len < 4 || len > size - off)
			break;
		if (dp[off] == DP_ACPI && dp[off + 1] == DP_ACPI_BASIC && len >= 12 &&
		    get32(dp + off + 4) == EISA_PNP0501 && get32(dp + off + 8) == uid)
			found = TRUE;
		off += len;
	}
	if (dp)
		FreePool(dp);
	return found;
}

static BOOLEAN firmware_console(unsigned com)
{
	return console_uses(L"ConOut", com) || console_uses(L"ConIn", com) ||
	       console_uses(L"ErrOut", com);
}

/* ---- the sources ---- */

static void set_port(struct dv_monitor_uart *m, UINT16 port, uint32_t clock)
{
	m->base = port;
	m->space = UART_SPACE_IO;
	m->width = 1;
	m->shift = 0;
	m->clock = clock;
}

#define RSDP_RSDT 16    /* ACPI 6.5 5.2.5.3: the RSDT's 32-bit address */

/* Take table pa out of the root tables that list it: the one acpi_find
 * walked (the XSDT where there is one) and the RSDT, which an ACPI 1.0 OS
 * reads. True when some root listed it. */
static BOOLEAN hide_table(const struct boot_info *bi, const struct acpi_found *f)
{
	const uint8_t *r = acpi_map(bi->acpi_rsdp, RSDP_RSDT + 4, (void *)bi), *h;
	BOOLEAN gone = acpi_sdt_drop((uint8_t *)(UINTN)f->sdt_pa, f->entry_size, f->pa);
	uint64_t rsdt = r ? get32(r + RSDP_RSDT) : 0;

	if (!rsdt || rsdt == f->sdt_pa || f->pa >> 32)
		return gone;
	h = acpi_map(rsdt, ACPI_HEADER_LEN, (void *)bi);
	if (!h || !(h = acpi_map(rsdt, get32(h + 4), (void *)bi)) ||
	    acpi_table_check(h, get32(h + 4), "RSDT", ACPI_HEADER_LEN))
		return gone;
	return acpi_sdt_drop((uint8_t *)(UINTN)rsdt, 4, f->pa) || gone;
}

/* SPCR's or DBG2's port: as the table says; a PCI function SPCR names is
 * resolved through its BARs (to hide it). */
static const char *from_table(struct boot_info *bi, const char *sig, uint32_t clock)
{
	struct dv_monitor_uart *m = &bi->monitor;
	struct acpi_found f;
	struct acpi_uart u;
	const char *bad;

	if (!bi->acpi_rsdp)
		return "no ACPI";
	bad = acpi_find(bi->acpi_rsdp, acpi_map, bi, sig, &f);
	if (!bad)
		bad = (sig[0] == 'S' ? acpi_spcr_parse : acpi_dbg2_parse)(acpi_map(f.pa, f.len, bi),
									  f.len, &u);
	if (bad)
		return bad;
	if (u.pci && u.pci_segment == 0) {
		bad = use_pci(bi, u.pci_bus, u.pci_dev, u.pci_fn, DV_MONITOR_BAR_FIRST,
			      u.clock ? u.clock : clock);
		if (bad)
			return bad;
		if (u.base < m->bar_base || u.base - m->bar_base >= m->bar_size ||
		    (u.space == ACPI_GAS_IO) != (m->space == UART_SPACE_IO))
			return "its address is not in the PCI function's first BAR";
	}
	m->base = u.base;
	m->space = u.space == ACPI_GAS_IO ? UART_SPACE_IO : UART_SPACE_MMIO;
	m->width = u.width;
	m->shift = u.shift;
	m->clock = u.clock ? u.clock : clock;
	if (!answers(m))
		return "no UART answers at its address";
	/* The OS is not to use the port drvisor keeps (see the top). */
	if (hide_table(bi, &f))
		m->acpi_hidden |= sig[0] == 'S' ? DV_ACPI_HID_SPCR : DV_ACPI_HID_DBG2;
	return NULL;
}

/* COM1..COM4, skipping the firmware's console. */
static const char *from_legacy(struct dv_monitor_uart *m, uint32_t clock, unsigned *which)
{
	unsigned i;

	for (i = 0; i < COM_COUNT; i++) {
		set_port(m, com_ports[i], clock);
		if (answers(m) && !firmware_console(i)) {
			*which = i;
			return NULL;
		}
	}
	return "none free";     /* absent, or the firmware's console */
}

static void resolve_auto(struct boot_info *bi, uint32_t clock)
{
	struct dv_monitor_uart *m = &bi->monitor;
	const char *spcr, *dbg2, *legacy;
	uint8_t bus, dev, fn;
	unsigned com = 0;

	spcr = from_table(bi, "SPCR", clock);
	if (!spcr) {
		m->source = DV_UART_FROM_SPCR;
		why(m, L"auto: SPCR");
		return;
	}
	*m = (struct dv_monitor_uart){ 0 };
	dbg2 = from_table(bi, "DBG2", clock);
	if (!dbg2) {
		m->source = DV_UART_FROM_DBG2;
		why(m, L"auto: DBG2; SPCR: %a", spcr);
		return;
	}
	*m = (struct dv_monitor_uart){ 0 };
	legacy = from_legacy(m, clock, &com);
	if (!legacy) {
		m->source = DV_UART_FROM_LEGACY;
		why(m, L"auto: com%d; SPCR: %a; DBG2: %a", com + 1, spcr, dbg2);
		return;
	}
	*m = (struct dv_monitor_uart){ 0 };
	if (pci_find_16550(&pci_ports, &bus, &dev, &fn)) {
		const char *bad = use_pci(bi, bus, dev, fn, DV_MONITOR_BAR_FIRST, clock);

		if (!bad && answers(m)) {
			m->source = DV_UART_FROM_PCI_SCAN;
			why(m, L"auto: PCI scan; SPCR: %a; DBG2: %a; com1-4: %a", spcr, dbg2,
			    legacy);
			return;
		}
		*m = (struct dv_monitor_uart){ 0 };
		legacy = bad ? bad : "no UART answers at its BAR";
	} else {
		legacy = "no SPCR, DBG2, free COM port or PCI 16550";
	}
	set_port(m, DV_COM1_PORT, clock);
	why(m, L"auto found nothing (%a): com1", legacy);
}

static const char *kind_text(const struct dv_monitor_uart *m)
{
	return m->space == UART_SPACE_IO ? "I/O" : "memory";
}

void uart_discover(const struct dv_config *cfg, struct boot_info *bi)
{
	struct dv_monitor_uart *m = &bi->monitor;
	const char *bad = NULL;
	char num[17], bdf[12];

	*m = (struct dv_monitor_uart){ 0 };
	switch (cfg->monitor_kind) {
	case DV_MONITOR_AUTO:
		resolve_auto(bi, cfg->monitor_clock);
		break;
	case DV_MONITOR_PCI:
		bad = use_pci(bi, cfg->monitor_pci_bus, cfg->monitor_pci_dev, cfg->monitor_pci_fn,
			      cfg->monitor_pci_bar, cfg->monitor_clock);
		if (!bad && !answers(m))
			bad = "no UART answers at its BAR";
		m->source = DV_UART_FROM_PCI;
		if (!bad)
			why(m, L"monitor=%a", bdf_text(bdf, cfg));
		break;
	case DV_MONITOR_MMIO:
		m->base = cfg->monitor_mmio;
		m->space = UART_SPACE_MMIO;
		m->width = cfg->monitor_width;
		m->shift = cfg->monitor_shift;
		m->clock = cfg->monitor_clock;
		why(m, L"monitor=mmio:0x%a", hex(num, cfg->monitor_mmio, 1));
		break;
	default:
		set_port(m, cfg->monitor_port, cfg->monitor_clock);
		why(m, L"monitor=0x%a", hex(num, cfg->monitor_port, 1));
		break;
	}
	if (bad) {
		Print(L"drvisor: monitor: %a: %a; using com1 instead\n", bdf_text(bdf, cfg), bad);
		*m = (struct dv_monitor_uart){ 0 };
		set_port(m, DV_COM1_PORT, cfg->monitor_clock);
		why(m, L"monitor=%a failed (%a): com1", bdf_text(bdf, cfg), bad);
	}
	Print(L"drvisor: monitor: %a at 0x%lx (width %d, shift %d, clock %d Hz): %a\n",
	      kind_text(m), m->base, m->width, m->shift, m->clock, m->why);
	if (m->is_pci)
		Print(L"drvisor: monitor: PCI %02x:%02x.%x BAR%d 0x%lx+0x%lx, ECAM page 0x%lx: "
		      "hidden from the guest\n", m->pci_bus, m->pci_dev, m->pci_fn, m->pci_bar,
		      m->bar_base, m->bar_size, m->ecam_page);
}
