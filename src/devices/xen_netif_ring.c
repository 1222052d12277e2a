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
/* Data slots of the largest frame we receive. */
#define NB_RX_DATA_SLOTS ((XEN_NETIF_RX_BUF_SIZE - 1 + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE)
_Static_assert(NB_RX_DATA_SLOTS + 1 <= NB_MAX_RX_SLOTS,
	       "the largest frame read, and a GSO extra, fit the slots a frontend takes");

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

/* A transmitted packet's data, where the guest granted it. */
struct tx_mapped {
	unsigned nr;
	struct gnttab_mapping map[NB_MAX_TX_SLOTS];
	struct iovec data[NB_MAX_TX_SLOTS]; /* each data slot's bytes in its page */
};

static void tx_unmap(struct xen_netif_io *io, struct tx_mapped *t)
{
	while (t->nr)
		gnttab_unmap(io->gt, &t->map[--t->nr]);
}

/* Map a well-formed packet's data slots.  0, or the first bad grant's -errno (none left mapped). */
static int tx_map(struct xen_netif_io *io, const struct xen_netif_tx_chain *c, struct tx_mapped *t)
{
	unsigned i;
	int r;

	t->nr = 0;
	for (i = 0; i < c->nr; i++) {
		const netif_tx_request_t *s = &c->slot[i];

		if (c->extra[i] || !s->size)
			continue;
		r = gnttab_map(io->gt, s->gref, false, &t->map[t->nr]);
		if (r) {
			tx_unmap(io, t);
			return r;
		}
		t->data[t->nr].iov_base = (uint8_t *)t->map[t->nr].page + s->offset;
		t->data[t->nr].iov_len = s->size;
		t->nr++;
	}
	return 0;
}

/* Copy the packet's first n bytes into io->buf, where the guest cannot change them. */
static void tx_copy_head(struct xen_netif_io *io, const struct tx_mapped *t, size_t n)
{
	size_t pos = 0, k;
	unsigned i;

	for (i = 0; i < t->nr && pos < n; i++) {
		k = MIN(t->data[i].iov_len, n - pos);
		memcpy(io->buf + pos, t->data[i].iov_base, k);
		pos += k;
	}
	io->tx_copied += n;
}

/*
 * The packet's offloads, from its first head bytes in io->buf: a virtio
 * header for a TAP that takes one; else a blank checksum completed here
 * (head is then the whole packet; GSO is not advertised then).
 */
static int tx_offload(struct xen_netif_io *io, const struct xen_netif_tx_chain *c, size_t head,
		      size_t len, struct virtio_net_hdr *h)
{
	struct net_tx_meta m = {
	    .csum_blank = c->slot[0].flags & NETTXF_csum_blank,
	    .data_validated = c->slot[0].flags & NETTXF_data_validated,
	    .gso_type = c->has_gso ? c->gso.u.gso.type : XEN_NETIF_GSO_TYPE_NONE,
	    .gso_size = c->has_gso ? c->gso.u.gso.size : 0,
	};

	if (io->off.vnet_hdr)
		return net_tx_vnet_hdr(io->buf, head, len, &m, h);
	if (c->has_gso)
		return -EOPNOTSUPP;
	return m.csum_blank ? net_csum_fill(io->buf, len) : 0;
}

/* Copy the head and work out the offloads; the head is what they were worked out from. */
static int tx_prepare(struct xen_netif_io *io, const struct xen_netif_tx_chain *c,
		      const struct tx_mapped *t, size_t len, size_t *head, struct virtio_net_hdr *h)
{
	int r;

	*head = io->off.vnet_hdr ? MIN(len, (size_t)XEN_NETIF_HEAD_COPY) : len;
	tx_copy_head(io, t, *head);
	r = tx_offload(io, c, *head, len, h);
	if (r && *head < len) {
		/* Headers longer than the usual copy (or none that parse): look at all of it. */
		*head = len;
		tx_copy_head(io, t, len);
		r = tx_offload(io, c, len, len, h);
	}
	return r;
}

/*
 * One frame to the host: its virtio header when the TAP takes one, the
 * head from io->buf, the rest straight from the guest's pages (the host
 * kernel copies it during the write; what the guest changes meanwhile is
 * only its own payload).
 */
static void tx_write(struct xen_netif_io *io, const struct virtio_net_hdr *h,
		     const struct tx_mapped *t, size_t head)
{
	struct iovec iov[2 + NB_MAX_TX_SLOTS];
	size_t skip = head;
	unsigned i, n = 0;
	ssize_t w;

	if (io->off.vnet_hdr)
		iov[n++] = (struct iovec){.iov_base = (void *)h, .iov_len = sizeof(*h)};
	iov[n++] = (struct iovec){.iov_base = io->buf, .iov_len = head};
	for (i = 0; i < t->nr; i++) {
		if (skip >= t->data[i].iov_len) {
			skip -= t->data[i].iov_len;
			continue;
		}
		iov[n++] = (struct iovec){.iov_base = (uint8_t *)t->data[i].iov_base + skip,
					  .iov_len = t->data[i].iov_len - skip};
		skip = 0;
	}
	do
		w = writev(io->fd, iov, (int)n);
	while (w < 0 && errno == EINTR);
	/* A full or downed host interface drops the frame, as a wire would. */
	if (w < 0)
		pr_debug("netback: tx frame dropped: %s", strerror(errno));
}

/* Build and send one packet; the status its data slots get. */
static int16_t tx_send(struct xen_netif_io *io, struct xen_netif_tx_chain *c)
{
	struct virtio_net_hdr h;
	struct tx_mapped t;
	size_t len, head;
	int r;

	if (c->bad)
		return NETIF_RSP_ERROR;
	len = tx_check_sizes(c);
	if (!len)
		return NETIF_RSP_ERROR;
	r = tx_map(io, c, &t);
	if (r) {
		pr_debug("netback: tx grant: %s", strerror(-r));
		return NETIF_RSP_ERROR;
	}
	/* An offload that cannot be done (unparseable headers, bad GSO) makes the frame useless. */
	r = tx_prepare(io, c, &t, len, &head, &h);
	if (r)
		pr_debug("netback: tx offload of a %zu-byte frame: %s", len, strerror(-r));
	else
		tx_write(io, &h, &t, head);
	/* Before the responses are pushed: the guest may take its pages back then. */
	tx_unmap(io, &t);
	return r ? NETIF_RSP_ERROR : NETIF_RSP_OKAY;
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

/*
 * One data slot: the next page's worth of the pending frame from pos,
 * copied from io->rx_buf unless it was read into the buffer already.
 * Returns its size.
 */
static size_t rx_put_data(struct xen_netif_io *io, const netif_rx_request_t *req, size_t pos,
			  uint16_t flags, bool copy)
{
	size_t chunk = MIN((size_t)NB_PAGE_SIZE, io->rx_len - pos);
	netif_rx_response_t *rsp;
	int r = 0;

	if (copy) {
		r = gnttab_copy_to_guest(io->gt, req->gref, 0, io->rx_buf + pos, chunk);
		if (r)
			pr_debug("netback: rx grant %u: %s", req->gref, strerror(-r));
		io->rx_copied += chunk;
	}
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
 * Answer the pending frame's io->rx_slots posted buffers: data, the GSO
 * extra when there is one, then the rest of the data.  Netfront expects
 * each response in its request's slot: we answer in order, one each.
 * copy: the frame is in io->rx_buf; else it is in the data buffers already.
 */
static void rx_deliver(struct xen_netif_io *io, bool copy)
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
			pos += rx_put_data(io, &req, pos, flags, copy);
			flags = 0;
		}
		io->rx.rsp_prod_pvt++;
	}
	io->rx_len = 0;
}

/*
 * Read one frame into data (cnt pieces holding cap bytes, the last byte
 * of which only detects a longer frame).  Its length, 0 for nothing
 * usable, -EAGAIN when drained.
 */
static ssize_t rx_readv(struct xen_netif_io *io, struct virtio_net_hdr *h, const struct iovec *data,
			unsigned cnt, size_t cap)
{
	struct iovec iov[1 + NB_MAX_RX_SLOTS + 1];
	unsigned n = 0;
	ssize_t r;

	memset(h, 0, sizeof(*h));
	if (io->off.vnet_hdr)
		iov[n++] = (struct iovec){.iov_base = h, .iov_len = sizeof(*h)};
	memcpy(iov + n, data, cnt * sizeof(*data));
	do
		r = readv(io->fd, iov, (int)(n + cnt));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN)
			pr_warn_once("netback: reading frames from the host: %s", strerror(errno));
		return -EAGAIN;
	}
	if (n && (size_t)r < sizeof(*h))
		return 0;
	if (n)
		r -= (ssize_t)sizeof(*h);
	if ((size_t)r >= cap)
		return 0; /* truncated */
	return r;
}

/* Read one frame into io->rx_buf, which has one byte more than any frame we deliver. */
static ssize_t rx_read(struct xen_netif_io *io, struct virtio_net_hdr *h)
{
	struct iovec data = {.iov_base = io->rx_buf, .iov_len = XEN_NETIF_RX_BUF_SIZE};

	return rx_readv(io, h, &data, 1, XEN_NETIF_RX_BUF_SIZE);
}

/* Make the frame in io->rx_buf pending, with its flags and slot count; false drops it. */
static bool rx_prepare(struct xen_netif_io *io, size_t len, const struct virtio_net_hdr *h)
{
	size_t data = (len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE;

	if (!len)
		return false;
	if (net_rx_meta_from_vnet(io->rx_buf, len, len, h, &io->off.rx, &io->rx_meta)) {
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

/* ---- Receiving straight into the guest's buffers ---- */

/*
 * Posted buffers a frame is read into when it goes straight to the guest:
 * the data slots of the largest frame the frontend takes, and the GSO
 * extra's slot (second in the chain) when it takes GSO.
 */
static unsigned rx_direct_slots(const struct xen_netif_io *io)
{
	if (!io->off.rx_sg)
		return 1;
	return NB_RX_DATA_SLOTS + (io->off.rx.gso4 || io->off.rx.gso6);
}

/* The next rx_direct_slots posted buffers, mapped for writing. */
struct rx_window {
	unsigned nr;
	bool gap; /* the second buffer is kept for a GSO extra: data skips it */
	struct gnttab_mapping map[NB_MAX_RX_SLOTS];
};

static void rx_window_unmap(struct xen_netif_io *io, struct rx_window *w)
{
	while (w->nr)
		gnttab_unmap(io->gt, &w->map[--w->nr]);
}

/* 0, or the first bad grant's -errno, with none left mapped. */
static int rx_window_map(struct xen_netif_io *io, struct rx_window *w)
{
	unsigned want = rx_direct_slots(io), i;
	netif_rx_request_t req;
	int r;

	w->nr = 0;
	w->gap = want > NB_RX_DATA_SLOTS;
	for (i = 0; i < want; i++) {
		RING_COPY_REQUEST(&io->rx, io->rx.req_cons + i, &req);
		r = gnttab_map(io->gt, req.gref, true, &w->map[i]);
		if (r) {
			rx_window_unmap(io, w);
			return r;
		}
		w->nr++;
	}
	return 0;
}

/* The page data slot j of a frame read into the window lies in. */
static uint8_t *rx_window_page(const struct rx_window *w, unsigned j)
{
	return w->map[j == 0 || !w->gap ? j : j + 1].page;
}

static ssize_t rx_window_read(struct xen_netif_io *io, const struct rx_window *w,
			      struct virtio_net_hdr *h)
{
	struct iovec data[NB_MAX_RX_SLOTS];
	unsigned pages = w->nr - w->gap, j;

	for (j = 0; j < pages; j++)
		data[j] = (struct iovec){.iov_base = rx_window_page(w, j), .iov_len = NB_PAGE_SIZE};
	/* One byte more: a frame that reaches it is longer than the frontend takes. */
	data[pages] = (struct iovec){.iov_base = io->rx_buf, .iov_len = 1};
	return rx_readv(io, h, data, pages + 1, (size_t)pages * NB_PAGE_SIZE + 1);
}

/* A frame read into the window, copied to io->rx_buf for the copying path. */
static void rx_window_gather(struct xen_netif_io *io, const struct rx_window *w, size_t len)
{
	size_t pos;
	unsigned j;

	for (pos = 0, j = 0; pos < len; pos += NB_PAGE_SIZE, j++)
		memcpy(io->rx_buf + pos, rx_window_page(w, j),
		       MIN((size_t)NB_PAGE_SIZE, len - pos));
	io->rx_copied += len;
}

/*
 * A frame over several slots turned out to have no GSO extra: its data
 * after the first page moves down into the buffer kept for one (a jumbo
 * frame; GSO frames, the large ones, move nothing).  memmove: a guest may
 * post one page twice.
 */
static void rx_window_close_gap(struct xen_netif_io *io, const struct rx_window *w, size_t len)
{
	size_t pos;
	unsigned j;

	for (pos = NB_PAGE_SIZE, j = 1; pos < len; pos += NB_PAGE_SIZE, j++)
		memmove(w->map[j].page, rx_window_page(w, j), MIN((size_t)NB_PAGE_SIZE, len - pos));
	io->rx_copied += len - NB_PAGE_SIZE;
}

/*
 * Deliver a frame read into the window: its headers are checked in a
 * private copy of its head.  One whose checksum must be completed here
 * is made pending in io->rx_buf instead.  False when it is dropped.
 */
static bool rx_window_take(struct xen_netif_io *io, const struct rx_window *w, size_t len,
			   const struct virtio_net_hdr *h)
{
	size_t head = MIN(len, (size_t)XEN_NETIF_HEAD_COPY);
	bool gso;
	int r;

	if (!len || !w->nr)
		return false;
	memcpy(io->rx_buf, w->map[0].page, head);
	io->rx_copied += head;
	r = net_rx_meta_from_vnet(io->rx_buf, head, len, h, &io->off.rx, &io->rx_meta);
	if (r == -E2BIG) {
		rx_window_gather(io, w, len);
		return rx_prepare(io, len, h);
	}
	if (r) {
		pr_debug("netback: rx frame of %zu bytes dropped: offloads the guest cannot take",
			 len);
		return false;
	}
	if (head == len) { /* all of it was checked (a checksum maybe completed) in the copy */
		memcpy(w->map[0].page, io->rx_buf, len);
		io->rx_copied += len;
	}
	gso = io->rx_meta.gso_type != XEN_NETIF_GSO_TYPE_NONE;
	if (w->gap && !gso && len > NB_PAGE_SIZE)
		rx_window_close_gap(io, w, len);
	io->rx_len = len;
	io->rx_slots = (unsigned)((len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE) + gso;
	rx_deliver(io, false);
	return true;
}

/*
 * Read frames straight into the posted buffers until one is delivered (or
 * pending).  0, or -EAGAIN when the host has none.  With a bad grant
 * among the buffers the copying path takes the frame and answers it.
 */
static int rx_fetch_direct(struct xen_netif_io *io, unsigned *budget)
{
	struct virtio_net_hdr h;
	struct rx_window w;
	bool taken = false;
	ssize_t len;

	if (rx_window_map(io, &w))
		return rx_fetch(io, budget);
	while (*budget && !taken) {
		len = rx_window_read(io, &w, &h);
		if (len < 0)
			break;
		(*budget)--;
		taken = rx_window_take(io, &w, (size_t)len, &h);
	}
	/* Before the responses are pushed: the guest may take its pages back then. */
	rx_window_unmap(io, &w);
	return taken ? 0 : -EAGAIN;
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
			rx_deliver(io, true);
			continue;
		}
		/*
		 * Only read frames when the guest has somewhere to put them: the host queue
		 * bounds the rest.  With room for any frame, they go straight into its buffers.
		 */
		if (avail >= rx_direct_slots(io) ? rx_fetch_direct(io, &budget)
						 : rx_fetch(io, &budget)) {
			posted = true; /* buffers remain: wait for frames (or the next round) */
			break;
		}
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&io->rx, n);
	*notify |= n;
	return posted;
}
