/* SPDX-License-Identifier: MIT */
/*
 * A minimal XenStore client over the shared ring (STORE_PFN, STORE_EVTCHN):
 * one request at a time, replies matched by req_id, watch events that
 * arrive in between remembered for xs_wait_watch_event().
 *
 * Every wait is bounded.  Once a reply does not come in time, or times out
 * half-read, or carries an impossible length, the server is gone or the byte
 * stream can no longer be trusted: the client marks the connection lost and
 * fails all later requests at once.
 */
#include "hypercall.h"

#define XS_REPLY_TIMEOUT_MS 2000

static uint32_t next_req_id = 1;
static bool broken;

/* The latest watch event seen while waiting for something else. */
static struct {
	bool pending;
	struct xs_reply msg;
} stashed_event;

static struct xs_reply scratch; /* too big for our stack */

static void store_notify(void)
{
	evtchn_send(guest.store_port);
}

static int ring_write(const void *data, uint32_t len, const struct deadline *d)
{
	struct xenstore_domain_interface *xs = guest.store;
	const char *p = data;
	XENSTORE_RING_IDX prod = READ_ONCE(xs->req_prod);

	while (len) {
		XENSTORE_RING_IDX cons = READ_ONCE(xs->req_cons);
		uint32_t room;

		if (prod - cons > XENSTORE_RING_SIZE)
			return -XEN_EINVAL;
		room = XENSTORE_RING_SIZE - (prod - cons);
		if (!room) {
			if (deadline_passed(d))
				return -XEN_ETIMEDOUT;
			store_notify();
			sched_yield();
			continue;
		}
		for (; room && len; room--, len--)
			xs->req[MASK_XENSTORE_IDX(prod++)] = *p++;
		barrier(); /* data before index; x86 keeps stores in order */
		WRITE_ONCE(xs->req_prod, prod);
	}
	store_notify();
	return 0;
}

static int ring_read(void *data, uint32_t len, const struct deadline *d)
{
	struct xenstore_domain_interface *xs = guest.store;
	char *p = data;
	XENSTORE_RING_IDX cons = READ_ONCE(xs->rsp_cons);

	while (len) {
		XENSTORE_RING_IDX prod = READ_ONCE(xs->rsp_prod);

		if (prod - cons > XENSTORE_RING_SIZE)
			return -XEN_EINVAL;
		if (prod == cons) {
			if (deadline_passed(d))
				return -XEN_ETIMEDOUT;
			sched_yield();
			cpu_relax();
			continue;
		}
		barrier(); /* index before data */
		for (; prod != cons && len; len--)
			*p++ = xs->rsp[MASK_XENSTORE_IDX(cons++)];
		barrier();
		WRITE_ONCE(xs->rsp_cons, cons);
		store_notify(); /* there is room for the server to write more */
	}
	return 0;
}

/* Wait until the server has started a message: timing out here loses nothing. */
static int wait_for_message(const struct deadline *d)
{
	struct xenstore_domain_interface *xs = guest.store;

	while (READ_ONCE(xs->rsp_prod) == READ_ONCE(xs->rsp_cons)) {
		if (deadline_passed(d))
			return -XEN_ETIMEDOUT;
		sched_yield();
		cpu_relax();
	}
	return 0;
}

static int read_message(struct xs_reply *msg, uint32_t *req_id, const struct deadline *d)
{
	struct xsd_sockmsg hdr;
	int r = wait_for_message(d);

	if (r)
		return r;
	r = ring_read(&hdr, sizeof(hdr), d);
	if (!r && hdr.len > XS_REPLY_MAX)
		r = -XEN_EINVAL;
	if (!r)
		r = ring_read(msg->body, hdr.len, d);
	if (r) {
		broken = true;
		return r;
	}
	msg->type = hdr.type;
	msg->len = hdr.len;
	msg->body[hdr.len] = '\0';
	*req_id = hdr.req_id;
	return 0;
}

static bool usable(void)
{
	return guest.store && guest.store_port && !broken;
}

bool xs_connection_lost(void)
{
	return broken;
}

/*
 * Send one request and wait for its reply in *reply.  Returns 0 when a reply
 * came (possibly XS_ERROR: look at reply->type), negative otherwise.
 */
int xs_request(uint32_t type, const void *payload, uint32_t len, struct xs_reply *reply)
{
	struct deadline d = deadline_in_ms(XS_REPLY_TIMEOUT_MS);
	struct xsd_sockmsg hdr = {.type = type, .req_id = next_req_id++, .len = len};
	int r;

	if (!usable())
		return -XEN_EIO;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -XEN_EINVAL;
	r = ring_write(&hdr, sizeof(hdr), &d);
	if (!r)
		r = ring_write(payload, len, &d);
	if (r) {
		broken = true;
		return r;
	}
	for (;;) {
		uint32_t id;

		r = read_message(reply, &id, &d);
		if (r) {
			broken = true;
			return r;
		}
		if (reply->type == XS_WATCH_EVENT) {
			stashed_event.msg = *reply;
			stashed_event.pending = true;
			continue;
		}
		if (id == hdr.req_id)
			return 0;
		/* A late reply to an earlier request that timed out: skip it. */
	}
}

/* A request whose payload is one NUL-terminated string, such as a path. */
int xs_request_str(uint32_t type, const char *path, struct xs_reply *reply)
{
	return xs_request(type, path, (uint32_t)strlen(path) + 1, reply);
}

/* A watch event's body is "path\0token\0". */
static bool event_matches(const struct xs_reply *ev, const char *path, const char *token)
{
	size_t plen = strlen(path);

	return ev->len >= plen + 1 && str_eq(ev->body, path) && str_eq(ev->body + plen + 1, token);
}

/* Wait for a watch event for path with token.  0, or negative on timeout. */
int xs_wait_watch_event(const char *path, const char *token, uint32_t timeout_ms)
{
	struct deadline d = deadline_in_ms(timeout_ms);

	if (stashed_event.pending) {
		stashed_event.pending = false;
		if (event_matches(&stashed_event.msg, path, token))
			return 0;
	}
	while (usable()) {
		uint32_t id;
		int r = read_message(&scratch, &id, &d);

		if (r)
			return r;
		if (scratch.type == XS_WATCH_EVENT && event_matches(&scratch, path, token))
			return 0;
	}
	return -XEN_EIO;
}
