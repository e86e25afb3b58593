/* Single-instruction wrappers the C code needs; each is exactly the
 * instruction its name says. */
#ifndef DRVISOR_ARCH_CPU_H
#define DRVISOR_ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* End NMI blocking in the host: an IRET to the next instruction, the only
 * thing that unblocks NMIs (SDM vol. 3A 6.7.1). A VM exit caused by an NMI
 * leaves NMIs blocked (SDM vol. 3C 28.1); without this an NMI arriving
 * while the host runs would wait for the next VM entry, where an emulator
 * may not unblock them either (Bochs 2.7 keeps them blocked). */
static inline void cpu_unblock_nmi(void)
{
	uint64_t sp, sel;

	__asm__ volatile("mov %%rsp, %0\n\t"
			 "mov %%ss, %k1\n\t"
			 "push %1\n\t"
			 "push %0\n\t"
			 "pushfq\n\t"
			 "mov %%cs, %k1\n\t"
			 "push %1\n\t"
			 "lea 1f(%%rip), %0\n\t"
			 "push %0\n\t"
			 "iretq\n"
			 "1:"
			 : "=&r"(sp), "=&r"(sel) : : "memory", "cc");
}

#define DEFINE_CR_ACCESSORS(n)                                              \
	static inline uint64_t read_cr##n(void)                             \
	{                                                                   \
		uint64_t v;                                                 \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));           \
		return v;                                                   \
	}                                                                   \
	static inline void write_cr##n(uint64_t v)                          \
	{                                                                   \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");  \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

#define DEFINE_DR_ACCESSORS(n)                                              \
	static inline uint64_t read_dr##n(void)                             \
	{                                                                   \
		uint64_t v;                                                 \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));           \
		return v;                                                   \
	}                                                                   \
	static inline void write_dr##n(uint64_t v)                          \
	{                                                                   \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v) : "memory");  \
	}
DEFINE_DR_ACCESSORS(0)
DEFINE_DR_ACCESSORS(1)
DEFINE_DR_ACCESSORS(2)
DEFINE_DR_ACCESSORS(3)
DEFINE_DR_ACCESSORS(6)
DEFINE_DR_ACCESSORS(7)
#undef DEFINE_DR_ACCESSORS

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* The time-stamp counter, unordered: for deadlines, not for timing. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause");
}

/* WRMSR of a value the guest chose (arch-x86/msr_safe.asm): false, with
 * nothing written, where the CPU raises #GP for it. */
bool wrmsr_safe(uint32_t msr, uint64_t value);

static inline void invlpg(uint64_t la)
{
	__asm__ volatile("invlpg (%0)" : : "r"(la) : "memory");
}

#endif
