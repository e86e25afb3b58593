/* The monitor's PCI function, hidden from the guest (core/pci_hide.h). */
#include "pci_hide.h"
#include "log.h"
#include "memory.h"
#include "mmio_trap.h"
#include "monitor_port.h"
#include "arch-x86/cpu.h"
#include "arch-x86/exception.h"
#include "arch-x86/port_io.h"
#include "drivers/pci.h"


static bool active;
static uint32_t hidden_function;   /* bus/dev/fn bits of CONFIG_ADDRESS */
/* The guest's CONFIG_ADDRESS. One for the machine, as the register is:
 * the guest's own lock orders its CPUs' config cycles around it. */
static uint32_t guest_cf8;

bool pci_hide_active(void)
{
	return active;
}

void pci_hide_init(void)
{
	if (!monitor_port.is_pci)
		return;
	hidden_function = PCI_CF8(monitor_port.pci_bus, monitor_port.pci_dev, monitor_port.pci_fn, 0) &
			  PCI_CF8_FUNCTION_MASK;
	guest_cf8 = inl(PCI_CONFIG_ADDRESS);
	active = true;
}

/* [first, end) page by page; false at the first page that failed. */
static bool hide_range(uint64_t first, uint64_t end, const char *what)
{
	uint64_t page;

	for (page = first & ~(PAGE_SIZE - 1); page < end; page += PAGE_SIZE) {
		if (!nested_hide_page(page)) {
			log_error("monitor: cannot hide %s page 0x%llx from the guest: it may "
				  "reach the monitor's UART there", what, (unsigned long long)page);
			return false;
		}
	}
	return true;
}

void pci_hide_pages(void)
{
	const struct dv_monitor_uart *m = &monitor_port;
	uint64_t first = m->base, end = m->base + ((uint64_t)UART_REG_COUNT << m->shift);

	if (m->is_pci && m->ecam_page)
		hide_range(m->ecam_page, m->ecam_page + PAGE_SIZE, "the PCI function's ECAM");
	if (m->space != UART_SPACE_MMIO)
		return;
	/* The whole BAR when it is small: an OS must not find the rest of
	 * the card either; else the register block alone. */
	if (m->is_pci && m->bar_size <= PCI_HIDE_BAR_PAGES * PAGE_SIZE) {
		first = m->bar_base;
		end = m->bar_base + m->bar_size;
	}
	hide_range(first, end, "the UART's register");
}

static uint32_t port_read(uint16_t port, unsigned bytes)
{
	return bytes == 4 ? inl(port) : bytes == 2 ? inw(port) : inb(port);
}

static void port_write(uint16_t port, unsigned bytes, uint32_t v)
{
	if (bytes == 4)
		outl(port, v);
	else if (bytes == 2)
		outw(port, (uint16_t)v);
	else
		outb(port, (uint8_t)v);
}

static bool selects_hidden(void)
{
	return (guest_cf8 & PCI_CONFIG_ENABLE) &&
	       (guest_cf8 & PCI_CF8_FUNCTION_MASK) == hidden_function;
}

/* One access of bytes at port, wholly inside CONFIG_ADDRESS's dword or
 * CONFIG_DATA's. */
static uint32_t access(uint16_t port, unsigned bytes, bool in, uint32_t out)
{
	if (port == PCI_CONFIG_ADDRESS && bytes == 4) {
		if (in)
			return guest_cf8;
		guest_cf8 = out;
		outl(PCI_CONFIG_ADDRESS, out);
		return 0;
	}
	if (port >= PCI_CONFIG_DATA) {
		if (selects_hidden())
			return in ? 0xffffffffu : 0;
		/* The real register as the guest left it, whoever wrote it
		 * since (the data port means nothing without it). */
		outl(PCI_CONFIG_ADDRESS, guest_cf8);
	}
	if (in)
		return port_read(port, bytes);
	port_write(port, bytes, out);
	return 0;
}

/* An access crossing from 0xCF8-0xCFB into CONFIG_DATA goes byte by
 * byte, each byte as above. */
static uint32_t access_split(uint16_t port, unsigned bytes, bool in, uint32_t out)
{
	uint32_t v = 0;
	unsigned i;

	if (port + bytes <= PCI_CONFIG_DATA || port >= PCI_CONFIG_DATA)
		return access(port, bytes, in, out);
	for (i = 0; i < bytes; i++)
		v |= (access((uint16_t)(port + i), 1, in, (uint8_t)(out >> (8 * i))) & 0xff) << (8 * i);
	return v;
}

bool pci_hide_io(struct vcpu *v, const struct io_access *a)
{
	uint64_t mask = a->bytes == 4 ? 0xffffffffull : (1ull << (8 * a->bytes)) - 1;
	uint32_t got;

	if (a->string) {
		log_warn("pci: guest string I/O at port 0x%x: #GP", a->port);
		v->ops->inject_exception(v, VEC_GP, 0);
		return false;
	}
	got = access_split(a->port, a->bytes, a->in, (uint32_t)v->gprs.rax);
	/* A 32-bit IN zero-extends into RAX (SDM vol. 1 3.4.1.1); narrower
	 * ones leave the rest of RAX alone. */
	if (a->in)
		v->gprs.rax = a->bytes == 4 ? got : (v->gprs.rax & ~mask) | (got & mask);
	return true;
}
