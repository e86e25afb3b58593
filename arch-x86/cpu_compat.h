/* Whether an application processor can run under drvisor beside the boot
 * CPU (issue 14). Pure C, also built into the host unit tests
 * (unit.cpu_compat). */
#ifndef DRVISOR_ARCH_CPU_COMPAT_H
#define DRVISOR_ARCH_CPU_COMPAT_H

#include "cpu_features.h"

/* NULL when f (an AP's features) allows it to join the boot CPU's (boot),
 * else why not, for the banner: every CPU runs the same vendor half with
 * the same controls and the shared nested page tables, so the
 * virtualization features must be the same; VMX locked off or SVM
 * disabled on that CPU alone are named as such. */
const char *cpu_features_mismatch(const struct cpu_features *boot,
				  const struct cpu_features *f);

#endif
