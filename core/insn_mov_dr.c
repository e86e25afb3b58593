/* MOV to/from DRn decoding (core/insn_mov_dr.h). */
#include "insn_mov_dr.h"

#define REX_R 0x4
#define REX_B 0x1

/* The legacy prefixes (SDM vol. 2A 2.1.1): lock, rep, segment overrides,
 * operand and address size. */
static bool legacy_prefix(uint8_t x)
{
	switch (x) {
	case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e: case 0x26:
	case 0x64: case 0x65: case 0x66: case 0x67:
		return true;
	default:
		return false;
	}
}

bool decode_mov_dr(const uint8_t *b, unsigned n, struct mov_dr *out)
{
	unsigned i = 0, rex = 0;

	if (n > INSN_MAX_LEN)
		n = INSN_MAX_LEN;
	while (i < n && legacy_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 3 > n || b[i] != 0x0f || (b[i + 1] != 0x21 && b[i + 1] != 0x23))
		return false;
	out->to_dr = b[i + 1] == 0x23;
	out->dr = ((b[i + 2] >> 3) & 7) | (rex & REX_R ? 8 : 0);
	out->gpr = (b[i + 2] & 7) | (rex & REX_B ? 8 : 0);
	out->len = i + 3;
	return true;
}
