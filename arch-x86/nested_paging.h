/*
 * Identity-mapped second-level page tables (AMD nested paging, Intel EPT)
 * for the guest: all of physical memory and MMIO, minus drvisor's own pages.
 * Both formats are 4-level radix trees with the large-page bit at bit 7, so
 * one builder serves both; the format supplies the permission and
 * memory-type bits.
 */
#ifndef DRVISOR_ARCH_NESTED_PAGING_H
#define DRVISOR_ARCH_NESTED_PAGING_H

#include <stdbool.h>
#include <stdint.h>

struct nested_pt_format {
	uint64_t table_bits;      /* bits of an entry that points to a table */
	/* Bits of a leaf entry mapping [addr, addr + size) (size 4K, 2M or 1G);
	 * the large-page bit is added by the builder. */
	uint64_t (*leaf_bits)(uint64_t addr, uint64_t size);
	/* Whether one leaf may map [addr, addr + size) (size 2M or 1G), i.e.
	 * leaf_bits is the same for every 4 KiB page in it (EPT memory types
	 * from the MTRRs); false makes the builder use smaller pages. NULL:
	 * always. */
	bool (*uniform)(uint64_t addr, uint64_t size);
	bool gib_pages;           /* 1 GiB leaves allowed */
	uint64_t write_bit;       /* a leaf's write permission (EPT W, NPT R/W: bit 1) */
};

#define NPT_LARGE_PAGE (1ull << 7)

/* Build the identity map of [0, top) without [hole_base, hole_base +
 * hole_size) (4 KiB aligned), using the largest pages the hole allows; the
 * rest of [0, limit) is mapped on demand (nested_map_fault). Returns the
 * physical address of the top-level table, or 0 when the allocator runs
 * dry. There is one such map; a second call replaces the first. */
uint64_t nested_identity_map(uint64_t top, uint64_t limit, uint64_t hole_base,
			     uint64_t hole_size, const struct nested_pt_format *fmt);

/* How far the map is built up front: all of the CPU's physical address
 * space with 1 GiB pages (capped at 4 TiB to keep the tables small), else
 * the memory map's top rounded up to 1 GiB (at least 4 GiB). */
uint64_t nested_map_top(uint64_t mem_top, bool gib_pages);

/* How far it reaches: the CPU's physical address width (2^MAXPHYADDR);
 * capped at 2^48, what 4-level tables can map. */
uint64_t nested_map_limit(void);

/* A nested page fault / EPT violation at gpa: if gpa lies below the limit,
 * outside the hole and unmapped, map the largest identity page around it
 * that keeps clear of the hole (and that the format allows) and return
 * true: the access can be retried. On VMX that needs no invalidation (SDM
 * vol. 3C 29.4.2: no translation is cached from an EPT entry that is not
 * present); SVM flushes the guest's TLB at the next VMRUN to be safe.
 * Returns false otherwise (a hole access, an address above the limit, out
 * of memory): the caller reports it. */
bool nested_map_fault(uint64_t gpa);

/* Per-page protection of the shared map (core/mmio_trap.h). Map the 4 KiB
 * guest page gpa_page to host_pa (the identity, or another page), without
 * write permission when read_only; the large page around it is split
 * into smaller ones first (the rest keeps its mapping). False when
 * gpa_page is not below the limit, lies in the hole, or the allocator
 * runs dry. Bumps nested_generation: translations the CPUs cached from the
 * old entries must go (SDM vol. 3C 29.4.3.1: INVEPT; APM vol. 2 15.16:
 * TLB_CONTROL), which each vendor does before its next VM entry when the
 * generation it last flushed for differs (a CPU in guest mode meanwhile
 * keeps the old translation until its next exit). */
bool nested_protect_page(uint64_t gpa_page, uint64_t host_pa, bool read_only);

/* Changes since boot that need a flush of cached nested translations. */
extern volatile uint64_t nested_generation;

#endif
