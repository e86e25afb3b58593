/*
 * null-core.elf: a core image that declines every CPU, for the benchmark's
 * native reference run (tools/bench --linux, issue 14). With it, drvisor's
 * own loader takes exactly the boot path it takes under drvisor (config,
 * CORE.ELF read and placed, boot information collected, next= chain-loaded
 * with next_args) but with the hypervisor off: the loader sees
 * DV_CORE_UNSUPPORTED and, with on_unsupported=continue, goes on natively.
 * The difference between the two runs is then the hypervisor alone.
 */
#include <drvisor/bootinfo.h>

uint64_t core_entry(struct boot_info *bi);

uint64_t core_entry(struct boot_info *bi)
{
	(void)bi;
	return DV_CORE_UNSUPPORTED;
}
