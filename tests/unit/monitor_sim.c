/*
 * monitor_sim: the real monitor interpreter (core/monitor.c) on the fake
 * target (fake_target.c), served on a UNIX socket the way QEMU serves a
 * serial port -- the end-to-end partner of drvctl without a hypervisor.
 *
 * usage: monitor_sim SOCKET [--log FILE] [--machine] [--silent] [--pty]
 *   --log FILE  append everything the monitor writes to FILE
 *   --pty       serve a pseudo-terminal instead, SOCKET becoming a symlink
 *               to its slave device (a stand-in for a serial port)
 *   --machine   start the monitor in machine mode
 *   --silent    read but never answer (for drvctl's timeout)
 *
 * One client at a time; the monitor's state (registers, mode, selection)
 * lives on across connections, as on a real serial port. LF goes out as
 * CR LF, as the hypervisor's UART sink sends it. A step ends one poll tick
 * (10 ms) after it starts, as it would from the hypervisor's exit loop.
 * Runs until killed.
 */
#define _XOPEN_SOURCE 700
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
#include <unistd.h>
#include "core/monitor.h"
#include "fake_target.h"

static int client = -1;
static FILE *logf;

/* The monitor's sink: to the client (LF as CR LF) and the log. */
static void sink(const char *text, size_t len)
{
	size_t i;

	if (logf) {
		fwrite(text, 1, len, logf);
		fflush(logf);
	}
	for (i = 0; i < len && client >= 0; i++) {
		const char *out = text[i] == '\n' ? "\r\n" : &text[i];
		size_t n = text[i] == '\n' ? 2 : 1;

		if (write(client, out, n) != (ssize_t)n)
			break;
	}
}

/* Listen on a fresh UNIX socket at path; exits on failure. */
static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "monitor_sim: bad socket path %s\n", path);
		exit(1);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		perror("monitor_sim: bind/listen");
		exit(1);
	}
	return fd;
}

/* Open a pseudo-terminal and link path to its slave; returns the master.
 * The slave stays open here too (closed by nobody), so that the master
 * never sees a hang-up between two clients. */
static int open_pty(const char *path)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	const char *name;
	struct termios t;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
		perror("monitor_sim: pty");
		exit(1);
	}
	s = open(name, O_RDWR | O_NOCTTY);
	if (s < 0 || tcgetattr(s, &t) < 0) {
		perror("monitor_sim: pty slave");
		exit(1);
	}
	cfmakeraw(&t);          /* no echo of the monitor's own output */
	tcsetattr(s, TCSANOW, &t);
	unlink(path);
	if (symlink(name, path) < 0) {
		perror("monitor_sim: symlink");
		exit(1);
	}
	return m;
}

/* Serve one connection until the client hangs up (a pty: forever). */
static void serve(int fd, bool silent, bool pty)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char buf[256];
	ssize_t n, i;

	client = fd;
	for (;;) {
		int r = poll(&p, 1, 10);

		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && fake.step_pending) {
			fake_finish_step(fake.step_pending);
			continue;
		}
		if (r <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 && pty) {    /* no slave open now: EIO, POLLHUP */
			usleep(10000);
			continue;
		}
		if (n <= 0)
			break;
		for (i = 0; i < n && !silent; i++)
			monitor_input(buf[i]);
	}
	client = -1;
	close(fd);
}

int main(int argc, char **argv)
{
	bool silent = false, machine = false, pty = false;
	int i, lfd, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: monitor_sim SOCKET [--log FILE] [--machine] [--silent] [--pty]\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--silent") == 0)
			silent = true;
		else if (strcmp(argv[i], "--machine") == 0)
			machine = true;
		else if (strcmp(argv[i], "--pty") == 0)
			pty = true;
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			logf = fopen(argv[++i], "a");
	}
	signal(SIGPIPE, SIG_IGN);
	fake_reset();
	fake.strict = true;
	fake.step_mode = FAKE_STEP_ASYNC;
	fake.info_n = 3;
	fake.info[0] = "cpu: monitor_sim fake target";
	fake.info[2] = "note: no hypervisor, no guest";
	monitor_init(&fake_target, sink);
	if (machine)
		for (const char *s = "mode machine\n"; *s; s++)
			monitor_input((unsigned char)*s);
	if (pty)
		serve(open_pty(argv[1]), silent, true);
	lfd = listen_at(argv[1]);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			serve(fd, silent, false);
	}
}
