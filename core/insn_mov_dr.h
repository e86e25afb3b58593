/*
 * Decoding MOV to/from a debug register (0F 23 /r, 0F 21 /r) from its
 * bytes, for the exits that report no decoded operands (SVM without decode
 * assists: Bochs, QEMU TCG). Pure: no vCPU, no memory access.
 */
#ifndef DRVISOR_CORE_INSN_MOV_DR_H
#define DRVISOR_CORE_INSN_MOV_DR_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN 15 /* SDM vol. 2A 2.3.11 */

struct mov_dr {
	unsigned len;   /* bytes, prefixes included */
	unsigned dr;    /* the debug register ModRM.reg names (REX.R gives 8-15) */
	unsigned gpr;   /* the general register, in encoding order: 0 RAX .. 4 RSP .. 15 R15 */
	bool to_dr;     /* MOV DRn, reg (0F 23) */
};

/* Decode 64-bit-mode bytes b[0..n): legacy prefixes, one REX immediately
 * before the opcode, 0F 21 or 0F 23, ModRM. The operand is always a
 * register whatever ModRM.mod says (SDM vol. 2B, MOV—Move to/from Debug
 * Registers). False when the bytes are no such instruction. */
bool decode_mov_dr(const uint8_t *b, unsigned n, struct mov_dr *out);

#endif
