/* SPDX-License-Identifier: MIT */
/*
 * Xen network backend ("vif"): a guest netfront bridged to a host TAP
 * interface.  Copy-only (feature-rx-copy); split or shared event channels;
 * scatter-gather both ways (feature-sg).
 *
 * Multi-queue (netif.h): a TAP of our own is opened with one queue per
 * vCPU, at most 4 (IFF_MULTI_QUEUE, one fd each: the host kernel spreads
 * flows across them), and multi-queue-max-queues says so.  Each queue the
 * frontend takes (multi-queue-num-queues, keys under queue-<n>/) has its
 * own rings, event channel(s) and worker thread; they share the vif's
 * offloads.  An adopted fd is one queue, and nothing is advertised.
 *
 * Offloads go through the TAP's virtio_net_hdr (IFF_VNET_HDR, see
 * net_offload.h).  Transmit: a packet of up to XEN_NETIF_NR_SLOTS_MIN
 * slots becomes one TAP write; NETTXF_csum_blank becomes NEEDS_CSUM at the
 * TCP/UDP header found by parsing the frame (netif gives no offsets), a
 * GSO extra becomes a TCPv4/TCPv6 GSO header.  Receive: the TAP's
 * offloads (TUNSETOFFLOAD) are set when the frontend connects to what it
 * said it takes (feature-sg, feature-gso-tcpv4/6, feature-no-csum-offload,
 * feature-ipv6-csum-offload), so the host kernel segments and checksums
 * whatever it does not; a 64 KiB GSO frame is delivered over several
 * slots with a GSO extra and NETRXF_csum_blank.
 *
 * Data path: frames move between the TAP and the guest's granted pages
 * without a copy.  Transmit writes the slots' pages to the TAP in one
 * writev; receive, once the frontend has posted buffers for any frame,
 * reads straight into them.  Only a frame's head (XEN_NETIF_HEAD_COPY) is
 * copied, so that its headers are parsed, and on transmit its checksum
 * seeded, where the guest cannot change them; a frame whose checksum
 * must be completed here, or one waiting for buffers, is copied whole.
 *
 * A TAP without a virtio header (an adopted fd opened without
 * IFF_VNET_HDR: the emulated NIC's, for a PVHVM guest) gets no GSO either
 * way; a blank transmit checksum is then computed here in software.
 *
 * Anything malformed (chains, extras, headers, GSO sizes) costs the guest
 * an error response or the frame, never more.
 */
#ifndef XKVM_DEVICES_XEN_NETBACK_H
#define XKVM_DEVICES_XEN_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/netif.h>

#include "devices/net_offload.h"

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
 * Received frames: a 64 KiB GSO packet and its link headers fit with room
 * to spare (17 slots at most), plus one byte that detects longer ones.
 */
#define XEN_NETIF_RX_BUF_SIZE (68U * 1024 + 1)
/*
 * A frame's first bytes, copied to be parsed (and on transmit, its
 * checksum seeded) in memory the guest cannot change under us; the rest
 * moves between the TAP and the guest's pages without a copy.  Every
 * header stack we parse fits; a longer one costs a copy of the whole frame.
 */
#define XEN_NETIF_HEAD_COPY 256U

/* What the fd and the frontend can do; set before processing starts. */
struct xen_netif_offload {
	bool vnet_hdr;	       /* each frame on fd has a struct virtio_net_hdr first */
	bool rx_sg;	       /* the frontend takes a frame over several rx slots */
	struct net_rx_caps rx; /* and these receive offloads */
};

/*
 * One queue's shared rings and its packet sink/source.  fd (the queue's
 * TAP fd) carries one frame per write() (guest transmit) and per read()
 * (guest receive) and must be non-blocking: a TAP, or a datagram socket
 * in the tests.
 */
struct xen_netif_io {
	struct gnttab *gt;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	int fd;
	struct xen_netif_offload off;
	bool tx_broken; /* the guest corrupted a ring: that direction is no longer served */
	bool rx_broken;
	uint8_t *buf;			  /* XEN_NETIF_BUF_SIZE bytes: one transmitted frame */
	struct xen_netif_tx_chain *chain; /* one transmit packet's slots */
	/* A received frame waiting for rx_slots posted buffers (rx_len 0: none). */
	uint8_t *rx_buf; /* XEN_NETIF_RX_BUF_SIZE bytes */
	size_t rx_len;
	unsigned rx_slots;
	struct net_rx_meta rx_meta;
	/*
	 * Frame bytes copied through our buffers rather than moved straight
	 * between the TAP and the guest's pages (headers, fallbacks): for the
	 * tests and the debug log.
	 */
	uint64_t tx_copied;
	uint64_t rx_copied;
};

/* Attach to mapped ring pages (4096 bytes each).  Returns 0 or -ENOMEM. */
int xen_netif_io_init(struct xen_netif_io *io, struct gnttab *gt, void *tx_page, void *rx_page,
		      int fd);
void xen_netif_io_destroy(struct xen_netif_io *io);

/*
 * Consume transmit requests, write their frames to fd, respond to every
 * slot, push the responses once per batch.  *notify is set when the guest
 * must be notified on the tx event channel.  Returns true when requests
 * remain (a bounded batch was done).
 */
bool xen_netif_tx_process(struct xen_netif_io *io, bool *notify);

/*
 * While the guest has receive buffers posted and fd has frames, deliver
 * each frame over as many buffers as it needs (a frame waits, pending,
 * until enough are posted).  *notify as above, for the rx event channel.
 * Returns true when buffers remain posted (poll fd for more frames);
 * false when the guest must post more first (req_event is then armed).
 */
bool xen_netif_rx_process(struct xen_netif_io *io, bool *notify);

#endif
