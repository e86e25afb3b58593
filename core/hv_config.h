/* The configuration the loader handed over, copied into the core by
 * core_main before anything reads it. */
#ifndef DRVISOR_CORE_HV_CONFIG_H
#define DRVISOR_CORE_HV_CONFIG_H

#include <drvisor/config.h>

extern struct dv_config hv_config;

#endif
