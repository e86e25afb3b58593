/*
 * Decoding the guest store behind a nested-paging write fault on a trapped
 * page (core/mmio_trap.h): only what the write needs, its length, width
 * and value source. The fault gives the guest-physical address, so the
 * memory operand's ModRM/SIB/displacement matter only for the length.
 * Pure: no vCPU, no memory access. Coverage and the reasons for it:
 * docs/mmio.md.
 */
#ifndef DRVISOR_CORE_INSN_STORE_H
#define DRVISOR_CORE_INSN_STORE_H

#include <stdbool.h>
#include <stdint.h>

/* The code segment's default sizes: real/16-bit, 32-bit, 64-bit mode. */
enum insn_mode { INSN_MODE_16, INSN_MODE_32, INSN_MODE_64 };

struct store_insn {
	unsigned len;           /* bytes, prefixes included */
	unsigned width;         /* bytes stored: 1, 2, 4, 8 */
	bool imm;               /* the value is imm (already sign-extended to width) */
	uint64_t imm_value;
	unsigned gpr;           /* else the source register, encoding order 0 RAX .. 15 R15 */
	bool high_byte;         /* 8-bit source AH, CH, DH, BH: bits 15:8 of gpr 0-3 */
	bool xchg;              /* XCHG m, r: the register gets the old memory value */
};

enum store_decode {
	STORE_OK,
	STORE_SHORT,            /* the bytes end inside the instruction */
	STORE_UNKNOWN,          /* not a store this decoder knows */
};

/* Decode the instruction at b[0..n) (n may exceed the instruction; at
 * most INSN_STORE_MAX_LEN bytes are looked at): MOV r/m, r (88, 89),
 * MOV r/m, imm (C6 /0, C7 /0), MOV moffs, AL/rAX (A2, A3), XCHG r/m, r
 * (86, 87), MOVNTI (0F C3), each with a memory operand; legacy prefixes
 * (0x66, 0x67, segment, LOCK only with XCHG, F2/F3 as hints) and REX. */
enum store_decode decode_store(const uint8_t *b, unsigned n, enum insn_mode mode,
			       struct store_insn *out);

#define INSN_STORE_MAX_LEN 15   /* SDM vol. 2A 2.3.11 */

/* Reading an instruction's bytes at linear address la: read(ctx, la, buf,
 * len) copies len bytes within one 4 KiB page, false when it cannot. Reads
 * up to INSN_STORE_MAX_LEN bytes into buf, page by page, stopping at the
 * first page that cannot be read; returns how many it got (a store that
 * crosses into an unmapped page decodes as STORE_SHORT). */
typedef bool (*insn_read_fn)(void *ctx, uint64_t la, void *buf, unsigned len);
unsigned insn_fetch(insn_read_fn read, void *ctx, uint64_t la, uint8_t *buf);

#endif
