/* SPDX-License-Identifier: MIT */
/*
 * Xen netback's ring processing: one queue's shared tx/rx rings against
 * its TAP queue (xen_netif_io, see xen_netback.h).  Everything in the ring
 * pages is the guest's and may change under us: indexes are range-checked,
 * each request is copied out of the ring once and only the copy is used,
 * and a malformed request costs the guest an error response, never more.
 */
#include "devices/xen_netback.h"
#include "devices/net_offload.h"
#include "lib/log.h"
#include "lib/util.h"
#include "xen/gnttab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ring.h's barriers expand to these (xen_mb() is mb() for the default interface version). */
#ifndef mb
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#ifndef xen_mb
#define xen_mb()  mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#endif

#define NB_PAGE_SIZE 4096U
/* One ring page's worth of slots (256 for tx). */
#define NB_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, NB_PAGE_SIZE)
/* Data slots per packet: what every backend must accept, and no more. */
#define NB_MAX_TX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* Extra-info slots per packet: one of each type at most. */
#define NB_MAX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Receive data slots a frame may take: Linux netfront drops longer chains. */
#define NB_MAX_RX_SLOTS XEN_NETIF_NR_SLOTS_MIN
_Static_assert((XEN_NETIF_RX_BUF_SIZE - 1 + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE <= NB_MAX_RX_SLOTS,
	       "the largest frame read fits the slots a frontend takes");

/* One transmit packet as it sits in the ring: copies of its slots. */
struct xen_netif_tx_chain {
	unsigned nr;	  /* slots, extras included */
	unsigned nr_data; /* data slots */
	bool bad;	  /* malformed: every slot gets an error */
	bool has_gso;	  /* gso holds the packet's XEN_NETIF_EXTRA_TYPE_GSO */
	netif_extra_info_t gso;
	netif_tx_request_t slot[NB_TX_RING_SIZE];
	bool extra[NB_TX_RING_SIZE]; /* slot is a netif_extra_info */
};

int xen_netif_io_init(struct xen_netif_io *io, struct gnttab *gt, void *tx_page, void *rx_page,
		      int fd)
{
	memset(io, 0, sizeof(*io));
	io->gt = gt;
	io->fd = fd;
	io->buf = malloc(XEN_NETIF_BUF_SIZE);
	io->rx_buf = malloc(XEN_NETIF_RX_BUF_SIZE);
	io->chain = malloc(sizeof(*io->chain));
	if (!io->buf || !io->rx_buf || !io->chain) {
		xen_netif_io_destroy(io);
		return -ENOMEM;
	}
	/* The frontend initialised the shared indexes; the back ring only keeps private ones. */
	BACK_RING_INIT(&io->tx, (netif_tx_sring_t *)tx_page, NB_PAGE_SIZE);
	BACK_RING_INIT(&io->rx, (netif_rx_sring_t *)rx_page, NB_PAGE_SIZE);
	return 0;
}

void xen_netif_io_destroy(struct xen_netif_io *io)
{
	free(io->buf);
	free(io->rx_buf);
	free(io->chain);
	io->buf = NULL;
	io->rx_buf = NULL;
	io->chain = NULL;
}

/* A ring the guest corrupted: stop serving that direction, say so once. */
static void ring_broken(bool *broken, const char *dir, const char *why)
{
	if (!*broken)
		pr_warn("netback: guest %s ring: %s; no longer serving it", dir, why);
	*broken = true;
}

/*
 * Note one extra-info slot.  GSO is kept for the virtio header; multicast
 * filters and hashes (features not advertised) have nothing to act on.
 */
static int tx_note_extra(struct xen_netif_tx_chain *c, const netif_extra_info_t *ex)
{
	if (ex->type == XEN_NETIF_EXTRA_TYPE_NONE || ex->type >= XEN_NETIF_EXTRA_TYPE_MAX ||
	    c->nr > NB_MAX_EXTRAS)
		return -EINVAL;
	if (ex->type != XEN_NETIF_EXTRA_TYPE_GSO)
		return 0;
	if (c->has_gso || !ex->u.gso.size ||
	    (ex->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	     ex->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6))
		return -EINVAL;
	c->gso = *ex;
	c->has_gso = true;
	return 0;
}

/*
 * Copy the packet starting at req_cons out of the ring: the first slot,
 * its extra-info slots, then the more_data fragments.  Malformed chains
 * are still walked to their end so that all their slots can be answered.
 * Returns -ENODATA when the chain runs past req_prod (a frontend pushes
 * whole packets, so it is broken).
 */
static int tx_gather(struct xen_netif_io *io, RING_IDX avail, struct xen_netif_tx_chain *c)
{
	RING_IDX idx = io->tx.req_cons;
	netif_extra_info_t ex;
	bool more;

	c->nr = 0;
	c->nr_data = 0;
	c->bad = false;
	c->has_gso = false;

	RING_COPY_REQUEST(&io->tx, idx, &c->slot[0]);
	c->extra[0] = false;
	c->nr = c->nr_data = 1;
	more = c->slot[0].flags & NETTXF_extra_info;
	while (more) {
		if (c->nr >= avail)
			return -ENODATA;
		RING_COPY_REQUEST(&io->tx, idx + c->nr, &c->slot[c->nr]);
		c->extra[c->nr] = true;
		memcpy(&ex, &c->slot[c->nr], sizeof(ex));
		if (tx_note_extra(c, &ex))
			c->bad = true;
		c->nr++;
		more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
	}
	more = c->slot[0].flags & NETTXF_more_data;
	while (more) {
		if (c->nr >= avail)
			return -ENODATA;
		RING_COPY_REQUEST(&io->tx, idx + c->nr, &c->slot[c->nr]);
		c->extra[c->nr] = false;
		more = c->slot[c->nr].flags & NETTXF_more_data;
		c->nr++;
		if (++c->nr_data > NB_MAX_TX_SLOTS)
			c->bad = true;
	}
	return 0;
}

/*
 * Check the sizes: the first slot's size is the whole packet's, later
 * slots hold their own.  Returns the packet length, or 0 when malformed.
 */
static size_t tx_check_sizes(struct xen_netif_tx_chain *c)
{
	uint32_t total = c->slot[0].size, rest = 0;
	unsigned i;

	if (total < (uint32_t)ETH_HLEN)
		return 0;
	for (i = 1; i < c->nr; i++) {
		if (c->extra[i])
			continue;
		if (c->slot[i].offset + (uint32_t)c->slot[i].size > NB_PAGE_SIZE)
			return 0;
		rest += c->slot[i].size;
	}
	if (rest > total)
		return 0;
	/* From here on slot[0].size is the first slot's own share. */
	c->slot[0].size = (uint16_t)(total - rest);
	if (c->slot[0].offset + (uint32_t)c->slot[0].size > NB_PAGE_SIZE)
		return 0;
	return total;
}

/* Gather the packet's data into io->buf.  Returns 0 or -errno (bad grant). */
static int tx_copy_in(struct xen_netif_io *io, const struct xen_netif_tx_chain *c)
{
	size_t pos = 0;
	unsigned i;
	int r;

	for (i = 0; i < c->nr; i++) {
		const netif_tx_request_t *s = &c->slot[i];

		if (c->extra[i] || !s->size)
			continue;
		r = gnttab_copy_from_guest(io->gt, s->gref, s->offset, io->buf + pos, s->size);
		if (r)
			return r;
		pos += s->size;
	}
	return 0;
}

/*
 * The packet's offloads: a virtio header for a TAP that takes one; else a
 * blank checksum completed here (GSO is not advertised then).
 */
static int tx_offload(struct xen_netif_io *io, const struct xen_netif_tx_chain *c, size_t len,
		      struct virtio_net_hdr *h)
{
	struct net_tx_meta m = {
	    .csum_blank = c->slot[0].flags & NETTXF_csum_blank,
	    .data_validated = c->slot[0].flags & NETTXF_data_validated,
	    .gso_type = c->has_gso ? c->gso.u.gso.type : XEN_NETIF_GSO_TYPE_NONE,
	    .gso_size = c->has_gso ? c->gso.u.gso.size : 0,
	};

	if (io->off.vnet_hdr)
		return net_tx_vnet_hdr(io->buf, len, &m, h);
	if (c->has_gso)
		return -EOPNOTSUPP;
	return m.csum_blank ? net_csum_fill(io->buf, len) : 0;
}

/* One frame to the host, behind its virtio header when the TAP has them. */
static void tx_write(struct xen_netif_io *io, struct virtio_net_hdr *h, size_t len)
{
	struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof(*h)},
			       {.iov_base = io->buf, .iov_len = len}};
	int first = io->off.vnet_hdr ? 0 : 1;
	ssize_t n;

	do
		n = writev(io->fd, iov + first, 2 - first);
	while (n < 0 && errno == EINTR);
	/* A full or downed host interface drops the frame, as a wire would. */
	if (n < 0)
		pr_debug("netback: tx frame dropped: %s", strerror(errno));
}

/* Build and send one packet; the status its data slots get. */
static int16_t tx_send(struct xen_netif_io *io, struct xen_netif_tx_chain *c)
{
	struct virtio_net_hdr h;
	size_t len;
	int r;

	if (c->bad)
		return NETIF_RSP_ERROR;
	len = tx_check_sizes(c);
	if (!len)
		return NETIF_RSP_ERROR;
	r = tx_copy_in(io, c);
	if (r) {
		pr_debug("netback: tx grant %u: %s", c->slot[0].gref, strerror(-r));
		return NETIF_RSP_ERROR;
	}
	/* An offload that cannot be done (unparseable headers, bad GSO) makes the frame useless. */
	r = tx_offload(io, c, len, &h);
	if (r) {
		pr_debug("netback: tx offload of a %zu-byte frame: %s", len, strerror(-r));
		return NETIF_RSP_ERROR;
	}
	tx_write(io, &h, len);
	return NETIF_RSP_OKAY;
}

/* Respond to every slot of the chain, in ring order, and consume it. */
static void tx_respond(struct xen_netif_io *io, const struct xen_netif_tx_chain *c, int16_t status)
{
	unsigned i;

	for (i = 0; i < c->nr; i++) {
		netif_tx_response_t *rsp = RING_GET_RESPONSE(&io->tx, io->tx.rsp_prod_pvt);

		rsp->id = c->extra[i] ? 0 : c->slot[i].id;
		rsp->status = c->extra[i] ? NETIF_RSP_NULL : status;
		io->tx.rsp_prod_pvt++;
	}
	io->tx.req_cons += c->nr;
}

bool xen_netif_tx_process(struct xen_netif_io *io, bool *notify)
{
	struct xen_netif_tx_chain *c = io->chain;
	unsigned budget = RING_SIZE(&io->tx);
	bool more = false, n;

	*notify = false;
	if (io->tx_broken)
		return false;
	for (;;) {
		RING_IDX prod = __atomic_load_n(&io->tx.sring->req_prod, __ATOMIC_ACQUIRE);
		RING_IDX avail = prod - io->tx.req_cons;

		if (avail > RING_SIZE(&io->tx)) {
			ring_broken(&io->tx_broken, "tx", "req_prod out of range");
			break;
		}
		while (avail && budget) {
			if (tx_gather(io, avail, c)) {
				ring_broken(&io->tx_broken, "tx", "packet runs past req_prod");
				goto out;
			}
			tx_respond(io, c, tx_send(io, c));
			avail -= c->nr;
			budget--;
		}
		if (avail) {
			more = true; /* budget spent: let the caller serve rx, then come back */
			break;
		}
		/* Push, then re-arm req_event and look again, so no kick is lost. */
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->tx, n);
		*notify |= n;
		RING_FINAL_CHECK_FOR_REQUESTS(&io->tx, n);
		if (!n)
			break;
		if (!budget) {
			more = true;
			break;
		}
	}
out:
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->tx, n);
	*notify |= n;
	return more;
}

/* One data slot: the next page's worth of the pending frame from pos.  Returns its size. */
static size_t rx_put_data(struct xen_netif_io *io, const netif_rx_request_t *req, size_t pos,
			  uint16_t flags)
{
	size_t chunk = MIN((size_t)NB_PAGE_SIZE, io->rx_len - pos);
	netif_rx_response_t *rsp;
	int r;

	r = gnttab_copy_to_guest(io->gt, req->gref, 0, io->rx_buf + pos, chunk);
	if (r)
		pr_debug("netback: rx grant %u: %s", req->gref, strerror(-r));
	if (pos + chunk < io->rx_len)
		flags |= NETRXF_more_data;
	rsp = RING_GET_RESPONSE(&io->rx, io->rx.rsp_prod_pvt);
	rsp->id = req->id;
	rsp->offset = 0;
	/* The chain stays whole on a bad grant: netfront drops the packet at the error. */
	rsp->flags = flags;
	rsp->status = r ? NETIF_RSP_ERROR : (int16_t)chunk;
	return chunk;
}

/* The GSO extra-info slot, second in the chain: it overlays a response and has no id. */
static void rx_put_gso(struct xen_netif_io *io)
{
	netif_extra_info_t ex = {.type = XEN_NETIF_EXTRA_TYPE_GSO};

	_Static_assert(sizeof(ex) <= sizeof(netif_rx_response_t), "extra info fits an rx slot");
	ex.u.gso.size = io->rx_meta.gso_size;
	ex.u.gso.type = io->rx_meta.gso_type;
	memcpy(RING_GET_RESPONSE(&io->rx, io->rx.rsp_prod_pvt), &ex, sizeof(ex));
}

/*
 * Deliver the pending frame into io->rx_slots posted buffers: data, the
 * GSO extra when there is one, then the rest of the data.  Netfront
 * expects each response in its request's slot: we answer in order, one each.
 */
static void rx_deliver(struct xen_netif_io *io)
{
	bool gso = io->rx_meta.gso_type != XEN_NETIF_GSO_TYPE_NONE;
	uint16_t flags = io->rx_meta.flags | (gso ? NETRXF_extra_info : 0);
	netif_rx_request_t req;
	size_t pos = 0;
	unsigned i;

	for (i = 0; i < io->rx_slots; i++) {
		RING_COPY_REQUEST(&io->rx, io->rx.req_cons, &req);
		io->rx.req_cons++;
		if (gso && i == 1) {
			rx_put_gso(io);
		} else {
			pos += rx_put_data(io, &req, pos, flags);
			flags = 0;
		}
		io->rx.rsp_prod_pvt++;
	}
	io->rx_len = 0;
}

/* Read one frame into io->rx_buf.  Its length, 0 for nothing usable, -EAGAIN when drained. */
static ssize_t rx_read(struct xen_netif_io *io, struct virtio_net_hdr *h)
{
	struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof(*h)},
			       {.iov_base = io->rx_buf, .iov_len = XEN_NETIF_RX_BUF_SIZE}};
	int first = io->off.vnet_hdr ? 0 : 1;
	ssize_t n;

	memset(h, 0, sizeof(*h));
	do
		n = readv(io->fd, iov + first, 2 - first);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN)
			pr_warn_once("netback: reading frames from the host: %s", strerror(errno));
		return -EAGAIN;
	}
	if (!first && (size_t)n < sizeof(*h))
		return 0;
	if (!first)
		n -= (ssize_t)sizeof(*h);
	/* The buffer has one byte more than any frame we deliver: filling it means truncation. */
	if ((size_t)n >= XEN_NETIF_RX_BUF_SIZE)
		return 0;
	return n;
}

/* Make the frame just read pending, with its flags and slot count; false drops it. */
static bool rx_prepare(struct xen_netif_io *io, size_t len, const struct virtio_net_hdr *h)
{
	size_t data = (len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE;

	if (!len)
		return false;
	if (net_rx_meta_from_vnet(io->rx_buf, len, h, &io->off.rx, &io->rx_meta)) {
		pr_debug("netback: rx frame of %zu bytes dropped: offloads the guest cannot take",
			 len);
		return false;
	}
	if (data > 1 && !io->off.rx_sg) {
		pr_debug("netback: rx frame of %zu bytes dropped (no feature-sg)", len);
		return false;
	}
	io->rx_len = len;
	io->rx_slots = (unsigned)data + (io->rx_meta.gso_type != XEN_NETIF_GSO_TYPE_NONE);
	return true;
}

/* Read frames until one is pending.  0, or -EAGAIN when the host has none. */
static int rx_fetch(struct xen_netif_io *io, unsigned *budget)
{
	struct virtio_net_hdr h;
	ssize_t len;

	while (*budget) {
		len = rx_read(io, &h);
		if (len < 0)
			return -EAGAIN;
		(*budget)--; /* dropped frames count too: a flood must not keep us here */
		if (rx_prepare(io, (size_t)len, &h))
			return 0;
	}
	return -EAGAIN;
}

/*
 * Too few buffers for the pending frame (or none for the next): push what
 * we answered and ask to be kicked once `need` are posted, as Linux
 * netback does, then look again.  True when they are there after all.
 */
static bool rx_wait_buffers(struct xen_netif_io *io, RING_IDX need, bool *notify)
{
	bool n;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->rx, n);
	*notify |= n;
	io->rx.sring->req_event = io->rx.req_cons + need;
	xen_mb();
	return __atomic_load_n(&io->rx.sring->req_prod, __ATOMIC_ACQUIRE) - io->rx.req_cons >= need;
}

bool xen_netif_rx_process(struct xen_netif_io *io, bool *notify)
{
	unsigned budget = RING_SIZE(&io->rx);
	bool posted = false, n;

	*notify = false;
	if (io->rx_broken)
		return false;
	for (;;) {
		RING_IDX prod = __atomic_load_n(&io->rx.sring->req_prod, __ATOMIC_ACQUIRE);
		RING_IDX avail = prod - io->rx.req_cons;
		RING_IDX need = io->rx_len ? io->rx_slots : 1;

		if (avail > RING_SIZE(&io->rx)) {
			ring_broken(&io->rx_broken, "rx", "req_prod out of range");
			break;
		}
		if (avail < need) {
			if (rx_wait_buffers(io, need, notify))
				continue;
			break;
		}
		if (io->rx_len) {
			rx_deliver(io);
			continue;
		}
		/* Only read frames when the guest has somewhere to put them: the host queue bounds
		 * the rest. */
		if (rx_fetch(io, &budget)) {
			posted = true; /* buffers remain: wait for frames (or the next round) */
			break;
		}
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->rx, n);
	*notify |= n;
	return posted;
}
