/* The host's GDT: a flat 64-bit code segment, a data segment and a TSS whose
 * interrupt stack table gives #DF, NMI and #MC known-good stacks. */
#include "gdt.h"

#define IST_STACK_SIZE 16384

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

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM 7.7)");

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

static void load_gdt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

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

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	int i;

	for (i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

	gdt[0] = 0;
	gdt[1] = DESC_ACCESSED | DESC_RW | DESC_CODE | DESC_S | DESC_PRESENT | DESC_LONG |
		 DESC_GRAN_4K | DESC_LIMIT_MAX;
	gdt[2] = DESC_ACCESSED | DESC_RW | DESC_S | DESC_PRESENT | DESC_GRAN_4K | DESC_LIMIT_MAX;
	/* A 16-byte system descriptor (SDM vol. 3A 7.2.3): base 63:32 in the
	 * second quadword. */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | DESC_TYPE_TSS_AVAILABLE |
		 DESC_PRESENT | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
	load_gdt();
}

uint64_t gdt_base(void)
{
	return (uint64_t)gdt;
}

uint64_t tss_base(void)
{
	return (uint64_t)&tss;
}
