/* Store decoding (core/insn_store.h). Opcodes: SDM vol. 2B MOV, XCHG,
 * MOVNTI; ModRM/SIB/displacement sizes: vol. 2A 2.1.5, tables 2-1 to 2-3. */
#include "insn_store.h"

#define REX_W 0x8
#define REX_R 0x4
#define PREFIX_OPSIZE 0x66
#define PREFIX_ADSIZE 0x67
#define PREFIX_LOCK 0xf0

struct prefixes {
	bool opsize, adsize, lock;
	unsigned rex;
};

/* LOCK, REPNE/REP (XACQUIRE/XRELEASE hints on a store), the segment
 * overrides, operand and address size (vol. 2A 2.1.1). */
static bool legacy_prefix(uint8_t x)
{
	switch (x) {
	case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e: case 0x26:
	case 0x64: case 0x65: case PREFIX_OPSIZE: case PREFIX_ADSIZE:
		return true;
	default:
		return false;
	}
}

/* The prefixes, then the index of the opcode (or n when they fill the
 * bytes). A REX counts only right before the opcode (2.2.1). */
static unsigned read_prefixes(const uint8_t *b, unsigned n, enum insn_mode mode,
			      struct prefixes *p)
{
	unsigned i;

	*p = (struct prefixes){ 0 };
	for (i = 0; i < n; i++) {
		if (mode == INSN_MODE_64 && (b[i] & 0xf0) == 0x40) {
			p->rex = b[i];
			continue;
		}
		if (!legacy_prefix(b[i]))
			break;
		p->rex = 0;
		p->opsize |= b[i] == PREFIX_OPSIZE;
		p->adsize |= b[i] == PREFIX_ADSIZE;
		p->lock |= b[i] == PREFIX_LOCK;
	}
	return i;
}

/* Displacement bytes of a memory operand (mod != 3); sib: the SIB byte
 * where there is one. */
static unsigned disp_bytes(uint8_t modrm, uint8_t sib, bool addr16)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	if (mod == 1)
		return 1;
	if (addr16)
		return mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
	return mod == 2 || (mod == 0 && (rm == 5 || (rm == 4 && (sib & 7) == 5))) ? 4 : 0;
}

static unsigned operand_width(const struct prefixes *p, enum insn_mode mode)
{
	if (mode == INSN_MODE_64 && (p->rex & REX_W))
		return 8;
	if (mode == INSN_MODE_16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

static bool addr16(const struct prefixes *p, enum insn_mode mode)
{
	return mode == INSN_MODE_16 ? !p->adsize : mode == INSN_MODE_32 && p->adsize;
}

static uint64_t little_endian(const uint8_t *b, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = bytes; i > 0; i--)
		v = (v << 8) | b[i - 1];
	return v;
}

/* Sign-extend the low bits bytes of v to width bytes. */
static uint64_t sign_extend(uint64_t v, unsigned bytes, unsigned width)
{
	unsigned shift = 64 - 8 * bytes;
	uint64_t x = (uint64_t)((int64_t)(v << shift) >> shift);

	return width == 8 ? x : x & ((1ull << (8 * width)) - 1);
}

/* The register a ModRM.reg field names as a source of width bytes: with no
 * REX, 8-bit registers 4-7 are AH, CH, DH, BH (table 2-2 note, 3.4.1.1). */
static void reg_source(struct store_insn *s, uint8_t modrm, unsigned rex)
{
	unsigned reg = ((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);

	s->high_byte = s->width == 1 && !rex && reg >= 4 && reg <= 7;
	s->gpr = s->high_byte ? reg - 4 : reg;
}

/* Whether [0, end) fits an instruction and the bytes given. */
static enum store_decode fits(unsigned end, unsigned n)
{
	if (end > INSN_STORE_MAX_LEN)
		return STORE_UNKNOWN;  /* #GP natively too (2.3.11) */
	return end > n ? STORE_SHORT : STORE_OK;
}

/* The ModRM at b[i] (a memory operand), then SIB, displacement and
 * imm_bytes of immediate (0 for a register source). */
static enum store_decode modrm_form(const uint8_t *b, unsigned n, unsigned i, bool a16,
				    unsigned imm_bytes, struct store_insn *s)
{
	bool has_sib;
	unsigned end;
	enum store_decode r;

	if ((r = fits(i + 1, n)) != STORE_OK)
		return r;
	if (b[i] >> 6 == 3)
		return STORE_UNKNOWN;  /* a register destination cannot fault on memory */
	has_sib = !a16 && (b[i] & 7) == 4;
	if (has_sib && (r = fits(i + 2, n)) != STORE_OK)
		return r;
	end = i + 1 + has_sib + disp_bytes(b[i], has_sib ? b[i + 1] : 0, a16) + imm_bytes;
	if ((r = fits(end, n)) != STORE_OK)
		return r;
	if (imm_bytes)
		s->imm_value = sign_extend(little_endian(&b[end - imm_bytes], imm_bytes),
					   imm_bytes, s->width);
	s->len = end;
	return STORE_OK;
}

/* MOV moffs, AL/rAX (A2, A3): the offset is as wide as the address. */
static enum store_decode moffs_form(unsigned n, unsigned i, const struct prefixes *p,
				    enum insn_mode mode, struct store_insn *s)
{
	unsigned off = mode == INSN_MODE_64 ? (p->adsize ? 4 : 8) : addr16(p, mode) ? 2 : 4;

	s->gpr = 0;
	s->len = i + off;
	return fits(s->len, n);
}

static unsigned imm_bytes(unsigned width)
{
	return width > 4 ? 4 : width;  /* imm32 sign-extended for 64 bits */
}

enum store_decode decode_store(const uint8_t *b, unsigned n, enum insn_mode mode,
			       struct store_insn *out)
{
	struct prefixes p;
	struct store_insn s = { 0 };
	unsigned i, op;
	bool a16;
	enum store_decode r;

	if (n > INSN_STORE_MAX_LEN)
		n = INSN_STORE_MAX_LEN;
	i = read_prefixes(b, n, mode, &p);
	if (i >= n)
		return i >= INSN_STORE_MAX_LEN ? STORE_UNKNOWN : STORE_SHORT;
	op = b[i++];
	a16 = addr16(&p, mode);
	s.width = op & 1 ? operand_width(&p, mode) : 1;
	/* LOCK on anything but XCHG is #UD (vol. 2A LOCK). */
	if (p.lock && op != 0x86 && op != 0x87)
		return STORE_UNKNOWN;
	switch (op) {
	case 0x86: case 0x87:
		s.xchg = true;
		/* fall through */
	case 0x88: case 0x89:
		if (i < n)
			reg_source(&s, b[i], p.rex);
		r = modrm_form(b, n, i, a16, 0, &s);
		break;
	case 0xc6: case 0xc7:
		if (i < n && ((b[i] >> 3) & 7) != 0)
			return STORE_UNKNOWN;  /* /7 is XABORT/XBEGIN, the rest #UD */
		s.imm = true;
		r = modrm_form(b, n, i, a16, imm_bytes(s.width), &s);
		break;
	case 0xa2: case 0xa3:
		r = moffs_form(n, i, &p, mode, &s);
		break;
	case 0x0f:
		if (i >= n)
			return STORE_SHORT;
		/* MOVNTI m32/m64, r: a 0x66 prefix makes it no MOVNTI. */
		if (b[i++] != 0xc3 || p.opsize)
			return STORE_UNKNOWN;
		s.width = mode == INSN_MODE_64 && (p.rex & REX_W) ? 8 : 4;
		if (i < n)
			reg_source(&s, b[i], p.rex);
		r = modrm_form(b, n, i, a16, 0, &s);
		break;
	default:
		return STORE_UNKNOWN;
	}
	if (r == STORE_OK)
		*out = s;
	return r;
}

#define FETCH_PAGE 4096ull

unsigned insn_fetch(insn_read_fn read, void *ctx, uint64_t la, uint8_t *buf)
{
	unsigned got = 0;

	while (got < INSN_STORE_MAX_LEN) {
		uint64_t at = la + got, room = FETCH_PAGE - (at & (FETCH_PAGE - 1));
		unsigned len = INSN_STORE_MAX_LEN - got;

		if (len > room)
			len = (unsigned)room;
		if (!read(ctx, at, buf + got, len))
			break;
		got += len;
	}
	return got;
}
