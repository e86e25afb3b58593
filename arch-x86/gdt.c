/* The host's GDT: a flat 64-bit code segment, a data segment and a TSS whose
 * interrupt stack table gives #DF, NMI and #MC known-good stacks. */
#include "gdt.h"

/* Descriptor bits (SDM vol. 3A 3.4.5 figure 3-8). */
#define DESC_ACCESSED   (1ull << 40)
#define DESC_RW         (1ull << 41)
#define DESC_CODE       (1ull << 43)
#define DESC_S          (1ull << 44)   /* code/data, not system */
#define DESC_PRESENT    (1ull << 47)
#define DESC_LONG       (1ull << 53)
#define DESC_GRAN_4K    (1ull << 55)
#define DESC_LIMIT_MAX  (0xffffull | (0xfull << 48))
#define DESC_TYPE_TSS_AVAILABLE (0x9ull << 40)

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM 7.7)");

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void load_gdt(const struct host_tables *t)
{
	struct gdt_ptr ptr = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"ltr %w3"
		:
		: "m"(ptr), "i"(HOST_CS_SEL), "r"(HOST_DS_SEL), "r"(HOST_TR_SEL)
		: "rax", "memory");
}

void gdt_init(struct host_tables *t)
{
	uint64_t *gdt = t->gdt;
	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
	int i;

	for (i = 0; i < IST_STACKS; i++)
		t->tss.ist[i] = (uint64_t)&t->ist_stacks[i][IST_STACK_SIZE];
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */

	gdt[0] = 0;
	gdt[1] = DESC_ACCESSED | DESC_RW | DESC_CODE | DESC_S | DESC_PRESENT | DESC_LONG |
		 DESC_GRAN_4K | DESC_LIMIT_MAX;
	gdt[2] = DESC_ACCESSED | DESC_RW | DESC_S | DESC_PRESENT | DESC_GRAN_4K | DESC_LIMIT_MAX;
	/* A 16-byte system descriptor (SDM vol. 3A 7.2.3): base 63:32 in the
	 * second quadword. */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | DESC_TYPE_TSS_AVAILABLE |
		 DESC_PRESENT | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
	load_gdt(t);
}

uint64_t gdt_base(void)
{
	struct gdt_ptr ptr;

	__asm__ volatile("sgdt %0" : "=m"(ptr));
	return ptr.base;
}

uint64_t tss_base(void)
{
	const uint64_t *gdt = (const uint64_t *)gdt_base();
	uint64_t lo = gdt[HOST_TR_SEL / 8], hi = gdt[HOST_TR_SEL / 8 + 1];

	return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | (hi << 32);
}
