/* SPDX-License-Identifier: MIT */
/*
 * Where a test host that stopped responding is stuck.  QEMU's human
 * monitor listens on <job>/monitor; before the test host is stopped, its
 * CPU's registers are sampled a few times through it, so the report of a
 * wedge says whether the emulated CPU spins (and where: the L1 kernel, a
 * nested guest, user space) or sits halted with nothing to wake it.
 */
#include "toolstack/testhost_monitor.h"
#include "lib/log.h"
#include "lib/unix_socket.h"
#include "lib/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MONITOR_PROMPT	   "(qemu) "
#define MONITOR_REPLY_MAX  8192
#define MONITOR_TIMEOUT_MS 5000

struct monitor {
	int fd;
	char buf[MONITOR_REPLY_MAX];
	size_t len;
};

/* Read until the prompt; the reply before it is left in m->buf, NUL-terminated. */
static int read_reply(struct monitor *m)
{
	long long deadline = monotonic_ms() + MONITOR_TIMEOUT_MS;
	char *prompt;

	m->len = 0;
	m->buf[0] = '\0';
	while (!(prompt = strstr(m->buf, MONITOR_PROMPT))) {
		struct pollfd p = {.fd = m->fd, .events = POLLIN};
		long long left = deadline - monotonic_ms();
		ssize_t n;

		if (left <= 0 || m->len + 1 >= sizeof(m->buf))
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		n = read(m->fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		m->len += n > 0 ? (size_t)n : 0;
		m->buf[m->len] = '\0';
	}
	*prompt = '\0';
	return 0;
}

/* A short command fits the socket buffer; MSG_NOSIGNAL: a monitor gone is an error, not SIGPIPE. */
static int command(struct monitor *m, const char *cmd)
{
	ssize_t n = send(m->fd, cmd, strlen(cmd), MSG_NOSIGNAL);

	if (n < 0)
		return -errno;
	return (size_t)n == strlen(cmd) ? read_reply(m) : -EIO;
}

/* The value after "<key>=" in a reply, up to the next blank, or "?". */
static void field(const char *reply, const char *key, char *out, size_t len)
{
	const char *p = strstr(reply, key);
	size_t n;

	if (!p) {
		snprintf(out, len, "?");
		return;
	}
	p += strlen(key);
	n = strcspn(p, " \r\n");
	snprintf(out, len, "%.*s", (int)MIN(n, len - 1), p);
}

/* One sample per line: where the CPU is, its privilege level and whether it halted. */
static void log_sample(const char *reply, unsigned i)
{
	char rip[24], cpl[4], hlt[4], cr3[24];

	field(reply, "RIP=", rip, sizeof(rip));
	field(reply, "CPL=", cpl, sizeof(cpl));
	field(reply, "HLT=", hlt, sizeof(hlt));
	field(reply, "CR3=", cr3, sizeof(cr3));
	pr_err("test host CPU sample %u: RIP=%s CPL=%s HLT=%s CR3=%s", i, rip, cpl, hlt, cr3);
}

int testhost_monitor_report(const char *socket_path, unsigned samples)
{
	const struct timespec gap = {.tv_nsec = 200000000L}; /* 200 ms */
	struct monitor m = {.fd = unix_socket_connect(socket_path)};
	int r;

	if (m.fd < 0)
		return m.fd;
	r = read_reply(&m); /* the banner */
	for (unsigned i = 0; !r && i < samples; i++) {
		r = command(&m, "info registers\n");
		if (!r)
			log_sample(m.buf, i);
		nanosleep(&gap, NULL);
	}
	/* The last sample in full (segments, control registers, EFER), less the echoed command. */
	if (!r) {
		char *body = strchr(m.buf, '\n');

		for (char *save = NULL, *line = strtok_r(body ? body + 1 : m.buf, "\r\n", &save);
		     line && strncmp(line, "FCW=", 4) != 0; /* then FPU and vector registers */
		     line = strtok_r(NULL, "\r\n", &save))
			pr_err("test host CPU: %s", line);
	}
	close(m.fd);
	return r;
}

int testhost_monitor_command(const char *socket_path, const char *cmd)
{
	struct monitor m = {.fd = unix_socket_connect(socket_path)};
	int r;

	if (m.fd < 0)
		return m.fd;
	r = read_reply(&m);
	if (!r)
		r = command(&m, cmd);
	close(m.fd);
	return r;
}
