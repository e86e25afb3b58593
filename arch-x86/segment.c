/* Segment descriptor decoding (SDM vol. 3A 3.4.5, figure 3-8). */
#include "segment.h"

#define SEL_TI_LDT 0x4
#define SEL_INDEX_MASK 0xfff8

bool segment_from_gdt(uint64_t gdt_base, uint32_t gdt_limit, uint16_t sel,
		      struct guest_segment *out)
{
	uint32_t off = sel & SEL_INDEX_MASK;
	const uint64_t *d;
	uint64_t lo, limit;
	bool system;

	*out = (struct guest_segment){ .selector = sel, .unusable = true };
	if (!off || (sel & SEL_TI_LDT) || off + 7 > gdt_limit)
		return false;
	d = (const uint64_t *)(gdt_base + off);
	lo = d[0];
	/* Access byte (bits 47:40) and flags nibble (bits 55:52) packed as the
	 * VMCB does: bits 7:0 and 11:8. */
	out->attr = (uint16_t)(((lo >> 40) & 0xff) | (((lo >> 52) & 0xf) << 8));
	if (!(out->attr & SEG_ATTR_P))
		return false;
	limit = (lo & 0xffff) | (((lo >> 48) & 0xf) << 16);
	out->limit = (uint32_t)(out->attr & SEG_ATTR_G ? (limit << 12) | 0xfff : limit);
	out->base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24);
	system = !(out->attr & SEG_ATTR_S);
	if (system && off + 15 <= gdt_limit)
		out->base |= (d[1] & 0xffffffff) << 32;
	out->unusable = false;
	return true;
}
