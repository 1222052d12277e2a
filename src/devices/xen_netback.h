/* SPDX-License-Identifier: MIT */
/*
 * Xen network backend ("vif"): one guest netfront queue bridged to a host
 * TAP interface.  Copy-only (feature-rx-copy), no scatter-gather on
 * receive, no GSO, one queue; split or shared event channels.
 *
 * Transmit checksum offload: Linux netfront always assumes the backend can
 * fill in a TCP/UDP checksum it left blank (NETTXF_csum_blank, IPv4; IPv6
 * only when feature-ipv6-csum-offload is advertised, which it is not).  The
 * request does not say where the checksum is, so the headers must be
 * parsed either way; we then compute the checksum in software, from
 * scratch including the pseudo-header.  That does not depend on the guest
 * having pre-seeded the pseudo-header sum, on TAP offload flags, or on
 * what the host does with the frame next (bridge, route, physical NIC).
 * A csum_blank frame we cannot parse (not TCP/UDP over IPv4/IPv6, a
 * fragment, truncated) is dropped with NETIF_RSP_ERROR.
 *
 * Receive: frames from the TAP are delivered with flags 0 - the guest
 * verifies checksums itself.  A bridged TAP carries frames from other
 * hosts too, so we cannot claim NETRXF_data_validated.
 */
#ifndef XKVM_DEVICES_XEN_NETBACK_H
#define XKVM_DEVICES_XEN_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/netif.h>

struct xen_domain;
struct gnttab;
struct xen_netback;

struct xen_nic_spec {
	uint8_t mac[6];	    /* the guest's MAC */
	const char *bridge; /* host bridge to add the TAP to, or NULL; unused with fd */
	const char *ifname; /* TAP name, or NULL for "vif<domid>.<devid>" ("fd" with fd) */
	unsigned devid;	    /* XenBus device id: the guest's ethN handle */
	/*
	 * An open TAP (one frame per read/write) to adopt instead of opening
	 * one, or -1.  0 is an fd: every spec sets this.  The netback owns it
	 * from the call on, failure included, and closes it at destroy; a
	 * caller keeping its own passes a dup.
	 */
	int fd;
	/* Open now, add to XenBus at xen_netback_publish (a NIC the guest unplugs later). */
	bool unpublished;
};

/*
 * Open (or adopt) the TAP and, unless spec->unpublished, add the vif to
 * XenBus (xenbus_device_add).  The frontend keys "mac"
 * (aa:bb:cc:dd:ee:ff) and "handle" (devid) are passed to
 * xenbus_device_add; the caller passes none.  spec's strings need not
 * outlive the call.  Returns NULL after logging why.
 */
struct xen_netback *xen_netback_create(struct xen_domain *xd, const struct xen_nic_spec *spec);
/*
 * Add an unpublished vif to XenBus with the keys create would have used.
 * Opens nothing (fine once confined).  0, also when already published,
 * or -errno.  Any thread; calls serialise among themselves but must not
 * race xen_netback_destroy.
 */
int xen_netback_publish(struct xen_netback *nb);
/* Remove the XenBus device if published (disconnecting it) and close the TAP.  NULL is fine. */
void xen_netback_destroy(struct xen_netback *nb);
/* The host-side interface name, e.g. "vif1.0"; for an adopted fd spec->ifname or "fd". */
const char *xen_netback_ifname(const struct xen_netback *nb);

/* ---- Ring processing, exposed for the unit tests ---- */

/* Frames are at most 64 KiB - 1 (XEN_NETIF_MAX_TX_SIZE); one extra byte detects longer ones. */
#define XEN_NETIF_BUF_SIZE (XEN_NETIF_MAX_TX_SIZE + 1)

/*
 * One queue's shared rings and its packet sink/source.  fd carries one
 * frame per write() (guest transmit) and per read() (guest receive) and
 * must be non-blocking: a TAP, or a datagram socket in the tests.
 */
struct xen_netif_io {
	struct gnttab *gt;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	int fd;
	bool tx_broken; /* the guest corrupted a ring: that direction is no longer served */
	bool rx_broken;
	uint8_t *buf;			  /* XEN_NETIF_BUF_SIZE bytes: one frame */
	struct xen_netif_tx_chain *chain; /* one transmit packet's slots */
};

/* Attach to mapped ring pages (4096 bytes each).  Returns 0 or -ENOMEM. */
int xen_netif_io_init(struct xen_netif_io *io, struct gnttab *gt, void *tx_page, void *rx_page,
		      int fd);
void xen_netif_io_destroy(struct xen_netif_io *io);

/*
 * Consume transmit requests, write their frames to fd, respond to every
 * slot.  *notify is set when the guest must be notified on the tx event
 * channel.  Returns true when requests remain (a bounded batch was done).
 */
bool xen_netif_tx_process(struct xen_netif_io *io, bool *notify);

/*
 * While the guest has receive buffers posted and fd has frames, deliver
 * one frame per buffer.  *notify as above, for the rx event channel.
 * Returns true when buffers remain posted (poll fd for more frames);
 * false when the guest must post more first (req_event is then armed).
 */
bool xen_netif_rx_process(struct xen_netif_io *io, bool *notify);

/*
 * Fill in the TCP/UDP checksum of an Ethernet frame whose checksum was
 * left for us (NETTXF_csum_blank).  Returns 0, or -EINVAL when the frame
 * is not TCP/UDP over IPv4/IPv6 we can parse.
 */
int xen_netif_csum_fill(uint8_t *frame, size_t len);

#endif
