/* Unit tests of the core's printf-style formatter (core/format.c), compared
 * with the host C library's snprintf for every conversion the core uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/format.h"

/* Format with both implementations and demand the same text and length. */
#define SAME(...)                                                              \
	do {                                                                   \
		char ours[256], libc[256];                                     \
		int n1 = dv_snprintf(ours, sizeof(ours), __VA_ARGS__);         \
		int n2 = snprintf(libc, sizeof(libc), __VA_ARGS__);            \
		assert_string_equal(ours, libc);                               \
		assert_int_equal(n1, n2);                                      \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	SAME("%d %d %d", 0, -1, 2147483647);
	SAME("%i|%5d|%-5d|%05d", -2147483647 - 1, 42, 42, -42);
	SAME("%u %x %X", 4294967295u, 0xdeadbeefu, 0xabcdefu);
	SAME("%lx %llx %016llx", 0x123456789abcUL, 0xffffffffffffffffULL, 0x400ULL);
	SAME("%lu %lld %zu", 18446744073709551615UL, -9223372036854775807LL - 1, (size_t)77);
	SAME("%hhx %hx", 0x1ff, 0x1ffff);
}

static void test_strings_and_chars(void **state)
{
	(void)state;
	SAME("%s|%10s|%-10s|", "dr7", "dr7", "dr7");
	SAME("%c%c%%", 'o', 'k');
	SAME("%p", (void *)0x1000);
}

static void test_truncation(void **state)
{
	char buf[8];
	int n;

	(void)state;
	n = dv_snprintf(buf, sizeof(buf), "dr0=0x%016llx", 0x1234ULL);
	assert_int_equal(n, 22);
	assert_string_equal(buf, "dr0=0x0");
	n = dv_snprintf(buf, 0, "abc");
	assert_int_equal(n, 3);
	n = dv_snprintf(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");
}

static void test_null_string_and_unknown(void **state)
{
	char buf[32];

	(void)state;
	dv_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
	assert_string_equal(buf, "(null)");
	dv_snprintf(buf, sizeof(buf), "a%qb");
	assert_string_equal(buf, "a%qb");
	dv_snprintf(buf, sizeof(buf), "tail%");
	assert_string_equal(buf, "tail");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings_and_chars),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_null_string_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
