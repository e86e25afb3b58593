/* Host unit tests: arch-x86/port_io.h on the fake port space. */
#ifndef DRVISOR_TEST_FAKE_PORT_IO_H
#define DRVISOR_TEST_FAKE_PORT_IO_H

#include <stdint.h>

uint16_t inw(uint16_t port);
void outw(uint16_t port, uint16_t v);
uint32_t inl(uint16_t port);
void outl(uint16_t port, uint32_t v);

#endif
