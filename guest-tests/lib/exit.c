/*
 * Ending the machine from a guest test. Both emulators' exit ports are
 * written unconditionally: on the one that lacks a port the write is ignored,
 * which spares us detecting the platform. The serial line is drained first so
 * the test's last line is never cut off. If neither port ends the machine
 * (real hardware, or an exit port the hypervisor does not pass through) the
 * CPU halts with interrupts off so the driver's timeout reports the hang.
 */
#include "guest.h"

void guest_exit(uint32_t code)
{
	static const char shutdown[] = "Shutdown";

	trap_uninstall(); /* the firmware's IDT back, in case the port does nothing */
	serial_flush();
	guest_outl(GUEST_QEMU_EXIT_PORT, code);
	for (const char *p = shutdown; *p; p++)
		guest_outb(GUEST_BOCHS_SHUTDOWN, (uint8_t)*p);
	for (;;)
		__asm__ volatile("cli; hlt");
}
