/* SPDX-License-Identifier: MIT */
/*
 * net_offload: header parsing, checksums and the netif <-> virtio_net_hdr
 * translation, against frames built here and a checksum verifier of the
 * test's own (so a shared mistake cannot pass).
 */
#include "devices/inet_csum_test.h"
#include "devices/net_offload.h"
#include "lib/test.h"

#include <errno.h>
#include <string.h>
#include <xen/io/netif.h>

#define TCP 6
#define UDP 17

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* A built frame: where its parts are. */
struct frame {
	uint8_t b[70000];
	size_t len, l4, th, csum_at;
	int ipv, proto;
};

/*
 * Ethernet, IPv4 or IPv6 (with an 8-byte destination options header when
 * ext), TCP or UDP, payload bytes; the checksum field holds junk.
 */
static struct frame *build(int ipv, int proto, size_t payload, bool ext)
{
	static struct frame f;
	size_t ip_hlen = ipv == 4 ? 20 : 40 + (ext ? 8 : 0);
	size_t l4len;

	memset(&f, 0, sizeof(f));
	f.ipv = ipv;
	f.proto = proto;
	f.th = proto == TCP ? 20 : 8;
	f.csum_at = proto == TCP ? 16 : 6;
	f.l4 = 14 + ip_hlen;
	l4len = f.th + payload;
	f.len = f.l4 + l4len;
	if (ipv == 4) {
		put16(f.b + 12, 0x0800);
		f.b[14] = 0x45;
		put16(f.b + 16, 20 + l4len);
		f.b[22] = 64;
		f.b[23] = (uint8_t)proto;
		memcpy(f.b + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	} else {
		put16(f.b + 12, 0x86dd);
		f.b[14] = 0x60;
		put16(f.b + 18, ip_hlen - 40 + l4len);
		f.b[20] = (uint8_t)(ext ? 60 : proto);
		f.b[21] = 64;
		fill(f.b + 22, 32, 200);
		if (ext) {
			f.b[54] = (uint8_t)proto; /* next header; length 0: 8 bytes */
			f.b[56] = 1;		  /* PadN of 4 */
			f.b[57] = 4;
		}
	}
	put16(f.b + f.l4, 12345);
	put16(f.b + f.l4 + 2, 80);
	if (proto == TCP)
		f.b[f.l4 + 12] = 0x50;
	else
		put16(f.b + f.l4 + 4, l4len);
	f.b[f.l4 + f.csum_at] = 0xde;
	f.b[f.l4 + f.csum_at + 1] = 0xad;
	fill(f.b + f.l4 + f.th, payload, 7);
	return &f;
}

static void assert_csum_ok(const struct frame *f)
{
	size_t l4len = f->len - f->l4;
	uint32_t s = f->ipv == 4 ? sum16(f->b + 26, 8, 0) : sum16(f->b + 22, 32, 0);

	s += (uint32_t)f->proto + (uint32_t)l4len;
	assert_int_equal(fold(sum16(f->b + f->l4, l4len, s)), 0xffff);
}

/* What the host does with NEEDS_CSUM: sum from csum_start, the field holding the seed. */
static void host_complete(struct frame *f, const struct virtio_net_hdr *h)
{
	uint16_t c = (uint16_t)~fold(sum16(f->b + h->csum_start, f->len - h->csum_start, 0));

	put16(f->b + h->csum_start + h->csum_offset, c);
}

static const int kinds[][3] = {{4, TCP, 0}, {4, UDP, 0}, {6, TCP, 0}, {6, UDP, 0}, {6, TCP, 1}};

static void test_parse(void **state)
{
	struct net_l4 l4;

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct frame *f = build(kinds[i][0], kinds[i][1], 101, kinds[i][2]);

		assert_int_equal(net_parse_l4(f->b, f->len, &l4), 0);
		assert_int_equal(l4.ip_version, f->ipv);
		assert_int_equal(l4.proto, f->proto);
		assert_int_equal(l4.l4_off, f->l4);
		assert_int_equal(l4.l4_len, f->len - f->l4);
		assert_int_equal(l4.hdr_len, f->l4 + f->th);
		assert_int_equal(l4.csum_at, f->csum_at);
	}
}

static void test_parse_vlan(void **state)
{
	struct frame *f = build(4, TCP, 10, false);
	struct net_l4 l4;

	(void)state;
	memmove(f->b + 16, f->b + 12, f->len - 12);
	put16(f->b + 12, 0x8100);
	put16(f->b + 14, 5);
	assert_int_equal(net_parse_l4(f->b, f->len + 4, &l4), 0);
	assert_int_equal(l4.l4_off, f->l4 + 4);
}

/* Every truncation of every kind of frame is refused, never read past. */
static void test_parse_truncated(void **state)
{
	struct net_l4 l4;

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct frame *f = build(kinds[i][0], kinds[i][1], 3, kinds[i][2]);

		for (size_t len = 0; len < f->len; len++)
			assert_int_equal(net_parse_l4(f->b, len, &l4), -EINVAL);
	}
}

/*
 * From its head alone: parsed when the headers lie in it, refused when
 * any reaches past it, and the lengths the headers state still checked
 * against the whole frame.
 */
static void test_parse_head(void **state)
{
	struct net_l4 l4;

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct frame *f = build(kinds[i][0], kinds[i][1], 3000, kinds[i][2]);
		size_t hdrs = f->l4 + f->th;

		assert_int_equal(net_parse_l4_head(f->b, hdrs, f->len, &l4), 0);
		assert_int_equal(l4.l4_len, f->len - f->l4);
		assert_int_equal(l4.hdr_len, hdrs);
		for (size_t head = 0; head < hdrs; head++)
			assert_int_equal(net_parse_l4_head(f->b, head, f->len, &l4), -EINVAL);
		assert_int_equal(net_parse_l4_head(f->b, hdrs, f->len - 1, &l4), -EINVAL);
		assert_int_equal(net_parse_l4_head(f->b, hdrs + 1, hdrs, &l4), -EINVAL);
	}
}

static void assert_refused(struct frame *f)
{
	struct net_l4 l4;

	assert_int_equal(net_parse_l4(f->b, f->len, &l4), -EINVAL);
	assert_int_equal(net_csum_fill(f->b, f->len), -EINVAL);
}

static void test_parse_hostile(void **state)
{
	struct frame *f;

	(void)state;
	f = build(4, TCP, 10, false);
	f->b[14] = 0x44; /* IHL below 5 */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[14] = 0x4f; /* IHL past tot_len */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[20] = 0x20; /* more fragments */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[14] = 0x65; /* IPv6 inside an IPv4 EtherType */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[f->l4 + 12] = 0x40; /* TCP data offset below 5 */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[f->l4 + 12] = 0xf0; /* TCP header past the segment */
	assert_refused(f);
	f = build(4, TCP, 10, false);
	f->b[23] = 1; /* ICMP */
	assert_refused(f);
	f = build(6, UDP, 10, true);
	f->b[20] = 43; /* a routing header: the pseudo-header would change */
	assert_refused(f);
	f = build(6, UDP, 10, true);
	f->b[20] = 44; /* a fragment */
	assert_refused(f);
	f = build(6, UDP, 10, true);
	f->b[55] = 200; /* options past the payload length */
	assert_refused(f);
	f = build(6, UDP, 10, true);
	f->b[54] = 60; /* options pointing at options... past the payload */
	assert_refused(f);
	f = build(6, UDP, 0, false);
	put16(f->b + 18, 4); /* payload length shorter than a UDP header */
	assert_refused(f);
}

static void test_ipv6_ext_chain_bounded(void **state)
{
	struct frame *f = build(6, UDP, 100, true);
	struct net_l4 l4;

	(void)state;
	/* Five 8-byte option headers in a row, each naming the next: one too many. */
	for (size_t i = 0; i < 5; i++) {
		memset(f->b + 54 + 8 * i, 0, 8);
		f->b[54 + 8 * i] = i < 4 ? 60 : UDP;
	}
	assert_int_equal(net_parse_l4(f->b, f->len, &l4), -EINVAL);
	f->b[54 + 8 * 3] = UDP; /* four are fine */
	assert_int_equal(net_parse_l4(f->b, f->len, &l4), 0);
	assert_int_equal(l4.l4_off, 14 + 40 + 32);
}

static void test_csum_fill(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct frame *f = build(kinds[i][0], kinds[i][1], 333, kinds[i][2]);

		assert_int_equal(net_csum_fill(f->b, f->len), 0);
		assert_csum_ok(f);
	}
}

static void test_csum_complete_bounds(void **state)
{
	struct frame *f = build(4, UDP, 10, false);

	(void)state;
	assert_int_equal(net_csum_complete(f->b, f->len, f->len + 1, 0), -EINVAL);
	assert_int_equal(net_csum_complete(f->b, f->len, f->l4, f->len), -EINVAL);
	assert_int_equal(net_csum_complete(f->b, f->len, f->len - 1, 0), -EINVAL);
	assert_int_equal(net_csum_complete(f->b, f->len, SIZE_MAX, 2), -EINVAL);
	assert_int_equal(net_csum_complete(f->b, f->len, f->l4, SIZE_MAX - 1), -EINVAL);
	assert_int_equal(net_csum_complete(f->b, f->len, f->len - 2, 0), 0);
}

/* csum_blank: NEEDS_CSUM where the parse found the header; the seed completes correctly. */
static void test_tx_csum_blank(void **state)
{
	struct net_tx_meta m = {.csum_blank = true, .data_validated = true};
	struct virtio_net_hdr h;

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct frame *f = build(kinds[i][0], kinds[i][1], 1001, kinds[i][2]);

		assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
		assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		assert_int_equal(h.csum_start, f->l4);
		assert_int_equal(h.csum_offset, f->csum_at);
		assert_int_equal(h.hdr_len, f->l4 + f->th);
		host_complete(f, &h);
		assert_csum_ok(f);
	}
}

static void test_tx_no_offload(void **state)
{
	struct frame *f = build(4, TCP, 10, false);
	struct net_tx_meta m = {0};
	struct virtio_net_hdr h;
	uint8_t before[100];

	(void)state;
	memcpy(before, f->b, f->len);
	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	m.data_validated = true;
	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_memory_equal(f->b, before, f->len);
	/* Without offloads nothing is parsed: any frame goes. */
	assert_int_equal(net_tx_vnet_hdr(f->b, 3, 3, &m, &h), 0);
}

static void test_tx_gso(void **state)
{
	struct net_tx_meta m = {.csum_blank = true, .gso_size = 1448};
	struct virtio_net_hdr h;
	struct frame *f;

	(void)state;
	f = build(4, TCP, 60000, false);
	m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1448);
	assert_int_equal(h.hdr_len, 14 + 20 + 20);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	f = build(6, TCP, 30000, true);
	m.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
	m.csum_blank = false; /* GSO implies it */
	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(h.hdr_len, 14 + 48 + 20);
	assert_int_equal(h.csum_start, 14 + 48);
	host_complete(f, &h);
	assert_csum_ok(f);
	/* A gso_size equal to the payload is still one segment's worth: allowed. */
	f = build(4, TCP, 1448, false);
	m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h), 0);
}

static int tx_gso(int ipv, int proto, uint8_t type, uint16_t size)
{
	struct frame *f = build(ipv, proto, 5000, false);
	struct net_tx_meta m = {.csum_blank = true, .gso_type = type, .gso_size = size};
	struct virtio_net_hdr h;

	return net_tx_vnet_hdr(f->b, f->len, f->len, &m, &h);
}

static void test_tx_gso_hostile(void **state)
{
	(void)state;
	assert_int_equal(tx_gso(4, TCP, XEN_NETIF_GSO_TYPE_TCPV4, 0), -EINVAL);
	assert_int_equal(tx_gso(4, TCP, XEN_NETIF_GSO_TYPE_TCPV4, 5001), -EINVAL);
	assert_int_equal(tx_gso(4, TCP, XEN_NETIF_GSO_TYPE_TCPV6, 1000), -EINVAL);
	assert_int_equal(tx_gso(6, TCP, XEN_NETIF_GSO_TYPE_TCPV4, 1000), -EINVAL);
	assert_int_equal(tx_gso(4, UDP, XEN_NETIF_GSO_TYPE_TCPV4, 1000), -EINVAL);
	assert_int_equal(tx_gso(4, TCP, 3, 1000), -EINVAL);
	assert_int_equal(tx_gso(4, TCP, 0xff, 1000), -EINVAL);
	assert_int_equal(tx_gso(4, TCP, XEN_NETIF_GSO_TYPE_TCPV4, 1000), 0);
}

/* A host frame with a partial checksum, seeded as the host kernel leaves it. */
static struct frame *partial(int ipv, int proto, size_t payload, struct virtio_net_hdr *h)
{
	struct frame *f = build(ipv, proto, payload, false);
	struct net_tx_meta m = {.csum_blank = true};

	assert_int_equal(net_tx_vnet_hdr(f->b, f->len, f->len, &m, h), 0);
	return f;
}

static const struct net_rx_caps all = {.csum4 = true, .csum6 = true, .gso4 = true, .gso6 = true};

static void test_rx_csum(void **state)
{
	struct net_rx_caps v4only = {.csum4 = true};
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_DATA_VALID};
	struct net_rx_meta m;
	struct frame *f = build(4, TCP, 100, false);

	(void)state;
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &all, &m), 0);
	assert_int_equal(m.flags, NETRXF_data_validated);
	assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_NONE);
	/* Blank, to a frontend that takes it: handed on as is. */
	f = partial(4, TCP, 100, &h);
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &v4only, &m), 0);
	assert_int_equal(m.flags, NETRXF_csum_blank | NETRXF_data_validated);
	/* IPv6 to a frontend that takes only IPv4: completed here. */
	f = partial(6, UDP, 100, &h);
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &v4only, &m), 0);
	assert_int_equal(m.flags, 0);
	assert_csum_ok(f);
	/* Where the frontend's own parse would not look (an inner header): completed here. */
	f = partial(4, UDP, 100, &h);
	h.csum_start = (uint16_t)(f->l4 + 8);
	h.csum_offset = 6;
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &all, &m), 0);
	assert_int_equal(m.flags, 0);
	/* Outside the frame: dropped. */
	h.csum_start = (uint16_t)(f->len - 1);
	h.csum_offset = 0;
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &all, &m), -EINVAL);
	h.csum_start = 0;
	h.csum_offset = 0xffff;
	assert_int_equal(net_rx_meta_from_vnet(f->b, f->len, f->len, &h, &all, &m), -EINVAL);
	/* Completing takes the whole frame: from its head alone, asked for. */
	f = partial(6, UDP, 1000, &h);
	assert_int_equal(net_rx_meta_from_vnet(f->b, 256, f->len, &h, &v4only, &m), -E2BIG);
	/* Handed on blank, the head is enough. */
	assert_int_equal(net_rx_meta_from_vnet(f->b, 256, f->len, &h, &all, &m), 0);
	assert_int_equal(m.flags, NETRXF_csum_blank | NETRXF_data_validated);
}

static int rx_gso(const struct net_rx_caps *caps, int ipv, uint8_t vtype, uint16_t size, bool csum,
		  struct net_rx_meta *m)
{
	struct virtio_net_hdr h;
	struct frame *f = partial(ipv, TCP, 60000, &h);

	h.gso_type = vtype;
	h.gso_size = size;
	if (!csum)
		h.flags = 0;
	return net_rx_meta_from_vnet(f->b, f->len, f->len, &h, caps, m);
}

static void test_rx_gso(void **state)
{
	struct net_rx_caps nogso = {.csum4 = true, .csum6 = true};
	struct net_rx_meta m;

	(void)state;
	assert_int_equal(rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true, &m), 0);
	assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(m.gso_size, 1448);
	assert_int_equal(m.flags, NETRXF_csum_blank | NETRXF_data_validated);
	assert_int_equal(rx_gso(&all, 6, VIRTIO_NET_HDR_GSO_TCPV6, 1440, true, &m), 0);
	assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
	/* Refused: not accepted, wrong family, no partial checksum, ECN, UDP, size 0 or huge. */
	assert_int_equal(rx_gso(&nogso, 4, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true, &m), -EINVAL);
	assert_int_equal(rx_gso(&all, 6, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true, &m), -EINVAL);
	assert_int_equal(rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_TCPV4, 1448, false, &m), -EINVAL);
	assert_int_equal(
	    rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448, true, &m),
	    -EINVAL);
	assert_int_equal(rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_UDP, 1448, true, &m), -EINVAL);
	assert_int_equal(rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_TCPV4, 0, true, &m), -EINVAL);
	assert_int_equal(rx_gso(&all, 4, VIRTIO_NET_HDR_GSO_TCPV4, 60001, true, &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),	  cmocka_unit_test(test_parse_vlan),
	    cmocka_unit_test(test_parse_head),	  cmocka_unit_test(test_parse_truncated),
	    cmocka_unit_test(test_parse_hostile), cmocka_unit_test(test_ipv6_ext_chain_bounded),
	    cmocka_unit_test(test_csum_fill),	  cmocka_unit_test(test_csum_complete_bounds),
	    cmocka_unit_test(test_tx_csum_blank), cmocka_unit_test(test_tx_no_offload),
	    cmocka_unit_test(test_tx_gso),	  cmocka_unit_test(test_tx_gso_hostile),
	    cmocka_unit_test(test_rx_csum),	  cmocka_unit_test(test_rx_gso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
