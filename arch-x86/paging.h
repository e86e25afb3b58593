/* The host's own page tables: an identity map of physical memory. */
#ifndef DRVISOR_ARCH_PAGING_H
#define DRVISOR_ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

/* Page-table entry bits (SDM vol. 3A 4.5, tables 4-14 to 4-20). */
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_USER (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)

/* Build identity-mapped host page tables covering [0, top) (rounded up to
 * 1 GiB, at least 4 GiB, at most the CPU's physical address width) from the
 * core's page allocator and load them into CR3. Returns false, leaving CR3
 * alone, if the allocator runs dry. */
bool paging_init(uint64_t top);

/* The first address the host map does not cover, and the host CR3. */
uint64_t paging_top(void);
uint64_t paging_cr3(void);

/* Map the 4 KiB page at pa uncached in the host's map (PCD|PWT: PAT entry
 * 3, UC in the power-on PAT the firmware keeps), splitting the large page
 * around it. For MMIO that drvisor itself reads and writes on the guest's
 * behalf (the local APIC page): the firmware's MTRRs may not say UC there.
 * Flushes this CPU's TLB entry; call it before the other CPUs start using
 * the map. False when pa is outside the map or the allocator runs dry. */
bool paging_map_uncached(uint64_t pa);

/* The CPU's physical address width (CPUID 0x80000008 EAX[7:0]). */
unsigned cpu_phys_addr_bits(void);

#endif
