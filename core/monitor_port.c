/* The monitor's UART as the loader found it (core/monitor_port.h). */
#include "monitor_port.h"
#include "format.h"
#include "hv_config.h"

struct dv_monitor_uart monitor_port;

bool monitor_port_init(const struct boot_info *bi, struct uart *u)
{
	monitor_port = bi->monitor;
	monitor_port.why[DV_UART_WHY_MAX - 1] = 0; /* the loader's text, bounded */
	/* Sharing emulates a polled UART for the guest on the monitor's I/O
	 * ports. A memory-mapped one is the absent-device page, which has no
	 * such emulation (its reads come from memory, not from an exit); a
	 * PCI function is hidden, so no guest would find it, and showing it
	 * would hand it to an OS driver that wants its interrupt. */
	if (hv_config.monitor_share && (monitor_port.space == UART_SPACE_MMIO || monitor_port.is_pci))
		hv_config.monitor_share = 0;
	*u = (struct uart){ .base = monitor_port.base, .space = (uint8_t)monitor_port.space,
			    .width = (uint8_t)monitor_port.width,
			    .shift = (uint8_t)monitor_port.shift, .clock = monitor_port.clock };
	return uart_init(u, bi->config.baud);
}

bool monitor_port_io_range(uint16_t *first, uint16_t *count)
{
	uint64_t span = (uint64_t)UART_REG_COUNT << monitor_port.shift;

	if (monitor_port.space != UART_SPACE_IO)
		return false;
	if (monitor_port.is_pci && monitor_port.bar_size > span)
		span = monitor_port.bar_size;
	*first = (uint16_t)monitor_port.base;
	*count = (uint16_t)(span > 0x10000 - monitor_port.base ? 0x10000 - monitor_port.base : span);
	return true;
}

unsigned monitor_port_reg(uint16_t p)
{
	uint64_t off = (uint64_t)p - monitor_port.base;
	uint64_t stride = 1ull << monitor_port.shift;

	if (p < monitor_port.base || off % stride || off / stride >= UART_REG_COUNT)
		return UART_REG_COUNT;
	return (unsigned)(off / stride);
}

void monitor_port_describe(char *buf, size_t len)
{
	const struct dv_monitor_uart *m = &monitor_port;
	char where[48] = "", regs[64] = "";

	if (m->is_pci)
		dv_snprintf(where, sizeof(where), "pci %02x:%02x.%x BAR%u ", m->pci_bus, m->pci_dev,
			    m->pci_fn, m->pci_bar);
	/* Only what differs from a PC COM port: the monitor's `info`
	 * shows 120 characters of a line. */
	if (m->width != 1 || m->shift || m->clock != DV_UART_DEFAULT_CLOCK)
		dv_snprintf(regs, sizeof(regs), " width %u shift %u clock %u Hz", m->width, m->shift,
			    m->clock);
	dv_snprintf(buf, len, "%s%s 0x%llx%s (%s)", where,
		    m->space == UART_SPACE_IO ? "I/O" : "memory", (unsigned long long)m->base, regs,
		    m->why);
}

uint64_t monitor_port_map_top(void)
{
	if (monitor_port.space != UART_SPACE_MMIO)
		return 0;
	return monitor_port.base + ((uint64_t)UART_REG_COUNT << monitor_port.shift);
}
