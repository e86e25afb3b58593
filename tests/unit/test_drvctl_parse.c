/*
 * Host unit tests of drvctl's pure parts (tools/drvctl/drvctl_proto.c): the
 * machine-mode reply parser, the flags, the command each action sends and
 * what it prints.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tools/drvctl/drvctl_proto.h"

static struct drv_reply r;

/* Parse a copy of text as a reply line. */
static enum drv_reply_kind parse(const char *text)
{
	static char line[8192];

	snprintf(line, sizeof(line), "%s", text);
	return drv_parse_reply(line, &r);
}

static void test_reply_ok(void **state)
{
	(void)state;
	assert_int_equal(parse("dr7=0x0000000000000400 ok"), DRV_REPLY_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(drv_reply_get(&r, "dr7"), "0x0000000000000400");
	assert_null(drv_reply_get(&r, "dr6"));
	assert_int_equal(parse("dr7=0x0000000000000401 ok\r\n"), DRV_REPLY_OK);
	assert_string_equal(drv_reply_get(&r, "dr7"), "0x0000000000000401");
	assert_int_equal(parse("ok"), DRV_REPLY_OK);
	assert_int_equal(r.n, 0);
	assert_int_equal(parse("paused ok\n"), DRV_REPLY_OK);
	assert_string_equal(drv_reply_get(&r, "paused"), "");
	assert_int_equal(parse("version=0.1.0 cpu=\"GenuineIntel vmx ept\" empty=\"\" x.y-z_1=a ok"),
			 DRV_REPLY_OK);
	assert_int_equal(r.n, 4);
	assert_string_equal(drv_reply_get(&r, "version"), "0.1.0");
	assert_string_equal(drv_reply_get(&r, "cpu"), "GenuineIntel vmx ept");
	assert_string_equal(drv_reply_get(&r, "empty"), "");
	assert_string_equal(drv_reply_get(&r, "x.y-z_1"), "a");
	/* "ok" only counts last. */
	assert_int_equal(parse("ok ok"), DRV_REPLY_OK);
	assert_int_equal(r.n, 1);
}

static void test_reply_error(void **state)
{
	(void)state;
	assert_int_equal(parse("error: dr7 bits 63:32 must be 0: 0x100000400\r"),
			 DRV_REPLY_ERROR);
	assert_string_equal(r.error, "dr7 bits 63:32 must be 0: 0x100000400");
	assert_int_equal(parse("error: "), DRV_REPLY_ERROR);
	assert_string_equal(r.error, "");
	assert_int_equal(parse("ERROR: x"), DRV_NOT_REPLY);
	assert_int_equal(parse("error:x"), DRV_NOT_REPLY);
}

static void test_not_replies(void **state)
{
	static const char *const lines[] = {
		"", "\r", "drvisor> mode machine", "drvisor> ", "dr7=0x400",
		"dr7=0x400 ok extra", "a= ok", "=x ok", "a  ok", " ok", "a=\"open ok",
		"a=\"x\"y ok", "a=b=c ok", "^C", "[core] vmx: launched ok?", "ok\tok",
		"mode=human",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (parse(lines[i]) != DRV_NOT_REPLY)
			fail_msg("'%s' parsed as a reply", lines[i]);
		assert_int_equal(r.n, 0);
	}
}

static void test_reply_many_items(void **state)
{
	static char line[8192];
	size_t len = 0;
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "r%d=%d ", i, i);
	snprintf(line + len, sizeof(line) - len, "ok");
	assert_int_equal(parse(line), DRV_REPLY_OK);
	assert_int_equal(r.n, DRV_ITEMS_MAX);
	assert_true(r.truncated);
	assert_string_equal(drv_reply_get(&r, "r159"), "159");
	assert_null(drv_reply_get(&r, "r160"));
}

static struct drv_opts o;
static char err[256];

/* Parse a NULL-terminated argument list (after argv[0]). */
static int args(const char *first, ...)
{
	char *argv[64] = { "drvctl" };
	int argc = 1;
	va_list ap;
	const char *a;

	va_start(ap, first);
	for (a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = 0;
	return drv_parse_args(argc, argv, &o, err, sizeof(err));
}

static void test_args_order(void **state)
{
	(void)state;
	assert_int_equal(args("--socket=/tmp/s", "--get-dr7", "--set-dr0=0x1000", "--vcpu=1",
			      "--get-all", "--pause", "--step", "--step=10", "--cont", "--stats",
			      "--reset-stats", "--get-debugctl", "--set-debugctl=3", NULL), 0);
	assert_string_equal(o.socket, "/tmp/s");
	assert_null(o.device);
	assert_int_equal(o.timeout_ms, DRV_TIMEOUT_MS_DEFAULT);
	assert_int_equal(o.n, 13);
	assert_int_equal(o.a[0].kind, DRV_VCPU);
	assert_string_equal(o.a[0].arg, "0");
	assert_int_equal(o.a[1].kind, DRV_GET);
	assert_string_equal(o.a[1].reg, "dr7");
	assert_int_equal(o.a[2].kind, DRV_SET);
	assert_string_equal(o.a[2].reg, "dr0");
	assert_string_equal(o.a[2].arg, "0x1000");
	assert_int_equal(o.a[3].kind, DRV_VCPU);
	assert_string_equal(o.a[3].arg, "1");
	assert_int_equal(o.a[4].kind, DRV_GET_ALL);
	assert_int_equal(o.a[5].kind, DRV_PAUSE);
	assert_int_equal(o.a[6].kind, DRV_STEP);
	assert_string_equal(o.a[6].arg, "");
	assert_string_equal(o.a[7].arg, "10");
	assert_int_equal(o.a[8].kind, DRV_CONT);
	assert_int_equal(o.a[9].kind, DRV_STATS);
	assert_int_equal(o.a[10].kind, DRV_STATS_RESET);
	assert_string_equal(o.a[11].reg, "debugctl");
	assert_int_equal(o.a[12].kind, DRV_SET);
	assert_string_equal(o.a[12].arg, "3");
	assert_int_equal(args("--socket=/tmp/s", "--pause-all", "--stats-all", "--cont-all",
			      NULL), 0);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.a[1].kind, DRV_PAUSE_ALL);
	assert_int_equal(o.a[2].kind, DRV_STATS_ALL);
	assert_int_equal(o.a[3].kind, DRV_CONT_ALL);
}

static void test_args_connection(void **state)
{
	(void)state;
	assert_int_equal(args("--vcpu", "1", "--device", "/dev/ttyUSB0", "--baud", "9600",
			      "--timeout", "2.5", "--get-dr6", NULL), 0);
	assert_string_equal(o.device, "/dev/ttyUSB0");
	assert_int_equal(o.baud, 9600);
	assert_int_equal(o.timeout_ms, 2500);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.a[0].arg, "1");
	assert_int_equal(args("--help", "--bogus", NULL), 0);
	assert_true(o.help);
	assert_int_equal(args("--socket=s", "-h", NULL), 0);
	assert_true(o.help);
}

static void test_args_errors(void **state)
{
	static const struct { const char *a, *b, *msg; } cases[] = {
		{ "--get-dr4", NULL, "--get-dr4: dr4 and dr5 are aliases of dr6 and dr7" },
		{ "--set-dr5=0", NULL, "--set-dr5: dr4 and dr5 are aliases" },
		{ "--get-dr8", NULL, "unknown option --get-dr8" },
		{ "--get-dr10", NULL, "unknown option --get-dr10" },
		{ "--set-dr0", NULL, "--set-dr0 needs =VALUE" },
		{ "--set-dr0=", NULL, "--set-dr0=: bad argument ''" },
		{ "--set-dr0=1 2", NULL, "bad argument '1 2'" },
		{ "--set-dr0=1\ndr 7 0", NULL, "bad argument" },
		{ "--set-dr0=0123456789abcdef0123456789abcdef", NULL, "bad argument" },
		{ "--get-dr7=5", NULL, "--get-dr7 takes no value" },
		{ "--vcpu=-1", NULL, "--vcpu: bad argument '-1'" },
		{ "--step=", NULL, "--step: bad argument ''" },
		{ "--frob", NULL, "unknown argument --frob" },
		{ "positional", NULL, "unknown argument positional" },
		{ "--timeout=0", "--get-dr7", "--timeout: bad number of seconds '0'" },
		{ "--timeout=x", "--get-dr7", "--timeout: bad number" },
		{ "--timeout=99999", "--get-dr7", "--timeout: bad number" },
		{ "--baud=fast", "--get-dr7", "--baud: bad rate 'fast'" },
		{ "--get-dr7", "--timeout", "--timeout needs a value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cases[i].b ? args("--socket=s", cases[i].a, cases[i].b, NULL)
				    : args("--socket=s", cases[i].a, NULL);

		if (rc != -1 || !strstr(err, cases[i].msg))
			fail_msg("%s %s: rc %d, message '%s'", cases[i].a,
				 cases[i].b ? cases[i].b : "", rc, err);
	}
	assert_int_equal(args("--get-dr7", NULL), -1);
	assert_string_equal(err, "give one of --socket=PATH or --device=TTY");
	assert_int_equal(args("--socket=a", "--device=b", "--get-dr7", NULL), -1);
	assert_int_equal(args("--socket=a", NULL), -1);
	assert_string_equal(err, "nothing to do: give at least one action (--help)");
}

static void test_args_too_many(void **state)
{
	char *argv[DRV_ACTIONS_MAX + 4];
	int i;

	(void)state;
	argv[0] = "drvctl";
	argv[1] = "--socket=s";
	for (i = 0; i < DRV_ACTIONS_MAX + 1; i++)
		argv[2 + i] = "--get-dr7";
	assert_int_equal(drv_parse_args(DRV_ACTIONS_MAX + 2, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.n, DRV_ACTIONS_MAX + 1);
	assert_int_equal(drv_parse_args(DRV_ACTIONS_MAX + 3, argv, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many actions"));
}

static void test_commands(void **state)
{
	static const struct { struct drv_action a; const char *cmd; } cases[] = {
		{ { DRV_GET, "dr0", "" }, "dr 0" },
		{ { DRV_GET, "dr7", "" }, "dr 7" },
		{ { DRV_SET, "dr6", "0" }, "dr 6 0" },
		{ { DRV_GET, "debugctl", "" }, "debugctl" },
		{ { DRV_SET, "debugctl", "0x3" }, "debugctl 0x3" },
		{ { DRV_GET_ALL, NULL, "" }, "dr" },
		{ { DRV_VCPU, NULL, "1" }, "vcpu 1" },
		{ { DRV_PAUSE, NULL, "" }, "pause" },
		{ { DRV_CONT, NULL, "" }, "cont" },
		{ { DRV_STEP, NULL, "" }, "step" },
		{ { DRV_STEP, NULL, "10" }, "step 10" },
		{ { DRV_STATS, NULL, "" }, "stats" },
		{ { DRV_STATS_RESET, NULL, "" }, "stats reset" },
		{ { DRV_PAUSE_ALL, NULL, "" }, "pause all" },
		{ { DRV_CONT_ALL, NULL, "" }, "cont all" },
		{ { DRV_STATS_ALL, NULL, "" }, "stats all" },
	};
	char buf[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drv_command(&cases[i].a, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].cmd);
	}
}

/* What drv_print writes for action a from reply text; "-1" when it fails. */
static const char *printed(struct drv_action a, const char *reply)
{
	static char *buf;
	size_t len;
	FILE *f;
	int rc;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(parse(reply), DRV_REPLY_OK);
	rc = drv_print(&a, &r, f);
	fclose(f);
	return rc < 0 ? "-1" : buf;
}

static void test_print(void **state)
{
	(void)state;
	assert_string_equal(printed((struct drv_action){ DRV_GET, "dr7", "" },
				    "dr7=0x0000000000000400 ok"), "dr7=0x0000000000000400\n");
	assert_string_equal(printed((struct drv_action){ DRV_SET, "debugctl", "1" },
				    "debugctl=0x0000000000000001 ok"),
			    "debugctl=0x0000000000000001\n");
	assert_string_equal(printed((struct drv_action){ DRV_GET, "dr7", "" },
				    "dr6=0x0000000000000400 ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_GET, "dr7", "" }, "dr7 ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_GET_ALL, NULL, "" },
				    "dr0=0x0 dr1=0x1 dr2=0x2 dr3=0x3 dr6=0x6 dr7=0x7 debugctl=0x8 ok"),
			    "dr0=0x0\ndr1=0x1\ndr2=0x2\ndr3=0x3\ndr6=0x6\ndr7=0x7\ndebugctl=0x8\n");
	assert_string_equal(printed((struct drv_action){ DRV_GET_ALL, NULL, "" },
				    "dr0=0x0 dr1=0x1 ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_VCPU, NULL, "1" },
				    "vcpu=1 vcpus=2 state=running ok"), "");
	assert_string_equal(printed((struct drv_action){ DRV_VCPU, NULL, "1" }, "ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_PAUSE, NULL, "" }, "paused ok"), "");
	assert_string_equal(printed((struct drv_action){ DRV_PAUSE, NULL, "" }, "running ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_CONT, NULL, "" }, "running ok"), "");
	assert_string_equal(printed((struct drv_action){ DRV_STATS_RESET, NULL, "" }, "reset ok"), "");
	assert_string_equal(printed((struct drv_action){ DRV_STEP, NULL, "" },
				    "stepped=1 rip=0x0000000000001000 ok"),
			    "stepped=1\nrip=0x0000000000001000\n");
	assert_string_equal(printed((struct drv_action){ DRV_STATS, NULL, "" },
				    "total=3 cpuid=2 io=1 ok"), "total=3\ncpuid=2\nio=1\n");
	assert_string_equal(printed((struct drv_action){ DRV_STATS, NULL, "" }, "ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_PAUSE_ALL, NULL, "" },
				    "paused=0,1 ok"), "paused=0,1\n");
	assert_string_equal(printed((struct drv_action){ DRV_PAUSE_ALL, NULL, "" },
				    "running=0 ok"), "-1");
	assert_string_equal(printed((struct drv_action){ DRV_CONT_ALL, NULL, "" },
				    "running=none ok"), "running=none\n");
	assert_string_equal(printed((struct drv_action){ DRV_STATS_ALL, NULL, "" },
				    "vcpus=2 vcpu0=5 vcpu1=1 total=6 cpuid=6 ok"),
			    "vcpus=2\nvcpu0=5\nvcpu1=1\ntotal=6\ncpuid=6\n");
	assert_string_equal(printed((struct drv_action){ DRV_STATS_ALL, NULL, "" },
				    "total=6 ok"), "-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_ok), cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_not_replies), cmocka_unit_test(test_reply_many_items),
		cmocka_unit_test(test_args_order), cmocka_unit_test(test_args_connection),
		cmocka_unit_test(test_args_errors), cmocka_unit_test(test_args_too_many),
		cmocka_unit_test(test_commands), cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
