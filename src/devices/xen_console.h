/* SPDX-License-Identifier: MIT */
/*
 * The Xen console backend for a guest's primary console (hvc0): the ring
 * page and event channel the guest learns from HVM params.  Output is
 * taken as soon as the guest signals, as far as the host console has
 * room; the rest stays in the guest's ring (back-pressure, as with
 * xenconsoled) until the console has room again (xen_console_room), and
 * the guest is notified whenever its ring drained, so a guest that writes
 * synchronously and waits for out_cons to move goes on.  Taking output
 * never waits on the console's reader: it runs on the thread that serves
 * XenStore.
 */
#ifndef XKVM_DEVICES_XEN_CONSOLE_H
#define XKVM_DEVICES_XEN_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/io/console.h>

struct xen_domain;

struct xen_console {
	struct xen_domain *xd;
	struct xencons_interface *ring;
	pthread_mutex_t lock;
	bool warned_corrupt;
};

void xen_console_init(struct xen_console *c, struct xen_domain *xd, void *page);
void xen_console_destroy(struct xen_console *c);
/*
 * The guest signalled: pass what fits of its output to xd->console_offer
 * (else all of it to xd->console_out) and tell it the ring drained.
 */
void xen_console_kick(struct xen_console *c);
/*
 * The host console has room again (a console_room_fn, opaque the struct
 * xen_console): signal the service thread, which kicks.
 */
void xen_console_room(void *opaque);
/* Terminal input for the guest; returns how many bytes fit in the ring now. */
size_t xen_console_receive(struct xen_console *c, const uint8_t *buf, size_t len);

#endif
