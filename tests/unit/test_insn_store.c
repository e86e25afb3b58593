/* Unit tests of the MMIO store decoder and instruction fetch
 * (core/insn_store.c). The 64-bit encodings are GNU as 2.40 output
 * (objdump -d -M intel shown beside each); the 32- and 16-bit ones from
 * SDM vol. 2A tables 2-1 and 2-2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/insn_store.h"

#define B(...) { __VA_ARGS__ }
#define NO_IMM 0x5a5a5a5a5a5a5a5aull /* no test immediate has this value */

/* A full encoding decodes with its whole length; every shorter prefix of
 * it is STORE_SHORT; trailing bytes are ignored. */
static void check(enum insn_mode mode, const uint8_t *b, unsigned n, unsigned width,
		  uint64_t imm, unsigned gpr, int high, int xchg)
{
	uint8_t padded[INSN_STORE_MAX_LEN + 4];
	struct store_insn s;
	unsigned k;

	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(decode_store(b, n, mode, &s), STORE_OK);
	assert_int_equal(s.len, n);
	assert_int_equal(s.width, width);
	assert_int_equal(s.imm, imm != NO_IMM);
	if (imm != NO_IMM) {
		assert_int_equal(s.imm_value, imm);
	} else {
		assert_int_equal(s.gpr, gpr);
		assert_int_equal(s.high_byte, high);
	}
	assert_int_equal(s.xchg, xchg);
	for (k = 0; k < n; k++)
		assert_int_equal(decode_store(b, k, mode, &s), STORE_SHORT);
	memcpy(padded, b, n);
	memset(padded + n, 0x90, sizeof(padded) - n);
	assert_int_equal(decode_store(padded, sizeof(padded), mode, &s), STORE_OK);
	assert_int_equal(s.len, n);
}

#define OK64(bytes, w, imm, gpr, hi, xc)                                           \
	do {                                                                       \
		const uint8_t b_[] = bytes;                                        \
		check(INSN_MODE_64, b_, sizeof(b_), w, imm, gpr, hi, xc);          \
	} while (0)
#define OK(mode, bytes, w, imm, gpr)                                               \
	do {                                                                       \
		const uint8_t b_[] = bytes;                                        \
		check(mode, b_, sizeof(b_), w, imm, gpr, 0, 0);                    \
	} while (0)
#define UNKNOWN(mode, bytes)                                                       \
	do {                                                                       \
		const uint8_t b_[] = bytes;                                        \
		struct store_insn s_;                                              \
		assert_int_equal(decode_store(b_, sizeof(b_), mode, &s_), STORE_UNKNOWN); \
	} while (0)

static void test_mov_reg_64(void **state)
{
	(void)state;
	OK64(B(0x89, 0x10), 4, NO_IMM, 2, 0, 0);                 /* mov [rax],edx */
	OK64(B(0x89, 0x81, 0xb0, 0, 0, 0), 4, NO_IMM, 0, 0, 0);  /* mov [rcx+0xb0],eax */
	OK64(B(0x89, 0xb4, 0x98, 0, 3, 0, 0), 4, NO_IMM, 6, 0, 0); /* [rax+rbx*4+0x300],esi */
	OK64(B(0x89, 0x3c, 0x24), 4, NO_IMM, 7, 0, 0);           /* mov [rsp],edi */
	OK64(B(0x89, 0x6c, 0x24, 8), 4, NO_IMM, 5, 0, 0);        /* mov [rsp+8],ebp */
	OK64(B(0x89, 0x45, 0), 4, NO_IMM, 0, 0, 0);              /* mov [rbp+0],eax */
	OK64(B(0x45, 0x89, 0x4d, 0), 4, NO_IMM, 9, 0, 0);        /* mov [r13+0],r9d */
	OK64(B(0x45, 0x89, 0xbc, 0x24, 0x78, 0x56, 0x34, 0x12), 4, NO_IMM, 15, 0, 0);
	OK64(B(0x89, 0x0d, 0, 0x10, 0, 0), 4, NO_IMM, 1, 0, 0);  /* mov [rip+0x1000],ecx */
	OK64(B(0x89, 0x04, 0xdd, 0x80, 0, 0, 0), 4, NO_IMM, 0, 0, 0); /* [rbx*8+0x80],eax */
	OK64(B(0x4c, 0x89, 0x07), 8, NO_IMM, 8, 0, 0);           /* mov [rdi],r8 */
	OK64(B(0x66, 0x89, 0x46, 2), 2, NO_IMM, 0, 0, 0);        /* mov [rsi+2],ax */
	OK64(B(0x64, 0x89, 0x00), 4, NO_IMM, 0, 0, 0);           /* mov fs:[rax],eax */
	OK64(B(0x67, 0x89, 0x90, 0x80, 0, 0, 0), 4, NO_IMM, 2, 0, 0); /* [eax+0x80],edx */
	OK64(B(0x67, 0x89, 0x54, 0x58, 0x10), 4, NO_IMM, 2, 0, 0); /* [eax+ebx*2+0x10] */
	/* mod 00, SIB base 101: disp32, no base ([rbp*1+disp32]). */
	OK64(B(0x89, 0x04, 0x2d, 0x80, 0, 0, 0), 4, NO_IMM, 0, 0, 0);
	/* REX.W with 0x66: REX.W wins (vol. 2A 2.2.1.2). */
	OK64(B(0x66, 0x48, 0x89, 0x00), 8, NO_IMM, 0, 0, 0);
	/* A REX before a legacy prefix is ignored: 32-bit, not 64. */
	OK64(B(0x48, 0x66, 0x89, 0x00), 2, NO_IMM, 0, 0, 0);
	/* F3 (XRELEASE) on a store, and two REX prefixes (the last counts). */
	OK64(B(0xf3, 0x89, 0x00), 4, NO_IMM, 0, 0, 0);
	OK64(B(0x48, 0x41, 0x89, 0x00), 4, NO_IMM, 0, 0, 0);
}

static void test_mov_byte_regs(void **state)
{
	(void)state;
	OK64(B(0x88, 0x87, 0x80, 0, 0, 0), 1, NO_IMM, 0, 0, 0);        /* al */
	OK64(B(0x88, 0xa7, 0x80, 0, 0, 0), 1, NO_IMM, 0, 1, 0);        /* ah */
	OK64(B(0x88, 0xbf, 0x80, 0, 0, 0), 1, NO_IMM, 3, 1, 0);        /* bh */
	OK64(B(0x40, 0x88, 0xb7, 0x80, 0, 0, 0), 1, NO_IMM, 6, 0, 0);  /* sil */
	OK64(B(0x44, 0x88, 0x97, 0x80, 0, 0, 0), 1, NO_IMM, 10, 0, 0); /* r10b */
}

static void test_mov_imm(void **state)
{
	(void)state;
	OK64(B(0xc7, 0x80, 0x80, 0, 0, 0, 0x78, 0x56, 0x34, 0x12), 4, 0x12345678, 0, 0, 0);
	OK64(B(0xc7, 0x84, 0x08, 0xb0, 0, 0, 0, 0, 0, 0, 0), 4, 0, 0, 0, 0);
	OK64(B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), 8, ~0ull, 0, 0, 0);
	OK64(B(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), 8, 0xffffffff80000000ull, 0, 0, 0);
	OK64(B(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), 4, 0x80000000ull, 0, 0, 0);
	OK64(B(0x66, 0xc7, 0x80, 0x80, 0, 0, 0, 0xef, 0xbe), 2, 0xbeef, 0, 0, 0);
	OK64(B(0xc6, 0x80, 0x80, 0, 0, 0, 0x7f), 1, 0x7f, 0, 0, 0);
	OK64(B(0x43, 0xc6, 0x44, 0x63, 0xfc, 0x80), 1, 0x80, 0, 0, 0); /* [r11+r12*2-4] */
	/* RIP-relative with an immediate: disp32 then imm32. */
	OK64(B(0xc7, 0x05, 0x10, 0, 0, 0, 1, 0, 0, 0), 4, 1, 0, 0, 0);
}

static void test_xchg_movnti_moffs(void **state)
{
	(void)state;
	OK64(B(0x87, 0x88, 0x80, 0, 0, 0), 4, NO_IMM, 1, 0, 1);        /* xchg [rax+0x80],ecx */
	OK64(B(0x4d, 0x87, 0xb1, 0x80, 0, 0, 0), 8, NO_IMM, 14, 0, 1); /* xchg [r9+0x80],r14 */
	OK64(B(0x86, 0x10), 1, NO_IMM, 2, 0, 1);                       /* xchg [rax],dl */
	OK64(B(0xf0, 0x87, 0x88, 0x80, 0, 0, 0), 4, NO_IMM, 1, 0, 1);  /* lock xchg */
	OK64(B(0x0f, 0xc3, 0x82, 0x80, 0, 0, 0), 4, NO_IMM, 0, 0, 0);  /* movnti [rdx+0x80],eax */
	OK64(B(0x4c, 0x0f, 0xc3, 0x1a), 8, NO_IMM, 11, 0, 0);          /* movnti [rdx],r11 */
	/* movabs ds:0xfee000b0,eax: an 8-byte offset in 64-bit mode. */
	OK64(B(0xa3, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0), 4, NO_IMM, 0, 0, 0);
	OK64(B(0x67, 0xa3, 0xb0, 0, 0xe0, 0xfe), 4, NO_IMM, 0, 0, 0);  /* addr32 moffs */
	OK64(B(0xa2, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0), 1, NO_IMM, 0, 0, 0);
	OK64(B(0x48, 0xa3, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0), 8, NO_IMM, 0, 0, 0);
}

static void test_32_and_16_bit(void **state)
{
	(void)state;
	OK(INSN_MODE_32, B(0x89, 0x05, 0xb0, 0, 0xe0, 0xfe), 4, NO_IMM, 0);   /* [disp32] */
	OK(INSN_MODE_32, B(0x89, 0x44, 0x24, 4), 4, NO_IMM, 0);               /* [esp+4] */
	OK(INSN_MODE_32, B(0x66, 0x89, 0x18), 2, NO_IMM, 3);
	OK(INSN_MODE_32, B(0xa3, 0xb0, 0, 0xe0, 0xfe), 4, NO_IMM, 0);
	OK(INSN_MODE_32, B(0xc7, 0x05, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0), 4, 0, 0);
	/* In 32-bit mode 0x40-0x4f are INC/DEC, not REX. */
	UNKNOWN(INSN_MODE_32, B(0x48, 0x89, 0x00));
	/* 0x67 in 32-bit mode: 16-bit addressing, [bx+si] has no SIB. */
	OK(INSN_MODE_32, B(0x67, 0x89, 0x00), 4, NO_IMM, 0);
	OK(INSN_MODE_32, B(0x67, 0x89, 0x06, 0x34, 0x12), 4, NO_IMM, 0);      /* [disp16] */
	OK(INSN_MODE_16, B(0x89, 0x04), 2, NO_IMM, 0);                        /* [si] */
	OK(INSN_MODE_16, B(0x89, 0x47, 0x10), 2, NO_IMM, 0);                  /* [bx+0x10] */
	OK(INSN_MODE_16, B(0x89, 0x87, 0x10, 0x20), 2, NO_IMM, 0);            /* [bx+disp16] */
	OK(INSN_MODE_16, B(0x66, 0x89, 0x04), 4, NO_IMM, 0);
	OK(INSN_MODE_16, B(0xc7, 0x06, 0x34, 0x12, 0xcd, 0xab), 2, 0xabcd, 0);
	OK(INSN_MODE_16, B(0x66, 0x67, 0x89, 0x04, 0x24), 4, NO_IMM, 0);      /* [esp] */
}

static void test_unknown(void **state)
{
	(void)state;
	UNKNOWN(INSN_MODE_64, B(0x83, 0x80, 0x80, 0, 0, 0, 0));  /* add dword [rax+0x80],0 */
	UNKNOWN(INSN_MODE_64, B(0x01, 0x00));                     /* add [rax],eax */
	UNKNOWN(INSN_MODE_64, B(0x09, 0x00));                     /* or [rax],eax */
	UNKNOWN(INSN_MODE_64, B(0xa5));                           /* movsd */
	UNKNOWN(INSN_MODE_64, B(0xf3, 0xab));                     /* rep stosd */
	UNKNOWN(INSN_MODE_64, B(0x89, 0xc0));                     /* mov eax,eax: no memory */
	UNKNOWN(INSN_MODE_64, B(0xc7, 0xc0, 0, 0, 0, 0));        /* mov eax,imm: no memory */
	UNKNOWN(INSN_MODE_64, B(0x87, 0xc1));                     /* xchg ecx,eax */
	UNKNOWN(INSN_MODE_64, B(0xc7, 0x08, 0, 0, 0, 0));        /* C7 /1: reserved */
	UNKNOWN(INSN_MODE_64, B(0xc7, 0xf8, 0, 0, 0, 0));        /* xbegin */
	UNKNOWN(INSN_MODE_64, B(0xf0, 0x89, 0x00));               /* lock mov: #UD */
	UNKNOWN(INSN_MODE_64, B(0x66, 0x0f, 0xc3, 0x00));         /* not movnti */
	UNKNOWN(INSN_MODE_64, B(0x0f, 0x11, 0x00));               /* movups */
	UNKNOWN(INSN_MODE_64, B(0x8b, 0x00));                     /* a load */
	UNKNOWN(INSN_MODE_64, B(0x0f, 0x0b));                     /* ud2 */
	{
		/* 14 prefixes, then a 2-byte MOV: 16 bytes, #GP natively. */
		uint8_t b[16];
		struct store_insn s;

		memset(b, 0x66, 14);
		b[14] = 0x89, b[15] = 0x00;
		assert_int_equal(decode_store(b, sizeof(b), INSN_MODE_64, &s), STORE_UNKNOWN);
		memset(b, 0x2e, sizeof(b));
		assert_int_equal(decode_store(b, sizeof(b), INSN_MODE_64, &s), STORE_UNKNOWN);
		/* 13 prefixes + 89 00 = 15: still an instruction. */
		b[13] = 0x89, b[14] = 0x00;
		assert_int_equal(decode_store(b, 15, INSN_MODE_64, &s), STORE_OK);
		assert_int_equal(s.len, 15);
		/* A disp32 + imm32 that takes it past 15. */
		memset(b, 0x2e, 6);
		memcpy(b + 6, (uint8_t[]){ 0xc7, 0x80, 0, 0, 0, 0, 0, 0, 0, 0 }, 10);
		assert_int_equal(decode_store(b, 16, INSN_MODE_64, &s), STORE_UNKNOWN);
	}
}

/* Random bytes: the decoder never reads past n (ASan) and whatever it
 * accepts fits in the bytes it was given. */
static void test_garbage(void **state)
{
	unsigned round;

	(void)state;
	srand(14);
	for (round = 0; round < 200000; round++) {
		unsigned n = (unsigned)rand() % (INSN_STORE_MAX_LEN + 2), i;
		uint8_t *b = malloc(n ? n : 1);
		struct store_insn s;
		enum store_decode r;

		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rand();
		if (n && round % 3 == 0)
			b[n / 2] = 0x89;  /* more plausible stores */
		r = decode_store(b, n, (enum insn_mode)(round % 3), &s);
		if (r == STORE_OK) {
			assert_true(s.len >= 1 && s.len <= n && s.len <= INSN_STORE_MAX_LEN);
			assert_true(s.width == 1 || s.width == 2 || s.width == 4 || s.width == 8);
			assert_true(s.gpr < 16);
		}
		free(b);
	}
}

/* A fake guest: linear pages [first_bad_page, ...) cannot be read. */
struct fake_mem {
	uint64_t first_bad_page;
	unsigned reads;
};

static bool fake_read(void *ctx, uint64_t la, void *buf, unsigned len)
{
	struct fake_mem *m = ctx;
	unsigned i;

	/* insn_fetch never asks for a range that crosses a page. */
	assert_int_equal(la >> 12, (la + len - 1) >> 12);
	m->reads++;
	if ((la >> 12) >= m->first_bad_page)
		return false;
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(la + i);
	return true;
}

static void test_fetch_page_crossing(void **state)
{
	struct fake_mem m = { .first_bad_page = 2 };
	uint8_t buf[INSN_STORE_MAX_LEN];
	unsigned i;

	(void)state;
	assert_int_equal(insn_fetch(fake_read, &m, 0x1000, buf), 15);
	for (i = 0; i < 15; i++)
		assert_int_equal(buf[i], (uint8_t)(0x1000 + i));
	assert_int_equal(m.reads, 1);
	m.reads = 0;
	/* 3 bytes before the bad page: only those. */
	assert_int_equal(insn_fetch(fake_read, &m, 0x1ffd, buf), 3);
	assert_int_equal(buf[2], 0xff);
	assert_int_equal(m.reads, 2);
	/* Crossing between two good pages: both halves. */
	m.first_bad_page = 3;
	assert_int_equal(insn_fetch(fake_read, &m, 0x1ff9, buf), 15);
	assert_int_equal(buf[7], 0x00);   /* 0x2000 */
	/* Nothing readable. */
	assert_int_equal(insn_fetch(fake_read, &m, 0x3000, buf), 0);
	/* The top of the address space wraps without reading past it. */
	m.first_bad_page = ~0ull;
	assert_int_equal(insn_fetch(fake_read, &m, 0xfffffffffffffffaull, buf), 15);
}

/* A store cut by an unreadable page is STORE_SHORT, not a wrong length. */
static void test_fetch_then_decode(void **state)
{
	const uint8_t insn[] = { 0xc7, 0x80, 0xb0, 0, 0, 0, 0, 0, 0, 0 };
	struct store_insn s;
	unsigned k;

	(void)state;
	for (k = 0; k < sizeof(insn); k++)
		assert_int_equal(decode_store(insn, k, INSN_MODE_64, &s), STORE_SHORT);
	assert_int_equal(decode_store(insn, sizeof(insn), INSN_MODE_64, &s), STORE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_reg_64),
		cmocka_unit_test(test_mov_byte_regs),
		cmocka_unit_test(test_mov_imm),
		cmocka_unit_test(test_xchg_movnti_moffs),
		cmocka_unit_test(test_32_and_16_bit),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_fetch_page_crossing),
		cmocka_unit_test(test_fetch_then_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
