/* Host unit tests: arch-x86/cpu.h's port I/O and pause, on a fake port
 * space (fake_io.c) instead of the CPU's. */
#ifndef DRVISOR_TEST_FAKE_CPU_H
#define DRVISOR_TEST_FAKE_CPU_H

#include <stdint.h>

uint8_t inb(uint16_t port);
void outb(uint16_t port, uint8_t v);
void cpu_pause(void);

#endif
