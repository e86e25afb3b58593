/* Reading the MTRRs and the type they give an address (SDM vol. 3A 12.11). */
#include "mtrr.h"
#include "arch-x86/cpu.h"
#include "arch-x86/msr.h"
#include "core/log.h"

/* IA32_MTRRCAP and IA32_MTRR_DEF_TYPE fields (12.11.1, 12.11.2.1). */
#define MTRRCAP_VCNT_MASK 0xffu
#define MTRRCAP_FIX (1ull << 8)
#define DEF_TYPE_MASK 0xffu
#define DEF_TYPE_FE (1ull << 10)
#define DEF_TYPE_E (1ull << 11)
#define PHYSMASK_VALID (1ull << 11)
#define PHYS_ADDR_MASK 0x000ffffffffff000ull
#define TYPE_MASK 0xffu

/* The fixed ranges (12.11.2.2, table 12-9): 64 KiB granules up to 512 KiB,
 * 16 KiB up to 768 KiB, 4 KiB up to 1 MiB, eight per MSR. */
#define FIXED_16K_START 0x80000ull
#define FIXED_4K_START 0xc0000ull
#define FIXED_END 0x100000ull
#define FIXED_16K_INDEX 8
#define FIXED_4K_INDEX 24
#define SMALLEST_PAGE 0x1000ull

static const uint32_t fixed_msrs[MTRR_FIXED_RANGES / 8] = {
	MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000,
	MSR_IA32_MTRR_FIX4K_C0000, MSR_IA32_MTRR_FIX4K_C0000 + 1, MSR_IA32_MTRR_FIX4K_C0000 + 2,
	MSR_IA32_MTRR_FIX4K_C0000 + 3, MSR_IA32_MTRR_FIX4K_C0000 + 4,
	MSR_IA32_MTRR_FIX4K_C0000 + 5, MSR_IA32_MTRR_FIX4K_C0000 + 6,
	MSR_IA32_MTRR_FIX4K_C0000 + 7,
};

void mtrr_read(struct mtrr_state *m)
{
	uint64_t cap = rdmsr(MSR_IA32_MTRRCAP), def = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	unsigned i, n = cap & MTRRCAP_VCNT_MASK;

	*m = (struct mtrr_state){ 0 };
	m->enabled = def & DEF_TYPE_E;
	m->fixed_enabled = (def & DEF_TYPE_FE) && (cap & MTRRCAP_FIX);
	m->default_type = def & DEF_TYPE_MASK;
	for (i = 0; m->fixed_enabled && i < MTRR_FIXED_RANGES / 8; i++) {
		uint64_t v = rdmsr(fixed_msrs[i]);
		unsigned b;

		for (b = 0; b < 8; b++)
			m->fixed[i * 8 + b] = (uint8_t)(v >> (8 * b));
	}
	for (i = 0; i < n && m->variable_count < MTRR_VARIABLE_MAX; i++) {
		uint64_t base = rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * i);
		uint64_t mask = rdmsr(MSR_IA32_MTRR_PHYSMASK0 + 2 * i);

		if (!(mask & PHYSMASK_VALID))
			continue;
		m->variable[m->variable_count].base = base & PHYS_ADDR_MASK;
		m->variable[m->variable_count].mask = mask & PHYS_ADDR_MASK;
		m->variable[m->variable_count].type = base & TYPE_MASK;
		m->variable_count++;
	}
}

static uint8_t fixed_type(const struct mtrr_state *m, uint64_t addr)
{
	if (addr < FIXED_16K_START)
		return m->fixed[addr >> 16];
	if (addr < FIXED_4K_START)
		return m->fixed[FIXED_16K_INDEX + ((addr - FIXED_16K_START) >> 14)];
	return m->fixed[FIXED_4K_INDEX + ((addr - FIXED_4K_START) >> 12)];
}

/* Overlapping variable ranges (12.11.4.1): UC wins, WT beats WB, any other
 * mix is undefined and taken as UC, the safe choice for MMIO. */
static uint8_t combine(uint8_t a, uint8_t b)
{
	if (a == b)
		return a;
	if ((a == MEMTYPE_WT && b == MEMTYPE_WB) || (a == MEMTYPE_WB && b == MEMTYPE_WT))
		return MEMTYPE_WT;
	return MEMTYPE_UC;
}

uint8_t mtrr_type(const struct mtrr_state *m, uint64_t addr)
{
	bool matched = false;
	uint8_t t = m->default_type;
	unsigned i;

	if (!m->enabled)
		return MEMTYPE_UC;
	if (m->fixed_enabled && addr < FIXED_END)
		return fixed_type(m, addr);
	for (i = 0; i < m->variable_count; i++) {
		if ((addr ^ m->variable[i].base) & m->variable[i].mask)
			continue;
		t = matched ? combine(t, m->variable[i].type) : m->variable[i].type;
		matched = true;
	}
	return t;
}

/* A variable range either covers all of an aligned block, none of it, or
 * part of it; only the last splits the block. It covers part when its mask
 * tests address bits inside the block while the bits above match. */
bool mtrr_uniform(const struct mtrr_state *m, uint64_t addr, uint64_t size)
{
	unsigned i;

	if (!m->enabled || size <= SMALLEST_PAGE)
		return true;
	if (m->fixed_enabled && addr < FIXED_END)
		return false;
	for (i = 0; i < m->variable_count; i++) {
		uint64_t mask = m->variable[i].mask;

		if ((mask & (size - 1)) && !((addr ^ m->variable[i].base) & mask & ~(size - 1)))
			return false;
	}
	return true;
}

const char *mtrr_type_name(uint8_t type)
{
	static const char *const names[] = {
		[MEMTYPE_UC] = "UC", [MEMTYPE_WC] = "WC", [2] = "?2", [3] = "?3",
		[MEMTYPE_WT] = "WT", [MEMTYPE_WP] = "WP", [MEMTYPE_WB] = "WB",
	};

	return type <= MEMTYPE_WB ? names[type] : "?";
}

void mtrr_print(const struct mtrr_state *m)
{
	unsigned i;

	log_info("mtrr: %s, default %s, fixed ranges %s, %u variable ranges",
		 m->enabled ? "enabled" : "disabled", mtrr_type_name(m->default_type),
		 m->fixed_enabled ? "on" : "off", m->variable_count);
	for (i = 0; i < m->variable_count; i++)
		log_info("mtrr: variable base 0x%llx mask 0x%llx %s",
			 (unsigned long long)m->variable[i].base,
			 (unsigned long long)m->variable[i].mask, mtrr_type_name(m->variable[i].type));
}
