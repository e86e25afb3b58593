/* Late launch of the captured loader context as a guest. */
#ifndef DRVISOR_CORE_LAUNCH_H
#define DRVISOR_CORE_LAUNCH_H

#include <stdint.h>
#include "vcpu.h"
#include "drivers/uart16550.h"

/* Launch the boot CPU's captured context under ops, with the monitor on
 * console. Returns only when it cannot: DV_CORE_UNSUPPORTED (with the
 * reason logged) or DV_CORE_FAILED; on success the CPU continues in the
 * loader as a guest. */
uint64_t late_launch(const struct vendor_ops *ops, const struct uart *console);

#endif
