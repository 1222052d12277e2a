/* SPDX-License-Identifier: MIT */
/*
 * Netback ring processing against a fake guest: RAM from guest_memory,
 * a grant table filled in by hand, ring pages on the heap, and a datagram
 * socket pair in place of the TAP (one frame per read/write, as a TAP).
 * The test plays the frontend.
 */
#include "xen/domain.h"
#include "core/memory.h"
#include "core/vm.h"
#include "devices/inet_csum_test.h"
#include "devices/xen_netback.h"
#include "lib/test.h"
#include "lib/util.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE	      4096U
#define RAM_SIZE      (256 * KIB)
#define TABLE_GFN     4
#define DATA_GFN      16 /* grant ref r grants frame DATA_GFN + r */
#define NR_DATA_PAGES 32
#define RO_REF	      40 /* a read-only grant */
#define BAD_REF	      41 /* an entry that grants nothing */

struct fixture {
	struct guest_memory mem;
	struct gnttab gt;
	netif_tx_sring_t *tx_sring;
	netif_rx_sring_t *rx_sring;
	netif_tx_front_ring_t txf;
	netif_rx_front_ring_t rxf;
	int sv[2]; /* sv[0]: the backend's "TAP"; sv[1]: the host side of it */
	struct xen_netif_io io;
};

static uint8_t *data_page(struct fixture *f, grant_ref_t ref)
{
	uint8_t *p = gpa_to_hva(&f->mem, (uint64_t)(DATA_GFN + ref) * PAGE, PAGE);

	assert_non_null(p);
	return p;
}

/* Grant ref r: frame DATA_GFN + r, writable; plus a read-only and a bad entry. */
static void grant_pages(struct guest_memory *mem)
{
	grant_entry_v1_t *t = gpa_to_hva(mem, (uint64_t)TABLE_GFN * PAGE, PAGE);

	for (unsigned r = 0; r < NR_DATA_PAGES; r++)
		t[r] = (grant_entry_v1_t){
		    .flags = GTF_permit_access, .domid = 0, .frame = DATA_GFN + r};
	t[RO_REF] = (grant_entry_v1_t){
	    .flags = GTF_permit_access | GTF_readonly, .domid = 0, .frame = DATA_GFN};
	t[BAD_REF] = (grant_entry_v1_t){.flags = 0, .domid = 0, .frame = DATA_GFN};
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || guest_memory_map(&f->mem, RAM_SIZE))
		goto fail;
	gnttab_init(&f->gt, &f->mem);
	if (gnttab_set_frame(&f->gt, 0, TABLE_GFN))
		goto fail;
	grant_pages(&f->mem);

	f->tx_sring = aligned_alloc(PAGE, PAGE);
	f->rx_sring = aligned_alloc(PAGE, PAGE);
	if (!f->tx_sring || !f->rx_sring)
		goto fail;
	SHARED_RING_INIT(f->tx_sring);
	SHARED_RING_INIT(f->rx_sring);
	FRONT_RING_INIT(&f->txf, f->tx_sring, PAGE);
	FRONT_RING_INIT(&f->rxf, f->rx_sring, PAGE);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sv))
		goto fail;
	/* Room for a 64 KiB frame in flight. */
	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &(int){256 * 1024}, sizeof(int));
	setsockopt(f->sv[1], SOL_SOCKET, SO_SNDBUF, &(int){256 * 1024}, sizeof(int));
	if (xen_netif_io_init(&f->io, &f->gt, f->tx_sring, f->rx_sring, f->sv[0]))
		goto fail;
	*state = f;
	return 0;
fail:
	free(f);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	xen_netif_io_destroy(&f->io);
	close(f->sv[0]);
	close(f->sv[1]);
	free(f->tx_sring);
	free(f->rx_sring);
	gnttab_destroy(&f->gt);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}

/* ---- The frontend's side ---- */

static void tx_put(struct fixture *f, grant_ref_t ref, uint16_t off, uint16_t flags, uint16_t id,
		   uint16_t size)
{
	netif_tx_request_t *req = RING_GET_REQUEST(&f->txf, f->txf.req_prod_pvt);

	*req = (netif_tx_request_t){
	    .gref = ref, .offset = off, .flags = flags, .id = id, .size = size};
	f->txf.req_prod_pvt++;
}

static void tx_put_extra(struct fixture *f, uint8_t type, uint8_t flags)
{
	netif_extra_info_t ex = {.type = type, .flags = flags};

	memcpy(RING_GET_REQUEST(&f->txf, f->txf.req_prod_pvt), &ex, sizeof(ex));
	f->txf.req_prod_pvt++;
}

static void tx_push(struct fixture *f)
{
	f->tx_sring->req_prod = f->txf.req_prod_pvt;
}

static netif_tx_response_t tx_rsp(struct fixture *f, RING_IDX i)
{
	return *RING_GET_RESPONSE(&f->txf, i);
}

static void rx_post(struct fixture *f, grant_ref_t ref, uint16_t id)
{
	netif_rx_request_t *req = RING_GET_REQUEST(&f->rxf, f->rxf.req_prod_pvt);

	*req = (netif_rx_request_t){.id = id, .gref = ref};
	f->rxf.req_prod_pvt++;
	f->rx_sring->req_prod = f->rxf.req_prod_pvt;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* The next frame on the host side, or -1 when there is none. */
static ssize_t host_recv(struct fixture *f, uint8_t *buf, size_t len)
{
	return recv(f->sv[1], buf, len, MSG_DONTWAIT);
}

static void host_send(struct fixture *f, const uint8_t *buf, size_t len)
{
	assert_int_equal(send(f->sv[1], buf, len, 0), (ssize_t)len);
}

static bool run_tx(struct fixture *f)
{
	bool notify = false;

	assert_false(xen_netif_tx_process(&f->io, &notify));
	return notify;
}

/* ---- Guest transmit ---- */

static void test_tx_simple(void **state)
{
	struct fixture *f = *state;
	uint8_t out[200];

	fill(data_page(f, 0) + 100, 60, 1);
	tx_put(f, 0, 100, 0, 7, 60);
	tx_push(f);
	assert_true(run_tx(f));
	assert_int_equal(f->tx_sring->rsp_prod, 1);
	assert_int_equal(tx_rsp(f, 0).id, 7);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv(f, out, sizeof(out)), 60);
	assert_memory_equal(out, data_page(f, 0) + 100, 60);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1); /* exactly one frame */
	/* The request event is armed for the next request. */
	assert_int_equal(f->tx_sring->req_event, 2);
}

static void test_tx_fragments_and_extra(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[3000], out[4000];

	/* 1500 bytes at the end of page 1, then 1000 and 500 from pages 2 and 3. */
	fill(data_page(f, 1) + 2596, 1500, 3);
	fill(data_page(f, 2), 1000, 5);
	fill(data_page(f, 3) + 8, 500, 9);
	memcpy(want, data_page(f, 1) + 2596, 1500);
	memcpy(want + 1500, data_page(f, 2), 1000);
	memcpy(want + 2500, data_page(f, 3) + 8, 500);
	tx_put(f, 1, 2596, NETTXF_more_data | NETTXF_extra_info, 10, 3000);
	tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE);
	tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_HASH, 0); /* not advertised: ignored */
	tx_put(f, 2, 0, NETTXF_more_data, 11, 1000);
	tx_put(f, 3, 8, 0, 12, 500);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, 5);
	assert_int_equal(tx_rsp(f, 0).id, 10);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(tx_rsp(f, 1).status, NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(f, 2).status, NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(f, 3).id, 11);
	assert_int_equal(tx_rsp(f, 3).status, NETIF_RSP_OKAY);
	assert_int_equal(tx_rsp(f, 4).id, 12);
	assert_int_equal(tx_rsp(f, 4).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv(f, out, sizeof(out)), 3000);
	assert_memory_equal(out, want, 3000);
}

/* All data slots of the chain got NETIF_RSP_ERROR and nothing reached the host. */
static void assert_all_errors(struct fixture *f, RING_IDX first, RING_IDX n)
{
	uint8_t out[64];

	assert_int_equal(f->tx_sring->rsp_prod, first + n);
	for (RING_IDX i = first; i < first + n; i++)
		assert_int_equal(tx_rsp(f, i).status, NETIF_RSP_ERROR);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1);
}

/* After an error the ring still works. */
static void assert_tx_still_works(struct fixture *f)
{
	RING_IDX i = f->txf.req_prod_pvt;
	uint8_t out[64];

	fill(data_page(f, 0), 20, 42);
	tx_put(f, 0, 0, 0, 99, 20);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, i + 1);
	assert_int_equal(tx_rsp(f, i).id, 99);
	assert_int_equal(tx_rsp(f, i).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv(f, out, sizeof(out)), 20);
	assert_false(f->io.tx_broken);
}

static void test_tx_chain_too_long(void **state)
{
	struct fixture *f = *state;
	unsigned n = XEN_NETIF_NR_SLOTS_MIN + 1;

	tx_put(f, 0, 0, NETTXF_more_data, 0, (uint16_t)(n * 100));
	for (unsigned i = 1; i < n; i++)
		tx_put(f, i, 0, i + 1 < n ? NETTXF_more_data : 0, (uint16_t)i, 100);
	tx_push(f);
	run_tx(f);
	assert_all_errors(f, 0, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(tx_rsp(f, i).id, i);
	assert_tx_still_works(f);
}

static void test_tx_chain_sizes_inconsistent(void **state)
{
	struct fixture *f = *state;

	/* The fragments claim more than the total. */
	tx_put(f, 0, 0, NETTXF_more_data, 1, 100);
	tx_put(f, 1, 0, 0, 2, 200);
	/* A total below an Ethernet header. */
	tx_put(f, 0, 0, 0, 3, 10);
	tx_push(f);
	run_tx(f);
	assert_all_errors(f, 0, 3);
	assert_tx_still_works(f);
}

static void test_tx_bad_gref(void **state)
{
	struct fixture *f = *state;

	tx_put(f, BAD_REF, 0, 0, 1, 60);
	tx_put(f, 5000, 0, 0, 2, 60); /* beyond the table */
	tx_put(f, 0, 0, NETTXF_more_data, 3, 120);
	tx_put(f, BAD_REF, 0, 0, 4, 60); /* bad in a later fragment */
	tx_push(f);
	run_tx(f);
	assert_all_errors(f, 0, 4);
	assert_tx_still_works(f);
}

static void test_tx_crosses_page(void **state)
{
	struct fixture *f = *state;

	tx_put(f, 0, 4000, 0, 1, 200);
	/* A later fragment crossing the page, and a first one whose own share does. */
	tx_put(f, 0, 0, NETTXF_more_data, 2, 300);
	tx_put(f, 1, 4000, 0, 3, 100);
	tx_put(f, 0, 4090, NETTXF_more_data, 4, 300);
	tx_put(f, 1, 0, 0, 5, 100);
	tx_push(f);
	run_tx(f);
	assert_all_errors(f, 0, 5);
	assert_tx_still_works(f);
}

static void test_tx_bad_extra(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];

	tx_put(f, 0, 0, NETTXF_extra_info, 1, 60);
	tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_MAX, 0);
	tx_put(f, 0, 0, NETTXF_extra_info, 2, 60);
	tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_NONE, 0);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, 4);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_ERROR);
	assert_int_equal(tx_rsp(f, 1).status, NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(f, 2).status, NETIF_RSP_ERROR);
	assert_int_equal(tx_rsp(f, 3).status, NETIF_RSP_NULL);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1);
	assert_tx_still_works(f);
}

static void test_tx_too_many_extras(void **state)
{
	struct fixture *f = *state;

	tx_put(f, 0, 0, NETTXF_extra_info, 1, 60);
	for (unsigned i = 0; i < 6; i++)
		tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_GSO, i < 5 ? XEN_NETIF_EXTRA_FLAG_MORE : 0);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, 7);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_ERROR);
	assert_tx_still_works(f);
}

static void test_tx_corrupt_req_prod(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];

	tx_put(f, 0, 0, 0, 1, 60);
	f->tx_sring->req_prod = RING_SIZE(&f->txf) + 1;
	assert_false(run_tx(f));
	assert_true(f->io.tx_broken);
	assert_int_equal(f->tx_sring->rsp_prod, 0);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1);
	/* Even with sane indexes again, the ring stays dead: no further processing. */
	tx_push(f);
	assert_false(run_tx(f));
	assert_int_equal(f->tx_sring->rsp_prod, 0);
}

static void test_tx_chain_past_req_prod(void **state)
{
	struct fixture *f = *state;

	/* The last visible slot says more follows, but nothing does. */
	tx_put(f, 0, 0, NETTXF_more_data, 1, 120);
	tx_push(f);
	run_tx(f);
	assert_true(f->io.tx_broken);
	assert_int_equal(f->tx_sring->rsp_prod, 0);
}

static void test_tx_full_ring(void **state)
{
	struct fixture *f = *state;
	unsigned n = RING_SIZE(&f->txf);
	uint8_t out[64];

	for (unsigned i = 0; i < n; i++)
		tx_put(f, 0, 0, 0, (uint16_t)i, 14);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(host_recv(f, out, sizeof(out)), 14);
	/* Wrap around the ring. */
	assert_tx_still_works(f);
}

/* ---- Checksums ---- */

/* The Ethernet type and an IPv4 header (no options) of ip_len bytes in all, for proto. */
static void put_eth_ipv4(uint8_t *fr, uint8_t proto, size_t ip_len)
{
	fr[12] = 0x08;
	fr[14] = 0x45;
	fr[16] = (uint8_t)(ip_len >> 8);
	fr[17] = (uint8_t)ip_len;
	fr[22] = 64;
	fr[23] = proto;
	fill(fr + 26, 8, 10); /* addresses */
}

/* Ethernet + IPv4 + UDP with `payload` bytes; checksum field set to junk. */
static size_t build_udp4(uint8_t *fr, size_t payload)
{
	size_t ip_len = 20 + 8 + payload;

	memset(fr, 0, 14 + ip_len);
	put_eth_ipv4(fr, 17, ip_len);
	fr[34] = 0x30;
	fr[35] = 0x39;
	fr[36] = 0x00;
	fr[37] = 0x35;
	fr[38] = (uint8_t)((8 + payload) >> 8);
	fr[39] = (uint8_t)(8 + payload);
	fr[40] = 0xde; /* junk: the backend must not trust what is there */
	fr[41] = 0xad;
	fill(fr + 42, payload, 77);
	return 14 + ip_len;
}

/* Ethernet + IPv4/IPv6 + TCP with `payload` bytes; junk in the checksum field. */
static size_t build_tcp(uint8_t *fr, int ipv, size_t payload)
{
	size_t l4 = ipv == 4 ? 34 : 54, l4len = 20 + payload;

	memset(fr, 0, l4 + l4len);
	if (ipv == 4) {
		put_eth_ipv4(fr, 6, 20 + l4len);
	} else {
		fr[12] = 0x86;
		fr[13] = 0xdd;
		fr[14] = 0x60;
		fr[18] = (uint8_t)(l4len >> 8);
		fr[19] = (uint8_t)l4len;
		fr[20] = 6;
		fr[21] = 64;
		fill(fr + 22, 32, 200);
	}
	fr[l4 + 12] = 0x50;
	fr[l4 + 16] = 0xbe;
	fr[l4 + 17] = 0xef;
	fill(fr + l4 + 20, payload, 5);
	return l4 + l4len;
}

static void assert_udp4_csum_ok(const uint8_t *fr)
{
	size_t l4 = (size_t)(fr[16] << 8 | fr[17]) - 20;
	uint32_t s = sum16(fr + 26, 8, 0) + 17 + (uint32_t)l4;

	assert_int_not_equal(fr[40] << 8 | fr[41], 0);
	assert_int_equal(fold(sum16(fr + 34, l4, s)), 0xffff);
}

static void test_csum_udp4(void **state)
{
	uint8_t fr[200] = {0};
	size_t len = build_udp4(fr, 33); /* odd length */

	(void)state;
	assert_int_equal(net_csum_fill(fr, len + 6), 0); /* with Ethernet padding */
	assert_udp4_csum_ok(fr);
}

static void test_csum_tcp6(void **state)
{
	uint8_t fr[300];
	size_t len = build_tcp(fr, 6, 100), plen = len - 54;
	uint32_t s;

	(void)state;
	assert_int_equal(net_csum_fill(fr, len), 0);
	s = sum16(fr + 22, 32, 0) + 6 + (uint32_t)plen;
	assert_int_equal(fold(sum16(fr + 54, plen, s)), 0xffff);
}

static void test_csum_unparseable(void **state)
{
	uint8_t fr[200];
	size_t len = build_udp4(fr, 20);

	(void)state;
	fr[12] = 0x08;
	fr[13] = 0x06; /* ARP */
	assert_int_equal(net_csum_fill(fr, len), -EINVAL);
	len = build_udp4(fr, 20);
	assert_int_equal(net_csum_fill(fr, len - 1), -EINVAL); /* truncated */
	len = build_udp4(fr, 20);
	fr[20] = 0x20; /* more fragments */
	assert_int_equal(net_csum_fill(fr, len), -EINVAL);
	len = build_udp4(fr, 20);
	fr[14] = 0x44; /* IHL 4 */
	assert_int_equal(net_csum_fill(fr, len), -EINVAL);
	assert_int_equal(net_csum_fill(fr, 10), -EINVAL);
}

static void test_tx_csum_blank(void **state)
{
	struct fixture *f = *state;
	uint8_t out[300];
	size_t len = build_udp4(data_page(f, 4), 100);

	tx_put(f, 4, 0, NETTXF_csum_blank, 1, (uint16_t)len);
	/* An ARP frame cannot have a blank checksum: error. */
	memcpy(data_page(f, 5), data_page(f, 4), len);
	data_page(f, 5)[13] = 0x06;
	tx_put(f, 5, 0, NETTXF_csum_blank, 2, (uint16_t)len);
	tx_push(f);
	run_tx(f);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(tx_rsp(f, 1).status, NETIF_RSP_ERROR);
	assert_int_equal(host_recv(f, out, sizeof(out)), (ssize_t)len);
	assert_udp4_csum_ok(out);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1);
	/* The guest's page is not modified. */
	assert_int_equal(data_page(f, 4)[40], 0xde);
}

/* ---- Guest receive ---- */

static bool run_rx(struct fixture *f, bool *notify)
{
	return xen_netif_rx_process(&f->io, notify);
}

static netif_rx_response_t rx_rsp(struct fixture *f, RING_IDX i)
{
	return *RING_GET_RESPONSE(&f->rxf, i);
}

static void test_rx_delivery(void **state)
{
	struct fixture *f = *state;
	uint8_t a[1514], b[60];
	bool notify;

	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 22);
	memset(data_page(f, 6), 0xcc, PAGE);
	rx_post(f, 6, 100);
	rx_post(f, 7, 101);
	host_send(f, a, sizeof(a));
	host_send(f, b, sizeof(b));
	/* Both buffers used up: the guest must post more, and req_event asks it to kick. */
	assert_false(run_rx(f, &notify));
	assert_true(notify);
	assert_int_equal(f->rx_sring->rsp_prod, 2);
	assert_int_equal(rx_rsp(f, 0).id, 100);
	assert_int_equal(rx_rsp(f, 0).offset, 0);
	assert_int_equal(rx_rsp(f, 0).status, sizeof(a));
	assert_int_equal(rx_rsp(f, 1).id, 101);
	assert_int_equal(rx_rsp(f, 1).status, sizeof(b));
	assert_memory_equal(data_page(f, 6), a, sizeof(a));
	assert_int_equal(data_page(f, 6)[sizeof(a)], 0xcc); /* nothing beyond the frame */
	assert_memory_equal(data_page(f, 7), b, sizeof(b));
	assert_int_equal(f->rx_sring->req_event, 3);
}

static void test_rx_no_buffers(void **state)
{
	struct fixture *f = *state;
	uint8_t a[100], peek[200];
	bool notify;

	fill(a, sizeof(a), 1);
	host_send(f, a, sizeof(a));
	assert_false(run_rx(f, &notify));
	assert_false(notify);
	assert_int_equal(f->rx_sring->rsp_prod, 0);
	/* The frame is still queued on the host side. */
	assert_int_equal(recv(f->sv[0], peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT), sizeof(a));
	assert_int_equal(f->rx_sring->req_event, 1);
	/* Once a buffer is posted, it arrives. */
	rx_post(f, 8, 5);
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 1);
	assert_int_equal(rx_rsp(f, 0).status, sizeof(a));
	assert_memory_equal(data_page(f, 8), a, sizeof(a));
}

static void test_rx_buffers_but_no_frames(void **state)
{
	struct fixture *f = *state;
	bool notify;

	rx_post(f, 6, 1);
	/* Buffers remain posted: the caller must poll the TAP. */
	assert_true(run_rx(f, &notify));
	assert_false(notify);
	assert_int_equal(f->rx_sring->rsp_prod, 0);
	assert_int_equal(f->io.rx.req_cons, 0);
}

static void test_rx_oversize_dropped(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[5000];
	uint8_t small[64];
	bool notify;

	fill(big, sizeof(big), 1);
	fill(small, sizeof(small), 2);
	rx_post(f, 6, 1);
	host_send(f, big, sizeof(big));
	host_send(f, small, sizeof(small));
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 1);
	assert_int_equal(rx_rsp(f, 0).id, 1);
	assert_int_equal(rx_rsp(f, 0).status, sizeof(small));
	assert_memory_equal(data_page(f, 6), small, sizeof(small));
	/* A frame that exactly fills the page still fits. */
	rx_post(f, 7, 2);
	host_send(f, big, PAGE);
	run_rx(f, &notify);
	assert_int_equal(rx_rsp(f, 1).status, PAGE);
}

static void test_rx_bad_gref(void **state)
{
	struct fixture *f = *state;
	uint8_t a[60];
	bool notify;

	fill(a, sizeof(a), 1);
	rx_post(f, BAD_REF, 1);
	rx_post(f, RO_REF, 2); /* read-only: the backend must not write it */
	rx_post(f, 6, 3);
	host_send(f, a, sizeof(a));
	host_send(f, a, sizeof(a));
	host_send(f, a, sizeof(a));
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 3);
	assert_int_equal(rx_rsp(f, 0).status, NETIF_RSP_ERROR);
	assert_int_equal(rx_rsp(f, 1).status, NETIF_RSP_ERROR);
	assert_int_equal(rx_rsp(f, 2).status, sizeof(a));
	assert_int_equal(rx_rsp(f, 2).id, 3);
}

static void test_rx_corrupt_req_prod(void **state)
{
	struct fixture *f = *state;
	uint8_t a[60];
	bool notify;

	fill(a, sizeof(a), 1);
	host_send(f, a, sizeof(a));
	f->rx_sring->req_prod = 0x80000000u;
	assert_false(run_rx(f, &notify));
	assert_true(f->io.rx_broken);
	assert_int_equal(f->rx_sring->rsp_prod, 0);
	f->rx_sring->req_prod = 0;
	rx_post(f, 6, 1);
	assert_false(run_rx(f, &notify));
	assert_int_equal(f->rx_sring->rsp_prod, 0);
}

/* ---- Offloads through a virtio_net_hdr (the socket pair plays a vnet_hdr TAP) ---- */

static const struct net_rx_caps all_caps = {
    .csum4 = true, .csum6 = true, .gso4 = true, .gso6 = true};

static void vnet_mode(struct fixture *f, bool sg, struct net_rx_caps caps)
{
	f->io.off = (struct xen_netif_offload){.vnet_hdr = true, .rx_sg = sg, .rx = caps};
}

/* The next frame on the host side, split into its virtio header and the frame. */
static ssize_t host_recv_vnet(struct fixture *f, struct virtio_net_hdr *h, uint8_t *buf, size_t len)
{
	struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof(*h)},
			       {.iov_base = buf, .iov_len = len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n = recvmsg(f->sv[1], &msg, MSG_DONTWAIT);

	if (n < 0)
		return n;
	assert_true(n >= (ssize_t)sizeof(*h));
	return n - (ssize_t)sizeof(*h);
}

static void host_send_vnet(struct fixture *f, const struct virtio_net_hdr *h, const uint8_t *buf,
			   size_t len)
{
	struct iovec iov[2] = {{.iov_base = (void *)h, .iov_len = sizeof(*h)},
			       {.iov_base = (void *)buf, .iov_len = len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	assert_int_equal(sendmsg(f->sv[1], &msg, 0), (ssize_t)(sizeof(*h) + len));
}

static void tx_put_gso(struct fixture *f, uint8_t type, uint16_t size, uint8_t flags)
{
	netif_extra_info_t ex = {.type = XEN_NETIF_EXTRA_TYPE_GSO, .flags = flags};

	ex.u.gso.type = type;
	ex.u.gso.size = size;
	memcpy(RING_GET_REQUEST(&f->txf, f->txf.req_prod_pvt), &ex, sizeof(ex));
	f->txf.req_prod_pvt++;
}

/* Complete a NEEDS_CSUM frame as the host would and check the result against IPv4's pseudo-header.
 */
static void assert_tcp4_completes(uint8_t *fr, size_t len, const struct virtio_net_hdr *h)
{
	uint32_t s;
	uint16_t c = (uint16_t)~fold(sum16(fr + h->csum_start, len - h->csum_start, 0));

	fr[h->csum_start + h->csum_offset] = (uint8_t)(c >> 8);
	fr[h->csum_start + h->csum_offset + 1] = (uint8_t)c;
	s = sum16(fr + 26, 8, 0) + 6 + (uint32_t)(len - 34);
	assert_int_equal(fold(sum16(fr + 34, len - 34, s)), 0xffff);
}

/* A 3000-byte TCP frame over three slots with a blank checksum: one write, NEEDS_CSUM. */
static void test_tx_vnet_multislot_csum(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[3000], out[4000];
	struct virtio_net_hdr h;
	size_t len = build_tcp(want, 4, 3000 - 54);

	vnet_mode(f, true, all_caps);
	memcpy(data_page(f, 1) + 3096, want, 1000);
	memcpy(data_page(f, 2), want + 1000, 1500);
	memcpy(data_page(f, 3) + 100, want + 2500, 500);
	tx_put(f, 1, 3096, NETTXF_more_data | NETTXF_csum_blank | NETTXF_data_validated, 1,
	       (uint16_t)len);
	tx_put(f, 2, 0, NETTXF_more_data, 2, 1500);
	tx_put(f, 3, 100, 0, 3, 500);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, 3);
	for (RING_IDX i = 0; i < 3; i++)
		assert_int_equal(tx_rsp(f, i).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), (ssize_t)len);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.hdr_len, 54);
	assert_memory_equal(out, want, 50); /* only the checksum field differs */
	assert_memory_equal(out + 52, want + 52, len - 52);
	assert_tcp4_completes(out, len, &h);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1); /* exactly one frame */
}

/* UDP over IPv6 with a blank checksum; a plain frame gets an empty header. */
static void test_tx_vnet_udp6_and_plain(void **state)
{
	struct fixture *f = *state;
	uint8_t *p = data_page(f, 4), out[300];
	struct virtio_net_hdr h;

	vnet_mode(f, true, all_caps);
	memset(p, 0, 200);
	p[12] = 0x86;
	p[13] = 0xdd;
	p[14] = 0x60;
	p[19] = 8 + 50; /* payload length */
	p[20] = 17;
	tx_put(f, 4, 0, NETTXF_csum_blank, 1, 54 + 58);
	fill(data_page(f, 5), 60, 1);
	tx_put(f, 5, 0, NETTXF_data_validated, 2, 60);
	tx_push(f);
	run_tx(f);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(tx_rsp(f, 1).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), 54 + 58);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), 60);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
}

/* Put a TCP frame of `len` bytes in pages first.., as slots; returns the slots used. */
static unsigned tx_put_frame(struct fixture *f, const uint8_t *fr, size_t len, grant_ref_t first,
			     uint16_t flags, bool extras)
{
	unsigned n = 0;

	for (size_t pos = 0; pos < len; pos += PAGE, n++) {
		size_t chunk = MIN(PAGE, len - pos);
		uint16_t fl = pos + chunk < len ? NETTXF_more_data : 0;

		memcpy(data_page(f, first + n), fr + pos, chunk);
		if (!pos)
			fl |= flags | (extras ? NETTXF_extra_info : 0);
		tx_put(f, first + n, 0, fl, (uint16_t)n, pos ? (uint16_t)chunk : (uint16_t)len);
		if (!pos && extras)
			return 1; /* the caller puts the extras, then tx_put_rest */
	}
	return n;
}

static void tx_put_rest(struct fixture *f, const uint8_t *fr, size_t len, grant_ref_t first)
{
	for (size_t pos = PAGE; pos < len; pos += PAGE) {
		size_t chunk = MIN(PAGE, len - pos);
		grant_ref_t r = first + (grant_ref_t)(pos / PAGE);

		memcpy(data_page(f, r), fr + pos, chunk);
		tx_put(f, r, 0, pos + chunk < len ? NETTXF_more_data : 0, (uint16_t)r,
		       (uint16_t)chunk);
	}
}

/* A 20000-byte TCPv4 packet with a GSO extra (after an ignored hash extra): a TSO write. */
static void test_tx_vnet_gso(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[20000], out[21000];
	struct virtio_net_hdr h;
	size_t len = build_tcp(want, 4, sizeof(want) - 54);

	vnet_mode(f, true, all_caps);
	tx_put_frame(f, want, len, 0, NETTXF_csum_blank | NETTXF_data_validated, true);
	tx_put_extra(f, XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE);
	tx_put_gso(f, XEN_NETIF_GSO_TYPE_TCPV4, 1448, 0);
	tx_put_rest(f, want, len, 0);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, 7); /* 5 data slots, 2 extras */
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(tx_rsp(f, 1).status, NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(f, 2).status, NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(f, 6).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), (ssize_t)len);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1448);
	assert_int_equal(h.hdr_len, 54);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_memory_equal(out + 52, want + 52, len - 52);
	assert_tcp4_completes(out, len, &h);
	/* Only the head was copied; the payload went from the guest's pages to the host. */
	assert_int_equal(f->io.tx_copied, XEN_NETIF_HEAD_COPY);
}

/* Headers split over three slots: the head copy gathers them; the data is sent in place. */
static void test_tx_vnet_headers_split(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[3000], out[4000];
	struct virtio_net_hdr h;
	size_t len = build_tcp(want, 4, sizeof(want) - 54);

	vnet_mode(f, true, all_caps);
	memcpy(data_page(f, 1) + 4000, want, 14);
	memcpy(data_page(f, 2), want + 14, 30);
	memcpy(data_page(f, 3) + 8, want + 44, len - 44);
	tx_put(f, 1, 4000, NETTXF_more_data | NETTXF_csum_blank, 1, (uint16_t)len);
	tx_put(f, 2, 0, NETTXF_more_data, 2, 30);
	tx_put(f, 3, 8, 0, 3, (uint16_t)(len - 44));
	tx_push(f);
	run_tx(f);
	assert_int_equal(tx_rsp(f, 2).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), (ssize_t)len);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.hdr_len, 54);
	assert_memory_equal(out, want, 50);
	assert_memory_equal(out + 52, want + 52, len - 52);
	assert_tcp4_completes(out, len, &h);
	assert_int_equal(f->io.tx_copied, XEN_NETIF_HEAD_COPY);
}

/*
 * IPv6 with a 248-byte hop-by-hop header: the TCP header lies past the
 * usual head copy, so the whole packet is copied and parsed.
 */
static void test_tx_vnet_long_headers(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[3000], out[4000];
	const size_t l4 = 14 + 40 + 248, len = sizeof(want);
	struct virtio_net_hdr h;

	vnet_mode(f, true, all_caps);
	memset(want, 0, sizeof(want));
	want[12] = 0x86;
	want[13] = 0xdd;
	want[14] = 0x60;
	want[18] = (uint8_t)((len - 54) >> 8);
	want[19] = (uint8_t)(len - 54);
	want[20] = 0;		  /* hop-by-hop options next */
	want[54] = 6;		  /* then TCP */
	want[55] = (248 / 8) - 1; /* 248 bytes of Pad1 options */
	want[l4 + 12] = 0x50;
	fill(want + l4 + 20, len - l4 - 20, 9);
	tx_put_frame(f, want, len, 0, NETTXF_csum_blank, false);
	tx_push(f);
	run_tx(f);
	assert_int_equal(tx_rsp(f, 0).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv_vnet(f, &h, out, sizeof(out)), (ssize_t)len);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, l4);
	assert_int_equal(h.csum_offset, 16);
	assert_memory_equal(out + l4 + 20, want + l4 + 20, len - l4 - 20);
	assert_int_equal(f->io.tx_copied, XEN_NETIF_HEAD_COPY + len);
}

/* One hostile GSO packet: every data slot fails, the extras are NULL, nothing is written. */
static void tx_gso_refused(struct fixture *f, int ipv, uint8_t type, uint16_t size, bool twice)
{
	static uint8_t fr[9000];
	RING_IDX first = f->txf.req_prod_pvt;
	size_t len = build_tcp(fr, ipv, sizeof(fr) - 74);
	uint8_t out[64];

	tx_put_frame(f, fr, len, 0, NETTXF_csum_blank, true);
	tx_put_gso(f, type, size, twice ? XEN_NETIF_EXTRA_FLAG_MORE : 0);
	if (twice)
		tx_put_gso(f, type, size, 0);
	tx_put_rest(f, fr, len, 0);
	tx_push(f);
	run_tx(f);
	assert_int_equal(f->tx_sring->rsp_prod, f->txf.req_prod_pvt);
	for (RING_IDX i = first; i < f->txf.req_prod_pvt; i++)
		assert_int_equal(tx_rsp(f, i).status, (i == first + 1 || (twice && i == first + 2))
							  ? NETIF_RSP_NULL
							  : NETIF_RSP_ERROR);
	assert_int_equal(host_recv(f, out, sizeof(out)), -1);
	assert_false(f->io.tx_broken);
}

static void test_tx_vnet_gso_hostile(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];

	vnet_mode(f, true, all_caps);
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_TCPV4, 0, false);    /* size 0 */
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_TCPV4, 9000, false); /* beyond the payload */
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_TCPV6, 1448, false); /* wrong IP version */
	tx_gso_refused(f, 6, XEN_NETIF_GSO_TYPE_TCPV4, 1448, false); /* and the other way */
	tx_gso_refused(f, 4, 7, 1448, false);			     /* unknown type */
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_NONE, 1448, false);  /* no type */
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_TCPV4, 1448, true);  /* two GSO extras */
	/* Without a virtio header GSO was never offered: a valid one is refused too. */
	f->io.off.vnet_hdr = false;
	tx_gso_refused(f, 4, XEN_NETIF_GSO_TYPE_TCPV4, 1448, false);
	/* The ring still works. */
	fill(data_page(f, 0), 20, 42);
	tx_put(f, 0, 0, 0, 99, 20);
	tx_push(f);
	run_tx(f);
	assert_int_equal(tx_rsp(f, f->txf.req_prod_pvt - 1).status, NETIF_RSP_OKAY);
	assert_int_equal(host_recv(f, out, sizeof(out)), 20);
}

/* A blank checksum whose headers do not hold up: a TCP header claimed past the frame. */
static void test_tx_vnet_csum_truncated(void **state)
{
	struct fixture *f = *state;
	uint8_t *p = data_page(f, 4), out[64];

	vnet_mode(f, true, all_caps);
	build_tcp(p, 4, 0);
	p[34 + 12] = 0xf0; /* a 60-byte TCP header in a 20-byte segment */
	tx_put(f, 4, 0, NETTXF_csum_blank, 1, 54);
	tx_push(f);
	run_tx(f);
	assert_all_errors(f, 0, 1);
	(void)out;
}

/* Post n buffers on pages first.., each with id 100 + its page. */
static void rx_post_n(struct fixture *f, grant_ref_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rx_post(f, first + i, (uint16_t)(100 + first + i));
}

/* The host's 64 KiB TSO frame and its virtio header (TCPv4, MSS 1448). */
static const struct virtio_net_hdr tso_64k_hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
						  .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
						  .hdr_len = 54,
						  .gso_size = 1448,
						  .csum_start = 34,
						  .csum_offset = 16};

/* Delivered as 17 data slots (on pages 0, 2..17) and a GSO extra, in ring order. */
static void assert_rx_tso_64k(struct fixture *f, const uint8_t *fr, size_t len)
{
	netif_extra_info_t ex;
	size_t pos = 0;

	assert_int_equal(f->rx_sring->rsp_prod, 18);
	assert_int_equal(rx_rsp(f, 0).id, 100);
	assert_int_equal(rx_rsp(f, 0).flags, NETRXF_csum_blank | NETRXF_data_validated |
						 NETRXF_more_data | NETRXF_extra_info);
	assert_int_equal(rx_rsp(f, 0).status, PAGE);
	memcpy(&ex, RING_GET_RESPONSE(&f->rxf, 1), sizeof(ex));
	assert_int_equal(ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
	assert_int_equal(ex.flags, 0);
	assert_int_equal(ex.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(ex.u.gso.size, 1448);
	for (RING_IDX i = 0; i < 18; i++) {
		netif_rx_response_t r = rx_rsp(f, i);

		if (i == 1)
			continue;
		assert_int_equal(r.id, 100 + i);
		assert_int_equal(r.offset, 0);
		assert_int_equal(r.status, MIN(PAGE, len - pos));
		assert_int_equal(!!(r.flags & NETRXF_more_data), i < 17);
		assert_memory_equal(data_page(f, i), fr + pos, (size_t)r.status);
		pos += (size_t)r.status;
	}
	assert_int_equal(pos, len);
}

/* A 64 KiB TSO frame that has to wait for buffers: it is read, then copied in. */
static void test_rx_vnet_gso_64k(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[65600];
	size_t len = build_tcp(fr, 4, 65535 - 40);
	bool notify;

	vnet_mode(f, true, all_caps);
	assert_int_equal(len, 65549);
	host_send_vnet(f, &tso_64k_hdr, fr, len);
	/* Too few buffers: the frame waits, and the guest is asked to kick at 18. */
	rx_post_n(f, 0, 10);
	assert_false(run_rx(f, &notify));
	assert_int_equal(f->rx_sring->rsp_prod, 0);
	assert_int_equal(f->io.rx.req_cons, 0);
	assert_int_equal(f->rx_sring->req_event, 18);
	rx_post_n(f, 10, 8);
	run_rx(f, &notify);
	assert_true(notify);
	assert_rx_tso_64k(f, fr, len);
	assert_int_equal(f->io.rx_copied, len);
}

/* With buffers for any frame posted, it is read straight into them: only its head is copied. */
static void test_rx_direct_gso_64k(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[65600];
	size_t len = build_tcp(fr, 4, 65535 - 40);
	bool notify;

	vnet_mode(f, true, all_caps);
	rx_post_n(f, 0, 18);
	memset(data_page(f, 1), 0xcc, PAGE);
	host_send_vnet(f, &tso_64k_hdr, fr, len);
	run_rx(f, &notify);
	assert_true(notify);
	assert_rx_tso_64k(f, fr, len);
	assert_int_equal(f->io.rx_copied, XEN_NETIF_HEAD_COPY);
	/* The buffer under the GSO extra is handed back untouched. */
	assert_int_equal(data_page(f, 1)[0], 0xcc);
	assert_int_equal(data_page(f, 1)[PAGE - 1], 0xcc);
}

/* A jumbo frame without GSO, read around the GSO extra's buffer, moves into it. */
static void test_rx_direct_jumbo(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[9000];
	struct virtio_net_hdr plain = {0};
	bool notify;

	vnet_mode(f, true, all_caps);
	fill(fr, sizeof(fr), 3);
	rx_post_n(f, 0, 20);
	host_send_vnet(f, &plain, fr, sizeof(fr));
	assert_true(run_rx(f, &notify));
	assert_int_equal(f->rx_sring->rsp_prod, 3);
	assert_int_equal(f->io.rx.req_cons, 3); /* the other buffers stay posted */
	assert_int_equal(rx_rsp(f, 0).flags, NETRXF_more_data);
	assert_int_equal(rx_rsp(f, 1).flags, NETRXF_more_data);
	assert_int_equal(rx_rsp(f, 2).flags, 0);
	for (unsigned i = 0; i < 3; i++) {
		size_t chunk = MIN((size_t)PAGE, sizeof(fr) - (size_t)i * PAGE);

		assert_int_equal(rx_rsp(f, i).id, 100 + i);
		assert_int_equal(rx_rsp(f, i).status, chunk);
		assert_memory_equal(data_page(f, i), fr + (size_t)i * PAGE, chunk);
	}
	assert_int_equal(f->io.rx_copied, XEN_NETIF_HEAD_COPY + sizeof(fr) - PAGE);
}

/*
 * A partial checksum the frontend cannot take is completed here: read
 * straight into its buffers, the frame goes the copying way instead.
 */
static void test_rx_direct_csum_completed(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[3000];
	size_t len = build_tcp(fr, 4, sizeof(fr) - 54);
	struct virtio_net_hdr h = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16};
	const uint8_t *got = data_page(f, 0);
	uint32_t pseudo;
	bool notify;

	vnet_mode(f, true, (struct net_rx_caps){0});
	/* As the host sends it: the field holds the pseudo-header sum. */
	pseudo = sum16(fr + 26, 8, 0) + 6 + (uint32_t)(len - 34);
	fr[50] = (uint8_t)(fold(pseudo) >> 8);
	fr[51] = (uint8_t)fold(pseudo);
	rx_post_n(f, 0, 17);
	host_send_vnet(f, &h, fr, len);
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 1);
	assert_int_equal(rx_rsp(f, 0).status, len);
	assert_int_equal(rx_rsp(f, 0).flags, 0);
	assert_memory_equal(got + 52, fr + 52, len - 52);
	assert_int_equal(fold(sum16(got + 34, len - 34, pseudo)), 0xffff);
	assert_int_equal(f->io.rx_copied, XEN_NETIF_HEAD_COPY + 2 * len);
}

/* A bad grant among the buffers: the copying path answers it; a frame too long is dropped. */
static void test_rx_direct_bad_grant_and_oversize(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[70000];
	uint8_t a[1514];
	struct virtio_net_hdr plain = {0};
	bool notify;

	vnet_mode(f, true, all_caps);
	fill(a, sizeof(a), 4);
	fill(big, sizeof(big), 5);
	rx_post(f, BAD_REF, 1);
	rx_post_n(f, 1, 19);
	host_send_vnet(f, &plain, a, sizeof(a));
	host_send_vnet(f, &plain, a, sizeof(a));
	run_rx(f, &notify);
	/* The first buffer's grant is bad: an error for the first frame, the second copied. */
	assert_int_equal(f->rx_sring->rsp_prod, 2);
	assert_int_equal(rx_rsp(f, 0).status, NETIF_RSP_ERROR);
	assert_int_equal(rx_rsp(f, 1).status, sizeof(a));
	assert_memory_equal(data_page(f, 1), a, sizeof(a));
	/* 18 good buffers left: straight in again; 70000 bytes is more than 17 pages hold. */
	host_send_vnet(f, &plain, big, sizeof(big));
	host_send_vnet(f, &plain, a, 60);
	f->io.rx_copied = 0;
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 3);
	assert_int_equal(rx_rsp(f, 2).id, 102);
	assert_int_equal(rx_rsp(f, 2).status, 60);
	assert_memory_equal(data_page(f, 2), a, 60);
	assert_int_equal(f->io.rx_copied, 2 * 60); /* the short frame: head copy and back */
}

/* A frontend without GSO never gets it: the frame is dropped, the next one delivered. */
static void test_rx_vnet_no_gso_frontend(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[30000];
	size_t len = build_tcp(fr, 6, sizeof(fr) - 74);
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
				   .gso_size = 1440,
				   .csum_start = 54,
				   .csum_offset = 16};
	struct virtio_net_hdr plain = {0};
	uint8_t small[80];
	bool notify;

	vnet_mode(f, true, (struct net_rx_caps){.csum4 = true, .csum6 = true, .gso4 = true});
	fill(small, sizeof(small), 9);
	host_send_vnet(f, &h, fr, len);
	host_send_vnet(f, &plain, small, sizeof(small));
	rx_post_n(f, 0, 10);
	assert_true(run_rx(f, &notify));
	assert_int_equal(f->rx_sring->rsp_prod, 1);
	assert_int_equal(rx_rsp(f, 0).status, sizeof(small));
	assert_int_equal(rx_rsp(f, 0).flags, 0);
	assert_memory_equal(data_page(f, 0), small, sizeof(small));
}

/* With sg but no GSO a jumbo frame spans slots with no extra; hostile headers are dropped. */
static void test_rx_vnet_sg_and_hostile(void **state)
{
	struct fixture *f = *state;
	static uint8_t fr[9000];
	struct virtio_net_hdr plain = {0};
	struct virtio_net_hdr bad[] = {
	    {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 8990, .csum_offset = 16},
	    {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	     .csum_start = 34,
	     .csum_offset = 16,
	     .gso_size = 0},
	    {.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448}, /* GSO, no partial csum */
	    {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	     .gso_type = 0x42,
	     .csum_start = 34,
	     .csum_offset = 16,
	     .gso_size = 1448},
	};
	bool notify;

	vnet_mode(f, true, all_caps);
	build_tcp(fr, 4, sizeof(fr) - 54);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		host_send_vnet(f, &bad[i], fr, sizeof(fr));
	host_send_vnet(f, &plain, fr, sizeof(fr));
	rx_post_n(f, 0, 4);
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 3);
	assert_int_equal(rx_rsp(f, 0).flags, NETRXF_more_data);
	assert_int_equal(rx_rsp(f, 0).status, PAGE);
	assert_int_equal(rx_rsp(f, 1).flags, NETRXF_more_data);
	assert_int_equal(rx_rsp(f, 2).flags, 0);
	assert_int_equal(rx_rsp(f, 2).status, sizeof(fr) - 2 * (size_t)PAGE);
	assert_memory_equal(data_page(f, 2), fr + 2 * (size_t)PAGE, sizeof(fr) - 2 * (size_t)PAGE);
	/* A frame shorter than its virtio header is dropped too. */
	assert_int_equal(send(f->sv[1], fr, 4, 0), 4);
	host_send_vnet(f, &plain, fr, 60);
	run_rx(f, &notify);
	assert_int_equal(f->rx_sring->rsp_prod, 4);
	assert_int_equal(rx_rsp(f, 3).status, 60);
}

/* ---- The whole vif: XenBus handshake, worker thread, a real TAP ---- */

#define E2E_TX_RING_REF 20     /* queue q: tx ring on 20 + 2q, rx ring on 21 + 2q */
#define E2E_ETHERTYPE	0x88b5 /* IEEE local experimental: nothing else sends it */

/* The most queues the tests' frontend uses: rings on grant refs 20..27. */
#define E2E_MAX_QUEUES 4

/* One queue as the frontend sees it. */
struct fe_queue {
	evtchn_port_t ports[2]; /* tx, rx (equal unless split) */
	netif_tx_front_ring_t txf;
	netif_rx_front_ring_t rxf;
};

struct e2e {
	struct fixture *f;
	struct vm *vm;
	struct xen_domain *xd;
	struct xen_netback *nb;
	int pkt; /* AF_PACKET socket on the vif: the host's view */
	struct fe_queue q[E2E_MAX_QUEUES];
};

static void xs_put(struct e2e *e, const char *dir, const char *key, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	assert_int_equal(xs_write(e->xd->xs, path, val), 0);
}

static char *xs_get(struct e2e *e, const char *path)
{
	char *v = xs_read(e->xd->xs, path);

	assert_non_null(v);
	return v;
}

static void assert_xs(struct e2e *e, const char *path, const char *want)
{
	char *v = xs_get(e, path);

	assert_string_equal(v, want);
	free(v);
}

/* The handshake's first half for vif <devid>: keys on both sides, the backend waiting. */
static void assert_vif_published(struct e2e *e, unsigned devid, const char *mac)
{
	char fe[64], be[64], path[96], handle[16];

	snprintf(fe, sizeof(fe), "/local/domain/1/device/vif/%u", devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/vif/1/%u", devid);
	snprintf(handle, sizeof(handle), "%u", devid);
	snprintf(path, sizeof(path), "%s/mac", fe);
	assert_xs(e, path, mac);
	snprintf(path, sizeof(path), "%s/handle", fe);
	assert_xs(e, path, handle);
	snprintf(path, sizeof(path), "%s/mac", be);
	assert_xs(e, path, mac);
	snprintf(path, sizeof(path), "%s/feature-rx-copy", be);
	assert_xs(e, path, "1");
	snprintf(path, sizeof(path), "%s/state", be);
	assert_xs(e, path, "2");
}

static evtchn_port_t alloc_unbound(struct e2e *e)
{
	struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};

	assert_int_equal(evtchn_op(&e->xd->evtchn, EVTCHNOP_alloc_unbound, &a, 0), 0);
	return a.port;
}

/*
 * Queue qi's part of connecting: fresh rings on grant refs 20 + 2 qi and
 * 21 + 2 qi, new ports, and their keys in dir (the frontend's directory,
 * or its queue-<qi> one).
 */
static void frontend_queue(struct e2e *e, unsigned qi, const char *dir, bool split)
{
	struct fe_queue *q = &e->q[qi];
	grant_ref_t ref = E2E_TX_RING_REF + 2 * qi;
	netif_tx_sring_t *tx = (netif_tx_sring_t *)data_page(e->f, ref);
	netif_rx_sring_t *rx = (netif_rx_sring_t *)data_page(e->f, ref + 1);
	char v[16];

	SHARED_RING_INIT(tx);
	SHARED_RING_INIT(rx);
	FRONT_RING_INIT(&q->txf, tx, PAGE);
	FRONT_RING_INIT(&q->rxf, rx, PAGE);
	snprintf(v, sizeof(v), "%u", ref);
	xs_put(e, dir, "tx-ring-ref", v);
	snprintf(v, sizeof(v), "%u", ref + 1);
	xs_put(e, dir, "rx-ring-ref", v);
	q->ports[0] = alloc_unbound(e);
	q->ports[1] = split ? alloc_unbound(e) : q->ports[0];
	snprintf(v, sizeof(v), "%u", q->ports[0]);
	xs_put(e, dir, split ? "event-channel-tx" : "event-channel", v);
	if (split) {
		snprintf(v, sizeof(v), "%u", q->ports[1]);
		xs_put(e, dir, "event-channel-rx", v);
	}
}

/* The frontend's part of connecting: fresh rings, ports, keys, then state Connected. */
static void frontend_connect(struct e2e *e, const char *fe, bool split, const char *rx_copy)
{
	xs_put(e, fe, "state", "1");
	frontend_queue(e, 0, fe, split);
	xs_put(e, fe, "request-rx-copy", rx_copy);
	xs_put(e, fe, "feature-rx-notify", "1");
	xs_put(e, fe, "state", "4");
}

/* What KVM does when the guest sends on a port bound to the backend. */
static void kick(struct e2e *e, evtchn_port_t port)
{
	int fd = e->xd->evtchn.ports[port].backend_fd;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, &(uint64_t){1}, 8), 8);
}

static void wait_for(volatile RING_IDX *idx, RING_IDX want)
{
	for (int i = 0; i < 2000 && *idx < want; i++)
		usleep(1000);
	assert_int_equal(*idx, want);
}

static void make_frame(uint8_t *fr, size_t len, uint8_t marker)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};

	memset(fr, 0xff, 6); /* broadcast */
	memcpy(fr + 6, src, sizeof(src));
	fr[12] = E2E_ETHERTYPE >> 8;
	fr[13] = E2E_ETHERTYPE & 0xff;
	fill(fr + 14, len - 14, marker);
}

/* Guest → host on queue qi: the frame written to the TAP is received on the vif. */
static void e2e_tx(struct e2e *e, unsigned qi, uint8_t marker)
{
	struct fe_queue *q = &e->q[qi];
	RING_IDX i = q->txf.req_prod_pvt;
	uint8_t want[100], got[2048];
	struct pollfd p = {.fd = e->pkt, .events = POLLIN};
	ssize_t n = 0;

	make_frame(want, sizeof(want), marker);
	memcpy(data_page(e->f, 0), want, sizeof(want));
	*RING_GET_REQUEST(&q->txf, i) =
	    (netif_tx_request_t){.gref = 0, .offset = 0, .flags = 0, .id = 3, .size = sizeof(want)};
	q->txf.req_prod_pvt++;
	q->txf.sring->req_prod = q->txf.req_prod_pvt;
	kick(e, q->ports[0]);
	wait_for(&q->txf.sring->rsp_prod, i + 1);
	assert_int_equal(RING_GET_RESPONSE(&q->txf, i)->status, NETIF_RSP_OKAY);
	while (poll(&p, 1, 2000) == 1) {
		n = recv(e->pkt, got, sizeof(got), 0);
		if (n == sizeof(want) && !memcmp(got, want, sizeof(want)))
			break;
	}
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
}

/* Host → guest on a one-queue vif: a frame sent out of the vif lands in the posted buffer. */
static void e2e_rx(struct e2e *e, uint8_t marker)
{
	struct fe_queue *q = &e->q[0];
	RING_IDX i = q->rxf.req_prod_pvt;
	uint8_t fr[200];
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_ifindex = (int)if_nametoindex(xen_netback_ifname(e->nb)),
				 .sll_halen = 6};

	memset(data_page(e->f, 1), 0, PAGE);
	*RING_GET_REQUEST(&q->rxf, i) = (netif_rx_request_t){.id = 9, .gref = 1};
	q->rxf.req_prod_pvt++;
	q->rxf.sring->req_prod = q->rxf.req_prod_pvt;
	kick(e, q->ports[1]);
	make_frame(fr, sizeof(fr), marker);
	memcpy(to.sll_addr, fr, 6);
	assert_int_equal(sendto(e->pkt, fr, sizeof(fr), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(fr));
	wait_for(&q->rxf.sring->rsp_prod, i + 1);
	assert_int_equal(RING_GET_RESPONSE(&q->rxf, i)->id, 9);
	assert_int_equal(RING_GET_RESPONSE(&q->rxf, i)->status, sizeof(fr));
	assert_memory_equal(data_page(e->f, 1), fr, sizeof(fr));
}

/*
 * Host -> guest TSO through the real TAP: a 20000-byte TCP frame sent with
 * a virtio header on a packet socket leaves the vif unsegmented (the TAP's
 * TSO4 is on) and reaches the guest as 5 data slots and a GSO extra.
 */
static void e2e_rx_gso(struct e2e *e)
{
	static uint8_t fr[20000];
	RING_IDX first = e->q[0].rxf.req_prod_pvt;
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				   .hdr_len = 54,
				   .gso_size = 1448,
				   .csum_start = 34,
				   .csum_offset = 16};
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(0x0800),
				 .sll_ifindex = (int)if_nametoindex(xen_netback_ifname(e->nb)),
				 .sll_halen = 6};
	struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)},
			       {.iov_base = fr, .iov_len = sizeof(fr)}};
	struct msghdr msg = {
	    .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov, .msg_iovlen = 2};
	netif_extra_info_t ex;
	int sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(sock >= 0);
	assert_int_equal(setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &(int){1}, sizeof(int)), 0);
	build_tcp(fr, 4, sizeof(fr) - 54);
	for (unsigned i = 0; i < 6; i++) {
		*RING_GET_REQUEST(&e->q[0].rxf, first + i) =
		    (netif_rx_request_t){.id = (uint16_t)i, .gref = 2 + i};
		e->q[0].rxf.req_prod_pvt++;
	}
	e->q[0].rxf.sring->req_prod = e->q[0].rxf.req_prod_pvt;
	kick(e, e->q[0].ports[1]);
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)(sizeof(h) + sizeof(fr)));
	close(sock);
	wait_for(&e->q[0].rxf.sring->rsp_prod, first + 6);
	assert_int_equal(RING_GET_RESPONSE(&e->q[0].rxf, first)->flags,
			 NETRXF_csum_blank | NETRXF_data_validated | NETRXF_more_data |
			     NETRXF_extra_info);
	memcpy(&ex, RING_GET_RESPONSE(&e->q[0].rxf, first + 1), sizeof(ex));
	assert_int_equal(ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
	assert_int_equal(ex.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(ex.u.gso.size, 1448);
	assert_int_equal(RING_GET_RESPONSE(&e->q[0].rxf, first + 5)->status,
			 sizeof(fr) - 4 * (size_t)PAGE);
	assert_memory_equal(data_page(e->f, 2 + 5) + 100, fr + 4 * (size_t)PAGE + 100, 200);
}

static void write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
		close(fd);
	}
}

/* A network namespace of our own (needs root): the TAP never touches the host's. */
static bool private_netns(void)
{
	if (access("/dev/net/tun", R_OK | W_OK) || unshare(CLONE_NEWNET))
		return false;
	/* No IPv6 autoconfiguration chatter on the vif. */
	write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	return true;
}

/* A domain with a XenStore and grants but no KVM. */
static void e2e_domain(struct e2e *e, struct fixture *f)
{
	memset(e, 0, sizeof(*e));
	e->f = f;
	e->vm = calloc(1, sizeof(*e->vm));
	e->xd = calloc(1, sizeof(*e->xd));
	assert_non_null(e->vm);
	assert_non_null(e->xd);
	e->vm->vm_fd = -1; /* no KVM: notifications to the guest fail harmlessly */
	e->xd->vm = e->vm;
	e->xd->domid = 1;
	evtchn_init(&e->xd->evtchn, e->vm, 1);
	gnttab_init(&e->xd->gnttab, &f->mem);
	assert_int_equal(gnttab_set_frame(&e->xd->gnttab, 0, TABLE_GFN), 0);
	grant_pages(&f->mem);
	e->xd->xs = xs_store_new(NULL);
	assert_non_null(e->xd->xs);
}

/* A vif with its own TAP for a domain of nr_vcpus vCPUs (its queues offered follow them). */
static void e2e_open(struct e2e *e, struct fixture *f, unsigned nr_vcpus)
{
	static const struct xen_nic_spec spec = {
	    .mac = {0x00, 0x16, 0x3e, 0x01, 0x02, 0x03}, .devid = 0, .fd = -1};
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(E2E_ETHERTYPE)};

	e2e_domain(e, f);
	e->xd->nr_vcpus = nr_vcpus;
	e->nb = xen_netback_create(e->xd, &spec);
	assert_non_null(e->nb);
	assert_string_equal(xen_netback_ifname(e->nb), "vif1.0");
	e->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(E2E_ETHERTYPE));
	assert_true(e->pkt >= 0);
	ll.sll_ifindex = (int)if_nametoindex("vif1.0");
	assert_int_equal(bind(e->pkt, (struct sockaddr *)&ll, sizeof(ll)), 0);
}

static void e2e_close(struct e2e *e)
{
	xen_netback_destroy(e->nb);
	close(e->pkt);
	xs_store_free(e->xd->xs);
	gnttab_destroy(&e->xd->gnttab);
	evtchn_destroy(&e->xd->evtchn);
	free(e->xd);
	free(e->vm);
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void assert_no_xs(struct e2e *e, const char *path)
{
	char *v = xs_read(e->xd->xs, path);

	assert_null(v);
}

#define BE "/local/domain/0/backend/vif/1/0"

/* Frontend keys for nq queues under queue-<n>/ (queue 0 splits its event channels), num as given.
 */
static void frontend_mq_keys(struct e2e *e, const char *fe, unsigned nq, const char *num)
{
	char dir[96];

	xs_put(e, fe, "state", "1");
	xs_put(e, fe, "multi-queue-num-queues", num);
	for (unsigned i = 0; i < nq; i++) {
		snprintf(dir, sizeof(dir), "%s/queue-%u", fe, i);
		frontend_queue(e, i, dir, i == 0);
	}
	xs_put(e, fe, "request-rx-copy", "1");
	xs_put(e, fe, "feature-rx-notify", "1");
}

/* The frontend closes (after a refusal too): Closed answered, then a new start finds it waiting. */
static void frontend_restart(struct e2e *e, const char *fe)
{
	xs_put(e, fe, "state", "6");
	assert_xs(e, BE "/state", "6");
	xs_put(e, fe, "state", "1");
	assert_xs(e, BE "/state", "2");
}

/* Whether each of the first nq queues' ports is bound to the backend. */
static void assert_ports_bound(struct e2e *e, unsigned nq, bool bound)
{
	for (unsigned i = 0; i < nq; i++)
		for (unsigned j = 0; j < 2; j++)
			assert_int_equal(e->xd->evtchn.ports[e->q[i].ports[j]].backend_fd >= 0,
					 bound);
}

#define E2E_FLOWS 32

/*
 * Host → guest on nq queues: E2E_FLOWS UDP flows sent out of the vif (frame
 * k is 100 + k bytes, from port 1000 + k).  The kernel spreads them over
 * the TAP's queues by flow: each frame reaches the guest once, on some
 * queue, and every queue gets some (all on one: about 2^-31).  Leaves
 * buffers posted: the rings are good for a new connection only.
 */
static void e2e_rx_spread(struct e2e *e, unsigned nq)
{
	uint8_t fr[100 + E2E_FLOWS];
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(0x0800),
				 .sll_ifindex = (int)if_nametoindex(xen_netback_ifname(e->nb)),
				 .sll_halen = 6};
	bool seen[E2E_FLOWS] = {false};
	RING_IDX first[E2E_MAX_QUEUES] = {0}, got[E2E_MAX_QUEUES] = {0}, total = 0;
	int sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(sock >= 0);
	for (unsigned qi = 0; qi < nq; qi++) {
		netif_rx_front_ring_t *r = &e->q[qi].rxf;

		first[qi] = r->req_prod_pvt;
		for (uint16_t k = 0; k < E2E_FLOWS; k++)
			*RING_GET_REQUEST(r, r->req_prod_pvt++) =
			    (netif_rx_request_t){.id = k, .gref = 1 + qi};
		r->sring->req_prod = r->req_prod_pvt;
		kick(e, e->q[qi].ports[1]);
	}
	for (unsigned k = 0; k < E2E_FLOWS; k++) {
		size_t len = build_udp4(fr, 58 + k);

		fr[34] = (uint8_t)((1000 + k) >> 8);
		fr[35] = (uint8_t)(1000 + k);
		assert_int_equal(sendto(sock, fr, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
	close(sock);
	for (int t = 0; t < 2000 && total < E2E_FLOWS; t++) {
		total = 0;
		for (unsigned qi = 0; qi < nq; qi++) {
			got[qi] = e->q[qi].rxf.sring->rsp_prod - first[qi];
			total += got[qi];
		}
		if (total < E2E_FLOWS)
			usleep(1000);
	}
	assert_int_equal(total, E2E_FLOWS);
	for (unsigned qi = 0; qi < nq; qi++) {
		assert_true(got[qi] > 0);
		for (RING_IDX i = 0; i < got[qi]; i++) {
			int16_t st = RING_GET_RESPONSE(&e->q[qi].rxf, first[qi] + i)->status;

			assert_in_range(st, 100, 100 + E2E_FLOWS - 1);
			assert_false(seen[st - 100]);
			seen[st - 100] = true;
		}
	}
}

/*
 * Two vCPUs, two queues: each with its own rings and event channels (split
 * on queue 0, shared on queue 1) and traffic both ways; then reconnects
 * with one queue (num-queues 1, then absent: top-level keys) and with two
 * again, whose second TAP queue is attached anew.
 */
static void test_vif_multi_queue(void **state)
{
	static const char fe[] = "/local/domain/1/device/vif/0";
	struct e2e e;

	if (!private_netns())
		skip();
	e2e_open(&e, *state, 2);
	assert_xs(&e, BE "/multi-queue-max-queues", "2");

	frontend_mq_keys(&e, fe, 2, "2");
	xs_put(&e, fe, "state", "4");
	assert_xs(&e, BE "/state", "4");
	assert_true(e.q[0].ports[0] != e.q[0].ports[1]);
	assert_int_equal(e.q[1].ports[0], e.q[1].ports[1]);
	assert_ports_bound(&e, 2, true);
	e2e_tx(&e, 1, 1); /* queue 1's kick, queue 1's response */
	e2e_tx(&e, 0, 2);
	e2e_rx_spread(&e, 2);
	frontend_restart(&e, fe);
	assert_ports_bound(&e, 2, false);

	/* One queue, said (the queue-<n>/ keys left behind are not looked at), then not said. */
	xs_put(&e, fe, "multi-queue-num-queues", "1");
	frontend_connect(&e, fe, false, "1");
	assert_xs(&e, BE "/state", "4");
	e2e_tx(&e, 0, 3);
	e2e_rx(&e, 4);
	frontend_restart(&e, fe);
	assert_int_equal(xs_rm(e.xd->xs, "/local/domain/1/device/vif/0/multi-queue-num-queues"), 0);
	frontend_connect(&e, fe, false, "1");
	assert_xs(&e, BE "/state", "4");
	e2e_tx(&e, 0, 5);
	e2e_rx(&e, 6);
	frontend_restart(&e, fe);

	frontend_mq_keys(&e, fe, 2, "2");
	xs_put(&e, fe, "state", "4");
	assert_xs(&e, BE "/state", "4");
	e2e_tx(&e, 1, 7);
	e2e_rx_spread(&e, 2);
	e2e_close(&e);
}

/* A refused connect: Closing, the reason recorded, nothing of any queue left bound. */
static void assert_refused(struct e2e *e, const char *why, unsigned nq)
{
	assert_xs(e, BE "/state", "5");
	assert_xs(e, "/local/domain/0/error" BE "/error", why);
	assert_ports_bound(e, nq, false);
}

/*
 * Guest-chosen queue counts and keys: out of range, missing or bad keys of
 * a later queue (after earlier queues were set up), all refused; then a
 * good connection still works.  Eight vCPUs: four queues offered.
 */
static void test_vif_multi_queue_refused(void **state)
{
	static const char fe[] = "/local/domain/1/device/vif/0";
	char why[64];
	struct e2e e;

	if (!private_netns())
		skip();
	e2e_open(&e, *state, 8);
	assert_xs(&e, BE "/multi-queue-max-queues", "4");

	frontend_mq_keys(&e, fe, 4, "5");
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 multi-queue-num-queues must be 1 to 4 (multi-queue-max-queues)", 4);
	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 1, "0");
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 multi-queue-num-queues must be 1 to 4 (multi-queue-max-queues)", 1);

	/* Queues 0 and 1 set up, queue 2's rx ring missing. */
	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 3, "3");
	assert_int_equal(xs_rm(e.xd->xs, "/local/domain/1/device/vif/0/queue-2/rx-ring-ref"), 0);
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 reading /local/domain/1/device/vif/0/queue-2/rx-ring-ref", 3);

	/* Queue 1's event channel missing, then not a number; queue 3 never written. */
	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 2, "2");
	assert_int_equal(xs_rm(e.xd->xs, "/local/domain/1/device/vif/0/queue-1/event-channel"), 0);
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 reading /local/domain/1/device/vif/0/queue-1/event-channel", 2);
	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 2, "2");
	xs_put(&e, "/local/domain/1/device/vif/0/queue-1", "event-channel", "x");
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 reading /local/domain/1/device/vif/0/queue-1/event-channel", 2);
	frontend_restart(&e, fe);
	xs_rm(e.xd->xs, "/local/domain/1/device/vif/0/queue-3");
	frontend_mq_keys(&e, fe, 3, "4");
	xs_put(&e, fe, "state", "4");
	assert_refused(&e, "22 reading /local/domain/1/device/vif/0/queue-3/tx-ring-ref", 3);

	/* Queue 1 names queue 0's port: binding it twice is refused, queue 0's let go. */
	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 2, "2");
	snprintf(why, sizeof(why), "%u", e.q[0].ports[0]);
	xs_put(&e, "/local/domain/1/device/vif/0/queue-1", "event-channel", why);
	e.q[1].ports[0] = e.q[1].ports[1] = e.q[0].ports[0];
	xs_put(&e, fe, "state", "4");
	snprintf(why, sizeof(why), "22 queue 1: binding event channel %u", e.q[0].ports[0]);
	assert_refused(&e, why, 2);

	frontend_restart(&e, fe);
	frontend_mq_keys(&e, fe, 4, "4");
	xs_put(&e, fe, "state", "4");
	assert_xs(&e, BE "/state", "4");
	assert_ports_bound(&e, 4, true);
	e2e_tx(&e, 3, 8);
	e2e_rx_spread(&e, 4);
	e2e_close(&e);
}

static void test_vif_end_to_end(void **state)
{
	static const char fe[] = "/local/domain/1/device/vif/0";
	struct e2e e;

	if (!private_netns())
		skip(); /* not root, or no /dev/net/tun */
	e2e_open(&e, *state, 0);

	assert_vif_published(&e, 0, "00:16:3e:01:02:03");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/feature-sg", "1");
	/* A TAP of our own has virtio headers: GSO is offered. */
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/feature-gso-tcpv4", "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/feature-gso-tcpv6", "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/feature-ipv6-csum-offload", "1");
	/* One vCPU, one queue: nothing said, the single-queue layout as before multi-queue. */
	assert_no_xs(&e, "/local/domain/0/backend/vif/1/0/multi-queue-max-queues");

	/* Connect with one event channel; traffic both ways. */
	frontend_connect(&e, fe, false, "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "4");
	e2e_tx(&e, 0, 1);
	e2e_rx(&e, 2);

	/* Close: ports released, Closed answered; a new frontend finds it waiting. */
	xs_put(&e, fe, "state", "6");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "6");
	assert_int_equal(e.xd->evtchn.ports[e.q[0].ports[0]].backend_fd, -1);
	xs_put(&e, fe, "state", "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "2");

	/* Reconnect with split event channels, and every offload (TUNSETOFFLOAD on a real TAP). */
	xs_put(&e, fe, "feature-sg", "1");
	xs_put(&e, fe, "feature-gso-tcpv4", "1");
	xs_put(&e, fe, "feature-gso-tcpv6", "1");
	xs_put(&e, fe, "feature-ipv6-csum-offload", "1");
	frontend_connect(&e, fe, true, "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "4");
	assert_true(e.q[0].ports[0] != e.q[0].ports[1]);
	e2e_tx(&e, 0, 3);
	e2e_rx(&e, 4);
	e2e_rx_gso(&e);
	xs_put(&e, fe, "state", "6");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "6");

	/* A frontend without rx-copy is refused, with the reason recorded. */
	frontend_connect(&e, fe, false, "0");
	assert_xs(&e, "/local/domain/0/backend/vif/1/0/state", "5");
	assert_xs(&e, "/local/domain/0/error/local/domain/0/backend/vif/1/0/error",
		  "95 frontend must use request-rx-copy");

	e2e_close(&e);
}

/*
 * An adopted fd (a blocking datagram socket standing in for the TAP a
 * machine opened at build), unpublished until asked: nothing in XenStore
 * before, the usual keys after, traffic through exactly that fd, and the
 * fd closed at destroy.
 */
/* A domain whose netback adopted one end of a socket pair (the host keeps sv[1]). */
static void e2e_adopt(struct e2e *e, struct fixture *f, struct xen_nic_spec *spec, int sv[2])
{
	e2e_domain(e, f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	spec->fd = sv[0];
	e->nb = xen_netback_create(e->xd, spec);
	assert_non_null(e->nb);
}

static void test_vif_adopted_fd_unpublished(void **state)
{
	static const char fe[] = "/local/domain/1/device/vif/2";
	struct xen_nic_spec spec = {
	    .mac = {0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c}, .devid = 2, .unpublished = true};
	int sv[2];
	uint8_t fr[120];
	RING_IDX i;
	struct e2e e;

	e2e_adopt(&e, *state, &spec, sv);
	e.pkt = sv[1];
	assert_string_equal(xen_netback_ifname(e.nb), "fd");
	assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	assert_no_xs(&e, fe);
	assert_no_xs(&e, "/local/domain/0/backend/vif/1/2");

	assert_int_equal(xen_netback_publish(e.nb), 0);
	assert_int_equal(xen_netback_publish(e.nb), 0);
	assert_vif_published(&e, 2, "00:16:3e:0a:0b:0c");

	frontend_connect(&e, fe, false, "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/2/state", "4");
	e2e_tx(&e, 0, 5);
	/* Host → guest over the same fd. */
	i = e.q[0].rxf.req_prod_pvt;
	*RING_GET_REQUEST(&e.q[0].rxf, i) = (netif_rx_request_t){.id = 7, .gref = 1};
	e.q[0].rxf.req_prod_pvt++;
	e.q[0].rxf.sring->req_prod = e.q[0].rxf.req_prod_pvt;
	kick(&e, e.q[0].ports[1]);
	make_frame(fr, sizeof(fr), 6);
	assert_int_equal(send(sv[1], fr, sizeof(fr), 0), sizeof(fr));
	wait_for(&e.q[0].rxf.sring->rsp_prod, i + 1);
	assert_int_equal(RING_GET_RESPONSE(&e.q[0].rxf, i)->status, sizeof(fr));
	assert_memory_equal(data_page(e.f, 1), fr, sizeof(fr));

	/* One queue (an adopted fd): multi-queue neither offered nor taken. */
	assert_no_xs(&e, "/local/domain/0/backend/vif/1/2/multi-queue-max-queues");
	xs_put(&e, fe, "state", "6");
	assert_xs(&e, "/local/domain/0/backend/vif/1/2/state", "6");
	xs_put(&e, fe, "multi-queue-num-queues", "2");
	frontend_connect(&e, fe, false, "1");
	assert_xs(&e, "/local/domain/0/backend/vif/1/2/state", "5");
	assert_xs(&e, "/local/domain/0/error/local/domain/0/backend/vif/1/2/error",
		  "22 multi-queue-num-queues must be 1: multi-queue is not offered");

	e2e_close(&e); /* closes sv[1] as e.pkt */
	assert_false(fd_open(sv[0]));
}

/* Named adopted fds, destroy before publish, and failures that still close the fd. */
static void test_vif_adopted_fd_lifecycle(void **state)
{
	struct xen_nic_spec spec = {.devid = 3, .ifname = "guest0", .unpublished = true};
	int sv[2];
	struct e2e e;

	e2e_adopt(&e, *state, &spec, sv);
	assert_string_equal(xen_netback_ifname(e.nb), "guest0");
	xen_netback_destroy(e.nb);
	assert_false(fd_open(sv[0]));
	assert_no_xs(&e, "/local/domain/0/backend/vif/1/3");

	/* A name too long for an interface: refused, and the fd is still the netback's to close. */
	spec.fd = dup(sv[1]);
	assert_true(spec.fd >= 0);
	spec.ifname = "a-name-much-too-long-for-ifnamsiz";
	e.nb = xen_netback_create(e.xd, &spec);
	assert_null(e.nb);
	assert_false(fd_open(spec.fd));
	close(sv[1]);
	e.pkt = -1;
	e2e_close(&e);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_tx_simple),
	    T(test_tx_fragments_and_extra),
	    T(test_tx_chain_too_long),
	    T(test_tx_chain_sizes_inconsistent),
	    T(test_tx_bad_gref),
	    T(test_tx_crosses_page),
	    T(test_tx_bad_extra),
	    T(test_tx_too_many_extras),
	    T(test_tx_corrupt_req_prod),
	    T(test_tx_chain_past_req_prod),
	    T(test_tx_full_ring),
	    cmocka_unit_test(test_csum_udp4),
	    cmocka_unit_test(test_csum_tcp6),
	    cmocka_unit_test(test_csum_unparseable),
	    T(test_tx_csum_blank),
	    T(test_rx_delivery),
	    T(test_rx_no_buffers),
	    T(test_rx_buffers_but_no_frames),
	    T(test_rx_oversize_dropped),
	    T(test_rx_bad_gref),
	    T(test_rx_corrupt_req_prod),
	    T(test_tx_vnet_multislot_csum),
	    T(test_tx_vnet_udp6_and_plain),
	    T(test_tx_vnet_gso),
	    T(test_tx_vnet_headers_split),
	    T(test_tx_vnet_long_headers),
	    T(test_tx_vnet_gso_hostile),
	    T(test_tx_vnet_csum_truncated),
	    T(test_rx_vnet_gso_64k),
	    T(test_rx_direct_gso_64k),
	    T(test_rx_direct_jumbo),
	    T(test_rx_direct_csum_completed),
	    T(test_rx_direct_bad_grant_and_oversize),
	    T(test_rx_vnet_no_gso_frontend),
	    T(test_rx_vnet_sg_and_hostile),
	    T(test_vif_end_to_end),
	    T(test_vif_multi_queue),
	    T(test_vif_multi_queue_refused),
	    T(test_vif_adopted_fd_unpublished),
	    T(test_vif_adopted_fd_lifecycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
