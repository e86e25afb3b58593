/* The guest's view of the monitor's UART (core/io_policy.h). */
#include "io_policy.h"
#include "hv_config.h"
#include "monitor_port.h"
#include "monitor_target.h"
#include "pci_hide.h"
#include "arch-x86/dr.h"
#include "arch-x86/exception.h"

/* 16550 registers (PC16550D datasheet), as offsets from the base port. */
#define REG_DATA 0        /* RBR/THR, DLL when LCR.DLAB */
#define REG_IER 1         /* DLM when LCR.DLAB */
#define REG_IIR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7
#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_IDLE 0x60     /* THRE | TEMT */
#define IIR_NONE 0x01     /* no interrupt pending */
#define MSR_CONNECTED 0xb0 /* DCD | DSR | CTS */
#define ABSENT_BYTE 0xff
#define RFLAGS_DF (1ull << 10)
#define GUEST_QUEUE 256

/* The guest's side of a shared UART: its register values and input. */
static struct {
	uint8_t regs[MONITOR_UART_SPAN];
	uint8_t dll, dlm;
	uint8_t queue[GUEST_QUEUE];
	unsigned head, tail;
} shared;

void io_guest_input(uint8_t byte)
{
	if (shared.tail - shared.head < GUEST_QUEUE)
		shared.queue[shared.tail++ % GUEST_QUEUE] = byte;
}

static uint8_t shared_read(unsigned reg);

static uint8_t hidden_read(unsigned reg)
{
	return reg == REG_LSR ? LSR_IDLE : ABSENT_BYTE;
}

/* A port of the monitor's range that is no register (the rest of a PCI
 * UART's I/O BAR, the bytes between registers spaced apart) reads as
 * nothing and drops writes, shared or not. */
static uint8_t guest_read(unsigned reg)
{
	if (reg >= MONITOR_UART_SPAN)
		return ABSENT_BYTE;
	return hv_config.monitor_share ? shared_read(reg) : hidden_read(reg);
}

static uint8_t shared_read(unsigned reg)
{
	bool dlab = shared.regs[REG_LCR] & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			return shared.dll;
		return shared.head == shared.tail ? 0 : shared.queue[shared.head++ % GUEST_QUEUE];
	case REG_IER: return dlab ? shared.dlm : shared.regs[REG_IER];
	case REG_IIR: return IIR_NONE;
	case REG_LSR: return LSR_IDLE | (shared.head != shared.tail ? LSR_DATA_READY : 0);
	case REG_MSR: return MSR_CONNECTED;
	default: return shared.regs[reg];
	}
}

static void shared_write(unsigned reg, uint8_t val)
{
	bool dlab = shared.regs[REG_LCR] & LCR_DLAB;
	char c = (char)val;

	if (reg == REG_DATA && !dlab)
		monitor_wire_write(&c, 1);
	else if (reg == REG_DATA)
		shared.dll = val;
	else if (reg == REG_IER && dlab)
		shared.dlm = val;
	else
		shared.regs[reg] = val;
}

/* Each byte of a wider access goes to the next register, as on the bus. */
static uint64_t port_in(uint64_t rax, uint16_t port, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++) {
		uint64_t b = guest_read(monitor_port_reg((uint16_t)(port + i)));

		rax = (rax & ~(0xffull << (8 * i))) | (b << (8 * i));
	}
	/* A 32-bit IN writes EAX, which zero-extends into RAX (SDM vol. 1
	 * 3.4.1.1); 8- and 16-bit INs leave the rest of RAX alone. */
	return bytes == 4 ? (uint32_t)rax : rax;
}

static void port_out(uint64_t rax, uint16_t port, unsigned bytes)
{
	unsigned i;

	unsigned reg;

	for (i = 0; hv_config.monitor_share && i < bytes; i++) {
		reg = monitor_port_reg((uint16_t)(port + i));
		if (reg < MONITOR_UART_SPAN)
			shared_write(reg, (uint8_t)(rax >> (8 * i)));
	}
}

unsigned io_intercept_count(void)
{
	uint16_t first, count;

	return (monitor_port_io_range(&first, &count) ? 1 : 0) + (pci_hide_active() ? 1 : 0);
}

void io_intercept_range(unsigned i, uint16_t *first, uint16_t *count)
{
	if (i == 0 && monitor_port_io_range(first, count))
		return;
	*first = PCI_HIDE_PORT_FIRST;
	*count = PCI_HIDE_PORT_COUNT;
}

bool io_intercepted(struct vcpu *v, const struct io_access *a)
{
	if (pci_hide_active() && a->port >= PCI_HIDE_PORT_FIRST &&
	    a->port < PCI_HIDE_PORT_FIRST + PCI_HIDE_PORT_COUNT)
		return pci_hide_io(v, a);
	return io_monitor_port(v, a);
}

bool io_monitor_port(struct vcpu *v, const struct io_access *a)
{
	uint64_t count = 1;

	if (!a->string) {
		if (a->in)
			v->gprs.rax = port_in(v->gprs.rax, a->port, a->bytes);
		else
			port_out(v->gprs.rax, a->port, a->bytes);
		return true;
	}
	if (a->in) {
		v->ops->inject_exception(v, VEC_GP, 0);
		return false;
	}
	if (a->rep) {
		count = v->gprs.rcx;
		v->gprs.rcx = 0;
	}
	if (v->ops->read_reg(v, VCPU_REG_RFLAGS) & RFLAGS_DF)
		v->gprs.rsi -= count * a->bytes;
	else
		v->gprs.rsi += count * a->bytes;
	return true;
}
