/*
 * Host unit tests for boot/config_parse.c: syntax, every key, every kind of
 * bad input, and the promise that a bad line changes nothing. Run under
 * AddressSanitizer: inputs are copied into buffers of their exact length, so
 * any read past the text the parser was given is caught.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_parse.h"

#define MAX_MSGS 32
#define MSG_LEN 512

/* Messages received through the report callback. */
struct capture {
	int count;
	char msgs[MAX_MSGS][MSG_LEN];
};

/* Report callback: stores the message and checks it is one printable line. */
static void capture_fn(void *ctx, const char *message)
{
	struct capture *c = ctx;
	size_t i, n = strlen(message);

	assert_true(n > 0 && n < MSG_LEN);
	for (i = 0; i < n; i++)
		assert_true(message[i] >= 0x20 && message[i] < 0x7f);
	if (c->count < MAX_MSGS)
		memcpy(c->msgs[c->count], message, n + 1);
	c->count++;
}

/* Parse len bytes of text as a file, from an exact-size heap copy. */
static int parse_file_n(struct dv_config *cfg, const char *text, size_t len,
			struct capture *c)
{
	char *copy = malloc(len ? len : 1);
	int n;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(c, 0, sizeof(*c));
	n = dv_config_parse_file(cfg, copy, len, "DRVISOR.CFG", capture_fn, c);
	free(copy);
	assert_int_equal(n, c->count);
	return n;
}

/* Parse a NUL-terminated text as a file. */
static int parse_file(struct dv_config *cfg, const char *text, struct capture *c)
{
	return parse_file_n(cfg, text, strlen(text), c);
}

/* Parse len bytes of load options, from an exact-size heap copy. */
static int parse_opts_n(struct dv_config *cfg, const char *text, size_t len,
			struct capture *c)
{
	char *copy = malloc(len ? len : 1);
	int n;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(c, 0, sizeof(*c));
	n = dv_config_parse_options(cfg, copy, len, capture_fn, c);
	free(copy);
	assert_int_equal(n, c->count);
	return n;
}

/* Parse a NUL-terminated line of load options. */
static int parse_opts(struct dv_config *cfg, const char *text, struct capture *c)
{
	return parse_opts_n(cfg, text, strlen(text), c);
}

/* Fail unless message i of c contains needle. */
static void assert_msg_has(const struct capture *c, int i, const char *needle)
{
	assert_true(i < c->count);
	if (!strstr(c->msgs[i], needle))
		fail_msg("message '%s' lacks '%s'", c->msgs[i], needle);
}

/* A config with every field away from its default, to see changes. */
static void odd_config(struct dv_config *cfg)
{
	dv_config_defaults(cfg);
	cfg->monitor_port = 0x2e8;
	cfg->baud = 9600;
	cfg->dr_switch = DV_DR_SWITCH_LAZY;
	cfg->log_level = DV_LOG_DEBUG;
	cfg->on_unsupported = DV_UNSUPPORTED_REFUSE;
	cfg->selftest = DV_SELFTEST_GP;
	cfg->on_guest_shutdown = DV_GUEST_SHUTDOWN_STOP;
	strcpy(cfg->next, "\\EFI\\x.efi");
	strcpy(cfg->next_args, "a b c");
}

static void test_defaults(void **state)
{
	struct dv_config cfg;

	(void)state;
	memset(&cfg, 0x5a, sizeof(cfg));
	dv_config_defaults(&cfg);
	assert_int_equal(cfg.monitor_port, DV_COM1_PORT);
	assert_int_equal(cfg.reserved0, 0);
	assert_int_equal(cfg.baud, 115200);
	assert_int_equal(cfg.dr_switch, DV_DR_SWITCH_EAGER);
	assert_int_equal(cfg.log_level, DV_LOG_INFO);
	assert_int_equal(cfg.on_unsupported, DV_UNSUPPORTED_CONTINUE);
	assert_int_equal(cfg.selftest, DV_SELFTEST_NONE);
	assert_int_equal(cfg.on_guest_shutdown, DV_GUEST_SHUTDOWN_RESET);
	assert_string_equal(cfg.next, "");
	assert_string_equal(cfg.next_args, "");
	/* Whole arrays zeroed: the struct crosses to the core as it is. */
	for (size_t i = 0; i < sizeof(cfg.next); i++)
		assert_int_equal(cfg.next[i], 0);
	for (size_t i = 0; i < sizeof(cfg.next_args); i++)
		assert_int_equal(cfg.next_args[i], 0);
}

/* dv_config_set(key, value) must succeed. */
static void set_ok(struct dv_config *cfg, const char *key, const char *value)
{
	char why[128] = "junk";

	if (dv_config_set(cfg, key, value, why, sizeof(why)))
		fail_msg("%s=%s refused: %s", key, value, why);
	assert_string_equal(why, "");
}

static void test_monitor_values(void **state)
{
	static const struct {
		const char *v;
		uint16_t port;
	} ok[] = {
		{ "com1", 0x3f8 }, { "COM2", 0x2f8 }, { "Com3", 0x3e8 }, { "cOm4", 0x2e8 },
		{ "0x3f8", 0x3f8 }, { "0X2F8", 0x2f8 }, { "1016", 1016 }, { "1", 1 },
		{ "0xffff", 0xffff }, { "65535", 65535 }, { "0x0001", 1 },
	};
	struct dv_config cfg;

	(void)state;
	dv_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		set_ok(&cfg, "monitor", ok[i].v);
		assert_int_equal(cfg.monitor_port, ok[i].port);
	}
	set_ok(&cfg, "MONITOR", "com1");
	assert_int_equal(cfg.monitor_port, 0x3f8);
}


static void test_baud_values(void **state)
{
	static const uint32_t good[] = { 50, 75, 150, 300, 600, 1200, 2400, 4800, 9600,
					 19200, 38400, 57600, 115200 };
	struct dv_config cfg;
	char text[32];

	(void)state;
	dv_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "%u", good[i]);
		set_ok(&cfg, "baud", text);
		assert_int_equal(cfg.baud, good[i]);
	}
	set_ok(&cfg, "Baud", "0x2580");
	assert_int_equal(cfg.baud, 9600);
	set_ok(&cfg, "baud", "0009600");
	assert_int_equal(cfg.baud, 9600);
}

static void test_word_values(void **state)
{
	struct dv_config cfg;

	(void)state;
	dv_config_defaults(&cfg);
	set_ok(&cfg, "dr_switch", "lazy");
	assert_int_equal(cfg.dr_switch, DV_DR_SWITCH_LAZY);
	set_ok(&cfg, "DR_SWITCH", "EAGER");
	assert_int_equal(cfg.dr_switch, DV_DR_SWITCH_EAGER);

	static const char *const levels[] = { "error", "warn", "info", "debug" };
	for (uint32_t i = 0; i < 4; i++) {
		set_ok(&cfg, "log_level", levels[i]);
		assert_int_equal(cfg.log_level, i);
		assert_string_equal(dv_log_level_name(i), levels[i]);
	}
	set_ok(&cfg, "on_unsupported", "refuse");
	assert_int_equal(cfg.on_unsupported, DV_UNSUPPORTED_REFUSE);
	set_ok(&cfg, "on_unsupported", "Continue");
	assert_int_equal(cfg.on_unsupported, DV_UNSUPPORTED_CONTINUE);
	set_ok(&cfg, "on_guest_shutdown", "stop");
	assert_int_equal(cfg.on_guest_shutdown, DV_GUEST_SHUTDOWN_STOP);
	set_ok(&cfg, "ON_GUEST_SHUTDOWN", "Reset");
	assert_int_equal(cfg.on_guest_shutdown, DV_GUEST_SHUTDOWN_RESET);

	static const char *const tests[] = { "none", "ud", "gp", "pf", "de" };
	for (uint32_t i = 0; i < 5; i++) {
		set_ok(&cfg, "selftest", tests[i]);
		assert_int_equal(cfg.selftest, i);
		assert_string_equal(dv_selftest_name(i), tests[i]);
	}
	assert_string_equal(dv_dr_switch_name(0), "eager");
	assert_string_equal(dv_dr_switch_name(1), "lazy");
}

static void test_names_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(dv_dr_switch_name(2), "?");
	assert_string_equal(dv_log_level_name(4), "?");
	assert_string_equal(dv_selftest_name(5), "?");
	assert_string_equal(dv_dr_switch_name(UINT32_MAX), "?");
	assert_string_equal(dv_log_level_name(UINT32_MAX), "?");
	assert_string_equal(dv_selftest_name(UINT32_MAX), "?");
}

static void test_next_values(void **state)
{
	struct dv_config cfg;
	char path[DV_CONFIG_NEXT_MAX + 1];

	(void)state;
	dv_config_defaults(&cfg);
	set_ok(&cfg, "next", "\\EFI\\Linux\\vmlinuz.efi");
	assert_string_equal(cfg.next, "\\EFI\\Linux\\vmlinuz.efi");
	set_ok(&cfg, "NEXT", "/efi/boot/grub x64.efi");
	assert_string_equal(cfg.next, "\\efi\\boot\\grub x64.efi");
	set_ok(&cfg, "next", "");
	assert_string_equal(cfg.next, "");

	/* DV_CONFIG_NEXT_MAX - 1 bytes fit with the NUL; one more does not. */
	memset(path, 'a', sizeof(path));
	path[0] = '\\';
	path[DV_CONFIG_NEXT_MAX - 1] = 0;
	set_ok(&cfg, "next", path);
	assert_int_equal(strlen(cfg.next), DV_CONFIG_NEXT_MAX - 1);
	path[DV_CONFIG_NEXT_MAX - 1] = 'a';
	path[DV_CONFIG_NEXT_MAX] = 0;
	assert_int_equal(dv_config_set(&cfg, "next", path, NULL, 0), -1);
	assert_int_equal(strlen(cfg.next), DV_CONFIG_NEXT_MAX - 1);
}

static void test_next_args_values(void **state)
{
	struct dv_config cfg;
	char args[DV_CONFIG_ARGS_MAX + 1];

	(void)state;
	dv_config_defaults(&cfg);
	set_ok(&cfg, "next_args", "console=ttyS0,115200 quiet");
	assert_string_equal(cfg.next_args, "console=ttyS0,115200 quiet");
	set_ok(&cfg, "Next_Args", "");
	assert_string_equal(cfg.next_args, "");
	memset(args, 'x', sizeof(args));
	args[DV_CONFIG_ARGS_MAX - 1] = 0;
	set_ok(&cfg, "next_args", args);
	assert_int_equal(strlen(cfg.next_args), DV_CONFIG_ARGS_MAX - 1);
	args[DV_CONFIG_ARGS_MAX - 1] = 'x';
	args[DV_CONFIG_ARGS_MAX] = 0;
	assert_int_equal(dv_config_set(&cfg, "next_args", args, NULL, 0), -1);
}

/* dv_config_set must fail, leave cfg unchanged and give a reason with all
 * of the needles in it. */
static void set_bad(const char *key, const char *value, const char *n1, const char *n2)
{
	struct dv_config cfg, before;
	char why[160];

	odd_config(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (dv_config_set(&cfg, key, value, why, sizeof(why)) != -1)
		fail_msg("%s=%s accepted", key, value);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	if (!strstr(why, n1) || (n2 && !strstr(why, n2)))
		fail_msg("%s=%s: reason '%s' lacks '%s' / '%s'", key, value, why, n1, n2 ? n2 : "");
}

/* monitor=auto, pci:..., mmio:...: every field the loader resolves from. */
static void test_monitor_discovery_values(void **state)
{
	struct dv_config cfg;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_PORT);
	set_ok(&cfg, "monitor", "auto");
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_AUTO);
	set_ok(&cfg, "monitor", "AUTO");
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_AUTO);

	set_ok(&cfg, "monitor", "pci:00:03.0");
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_PCI);
	assert_int_equal(cfg.monitor_pci_bus, 0);
	assert_int_equal(cfg.monitor_pci_dev, 3);
	assert_int_equal(cfg.monitor_pci_fn, 0);
	assert_int_equal(cfg.monitor_pci_bar, DV_MONITOR_BAR_FIRST);
	assert_int_equal(cfg.monitor_clock, DV_UART_DEFAULT_CLOCK);
	set_ok(&cfg, "monitor", "PCI:fF:1f.7,bar=5,clock=14745600");
	assert_int_equal(cfg.monitor_pci_bus, 0xff);
	assert_int_equal(cfg.monitor_pci_dev, 0x1f);
	assert_int_equal(cfg.monitor_pci_fn, 7);
	assert_int_equal(cfg.monitor_pci_bar, 5);
	assert_int_equal(cfg.monitor_clock, 14745600);
	set_ok(&cfg, "monitor", "pci:2:0.1,bar=0");
	assert_int_equal(cfg.monitor_pci_bus, 2);
	assert_int_equal(cfg.monitor_pci_dev, 0);
	assert_int_equal(cfg.monitor_pci_fn, 1);
	assert_int_equal(cfg.monitor_pci_bar, 0);
	/* A new value starts from the defaults, not from the last pci:. */
	assert_int_equal(cfg.monitor_clock, DV_UART_DEFAULT_CLOCK);

	set_ok(&cfg, "monitor", "mmio:0xfe030000");
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_MMIO);
	assert_true(cfg.monitor_mmio == 0xfe030000ull);
	assert_int_equal(cfg.monitor_width, 1);
	assert_int_equal(cfg.monitor_shift, 0);
	assert_int_equal(cfg.monitor_clock, DV_UART_DEFAULT_CLOCK);
	set_ok(&cfg, "monitor", "mmio:0xfedc9000,width=4,shift=2,clock=48000000");
	assert_true(cfg.monitor_mmio == 0xfedc9000ull);
	assert_int_equal(cfg.monitor_width, 4);
	assert_int_equal(cfg.monitor_shift, 2);
	assert_int_equal(cfg.monitor_clock, 48000000);
	set_ok(&cfg, "monitor", "mmio:0x4000000000,shift=4,width=1");
	assert_true(cfg.monitor_mmio == 0x4000000000ull);
	assert_int_equal(cfg.monitor_shift, 4);

	set_ok(&cfg, "monitor", "com2");
	assert_int_equal(cfg.monitor_kind, DV_MONITOR_PORT);
	assert_int_equal(cfg.monitor_port, DV_COM2_PORT);
}

/* Every way a pci:/mmio:/auto value can be wrong, each refused whole. */
static void test_monitor_discovery_bad(void **state)
{
	(void)state;
	set_bad("monitor", "auto,bar=1", "com1..com4", NULL);
	set_bad("monitor", "automatic", "com1..com4", NULL);
	set_bad("monitor", "com1,width=4", "com1..com4", NULL);
	set_bad("monitor", "pci:", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci:00", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci:00:03", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci:00.03:0", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci:00:03.", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci:00:03.00", "needs BB:DD.F", NULL);
	set_bad("monitor", "pci::03.0", "bus must be 00..ff", NULL);
	set_bad("monitor", "pci:100:03.0", "bus must be 00..ff", NULL);
	set_bad("monitor", "pci:0g:03.0", "bus must be 00..ff", NULL);
	set_bad("monitor", "pci:00:20.0", "device must be 00..1f", NULL);
	set_bad("monitor", "pci:00:.0", "device must be 00..1f", NULL);
	set_bad("monitor", "pci:00:003.0", "device must be 00..1f", NULL);
	set_bad("monitor", "pci:00:03.8", "function must be 0..7", NULL);
	set_bad("monitor", "pci:00:03.x", "function must be 0..7", NULL);
	set_bad("monitor", "pci:00:03.0,bar=6", "bar= must be 0..5", NULL);
	set_bad("monitor", "pci:00:03.0,bar=", "must be a number", NULL);
	set_bad("monitor", "pci:00:03.0,bar=x", "must be a number", NULL);
	set_bad("monitor", "pci:00:03.0,bar", "key=value", NULL);
	set_bad("monitor", "pci:00:03.0,", "key=value", NULL);
	set_bad("monitor", "pci:00:03.0,,bar=1", "key=value", NULL);
	set_bad("monitor", "pci:00:03.0,width=4", "pci: takes bar= and clock= only", NULL);
	set_bad("monitor", "pci:00:03.0,bar=1,speed=9", "pci: takes", NULL);
	set_bad("monitor", "pci:00:03.0,clock=799", "clock= must be 800..", NULL);
	set_bad("monitor", "pci:00:03.0,clock=4294967296", "clock= must be", NULL);
	set_bad("monitor", "mmio:", "needs an address", NULL);
	set_bad("monitor", "mmio:,width=4", "needs an address", NULL);
	set_bad("monitor", "mmio:0", "1..2^52-1", NULL);
	set_bad("monitor", "mmio:0x10000000000000", "1..2^52-1", NULL);
	set_bad("monitor", "mmio:0xfe03000g", "must be a number", NULL);
	set_bad("monitor", "mmio:0x1234567890123456789012", "must be a number", NULL);
	set_bad("monitor", "mmio:0xfe030000,width=2", "width= must be 1 or 4", NULL);
	set_bad("monitor", "mmio:0xfe030000,width=8", "width= must be 1 or 4", NULL);
	set_bad("monitor", "mmio:0xfe030000,shift=5", "shift= must be 0..4", NULL);
	set_bad("monitor", "mmio:0xfe030000,shift=-1", "must be a number", NULL);
	set_bad("monitor", "mmio:0xfe030000,clock=0", "clock= must be", NULL);
	set_bad("monitor", "mmio:0xfe030000,bar=1", "mmio: takes width=, shift= and clock=", NULL);
	set_bad("monitor", "mmio:0xfe030000;width=4", "must be a number", NULL);
}

static void test_bad_values(void **state)
{
	(void)state;
	set_bad("baud", "7", "bad value '7' for baud: must divide 115200", NULL);
	set_bad("baud", "9601", "must divide 115200", NULL);
	set_bad("baud", "230400", "50..115200", NULL);
	set_bad("baud", "25", "50..115200", "'25'");
	set_bad("baud", "0", "50..115200", NULL);
	set_bad("baud", "96OO", "not a number", "'96OO'");
	set_bad("baud", "9600 baud", "not a number", NULL);
	set_bad("baud", "", "empty", "baud");
	set_bad("baud", "0x", "no digits", NULL);
	set_bad("baud", "-9600", "negative", NULL);
	set_bad("baud", "+9600", "not a number", NULL);
	set_bad("baud", "18446744073709551616", "too large", NULL);
	set_bad("baud", "0x10000000000000000", "too large", NULL);
	set_bad("baud", "4294976896", "50..115200", NULL); /* 2^32 + 9600 must not wrap */
	set_bad("monitor", "0", "bad value '0' for monitor", "port 0");
	set_bad("monitor", "0x0", "port 0", NULL);
	set_bad("monitor", "0x10000", "1..0xffff", NULL);
	set_bad("monitor", "65536", "1..0xffff", NULL);
	set_bad("monitor", "com5", "com1..com4", "auto, pci:BB:DD.F or mmio:0xADDR");
	set_bad("monitor", "com", "com1..com4", NULL);
	set_bad("monitor", "", "com1..com4", NULL);
	set_bad("monitor", "-1", "com1..com4", NULL);
	set_bad("dr_switch", "sometimes", "eager, lazy", "dr_switch");
	set_bad("log_level", "verbose", "error, warn, info, debug", NULL);
	set_bad("on_unsupported", "maybe", "continue, refuse", NULL);
	set_bad("on_guest_shutdown", "halt", "bad value 'halt' for on_guest_shutdown",
		"reset, stop");
	set_bad("on_guest_shutdown", "", "reset, stop", NULL);
	set_bad("on_guest_shutdown", "reset2", "reset, stop", NULL);
	set_bad("selftest", "bp", "none, ud, gp, pf, de", NULL);
	set_bad("selftest", "", "none", NULL);
	set_bad("next", "EFI\\a.efi", "must start with '\\'", NULL);
	set_bad("next", "\\a\tb.efi", "control", NULL);
	set_bad("next_args", "a\x1b[2Jb", "control", NULL);
	set_bad("monitr", "com1", "unknown key 'monitr'", NULL);
	set_bad("", "com1", "unknown key ''", NULL);
}

static void test_set_why_buffer(void **state)
{
	struct dv_config cfg;
	char why[8];

	(void)state;
	dv_config_defaults(&cfg);
	/* A short buffer is truncated but stays terminated. */
	assert_int_equal(dv_config_set(&cfg, "baud", "7", why, sizeof(why)), -1);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(dv_config_set(&cfg, "baud", "7", why, 1), -1);
	assert_int_equal(why[0], 0);
	assert_int_equal(dv_config_set(&cfg, "baud", "7", NULL, 0), -1);
	assert_int_equal(dv_config_set(&cfg, "baud", "9600", NULL, 0), 0);
	assert_int_equal(dv_config_set(&cfg, NULL, "9600", why, sizeof(why)), -1);
	assert_int_equal(dv_config_set(&cfg, "baud", NULL, why, sizeof(why)), -1);
	assert_int_equal(cfg.baud, 9600);
}

static void test_file_all_keys(void **state)
{
	static const char text[] =
		"monitor=com2\n"
		"baud=57600\n"
		"next=/EFI/Linux/linux.efi\n"
		"next_args=console=ttyS1,57600 root=/dev/vda1 rw\n"
		"dr_switch=lazy\n"
		"log_level=debug\n"
		"on_unsupported=refuse\n"
		"on_guest_shutdown=stop\n"
		"selftest=pf\n";
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, text, &c), 0);
	assert_int_equal(cfg.monitor_port, 0x2f8);
	assert_int_equal(cfg.baud, 57600);
	assert_string_equal(cfg.next, "\\EFI\\Linux\\linux.efi");
	assert_string_equal(cfg.next_args, "console=ttyS1,57600 root=/dev/vda1 rw");
	assert_int_equal(cfg.dr_switch, DV_DR_SWITCH_LAZY);
	assert_int_equal(cfg.log_level, DV_LOG_DEBUG);
	assert_int_equal(cfg.on_unsupported, DV_UNSUPPORTED_REFUSE);
	assert_int_equal(cfg.selftest, DV_SELFTEST_PF);
	assert_int_equal(cfg.on_guest_shutdown, DV_GUEST_SHUTDOWN_STOP);
}

static void test_file_comments_blanks_crlf(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# drvisor configuration\r\n"
		"\r\n"
		"   \t  \r\n"
		"  # indented comment with = sign\n"
		"\tMONITOR \t=\t 0x2E8 \t# the fourth port\r\n"
		"baud = 38400#no blank before the comment\r\n"
		"next =   \\EFI\\BOOT\\next.efi   \r\n"
		"next_args=  -v  -x   # trailing blanks and comment trimmed\n"
		"\n\n"
		"log_level=warn";  /* no final newline */
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, text, &c), 0);
	assert_int_equal(cfg.monitor_port, 0x2e8);
	assert_int_equal(cfg.baud, 38400);
	assert_string_equal(cfg.next, "\\EFI\\BOOT\\next.efi");
	assert_string_equal(cfg.next_args, "-v  -x");
	assert_int_equal(cfg.log_level, DV_LOG_WARN);
}

static void test_file_empty(void **state)
{
	struct dv_config cfg, before;
	struct capture c;

	(void)state;
	odd_config(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(parse_file_n(&cfg, "", 0, &c), 0);
	assert_int_equal(parse_file(&cfg, "\n\n\r\n#\n", &c), 0);
	assert_int_equal(dv_config_parse_file(&cfg, NULL, 10, "X", capture_fn, &c), 0);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_file_unknown_key(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, "# x\nbaud=9600\nmonitr=com2\nlog_level=warn\n", &c), 1);
	assert_string_equal(c.msgs[0], "DRVISOR.CFG line 3: unknown key 'monitr'");
	/* The good lines around it still apply. */
	assert_int_equal(cfg.baud, 9600);
	assert_int_equal(cfg.log_level, DV_LOG_WARN);
	assert_int_equal(cfg.monitor_port, DV_COM1_PORT);
}

static void test_file_missing_equals(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, "baud 9600\n  = 5\nbaud=\n", &c), 3);
	assert_string_equal(c.msgs[0], "DRVISOR.CFG line 1: missing '=' in 'baud 9600'");
	assert_msg_has(&c, 1, "DRVISOR.CFG line 2: missing key");
	assert_msg_has(&c, 2, "DRVISOR.CFG line 3: bad value '' for baud");
	assert_int_equal(cfg.baud, 115200);
}

static void test_file_bad_numbers(void **state)
{
	static const char text[] =
		"baud=96x0\n"
		"baud=99999999999999999999999\n"
		"baud=\n"
		"baud=-9600\n"
		"baud=7\n"
		"monitor=0\n"
		"monitor=0x10000\n"
		"baud=4800\n";
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, text, &c), 7);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 1: bad value '96x0' for baud");
	assert_msg_has(&c, 1, "line 2: bad value '99999999999999999999999' for baud: number too large");
	assert_msg_has(&c, 2, "line 3: bad value '' for baud: empty");
	assert_msg_has(&c, 3, "line 4: bad value '-9600' for baud: must not be negative");
	assert_string_equal(c.msgs[4], "DRVISOR.CFG line 5: bad value '7' for baud: must divide 115200");
	assert_msg_has(&c, 5, "line 6: bad value '0' for monitor: port 0 is not allowed");
	assert_msg_has(&c, 6, "line 7: bad value '0x10000' for monitor");
	assert_int_equal(cfg.baud, 4800);
	assert_int_equal(cfg.monitor_port, DV_COM1_PORT);
}

/* Text of n bytes: "next_args=" then 'x' up to n bytes in all. */
static char *long_line(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "next_args=", 10);
	s[n] = 0;
	return s;
}

static void test_file_line_limit(void **state)
{
	char *line = long_line(DV_CONFIG_LINE_MAX - 1), *text;
	struct dv_config cfg;
	struct capture c;

	(void)state;
	/* The longest line accepted, with LF or CR LF after it. */
	text = malloc(DV_CONFIG_LINE_MAX + 16);
	dv_config_defaults(&cfg);
	snprintf(text, DV_CONFIG_LINE_MAX + 16, "%s\r\n", line);
	assert_int_equal(parse_file(&cfg, text, &c), 0);
	assert_int_equal(strlen(cfg.next_args), DV_CONFIG_LINE_MAX - 1 - 10);
	snprintf(text, DV_CONFIG_LINE_MAX + 16, "%s", line);
	assert_int_equal(parse_file(&cfg, text, &c), 0);
	free(line);
	/* One byte more is refused whole. */
	line = long_line(DV_CONFIG_LINE_MAX);
	dv_config_defaults(&cfg);
	snprintf(text, DV_CONFIG_LINE_MAX + 16, "%s\n", line);
	assert_int_equal(parse_file(&cfg, text, &c), 1);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 1: line is 512 bytes or longer");
	assert_string_equal(cfg.next_args, "");
	free(line);
	free(text);
}

static void test_file_overlong_middle(void **state)
{
	char *line = long_line(3000), *text = malloc(3100);
	struct dv_config cfg;
	struct capture c;

	(void)state;
	snprintf(text, 3100, "baud=9600\n%s\r\nlog_level=debug\n", line);
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, text, &c), 1);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 2:");
	assert_msg_has(&c, 0, "ignored");
	assert_int_equal(cfg.baud, 9600);
	assert_int_equal(cfg.log_level, DV_LOG_DEBUG);
	assert_string_equal(cfg.next_args, "");
	free(line);
	free(text);
}

static void test_file_overlong_at_eof(void **state)
{
	char *line = long_line(700), *text = malloc(800);
	struct dv_config cfg;
	struct capture c;

	(void)state;
	snprintf(text, 800, "baud=9600\r\n\n%s", line);  /* no newline at the end */
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, text, &c), 1);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 3:");
	assert_int_equal(cfg.baud, 9600);
	assert_string_equal(cfg.next_args, "");
	/* A file that is nothing but one huge line. */
	assert_int_equal(parse_file(&cfg, line, &c), 1);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 1:");
	free(line);
	free(text);
}

static void test_file_nul_bytes(void **state)
{
	static const char text[] = "baud=9600\nbaud=96\0" "00\nlog_level=debug # x\0y\n"
				   "\0\nmonitor=com2\n\0";
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	/* sizeof - 1: the text's last byte is itself the NUL after "com2\n". */
	assert_int_equal(parse_file_n(&cfg, text, sizeof(text) - 1, &c), 4);
	assert_msg_has(&c, 0, "DRVISOR.CFG line 2: NUL byte");
	assert_msg_has(&c, 1, "DRVISOR.CFG line 3: NUL byte");
	assert_msg_has(&c, 2, "DRVISOR.CFG line 4: NUL byte");
	assert_msg_has(&c, 3, "DRVISOR.CFG line 6: NUL byte");
	/* Nothing after the first NUL was skipped. */
	assert_int_equal(cfg.baud, 9600);
	assert_int_equal(cfg.log_level, DV_LOG_INFO);
	assert_int_equal(cfg.monitor_port, DV_COM2_PORT);
}

/* Every kind of bad line, alone in a file, must leave cfg byte-for-byte as
 * it was and be reported once. */
static void test_file_bad_line_changes_nothing(void **state)
{
	static const char *const bad[] = {
		"monitr=com2\n", "baud 9600\n", "baud=7\n", "baud=1x\n", "baud=\n",
		"monitor=0\n", "monitor=0x10000\n", "next=EFI\\a.efi\n", "dr_switch=no\n",
		"log_level=loud\n", "on_unsupported=x\n", "selftest=bp\n", "=com1\n",
		"ba\0ud=9600\n", "next=\\a\x01.efi\n", "on_guest_shutdown=off\n",
	};
	struct dv_config cfg, before;
	struct capture c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		if (i == 13)
			len = 11;  /* the one with a NUL inside */
		odd_config(&cfg);
		memcpy(&before, &cfg, sizeof(cfg));
		assert_int_equal(parse_file_n(&cfg, bad[i], len, &c), 1);
		assert_memory_equal(&cfg, &before, sizeof(cfg));
		assert_msg_has(&c, 0, "DRVISOR.CFG line 1: ");
	}
	/* The overlong line too. */
	char *line = long_line(2 * DV_CONFIG_LINE_MAX);
	odd_config(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(parse_file(&cfg, line, &c), 1);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	free(line);
}

static void test_file_origin_in_messages(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	memset(&c, 0, sizeof(c));
	assert_int_equal(dv_config_parse_file(&cfg, "\n\nfoo=1\nselftest=xx", 19,
					      "\\EFI\\BOOT\\DRVISOR.CFG", capture_fn, &c), 2);
	assert_string_equal(c.msgs[0], "\\EFI\\BOOT\\DRVISOR.CFG line 3: unknown key 'foo'");
	assert_msg_has(&c, 1, "\\EFI\\BOOT\\DRVISOR.CFG line 4: bad value 'xx' for selftest");
	/* No callback: problems are still counted. */
	assert_int_equal(dv_config_parse_file(&cfg, "foo=1\nbar=2\n", 12, NULL, NULL, NULL), 2);
}

static void test_long_values_quoted_short(void **state)
{
	char *line = long_line(400);
	struct dv_config cfg;
	struct capture c;

	(void)state;
	memcpy(line, "selftest=", 9);
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, line, &c), 1);
	assert_msg_has(&c, 0, "...' for selftest");
	assert_true(strlen(c.msgs[0]) < 160);
	free(line);
}

static void test_options_override_file(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_file(&cfg, "monitor=com3\nbaud=9600\nnext=\\a.efi\n"
					  "log_level=warn\n", &c), 0);
	assert_int_equal(parse_opts(&cfg, "\\EFI\\BOOT\\BOOTX64.EFI next=\\b.efi monitor=com2", &c), 0);
	assert_int_equal(cfg.monitor_port, DV_COM2_PORT);
	assert_int_equal(cfg.baud, 9600);
	assert_string_equal(cfg.next, "\\b.efi");
	assert_int_equal(cfg.log_level, DV_LOG_WARN);
}

static void test_options_image_name(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	/* Without the image name: the first token is a pair. */
	assert_int_equal(parse_opts(&cfg, "baud=19200\tdr_switch=LAZY", &c), 0);
	assert_int_equal(cfg.baud, 19200);
	assert_int_equal(cfg.dr_switch, DV_DR_SWITCH_LAZY);
	/* Only the first token may lack '='. */
	assert_int_equal(parse_opts(&cfg, "  BOOTX64.EFI  stray baud=600 junk", &c), 2);
	assert_string_equal(c.msgs[0], "load options: missing '=' in 'stray'");
	assert_string_equal(c.msgs[1], "load options: missing '=' in 'junk'");
	assert_int_equal(cfg.baud, 600);
	assert_int_equal(parse_opts(&cfg, "BOOTX64.EFI", &c), 0);
	assert_int_equal(parse_opts(&cfg, "", &c), 0);
	assert_int_equal(parse_opts(&cfg, "   \t ", &c), 0);
	assert_int_equal(dv_config_parse_options(&cfg, NULL, 5, NULL, NULL), 0);
}

static void test_options_errors(void **state)
{
	struct dv_config cfg, before;
	struct capture c;

	(void)state;
	odd_config(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(parse_opts(&cfg, "x.efi monitr=com1 baud=7 =5 monitor=0", &c), 4);
	assert_string_equal(c.msgs[0], "load options: unknown key 'monitr'");
	assert_string_equal(c.msgs[1], "load options: bad value '7' for baud: must divide 115200");
	assert_msg_has(&c, 2, "load options: missing key");
	assert_msg_has(&c, 3, "load options: bad value '0' for monitor");
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_options_next_args_rest(void **state)
{
	struct dv_config cfg;
	struct capture c;

	(void)state;
	dv_config_defaults(&cfg);
	assert_int_equal(parse_opts(&cfg, "BOOTX64.EFI next=/vmlinuz next_args=  console=ttyS0"
					  "  root=/dev/sda1 monitor=com4  \t", &c), 0);
	assert_string_equal(cfg.next, "\\vmlinuz");
	assert_string_equal(cfg.next_args, "console=ttyS0  root=/dev/sda1 monitor=com4");
	/* monitor= belonged to next_args, so it was not applied. */
	assert_int_equal(cfg.monitor_port, DV_COM1_PORT);
	assert_int_equal(parse_opts(&cfg, "NEXT_ARGS=", &c), 0);
	assert_string_equal(cfg.next_args, "");
	/* A key that merely starts like next_args is not it. */
	assert_int_equal(parse_opts(&cfg, "next_argsx=1 baud=300", &c), 1);
	assert_int_equal(cfg.baud, 300);
}

static void test_options_nul_and_long(void **state)
{
	static const char opts[] = "BOOTX64.EFI baud=1200\0log_level=error\0\0";
	struct dv_config cfg;
	struct capture c;
	char *big;

	(void)state;
	dv_config_defaults(&cfg);
	/* NULs separate like blanks, including a counted terminator. */
	assert_int_equal(parse_opts_n(&cfg, opts, sizeof(opts) - 1, &c), 0);
	assert_int_equal(cfg.baud, 1200);
	assert_int_equal(cfg.log_level, DV_LOG_ERROR);
	/* An overlong value in the options is refused, not cut. */
	big = long_line(2000);
	assert_int_equal(parse_opts(&cfg, big, &c), 1);
	assert_msg_has(&c, 0, "load options: value of 'next_args'");
	assert_string_equal(cfg.next_args, "");
	big[4] = 'X';  /* "nextXargs=...": an unknown key with a long value */
	assert_int_equal(parse_opts(&cfg, big, &c), 1);
	memset(big, 'k', 1500);  /* a key longer than any buffer */
	big[1500] = '=';
	assert_int_equal(parse_opts(&cfg, big, &c), 1);
	assert_msg_has(&c, 0, "unknown key 'kkkk");
	free(big);
}

/* Tiny deterministic generator for the random tests. */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Random text from a small alphabet rich in separators: parse it as a file
 * and as options; ASan checks the bounds, capture_fn the messages, and the
 * enum fields must stay in range. */
static void test_random_text(void **state)
{
	static const char alphabet[] = "=#\r\n \t\0x0b7\\/monitor=baud=next=next_args=com1";
	uint64_t seed = 12345;
	struct dv_config cfg;
	struct capture c;
	char buf[1500];

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = rnd(&seed) % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (rnd(&seed) & 7) ? alphabet[rnd(&seed) % (sizeof(alphabet) - 1)]
						  : (char)rnd(&seed);
		dv_config_defaults(&cfg);
		parse_file_n(&cfg, buf, len, &c);
		parse_opts_n(&cfg, buf, len, &c);
		assert_true(cfg.dr_switch <= 1 && cfg.log_level <= 3);
		assert_true(cfg.on_unsupported <= 1 && cfg.selftest <= 4);
		assert_true(cfg.on_guest_shutdown <= 1);
		assert_true(115200 % cfg.baud == 0 && cfg.monitor_port != 0);
		assert_true(memchr(cfg.next, 0, sizeof(cfg.next)) != NULL);
		assert_true(memchr(cfg.next_args, 0, sizeof(cfg.next_args)) != NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_monitor_values),
		cmocka_unit_test(test_monitor_discovery_values),
		cmocka_unit_test(test_monitor_discovery_bad),
		cmocka_unit_test(test_baud_values),
		cmocka_unit_test(test_word_values),
		cmocka_unit_test(test_names_out_of_range),
		cmocka_unit_test(test_next_values),
		cmocka_unit_test(test_next_args_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_set_why_buffer),
		cmocka_unit_test(test_file_all_keys),
		cmocka_unit_test(test_file_comments_blanks_crlf),
		cmocka_unit_test(test_file_empty),
		cmocka_unit_test(test_file_unknown_key),
		cmocka_unit_test(test_file_missing_equals),
		cmocka_unit_test(test_file_bad_numbers),
		cmocka_unit_test(test_file_line_limit),
		cmocka_unit_test(test_file_overlong_middle),
		cmocka_unit_test(test_file_overlong_at_eof),
		cmocka_unit_test(test_file_nul_bytes),
		cmocka_unit_test(test_file_bad_line_changes_nothing),
		cmocka_unit_test(test_file_origin_in_messages),
		cmocka_unit_test(test_long_values_quoted_short),
		cmocka_unit_test(test_options_override_file),
		cmocka_unit_test(test_options_image_name),
		cmocka_unit_test(test_options_errors),
		cmocka_unit_test(test_options_next_args_rest),
		cmocka_unit_test(test_options_nul_and_long),
		cmocka_unit_test(test_random_text),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
