/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/:
 * valid guest and client traffic, laid out as each target reads its input,
 * so that fuzzing starts deep in the code.  Structures come from Xen's
 * public headers.  Run from the source root: build-fuzz/fuzz_make_corpus.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <linux/virtio_net.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/xs_wire.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define MAX_SEED 16384

struct seed {
	uint8_t b[MAX_SEED];
	size_t len;
};

static void put(struct seed *s, const void *p, size_t n)
{
	if (s->len + n > MAX_SEED)
		abort();
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void put8(struct seed *s, uint8_t v)
{
	put(s, &v, 1);
}

static void put_at(struct seed *s, size_t off, const void *p, size_t n)
{
	if (off + n > MAX_SEED)
		abort();
	memcpy(s->b + off, p, n);
	if (s->len < off + n)
		s->len = off + n;
}

static void save(const char *target, const char *name, const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "tests/fuzz/corpus/%s", target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "tests/fuzz/corpus/%s/%s", target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- websocket: byte 0 (side, cap, cut), then frames ---- */

static void ws_frame(struct seed *s, uint8_t first, const char *payload, size_t len, bool mask)
{
	static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

	put8(s, first);
	if (len < 126) {
		put8(s, (uint8_t)((mask ? 0x80 : 0) | len));
	} else {
		put8(s, (uint8_t)((mask ? 0x80 : 0) | 126));
		put8(s, (uint8_t)(len >> 8));
		put8(s, (uint8_t)len);
	}
	if (mask)
		put(s, key, 4);
	for (size_t i = 0; i < len; i++)
		put8(s, (uint8_t)(payload[i] ^ (mask ? key[i & 3] : 0)));
}

static void websocket(void)
{
	struct seed s = {0};
	char big[300];

	memset(big, 'x', sizeof(big));
	put8(&s, 1 | 2 << 1); /* server, 4096 */
	ws_frame(&s, 0x81, "hello", 5, true);
	ws_frame(&s, 0x89, "ping", 4, true);
	ws_frame(&s, 0x82, big, sizeof(big), true);
	ws_frame(&s, 0x01, "frag", 4, true);
	ws_frame(&s, 0x80, "ment", 4, true);
	ws_frame(&s, 0x88,
		 "\x03\xe8"
		 "bye",
		 5, true);
	save("websocket", "server", &s);

	s.len = 0;
	put8(&s, 0 | 3 << 1 | 5 << 3); /* client, 1 MiB, cut at 5 */
	ws_frame(&s, 0x81, "console output", 14, false);
	ws_frame(&s, 0x8a, "", 0, false);
	ws_frame(&s, 0x82, big, sizeof(big), false);
	save("websocket", "client", &s);

	s.len = 0;
	put8(&s, 1);
	put(&s, "dGhlIHNhbXBsZSBub25jZQ==", 24);
	save("websocket", "handshake-key", &s);
}

/* ---- console: opcode, operand ---- */

enum { C_WRITE, C_READ, C_SET_INDEX, C_KICK, C_INPUT };

static void console_data(struct seed *s, uint8_t op, const char *text)
{
	put8(s, op);
	put8(s, (uint8_t)strlen(text));
	put(s, text, strlen(text));
}

static void console(void)
{
	struct seed s = {0};
	uint32_t v = 0xfffffff0;

	console_data(&s, C_WRITE, "Linux version 6.12\n");
	put8(&s, C_KICK);
	console_data(&s, C_INPUT, "root\r");
	put8(&s, C_READ);
	put8(&s, 3);
	console_data(&s, C_INPUT, "ls -l\r");
	put8(&s, C_KICK);
	put8(&s, 0);
	save("console", "echo", &s);

	/* Indexes near the wrap of their 32-bit range. */
	s.len = 0;
	for (unsigned i = 0; i < 4; i++) {
		put8(&s, C_SET_INDEX);
		put8(&s, (uint8_t)i);
		put(&s, &v, 4);
	}
	for (unsigned i = 0; i < 12; i++) {
		console_data(&s, C_WRITE,
			     "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij"
			     "klmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01234"
			     "56789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop");
		console_data(&s, C_INPUT, "input that wraps the in ring, bit by bit....");
		put8(&s, C_KICK);
		put8(&s, C_READ);
		put8(&s, 200);
	}
	save("console", "wrap", &s);
}

/* ---- xs_ring: opcode, operand ---- */

enum { X_SEND, X_RECV, X_SET_INDEX, X_SET_CONNECTION, X_RECONNECT, X_KICK };

static size_t xs_msg(uint8_t *out, uint32_t type, uint32_t req_id, const char *a, const char *b)
{
	struct xsd_sockmsg m = {.type = type, .req_id = req_id, .tx_id = 0};
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;

	m.len = (uint32_t)(la + lb);
	memcpy(out, &m, sizeof(m));
	memcpy(out + sizeof(m), a, la);
	if (b)
		memcpy(out + sizeof(m) + la, b, lb);
	return sizeof(m) + la + lb;
}

/* Send in chunks of at most `chunk` bytes with a kick after each: split messages. */
static void xs_send(struct seed *s, const uint8_t *msg, size_t len, size_t chunk)
{
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		put8(s, X_SEND);
		put8(s, (uint8_t)n);
		put(s, msg + off, n);
		put8(s, X_KICK);
		put8(s, X_RECV);
		put8(s, 255);
	}
}

static void xs_ring(void)
{
	struct seed s = {0};
	uint8_t m[256];
	size_t n;
	uint32_t v = 0x100000;

	n = xs_msg(m, XS_READ, 1, "/local/domain/1/name", NULL);
	xs_send(&s, m, n, 255);
	n = xs_msg(m, XS_WRITE, 2, "device/vif/0/state", "4");
	xs_send(&s, m, n, 7);
	n = xs_msg(m, XS_WATCH, 3, "device", "tok");
	xs_send(&s, m, n, 255);
	n = xs_msg(m, XS_DIRECTORY, 4, "device/vif/0", NULL);
	xs_send(&s, m, n, 3);
	save("xs_ring", "split", &s);

	/* Many requests and no reads: the response ring fills up; then a reconnect. */
	s.len = 0;
	for (unsigned i = 0; i < 24; i++) {
		n = xs_msg(m, XS_GET_PERMS, i, "/local/domain/1", NULL);
		put8(&s, X_SEND);
		put8(&s, (uint8_t)n);
		put(&s, m, n);
		put8(&s, X_KICK);
	}
	put8(&s, X_RECONNECT);
	n = xs_msg(m, XS_TRANSACTION_START, 9, "", NULL);
	xs_send(&s, m, n, 255);
	save("xs_ring", "backpressure", &s);

	/* A corrupt index, then a reconnect that recovers. */
	s.len = 0;
	put8(&s, X_SET_INDEX);
	put8(&s, 1);
	put(&s, &v, 4);
	put8(&s, X_KICK);
	put8(&s, X_RECONNECT);
	n = xs_msg(m, XS_READ, 1, "name", NULL);
	xs_send(&s, m, n, 255);
	save("xs_ring", "corrupt-then-reconnect", &s);
}

/* ---- evtchn: 25-byte records ---- */

enum { E_GUEST, E_ALLOC, E_BIND, E_UNBIND, E_NOTIFY, E_SHARED_INFO, E_LONG_MODE, E_RESET };

static void ev(struct seed *s, unsigned entry, unsigned cmd, const void *arg, size_t len)
{
	uint8_t rec[25] = {0};

	rec[0] = (uint8_t)(entry << 4 | cmd);
	if (len)
		memcpy(rec + 1, arg, len);
	put(s, rec, sizeof(rec));
}

static void evtchn(void)
{
	struct seed s = {0};
	struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 0};
	struct evtchn_alloc_unbound loop = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
	struct evtchn_bind_interdomain bi = {.remote_dom = DOMID_SELF, .remote_port = 2};
	struct evtchn_bind_virq timer = {.virq = VIRQ_TIMER, .vcpu = 1};
	struct evtchn_bind_virq debug = {.virq = VIRQ_DEBUG, .vcpu = 0};
	struct evtchn_bind_ipi ipi = {.vcpu = 1};
	struct evtchn_send send1 = {.port = 1}, send3 = {.port = 3};
	struct evtchn_status st = {.dom = DOMID_SELF, .port = 3};
	struct evtchn_bind_vcpu bv = {.port = 3, .vcpu = 1};
	struct evtchn_unmask um = {.port = 1};
	struct evtchn_close cl = {.port = 2};
	struct evtchn_reset rs = {.dom = DOMID_SELF};
	uint8_t si[24] = {1 | 2, 0, 0xff, 0xff}; /* placed, 64-bit; pending bits set */
	uint32_t port1 = 1;

	ev(&s, E_GUEST, EVTCHNOP_alloc_unbound, &au, sizeof(au));
	ev(&s, E_BIND, 0, &port1, 4);
	ev(&s, E_NOTIFY, 0, &port1, 4);
	ev(&s, E_GUEST, EVTCHNOP_send, &send1, sizeof(send1));
	ev(&s, E_GUEST, EVTCHNOP_alloc_unbound, &loop, sizeof(loop));
	ev(&s, E_GUEST, EVTCHNOP_bind_interdomain, &bi, sizeof(bi));
	ev(&s, E_GUEST, EVTCHNOP_send, &send3, sizeof(send3));
	ev(&s, E_GUEST, EVTCHNOP_status, &st, sizeof(st));
	ev(&s, E_GUEST, EVTCHNOP_bind_vcpu, &bv, sizeof(bv));
	ev(&s, E_SHARED_INFO, 0, si, sizeof(si));
	ev(&s, E_GUEST, EVTCHNOP_unmask, &um, sizeof(um));
	ev(&s, E_GUEST, EVTCHNOP_close, &cl, sizeof(cl));
	ev(&s, E_UNBIND, 0, &port1, 4);
	save("evtchn", "backend-and-loopback", &s);

	s.len = 0;
	ev(&s, E_GUEST, EVTCHNOP_bind_virq, &timer, sizeof(timer));
	ev(&s, E_GUEST, EVTCHNOP_bind_virq, &debug, sizeof(debug));
	ev(&s, E_GUEST, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi));
	ev(&s, E_ALLOC, 0, NULL, 0);
	ev(&s, E_LONG_MODE, 0, (uint8_t[]){0}, 1);
	ev(&s, E_GUEST, EVTCHNOP_status, &st, sizeof(st));
	ev(&s, E_GUEST, EVTCHNOP_reset, &rs, sizeof(rs));
	ev(&s, E_RESET, 0, NULL, 0);
	save("evtchn", "virq-ipi-reset", &s);
}

/* ---- blkback: options, grants, ring page, indirect pages (gfns 2, 3) ---- */

#define BB_GRANTS 1
#define BB_RING	  (1 + 32 * sizeof(grant_entry_v1_t))
#define BB_IND(n) (BB_RING + 4096 + (n)*4096) /* indirect page n, gfn 2 + n */

/* ref 2: gfn 2; ref 3: gfn 3 read-only; refs 4..11: data gfns 4..11 (64 sectors). */
static void bb_grants(struct seed *s)
{
	for (unsigned r = 2; r < 12; r++) {
		grant_entry_v1_t g = {.flags = GTF_permit_access, .domid = 0, .frame = r};

		if (r == 3)
			g.flags |= GTF_readonly;
		put_at(s, BB_GRANTS + r * sizeof(g), &g, sizeof(g));
	}
}

static void bb_ring(struct seed *s, const void *reqs, unsigned n)
{
	blkif_sring_t sr;

	memset(&sr, 0, offsetof(blkif_sring_t, ring));
	sr.req_prod = n;
	sr.rsp_event = 1;
	put_at(s, BB_RING, &sr, offsetof(blkif_sring_t, ring));
	for (unsigned i = 0; i < n; i++)
		put_at(s, BB_RING + offsetof(blkif_sring_t, ring) + i * sizeof(sr.ring[0]),
		       (const uint8_t *)reqs + i * sizeof(blkif_request_t),
		       sizeof(blkif_request_t));
}

/* n segments of per sectors each over the data pages, into indirect page `page`. */
static void bb_segments(struct seed *s, unsigned page, unsigned n, unsigned per)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned first = i * per % 8;
		struct blkif_request_segment seg = {.gref = 4 + i * per / 8 % 8,
						    .first_sect = (uint8_t)first,
						    .last_sect = (uint8_t)(first + per - 1)};

		put_at(s, BB_IND(page) + i * sizeof(seg), &seg, sizeof(seg));
	}
}

static void bb_indirect(blkif_request_t *slot, uint8_t op, uint16_t nr, uint64_t id,
			uint64_t sector, grant_ref_t list)
{
	blkif_request_indirect_t r;

	/* Zeroed whole: an initializer leaves the ABI's padding holes undefined. */
	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_INDIRECT;
	r.indirect_op = op;
	r.nr_segments = nr;
	r.id = id;
	r.sector_number = sector;
	r.handle = 51712;
	r.indirect_grefs[0] = list;
	memset(slot, 0, sizeof(*slot));
	memcpy(slot, &r, sizeof(r));
}

static void blkback(void)
{
	struct seed s = {0};
	blkif_request_t req[4];

	/* Direct: a read, a write, a flush carrying data, a discard. */
	memset(req, 0, sizeof(req));
	s.b[0] = 2;
	bb_grants(&s);
	req[0] = (blkif_request_t){.operation = BLKIF_OP_READ, .nr_segments = 2, .id = 1};
	req[0].seg[0] = (struct blkif_request_segment){.gref = 4, .first_sect = 0, .last_sect = 7};
	req[0].seg[1] = (struct blkif_request_segment){.gref = 5, .first_sect = 2, .last_sect = 3};
	req[1] = req[0];
	req[1].operation = BLKIF_OP_WRITE;
	req[1].id = 2;
	req[1].sector_number = 100;
	req[2] = req[1];
	req[2].operation = BLKIF_OP_FLUSH_DISKCACHE;
	req[2].nr_segments = 1;
	req[2].id = 3;
	{
		blkif_request_discard_t d = {
		    .operation = BLKIF_OP_DISCARD, .id = 4, .sector_number = 8, .nr_sectors = 8};

		memcpy(&req[3], &d, sizeof(d));
	}
	bb_ring(&s, req, 4);
	save("blkback", "direct", &s);

	/*
	 * Indirect: a 32-segment read and write (list in gfn 2), then the
	 * 256-segment maximum, one sector each (list in gfn 3, read-only grant).
	 */
	memset(&s, 0, sizeof(s));
	bb_grants(&s);
	bb_segments(&s, 0, 32, 2);
	bb_segments(&s, 1, 256, 1);
	bb_indirect(&req[0], BLKIF_OP_READ, 32, 1, 0, 2);
	bb_indirect(&req[1], BLKIF_OP_WRITE, 32, 2, 100, 2);
	bb_indirect(&req[2], BLKIF_OP_READ, 256, 3, 200, 3);
	bb_ring(&s, req, 3);
	save("blkback", "indirect", &s);

	/* Indirect, refused: 257 segments, a flush inside, an ungranted list, then a good one. */
	memset(&s, 0, sizeof(s));
	bb_grants(&s);
	bb_segments(&s, 0, 300, 1);
	bb_indirect(&req[0], BLKIF_OP_WRITE, 257, 1, 0, 2);
	bb_indirect(&req[1], BLKIF_OP_FLUSH_DISKCACHE, 16, 2, 0, 2);
	bb_indirect(&req[2], BLKIF_OP_READ, 16, 3, 0, 20);
	bb_indirect(&req[3], BLKIF_OP_READ, 16, 4, 0, 2);
	bb_ring(&s, req, 4);
	save("blkback", "indirect-refused", &s);
}

/* ---- netback: rounds, grants, tx ring, rx ring, RAM/host frames ---- */

#define NB_GRANTS  1
#define NB_TX	   (1 + 32 * sizeof(grant_entry_v1_t))
#define NB_RX	   (NB_TX + 512)
#define NB_REST	   (NB_RX + 256)
#define NB_PAGE(n) (NB_REST + ((n)-1) * 4096) /* gfn n, n >= 1 */

static void nb_grants(struct seed *s)
{
	for (unsigned r = 0; r < 8; r++) {
		grant_entry_v1_t g = {.flags = GTF_permit_access, .domid = 0, .frame = 1 + r};

		put_at(s, NB_GRANTS + r * sizeof(g), &g, sizeof(g));
	}
}

static void nb_tx(struct seed *s, const netif_tx_request_t *reqs, unsigned n)
{
	netif_tx_sring_t sr;

	memset(&sr, 0, sizeof(sr));
	sr.req_prod = n;
	sr.rsp_event = 1;
	put_at(s, NB_TX, &sr, offsetof(netif_tx_sring_t, ring));
	for (unsigned i = 0; i < n; i++)
		put_at(s, NB_TX + offsetof(netif_tx_sring_t, ring) + i * sizeof(sr.ring[0]),
		       &reqs[i], sizeof(reqs[i]));
}

/* Four rx buffers posted (ids 10-13, grants 4-7). */
static void nb_rx_posted(struct seed *s)
{
	netif_rx_sring_t sr;

	memset(&sr, 0, sizeof(sr));
	sr.req_prod = 4;
	sr.rsp_event = 1;
	put_at(s, NB_RX, &sr, offsetof(netif_rx_sring_t, ring));
	for (unsigned i = 0; i < 4; i++) {
		netif_rx_request_t rq = {.id = (uint16_t)(10 + i), .gref = 4 + i};

		put_at(s, NB_RX + offsetof(netif_rx_sring_t, ring) + i * sizeof(sr.ring[0]), &rq,
		       sizeof(rq));
	}
}

/* An Ethernet + IPv4 + UDP frame with the checksum left blank, at off. */
static size_t udp_frame(struct seed *s, size_t off)
{
	uint8_t f[64] = {0x02, 0, 0, 0, 0, 1, 0x00, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00};
	uint8_t *ip = f + 14, *udp = ip + 20;

	ip[0] = 0x45;
	ip[3] = 20 + 8 + 8; /* tot_len */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8);
	udp[0] = 0x30;
	udp[2] = 0x00;
	udp[3] = 53;
	udp[5] = 16; /* length */
	memcpy(udp + 8, "payload!", 8);
	put_at(s, off, f, 14 + 20 + 16);
	return 14 + 20 + 16;
}

/* An Ethernet + IPv4 + TCP frame of len bytes (at least 54), at off. */
static void tcp_frame(struct seed *s, size_t off, size_t len)
{
	uint8_t f[54] = {0x02, 0, 0, 0, 0, 1, 0x00, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00};
	uint8_t *ip = f + 14;

	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8); /* tot_len */
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8);
	ip[20 + 12] = 0x50; /* data offset */
	put_at(s, off, f, sizeof(f));
	for (size_t i = sizeof(f); i < len; i++)
		put_at(s, off + i, &(uint8_t){(uint8_t)i}, 1);
}

/* Offload seeds: virtio headers, sg, csum and GSO accepted (fuzz_netback's byte 0). */
static void netback_offload(void)
{
	struct seed s = {0};
	netif_tx_request_t tx[3] = {
	    {.gref = 1,
	     .flags = NETTXF_extra_info | NETTXF_more_data | NETTXF_csum_blank,
	     .id = 1,
	     .size = 5000},
	    {0},
	    {.gref = 2, .flags = 0, .id = 2, .size = 1000},
	};
	netif_extra_info_t ex = {.type = XEN_NETIF_EXTRA_TYPE_GSO};
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				   .hdr_len = 54,
				   .gso_size = 1000,
				   .csum_start = 34,
				   .csum_offset = 16};
	uint16_t len = 6000 + sizeof(h);

	/* A 5000-byte TSO packet over two slots (4000 + 1000) and its GSO extra. */
	s.b[0] = 0xf8;
	nb_grants(&s);
	ex.u.gso.size = 1400;
	ex.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	memcpy(&tx[1], &ex, sizeof(ex));
	nb_tx(&s, tx, 3);
	tcp_frame(&s, NB_PAGE(2), 5000);
	save("netback", "tx-gso", &s);

	/* A 6000-byte TSO frame from the host for four posted buffers: two slots and the extra. */
	memset(&s, 0, sizeof(s));
	s.b[0] = 0xf8;
	nb_grants(&s);
	nb_rx_posted(&s);
	put_at(&s, NB_REST, &len, 2);
	put_at(&s, NB_REST + 2, &h, sizeof(h));
	tcp_frame(&s, NB_REST + 2 + sizeof(h), 6000);
	save("netback", "rx-gso", &s);
}

static void netback(void)
{
	struct seed s = {0};
	uint16_t len;
	netif_tx_request_t tx[4] = {
	    {.gref = 1, .offset = 0, .flags = 0, .id = 1, .size = 50},
	    {.gref = 1,
	     .offset = 0,
	     .flags = NETTXF_csum_blank | NETTXF_data_validated,
	     .id = 2,
	     .size = 50},
	};

	/* Two single-slot packets, one with its checksum to fill in. */
	s.b[0] = 1;
	nb_grants(&s);
	nb_tx(&s, tx, 2);
	udp_frame(&s, NB_PAGE(2));
	save("netback", "tx-csum", &s);

	/* One packet in three slots: an extra-info slot (GSO, ignored) and a fragment. */
	memset(&s, 0, sizeof(s));
	s.b[0] = 0;
	nb_grants(&s);
	tx[0] = (netif_tx_request_t){.gref = 1,
				     .offset = 0,
				     .flags = NETTXF_extra_info | NETTXF_more_data,
				     .id = 5,
				     .size = 50};
	{
		netif_extra_info_t ex = {.type = XEN_NETIF_EXTRA_TYPE_GSO, .flags = 0};

		ex.u.gso.size = 1400;
		ex.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
		memcpy(&tx[1], &ex, sizeof(ex));
	}
	tx[2] = (netif_tx_request_t){.gref = 3, .offset = 100, .flags = 0, .id = 6, .size = 20};
	nb_tx(&s, tx, 3);
	udp_frame(&s, NB_PAGE(2));
	save("netback", "tx-multislot", &s);

	/* Four rx buffers posted, three host frames for them. */
	memset(&s, 0, sizeof(s));
	s.b[0] = 1;
	nb_grants(&s);
	nb_rx_posted(&s);
	for (unsigned i = 0; i < 3; i++) {
		size_t off = NB_REST + i * 52;

		len = 50;
		put_at(&s, off, &len, 2);
		udp_frame(&s, off + 2);
	}
	save("netback", "rx", &s);
}

/* ---- rtl8139: operations (see fuzz_rtl8139.c) ---- */

static void nic_reg(struct seed *s, uint8_t off, unsigned width_log2, uint32_t val)
{
	uint8_t v[8] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			(uint8_t)(val >> 24)};

	put8(s, 0);
	put8(s, off);
	put8(s, (uint8_t)width_log2);
	put(s, v, sizeof(v));
}

static void nic_read(struct seed *s, uint8_t off, unsigned width_log2)
{
	put8(s, 1);
	put8(s, off);
	put8(s, (uint8_t)width_log2);
}

/* A frame from the wire to the device's MAC (fuzz_rtl8139.c's), len bytes. */
static void nic_wire(struct seed *s, uint16_t len)
{
	static const uint8_t dst[6] = {0x00, 0x16, 0x3e, 0x01, 0x02, 0x03};

	put8(s, 2);
	put8(s, (uint8_t)len);
	put8(s, (uint8_t)(len >> 8));
	put(s, dst, 6);
	for (unsigned i = 6; i < len; i++)
		put8(s, (uint8_t)i);
}

static void rtl8139(void)
{
	struct seed s = {0};

	/* A 60-byte frame in RAM sent from descriptor 0; three received, consumed, acked. */
	put8(&s, 3);
	put8(&s, 0x00);
	put8(&s, 0x10);
	put8(&s, 60);
	for (unsigned i = 0; i < 60; i++)
		put8(&s, (uint8_t)(0xff - i));
	nic_reg(&s, 0x20, 2, 0x1000);
	nic_reg(&s, 0x10, 2, 60);
	nic_read(&s, 0x10, 2);
	for (unsigned i = 0; i < 3; i++)
		nic_wire(&s, (uint16_t)(42 + 100 * i));
	nic_read(&s, 0x37, 0);
	nic_reg(&s, 0x38, 1, 0x200 - 16);
	nic_reg(&s, 0x3e, 1, 0xffff);
	save("rtl8139", "tx-rx", &s);

	/* More than the 8 KiB ring holds: overflow, then the guest catches up. */
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 7; i++)
		nic_wire(&s, 1514);
	nic_read(&s, 0x4c, 2);
	nic_reg(&s, 0x38, 1, 3 * 1524 - 16);
	nic_wire(&s, 1514);
	save("rtl8139", "overflow", &s);

	/* 8139too's EEPROM read of word 7, then a reset in mid-receive. */
	memset(&s, 0, sizeof(s));
	nic_reg(&s, 0x50, 0, 0x80);
	nic_reg(&s, 0x50, 0, 0x88);
	for (int i = 10; i >= 0; i--) {
		uint8_t d = ((7u | 6u << 6) & (1u << i)) ? 0x02 : 0;

		nic_reg(&s, 0x50, 0, 0x88u | d);
		nic_reg(&s, 0x50, 0, 0x88u | d | 0x04);
	}
	for (int i = 0; i < 16; i++) {
		nic_reg(&s, 0x50, 0, 0x8c);
		nic_read(&s, 0x50, 0);
		nic_reg(&s, 0x50, 0, 0x88);
	}
	nic_reg(&s, 0x50, 0, 0);
	nic_wire(&s, 200);
	put8(&s, 5);
	nic_wire(&s, 200);
	save("rtl8139", "eeprom-reset", &s);
}

/* ---- hypercall: page table, calls, RAM ---- */

#define HC_HEADER 18
#define HC_CALL	  53

struct hc {
	uint32_t nr;
	uint8_t flags;
	uint64_t a[6];
};

static void hc_seed(const char *name, const struct hc *calls, unsigned n, const struct seed *ram)
{
	struct seed s = {0};
	uint64_t all = 0xffff; /* gva pages 0-15 present and writable, gfn = page */

	put(&s, &all, 8);
	put(&s, &all, 8);
	put8(&s, 0);
	put8(&s, (uint8_t)(n - 1));
	for (unsigned i = 0; i < n; i++) {
		put(&s, &calls[i].nr, 4);
		put8(&s, calls[i].flags);
		put(&s, calls[i].a, sizeof(calls[i].a));
	}
	put(&s, ram->b, ram->len);
	save("hypercall", name, &s);
}

/* Per-vCPU areas, timers, upcall vectors and grant table versions. */
static void hypercall_areas(void)
{
	struct seed ram = {0};
	uint64_t time_gva = 0x5000, runstate_gva = 0x5100;
	struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = 1000000000ULL};
	struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 1, .vector = 0xf3};
	struct gnttab_get_version gv = {.dom = DOMID_SELF};
	struct gnttab_set_version sv = {.version = 1};
	const struct hc calls[] = {
	    {__HYPERVISOR_vcpu_op, 1, {VCPUOP_register_vcpu_time_memory_area, 0, 0x1000}},
	    {__HYPERVISOR_vcpu_op, 1, {VCPUOP_register_runstate_memory_area, 0, 0x1008}},
	    {__HYPERVISOR_vcpu_op, 1, {VCPUOP_set_singleshot_timer, 0, 0x1010}},
	    {__HYPERVISOR_vcpu_op, 3, {VCPUOP_set_singleshot_timer, 0, 0x1010}},
	    {__HYPERVISOR_hvm_op, 1, {HVMOP_set_evtchn_upcall_vector, 0x1100}},
	    {__HYPERVISOR_grant_table_op, 1, {GNTTABOP_get_version, 0x1200, 1}},
	    {__HYPERVISOR_grant_table_op, 1, {GNTTABOP_set_version, 0x1300, 1}},
	    {__HYPERVISOR_vcpu_op, 0, {VCPUOP_register_runstate_memory_area, 0, 0x1008}},
	};

	put_at(&ram, 0x1000, &time_gva, sizeof(time_gva));
	put_at(&ram, 0x1008, &runstate_gva, sizeof(runstate_gva));
	put_at(&ram, 0x1010, &t, sizeof(t));
	put_at(&ram, 0x1100, &uv, sizeof(uv));
	put_at(&ram, 0x1200, &gv, sizeof(gv));
	put_at(&ram, 0x1300, &sv, sizeof(sv));
	hc_seed("vcpu-areas", calls, 8, &ram);
}

static void hypercall(void)
{
	struct seed ram = {0};
	struct xen_add_to_physmap si = {
	    .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0, .gpfn = 0x20};
	struct xen_add_to_physmap gt = {
	    .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0, .gpfn = 0x21};
	struct xen_hvm_param cb = {
	    .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ, .value = 2ULL << 56 | 0xf3};
	struct xen_hvm_param sp = {.domid = DOMID_SELF, .index = HVM_PARAM_STORE_EVTCHN};
	struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 0};
	struct vcpu_register_vcpu_info vi = {.mfn = 5, .offset = 64};
	struct gnttab_query_size qs = {.dom = DOMID_SELF};
	struct xen_feature_info fi = {.submap_idx = 0};
	struct sched_shutdown sd = {.reason = SHUTDOWN_poweroff};
	struct xen_memory_map mm = {.nr_entries = 8};
	const struct hc boot[] = {
	    {__HYPERVISOR_xen_version, 1, {XENVER_version}},
	    {__HYPERVISOR_xen_version, 1, {XENVER_get_features, 0x1000}},
	    {__HYPERVISOR_memory_op, 1, {XENMEM_add_to_physmap, 0x1100}},
	    {__HYPERVISOR_memory_op, 1, {XENMEM_add_to_physmap, 0x1200}},
	    {__HYPERVISOR_hvm_op, 1, {HVMOP_set_param, 0x1300}},
	    {__HYPERVISOR_hvm_op, 1, {HVMOP_get_param, 0x1400}},
	    {__HYPERVISOR_event_channel_op, 1, {EVTCHNOP_alloc_unbound, 0x1500}},
	    {__HYPERVISOR_vcpu_op, 1, {VCPUOP_register_vcpu_info, 0, 0x1600}},
	};
	const struct hc more[] = {
	    {__HYPERVISOR_grant_table_op, 1, {GNTTABOP_query_size, 0x1700, 1}},
	    {__HYPERVISOR_console_io, 1, {CONSOLEIO_write, 12, 0x1800}},
	    {__HYPERVISOR_memory_op, 1, {XENMEM_memory_map, 0x1900}},
	    {__HYPERVISOR_xen_version, 0, {XENVER_extraversion, 0x2000}},
	    {__HYPERVISOR_vcpu_op, 3, {VCPUOP_is_up, 1}},
	    {__HYPERVISOR_sched_op, 1, {SCHEDOP_yield}},
	    {__HYPERVISOR_xen_version, 5, {XENVER_version}},
	    {__HYPERVISOR_sched_op, 1, {SCHEDOP_shutdown, 0x1a00}},
	};
	uint64_t buf_gva = 0x3000;

	put_at(&ram, 0x1000, &fi, sizeof(fi));
	put_at(&ram, 0x1100, &si, sizeof(si));
	put_at(&ram, 0x1200, &gt, sizeof(gt));
	put_at(&ram, 0x1300, &cb, sizeof(cb));
	put_at(&ram, 0x1400, &sp, sizeof(sp));
	put_at(&ram, 0x1500, &au, sizeof(au));
	put_at(&ram, 0x1600, &vi, sizeof(vi));
	put_at(&ram, 0x1700, &qs, sizeof(qs));
	put_at(&ram, 0x1800, "hello, xen!\n", 12);
	memcpy(&mm.buffer, &buf_gva, sizeof(buf_gva));
	put_at(&ram, 0x1900, &mm, sizeof(mm));
	put_at(&ram, 0x1a00, &sd, sizeof(sd));
	hc_seed("boot", boot, 8, &ram);
	hc_seed("more", more, 8, &ram);
	hypercall_areas();
}

/* ---- api: NUL-separated requests ---- */

static void api_req(struct seed *s, const char *req)
{
	put(s, req, strlen(req) + 1);
}

static void api(void)
{
	struct seed s = {0};

	api_req(&s, "GET /rest/v0/host\n");
	api_req(
	    &s,
	    "GET "
	    "/rest/v0/vms?fields=name_label,power_state,tags&filter=power_state:Halted&limit=5\n");
	api_req(&s, "GET /rest/v0/vms/fuzz-vm\n");
	api_req(
	    &s,
	    "PATCH "
	    "/rest/v0/vms/"
	    "fuzz-vm\n{\"name_description\":\"d\",\"tags\":[\"a\",\"b\"],\"auto_poweron\":true}");
	api_req(&s, "GET /rest/v0/vms?filter=tags:a%20name_label:fuzz*\n");
	api_req(&s, "GET /rest/v0/vms/fuzz-vm/stats\n");
	save("api", "read-and-patch", &s);

	s.len = 0;
	api_req(
	    &s,
	    "POST "
	    "/rest/v0/vms\n{\"config\":\"name='b'\\nkernel='/dev/null'\\nmemory=128\\nvcpus=2\\n"
	    "disk=['/dev/null,raw,xvda,r']\\nvif=['mac=00:16:3e:00:00:01']\\n\","
	    "\"overrides\":[\"memory=64\"],\"path\":\"b.cfg\"}");
	api_req(&s, "POST /rest/v0/vms/b/actions/clean_shutdown?sync=true\n");
	api_req(&s, "GET /rest/v0/vms/b/console\n");
	api_req(&s, "GET /rest/v0/vms?fields=*\n");
	api_req(&s, "DELETE /rest/v0/vms/b\n");
	api_req(&s, "POST /rest/v0/vms\n{\"config\":\"name='c'\\nkernel='vmlinuz'\\n\"}");
	save("api", "create-delete", &s);
}

/* fuzz_pci: 8-byte operations (op, then operands), as tests/fuzz/fuzz_pci.c reads them. */
static void pci_op(struct seed *s, uint8_t op, const uint8_t *args, size_t n)
{
	uint8_t b[8] = {op};

	memcpy(b + 1, args, n);
	put(s, b, sizeof(b));
}

static void pci_cfg(struct seed *s, uint8_t devfn, uint8_t reg, bool write, uint32_t v)
{
	uint8_t a[7] = {devfn, reg, (uint8_t)(2 | (write ? 0x80 : 0))};

	memcpy(a + 3, &v, 4);
	pci_op(s, 1, a, sizeof(a));
}

/* What SeaBIOS does: identify, size and place BARs, route PIRQs, set the ELCR, enable. */
static void pci_firmware(struct seed *s)
{
	static const uint8_t fns[] = {0x00, 0x08, 0x18, 0x19, 0x28};
	static const uint32_t place[][2] = {
	    {0, 0}, {0, 0}, {0xc000, 0xfebf0000}, {0xc020, 0}, {0xfd000000, 0}};
	static const uint8_t elcr[][2] = {{0x80, 0x00}, {0x81, 0x0c}};

	for (unsigned i = 0; i < sizeof(fns); i++) {
		pci_cfg(s, fns[i], 0x00, false, 0);
		for (uint8_t bar = 0x10; bar <= 0x14; bar += 4) {
			pci_cfg(s, fns[i], bar, true, 0xffffffff);
			pci_cfg(s, fns[i], bar, false, 0);
			pci_cfg(s, fns[i], bar, true, place[i][(bar - 0x10) / 4]);
		}
		pci_cfg(s, fns[i], 0x3c, true, 11);
		pci_cfg(s, fns[i], 0x04, true, 0x7);
	}
	pci_cfg(s, 0x08, 0x60, true, 0x0b0b0a0a);
	for (unsigned i = 0; i < 2; i++)
		pci_op(s, 3, elcr[i], 2);
}

static void pci(void)
{
	struct seed s = {.len = 0};
	static const uint8_t cf9[] = {0x81 /* byte at 0xCF9, write */, 0x06};

	pci_firmware(&s);
	save("pci", "firmware", &s);
	/* Then interrupts, a BAR moved, one moved onto another, decoding off, a reset. */
	for (uint8_t i = 0; i < 3; i++)
		pci_op(&s, 2, (const uint8_t[]){i, 1}, 2);
	pci_cfg(&s, 0x08, 0x62, true, 0x05);
	pci_cfg(&s, 0x18, 0x10, true, 0xc100);
	pci_cfg(&s, 0x19, 0x10, true, 0xc100);
	pci_cfg(&s, 0x28, 0x10, true, 0xfeb00000);
	pci_cfg(&s, 0x18, 0x04, true, 0x1);
	for (uint8_t i = 0; i < 3; i++)
		pci_op(&s, 2, (const uint8_t[]){i, 0}, 2);
	pci_op(&s, 0, cf9, sizeof(cf9));
	pci_op(&s, 4, cf9, 0);
	pci_firmware(&s);
	save("pci", "moves", &s);
}

/* ---- ide: byte 0 the devices, then port ops (tests/fuzz/fuzz_ide.c) ---- */

#define IDE_W	  0x80
#define IDE_CH1	  0x20
#define IDE_BURST 0x18

static void ide_out(struct seed *s, uint8_t ch, uint8_t reg, uint8_t v)
{
	put8(s, IDE_W | ch | reg);
	put8(s, v);
}

/* A task file and a command; lba48 writes the high bytes first. */
static void ide_cmd(struct seed *s, uint8_t ch, uint8_t cmd, uint32_t lba, uint16_t count,
		    bool lba48)
{
	ide_out(s, ch, 6, 0xe0);
	if (lba48) {
		ide_out(s, ch, 2, (uint8_t)(count >> 8));
		ide_out(s, ch, 3, (uint8_t)(lba >> 24));
	}
	ide_out(s, ch, 2, (uint8_t)count);
	ide_out(s, ch, 3, (uint8_t)lba);
	ide_out(s, ch, 4, (uint8_t)(lba >> 8));
	ide_out(s, ch, 5, (uint8_t)(lba >> 16));
	ide_out(s, ch, 7, cmd);
	put8(s, ch | 7); /* read status */
}

/* n 16-bit data port accesses (a multiple of 8), reads or writes of fill. */
static void ide_burst(struct seed *s, uint8_t ch, bool write, unsigned words, uint8_t fill)
{
	put8(s, (write ? IDE_W : 0) | ch | IDE_BURST);
	put8(s, (uint8_t)(words / 8));
	put8(s, fill);
}

static void ide_packet(struct seed *s, const uint8_t *cdb, uint16_t limit)
{
	ide_out(s, IDE_CH1, 6, 0xa0);
	ide_out(s, IDE_CH1, 1, 0);
	ide_out(s, IDE_CH1, 4, (uint8_t)limit);
	ide_out(s, IDE_CH1, 5, (uint8_t)(limit >> 8));
	ide_out(s, IDE_CH1, 7, 0xa0);
	for (unsigned i = 0; i < 12; i += 2) {
		put8(s, IDE_W | IDE_CH1 | 0x08);
		put(s, cdb + i, 2);
	}
	put8(s, IDE_CH1 | 7);
	ide_burst(s, IDE_CH1, false, 1024, 0);
}

/* Bus-master ops: the control block bit with a register (tests/fuzz/fuzz_ide.c). */
#define IDE_BM	     0x40
#define IDE_BM_CMD   1
#define IDE_BM_ST    2
#define IDE_BM_PRD   4
#define IDE_BM_DWORD 0x10
#define IDE_RAM	     3

static void ide_ram(struct seed *s, uint32_t gpa, const void *p, uint8_t n)
{
	put8(s, IDE_W | IDE_BM | IDE_RAM);
	put8(s, (uint8_t)(gpa >> 4));
	put8(s, (uint8_t)(gpa >> 12));
	put8(s, n);
	put(s, p, n);
}

/* A PRD table of two regions at 0x10000: 0x20000 and 0x30000, n bytes each. */
static void ide_prd_table(struct seed *s, uint16_t n, bool end)
{
	uint8_t t[16] = {0, 0, 2, 0, (uint8_t)n, (uint8_t)(n >> 8), 0, 0,
			 0, 0, 3, 0, (uint8_t)n, (uint8_t)(n >> 8), 0, end ? 0x80 : 0};

	ide_ram(s, 0x10000, t, sizeof(t));
}

/* libata's sequence: table address, direction, command, start, status, stop. */
static void ide_dma(struct seed *s, uint8_t cmd, uint32_t lba, uint16_t count, bool lba48,
		    bool to_mem)
{
	static const uint8_t prd[4] = {0, 0, 1, 0};

	put8(s, IDE_W | IDE_BM | IDE_BM_DWORD | IDE_BM_PRD);
	put(s, prd, sizeof(prd));
	put8(s, IDE_W | IDE_BM | IDE_BM_CMD);
	put8(s, to_mem ? 0x08 : 0);
	ide_cmd(s, 0, cmd, lba, count, lba48);
	put8(s, IDE_W | IDE_BM | IDE_BM_CMD);
	put8(s, to_mem ? 0x09 : 0x01);
	put8(s, IDE_BM | IDE_BM_ST);
	put8(s, IDE_W | IDE_BM | IDE_BM_CMD);
	put8(s, 0);
	put8(s, IDE_W | IDE_BM | IDE_BM_ST);
	put8(s, 0x06);
	put8(s, 7); /* status */
}

static void ide_dma_seed(void)
{
	static const uint8_t data[32] = {0x5a, 0xa5, 1, 2, 3, 4};
	struct seed s = {.len = 0};

	/* Disk at 0.0: MWDMA 2, reads and writes by DMA, a short table, one without an end. */
	put8(&s, 0x01);
	ide_out(&s, 0, 1, 0x03);
	ide_out(&s, 0, 2, 0x22);
	ide_out(&s, 0, 7, 0xef);
	ide_prd_table(&s, 1024, true);
	ide_dma(&s, 0xc8, 0, 4, false, true);
	ide_ram(&s, 0x20000, data, sizeof(data));
	ide_dma(&s, 0x35, 8, 4, true, false);
	ide_dma(&s, 0xca, 16, 4, false, false);
	ide_dma(&s, 0x25, 0, 8, true, true);
	ide_prd_table(&s, 512, false);
	ide_dma(&s, 0xc8, 0, 4, false, true);
	save("ide", "dma", &s);
}

static void ide(void)
{
	static const uint8_t read10[12] = {0x28, 0, 0, 0, 0, 1, 0, 0, 2};
	static const uint8_t inquiry[12] = {0x12, 0, 0, 0, 36};
	static const uint8_t sense[12] = {0x03, 0, 0, 0, 18};
	static const uint8_t toc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 64};
	struct seed s = {.len = 0};

	/* Disk at 0.0, CD-ROM at 1.0: SeaBIOS's probe and boot reads. */
	put8(&s, 0x01 | 0x02 << 4);
	put8(&s, IDE_W | 0x40);
	put8(&s, 0x04); /* SRST */
	put8(&s, IDE_W | 0x40);
	put8(&s, 0x02); /* nIEN */
	ide_cmd(&s, 0, 0xec, 0, 0, false);
	ide_burst(&s, 0, false, 256, 0);
	ide_cmd(&s, 0, 0x20, 0, 2, false);
	ide_burst(&s, 0, false, 512, 0);
	ide_cmd(&s, 0, 0x34, 8, 1, true);
	ide_burst(&s, 0, true, 256, 0xa5);
	ide_cmd(&s, 0, 0xc6, 0, 4, false);
	ide_cmd(&s, 0, 0xc4, 16, 8, false);
	ide_burst(&s, 0, false, 2048, 0);
	ide_cmd(&s, 0, 0xea, 0, 0, false);
	ide_cmd(&s, IDE_CH1, 0xa1, 0, 0, false);
	ide_burst(&s, IDE_CH1, false, 256, 0);
	save("ide", "disk-and-cdrom", &s);

	/* CD-ROM alone: the packet commands El Torito and sr send. */
	s.len = 0;
	put8(&s, 0x02 << 4);
	ide_packet(&s, inquiry, 36);
	ide_packet(&s, read10, 2048);
	ide_packet(&s, toc, 64);
	ide_packet(&s, sense, 18);
	save("ide", "cdrom-packets", &s);
	ide_dma_seed();
}

int main(void)
{
	mkdir("tests/fuzz/corpus", 0755);
	websocket();
	console();
	xs_ring();
	evtchn();
	blkback();
	netback();
	netback_offload();
	rtl8139();
	hypercall();
	api();
	pci();
	ide();
	return 0;
}
