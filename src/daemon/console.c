/* SPDX-License-Identifier: MIT */
#include "daemon/console.h"
#include "lib/unix_socket.h"
#include "lib/util.h"
#include "lib/log.h"
#include "lib/websocket.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Frames from the client: at most this payload (a paste, not a file). */
#define IN_FRAME_MAX ((size_t)64 * 1024)
#define IN_BUF	     (IN_FRAME_MAX + WS_MAX_HEADER)
/* Queued toward the client: beyond this it is too slow and is dropped. */
#define OUT_BUF ((size_t)1024 * 1024)
/* Read from the console at once: one frame. */
#define CONSOLE_CHUNK ((size_t)16 * 1024)
/* Queued toward the console (the guest's input). */
#define TO_CONSOLE_BUF	 ((size_t)64 * 1024)
#define PING_INTERVAL_MS (30 * 1000LL)
#define IDLE_LIMIT_MS	 (120 * 1000LL)

struct buf {
	uint8_t *data;
	size_t len, cap;
};

struct pump {
	int ws, con, stop;
	struct buf in;	/* from the client, not yet parsed */
	struct buf out; /* to the client */
	struct buf tocon;
	bool closing; /* a close frame is queued: flush it, then end */
	bool done;
	long long last_rx, last_ping;
};

static bool buf_init(struct buf *b, size_t cap)
{
	b->data = malloc(cap);
	b->len = 0;
	b->cap = cap;
	return b->data != NULL;
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* Queue a frame to the client; false when the client is too far behind. */
static bool queue_frame(struct pump *p, uint8_t op, const void *data, size_t len)
{
	ssize_t n;

	if (p->closing)
		return true;
	n = ws_encode_frame(p->out.data + p->out.len, p->out.cap - p->out.len, op, data, len,
			    false);
	if (n < 0)
		return false;
	p->out.len += (size_t)n;
	return true;
}

static void queue_close(struct pump *p, uint16_t code, const char *why)
{
	uint8_t payload[WS_MAX_CONTROL_PAYLOAD];
	size_t len = strnlen(why, sizeof(payload) - 2);

	payload[0] = (uint8_t)(code >> 8);
	payload[1] = (uint8_t)code;
	memcpy(payload + 2, why, len);
	if (!queue_frame(p, WS_OP_CLOSE, payload, len + 2))
		p->done = true;
	p->closing = true;
}

/* One frame from the client. */
static void handle_frame(struct pump *p, const struct ws_frame *f)
{
	switch (f->opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
	case WS_OP_CONT:
		/* Raw bytes either way: fragments are just more bytes. */
		memcpy(p->tocon.data + p->tocon.len, f->payload, f->len);
		p->tocon.len += f->len;
		break;
	case WS_OP_PING:
		if (!queue_frame(p, WS_OP_PONG, f->payload, f->len))
			p->done = true;
		break;
	case WS_OP_PONG:
		break;
	case WS_OP_CLOSE:
		queue_close(p, 1000, "");
		break;
	}
}

/*
 * Parse what the client sent, as long as the console side has room for it.
 * The parsed bytes are dropped once at the end: many tiny frames must not
 * cost a copy of the whole buffer each.
 */
static void parse_input(struct pump *p)
{
	size_t off = 0;

	/* Keep a whole frame's room toward the console; else wait for it to drain. */
	while (!p->closing && off < p->in.len && p->tocon.cap - p->tocon.len >= IN_FRAME_MAX) {
		struct ws_frame f;
		ssize_t n =
		    ws_parse_frame(p->in.data + off, p->in.len - off, IN_FRAME_MAX, true, &f);

		if (n == 0)
			break;
		if (n < 0) {
			queue_close(p, n == -E2BIG ? 1009 : 1002,
				    n == -E2BIG ? "frame too large" : "protocol error");
			break;
		}
		handle_frame(p, &f);
		off += (size_t)n;
	}
	buf_consume(&p->in, off);
}

static bool would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static void read_client(struct pump *p)
{
	ssize_t n = recv(p->ws, p->in.data + p->in.len, p->in.cap - p->in.len, 0);

	if (n == 0 || (n < 0 && !would_block())) {
		p->done = true;
		return;
	}
	if (n > 0) {
		p->in.len += (size_t)n;
		p->last_rx = monotonic_ms();
	}
}

static void read_console(struct pump *p)
{
	uint8_t chunk[CONSOLE_CHUNK];
	ssize_t n = recv(p->con, chunk, sizeof(chunk), 0);

	if (n == 0 || (n < 0 && !would_block())) {
		queue_close(p, 1000, "console closed");
		return;
	}
	if (n > 0 && !queue_frame(p, WS_OP_BINARY, chunk, (size_t)n)) {
		pr_info("console: client too slow, dropped");
		p->done = true;
	}
}

/* Send what is queued to fd; false on a dead peer. */
static bool flush(int fd, struct buf *b)
{
	ssize_t n;

	if (!b->len)
		return true;
	n = send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return would_block();
	buf_consume(b, (size_t)n);
	return true;
}

static void keepalive(struct pump *p)
{
	long long now = monotonic_ms();

	if (now - p->last_rx > IDLE_LIMIT_MS) {
		p->done = true;
		return;
	}
	if (now - p->last_ping >= PING_INTERVAL_MS) {
		p->last_ping = now;
		if (!queue_frame(p, WS_OP_PING, "", 0))
			p->done = true;
	}
}

static void run(struct pump *p)
{
	while (!p->done) {
		/* Read the client only when a frame's worth fits; the console only when the
		 * client's queue has room for a chunk (else it is dropped on the next read). */
		struct pollfd fds[3] = {
		    {.fd = p->stop, .events = POLLIN},
		    {.fd = p->ws,
		     .events = (short)((p->in.len < p->in.cap && !p->closing ? POLLIN : 0) |
				       (p->out.len ? POLLOUT : 0))},
		    /* Once closing, the console is done: a hung-up socket would wake poll forever.
		     */
		    {.fd = p->closing ? -1 : p->con,
		     .events = (short)(POLLIN | (p->tocon.len ? POLLOUT : 0))},
		};

		if (poll(fds, 3, 1000) < 0 && errno != EINTR)
			break;
		if (fds[0].revents) {
			/* The daemon stops: say so, best effort. */
			queue_close(p, 1001, "xkvmd is stopping");
			flush(p->ws, &p->out);
			break;
		}
		if (fds[1].revents & (POLLERR | POLLHUP) && !(fds[1].revents & POLLIN))
			break;
		if (fds[1].revents & POLLIN)
			read_client(p);
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
			read_console(p);
		parse_input(p);
		if (!flush(p->ws, &p->out) || !flush(p->con, &p->tocon))
			break;
		if (p->closing && !p->out.len)
			break;
		keepalive(p);
	}
}

void console_pump(int ws_fd, const uint8_t *extra, size_t extra_len, const char *console_path,
		  int stop_fd)
{
	struct pump p = {.ws = ws_fd, .stop = stop_fd};

	p.con = unix_socket_connect(console_path);
	if (p.con < 0) {
		pr_warn("console %s: %s", console_path, strerror(-p.con));
		return;
	}
	if (buf_init(&p.in, IN_BUF) && buf_init(&p.out, OUT_BUF) &&
	    buf_init(&p.tocon, TO_CONSOLE_BUF) && extra_len <= p.in.cap) {
		memcpy(p.in.data, extra, extra_len);
		p.in.len = extra_len;
		p.last_rx = p.last_ping = monotonic_ms();
		run(&p);
	}
	close(p.con);
	free(p.in.data);
	free(p.out.data);
	free(p.tocon.data);
}
