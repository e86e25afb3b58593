/* The host IDT: 256 interrupt gates to the stubs in exception_entry.asm. */
#include "exception.h"
#include "gdt.h"


/* 64-bit interrupt gate, present, DPL 0 (SDM vol. 3A 6.14.1, figure 6-8). */
#define GATE_TYPE_INTERRUPT 0xeull
#define GATE_PRESENT (1ull << 15)

struct idt_gate {
	uint64_t lo, hi;
};

extern const uint64_t exception_stub_table[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static struct idt_gate make_gate(uint64_t handler, unsigned ist)
{
	struct idt_gate g;

	g.lo = (handler & 0xffff) | ((uint64_t)HOST_CS_SEL << 16) | ((uint64_t)ist << 32) |
	       ((GATE_TYPE_INTERRUPT << 8 | GATE_PRESENT) << 32) |
	       (((handler >> 16) & 0xffff) << 48);
	g.hi = handler >> 32;
	return g;
}

static unsigned ist_for(unsigned vector)
{
	switch (vector) {
	case VEC_NMI: return IST_NMI;
	case VEC_DF: return IST_DOUBLE_FAULT;
	case VEC_MC: return IST_MACHINE_CHECK;
	default: return 0;
	}
}

/* One IDT for every CPU (each CPU's TSS gives the IST stacks its gates
 * name), built by the first entry. */
void idt_init(void)
{
	static bool built;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };
	unsigned v;

	for (v = 0; v < 256 && !built; v++)
		idt[v] = make_gate(exception_stub_table[v], ist_for(v));
	built = true;
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

uint64_t idt_base(void)
{
	return (uint64_t)idt;
}
