/* The VMX instructions the C code needs (SDM vol. 3C chapter 31); each
 * wrapper is exactly the instruction its name says. Those that can fail
 * return false on VMfailInvalid or VMfailValid (CF or ZF set, 31.2). */
#ifndef DRVISOR_ARCH_VMX_VMX_INSN_H
#define DRVISOR_ARCH_VMX_VMX_INSN_H

#include <stdbool.h>
#include <stdint.h>

static inline bool vmxon(uint64_t pa)
{
	bool fail;

	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static inline void vmxoff(void)
{
	__asm__ volatile("vmxoff" : : : "cc", "memory");
}

static inline bool vmclear(uint64_t pa)
{
	bool fail;

	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static inline bool vmptrld(uint64_t pa)
{
	bool fail;

	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

/* A field that does not exist reads as 0. */
static inline uint64_t vmread(uint64_t field)
{
	uint64_t v = 0;

	__asm__ volatile("vmread %1, %0" : "+r"(v) : "r"(field) : "cc");
	return v;
}

static inline bool vmwrite(uint64_t field, uint64_t v)
{
	bool fail;

	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"(field), "rm"(v) : "cc");
	return !fail;
}

static inline bool invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };
	bool fail;

	__asm__ volatile("invept %1, %2; setna %0" : "=qm"(fail) : "m"(desc), "r"(type)
			 : "cc", "memory");
	return !fail;
}

static inline bool invvpid(uint64_t type, uint16_t vpid)
{
	struct { uint64_t vpid, linear; } desc = { vpid, 0 };
	bool fail;

	__asm__ volatile("invvpid %1, %2; setna %0" : "=qm"(fail) : "m"(desc), "r"(type)
			 : "cc", "memory");
	return !fail;
}

#endif
