/* SPDX-License-Identifier: MIT */
#include "devices/xen_console.h"
#include "lib/log.h"
#include "xen/domain.h"

#include <string.h>

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

void xen_console_kick(struct xen_console *c)
{
	struct xencons_interface *r = c->ring;
	uint8_t buf[sizeof(r->out)];
	XENCONS_RING_IDX cons, prod;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
	prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	if (!indexes_sane(c, cons, prod, sizeof(r->out))) {
		/* Drop what cannot be trusted and resynchronise to the producer. */
		__atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	for (; cons != prod; cons++)
		buf[n++] = (uint8_t)r->out[MASK_XENCONS_IDX(cons, r->out)];
	__atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	if (n && c->xd->console_out)
		c->xd->console_out(c->xd->console_opaque, buf, n);
	/* A synchronous writer waits for out_cons to catch up: tell it. */
	if (n)
		evtchn_notify_guest(&c->xd->evtchn, (evtchn_port_t)c->xd->console_port);
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
