/* The guest-writable EFER bits from CPUID (efer_mask.h). */
#include "efer_mask.h"
#include "cpu.h"
#include "cpuid_bits.h"
#include "msr.h"

#define CPUID_EXT_MAX 0x80000000u

struct efer_cpuid efer_cpuid_read(void)
{
	uint32_t max = cpuid(CPUID_EXT_MAX, 0).eax;
	struct efer_cpuid c = { 0, 0, 0, 0 };

	if (max >= CPUID_EXT_FEATURES) {
		c.ext_ecx = cpuid(CPUID_EXT_FEATURES, 0).ecx;
		c.ext_edx = cpuid(CPUID_EXT_FEATURES, 0).edx;
	}
	if (max >= CPUID_ADDR_SIZES)
		c.addr_ebx = cpuid(CPUID_ADDR_SIZES, 0).ebx;
	if (max >= CPUID_EXT_FEATURES2)
		c.ext2_eax = cpuid(CPUID_EXT_FEATURES2, 0).eax;
	return c;
}

/* LMSLE (long-mode segment limits) is never granted: no CPUID bit
 * announces it, only its absence (0x80000008:EBX[20], Zen 3 and later);
 * emulators lack it without saying so (Bochs's EFER has no LMSLE, QEMU's
 * neither), and a bit wrongly accepted makes the next VMRUN fail, the
 * guest dead. No 64-bit OS uses it; KVM likewise grants it only to nested
 * hypervisors. */
uint64_t efer_guest_writable(const struct efer_cpuid *c)
{
	uint64_t m = 0;

	m |= c->ext_edx & CPUID_EXT_EDX_SYSCALL ? EFER_SCE : 0;
	m |= c->ext_edx & CPUID_EXT_EDX_LM ? EFER_LME : 0;
	m |= c->ext_edx & CPUID_EXT_EDX_NX ? EFER_NXE : 0;
	m |= c->ext_edx & CPUID_EXT_EDX_FFXSR ? EFER_FFXSR : 0;
	m |= c->ext_ecx & CPUID_EXT_ECX_TCE ? EFER_TCE : 0;
	m |= c->addr_ebx & CPUID_8_EBX_MCOMMIT ? EFER_MCOMMIT : 0;
	m |= c->addr_ebx & CPUID_8_EBX_INT_WBINVD ? EFER_INTWB : 0;
	m |= c->ext2_eax & CPUID_21_EAX_UAI ? EFER_UAIE : 0;
	m |= c->ext2_eax & CPUID_21_EAX_AUTOIBRS ? EFER_AIBRSE : 0;
	return m;
}
