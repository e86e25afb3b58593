/*
 * Platform reset. Two mechanisms, tried in order:
 *
 * 1. The reset control register at I/O port 0xCF9 (Intel ICH/PCH and AMD
 *    FCH datasheets: bit 1 SYS_RST selects a hard reset, a 0->1 edge of
 *    bit 2 RST_CPU starts it). It is what the ACPI FADT's RESET_REG names
 *    on most boards (QEMU's q35 FADT too), so it is the reset Linux's
 *    default reboot path ends up using, and it resets the devices as well
 *    as the CPUs — as the chipset's response to a CPU shutdown does. The
 *    core does not parse the FADT (it has only the RSDP), so the register
 *    is used directly.
 * 2. The keyboard controller's reset pulse (command 0xFE on port 0x64),
 *    the legacy fallback every PC-compatible chipset or emulator keeps
 *    (Linux's reboot=kbd), for a chipset without the 0xCF9 register.
 * QEMU's q35 (ICH9) and Bochs's i440fx (PIIX3: "CPU reset register" in its
 * log) both reset at the first.
 */
#include <stdint.h>
#include "platform_reset.h"
#include "arch-x86/cpu.h"

#define RST_CNT_PORT 0xcf9
#define RST_CNT_SYS_RST (1u << 1)       /* hard (system) reset, not CPU-only */
#define RST_CNT_RST_CPU (1u << 2)       /* 0 -> 1 starts the reset */
#define KBC_STATUS_PORT 0x64
#define KBC_STATUS_INPUT_FULL (1u << 1) /* the controller has not read its input yet */
#define KBC_CMD_PULSE_RESET 0xfe
#define SETTLE_LOOPS 100000u            /* port reads while a reset takes effect */

/* A few port reads' time (each is about a microsecond on an ISA-speed bus),
 * for a reset that is asynchronous to the write that asked for it. */
static void settle(void)
{
	unsigned i;

	for (i = 0; i < SETTLE_LOOPS; i++)
		(void)inb(KBC_STATUS_PORT);
}

void platform_reset(void)
{
	unsigned i;

	outb(RST_CNT_PORT, RST_CNT_SYS_RST);
	outb(RST_CNT_PORT, RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	settle();
	for (i = 0; i < SETTLE_LOOPS && (inb(KBC_STATUS_PORT) & KBC_STATUS_INPUT_FULL); i++)
		;
	outb(KBC_STATUS_PORT, KBC_CMD_PULSE_RESET);
	settle();
}
