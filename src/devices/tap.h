/* SPDX-License-Identifier: MIT */
/*
 * Host TAP interfaces for guest NICs.  A TAP fd carries whole Ethernet
 * frames, one per read() or write(), with no packet-info prefix
 * (IFF_NO_PI) and no virtio header.  The interface disappears when its
 * fd is closed.  Creating one needs CAP_NET_ADMIN.
 */
#ifndef XKVM_DEVICES_TAP_H
#define XKVM_DEVICES_TAP_H

#include <net/if.h>

/*
 * Create (or attach to) the TAP interface `name`, bring it up and, when
 * bridge is not NULL, add it to that bridge.  The host-side MAC is set to
 * fe:ff:ff:ff:ff:ff, as Xen's vif scripts do, so the bridge never adopts
 * it as its own address.  The kernel's name for the interface goes to
 * name_out.  Returns a non-blocking fd, or -errno after logging an error
 * that names the interface (or the bridge).
 */
int tap_open(const char *name, const char *bridge, char name_out[IFNAMSIZ]);

/* Close the fd; the interface goes away with it. */
void tap_close(int fd);

#endif
