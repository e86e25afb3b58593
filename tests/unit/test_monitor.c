/*
 * Host unit tests of the monitor's command interpreter (core/monitor.c)
 * against the fake target (fake_target.c): every command in both modes,
 * the number syntax, every error path -- each proved to change nothing by
 * comparing the fake's state before and after -- and the line editor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/monitor.h"
#include "fake_target.h"

static char out[65536];
static size_t out_len;
static unsigned writes;

/* The monitor's sink: collect everything it writes. */
static void sink(const char *text, size_t len)
{
	assert_true(out_len + len < sizeof(out));
	memcpy(out + out_len, text, len);
	out_len += len;
	out[out_len] = 0;
	writes++;
}

static void clear(void)
{
	out_len = 0;
	out[0] = 0;
	writes = 0;
}

/* Type the bytes of s. */
static void feed(const char *s)
{
	for (; *s; s++)
		monitor_input((uint8_t)*s);
}

/* Type one command line and return what the monitor answered. */
static const char *run(const char *line)
{
	clear();
	feed(line);
	feed("\n");
	return out;
}

static int setup_human(void **state)
{
	(void)state;
	fake_reset();
	fake.strict = true;
	clear();
	monitor_init(&fake_target, sink);
	assert_string_equal(out, "drvisor> ");
	clear();
	return 0;
}

static int setup_machine(void **state)
{
	setup_human(state);
	assert_string_equal(run("mode machine"),
			    "mode machine\nmode=machine previous=human ok\n");
	clear();
	return 0;
}

static struct fake_vcpu saved[FAKE_VCPUS_MAX];

/* Remember the fake's registers, to prove later that nothing changed. */
static void snapshot(void)
{
	memcpy(saved, fake.v, sizeof(saved));
	fake.set_calls = 0;
}

/* line gets exactly the one-line error reply want, and changes nothing. */
static void expect_error(const char *line, const char *want)
{
	char full[512];

	snapshot();
	snprintf(full, sizeof(full), "error: %s\n", want);
	assert_string_equal(run(line), full);
	assert_int_equal(writes, 1);
	assert_memory_equal(saved, fake.v, sizeof(saved));
	assert_int_equal(fake.set_calls, 0);
}

/* ---- reading debug registers ---------------------------------------- */

static void test_human_echo_and_prompt(void **state)
{
	(void)state;
	assert_string_equal(run("dr 7"), "dr 7\ndr7=0x0000000000000400\ndrvisor> ");
	assert_string_equal(run(""), "\ndrvisor> ");
	assert_string_equal(run("   "), "   \ndrvisor> ");
}

static void test_dr_all_human(void **state)
{
	(void)state;
	fake.v[0].dbg[MON_DR0] = 0x1234;
	fake.v[0].dbg[MON_DEBUGCTL] = 1;
	assert_string_equal(run("dr"),
		"dr\n"
		"dr0=0x0000000000001234\ndr1=0x0000000000000000\n"
		"dr2=0x0000000000000000\ndr3=0x0000000000000000\n"
		"dr6=0x00000000ffff0ff0\ndr7=0x0000000000000400\n"
		"debugctl=0x0000000000000001\ndrvisor> ");
}

static void test_dr_all_machine(void **state)
{
	(void)state;
	fake.v[0].dbg[MON_DR3] = 0xffffffffffffffffull;
	assert_string_equal(run("dr"),
		"dr0=0x0000000000000000 dr1=0x0000000000000000 dr2=0x0000000000000000 "
		"dr3=0xffffffffffffffff dr6=0x00000000ffff0ff0 dr7=0x0000000000000400 "
		"debugctl=0x0000000000000000 ok\n");
	assert_int_equal(writes, 1);
}

static void test_dr_one(void **state)
{
	static const struct { const char *line, *reply; } cases[] = {
		{ "dr 0", "dr0=0x0000000000000010 ok\n" },
		{ "dr 1", "dr1=0x0000000000000011 ok\n" },
		{ "dr 2", "dr2=0x0000000000000012 ok\n" },
		{ "dr 3", "dr3=0x0000000000000013 ok\n" },
		{ "dr 6", "dr6=0x0000000000000014 ok\n" },
		{ "dr 7", "dr7=0x0000000000000015 ok\n" },
		{ "dr 0x7", "dr7=0x0000000000000015 ok\n" },
		{ "dr 0n6", "dr6=0x0000000000000014 ok\n" },
		{ "debugctl", "debugctl=0x0000000000000016 ok\n" },
		{ "  DR   3  ", "dr3=0x0000000000000013 ok\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < MON_DBG_COUNT; i++)
		fake.v[0].dbg[i] = 0x10 + i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(run(cases[i].line), cases[i].reply);
}

static void test_read_failure_is_one_error(void **state)
{
	(void)state;
	fake.fail_dbg = MON_DR3;
	expect_error("dr", "cannot read dr3 of vcpu 0 now");
	expect_error("dr 3", "cannot read dr3 of vcpu 0 now");
	assert_string_equal(run("dr 2"), "dr2=0x0000000000000000 ok\n");
}

/* ---- writing, the number syntax -------------------------------------- */

static void test_dr_write_values(void **state)
{
	static const struct { const char *line, *reply; unsigned r; uint64_t v; } cases[] = {
		{ "dr 0 0x1000", "dr0=0x0000000000001000 ok\n", MON_DR0, 0x1000 },
		{ "dr 1 abc", "dr1=0x0000000000000abc ok\n", MON_DR1, 0xabc },
		{ "dr 2 0n4096", "dr2=0x0000000000001000 ok\n", MON_DR2, 0x1000 },
		{ "dr 3 0XfFfF800000000000", "dr3=0xffff800000000000 ok\n", MON_DR3,
		  0xffff800000000000ull },
		{ "dr 0 0n18446744073709551615", "dr0=0xffffffffffffffff ok\n", MON_DR0,
		  0xffffffffffffffffull },
		{ "dr 1 00ff000000000000", "dr1=0x00ff000000000000 ok\n", MON_DR1,
		  0x00ff000000000000ull },
		{ "dr 7 401", "dr7=0x0000000000000401 ok\n", MON_DR7, 0x401 },
		{ "dr 7 0", "dr7=0x0000000000000400 ok\n", MON_DR7, 0x400 },
		{ "dr 7 0x20402", "dr7=0x0000000000020402 ok\n", MON_DR7, 0x20402 },
		{ "dr 7 0xffff23ff", "dr7=0x00000000ffff27ff ok\n", MON_DR7, 0xffff27ff },
		{ "dr 6 0", "dr6=0x00000000ffff0ff0 ok\n", MON_DR6, 0xffff0ff0 },
		{ "dr 6 0xffff4ff1", "dr6=0x00000000ffff4ff1 ok\n", MON_DR6, 0xffff4ff1 },
		{ "debugctl 3", "debugctl=0x0000000000000003 ok\n", MON_DEBUGCTL, 3 },
		{ "debugctl 0n1", "debugctl=0x0000000000000001 ok\n", MON_DEBUGCTL, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(run(cases[i].line), cases[i].reply);
		assert_int_equal(fake.v[0].dbg[cases[i].r], cases[i].v);
		assert_int_equal(fake.v[1].dbg[cases[i].r],
				 cases[i].r == MON_DR6 ? 0xffff0ff0 :
				 cases[i].r == MON_DR7 ? 0x400 : 0);
	}
}

/* The virtual CPU has no bus-lock detection and no RTM debugging: DR6.BLD
 * and DR6.RTM read as 1 and DR7.RTM is reserved, whatever DEBUGCTL offers. */
static void test_dr_no_bld_rtm(void **state)
{
	(void)state;
	fake.debugctl_mask = 0x8007;
	expect_error("dr 7 0xc00",
		     "dr7 bits 11, 12, 14 and 15 are reserved and must be 0: 0xc00");
	assert_string_equal(run("dr 6 0"), "dr6=0x00000000ffff0ff0 ok\n");
	assert_string_equal(run("debugctl 8007"), "debugctl=0x0000000000008007 ok\n");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_error("dr 0 xyz", "bad value 'xyz': not a hex digit "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 0x", "bad value '0x': no digits "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 0n", "bad value '0n': no digits "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 -1", "bad value '-1': not a hex digit "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 0nff", "bad value '0nff': not a decimal digit "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 0x10000000000000000", "bad value '0x10000000000000000': more than "
		     "64 bits (a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr 0 0n18446744073709551616", "bad value '0n18446744073709551616': "
		     "more than 64 bits (a value is hex, 0x optional, or 0n-prefixed decimal)");
	expect_error("dr x", "bad register number 'x': not a decimal digit "
		     "(a count is decimal, or 0x-prefixed hex)");
	expect_error("dr 0xg 1", "bad register number '0xg': not a hex digit "
		     "(a count is decimal, or 0x-prefixed hex)");
	expect_error("debugctl 1x", "bad value '1x': not a hex digit "
		     "(a value is hex, 0x optional, or 0n-prefixed decimal)");
	/* Leading zeros are no overflow. */
	assert_string_equal(run("dr 0 0x00000000000000000001"), "dr0=0x0000000000000001 ok\n");
}

static void test_register_out_of_range(void **state)
{
	(void)state;
	expect_error("dr 8", "no register dr8: N is 0-3, 6 or 7");
	expect_error("dr 8 0", "no register dr8: N is 0-3, 6 or 7");
	expect_error("dr 18446744073709551615", "no register dr18446744073709551615: N is 0-3, 6 or 7");
	expect_error("dr 4", "dr4 and dr5 are aliases of dr6 and dr7 (CR4.DE=0) or reserved: "
		     "use dr 6 or dr 7");
	expect_error("dr 5 0x400", "dr4 and dr5 are aliases of dr6 and dr7 (CR4.DE=0) or "
		     "reserved: use dr 6 or dr 7");
}

static void test_reserved_bits_refused(void **state)
{
	(void)state;
	fake.v[0].dbg[MON_DR0] = 0x5000;
	fake.v[0].dbg[MON_DR7] = 0x401;
	expect_error("dr 6 0x1ffff0ff0", "dr6 bits 63:32 must be 0: 0x1ffff0ff0");
	expect_error("dr 6 0xffff1ff0", "dr6 bit 12 is reserved and must be 0: 0xffff1ff0");
	expect_error("dr 7 0x100000400", "dr7 bits 63:32 must be 0: 0x100000400");
	expect_error("dr 7 0x8000000000000400", "dr7 bits 63:32 must be 0: 0x8000000000000400");
	expect_error("dr 7 0x1400", "dr7 bits 11, 12, 14 and 15 are reserved and must be 0: 0x1400");
	expect_error("dr 7 0x4400", "dr7 bits 11, 12, 14 and 15 are reserved and must be 0: 0x4400");
	expect_error("dr 7 0x8400", "dr7 bits 11, 12, 14 and 15 are reserved and must be 0: 0x8400");
	expect_error("dr 0 0x8000000000000000",
		     "dr0-dr3 hold linear addresses: value not canonical: 0x8000000000000000");
	expect_error("dr 3 0100000000000000",
		     "dr0-dr3 hold linear addresses: value not canonical: 0x100000000000000");
	expect_error("debugctl 4", "reserved IA32_DEBUGCTL bit set: 0x4 (this vcpu supports 0x3)");
	expect_error("debugctl 0x8000000000000000",
		     "reserved IA32_DEBUGCTL bit set: 0x8000000000000000 (this vcpu supports 0x3)");
	/* Read back: unchanged. */
	assert_string_equal(run("dr 0"), "dr0=0x0000000000005000 ok\n");
	assert_string_equal(run("dr 7"), "dr7=0x0000000000000401 ok\n");
}

static void test_target_refuses_write(void **state)
{
	(void)state;
	fake.refuse_set = "vcpu is in guest mode";
	snapshot();
	assert_string_equal(run("dr 0 1000"),
			    "error: cannot write dr0 of vcpu 0: vcpu is in guest mode\n");
	assert_int_equal(fake.set_calls, 1);
	assert_memory_equal(saved, fake.v, sizeof(saved));
	fake.refuse_set = NULL;
	fake.fail_dbg = MON_DR1;
	assert_string_equal(run("dr 1 1000"), "error: cannot read dr1 of vcpu 0 now\n");
}

static void test_argument_count(void **state)
{
	(void)state;
	expect_error("dr 0 1 2", "dr: too many arguments (usage: dr [N [VALUE]])");
	expect_error("debugctl 1 2", "debugctl: too many arguments (usage: debugctl [VALUE])");
	expect_error("vcpu 0 1", "vcpu: too many arguments (usage: vcpu [N])");
	expect_error("regs 0", "regs: too many arguments (usage: regs)");
	expect_error("info x", "info: too many arguments (usage: info)");
	expect_error("pause all 1", "pause: too many arguments (usage: pause [all])");
	expect_error("cont all 1", "cont: too many arguments (usage: cont [all])");
	expect_error("step 1 2", "step: too many arguments (usage: step [N])");
	expect_error("stats reset now", "stats: too many arguments (usage: stats [reset|all])");
	expect_error("mode a b", "mode: too many arguments (usage: mode [machine|human])");
	expect_error("help a b", "help: too many arguments (usage: help [COMMAND])");
	expect_error("dr 1 2 3 4 5 6 7 8 9 10 11",
		     "dr: too many arguments (usage: dr [N [VALUE]])");
}

static void test_unknown_command(void **state)
{
	(void)state;
	expect_error("frobnicate", "unknown command 'frobnicate' (try help)");
	expect_error("dr7", "unknown command 'dr7' (try help)");
	expect_error("stats foo", "stats: unknown argument 'foo' (usage: stats [reset|all])");
	expect_error("pause 1", "pause: unknown argument '1' (usage: pause [all])");
	expect_error("cont every", "cont: unknown argument 'every' (usage: cont [all])");
}

/* ---- vCPUs ------------------------------------------------------------ */

static void test_vcpu_select(void **state)
{
	(void)state;
	assert_string_equal(run("vcpu"), "vcpu=0 vcpus=2 state=paused ok\n");
	fake.v[1].state = MON_RUNNING;
	assert_string_equal(run("vcpu 1"), "vcpu=1 vcpus=2 state=running ok\n");
	assert_string_equal(run("dr 0 0x42"), "dr0=0x0000000000000042 ok\n");
	assert_int_equal(fake.v[1].dbg[MON_DR0], 0x42);
	assert_int_equal(fake.v[0].dbg[MON_DR0], 0);
	expect_error("vcpu 2", "no vcpu 2: vcpus are 0-1");
	expect_error("vcpu 0n99999999999999999999", "bad vcpu number '0n99999999999999999999': "
		     "more than 64 bits (a count is decimal, or 0x-prefixed hex)");
	expect_error("vcpu -1", "bad vcpu number '-1': not a decimal digit "
		     "(a count is decimal, or 0x-prefixed hex)");
	/* A refused selection keeps the old one. */
	assert_string_equal(run("vcpu"), "vcpu=1 vcpus=2 state=running ok\n");
	assert_string_equal(run("vcpu 0x0"), "vcpu=0 vcpus=2 state=paused ok\n");
}

static void test_vcpu_gone(void **state)
{
	(void)state;
	run("vcpu 1");
	fake.nvcpu = 1;
	expect_error("dr", "vcpu 1 does not exist (1 vcpus)");
	expect_error("dr 0 1", "vcpu 1 does not exist (1 vcpus)");
	expect_error("regs", "vcpu 1 does not exist (1 vcpus)");
	expect_error("stats", "vcpu 1 does not exist (1 vcpus)");
	expect_error("pause", "vcpu 1 does not exist (1 vcpus)");
	expect_error("step", "vcpu 1 does not exist (1 vcpus)");
	expect_error("vcpu", "vcpu 1 does not exist (1 vcpus)");
	fake.nvcpu = 0;
	expect_error("vcpu 0", "no vcpu 0: vcpus are 0-0");
}

/* ---- regs, stats, info, help, mode ------------------------------------ */

static void test_regs(void **state)
{
	(void)state;
	assert_string_equal(run("regs"),
		"rax=0x0000000000000000 rbx=0x0000000000000001 rcx=0x0000000000000002 "
		"rdx=0x0000000000000003 rsi=0x0000000000000004 rdi=0x0000000000000005 "
		"rbp=0x0000000000000006 rsp=0x0000000000000007 r8=0x0000000000000008 "
		"r9=0x0000000000000009 r10=0x000000000000000a r11=0x000000000000000b "
		"r12=0x000000000000000c r13=0x000000000000000d r14=0x000000000000000e "
		"r15=0x000000000000000f rip=0x000000000000fff0 rflags=0x0000000000000011 "
		"cr0=0x0000000000000012 cr2=0x0000000000000013 cr3=0x0000000000000014 "
		"cr4=0x0000000000000015 efer=0x0000000000000016 cs=0x0038 ss=0x0018 "
		"ds=0x0019 es=0x001a fs=0x001b gs=0x001c tr=0x001d ldtr=0x001e ok\n");
	fake.fail_reg = MON_EFER;
	expect_error("regs", "cannot read efer of vcpu 0 now");
}

static void test_regs_human_rows(void **state)
{
	(void)state;
	run("regs");
	assert_non_null(strstr(out, "regs\nrax=0x0000000000000000  rbx=0x0000000000000001  "
				    "rcx=0x0000000000000002  rdx=0x0000000000000003\nrsi="));
	assert_non_null(strstr(out, "\ngs=0x001c  tr=0x001d  ldtr=0x001e\ndrvisor> "));
}

static void test_stats(void **state)
{
	(void)state;
	fake.stat_name[3] = "msr write!";
	fake.v[0].stat[3] = 7;
	assert_string_equal(run("stats"), "total=20 cpuid=10 io=3 msr_write_=7 ok\n");
	assert_string_equal(run("stats reset"), "reset ok\n");
	assert_int_equal(fake.reset_calls, 1);
	assert_string_equal(run("stats"), "total=0 ok\n");
	assert_string_equal(run("vcpu 1"), "vcpu=1 vcpus=2 state=paused ok\n");
	assert_string_equal(run("stats"), "total=14 cpuid=11 io=3 ok\n");
	fake.stat_name[0] = "";
	assert_string_equal(run("stats"), "total=14 unnamed=11 io=3 ok\n");
}

/* stats all: every vCPU's total, and the reasons summed over all of them;
 * no vCPU needs to be selected or even to exist at the selection. */
static void test_stats_all(void **state)
{
	(void)state;
	fake.nvcpu = 3;
	fake.v[2].stat[2] = 0;
	fake.v[2].stat[1] = 5;
	assert_string_equal(run("stats all"),
		"vcpus=3 vcpu0=13 vcpu1=14 vcpu2=17 total=44 cpuid=33 msr=5 io=6 ok\n");
	assert_string_equal(run("vcpu 2"), "vcpu=2 vcpus=3 state=paused ok\n");
	fake.nvcpu = 1;
	assert_string_equal(run("stats ALL"), "vcpus=1 vcpu0=13 total=13 cpuid=10 io=3 ok\n");
	assert_int_equal(fake.reset_calls, 0);
}

static void test_stats_human(void **state)
{
	(void)state;
	assert_string_equal(run("stats"), "stats\ntotal=13\ncpuid=10\nio=3\ndrvisor> ");
	assert_string_equal(run("stats RESET"), "stats RESET\nreset\ndrvisor> ");
}

static void test_info(void **state)
{
	(void)state;
	assert_string_equal(run("info"),
		"version=unknown commit=unknown vcpus=2 vcpu=0 vcpu0=paused vcpu1=paused "
		"cpu=\"FakeCPU vmx ept\" policy=\"eager\" ok\n");
	fake.v[1].state = MON_RUNNING;
	assert_string_equal(run("info"),
		"version=unknown commit=unknown vcpus=2 vcpu=0 vcpu0=paused vcpu1=running "
		"cpu=\"FakeCPU vmx ept\" policy=\"eager\" ok\n");
	fake.v[1].state = MON_PAUSED;
	fake.info_n = 4;
	fake.info[2] = "free \"text\"\x01";
	fake.info[3] = "bad key: x";
	assert_string_equal(run("info"),
		"version=unknown commit=unknown vcpus=2 vcpu=0 vcpu0=paused vcpu1=paused "
		"cpu=\"FakeCPU vmx ept\" policy=\"eager\" info2=\"free 'text'?\" info3=\"bad key: x\" ok\n");
}

static void test_info_human(void **state)
{
	(void)state;
	assert_string_equal(run("info"),
		"info\ndrvisor unknown (commit unknown)\nvcpus: 2, selected: 0\n"
		"vcpu 0: paused\nvcpu 1: paused\ncpu: FakeCPU vmx ept\npolicy: eager\ndrvisor> ");
}

static void test_help(void **state)
{
	static const char *const names[] = {
		"help", "info", "vcpu", "dr", "debugctl", "regs", "stats", "pause",
		"cont", "step", "mode",
	};
	size_t i;
	char want[64];

	(void)state;
	run("help");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "\n  %s ", names[i]);
		assert_non_null(strstr(out, want));
	}
	assert_non_null(strstr(out, "VALUE (register contents): hex, 0x optional"));
	assert_non_null(strstr(out, "N (index or count): decimal"));
	assert_string_equal(run("help dr"),
		"help dr\n  dr [N [VALUE]]             show DR0-3, DR6, DR7, DEBUGCTL; show DRn; "
		"write DRn (N: 0-3, 6, 7)\ndrvisor> ");
	assert_string_equal(run("help nope"), "help nope\nerror: help: no command 'nope' (try help)\n"
			    "drvisor> ");
}

static void test_help_machine(void **state)
{
	(void)state;
	assert_string_equal(run("help"),
		"commands=help,info,vcpu,dr,debugctl,regs,stats,pause,cont,step,mode ok\n");
	assert_string_equal(run("HELP Step"), "command=step usage=\"step [N]\" ok\n");
	expect_error("help nope", "help: no command 'nope' (try help)");
}

static void test_mode(void **state)
{
	(void)state;
	assert_string_equal(run("mode"), "mode\nmode=human\ndrvisor> ");
	assert_string_equal(run("mode foo"),
			    "mode foo\nerror: mode: unknown mode 'foo' (machine or human)\ndrvisor> ");
	assert_string_equal(run("MODE Machine"),
			    "MODE Machine\nmode=machine previous=human ok\n");
	assert_string_equal(run("mode"), "mode=machine ok\n");
	assert_string_equal(run("mode machine"), "mode=machine previous=machine ok\n");
	expect_error("mode foo", "mode: unknown mode 'foo' (machine or human)");
	assert_string_equal(run("mode human"), "mode=human\nprevious=machine\ndrvisor> ");
}

/* ---- run control ------------------------------------------------------ */

static void test_pause_cont(void **state)
{
	(void)state;
	assert_string_equal(run("pause"), "paused ok\n");
	assert_int_equal(fake.pause_calls, 0);
	assert_string_equal(run("cont"), "running ok\n");
	assert_int_equal(fake.cont_calls, 1);
	assert_int_equal(fake.v[0].state, MON_RUNNING);
	assert_string_equal(run("cont"), "running ok\n");
	assert_int_equal(fake.cont_calls, 1);
	assert_string_equal(run("pause"), "paused ok\n");
	assert_int_equal(fake.pause_calls, 1);
	assert_int_equal(fake.v[0].state, MON_PAUSED);
	assert_int_equal(fake.v[1].state, MON_PAUSED);
}

/* pause all / cont all move every vCPU that can move, leave stopped ones
 * alone, and name every vCPU in the new state. */
static void test_pause_cont_all(void **state)
{
	(void)state;
	fake.nvcpu = 4;
	fake.v[1].state = MON_RUNNING;
	fake.v[3].state = MON_STOPPED;
	assert_string_equal(run("cont all"), "running=0,1,2 ok\n");
	assert_int_equal(fake.cont_calls, 2);
	assert_int_equal(fake.v[3].state, MON_STOPPED);
	assert_string_equal(run("pause all"), "paused=0,1,2 ok\n");
	assert_int_equal(fake.pause_calls, 3);
	assert_string_equal(run("pause all"), "paused=0,1,2 ok\n");
	assert_int_equal(fake.pause_calls, 3);
	fake.nvcpu = 1;
	fake.v[0].state = MON_STOPPED;
	assert_string_equal(run("cont all"), "running=none ok\n");
}

/* One vCPU refusing makes pause all / cont all change nothing: the ones
 * already moved are moved back, and the error names the refusing one. */
static void test_pause_cont_all_refused(void **state)
{
	(void)state;
	fake.nvcpu = 3;
	fake.refuse_run = "busy";
	fake.refuse_run_vcpu = 2;
	expect_error("cont all", "cannot continue vcpu 2: busy (no vcpu changed)");
	assert_int_equal(fake.v[0].state, MON_PAUSED);
	assert_int_equal(fake.v[1].state, MON_PAUSED);
	assert_int_equal(fake.v[2].state, MON_PAUSED);
	assert_int_equal(fake.cont_calls, 3);
	assert_int_equal(fake.pause_calls, 2);
	fake.refuse_run_vcpu = 1;
	fake.v[0].state = fake.v[1].state = fake.v[2].state = MON_RUNNING;
	expect_error("pause all", "cannot pause vcpu 1: busy (no vcpu changed)");
	assert_int_equal(fake.v[0].state, MON_RUNNING);
	assert_int_equal(fake.v[1].state, MON_RUNNING);
	assert_int_equal(fake.v[2].state, MON_RUNNING);
}

static void test_pause_cont_errors(void **state)
{
	(void)state;
	fake.refuse_run = "not now";
	expect_error("cont", "cannot continue vcpu 0: not now");
	fake.v[0].state = MON_RUNNING;
	expect_error("pause", "cannot pause vcpu 0: not now");
	fake.v[0].state = MON_STOPPED;
	fake.refuse_run = NULL;
	expect_error("pause", "vcpu 0 has stopped");
	expect_error("cont", "vcpu 0 has stopped");
	expect_error("step", "vcpu 0 has stopped");
	assert_int_equal(fake.pause_calls + fake.cont_calls + fake.step_calls, 2);
}

static void test_step(void **state)
{
	(void)state;
	assert_string_equal(run("step"), "stepped=1 rip=0x000000000000fff2 ok\n");
	assert_int_equal(fake.step_n, 1);
	assert_string_equal(run("step 10"), "stepped=10 rip=0x0000000000010006 ok\n");
	assert_string_equal(run("step 0xa"), "stepped=10 rip=0x000000000001001a ok\n");
	assert_string_equal(run("step 1000000"), "stepped=1000000 rip=0x00000000001f849a ok\n");
	assert_int_equal(fake.step_calls, 4);
	fake.fail_reg = MON_RIP;
	assert_string_equal(run("step 2"), "stepped=2 ok\n");
}

static void test_step_errors(void **state)
{
	(void)state;
	expect_error("step 0", "step count must be 1-1000000");
	expect_error("step 1000001", "step count must be 1-1000000");
	expect_error("step 0n18446744073709551615", "step count must be 1-1000000");
	expect_error("step ten", "bad step count 'ten': not a decimal digit "
		     "(a count is decimal, or 0x-prefixed hex)");
	fake.v[0].state = MON_RUNNING;
	expect_error("step", "cannot step vcpu 0: it is running");
	fake.v[0].state = MON_PAUSED;
	fake.refuse_run = "no single-step on this cpu";
	expect_error("step 3", "cannot step vcpu 0: no single-step on this cpu");
	assert_int_equal(fake.step_calls, 1);
	fake.refuse_run = NULL;
	fake.step_mode = FAKE_STEP_SHORT;
	fake.step_short = 3;
	assert_string_equal(run("step 10"), "error: step stopped after 3 of 10 instructions\n");
	fake.step_mode = FAKE_STEP_SYNC;
	assert_string_equal(run("step"), "stepped=1 rip=0x000000000000fff8 ok\n");
}

/* An asynchronous step: no reply and no command until it ends. */
static void test_step_async(void **state)
{
	(void)state;
	fake.step_mode = FAKE_STEP_ASYNC;
	assert_string_equal(run("step 5"), "step 5\n");
	assert_int_equal(fake.step_pending, 5);
	assert_string_equal(run("dr 0 1000"), "");
	assert_int_equal(fake.v[0].dbg[MON_DR0], 0);
	clear();
	monitor_step_done(1, 5);        /* not the stepping vCPU: ignored */
	assert_string_equal(out, "");
	fake_finish_step(5);
	assert_string_equal(out, "stepped=5\nrip=0x000000000000fffa\ndrvisor> ");
	monitor_step_done(0, 5);        /* nothing runs any more: ignored */
	assert_string_equal(out, "stepped=5\nrip=0x000000000000fffa\ndrvisor> ");
	assert_string_equal(run("dr 0"), "dr 0\ndr0=0x0000000000000000\ndrvisor> ");
}

static void test_step_interrupted(void **state)
{
	(void)state;
	fake.step_mode = FAKE_STEP_ASYNC;
	fake.pause_ends_step = true;
	assert_string_equal(run("step 10"), "");
	clear();
	feed("\x03");
	assert_string_equal(out, "error: step stopped after 5 of 10 instructions (interrupted)\n");
	assert_int_equal(fake.pause_calls, 1);
	assert_string_equal(run("dr 7"), "dr7=0x0000000000000400 ok\n");
}

static void test_step_abandoned(void **state)
{
	(void)state;
	fake.step_mode = FAKE_STEP_ASYNC;
	assert_string_equal(run("step 10"), "");
	clear();
	feed("\x03");
	assert_string_equal(out, "");
	feed("\x03");
	assert_string_equal(out, "error: step abandoned: vcpu 0 did not report its end\n");
	fake_finish_step(10);           /* too late: ignored */
	assert_string_equal(out, "error: step abandoned: vcpu 0 did not report its end\n");
	assert_string_equal(run("step 1"), "");
}

/* ---- line editing ----------------------------------------------------- */

static void test_backspace(void **state)
{
	(void)state;
	assert_string_equal(run("dr 8\b7"), "dr 8\b \b7\ndr7=0x0000000000000400\ndrvisor> ");
	assert_string_equal(run("dr 9\x7f" "6"), "dr 9\b \b6\ndr6=0x00000000ffff0ff0\ndrvisor> ");
	assert_string_equal(run("\b\b\x7f"), "\ndrvisor> ");
	assert_string_equal(run("x\b\bdr 0"), "x\b \bdr 0\ndr0=0x0000000000000000\ndrvisor> ");
}

static void test_ctrl_c(void **state)
{
	(void)state;
	clear();
	feed("dr 0 5\x03");
	assert_string_equal(out, "dr 0 5^C\ndrvisor> ");
	assert_string_equal(run("dr 0"), "dr 0\ndr0=0x0000000000000000\ndrvisor> ");
	assert_int_equal(fake.set_calls, 0);
}

static void test_ctrl_c_machine(void **state)
{
	(void)state;
	clear();
	feed("dr 0 5\x03");
	assert_string_equal(out, "");
	assert_string_equal(run("dr 0"), "dr0=0x0000000000000000 ok\n");
	assert_int_equal(fake.set_calls, 0);
}

static void test_line_ends(void **state)
{
	(void)state;
	clear();
	feed("dr 7\r\ndr 6\rdr 0\n\r");
	assert_string_equal(out, "dr7=0x0000000000000400 ok\ndr6=0x00000000ffff0ff0 ok\n"
			    "dr0=0x0000000000000000 ok\n");
	assert_int_equal(writes, 3);
	assert_string_equal(run(""), "");
	clear();
	feed("\r\n\r\n\n");
	assert_string_equal(out, "");
}

static void test_line_ends_human(void **state)
{
	(void)state;
	clear();
	feed("dr 7\r\n\r\n");
	assert_string_equal(out, "dr 7\ndr7=0x0000000000000400\ndrvisor> \ndrvisor> ");
}

static void test_control_bytes_ignored(void **state)
{
	(void)state;
	assert_string_equal(run("d\x01r\x02\t \x80\xff" "7\x1b[A\x1bOB\x1b[1;5C\x04"),
			    "dr 7\ndr7=0x0000000000000400\ndrvisor> ");
}

/* An ESC not followed by [ or O is dropped alone. */
static void test_escape(void **state)
{
	(void)state;
	assert_string_equal(run("\x1b" "dr 7"), "dr7=0x0000000000000400 ok\n");
	assert_string_equal(run("dr\x1b[2~ 6"), "dr6=0x00000000ffff0ff0 ok\n");
	assert_string_equal(run("dr 7\x1b[A"), "dr7=0x0000000000000400 ok\n");
}

/* Exactly MONITOR_LINE_MAX bytes is a line; one more is refused whole. */
static void test_long_lines(void **state)
{
	char line[MONITOR_LINE_MAX + 64];

	(void)state;
	memset(line, ' ', sizeof(line));
	memcpy(line, "dr 0 1", 6);
	line[MONITOR_LINE_MAX] = 0;
	assert_string_equal(run(line), "dr0=0x0000000000000001 ok\n");
	fake.v[0].dbg[MON_DR0] = 0;
	line[MONITOR_LINE_MAX] = ' ';
	line[MONITOR_LINE_MAX + 1] = 0;
	expect_error(line, "line too long (more than 128 bytes)");
	/* Backspace cannot rescue a refused line, and it ends at the newline. */
	clear();
	feed(line);
	feed("\b\b\b\b\b\b\b\x7f\n");
	assert_string_equal(out, "error: line too long (more than 128 bytes)\n");
	assert_string_equal(run("dr 0"), "dr0=0x0000000000000000 ok\n");
	/* A very long line: one error, nothing overflows. */
	clear();
	for (int i = 0; i < 10000; i++)
		monitor_input('a');
	feed("\r\n");
	assert_string_equal(out, "error: line too long (more than 128 bytes)\n");
	/* Ctrl-C forgets a too-long line. */
	clear();
	feed(line);
	feed("\x03" "dr 7\n");
	assert_string_equal(out, "dr7=0x0000000000000400 ok\n");
}

static void test_long_line_human(void **state)
{
	char line[MONITOR_LINE_MAX + 2], want[MONITOR_LINE_MAX + 128];

	(void)state;
	memset(line, 'a', sizeof(line));
	line[MONITOR_LINE_MAX + 1] = 0;
	snprintf(want, sizeof(want), "%.*s\nerror: line too long (more than 128 bytes)\ndrvisor> ",
		 MONITOR_LINE_MAX, line);
	assert_string_equal(run(line), want);
}

/* Each reply is a single write: a line cannot be torn by other output. */
static void test_one_write_per_reply(void **state)
{
	static const char *const lines[] = {
		"dr", "regs", "stats", "info", "help", "vcpu", "dr 9", "step", "pause",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		run(lines[i]);
		assert_int_equal(writes, 1);
		assert_non_null(strchr(out, '\n'));
		assert_ptr_equal(strchr(out, '\n'), out + out_len - 1);
	}
}

static void test_no_target(void **state)
{
	(void)state;
	monitor_init(NULL, sink);
	clear();
	feed("dr 0 1\n\x03\b");
	assert_string_equal(out, "");
	monitor_step_done(0, 1);
	assert_string_equal(out, "");
	monitor_init(&fake_target, NULL);
	feed("dr 0 1\n");
	assert_int_equal(fake.v[0].dbg[MON_DR0], 1);
	monitor_init(&fake_target, sink);
}

/* ---- monitor_check_dbg ------------------------------------------------ */

static void test_check_dbg(void **state)
{
	(void)state;
	assert_null(monitor_check_dbg(MON_DR0, 0, 0));
	assert_null(monitor_check_dbg(MON_DR1, 0x00007fffffffffffull, 0));
	assert_null(monitor_check_dbg(MON_DR2, 0xff00000000000000ull, 0));
	assert_non_null(monitor_check_dbg(MON_DR3, 0xfe00000000000000ull, 0));
	assert_non_null(monitor_check_dbg(MON_DR0, 0x0100000000000000ull, 0));
	assert_null(monitor_check_dbg(MON_DR6, 0, 0));
	assert_null(monitor_check_dbg(MON_DR6, 0xffffefffull, 0));
	assert_non_null(monitor_check_dbg(MON_DR6, 0x1000, 0));
	assert_non_null(monitor_check_dbg(MON_DR6, 1ull << 32, 0));
	assert_null(monitor_check_dbg(MON_DR7, 0xffff2bffull & ~0x800ull, 0));
	assert_non_null(monitor_check_dbg(MON_DR7, 0x800, 0));
	assert_non_null(monitor_check_dbg(MON_DR7, 0x800, ~0ull));
	assert_non_null(monitor_check_dbg(MON_DR7, 0x1000, ~0ull));
	assert_non_null(monitor_check_dbg(MON_DR7, 1ull << 63, ~0ull));
	assert_null(monitor_check_dbg(MON_DEBUGCTL, 0x3, 0x3));
	assert_non_null(monitor_check_dbg(MON_DEBUGCTL, 0x4, 0x3));
	assert_null(monitor_check_dbg(MON_DEBUGCTL, 0, 0));
	assert_string_equal(monitor_check_dbg(MON_DBG_COUNT, 0, 0), "no such debug register");
}

#define H(t) cmocka_unit_test_setup(t, setup_human)
#define M(t) cmocka_unit_test_setup(t, setup_machine)

int main(void)
{
	const struct CMUnitTest tests[] = {
		H(test_human_echo_and_prompt), H(test_dr_all_human), M(test_dr_all_machine),
		M(test_dr_one), M(test_read_failure_is_one_error), M(test_dr_write_values),
		M(test_dr_no_bld_rtm), M(test_bad_numbers), M(test_register_out_of_range),
		M(test_reserved_bits_refused), M(test_target_refuses_write),
		M(test_argument_count), M(test_unknown_command), M(test_vcpu_select),
		M(test_vcpu_gone), M(test_regs), H(test_regs_human_rows), M(test_stats), M(test_stats_all),
		H(test_stats_human), M(test_info), H(test_info_human), H(test_help),
		M(test_help_machine), H(test_mode), M(test_pause_cont), M(test_pause_cont_all), M(test_pause_cont_all_refused),
		M(test_pause_cont_errors), M(test_step), M(test_step_errors),
		H(test_step_async), M(test_step_interrupted), M(test_step_abandoned),
		H(test_backspace), H(test_ctrl_c), M(test_ctrl_c_machine), M(test_line_ends),
		H(test_line_ends_human), H(test_control_bytes_ignored), M(test_escape),
		M(test_long_lines), H(test_long_line_human), M(test_one_write_per_reply),
		M(test_no_target), M(test_check_dbg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
