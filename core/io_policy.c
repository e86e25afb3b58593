/* Reads of the hidden monitor UART (core/io_policy.h). */
#include "io_policy.h"
#include "hv_config.h"

#define UART_LSR_OFFSET 5
#define LSR_IDLE 0x60        /* THRE | TEMT */
#define ABSENT_BYTE 0xff

uint64_t io_hidden_port_read(uint64_t rax, uint16_t port, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint64_t b = p == hv_config.monitor_port + UART_LSR_OFFSET ? LSR_IDLE : ABSENT_BYTE;

		rax = (rax & ~(0xffull << (8 * i))) | (b << (8 * i));
	}
	/* A 32-bit IN writes EAX, which zero-extends into RAX (SDM vol. 1
	 * 3.4.1.1); 8- and 16-bit INs leave the rest of RAX alone. */
	return bytes == 4 ? (uint32_t)rax : rax;
}
