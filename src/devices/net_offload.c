/* SPDX-License-Identifier: MIT */
/*
 * Frame header parsing, software checksums, and the netif <-> virtio_net_hdr
 * translation for netback's offloads (net_offload.h).  The frame is the
 * guest's (or another host's) and may say anything: every length read from
 * it is checked against what the frame holds before it is used.
 */
#include "devices/net_offload.h"
#include "lib/util.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <string.h>
#include <xen/io/netif.h>

#define VLAN_HLEN     4U
#define IPV4_MIN_HLEN 20U
#define IPV6_HLEN     40U
#define TCP_MIN_HLEN  20U
#define UDP_HLEN      8U
#define PROTO_TCP     6
#define PROTO_UDP     17
/* IPv6 extension headers followed before giving up: real stacks send one or two. */
#define IPV6_MAX_EXT 4

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ones'-complement sum of 16-bit big-endian words, not yet folded. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Throughout, a frame of len bytes may be given by its first head bytes
 * only (head <= len): headers are read from those, lengths the headers
 * state are checked against len.  Headers beyond head fail to parse.
 */

/* Past the Ethernet header and at most one VLAN tag: where IP starts, and its EtherType. */
static int parse_eth(const uint8_t *f, size_t head, size_t *l3, uint16_t *type)
{
	if (head < (size_t)ETH_HLEN)
		return -EINVAL;
	*type = get_be16(f + 12);
	*l3 = ETH_HLEN;
	if (*type == ETH_P_8021Q || *type == ETH_P_8021AD) { /* one VLAN tag */
		if (head < (size_t)ETH_HLEN + VLAN_HLEN)
			return -EINVAL;
		*type = get_be16(f + 16);
		*l3 += VLAN_HLEN;
	}
	return 0;
}

/* l4->l4_off comes back relative to the IP header; head and avail count from it. */
static int parse_ipv4(const uint8_t *ip, size_t head, size_t avail, struct net_l4 *l4)
{
	size_t ihl, tot;

	if (head < IPV4_MIN_HLEN || ip[0] >> 4 != 4)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get_be16(ip + 2);
	/* tot_len, not the frame length: short frames carry Ethernet padding. */
	if (ihl < IPV4_MIN_HLEN || ihl > head || tot < ihl || tot > avail)
		return -EINVAL;
	if (get_be16(ip + 6) & 0x3fff) /* MF or a fragment offset: no whole segment here */
		return -EINVAL;
	l4->ip_version = 4;
	l4->l4_off = ihl;
	l4->l4_len = tot - ihl;
	l4->proto = ip[9];
	l4->pseudo = csum_add(0, ip + 12, 8) + l4->proto + l4->l4_len;
	return 0;
}

/*
 * Walk hop-by-hop and destination options headers, which leave the
 * pseudo-header alone.  Routing headers (the pseudo-header would take the
 * final destination) and fragments are refused, as is a long chain.
 */
static int ipv6_skip_ext(const uint8_t *ip, size_t end, size_t *off, uint8_t *nh)
{
	unsigned i;

	*off = IPV6_HLEN;
	*nh = ip[6];
	for (i = 0; i < IPV6_MAX_EXT && (*nh == 0 || *nh == 60); i++) {
		if (end - *off < 8)
			return -EINVAL;
		*nh = ip[*off];
		*off += ((size_t)ip[*off + 1] + 1) * 8;
		if (*off > end)
			return -EINVAL;
	}
	return *nh == 0 || *nh == 60 ? -EINVAL : 0;
}

static int parse_ipv6(const uint8_t *ip, size_t head, size_t avail, struct net_l4 *l4)
{
	size_t end, off;
	uint8_t nh;

	if (head < IPV6_HLEN || ip[0] >> 4 != 6)
		return -EINVAL;
	end = IPV6_HLEN + get_be16(ip + 4);
	/* The extension headers are read: they must lie in head as well as in the packet. */
	if (end > avail || ipv6_skip_ext(ip, MIN(end, head), &off, &nh))
		return -EINVAL;
	l4->ip_version = 6;
	l4->l4_off = off;
	l4->l4_len = end - off;
	l4->proto = nh;
	l4->pseudo = csum_add(0, ip + 8, 32) + l4->proto + l4->l4_len;
	return 0;
}

/* The TCP or UDP header at frame + l4->l4_off, l4_len bytes long, head of them given. */
static int parse_transport(const uint8_t *seg, size_t head, struct net_l4 *l4)
{
	size_t hlen;

	if (l4->proto == PROTO_TCP) {
		if (l4->l4_len < TCP_MIN_HLEN || head < TCP_MIN_HLEN)
			return -EINVAL;
		hlen = (size_t)(seg[12] >> 4) * 4;
		if (hlen < TCP_MIN_HLEN || hlen > l4->l4_len || hlen > head)
			return -EINVAL;
		l4->csum_at = 16;
	} else if (l4->proto == PROTO_UDP) {
		if (l4->l4_len < UDP_HLEN || head < UDP_HLEN)
			return -EINVAL;
		hlen = UDP_HLEN;
		l4->csum_at = 6;
	} else {
		return -EINVAL;
	}
	l4->hdr_len = l4->l4_off + hlen;
	return 0;
}

int net_parse_l4_head(const uint8_t *frame, size_t head, size_t len, struct net_l4 *l4)
{
	size_t l3;
	uint16_t type;
	int r;

	memset(l4, 0, sizeof(*l4));
	if (head > len)
		return -EINVAL;
	r = parse_eth(frame, head, &l3, &type);
	if (r)
		return r;
	if (type == ETH_P_IP)
		r = parse_ipv4(frame + l3, head - l3, len - l3, l4);
	else if (type == ETH_P_IPV6)
		r = parse_ipv6(frame + l3, head - l3, len - l3, l4);
	else
		r = -EINVAL;
	if (r)
		return r;
	l4->l4_off += l3;
	return parse_transport(frame + l4->l4_off, head - l4->l4_off, l4);
}

int net_parse_l4(const uint8_t *frame, size_t len, struct net_l4 *l4)
{
	return net_parse_l4_head(frame, len, len, l4);
}

int net_csum_fill(uint8_t *frame, size_t len)
{
	struct net_l4 l4;
	uint8_t *seg;
	uint16_t csum;
	int r;

	r = net_parse_l4(frame, len, &l4);
	if (r)
		return r;
	seg = frame + l4.l4_off;
	/* From scratch: the guest may or may not have seeded the field with the pseudo-header. */
	put_be16(seg + l4.csum_at, 0);
	csum = (uint16_t)~csum_fold(csum_add(l4.pseudo, seg, l4.l4_len));
	if (l4.proto == PROTO_UDP && csum == 0)
		csum = 0xffff; /* 0 means "no checksum" in UDP */
	put_be16(seg + l4.csum_at, csum);
	return 0;
}

int net_csum_complete(uint8_t *frame, size_t len, size_t start, size_t offset)
{
	uint16_t csum;

	if (start > len || offset > len - start || len - start - offset < 2)
		return -EINVAL;
	csum = (uint16_t)~csum_fold(csum_add(0, frame + start, len - start));
	/* As the kernel does: 0 and 0xffff are the same sum, and 0 would mean "none" to UDP. */
	put_be16(frame + start + offset, csum ? csum : 0xffff);
	return 0;
}

/* The GSO half of net_tx_vnet_hdr. */
static int tx_gso(const struct net_l4 *l4, const struct net_tx_meta *m, struct virtio_net_hdr *h)
{
	size_t payload = l4->l4_off + l4->l4_len - l4->hdr_len;
	uint8_t version;

	if (m->gso_type == XEN_NETIF_GSO_TYPE_TCPV4) {
		version = 4;
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else if (m->gso_type == XEN_NETIF_GSO_TYPE_TCPV6) {
		version = 6;
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	} else {
		return -EINVAL;
	}
	if (l4->ip_version != version || l4->proto != PROTO_TCP)
		return -EINVAL;
	if (!m->gso_size || m->gso_size > payload)
		return -EINVAL;
	h->gso_size = m->gso_size;
	return 0;
}

int net_tx_vnet_hdr(uint8_t *frame, size_t head, size_t len, const struct net_tx_meta *m,
		    struct virtio_net_hdr *h)
{
	struct net_l4 l4;
	int r;

	memset(h, 0, sizeof(*h));
	/* A GSO packet is always checksum-offloaded: each segment needs its own. */
	if (!m->csum_blank && m->gso_type == XEN_NETIF_GSO_TYPE_NONE) {
		if (m->data_validated)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return 0;
	}
	r = net_parse_l4_head(frame, head, len, &l4);
	if (r)
		return r;
	if (m->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
		r = tx_gso(&l4, m, h);
		if (r)
			return r;
	}
	/* The seed the host completes: the pseudo-header sum, not complemented. */
	put_be16(frame + l4.l4_off + l4.csum_at, csum_fold(l4.pseudo));
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4.l4_off;
	h->csum_offset = (uint16_t)l4.csum_at;
	h->hdr_len = (uint16_t)l4.hdr_len;
	return 0;
}

/*
 * A partial checksum: handed on blank when the frontend takes it and
 * would find it where the host left it (it parses, as we do), else
 * completed here.  *blank says which.
 */
static int rx_csum(uint8_t *frame, size_t head, size_t len, const struct virtio_net_hdr *h,
		   const struct net_rx_caps *caps, const struct net_l4 *l4, bool *blank)
{
	*blank = false;
	if (l4 && l4->l4_off == h->csum_start && l4->csum_at == h->csum_offset)
		*blank = l4->ip_version == 4 ? caps->csum4 : caps->csum6;
	if (*blank)
		return 0;
	if (head < len)
		return -E2BIG; /* completing it takes the whole frame */
	return net_csum_complete(frame, len, h->csum_start, h->csum_offset);
}

static int rx_gso(const struct virtio_net_hdr *h, const struct net_rx_caps *caps,
		  const struct net_l4 *l4, struct net_rx_meta *m)
{
	bool ok;

	if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
		ok = caps->gso4 && l4->ip_version == 4;
		m->gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
	} else if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV6) {
		ok = caps->gso6 && l4->ip_version == 6;
		m->gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
	} else {
		ok = false; /* ECN, UDP: never enabled on the TAP */
	}
	if (!ok || l4->proto != PROTO_TCP || !h->gso_size ||
	    h->gso_size > l4->l4_off + l4->l4_len - l4->hdr_len)
		return -EINVAL;
	m->gso_size = h->gso_size;
	return 0;
}

int net_rx_meta_from_vnet(uint8_t *frame, size_t head, size_t len, const struct virtio_net_hdr *h,
			  const struct net_rx_caps *caps, struct net_rx_meta *m)
{
	struct net_l4 l4;
	bool parsed, blank = false;
	int r;

	memset(m, 0, sizeof(*m));
	parsed = net_parse_l4_head(frame, head, len, &l4) == 0;
	if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		m->flags |= NETRXF_data_validated;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		r = rx_csum(frame, head, len, h, caps, parsed ? &l4 : NULL, &blank);
		if (r)
			return r;
	}
	/* Linux sends both for a partial checksum: the data itself is sound. */
	if (blank)
		m->flags |= NETRXF_csum_blank | NETRXF_data_validated;
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	/* Each segment the frontend cuts needs its checksum computed: only a blank one will do. */
	if (!blank)
		return -EINVAL;
	return rx_gso(h, caps, &l4, m);
}
