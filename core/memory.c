/* Bump allocator over the reservation's free pages. */
#include "memory.h"
#include "spinlock.h"
#include "string.h"

/* Pages are taken at launch (one CPU at a time) and, rarely, while guests
 * run (a nested-paging table mapped on demand, on any CPU). */
static struct spinlock heap_lock = SPINLOCK_INIT;

struct hv_memory hv_mem;

void memory_init(uint64_t base, uint64_t size, uint64_t core_base, uint64_t heap_base,
		 uint64_t heap_size)
{
	hv_mem.base = base;
	hv_mem.size = size;
	hv_mem.core_base = core_base;
	hv_mem.heap_next = (heap_base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	hv_mem.heap_end = heap_base + heap_size;
}

uint64_t pages_alloc(uint64_t n)
{
	uint64_t p;

	spin_lock(&heap_lock, SPINLOCK_ANON);
	p = hv_mem.heap_next;
	if (n > (hv_mem.heap_end - p) / PAGE_SIZE) {
		spin_unlock(&heap_lock);
		return 0;
	}
	hv_mem.heap_next += n * PAGE_SIZE;
	spin_unlock(&heap_lock);
	memset((void *)p, 0, n * PAGE_SIZE);
	return p;
}

uint64_t page_alloc(void)
{
	return pages_alloc(1);
}

uint64_t pages_free(void)
{
	return (hv_mem.heap_end - hv_mem.heap_next) / PAGE_SIZE;
}

bool hv_owns(uint64_t addr, uint64_t len)
{
	return addr >= hv_mem.base && len <= hv_mem.size &&
	       addr - hv_mem.base <= hv_mem.size - len;
}
