/* The hypervisor's own memory: the reservation the loader made, and a page
 * allocator over its free part. Nothing is ever freed: everything allocated
 * lives as long as the hypervisor. */
#ifndef DRVISOR_CORE_MEMORY_H
#define DRVISOR_CORE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096ull

struct hv_memory {
	uint64_t base, size;        /* the whole reservation */
	uint64_t core_base;         /* where the core image starts */
	uint64_t heap_next, heap_end;
};

extern struct hv_memory hv_mem;

/* Take over the reservation [base, base+size) whose free pages are
 * [heap_base, heap_base+heap_size). */
void memory_init(uint64_t base, uint64_t size, uint64_t core_base, uint64_t heap_base,
		 uint64_t heap_size);

/* A zeroed, 4 KiB-aligned page of the reservation, or 0 when none is left. */
uint64_t page_alloc(void);

/* n zeroed, physically contiguous pages (for the SVM permission maps and
 * other multi-page structures), or 0 when they do not fit. */
uint64_t pages_alloc(uint64_t n);

/* Pages still free. */
uint64_t pages_free(void);

/* Whether [addr, addr+len) lies inside the reservation. */
bool hv_owns(uint64_t addr, uint64_t len);

#endif
