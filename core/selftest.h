/* Faults on purpose, for the test suite to prove the host exception path. */
#ifndef DRVISOR_CORE_SELFTEST_H
#define DRVISOR_CORE_SELFTEST_H

#include <stdint.h>

/* Raise the exception that selftest (enum dv_selftest) names; returns only
 * for DV_SELFTEST_NONE or an unknown value. */
void selftest_run(uint32_t selftest);

#endif
