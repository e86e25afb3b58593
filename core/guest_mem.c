/* Guest linear memory reads (core/guest_mem.h). */
#include "guest_mem.h"
#include "memory.h"
#include "vcpu.h"
#include "arch-x86/cr.h"
#include "arch-x86/msr.h"
#include "arch-x86/paging.h"

#define PT_INDEX_BITS 9
#define PT_TOP_SHIFT 39   /* PML4: linear bits 47:39 (SDM vol. 3A 4.5) */
#define PT_TOP_SHIFT_LA57 48  /* PML5: linear bits 56:48, with CR4.LA57 */
#define PT_PAGE_SHIFT 12  /* PT: 4 KiB pages */

static bool host_can_read(uint64_t pa, uint64_t len)
{
	return pa + len <= paging_top() && !hv_owns(pa, len);
}

/* The 4- or 5-level walk (SDM vol. 3A 4.5.4): (PML5,) PML4, PDPT (1 GiB
 * pages), PD (2 MiB pages), PT. Access rights are not checked: the host
 * reads what the CPU just fetched. */
static bool guest_translate(struct vcpu *v, uint64_t la, uint64_t *pa)
{
	uint64_t table, e, size;
	unsigned shift;

	if (!(v->ops->read_reg(v, VCPU_REG_CR0) & CR0_PG)) {
		*pa = la;
		return true;
	}
	if (!(v->ops->read_reg(v, VCPU_REG_EFER) & EFER_LMA))
		return false;
	table = v->ops->read_reg(v, VCPU_REG_CR3) & PTE_ADDR_MASK;
	shift = v->ops->read_reg(v, VCPU_REG_CR4) & CR4_LA57 ? PT_TOP_SHIFT_LA57 : PT_TOP_SHIFT;
	for (;; shift -= PT_INDEX_BITS) {
		uint64_t ea = table + ((la >> shift) & ((1u << PT_INDEX_BITS) - 1)) * 8;

		if (!host_can_read(ea, 8))
			return false;
		e = *(volatile const uint64_t *)ea;
		if (!(e & PTE_PRESENT))
			return false;
		if (shift == PT_PAGE_SHIFT || (shift <= 30 && (e & PTE_LARGE))) {
			size = 1ull << shift;
			*pa = (e & PTE_ADDR_MASK & ~(size - 1)) | (la & (size - 1));
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
}

bool guest_read_linear(struct vcpu *v, uint64_t la, void *buf, unsigned len)
{
	uint8_t *out = buf;
	uint64_t pa;
	unsigned i;

	for (i = 0; i < len; i++) {
		if (!guest_translate(v, la + i, &pa) || !host_can_read(pa, 1))
			return false;
		out[i] = *(volatile const uint8_t *)pa;
	}
	return true;
}
