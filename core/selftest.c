/* Deliberate host faults (config key selftest=), each by an instruction that
 * raises exactly one architectural exception. */
#include "selftest.h"
#include "log.h"
#include "arch-x86/paging.h"
#include <drvisor/config.h>

#define NON_CANONICAL_ADDR 0x8000000000000000ull

static void load_from(uint64_t addr)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
}

void selftest_run(uint32_t selftest)
{
	switch (selftest) {
	case DV_SELFTEST_UD:
		log_info("selftest: executing ud2");
		__asm__ volatile("ud2");
		break;
	case DV_SELFTEST_GP:
		log_info("selftest: loading from non-canonical 0x%llx",
			 (unsigned long long)NON_CANONICAL_ADDR);
		load_from(NON_CANONICAL_ADDR);
		break;
	case DV_SELFTEST_PF:
		log_info("selftest: loading from unmapped 0x%llx", (unsigned long long)paging_top());
		load_from(paging_top());
		break;
	case DV_SELFTEST_DE:
		log_info("selftest: dividing by zero");
		__asm__ volatile("xorl %%edx, %%edx; xorl %%ecx, %%ecx; divl %%ecx"
				 : : : "rax", "rcx", "rdx");
		break;
	default:
		break;
	}
}
