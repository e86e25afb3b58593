/* The guest's EPT: an identity map of physical memory and MMIO without
 * drvisor's reservation, typed by the firmware's MTRRs. */
#ifndef DRVISOR_ARCH_VMX_EPT_H
#define DRVISOR_ARCH_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx_controls.h"

/* Build the map as the chosen controls allow and return the EPT pointer
 * (SDM vol. 3C 25.6.11), or 0 when the page allocator runs dry. */
uint64_t ept_build(const struct vmx_controls *ctl);

/* Print each EPT entry on the walk for gpa, top level first, down to the
 * leaf or the first non-present entry (for EPT misconfigurations). */
void ept_print_walk(uint64_t eptp, uint64_t gpa);

#endif
