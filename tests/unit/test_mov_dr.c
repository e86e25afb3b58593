/* Unit tests of the MOV to/from DRn decoder (core/insn_mov_dr.c), with
 * encodings as an assembler emits them (SDM vol. 2B, MOV—Move to/from
 * Debug Registers; REX: vol. 2A 2.2.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/insn_mov_dr.h"

#define DECODE(ok, bytes, dr_, gpr_, to_, len_)                                    \
	do {                                                                       \
		const uint8_t b[] = bytes;                                         \
		struct mov_dr d = { 0 };                                           \
		assert_int_equal(decode_mov_dr(b, sizeof(b), &d), ok);             \
		if (ok) {                                                          \
			assert_int_equal(d.dr, dr_);                               \
			assert_int_equal(d.gpr, gpr_);                             \
			assert_int_equal(d.to_dr, to_);                            \
			assert_int_equal(d.len, len_);                             \
		}                                                                  \
	} while (0)
#define B(...) { __VA_ARGS__ }

static void test_plain(void **state)
{
	(void)state;
	DECODE(1, B(0x0f, 0x23, 0xf0), 6, 0, 1, 3);       /* mov %rax,%dr6 */
	DECODE(1, B(0x0f, 0x21, 0xf3), 6, 3, 0, 3);       /* mov %dr6,%rbx */
	DECODE(1, B(0x0f, 0x23, 0xe4), 4, 4, 1, 3);       /* mov %rsp,%dr4 */
	DECODE(1, B(0x0f, 0x23, 0x38), 7, 0, 1, 3);       /* mod 00 still a register */
	DECODE(1, B(0x0f, 0x23, 0xf0, 0x90, 0x90), 6, 0, 1, 3); /* trailing bytes ignored */
}

static void test_rex_and_prefixes(void **state)
{
	(void)state;
	DECODE(1, B(0x41, 0x0f, 0x23, 0xf1), 6, 9, 1, 4);       /* mov %r9,%dr6 */
	DECODE(1, B(0x44, 0x0f, 0x23, 0xf0), 14, 0, 1, 4);      /* REX.R: DR14 (#UD) */
	DECODE(1, B(0x66, 0x2e, 0x49, 0x0f, 0x23, 0xf7), 6, 15, 1, 6);
}

static void test_not_mov_dr(void **state)
{
	(void)state;
	DECODE(0, B(0x0f, 0x22, 0xd8), 0, 0, 0, 0);       /* mov %rax,%cr3 */
	DECODE(0, B(0x0f, 0x23), 0, 0, 0, 0);             /* cut short */
	DECODE(0, B(0x48, 0x41, 0x0f, 0x23, 0xf0), 0, 0, 0, 0); /* REX not last */
	DECODE(0, B(0x90), 0, 0, 0, 0);
	{
		uint8_t b[20];
		struct mov_dr d;

		for (unsigned i = 0; i < sizeof(b); i++)
			b[i] = 0x66;            /* 15 bytes of prefixes: too long */
		b[17] = 0x0f, b[18] = 0x23, b[19] = 0xf0;
		assert_false(decode_mov_dr(b, sizeof(b), &d));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_rex_and_prefixes),
		cmocka_unit_test(test_not_mov_dr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
