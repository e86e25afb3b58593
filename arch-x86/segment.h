/* Decoding segment descriptors from a descriptor table in memory. */
#ifndef DRVISOR_ARCH_SEGMENT_H
#define DRVISOR_ARCH_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/guest_state.h"

/* Fill out from the descriptor that selector sel names in the GDT at
 * [gdt_base, gdt_base + gdt_limit]. A null selector, a selector past the
 * limit, an LDT selector or a not-present descriptor gives an unusable
 * segment (and false). System descriptors (TSS, LDT) are read as 16 bytes
 * (SDM vol. 3A 7.2.3). */
bool segment_from_gdt(uint64_t gdt_base, uint32_t gdt_limit, uint16_t sel,
		      struct guest_segment *out);

#endif
