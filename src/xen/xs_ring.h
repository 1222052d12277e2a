/* SPDX-License-Identifier: MIT */
/*
 * XenStore over a guest's shared ring page (struct xenstore_domain_interface):
 * copies request bytes from the ring into an xs_conn and replies back.
 * Every index read from the page is checked; a guest that corrupts them
 * gets XENSTORE_ERROR_RINGIDX in the page's error field and is ignored.
 */
#ifndef XKVM_XEN_XS_RING_H
#define XKVM_XEN_XS_RING_H

#include "xen/xenstore.h"

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

struct xs_ring;

/*
 * page: the ring page, mapped in the VMM.  notify_guest(opaque) raises the
 * guest's XenStore event channel; it is called after responses were
 * produced or requests consumed.
 */
struct xs_ring *xs_ring_new(struct xs_store *s, uint16_t domid,
			    struct xenstore_domain_interface *page,
			    void (*notify_guest)(void *opaque), void *opaque);
/* The guest signalled its event channel: process requests, push replies.  Any thread. */
void xs_ring_kick(struct xs_ring *r);
void xs_ring_free(struct xs_ring *r);

#endif
