/*
 * The guest's INIT and startup IPIs, carried out in software (issue 14;
 * docs/architecture.md, "INIT and SIPI"). The ICR hook (core/apic_trap.h)
 * sees every INIT and SIPI a vCPU sends; one for a CPU under drvisor never
 * reaches the real APIC: it is posted to the target (pcpu_call), which
 * takes the INIT state and waits in the host for a SIPI, then enters its
 * guest in real mode at vector << 12. A CPU that is not under drvisor gets
 * the IPI from the real APIC, directed at it. Every other IPI passes.
 */
#ifndef DRVISOR_CORE_INIT_SIPI_H
#define DRVISOR_CORE_INIT_SIPI_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

#define INIT_SIPI_VALID 0x100u

/* Install the ICR hook (once, before the first guest entry). */
void init_sipi_setup(void);

/* From vcpu_service, on the target's CPU, after the exit is handled: an
 * INIT was posted; take the INIT state and wait (serving other CPUs'
 * requests and the monitor) until a SIPI starts the vCPU. Returns with
 * the vCPU ready to enter in real mode. */
void init_sipi_take(struct vcpu *v);

#endif
