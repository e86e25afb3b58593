/*
 * Reading the guest's memory by linear address, as the guest's own paging
 * maps it, for decoding an intercepted instruction. The nested map is the
 * identity (drvisor's own pages excepted), so a guest-physical address is
 * the host's physical one, which the host's identity map covers
 * (arch-x86/paging.h).
 */
#ifndef DRVISOR_CORE_GUEST_MEM_H
#define DRVISOR_CORE_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* Copy len bytes at guest linear address la into buf. False (buf partly
 * written) when paging is in a mode this walk does not know (only paging
 * off and 4-level long-mode paging are), a page is not present, or an
 * address is outside the host's map or inside drvisor's memory. */
bool guest_read_linear(struct vcpu *v, uint64_t la, void *buf, unsigned len);

#endif
