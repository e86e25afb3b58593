/* Resetting the whole platform, as the chipset does when the CPU shuts
 * down on a triple fault: what a guest on bare metal would get. */
#ifndef DRVISOR_DRIVERS_PLATFORM_RESET_H
#define DRVISOR_DRIVERS_PLATFORM_RESET_H

/* Asks the chipset for a hard reset. Returns only if nothing reset the
 * machine (then the caller decides what to do with the CPU). */
void platform_reset(void);

#endif
