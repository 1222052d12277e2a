/* SPDX-License-Identifier: MIT */
/*
 * The XenStore ring server (docs/misc/xenstore-ring.txt): request bytes go
 * from the guest's req ring into an xs_conn, replies and watch events go
 * from the conn into the rsp ring.  The page is shared with a hostile guest:
 * every index is re-read and checked, and data is copied out before use.
 *
 * Locking: work on a ring is done by whichever thread holds r->lock, taken
 * only with trylock.  A thread that finds it busy sets r->pending and leaves;
 * the holder loops until pending stays clear.  So a kick or a watch
 * notification never blocks on a ring, and rings that notify each other
 * (a write on one fires a watch on another) cannot deadlock.
 */
#include "xen/xs_ring.h"
#include "xen/xs_internal.h"
#include "lib/log.h"
#include "lib/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct xs_ring {
	pthread_mutex_t lock;
	bool pending; /* accessed atomically */
	uint16_t domid;
	bool dead; /* the guest corrupted the ring: ignore it until it reconnects */
	struct xs_conn *conn;
	struct xenstore_domain_interface *page;
	void (*notify_guest)(void *opaque);
	void *opaque;
};

static uint32_t load_idx(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_idx(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void ring_fail(struct xs_ring *r, uint32_t error, const char *why)
{
	pr_warn("xenstore: domain %u: %s; ignoring its ring until it reconnects", r->domid, why);
	store_idx(&r->page->error, error);
	r->dead = true;
}

/* The guest asked to start over (XENSTORE_RECONNECT): drop all state, zero the indexes. */
static void ring_reconnect(struct xs_ring *r)
{
	struct xenstore_domain_interface *page = r->page;

	xs_conn_reset(r->conn);
	store_idx(&page->req_cons, 0);
	store_idx(&page->req_prod, 0);
	store_idx(&page->rsp_cons, 0);
	store_idx(&page->rsp_prod, 0);
	store_idx(&page->error, XENSTORE_ERROR_NONE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store_idx(&page->connection, XENSTORE_CONNECTED);
	r->dead = false;
}

/* Move queued output into the rsp ring; true if anything was produced. */
static bool ring_write_responses(struct xs_ring *r)
{
	struct xenstore_domain_interface *page = r->page;
	uint32_t cons = load_idx(&page->rsp_cons), prod = load_idx(&page->rsp_prod);
	uint32_t start = prod;

	if (prod - cons > XENSTORE_RING_SIZE) {
		ring_fail(r, XENSTORE_ERROR_RINGIDX, "bad response ring indexes");
		return false;
	}
	/* The guest's reads of the slots we are about to reuse are done. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (prod - cons < XENSTORE_RING_SIZE) {
		uint32_t off = MASK_XENSTORE_IDX(prod);
		size_t room = MIN(XENSTORE_RING_SIZE - (prod - cons), XENSTORE_RING_SIZE - off);
		size_t n = xs_conn_take_output(r->conn, page->rsp + off, room);

		if (!n)
			break;
		prod += (uint32_t)n;
	}
	if (prod == start)
		return false;
	/* The data is in place before the guest can see the new index. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store_idx(&page->rsp_prod, prod);
	return true;
}

/* Copy pending request bytes out of the ring and feed them; true if any were consumed. */
static bool ring_read_requests(struct xs_ring *r)
{
	struct xenstore_domain_interface *page = r->page;
	uint32_t cons = load_idx(&page->req_cons), prod = load_idx(&page->req_prod);
	char buf[XENSTORE_RING_SIZE];
	size_t have = 0;

	if (prod - cons > XENSTORE_RING_SIZE) {
		ring_fail(r, XENSTORE_ERROR_RINGIDX, "bad request ring indexes");
		return false;
	}
	if (prod == cons)
		return false;
	/* Read the data only after the index that published it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (cons != prod) {
		uint32_t off = MASK_XENSTORE_IDX(cons);
		size_t n = MIN(prod - cons, XENSTORE_RING_SIZE - off);

		memcpy(buf + have, page->req + off, n);
		have += n;
		cons += (uint32_t)n;
	}
	/* Our copy is complete before the guest may reuse the space. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store_idx(&page->req_cons, cons);
	if (xs_conn_feed(r->conn, buf, have) < 0)
		ring_fail(r, XENSTORE_ERROR_PROTO, "protocol violation");
	return true;
}

/* One pass over the ring; true if the guest should be notified. */
static bool ring_process(struct xs_ring *r)
{
	bool notify = false, progress = true;

	if (load_idx(&r->page->connection) == XENSTORE_RECONNECT) {
		ring_reconnect(r);
		notify = true;
	}
	while (!r->dead && progress) {
		progress = ring_write_responses(r);
		/* Take new requests only when earlier replies have gone out: bounded queue. */
		if (!r->dead && !xs_conn_has_output(r->conn))
			progress |= ring_read_requests(r);
		if (!r->dead && xs_conn_broken(r->conn))
			ring_fail(r, XENSTORE_ERROR_COMM, "connection broken");
		notify |= progress;
	}
	return notify;
}

static void ring_run(struct xs_ring *r)
{
	bool notify;

	__atomic_store_n(&r->pending, true, __ATOMIC_SEQ_CST);
	for (;;) {
		/* Busy: the holder sees pending and does our work too. */
		if (pthread_mutex_trylock(&r->lock) != 0)
			return;
		notify = false;
		while (__atomic_exchange_n(&r->pending, false, __ATOMIC_SEQ_CST))
			notify |= ring_process(r);
		pthread_mutex_unlock(&r->lock);
		if (notify)
			r->notify_guest(r->opaque);
		if (!__atomic_load_n(&r->pending, __ATOMIC_SEQ_CST))
			return;
	}
}

/* Output became available asynchronously (a watch fired elsewhere). */
static void ring_conn_notify(void *opaque)
{
	ring_run(opaque);
}

struct xs_ring *xs_ring_new(struct xs_store *s, uint16_t domid,
			    struct xenstore_domain_interface *page,
			    void (*notify_guest)(void *opaque), void *opaque)
{
	struct xs_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->domid = domid;
	r->page = page;
	r->notify_guest = notify_guest;
	r->opaque = opaque;
	r->conn = xs_conn_new(s, domid, ring_conn_notify, r);
	if (!r->conn) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	store_idx(&page->server_features,
		  XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
	return r;
}

void xs_ring_kick(struct xs_ring *r)
{
	ring_run(r);
}

void xs_ring_free(struct xs_ring *r)
{
	if (!r)
		return;
	/* Waits for a notification running on another thread; none can start after. */
	xs_conn_free(r->conn);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
