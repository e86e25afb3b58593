/*
 * Guest-test support library: the few services a test program needs while it
 * runs as drvisor's guest (or natively, for the reference run).
 *
 * Why not the firmware's console: gnu-efi's Print() goes to ConOut, which may
 * or may not be mirrored to a serial port depending on the firmware build and
 * on which port the hypervisor has claimed. Tests talk to COM1 directly, so
 * the output a test driver reads is the same byte stream under QEMU, Bochs
 * and real hardware, with or without drvisor underneath.
 *
 * Why polled 8N1: Bochs drops bytes from a port that was never initialised or
 * that is written faster than its transmitter drains (see DESIGN.md).
 */
#ifndef DRVISOR_GUEST_H
#define DRVISOR_GUEST_H

#include <stdarg.h>
#include <stdint.h>

/* Port numbers of the test channel. */
#define GUEST_COM1_BASE      0x3f8
#define GUEST_QEMU_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4 */
#define GUEST_BOCHS_SHUTDOWN 0x8900 /* Bochs: the bytes of "Shutdown" end it */

/* serial.c: 16550 on COM1, 115200 8N1, polled. */
void serial_init(void);
void serial_putc(char c);             /* "\n" goes out as "\r\n" */
void serial_puts(const char *s);
void serial_flush(void);              /* waits for the transmitter to empty */

/* tap.c: TAP version 13 on COM1, with a small printf of its own.
 * Format: %s %c %d %i %u %x %lx %llx %lu %ld %p %%, with an optional
 * zero-pad width (e.g. %016llx) and the # flag (0x prefix). */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_vprintf(const char *fmt, va_list ap);
void tap_plan(unsigned n);            /* "TAP version 13" + "1..n" */
/* Prints "ok N - name" or "not ok N - name"; returns cond != 0. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compares two values; on mismatch appends "# expected 0x.. got 0x..". */
int tap_eq(uint64_t got, uint64_t expected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "ok N - name # SKIP reason" */
void tap_skip(const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
unsigned tap_failures(void);          /* count of "not ok" lines so far */

/* exit.c: end the machine. QEMU's isa-debug-exit makes qemu exit with
 * (code << 1) | 1; Bochs exits on "Shutdown" at 0x8900 (status 1 whatever
 * the code, which is why results are read from the serial output). On real
 * hardware neither port does anything and the CPU halts. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* Port I/O, shared by the library and the tests. */
static inline void guest_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void guest_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t guest_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
