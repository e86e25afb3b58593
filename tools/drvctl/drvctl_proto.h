/*
 * drvctl's pure parts, split from the I/O so the unit tests reach them: the
 * command-line flags, the monitor command each action sends, the parser of
 * the monitor's machine-mode reply lines (grammar: core/monitor.c) and what
 * drvctl prints for each action.
 */
#ifndef DRVISOR_TOOLS_DRVCTL_PROTO_H
#define DRVISOR_TOOLS_DRVCTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DRV_ACTIONS_MAX 64
#define DRV_TOKEN_MAX 32        /* a VALUE or N argument, NUL included */
#define DRV_ITEMS_MAX 160       /* items kept from one reply */
#define DRV_TIMEOUT_MS_DEFAULT 5000u
#define DRV_BAUD_DEFAULT 115200u

/* Exit statuses. */
enum {
	DRV_EXIT_OK = 0,
	DRV_EXIT_MONITOR = 1,   /* the monitor answered error: ... */
	DRV_EXIT_USAGE = 2,
	DRV_EXIT_TIMEOUT = 3,
	DRV_EXIT_IO = 4,        /* cannot connect, connection lost, garbled reply */
};

enum drv_kind {
	DRV_GET, DRV_SET, DRV_GET_ALL, DRV_VCPU, DRV_PAUSE, DRV_CONT, DRV_STEP,
	DRV_STATS, DRV_STATS_RESET, DRV_PAUSE_ALL, DRV_CONT_ALL, DRV_STATS_ALL,
};

struct drv_action {
	enum drv_kind kind;
	const char *reg;        /* DRV_GET/DRV_SET: "dr0".."dr7" or "debugctl" */
	char arg[DRV_TOKEN_MAX]; /* VALUE, vCPU or step count; "" for none */
};

struct drv_opts {
	const char *socket, *device;
	unsigned baud, timeout_ms;
	bool help;
	unsigned n;
	struct drv_action a[DRV_ACTIONS_MAX + 1];  /* + the implicit vcpu 0 */
};

/* Parse the arguments after argv[0] into o; the actions start with a
 * DRV_VCPU ("0" unless the first flag is --vcpu). Returns 0, or -1 with a
 * one-line message in err. */
int drv_parse_args(int argc, char **argv, struct drv_opts *o, char *err, size_t errlen);

/* The monitor command line (no newline) that carries out a, into buf. */
void drv_command(const struct drv_action *a, char *buf, size_t size);

enum drv_reply_kind { DRV_NOT_REPLY, DRV_REPLY_OK, DRV_REPLY_ERROR };

struct drv_item {
	const char *name, *value;       /* value: NULL for a bare word */
};

struct drv_reply {
	enum drv_reply_kind kind;
	const char *error;              /* DRV_REPLY_ERROR: text after "error: " */
	unsigned n;                     /* items kept (at most DRV_ITEMS_MAX) */
	bool truncated;                 /* more items than that */
	struct drv_item item[DRV_ITEMS_MAX];
};

/* Parse one received line (without or with its CR/LF) in place. A line that
 * is not a well-formed reply -- an echo, a prompt, log output -- is
 * DRV_NOT_REPLY. Returns r->kind. */
enum drv_reply_kind drv_parse_reply(char *line, struct drv_reply *r);

/* The value of item name in r (for a bare word ""), or NULL. */
const char *drv_reply_get(const struct drv_reply *r, const char *name);

/* Print what action a shows from its successful reply r to f, one
 * name=value per line. Returns 0, or -1 when r lacks what a asked for. */
int drv_print(const struct drv_action *a, const struct drv_reply *r, FILE *f);

/* The usage text. */
void drv_usage(FILE *f);

#endif
