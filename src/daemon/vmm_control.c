/* SPDX-License-Identifier: MIT */
#include "daemon/vmm_control.h"
#include "lib/unix_socket.h"
#include "lib/util.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Wait for fd to be ready for events until the deadline.  0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left;
	int r;

	for (;;) {
		left = deadline - monotonic_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_line(int fd, const char *line, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(fd, line, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(fd, POLLOUT, deadline);

			if (r)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read up to and excluding the first newline into buf (NUL-terminated). */
static int recv_line(int fd, char *buf, size_t cap, long long deadline)
{
	size_t len = 0;

	for (;;) {
		char *nl;
		ssize_t n;
		int r;

		if (len + 1 >= cap)
			return -EMSGSIZE;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			r = wait_fd(fd, POLLIN, deadline);
			if (r)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return 0;
		}
	}
}

static int parse_reply(const char *line, json_t **reply, char *err, size_t errlen)
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	json_t *ok = json_object_get(o, "ok");
	const char *msg;

	if (!json_is_object(o) || !json_is_boolean(ok)) {
		json_decref(o);
		snprintf(err, errlen, "malformed answer from the VMM");
		return -EBADMSG;
	}
	if (!json_is_true(ok)) {
		msg = json_string_value(json_object_get(o, "error"));
		snprintf(err, errlen, "%s", msg ? msg : "the VMM refused");
		json_decref(o);
		return -EREMOTEIO;
	}
	if (reply)
		*reply = o;
	else
		json_decref(o);
	return 0;
}

int vmm_control(const char *path, const char *cmd, int timeout_ms, json_t **reply, char *err,
		size_t errlen)
{
	long long deadline = monotonic_ms() + timeout_ms;
	char line[VMM_CONTROL_LINE_MAX + 2];
	int fd, r, n;

	if (reply)
		*reply = NULL;
	n = snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(cmd, "\"\\\n"))
		return -EINVAL;
	fd = unix_socket_connect(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach the VMM: %s", strerror(-fd));
		return fd;
	}
	r = send_line(fd, line, (size_t)n, deadline);
	if (!r)
		r = recv_line(fd, line, sizeof(line), deadline);
	close(fd);
	if (r) {
		snprintf(err, errlen, "the VMM did not answer '%s': %s", cmd,
			 r == -EMSGSIZE ? "answer too long" : strerror(-r));
		return r;
	}
	return parse_reply(line, reply, err, errlen);
}
