/* SPDX-License-Identifier: MIT */
#include "devices/xen_console.h"
#include "lib/log.h"
#include "xen/domain.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void xen_console_init(struct xen_console *c, struct xen_domain *xd, void *page)
{
	memset(c, 0, sizeof(*c));
	c->xd = xd;
	c->ring = page;
	pthread_mutex_init(&c->lock, NULL);
}

void xen_console_destroy(struct xen_console *c)
{
	pthread_mutex_destroy(&c->lock);
}

/* The indexes are the guest's: a distance beyond the ring size means it corrupted them. */
static bool indexes_sane(struct xen_console *c, XENCONS_RING_IDX cons, XENCONS_RING_IDX prod,
			 size_t size)
{
	if ((XENCONS_RING_IDX)(prod - cons) <= size)
		return true;
	if (!c->warned_corrupt)
		pr_warn("xen console: guest corrupted its ring indexes (cons %u prod %u)", cons,
			prod);
	c->warned_corrupt = true;
	return false;
}

/*
 * Hand what the console takes of buf to it; returns how much (the rest
 * stays in the ring).  With c->lock, so that out_cons moves by exactly that:
 * console_offer never waits.
 */
static size_t offer_locked(struct xen_console *c, const uint8_t *buf, size_t n)
{
	struct xen_domain *xd = c->xd;

	if (!n || !xd->console_offer)
		return n;
	return xd->console_offer(xd->console_opaque, buf, n);
}

void xen_console_kick(struct xen_console *c)
{
	struct xencons_interface *r = c->ring;
	struct xen_domain *xd = c->xd;
	uint8_t buf[sizeof(r->out)];
	XENCONS_RING_IDX cons, prod;
	size_t n = 0, taken;

	pthread_mutex_lock(&c->lock);
	cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
	prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	if (!indexes_sane(c, cons, prod, sizeof(r->out))) {
		/* Drop what cannot be trusted and resynchronise to the producer. */
		__atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	for (XENCONS_RING_IDX i = cons; i != prod; i++)
		buf[n++] = (uint8_t)r->out[MASK_XENCONS_IDX(i, r->out)];
	taken = offer_locked(c, buf, n);
	__atomic_store_n(&r->out_cons, cons + (XENCONS_RING_IDX)taken, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	if (taken && !xd->console_offer && xd->console_out)
		xd->console_out(xd->console_opaque, buf, taken);
	/* A synchronous writer waits for out_cons to catch up: tell it. */
	if (taken)
		evtchn_notify_guest(&xd->evtchn, (evtchn_port_t)xd->console_port);
}

void xen_console_room(void *opaque)
{
	struct xen_console *c = opaque;

	/* As if the guest had signalled: the service thread drains the ring and kicks. */
	if (write(c->xd->console_efd, &(uint64_t){1}, sizeof(uint64_t)) < 0 && errno != EAGAIN)
		pr_warn_once("xen console: cannot wake the service thread: %s", strerror(errno));
}

size_t xen_console_receive(struct xen_console *c, const uint8_t *buf, size_t len)
{
	struct xencons_interface *r = c->ring;
	XENCONS_RING_IDX cons, prod;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(&r->in_prod, __ATOMIC_RELAXED);
	if (indexes_sane(c, cons, prod, sizeof(r->in))) {
		for (; n < len && (XENCONS_RING_IDX)(prod - cons) < sizeof(r->in); n++, prod++)
			r->in[MASK_XENCONS_IDX(prod, r->in)] = (char)buf[n];
		__atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
	} else {
		n = len; /* nowhere safe to put it: drop rather than retry forever */
	}
	pthread_mutex_unlock(&c->lock);
	if (n)
		evtchn_notify_guest(&c->xd->evtchn, (evtchn_port_t)c->xd->console_port);
	return n;
}
