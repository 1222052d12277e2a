/* SPDX-License-Identifier: MIT */
/*
 * Checksum and segmentation offload for Ethernet frames crossing between a
 * Xen netfront and a host TAP: the translation between netif's per-packet
 * flags (NETTXF_csum_blank, NETRXF_data_validated, the GSO extra info) and
 * the struct virtio_net_hdr a TAP opened with IFF_VNET_HDR puts before
 * every frame.
 *
 * Neither side says where a blank checksum is: netif's flags carry no
 * offsets, so they are found by parsing the frame's own headers
 * (Ethernet, one VLAN tag, IPv4 or IPv6 with hop-by-hop and destination
 * options, TCP or UDP).  Every read is bounds-checked against the frame;
 * anything else (fragments, routing headers, other protocols, truncated
 * or inconsistent lengths) is refused with -EINVAL and costs the guest its
 * packet, never more.
 *
 * virtio_net_hdr fields are in the legacy (host) byte order: the TAP is
 * not switched to TUNSETVNETLE, and xkvm runs on little-endian x86.
 */
#ifndef XKVM_DEVICES_NET_OFFLOAD_H
#define XKVM_DEVICES_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

/* Where a TCP/UDP segment sits in a frame, as its IP header describes it. */
struct net_l4 {
	size_t l4_off;	    /* TCP/UDP header, from the frame's start */
	size_t l4_len;	    /* TCP/UDP header and payload, from the IP header's lengths */
	size_t hdr_len;	    /* frame bytes through the TCP/UDP header */
	size_t csum_at;	    /* the checksum field, relative to l4_off */
	uint64_t pseudo;    /* pseudo-header sum over l4_len, not folded */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto;	    /* 6 (TCP) or 17 (UDP) */
};

/* Parse a TCP or UDP frame over IPv4/IPv6.  0, or -EINVAL for anything else. */
int net_parse_l4(const uint8_t *frame, size_t len, struct net_l4 *l4);
/*
 * The same from the frame's first head bytes (head <= len), for a frame
 * whose rest lies elsewhere: headers must lie within head, the lengths
 * they state within len.  -EINVAL too when they reach past head.
 */
int net_parse_l4_head(const uint8_t *frame, size_t head, size_t len, struct net_l4 *l4);

/*
 * Fill in the TCP/UDP checksum of a frame from scratch, pseudo-header
 * included, whatever the field held.  0, or -EINVAL when not parseable.
 */
int net_csum_fill(uint8_t *frame, size_t len);

/*
 * Complete a partial checksum as virtio describes it: the ones'-complement
 * sum of [start, len), the field at start + offset holding the
 * pseudo-header seed.  0, or -EINVAL when the field lies outside the frame.
 */
int net_csum_complete(uint8_t *frame, size_t len, size_t start, size_t offset);

/* A transmitted packet's offload requests, from its netif flags and GSO extra. */
struct net_tx_meta {
	bool csum_blank;     /* NETTXF_csum_blank */
	bool data_validated; /* NETTXF_data_validated */
	uint8_t gso_type;    /* XEN_NETIF_GSO_TYPE_* (NONE: no GSO extra) */
	uint16_t gso_size;   /* the GSO extra's size: the segments' payload */
};

/*
 * The virtio_net_hdr for a guest frame of len bytes, given by its first
 * head (a private copy: the seed is written there).  A blank checksum becomes
 * NEEDS_CSUM at the parsed TCP/UDP header, with the pseudo-header seeded
 * into the field (the host kernel completes it from that seed, and a guest
 * need not have left it there).  GSO must be TCP of the IP version its
 * type names, with 0 < gso_size <= the payload.  0 or -EINVAL (also for
 * headers beyond head).
 */
int net_tx_vnet_hdr(uint8_t *frame, size_t head, size_t len, const struct net_tx_meta *m,
		    struct virtio_net_hdr *h);

/* What the frontend accepts on receive, from its XenStore keys. */
struct net_rx_caps {
	bool csum4; /* NETRXF_csum_blank on IPv4: unless feature-no-csum-offload */
	bool csum6; /* and on IPv6: feature-ipv6-csum-offload */
	bool gso4;  /* GSO extra of XEN_NETIF_GSO_TYPE_TCPV4: feature-gso-tcpv4 (with sg) */
	bool gso6;
};

/* How a received frame is to be delivered. */
struct net_rx_meta {
	uint16_t flags;	  /* NETRXF_csum_blank, NETRXF_data_validated */
	uint8_t gso_type; /* XEN_NETIF_GSO_TYPE_*: NONE for no GSO extra */
	uint16_t gso_size;
};

/*
 * Translate a host frame's virtio_net_hdr for a frontend with caps; the
 * frame is len bytes, its first head given.  A partial checksum the
 * frontend cannot take (or at a place it would not find by parsing) is
 * completed here, which takes the whole frame: -E2BIG when head < len.
 * GSO it does not accept, or that is malformed, is refused.  0, or
 * -EINVAL (drop the frame).
 */
int net_rx_meta_from_vnet(uint8_t *frame, size_t head, size_t len, const struct virtio_net_hdr *h,
			  const struct net_rx_caps *caps, struct net_rx_meta *m);

#endif
