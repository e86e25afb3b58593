/*
 * Which CPUs an INIT or startup IPI written to the ICR reaches (SDM vol.
 * 3A 10.6.1-10.6.2, 10.12.9; APM vol. 2 16.5): pure C, also built into the
 * host unit tests (unit.ipi_route). core/init_sipi.c carries the IPI out:
 * for a CPU under drvisor in software, for any other by the real APIC.
 */
#ifndef DRVISOR_CORE_IPI_ROUTE_H
#define DRVISOR_CORE_IPI_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

enum ipi_kind {
	IPI_OTHER,          /* not INIT/SIPI: the real APIC sends it */
	IPI_INIT,
	IPI_INIT_DEASSERT,  /* INIT level de-assert: no effect on these CPUs (10.6.1) */
	IPI_SIPI,
};

/* What the ICR low word asks for. */
enum ipi_kind ipi_kind(uint32_t icr_low);

/* The CPUs drvisor knows: cpu i has APIC ID apic_id[i], i < n (n <= 32). */
struct ipi_cpus {
	unsigned n;
	const uint32_t *apic_id;
};

struct ipi_targets {
	uint32_t cpus;          /* bit i: cpu i is a target */
	bool logical;           /* logical destination mode: not resolved (cpus = 0) */
	bool unknown;           /* a physical destination that is none of the CPUs */
};

/* The targets of icr_low/dest sent by cpu self: the shorthand (self, all,
 * all but self) or, without one, the physical destination (dest, the
 * broadcast ID 0xff in xAPIC mode, 0xffffffff in x2APIC mode). */
struct ipi_targets ipi_route(uint32_t icr_low, uint32_t dest, bool x2apic, unsigned self,
			     const struct ipi_cpus *cpus);

#endif
