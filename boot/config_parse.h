/*
 * Parser for drvisor's key=value configuration. Pure C with no firmware or
 * libc dependency, so the loader links it and the host unit tests exercise it.
 *
 * Syntax of the file (DRVISOR.CFG):
 *   - one key=value per line; blanks around key and value are ignored;
 *   - '#' starts a comment that runs to the end of the line;
 *   - empty lines are ignored; CR LF and LF line ends are both accepted;
 *   - a line longer than DV_CONFIG_LINE_MAX-1 bytes is rejected whole.
 * Syntax of load options: the same key=value pairs separated by blanks on
 * one line (the UEFI shell's "BOOTX64.EFI next=\a.efi monitor=com2"); a
 * token without '=' that is the first token is taken as the image's own name
 * and skipped. Load options are applied after the file, so they override it.
 *
 * Keys and values (documented defaults in include/drvisor/config.h):
 *   monitor=com1|com2|com3|com4|0xPORT|PORT  serial port the hypervisor owns
 *   baud=N                                    50..115200 and a divisor of 115200
 *   next=\path\to\image.efi                   image to chain-load ("" = none)
 *   next_args=...                             load options for next= (rest of line)
 *   dr_switch=eager|lazy
 *   log_level=error|warn|info|debug
 *   on_unsupported=continue|refuse
 *   on_guest_shutdown=reset|stop              platform reset, or park the vCPU
 *   selftest=none|ud|gp|pf|de                 host fault on purpose (test suite only)
 *   monitor_share=off|on                      the guest keeps using the monitor's port
 *   test_hooks=off|on                         test-suite hooks (builds with DRVISOR_TEST_HOOKS)
 *
 * Every problem (unknown key, bad value, missing '=', overlong line) is
 * reported through the callback as one line of text and leaves the affected
 * key at its previous value: a bad line never changes state.
 */
#ifndef DRVISOR_BOOT_CONFIG_PARSE_H
#define DRVISOR_BOOT_CONFIG_PARSE_H

#include <stddef.h>
#include <drvisor/config.h>

/* Receives one complete error message (no newline), e.g.
 * "DRVISOR.CFG line 3: unknown key 'monitr'". */
typedef void (*dv_config_report_fn)(void *ctx, const char *message);

/* Fill cfg with the documented defaults. */
void dv_config_defaults(struct dv_config *cfg);

/* Parse a whole config file of len bytes (need not be NUL-terminated).
 * origin names the source in messages ("DRVISOR.CFG"). Returns the number of
 * problems reported; valid lines are applied even when others are bad. */
int dv_config_parse_file(struct dv_config *cfg, const char *text, size_t len,
			 const char *origin, dv_config_report_fn report, void *ctx);

/* Parse one line of load options (ASCII, len bytes). Returns the number of
 * problems reported. next_args= takes the rest of the line as its value. */
int dv_config_parse_options(struct dv_config *cfg, const char *text, size_t len,
			    dv_config_report_fn report, void *ctx);

/* Apply a single key and value (both NUL-terminated, already trimmed).
 * Returns 0 on success, or writes a reason into why (why_len bytes, e.g.
 * "unknown key 'x'" or "bad value 'y' for baud: not a divisor of 115200")
 * and returns -1 with cfg unchanged. */
int dv_config_set(struct dv_config *cfg, const char *key, const char *value,
		  char *why, size_t why_len);

/* Names for printing. */
const char *dv_dr_switch_name(uint32_t v);
const char *dv_log_level_name(uint32_t v);
const char *dv_selftest_name(uint32_t v);

#endif
