/* Pausing, continuing and single-stepping a vCPU on the monitor's behalf. */
#ifndef DRVISOR_CORE_RUN_CONTROL_H
#define DRVISOR_CORE_RUN_CONTROL_H

#include <stdint.h>
#include "vcpu.h"

/* The monitor's requests; each returns NULL or why it cannot. They run in
 * the host between two exits of v (the monitor is only polled there), so
 * a pause takes effect before the guest executes another instruction. */
const char *run_pause(struct vcpu *v);
const char *run_cont(struct vcpu *v);
const char *run_step(struct vcpu *v, uint64_t n);

#endif
