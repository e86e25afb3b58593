/* PCI configuration space helpers (drivers/pci.h). */
#include <stddef.h>
#include "pci.h"

#define CLASS_SERIAL 0x07
#define SUBCLASS_16550 0x00
#define PROGIF_16450 0x01
#define PROGIF_16950 0x06
#define HEADER_TYPE_MASK 0x7f

/* Field by field: no memset call in the loader's pure modules. */
static void clear_bar(struct pci_bar *bar)
{
	bar->base = bar->size = 0;
	bar->io = bar->is64 = bar->prefetch = false;
}

bool pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t lo_probe, uint32_t hi_probe,
		    struct pci_bar *bar)
{
	uint64_t writable, mask;

	clear_bar(bar);
	bar->io = lo & PCI_BAR_IO;
	if (bar->io) {
		writable = lo_probe & PCI_BAR_IO_ADDR_MASK;
		bar->base = lo & PCI_BAR_IO_ADDR_MASK;
		/* An I/O BAR decodes 16 address bits at most; the upper ones
		 * may read back as 0 (PCI 3.0 6.2.5.1). */
		mask = writable | 0xffffffffffff0000ull;
	} else {
		bar->is64 = (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64;
		bar->prefetch = lo & PCI_BAR_PREFETCH;
		bar->base = lo & PCI_BAR_MEM_ADDR_MASK;
		writable = lo_probe & PCI_BAR_MEM_ADDR_MASK;
		if (bar->is64) {
			bar->base |= (uint64_t)hi << 32;
			writable |= (uint64_t)hi_probe << 32;
			mask = writable;
		} else {
			mask = writable | 0xffffffff00000000ull;
		}
	}
	if (!writable)
		return false;       /* nothing kept a 1: not implemented */
	bar->size = ~mask + 1;
	/* The writable bits must be the high ones: a power-of-two size. */
	return bar->size && !(bar->size & (bar->size - 1));
}

bool pci_is_16550(uint32_t class_revision)
{
	uint8_t cls = (uint8_t)(class_revision >> 24), sub = (uint8_t)(class_revision >> 16);
	uint8_t progif = (uint8_t)(class_revision >> 8);

	return cls == CLASS_SERIAL && sub == SUBCLASS_16550 && progif >= PROGIF_16450 &&
	       progif <= PROGIF_16950;
}

bool pci_present(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn)
{
	return (c->read32(c->ctx, bus, dev, fn, PCI_VENDOR_ID) & 0xffff) != 0xffff;
}

static uint8_t header_type(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn)
{
	return (uint8_t)(c->read32(c->ctx, bus, dev, fn, PCI_HEADER_TYPE) >> 16);
}

/* One BAR register: value, and what it reads after all ones. */
static uint32_t probe(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn,
		      uint16_t off, uint32_t *value)
{
	uint32_t got;

	*value = c->read32(c->ctx, bus, dev, fn, off);
	c->write32(c->ctx, bus, dev, fn, off, 0xffffffffu);
	got = c->read32(c->ctx, bus, dev, fn, off);
	c->write32(c->ctx, bus, dev, fn, off, *value);
	return got;
}

const char *pci_read_bar(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn,
			 unsigned index, struct pci_bar *bar)
{
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * index);
	uint32_t cmd, lo, hi = 0, lo_probe, hi_probe = 0;
	bool ok;

	clear_bar(bar);
	if (index >= PCI_BAR_COUNT)
		return "no such BAR";
	if (!pci_present(c, bus, dev, fn))
		return "no such PCI function";
	if ((header_type(c, bus, dev, fn) & HEADER_TYPE_MASK) != 0)
		return "not a type-0 (device) header";
	cmd = c->read32(c->ctx, bus, dev, fn, PCI_COMMAND);
	/* While the BAR holds all ones it would decode a bogus range:
	 * decoding is off meanwhile (PCI 3.0 6.2.5.1). Status bits are
	 * write-one-to-clear: write the command word alone. */
	c->write32(c->ctx, bus, dev, fn, PCI_COMMAND,
		   cmd & 0xffff & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	lo_probe = probe(c, bus, dev, fn, off, &lo);
	if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
	    index + 1 < PCI_BAR_COUNT)
		hi_probe = probe(c, bus, dev, fn, (uint16_t)(off + 4), &hi);
	c->write32(c->ctx, bus, dev, fn, PCI_COMMAND, cmd & 0xffff);
	if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
	    index + 1 >= PCI_BAR_COUNT)
		return "a 64-bit BAR in the last slot";
	ok = pci_bar_decode(lo, hi, lo_probe, hi_probe, bar);
	if (!ok)
		return "BAR not implemented";
	if (!bar->base)
		return "BAR not assigned (address 0)";
	if (!(cmd & (bar->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return bar->io ? "I/O decoding is off" : "memory decoding is off";
	return NULL;
}

const char *pci_uart_bar(const struct pci_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn,
			 unsigned index, struct pci_bar *bar, unsigned *used)
{
	const char *bad = "no BAR";
	unsigned i;

	if (index != 0xff) {
		*used = index;
		return pci_read_bar(c, bus, dev, fn, index, bar);
	}
	for (i = 0; i < PCI_BAR_COUNT; i++) {
		bad = pci_read_bar(c, bus, dev, fn, i, bar);
		if (!bad) {
			*used = i;
			return NULL;
		}
		if (!pci_present(c, bus, dev, fn))
			return bad;
		if (bar->is64)
			i++;
	}
	return "no implemented, assigned BAR";
}

bool pci_find_16550(const struct pci_cfg *c, uint8_t *bus, uint8_t *dev, uint8_t *fn)
{
	unsigned b, d, f, fns;

	for (b = 0; b < 256; b++) {
		for (d = 0; d < 32; d++) {
			if (!pci_present(c, (uint8_t)b, (uint8_t)d, 0))
				continue;
			fns = header_type(c, (uint8_t)b, (uint8_t)d, 0) & PCI_HEADER_MULTIFUNCTION ? 8 : 1;
			for (f = 0; f < fns; f++) {
				if (!pci_present(c, (uint8_t)b, (uint8_t)d, (uint8_t)f) ||
				    !pci_is_16550(c->read32(c->ctx, (uint8_t)b, (uint8_t)d, (uint8_t)f,
							    PCI_CLASS_REVISION)))
					continue;
				*bus = (uint8_t)b;
				*dev = (uint8_t)d;
				*fn = (uint8_t)f;
				return true;
			}
		}
	}
	return false;
}
