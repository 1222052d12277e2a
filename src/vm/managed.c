/* SPDX-License-Identifier: MIT */
#include "vm/managed.h"
#include "core/sandbox.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/unix_socket.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLIENTS 32
/* Slots console clients cannot take, so xkvmd can always reach the controls. */
#define CONTROL_RESERVED 8

struct client {
	int fd; /* -1: free slot */
	bool console;
	size_t line_len; /* control: bytes of the request line so far */
	char line[MANAGED_MAX_LINE];
	uint8_t *queue; /* bytes waiting for the client to read them */
	size_t queue_len;
};

struct managed {
	char dir[PATH_MAX];
	/* Files in dir go through this: once confined, the VMM may not reach dir by its path. */
	int dir_fd;
	const struct domain_config *cfg;
	struct domain_control *control;
	int console_listen, control_listen;
	int out_rd, out_wr; /* guest console output: domain → out_wr, we read out_rd */
	int in_rd, in_wr;   /* guest console input: we write in_wr, domain reads in_rd */
	int wake_fd;
	pthread_t thread;
	size_t backlog_head, backlog_len; /* a ring of the latest output */
	uint8_t backlog[MANAGED_BACKLOG];
	struct client clients[MAX_CLIENTS];
};

const char *managed_exit_reason(int exit_code)
{
	switch (exit_code) {
	case EXIT_GUEST_POWEROFF:
		return "poweroff";
	case EXIT_GUEST_CRASH:
		return "crash";
	case EXIT_GUEST_REBOOT:
		return "reboot";
	case EXIT_HOST_STOP:
		return "stopped";
	default:
		return "error";
	}
}

static int listen_unix(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd = path_join(path, sizeof(path), dir, name);

	if (!fd)
		fd = unix_socket_listen(path, 0600, MAX_CLIENTS, SOCK_NONBLOCK);
	if (fd < 0)
		pr_err("%s/%s: %s", dir, name, strerror(-fd));
	return fd;
}

static void backlog_add(struct managed *m, const uint8_t *buf, size_t len)
{
	if (len > MANAGED_BACKLOG) {
		buf += len - MANAGED_BACKLOG;
		len = MANAGED_BACKLOG;
	}
	for (size_t done = 0; done < len;) {
		size_t tail = (m->backlog_head + m->backlog_len) % MANAGED_BACKLOG;
		size_t room = MANAGED_BACKLOG - tail, n = MIN(room, len - done);

		memcpy(m->backlog + tail, buf + done, n);
		done += n;
		m->backlog_len += n;
		if (m->backlog_len > MANAGED_BACKLOG) {
			m->backlog_head =
			    (m->backlog_head + m->backlog_len - MANAGED_BACKLOG) % MANAGED_BACKLOG;
			m->backlog_len = MANAGED_BACKLOG;
		}
	}
}

static void drop_client(struct client *c)
{
	close(c->fd);
	free(c->queue);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Queue bytes for a client; one that falls too far behind is dropped. */
static void client_queue(struct client *c, const void *buf, size_t len)
{
	uint8_t *q;

	if (c->fd < 0 || len == 0)
		return;
	if (c->queue_len + len > MANAGED_CLIENT_QUEUE) {
		pr_warn("console client too slow: disconnected");
		drop_client(c);
		return;
	}
	q = realloc(c->queue, c->queue_len + len);
	if (!q) {
		drop_client(c);
		return;
	}
	memcpy(q + c->queue_len, buf, len);
	c->queue = q;
	c->queue_len += len;
}

static void client_flush(struct client *c)
{
	ssize_t n;

	if (c->fd < 0 || !c->queue_len)
		return;
	n = send(c->fd, c->queue, c->queue_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		drop_client(c);
	} else if (n > 0) {
		memmove(c->queue, c->queue + n, c->queue_len - (size_t)n);
		c->queue_len -= (size_t)n;
	}
}

static void accept_client(struct managed *m, int listen_fd, bool console)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct client *c = NULL;
	unsigned consoles = 0;

	if (fd < 0)
		return;
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (m->clients[i].fd < 0 && !c)
			c = &m->clients[i];
		else if (m->clients[i].fd >= 0 && m->clients[i].console)
			consoles++;
	}
	if (!c || (console && consoles >= MAX_CLIENTS - CONTROL_RESERVED)) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->console = console;
	if (!console)
		return;
	/* The ring in order: from head to the end, then the wrapped part. */
	size_t first = MIN(m->backlog_len, MANAGED_BACKLOG - m->backlog_head);

	client_queue(c, m->backlog + m->backlog_head, first);
	client_queue(c, m->backlog, m->backlog_len - first);
}

/* At most max_reads reads a round, so a chatty guest cannot starve the controls. */
static void console_output(struct managed *m, unsigned max_reads)
{
	uint8_t buf[4096];
	ssize_t n;

	while (max_reads-- && (n = read(m->out_rd, buf, sizeof(buf))) > 0) {
		backlog_add(m, buf, (size_t)n);
		for (unsigned i = 0; i < MAX_CLIENTS; i++)
			if (m->clients[i].fd >= 0 && m->clients[i].console)
				client_queue(&m->clients[i], buf, (size_t)n);
	}
}

static json_t *status_reply(struct managed *m)
{
	struct domain_status st;

	domain_control_status(m->control, &st);
	return json_pack("{s:b, s:s, s:b, s:s*, s:I, s:I, s:I}", "ok", 1, "state",
			 st.paused ? "paused" : "running", "pv_drivers", st.pv_drivers,
			 "pv_driver_version", st.pv_driver_version[0] ? st.pv_driver_version : NULL,
			 "vcpus", (json_int_t)m->cfg->vcpus, "memory_mib",
			 (json_int_t)m->cfg->memory_mib, "pid", (json_int_t)getpid());
}

static json_t *error_reply(const char *why)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", why);
}

static json_t *handle_request(struct managed *m, const char *line)
{
	static const struct {
		const char *name;
		enum domain_request req;
	} requests[] = {
	    {"pause", DOMAIN_PAUSE},   {"unpause", DOMAIN_UNPAUSE}, {"shutdown", DOMAIN_SHUTDOWN},
	    {"reboot", DOMAIN_REBOOT}, {"destroy", DOMAIN_DESTROY},
	};
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, NULL), *reply = NULL;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char why[160];

	if (!cmd) {
		reply = error_reply("expected {\"cmd\": \"...\"}");
	} else if (strcmp(cmd, "status") == 0) {
		reply = status_reply(m);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(requests) && !reply; i++) {
			if (strcmp(cmd, requests[i].name) != 0)
				continue;
			reply =
			    domain_control_request(m->control, requests[i].req, why, sizeof(why))
				? error_reply(why)
				: json_pack("{s:b}", "ok", 1);
		}
		if (!reply)
			reply = error_reply("unknown command");
	}
	json_decref(req);
	return reply;
}

static void answer(struct managed *m, struct client *c)
{
	json_t *reply;
	char *text;

	c->line[c->line_len] = '\0';
	reply = handle_request(m, c->line);
	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	if (text) {
		client_queue(c, text, strlen(text));
		client_queue(c, "\n", 1);
	}
	free(text);
	json_decref(reply);
	c->line_len = 0;
}

/* Control requests: one JSON object a line; an overlong line ends the connection. */
static void control_input(struct managed *m, struct client *c, const char *buf, size_t len)
{
	for (size_t i = 0; i < len && c->fd >= 0; i++) {
		if (buf[i] == '\n') {
			answer(m, c);
		} else if (c->line_len + 1 >= sizeof(c->line)) {
			drop_client(c);
		} else {
			c->line[c->line_len++] = buf[i];
		}
	}
}

static void client_input(struct managed *m, struct client *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(c);
	} else if (n > 0 && c->console) {
		/* The guest reads slowly; what does not fit in the pipe is dropped, as a UART
		 * would. */
		if (write(m->in_wr, buf, (size_t)n) < 0 && errno != EAGAIN)
			pr_warn_once("console input: %s", strerror(errno));
	} else if (n > 0) {
		control_input(m, c, buf, (size_t)n);
	}
}

static void *serve(void *arg)
{
	struct managed *m = arg;
	struct pollfd fds[4 + MAX_CLIENTS];
	struct client *owner[4 + MAX_CLIENTS];
	bool narrowed = false;

	for (;;) {
		unsigned n = 4;

		/* Started before the VMM is confined: narrows itself once it is. */
		if (!narrowed)
			narrowed = sandbox_confine_thread(SANDBOX_CONTROL);
		fds[0] = (struct pollfd){.fd = m->wake_fd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = m->out_rd, .events = POLLIN};
		fds[2] = (struct pollfd){.fd = m->console_listen, .events = POLLIN};
		fds[3] = (struct pollfd){.fd = m->control_listen, .events = POLLIN};
		for (unsigned i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &m->clients[i];

			if (c->fd < 0)
				continue;
			owner[n] = c;
			fds[n++] = (struct pollfd){.fd = c->fd,
						   .events = POLLIN | (c->queue_len ? POLLOUT : 0)};
		}
		if (poll(fds, n, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			console_output(m, 16);
		if (fds[0].revents)
			break;
		if (fds[2].revents)
			accept_client(m, m->console_listen, true);
		if (fds[3].revents)
			accept_client(m, m->control_listen, false);
		for (unsigned i = 4; i < n; i++) {
			if (owner[i]->fd != fds[i].fd)
				continue; /* dropped meanwhile */
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_input(m, owner[i]);
			if (owner[i]->fd == fds[i].fd && (fds[i].revents & POLLOUT))
				client_flush(owner[i]);
		}
	}
	console_output(m, UINT_MAX); /* the guest's last words */
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		client_flush(&m->clients[i]);
	return NULL;
}

static int make_pipes(struct managed *m)
{
	int out[2], in[2];

	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(in, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	m->out_rd = out[0];
	m->out_wr = out[1];
	m->in_rd = in[0];
	m->in_wr = in[1];
	/* We never block on them: a stalled guest must not stall the sockets. */
	fcntl(m->out_rd, F_SETFL, O_NONBLOCK);
	fcntl(m->in_wr, F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void release(struct managed *m)
{
	int *fds[] = {&m->console_listen, &m->control_listen, &m->out_rd,  &m->out_wr,
		      &m->in_rd,	  &m->in_wr,	      &m->wake_fd, &m->dir_fd};

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i].fd >= 0)
			drop_client(&m->clients[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close_fd(fds[i]);
	free(m);
}

/* DIR/name, written atomically (the daemon may read it at any time). */
static int write_dir_file(const struct managed *m, const char *name, const char *text)
{
	return write_file_atomic_at(m->dir_fd, name, text, 0600);
}

/* With the start time, the pid names this process uniquely (pids are reused). */
static int record_pid(const struct managed *m)
{
	uint64_t start = 0;
	char text[64];

	proc_stat_read(getpid(), &start, NULL);
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), (unsigned long long)start);
	return write_dir_file(m, "pid", text);
}

struct managed *managed_start(const char *dir, const struct domain_config *cfg,
			      struct domain_control *control, int *console_in, int *console_out)
{
	struct managed *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return NULL;
	m->console_listen = m->control_listen = m->out_rd = m->out_wr = m->dir_fd = -1;
	m->in_rd = m->in_wr = -1;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		m->clients[i].fd = -1;
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	m->cfg = cfg;
	m->control = control;
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_err("%s: %s", dir, strerror(errno));
		goto fail;
	}
	m->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dir_fd < 0) {
		pr_err("%s: %s", dir, strerror(errno));
		goto fail;
	}
	r = make_pipes(m);
	if (r || m->wake_fd < 0) {
		pr_err("managed VMM: %s", strerror(r ? -r : errno));
		goto fail;
	}
	m->console_listen = listen_unix(dir, "console.sock");
	m->control_listen = listen_unix(dir, "control.sock");
	if (m->console_listen < 0 || m->control_listen < 0)
		goto fail;
	r = record_pid(m);
	if (r) {
		pr_err("%s/pid: %s", dir, strerror(-r));
		goto fail;
	}
	r = pthread_create(&m->thread, NULL, serve, m);
	if (r) {
		pr_err("managed VMM thread: %s", strerror(r));
		goto fail;
	}
	*console_in = m->in_rd;
	*console_out = m->out_wr;
	return m;
fail:
	release(m);
	return NULL;
}

void managed_finish(struct managed *m, int exit_code)
{
	char text[64];

	if (!m)
		return;
	if (write(m->wake_fd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		pr_warn("managed VMM wake: %s", strerror(errno));
	pthread_join(m->thread, NULL);
	for (const char *const *name = (const char *const[]){"console.sock", "control.sock", NULL};
	     *name; name++)
		unlinkat(m->dir_fd, *name, 0);
	/* Last: the daemon takes the exit file as the end of this VMM. */
	snprintf(text, sizeof(text), "%d %s\n", exit_code, managed_exit_reason(exit_code));
	if (write_dir_file(m, "exit", text))
		pr_err("%s/exit: cannot record the exit code", m->dir);
	release(m);
}
