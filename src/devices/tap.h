/* SPDX-License-Identifier: MIT */
/*
 * Host TAP interfaces for guest NICs.  A TAP fd carries whole Ethernet
 * frames, one per read() or write(), with no packet-info prefix
 * (IFF_NO_PI); with vnet_hdr each frame has a struct virtio_net_hdr
 * (linux/virtio_net.h) first, which carries checksum and segmentation
 * offloads.  The interface disappears when its fd is closed.  Creating
 * one needs CAP_NET_ADMIN; setting its offloads does not.
 */
#ifndef XKVM_DEVICES_TAP_H
#define XKVM_DEVICES_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * Create (or attach to) the TAP interface `name`, bring it up and, when
 * bridge is not NULL, add it to that bridge.  vnet_hdr: frames carry a
 * virtio_net_hdr (IFF_VNET_HDR), offloads off until tap_set_offload.  The host-side MAC is set to
 * fe:ff:ff:ff:ff:ff, as Xen's vif scripts do, so the bridge never adopts
 * it as its own address.  The kernel's name for the interface goes to
 * name_out.  Returns a non-blocking fd, or -errno after logging an error
 * that names the interface (or the bridge).
 */
int tap_open(const char *name, const char *bridge, bool vnet_hdr, char name_out[IFNAMSIZ]);

/*
 * As tap_open, with up to `want` queues: for want > 1 the interface is
 * multi-queue (IFF_MULTI_QUEUE), one fd per queue, and the kernel spreads
 * the frames it sends across the attached queues by flow.  fds[0..n) get
 * the queues' fds; returns n, at least 1 (an existing single-queue TAP of
 * that name gives 1, as may a kernel that refuses more queues), or -errno
 * after logging.
 */
int tap_open_queues(const char *name, const char *bridge, bool vnet_hdr, unsigned want, int fds[],
		    char name_out[IFNAMSIZ]);

/*
 * TUNSETQUEUE: attach a multi-queue TAP's queue fd (the kernel sends it
 * frames again) or detach it (none; what it held is dropped).  Needs no
 * privilege.  -EINVAL when it is already so, or not a multi-queue TAP.
 * 0 or -errno.
 */
int tap_set_queue(int fd, bool attach);

/*
 * 1 when fd is a TAP whose frames carry a virtio_net_hdr (its header size
 * then set to that struct's), 0 otherwise (not a TAP: plain frames).
 */
int tap_vnet_hdr(int fd);

/*
 * TUNSETOFFLOAD: the TUN_F_* offloads the reader of a vnet_hdr TAP
 * accepts; the kernel completes checksums and segments the rest.  0 or -errno.
 */
int tap_set_offload(int fd, unsigned tun_flags);

/*
 * One plain Ethernet frame to or from fd, whether or not its frames carry a
 * virtio_net_hdr (vnet_hdr): an empty header goes first, and a received
 * one is dropped.  An emulated NIC uses these on a TAP it may hand over to
 * a Xen netback (PVHVM), which then turns offloads on; while plain frames
 * are read the offloads stay off, so the kernel hands over only whole
 * frames with their checksums done.  As write(2) and read(2), counting the
 * frame's bytes only; a read shorter than the header fails with EPROTO.
 */
ssize_t tap_write_frame(int fd, bool vnet_hdr, const void *frame, size_t len);
ssize_t tap_read_frame(int fd, bool vnet_hdr, void *buf, size_t cap);

/* Close the fd; the interface goes away with it. */
void tap_close(int fd);

#endif
