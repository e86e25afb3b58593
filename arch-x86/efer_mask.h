/*
 * Which EFER bits a guest may set: those the CPU itself supports, as CPUID
 * reports them (APM vol. 2 3.1.7 and vol. 3 appendix E). A bit the CPU
 * lacks is reserved there: a WRMSR setting it raises #GP, and with SVM a
 * VMCB holding it makes VMRUN fail (APM vol. 2 15.5.1), so the guest's
 * write must be refused rather than passed on.
 */
#ifndef DRVISOR_ARCH_EFER_MASK_H
#define DRVISOR_ARCH_EFER_MASK_H

#include <stdint.h>

/* The CPUID words that announce EFER bits (0 where the leaf is absent). */
struct efer_cpuid {
	uint32_t ext_ecx, ext_edx;   /* 0x80000001 ECX, EDX */
	uint32_t addr_ebx;           /* 0x80000008 EBX */
	uint32_t ext2_eax;           /* 0x80000021 EAX */
};

/* Read them from this CPU. */
struct efer_cpuid efer_cpuid_read(void);

/* The EFER bits a guest may write on a CPU with c: never LMA (read-only)
 * nor SVME (the guest sees no SVM; the caller keeps it set) nor LMSLE (see
 * efer_mask.c). */
uint64_t efer_guest_writable(const struct efer_cpuid *c);

#endif
