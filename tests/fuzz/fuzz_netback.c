/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the netback tx/rx ring path.  The guest's side is
 * the input, laid out as:
 *
 *   byte  0              bits 0-2: rounds of tx-then-rx processing - 1;
 *                        bit 3: the "TAP" carries virtio_net_hdrs; bit 4: the
 *                        frontend takes multi-slot frames (feature-sg); bit 5:
 *                        it takes blank checksums; bits 6, 7: GSO TCPv4, v6
 *   bytes [1, 257)       grant table entries 0..31 (the rest of frame 0 is zero)
 *   bytes [257, 769)     the start of the tx ring page (indexes, ~37 requests)
 *   bytes [769, 1025)    the start of the rx ring page (indexes, ~24 requests)
 *   bytes [1025, ...)    guest RAM from gfn 1 (the packets), and also the
 *                        host's frames: a little-endian u16 length, then
 *                        that many bytes (zero-padded past the input's end);
 *                        with virtio headers, a frame's first 10 bytes are one
 *
 * over 16 pages of guest RAM; a datagram socket pair stands in for the TAP.
 * Grants may point anywhere, the grant table included.  Everything is
 * rebuilt for each input.
 */
#include "core/memory.h"
#include "devices/net_offload.h"
#include "devices/xen_netback.h"
#include "lib/log.h"
#include "xen/gnttab.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE	    4096
#define RAM_PAGES   16
#define TABLE_GFN   0ULL
#define GRANT_BYTES (32 * sizeof(grant_entry_v1_t))
#define TX_OFF	    (1 + GRANT_BYTES)
#define TX_BYTES    512
#define RX_OFF	    (TX_OFF + TX_BYTES)
#define RX_BYTES    256
#define REST_OFF    (RX_OFF + RX_BYTES)
/* Host frames queued per round: more than the rx ring holds, so the budget is reached too. */
#define MAX_FRAMES 300

struct fixture {
	struct guest_memory mem;
	struct gnttab gt;
	void *tx_page, *rx_page;
	int sv[2]; /* sv[0]: the backend's "TAP"; sv[1]: the host side */
	struct xen_netif_io io;
	uint8_t *frame;
};

static void copy_in(void *dst, const uint8_t *data, size_t size, size_t off, size_t len)
{
	if (size > off)
		memcpy(dst, data + off, size - off < len ? size - off : len);
}

/* Queue the host's frames for the guest; returns where the next round's frames start. */
static size_t queue_frames(struct fixture *f, const uint8_t *data, size_t size, size_t pos)
{
	for (unsigned i = 0; i < MAX_FRAMES && pos + 2 <= size; i++) {
		size_t len = (size_t)data[pos] | (size_t)data[pos + 1] << 8, have;

		pos += 2;
		have = size - pos < len ? size - pos : len;
		memset(f->frame, 0, len);
		memcpy(f->frame, data + pos, have);
		pos += have;
		if (send(f->sv[1], f->frame, len, MSG_DONTWAIT) < 0)
			break; /* the host queue is full: the rest waits, as a TAP's would */
	}
	return pos;
}

/* A virtio header the netback wrote must describe its frame. */
static void check_vnet_hdr(const struct virtio_net_hdr *h, size_t len)
{
	if ((h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM & ~VIRTIO_NET_HDR_F_DATA_VALID) ||
	    ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	     (size_t)h->csum_start + h->csum_offset + 2 > len))
		abort();
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	if ((h->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 && h->gso_type != VIRTIO_NET_HDR_GSO_TCPV6) ||
	    !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h->gso_size || h->hdr_len > len ||
	    h->gso_size > len - h->hdr_len)
		abort();
}

/* What the guest transmitted: whole Ethernet frames, never over 64 KiB, with sound headers. */
static void drain_host(struct fixture *f)
{
	size_t hdr = f->io.off.vnet_hdr ? sizeof(struct virtio_net_hdr) : 0;
	struct virtio_net_hdr h;
	ssize_t n;

	while ((n = recv(f->sv[1], f->frame, XEN_NETIF_BUF_SIZE + hdr, MSG_DONTWAIT)) >= 0) {
		if ((size_t)n < 14 + hdr || (size_t)n > XEN_NETIF_MAX_TX_SIZE + hdr)
			abort();
		if (hdr) {
			memcpy(&h, f->frame, sizeof(h));
			check_vnet_hdr(&h, (size_t)n - hdr);
		}
	}
}

/* Byte 0's offload bits (see the top). */
static void set_offloads(struct fixture *f, uint8_t b)
{
	f->io.off = (struct xen_netif_offload){
	    .vnet_hdr = b & 0x08,
	    .rx_sg = b & 0x10,
	    .rx = {.csum4 = b & 0x20, .csum6 = b & 0x20, .gso4 = b & 0x40, .gso6 = b & 0x80},
	};
}

/* Every request consumed has its response, and all of them are pushed to the guest. */
static void check_answered(const RING_IDX *req_cons, const RING_IDX *rsp_prod_pvt,
			   const RING_IDX *rsp_prod, bool broken)
{
	if (*rsp_prod_pvt != *req_cons || (!broken && *rsp_prod != *rsp_prod_pvt))
		abort();
}

static void run(struct fixture *f, const uint8_t *data, size_t size)
{
	unsigned rounds = (size ? data[0] % 8 : 0) + 1;
	size_t pos = REST_OFF;
	bool notify;

	if (size)
		set_offloads(f, data[0]);
	copy_in(gpa_to_hva(&f->mem, TABLE_GFN * PAGE, PAGE), data, size, 1, GRANT_BYTES);
	copy_in(f->tx_page, data, size, TX_OFF, TX_BYTES);
	copy_in(f->rx_page, data, size, RX_OFF, RX_BYTES);
	copy_in(gpa_to_hva(&f->mem, PAGE, (RAM_PAGES - 1) * PAGE), data, size, REST_OFF,
		(RAM_PAGES - 1) * PAGE);
	for (unsigned i = 0; i < rounds; i++) {
		xen_netif_tx_process(&f->io, &notify);
		check_answered(&f->io.tx.req_cons, &f->io.tx.rsp_prod_pvt,
			       &f->io.tx.sring->rsp_prod, f->io.tx_broken);
		drain_host(f);
		pos = queue_frames(f, data, size, pos);
		xen_netif_rx_process(&f->io, &notify);
		check_answered(&f->io.rx.req_cons, &f->io.rx.rsp_prod_pvt,
			       &f->io.rx.sring->rsp_prod, f->io.rx_broken);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	/* Bad requests are logged at debug level; keep the fuzzer's output readable. */
	log_set_level(LOG_ERROR);
	if (!f || guest_memory_map(&f->mem, (uint64_t)RAM_PAGES * PAGE))
		abort();
	f->tx_page = aligned_alloc(PAGE, PAGE);
	f->rx_page = aligned_alloc(PAGE, PAGE);
	f->frame = malloc(XEN_NETIF_RX_BUF_SIZE + sizeof(struct virtio_net_hdr));
	if (!f->tx_page || !f->rx_page || !f->frame ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sv))
		abort();
	memset(f->tx_page, 0, PAGE);
	memset(f->rx_page, 0, PAGE);
	/* Room for a 64 KiB frame in flight. */
	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &(int){256 * 1024}, sizeof(int));
	setsockopt(f->sv[1], SOL_SOCKET, SO_SNDBUF, &(int){256 * 1024}, sizeof(int));
	gnttab_init(&f->gt, &f->mem);
	if (gnttab_set_frame(&f->gt, 0, TABLE_GFN) ||
	    xen_netif_io_init(&f->io, &f->gt, f->tx_page, f->rx_page, f->sv[0]))
		abort();
	run(f, data, size);
	xen_netif_io_destroy(&f->io);
	gnttab_destroy(&f->gt);
	close(f->sv[0]);
	close(f->sv[1]);
	free(f->frame);
	free(f->tx_page);
	free(f->rx_page);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}
