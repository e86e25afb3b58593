/*
 * The firmware's memory-type range registers (SDM vol. 3A 12.11), read once
 * so that the EPT identity map gives each guest-physical page the type the
 * MTRRs give it natively: with EPT the guest's MTRRs are not consulted
 * (SDM vol. 3C 29.3.7.2), the EPT leaf's type takes their place.
 */
#ifndef DRVISOR_ARCH_VMX_MTRR_H
#define DRVISOR_ARCH_VMX_MTRR_H

#include <stdbool.h>
#include <stdint.h>

/* Memory types (SDM vol. 3A 12.3, table 12-2; also the EPT encoding). */
#define MEMTYPE_UC 0
#define MEMTYPE_WC 1
#define MEMTYPE_WT 4
#define MEMTYPE_WP 5
#define MEMTYPE_WB 6

#define MTRR_FIXED_RANGES 88            /* 8 x 64K, 16 x 16K, 64 x 4K below 1 MiB */
#define MTRR_VARIABLE_MAX 32

struct mtrr_state {
	bool enabled, fixed_enabled;
	uint8_t default_type;
	uint8_t fixed[MTRR_FIXED_RANGES];
	unsigned variable_count;
	struct {
		uint64_t base, mask;            /* PHYSBASE/PHYSMASK address bits */
		uint8_t type;
	} variable[MTRR_VARIABLE_MAX];      /* the valid ones only */
};

/* Read this CPU's MTRRs into m. */
void mtrr_read(struct mtrr_state *m);

/* The memory type the MTRRs give the 4 KiB page at addr. */
uint8_t mtrr_type(const struct mtrr_state *m, uint64_t addr);

/* Whether every page of [addr, addr + size) (size a power of two, addr
 * aligned to it) has the same type; false may be conservative. */
bool mtrr_uniform(const struct mtrr_state *m, uint64_t addr, uint64_t size);

/* Print the default type and the variable ranges on the log. */
void mtrr_print(const struct mtrr_state *m);

/* "UC", "WB", ... */
const char *mtrr_type_name(uint8_t type);

#endif
