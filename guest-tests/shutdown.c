/*
 * shutdown: a triple fault on purpose (issue 13 item 12), natively (the
 * reference: the platform resets) and under drvisor (on_guest_shutdown=
 * reset: the platform resets too; =stop: the vCPU stops and the monitor
 * stays; tests/integration/shutdown_run.sh judges each).
 *
 * The first boot leaves a marker in CMOS RAM, which a reset keeps, then
 * loads an empty IDT and executes UD2: #UD cannot be delivered (the vector
 * is past the IDT limit: #GP), nor can the #GP, which makes a #DF, nor the
 * #DF: the CPU shuts down (SDM vol. 3A 6.15, interrupt 8). Where the
 * machine resets and boots this program again (a real box), it finds the
 * marker, clears it, says so and ends the machine instead of faulting
 * again; QEMU with --no-reboot exits on the reset, and Bochs under its
 * debugger ends there (shutdown_run.sh).
 */
#include <efi.h>
#include <efilib.h>

#include "guest-tests/lib/guest.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80               /* index bit 7: NMIs stay disabled while we access */
#define CMOS_MARK_REG 0x6e              /* two bytes in the free part of bank 0 */
#define MARK_LO 0xd5
#define MARK_HI 0x5d

static uint8_t cmos_read(uint8_t reg)
{
	guest_outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return guest_inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	guest_outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	guest_outb(CMOS_DATA, v);
}

static int marked(void)
{
	return cmos_read(CMOS_MARK_REG) == MARK_LO && cmos_read(CMOS_MARK_REG + 1) == MARK_HI;
}

static void mark(int on)
{
	cmos_write(CMOS_MARK_REG, on ? MARK_LO : 0);
	cmos_write(CMOS_MARK_REG + 1, on ? MARK_HI : 0);
}

static __attribute__((noreturn)) void triple_fault(void)
{
	static const struct idt_ptr empty = { 0, 0 };

	__asm__ volatile("cli; lidt %0; ud2" : : "m"(empty) : "memory");
	__builtin_unreachable();
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the SysV ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	int under;

	(void)image;
	(void)st;
	serial_init();
	under = hv_detect(&hv);
	if (marked()) {
		mark(0);
		guest_printf("shutdown: second boot after the reset, %s\n",
			     under ? "under drvisor" : "natively");
		tap_plan(1);
		tap_ok(1, "the machine reset after the triple fault and booted again");
		guest_exit(0);
	}
	if (under)
		guest_printf("shutdown: running under drvisor %u.%u on %s\n", hv.version >> 16,
			     hv.version & 0xffff, hv_vendor_name(hv.vendor));
	else
		guest_printf("shutdown: running natively on %s\n", hv_vendor_name(hv.vendor));
	mark(1);
	guest_printf("shutdown: triple faulting now\n");
	serial_flush();
	triple_fault();
}
