/* The monitor's view of the real hypervisor (core/monitor.h's target),
 * and its serial port. */
#ifndef DRVISOR_CORE_MONITOR_TARGET_H
#define DRVISOR_CORE_MONITOR_TARGET_H

#include <stddef.h>
#include "drivers/uart16550.h"

/* Start the monitor on u, acting on the vCPUs. Call once, before the
 * first guest entry. */
void monitor_target_init(const struct uart *u);

/* Feed every byte the monitor's UART has received to the monitor — or, with
 * monitor_share=on, to the guest while it has the keyboard (Ctrl-] hands it
 * back and forth, core/io_policy.h). Cheap when nothing arrived (one port
 * read); a no-op before init. */
void monitor_poll(void);

/* Send len bytes to the wire of the monitor's UART (the guest's output in
 * shared mode). */
void monitor_wire_write(const char *text, size_t len);

#endif
