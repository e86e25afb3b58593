/*
 * drvctl: bhyvectl-style client of drvisor's serial console monitor.
 *
 * It connects to the monitor's port (a QEMU UNIX socket, or a serial device
 * in raw mode), abandons any half-typed line (Ctrl-C), switches the monitor
 * to machine mode, sends one command per action and reads the one-line
 * replies (grammar: core/monitor.c), skipping anything that is not a reply
 * (echo, prompt, log output). At the end it puts the monitor back into
 * human mode if it found it there. Flags, output and exit statuses:
 * drvctl_proto.c (drv_usage) and docs/monitor.md.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "drvctl_proto.h"

#define LINE_MAX_IN 8192

struct conn {
	int fd;
	bool tty;
	unsigned timeout_ms;
	char buf[LINE_MAX_IN];
	size_t len;             /* bytes in buf */
	bool skipping;          /* inside an overlong line: drop to its end */
};

/* Milliseconds of CLOCK_MONOTONIC. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to the UNIX socket at path; returns the fd or -1 (errno set). */
static int open_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The termios speed for baud, or B0 when there is none. */
static speed_t baud_speed(unsigned baud)
{
	static const struct { unsigned baud; speed_t speed; } map[] = {
		{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
		{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
		{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
		{ 921600, B921600 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].baud == baud)
			return map[i].speed;
	return B0;
}

/* Open the serial device path raw at baud, 8N1, no flow control; returns
 * the fd or -1 (errno set). */
static int open_serial(const char *path, unsigned baud)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) < 0)
		goto fail;
	cfmakeraw(&t);
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
	t.c_cflag |= CLOCAL | CREAD | CS8;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, baud_speed(baud)) < 0 || cfsetospeed(&t, baud_speed(baud)) < 0 ||
	    tcsetattr(fd, TCSANOW, &t) < 0)
		goto fail;
	tcflush(fd, TCIFLUSH);
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* Write all of s; returns 0, or -1 on error or timeout (errno set). */
static int send_all(struct conn *c, const char *s, size_t len)
{
	long long deadline = now_ms() + c->timeout_ms;
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };

	while (len) {
		ssize_t n = write(c->fd, s, len);

		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(&p, 1, (int)(deadline - now_ms()));
	}
	return 0;
}

/* Move one complete line out of c->buf into line (NUL-terminated, newline
 * removed); returns whether there was one. Overlong lines are dropped. */
static bool take_line(struct conn *c, char *line)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (!nl) {
		if (c->len == sizeof(c->buf)) {
			c->len = 0;
			c->skipping = true;
		}
		return false;
	}
	n = (size_t)(nl - c->buf);
	memcpy(line, c->buf, n);
	line[n] = 0;
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (c->skipping) {
		c->skipping = false;
		line[0] = 0;
	}
	return true;
}

/* Read one line before deadline. Returns 1, 0 on timeout, -1 on error or
 * end of connection (errno set; 0 for end). */
static int read_line(struct conn *c, char *line, long long deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (take_line(c, line))
			return 1;
		if (now_ms() >= deadline)
			return 0;
		if (poll(&p, 1, (int)(deadline - now_ms())) < 0 && errno != EINTR)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n == 0 && (!c->tty || (p.revents & (POLLHUP | POLLERR)))) {
			errno = c->tty ? EIO : 0;
			return -1;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			c->len += (size_t)n;
	}
}

/* Throw away whatever has arrived and not been read: stale output. */
static void drain(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char junk[4096];

	c->len = 0;
	c->skipping = false;
	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && read(c->fd, junk, sizeof(junk)) > 0)
		;
}

/* Wait for the first reply line and parse it into r (line holds it).
 * Returns DRV_EXIT_OK, DRV_EXIT_TIMEOUT or DRV_EXIT_IO. */
static int wait_reply(struct conn *c, char *line, struct drv_reply *r, bool errors_too)
{
	long long deadline = now_ms() + c->timeout_ms;
	int got;

	for (;;) {
		got = read_line(c, line, deadline);
		if (got == 0)
			return DRV_EXIT_TIMEOUT;
		if (got < 0)
			return DRV_EXIT_IO;
		switch (drv_parse_reply(line, r)) {
		case DRV_REPLY_OK:
			return DRV_EXIT_OK;
		case DRV_REPLY_ERROR:
			if (errors_too)
				return DRV_EXIT_OK;
			break;
		case DRV_NOT_REPLY:
			break;
		}
	}
}

/* Report a failed transfer for what, and return status. */
static int transfer_failed(int status, const char *what, unsigned timeout_ms)
{
	if (status == DRV_EXIT_TIMEOUT)
		fprintf(stderr, "drvctl: timeout: no reply to '%s' within %u ms\n", what, timeout_ms);
	else if (errno)
		fprintf(stderr, "drvctl: '%s': %s\n", what, strerror(errno));
	else
		fprintf(stderr, "drvctl: '%s': connection closed by the monitor\n", what);
	return status;
}

/* Switch the monitor to machine mode; *was_human says whether it was in
 * human mode. Returns an exit status. */
static int handshake(struct conn *c, bool *was_human)
{
	static char line[LINE_MAX_IN];
	static struct drv_reply r;
	const char *mode, *prev;
	int st;

	drain(c);
	/* Ctrl-C first: a half-typed line must not be executed. */
	if (send_all(c, "\003mode machine\n", 14) < 0)
		return transfer_failed(DRV_EXIT_IO, "mode machine", c->timeout_ms);
	do {
		st = wait_reply(c, line, &r, false);
		if (st)
			return transfer_failed(st, "mode machine", c->timeout_ms);
		mode = drv_reply_get(&r, "mode");
		prev = drv_reply_get(&r, "previous");
	} while (!mode || strcmp(mode, "machine") != 0 || !prev);
	*was_human = strcmp(prev, "human") == 0;
	return DRV_EXIT_OK;
}

/* Carry out action a. Returns an exit status. */
static int run_action(struct conn *c, const struct drv_action *a)
{
	static char line[LINE_MAX_IN];
	static struct drv_reply r;
	char cmd[96];
	int st;

	drv_command(a, cmd, sizeof(cmd) - 1);
	drain(c);
	strcat(cmd, "\n");
	if (send_all(c, cmd, strlen(cmd)) < 0)
		return transfer_failed(DRV_EXIT_IO, cmd, c->timeout_ms);
	cmd[strlen(cmd) - 1] = 0;
	st = wait_reply(c, line, &r, true);
	if (st)
		return transfer_failed(st, cmd, c->timeout_ms);
	if (r.kind == DRV_REPLY_ERROR) {
		fprintf(stderr, "drvctl: %s: error: %s\n", cmd, r.error);
		return DRV_EXIT_MONITOR;
	}
	if (drv_print(a, &r, stdout) < 0) {
		fprintf(stderr, "drvctl: %s: unexpected reply: %s\n", cmd, line);
		return DRV_EXIT_IO;
	}
	return DRV_EXIT_OK;
}

/* Run every action in order, stopping at the first failure. */
static int run_session(struct conn *c, const struct drv_opts *o)
{
	bool was_human = false;
	unsigned i;
	int st = handshake(c, &was_human);

	for (i = 0; i < o->n && st == DRV_EXIT_OK; i++)
		st = run_action(c, &o->a[i]);
	if (was_human && st != DRV_EXIT_IO)
		send_all(c, "mode human\n", 11);
	if (c->tty)
		tcdrain(c->fd);
	return st;
}

int main(int argc, char **argv)
{
	static struct drv_opts o;
	static struct conn c;
	char err[256];
	int st;

	if (drv_parse_args(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "drvctl: %s\n", err);
		return DRV_EXIT_USAGE;
	}
	if (o.help) {
		drv_usage(stdout);
		return DRV_EXIT_OK;
	}
	if (o.device && baud_speed(o.baud) == B0) {
		fprintf(stderr, "drvctl: --baud=%u: not a rate this tool knows\n", o.baud);
		return DRV_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	c.timeout_ms = o.timeout_ms;
	c.tty = o.device != NULL;
	c.fd = o.socket ? open_socket(o.socket) : open_serial(o.device, o.baud);
	if (c.fd < 0) {
		fprintf(stderr, "drvctl: %s: %s\n", o.socket ? o.socket : o.device, strerror(errno));
		return DRV_EXIT_IO;
	}
	st = run_session(&c, &o);
	close(c.fd);
	if (fflush(stdout) != 0)
		return DRV_EXIT_IO;
	return st;
}
