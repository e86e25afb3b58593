/*
 * What the guest's CPUID hides of the real CPU's: the features drvisor keeps
 * for itself (VMX, SVM) and the ones a guest could use to reach past the
 * nested page tables into drvisor's memory, which drvisor does not
 * virtualize (Intel PT, the debug store behind BTS and PEBS, architectural
 * LBRs). Pure: the caller supplies the real CPU's answer.
 */
#ifndef DRVISOR_ARCH_CPUID_MASK_H
#define DRVISOR_ARCH_CPUID_MASK_H

#include <stdint.h>
#include "cpu.h"

/* Turn the real CPUID(leaf, sub) in *r into the guest's (leaves outside
 * the hypervisor range 0x40000000-0x400000ff; those are drvisor's own). */
void cpuid_mask_guest(uint32_t leaf, uint32_t sub, struct cpuid_regs *r);

#endif
