/* SPDX-License-Identifier: MIT */
/*
 * Xen netback: the vif's XenBus handshake, its worker threads (one per
 * queue, each on its own TAP queue), and the processing of the shared
 * tx/rx rings.  Everything in the ring pages is
 * the guest's and may change under us: indexes are range-checked, each
 * request is copied out of the ring once and only the copy is used, and a
 * malformed request costs the guest an error response, never more.
 */
#include "xen/domain.h"
#include "xen/xenbus.h"
#include "devices/xen_netback.h"
#include "core/sandbox.h"
#include "devices/net_offload.h"
#include "devices/tap.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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
/* Without feature-rx-notify the guest never kicks for new rx buffers: poll this often. */
#define NB_RX_POLL_MS 10

/* ------------------------------------------------------------------------ */
/* Ring processing                                                           */

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

/* ------------------------------------------------------------------------ */
/* The vif device                                                            */

/*
 * The most queues a vif offers; fewer when the VM has fewer vCPUs (Linux
 * netfront takes no more queues than it has vCPUs anyway).  Each queue
 * costs a thread, two ring pages' worth of buffers and a TAP queue.
 */
#define NB_MAX_QUEUES 4
/* Room for "queue-<n>/event-channel-tx". */
#define NB_KEY_LEN 48

/* One queue: its rings, event channel(s), TAP queue and worker thread. */
struct nb_queue {
	struct xen_netback *nb;
	unsigned id;
	struct gnttab_mapping tx_map, rx_map;
	evtchn_port_t tx_port, rx_port; /* equal when the frontend does not split */
	int tx_efd, rx_efd;		/* rx_efd is -1 when not split */
	bool tx_bound, rx_bound;
	pthread_t thread;
	bool thread_started;
	struct xen_netif_io io; /* io.fd is the queue's TAP fd */
};

struct xen_netback {
	struct xen_domain *xd;
	struct xenbus_device *dev;
	uint8_t mac[6];
	unsigned devid;
	char *bridge;
	char ifname[IFNAMSIZ];
	/*
	 * One TAP fd per queue offered: max_queues of them, 1 for an adopted
	 * fd or a TAP that cannot be multi-queue.  tap_detached[i]: detached
	 * from the interface (TUNSETQUEUE) while the frontend does not use it.
	 */
	int tap_fds[NB_MAX_QUEUES];
	bool tap_detached[NB_MAX_QUEUES];
	unsigned max_queues;
	bool vnet_hdr; /* the TAP's frames carry a virtio_net_hdr: offloads are possible */
	pthread_mutex_t publish_lock; /* serialises xen_netback_publish */

	/* Connection state: changed only by connect/disconnect, which XenBus serialises. */
	bool connected;
	unsigned nr_queues; /* the frontend's multi-queue-num-queues */
	bool rx_notify;	    /* feature-rx-notify: the guest kicks when it posts rx buffers */
	struct xen_netif_offload off; /* what the frontend takes, for every queue's io */
	int stop_efd;		      /* written once: every queue's thread stops */
	struct nb_queue q[NB_MAX_QUEUES];
};

static void drain_eventfd(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn_once("netback: eventfd: %s", strerror(errno));
}

static void notify_guest(struct xen_netback *nb, evtchn_port_t port)
{
	if (evtchn_notify_guest(&nb->xd->evtchn, port) < 0)
		pr_warn_once("netback: %s: cannot notify event channel %u", nb->ifname, port);
}

/* One queue's worker: its event channels and its TAP queue, nothing shared but stop_efd. */
static void *netback_thread(void *arg)
{
	struct nb_queue *q = arg;
	struct xen_netback *nb = q->nb;
	bool tx_more = true, rx_posted = true; /* look at whatever is already queued */
	bool notify;

	sandbox_confine_thread(SANDBOX_IO);
	for (;;) {
		struct pollfd fds[4];
		nfds_t nfds = 0;
		int timeout = -1;

		fds[nfds++] = (struct pollfd){.fd = nb->stop_efd, .events = POLLIN};
		fds[nfds++] = (struct pollfd){.fd = q->tx_efd, .events = POLLIN};
		if (q->rx_efd >= 0)
			fds[nfds++] = (struct pollfd){.fd = q->rx_efd, .events = POLLIN};
		/* Only read frames when the guest has somewhere to put them: the host queue bounds
		 * the rest. */
		if (rx_posted)
			fds[nfds++] = (struct pollfd){.fd = q->io.fd, .events = POLLIN};
		if (tx_more)
			timeout = 0;
		else if (!rx_posted && !nb->rx_notify && !q->io.rx_broken)
			timeout = NB_RX_POLL_MS;
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR) {
			pr_err("netback: %s: queue %u: poll: %s", nb->ifname, q->id,
			       strerror(errno));
			break;
		}
		if (fds[0].revents)
			break;
		drain_eventfd(q->tx_efd);
		drain_eventfd(q->rx_efd);
		tx_more = xen_netif_tx_process(&q->io, &notify);
		if (notify)
			notify_guest(nb, q->tx_port);
		rx_posted = xen_netif_rx_process(&q->io, &notify);
		if (notify)
			notify_guest(nb, q->rx_port);
	}
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Undo whatever of queue_setup was done; its thread is already stopped. */
static void queue_release(struct nb_queue *q)
{
	struct xen_netback *nb = q->nb;

	if (q->tx_bound)
		evtchn_unbind_backend(&nb->xd->evtchn, q->tx_port);
	if (q->rx_bound)
		evtchn_unbind_backend(&nb->xd->evtchn, q->rx_port);
	q->tx_bound = q->rx_bound = false;
	close_fd(&q->tx_efd);
	close_fd(&q->rx_efd);
	gnttab_unmap(&nb->xd->gnttab, &q->tx_map);
	gnttab_unmap(&nb->xd->gnttab, &q->rx_map);
	xen_netif_io_destroy(&q->io);
}

static void stop_threads(struct xen_netback *nb)
{
	bool any = false;

	for (unsigned i = 0; i < NB_MAX_QUEUES; i++)
		any |= nb->q[i].thread_started;
	if (any && write(nb->stop_efd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		pr_warn("netback: %s: stop: %s", nb->ifname, strerror(errno));
	for (unsigned i = 0; i < NB_MAX_QUEUES; i++) {
		if (nb->q[i].thread_started)
			pthread_join(nb->q[i].thread, NULL);
		nb->q[i].thread_started = false;
	}
}

/* Also what a failed connect calls: every queue is released, set up or not. */
static void netback_disconnect(struct xenbus_device *dev)
{
	struct xen_netback *nb = dev->opaque;

	stop_threads(nb);
	for (unsigned i = 0; i < NB_MAX_QUEUES; i++)
		queue_release(&nb->q[i]);
	close_fd(&nb->stop_efd);
	/* Frames queued while nobody reads must not carry offloads the next frontend refuses. */
	if (nb->vnet_hdr) {
		int r = tap_set_offload(nb->tap_fds[0], 0);

		if (r)
			pr_warn("netback: %s: clearing the TAP's offloads: %s", nb->ifname,
				strerror(-r));
	}
	if (nb->connected)
		pr_info("netback: %s disconnected", nb->ifname);
	nb->connected = false;
}

/* An optional frontend key: *out = def when absent; -EINVAL when present but not a number. */
static int read_opt_u64(struct xenbus_device *dev, const char *key, uint64_t def, uint64_t *out)
{
	char *s = xenbus_read_frontend(dev, key);

	*out = def;
	if (!s)
		return 0;
	free(s);
	if (xenbus_read_frontend_u64(dev, key, out))
		return -EINVAL;
	return 0;
}

static int read_u32(struct xenbus_device *dev, const char *key, uint32_t *out)
{
	uint64_t v;

	if (xenbus_read_frontend_u64(dev, key, &v) || v > UINT32_MAX) {
		xenbus_dev_error(dev, -EINVAL, "reading %s/%s", dev->frontend_path, key);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* An optional frontend flag (absent: def); "1" or any non-zero number is on. */
static int read_flag(struct xenbus_device *dev, const char *key, bool def, bool *on)
{
	uint64_t v;

	if (read_opt_u64(dev, key, def, &v)) {
		xenbus_dev_error(dev, -EINVAL, "reading %s", key);
		return -EINVAL;
	}
	*on = v != 0;
	return 0;
}

/*
 * What the frontend takes on receive.  GSO needs scatter-gather (a 64 KiB
 * frame spans pages) and the checksum offload of its IP version (each
 * segment's checksum is left to the frontend), as Linux ties TSO to SG
 * and checksumming; GSO is only ever received through a virtio header.
 */
static int read_rx_offloads(struct xen_netback *nb, struct xenbus_device *dev)
{
	struct xen_netif_offload *o = &nb->off;
	bool no_csum4, gso4, gso6;

	memset(o, 0, sizeof(*o));
	o->vnet_hdr = nb->vnet_hdr;
	if (read_flag(dev, "feature-sg", false, &o->rx_sg) ||
	    read_flag(dev, "feature-no-csum-offload", false, &no_csum4) ||
	    read_flag(dev, "feature-ipv6-csum-offload", false, &o->rx.csum6) ||
	    read_flag(dev, "feature-gso-tcpv4", false, &gso4) ||
	    read_flag(dev, "feature-gso-tcpv6", false, &gso6))
		return -EINVAL;
	o->rx.csum4 = !no_csum4;
	o->rx.gso4 = gso4 && o->rx_sg && o->rx.csum4 && nb->vnet_hdr;
	o->rx.gso6 = gso6 && o->rx_sg && o->rx.csum6 && nb->vnet_hdr;
	return 0;
}

/* multi-queue-num-queues: absent means 1; 0 or more than we offered is refused. */
static int read_num_queues(struct xen_netback *nb, struct xenbus_device *dev)
{
	uint64_t n;

	if (read_opt_u64(dev, "multi-queue-num-queues", 1, &n) || !n || n > nb->max_queues) {
		if (nb->max_queues == 1)
			xenbus_dev_error(dev, -EINVAL,
					 "multi-queue-num-queues must be 1: multi-queue is not "
					 "offered");
		else
			xenbus_dev_error(dev, -EINVAL,
					 "multi-queue-num-queues must be 1 to %u "
					 "(multi-queue-max-queues)",
					 nb->max_queues);
		return -EINVAL;
	}
	nb->nr_queues = (unsigned)n;
	return 0;
}

/* The frontend's features: copy mode required; the queues it uses. */
static int read_features(struct xen_netback *nb, struct xenbus_device *dev)
{
	uint64_t copy;

	if (read_opt_u64(dev, "request-rx-copy", 0, &copy) || copy != 1) {
		xenbus_dev_error(dev, -EOPNOTSUPP, "frontend must use request-rx-copy");
		return -EOPNOTSUPP;
	}
	if (read_num_queues(nb, dev))
		return -EINVAL;
	if (read_flag(dev, "feature-rx-notify", false, &nb->rx_notify))
		return -EINVAL;
	return read_rx_offloads(nb, dev);
}

/*
 * Let the host kernel hand us what the frontend takes, and only that: it
 * checksums and segments the rest before we read it.  A partial checksum
 * of the other IP version is completed in net_offload.  The offloads are
 * the interface's: queue 0, always attached, sets them for all.
 */
static int set_tap_offloads(struct xen_netback *nb, struct xenbus_device *dev)
{
	const struct net_rx_caps *c = &nb->off.rx;
	unsigned flags = 0;
	int r;

	if (!nb->vnet_hdr)
		return 0;
	if (c->csum4 || c->csum6)
		flags |= TUN_F_CSUM;
	if (c->gso4)
		flags |= TUN_F_TSO4;
	if (c->gso6)
		flags |= TUN_F_TSO6;
	r = tap_set_offload(nb->tap_fds[0], flags);
	if (r)
		xenbus_dev_error(dev, r, "setting the TAP's offloads (TUNSETOFFLOAD %#x)", flags);
	return r;
}

/*
 * Attach the TAP queues the frontend uses, detach the others.  A queue
 * left attached with no thread reading it would still get its share of
 * the host's flows, which would sit there until dropped; detached, it gets
 * none.  Queue 0 is always in use.
 */
static int set_tap_queues(struct xen_netback *nb, struct xenbus_device *dev)
{
	for (unsigned i = 1; i < nb->max_queues; i++) {
		bool detach = i >= nb->nr_queues;
		int r;

		if (detach == nb->tap_detached[i])
			continue;
		r = tap_set_queue(nb->tap_fds[i], !detach);
		if (r) {
			xenbus_dev_error(dev, r, "%s TAP queue %u",
					 detach ? "detaching" : "attaching", i);
			return r;
		}
		nb->tap_detached[i] = detach;
	}
	return 0;
}

/* A queue's frontend key: "queue-<id>/<key>" when there are several, else top-level "<key>". */
static const char *queue_key(const struct nb_queue *q, const char *key, char buf[NB_KEY_LEN])
{
	if (q->nb->nr_queues == 1)
		return key;
	snprintf(buf, NB_KEY_LEN, "queue-%u/%s", q->id, key);
	return buf;
}

static int bind_port(struct nb_queue *q, struct xenbus_device *dev, evtchn_port_t port, int *efd,
		     bool *bound)
{
	int r;

	*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*efd < 0) {
		r = -errno;
		xenbus_dev_error(dev, r, "eventfd");
		return r;
	}
	r = evtchn_bind_backend(&q->nb->xd->evtchn, port, *efd);
	if (r) {
		xenbus_dev_error(dev, r, "queue %u: binding event channel %u", q->id, port);
		return r;
	}
	*bound = true;
	return 0;
}

/* event-channel, or event-channel-tx and event-channel-rx when the frontend splits them. */
static int bind_event_channels(struct nb_queue *q, struct xenbus_device *dev)
{
	char k1[NB_KEY_LEN], k2[NB_KEY_LEN];
	char *split = xenbus_read_frontend(dev, queue_key(q, "event-channel-tx", k1));
	int r;

	if (split) {
		free(split);
		if (read_u32(dev, queue_key(q, "event-channel-tx", k1), &q->tx_port) ||
		    read_u32(dev, queue_key(q, "event-channel-rx", k2), &q->rx_port))
			return -EINVAL;
		r = bind_port(q, dev, q->tx_port, &q->tx_efd, &q->tx_bound);
		if (!r)
			r = bind_port(q, dev, q->rx_port, &q->rx_efd, &q->rx_bound);
		return r;
	}
	if (read_u32(dev, queue_key(q, "event-channel", k1), &q->tx_port))
		return -EINVAL;
	q->rx_port = q->tx_port;
	return bind_port(q, dev, q->tx_port, &q->tx_efd, &q->tx_bound);
}

static int map_rings(struct nb_queue *q, struct xenbus_device *dev)
{
	struct gnttab *gt = &q->nb->xd->gnttab;
	char k1[NB_KEY_LEN], k2[NB_KEY_LEN];
	uint32_t tx_ref, rx_ref;
	int r;

	if (read_u32(dev, queue_key(q, "tx-ring-ref", k1), &tx_ref) ||
	    read_u32(dev, queue_key(q, "rx-ring-ref", k2), &rx_ref))
		return -EINVAL;
	r = gnttab_map(gt, tx_ref, true, &q->tx_map);
	if (r) {
		xenbus_dev_error(dev, r, "queue %u: mapping tx ring grant %u", q->id, tx_ref);
		return r;
	}
	r = gnttab_map(gt, rx_ref, true, &q->rx_map);
	if (r) {
		xenbus_dev_error(dev, r, "queue %u: mapping rx ring grant %u", q->id, rx_ref);
		return r;
	}
	r = xen_netif_io_init(&q->io, gt, q->tx_map.page, q->rx_map.page, q->nb->tap_fds[q->id]);
	if (r)
		xenbus_dev_error(dev, r, "allocating buffers");
	q->io.off = q->nb->off;
	return r;
}

static int netback_connect_locked(struct xen_netback *nb, struct xenbus_device *dev)
{
	unsigned i;
	int r;

	r = read_features(nb, dev);
	for (i = 0; !r && i < nb->nr_queues; i++) {
		r = map_rings(&nb->q[i], dev);
		if (!r)
			r = bind_event_channels(&nb->q[i], dev);
	}
	if (!r)
		r = set_tap_offloads(nb, dev);
	if (!r)
		r = set_tap_queues(nb, dev);
	if (r)
		return r;
	nb->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nb->stop_efd < 0) {
		r = -errno;
		xenbus_dev_error(dev, r, "eventfd");
		return r;
	}
	for (i = 0; i < nb->nr_queues; i++) {
		r = -pthread_create(&nb->q[i].thread, NULL, netback_thread, &nb->q[i]);
		if (r) {
			xenbus_dev_error(dev, r, "starting the vif thread of queue %u", i);
			return r;
		}
		nb->q[i].thread_started = true;
	}
	return 0;
}

static int netback_connect(struct xenbus_device *dev)
{
	struct xen_netback *nb = dev->opaque;
	const struct nb_queue *q0 = &nb->q[0];
	int r;

	netback_disconnect(dev); /* a reconnect starts from scratch */
	r = netback_connect_locked(nb, dev);
	if (r) {
		netback_disconnect(dev);
		return r;
	}
	nb->connected = true;
	pr_info("netback: %s connected (%u queue%s, %s event channel%s; rx sg %d csum %d/%d gso "
		"%d/%d)",
		nb->ifname, nb->nr_queues, nb->nr_queues > 1 ? "s" : "",
		q0->rx_efd >= 0 ? "split" : "one", q0->rx_efd >= 0 ? "s" : "", nb->off.rx_sg,
		nb->off.rx.csum4, nb->off.rx.csum6, nb->off.rx.gso4, nb->off.rx.gso6);
	return 0;
}

static int netback_init(struct xenbus_device *dev)
{
	struct xen_netback *nb = dev->opaque;
	const uint8_t *m = nb->mac;
	int r = 0;

	/*
	 * Copy-only.  Multi-slot packets and blank checksums (both IP
	 * versions) are taken either way; GSO only when the TAP can carry it.
	 */
	r |= xenbus_write_backend(dev, "feature-rx-copy", "1");
	r |= xenbus_write_backend(dev, "feature-rx-flip", "0");
	r |= xenbus_write_backend(dev, "feature-sg", "1");
	r |= xenbus_write_backend(dev, "feature-gso-tcpv4", "%d", nb->vnet_hdr);
	r |= xenbus_write_backend(dev, "feature-gso-tcpv6", "%d", nb->vnet_hdr);
	r |= xenbus_write_backend(dev, "feature-ipv6-csum-offload", "1");
	r |= xenbus_write_backend(dev, "feature-split-event-channels", "1");
	/* Absent, the frontend takes one queue: the layout of a single-queue TAP stays as it was.
	 */
	if (nb->max_queues > 1)
		r |= xenbus_write_backend(dev, "multi-queue-max-queues", "%u", nb->max_queues);
	r |= xenbus_write_backend(dev, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
				  m[3], m[4], m[5]);
	r |= xenbus_write_backend(dev, "handle", "%u", nb->devid);
	/* Informational, as the toolstack's hotplug script would leave them. */
	r |= xenbus_write_backend(dev, "script", "%s", "builtin");
	if (nb->bridge)
		r |= xenbus_write_backend(dev, "bridge", "%s", nb->bridge);
	return r ? -EIO : 0;
}

static const struct xenbus_backend_ops netback_ops = {
    .type = "vif",
    .init = netback_init,
    .connect = netback_connect,
    .disconnect = netback_disconnect,
};

static int choose_ifname(const struct xen_domain *xd, const struct xen_nic_spec *spec,
			 char name[IFNAMSIZ])
{
	int n;

	if (spec->ifname)
		n = snprintf(name, IFNAMSIZ, "%s", spec->ifname);
	else if (spec->fd >= 0)
		n = snprintf(name, IFNAMSIZ, "fd");
	else
		n = snprintf(name, IFNAMSIZ, "vif%u.%u", xd->domid, spec->devid);
	if (n <= 0 || n >= IFNAMSIZ) {
		pr_err("vif %u: interface name '%s%s' is empty or longer than %d characters",
		       spec->devid, spec->ifname ? spec->ifname : "vif", spec->ifname ? "" : "...",
		       IFNAMSIZ - 1);
		return -EINVAL;
	}
	return 0;
}

/* The io path reads until EAGAIN: a blocking fd would stall the thread forever. */
static int adopt_fd(struct xen_netback *nb, int fd)
{
	int flags = fcntl(fd, F_GETFL);
	int ret;

	if (flags < 0 || (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK))) {
		ret = -errno;
		pr_err("vif %u: fd %d: %s", nb->devid, fd, strerror(-ret));
		return ret;
	}
	/* One queue: an adopted fd may be one queue of several, but the others are not ours. */
	nb->tap_fds[0] = fd;
	nb->max_queues = 1;
	nb->vnet_hdr = tap_vnet_hdr(fd) == 1;
	return 0;
}

/*
 * A TAP of our own: one queue per vCPU, up to NB_MAX_QUEUES, all opened now
 * (adding queues needs CAP_NET_ADMIN, gone once the VMM is confined).
 */
static int open_tap(struct xen_netback *nb, const struct xen_domain *xd,
		    const struct xen_nic_spec *spec)
{
	unsigned queues = MIN(MAX(xd->nr_vcpus, 1U), (unsigned)NB_MAX_QUEUES);
	char want[IFNAMSIZ];
	int n;

	if (choose_ifname(xd, spec, want))
		return -EINVAL;
	if (spec->fd >= 0) {
		memcpy(nb->ifname, want, sizeof(nb->ifname));
		return adopt_fd(nb, spec->fd);
	}
	if (spec->bridge && *spec->bridge) {
		nb->bridge = strdup(spec->bridge);
		if (!nb->bridge) {
			pr_err("vif %u: out of memory", spec->devid);
			return -ENOMEM;
		}
	}
	n = tap_open_queues(want, nb->bridge, true, queues, nb->tap_fds, nb->ifname);
	if (n < 0)
		return n;
	nb->max_queues = (unsigned)n;
	nb->vnet_hdr = true;
	return 0;
}

int xen_netback_publish(struct xen_netback *nb)
{
	char mac_kv[32], handle_kv[32];
	const char *front_keys[] = {mac_kv, handle_kv, NULL};
	const uint8_t *m = nb->mac;
	int ret = 0;

	pthread_mutex_lock(&nb->publish_lock);
	if (nb->dev)
		goto out;
	snprintf(mac_kv, sizeof(mac_kv), "mac=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	snprintf(handle_kv, sizeof(handle_kv), "handle=%u", nb->devid);
	nb->dev = xenbus_device_add(nb->xd, &netback_ops, nb->devid, nb, front_keys);
	if (!nb->dev) {
		pr_err("vif %u: cannot add the XenBus device", nb->devid);
		ret = -EIO;
		goto out;
	}
	pr_info("vif %u: %s%s%s, %u queue%s", nb->devid, nb->ifname,
		nb->bridge ? " on bridge " : "", nb->bridge ? nb->bridge : "", nb->max_queues,
		nb->max_queues > 1 ? "s" : "");
out:
	pthread_mutex_unlock(&nb->publish_lock);
	return ret;
}

static void netback_free(struct xen_netback *nb)
{
	for (unsigned i = 0; i < nb->max_queues; i++)
		tap_close(nb->tap_fds[i]);
	pthread_mutex_destroy(&nb->publish_lock);
	free(nb->bridge);
	free(nb);
}

struct xen_netback *xen_netback_create(struct xen_domain *xd, const struct xen_nic_spec *spec)
{
	struct xen_netback *nb = calloc(1, sizeof(*nb));

	if (!nb) {
		pr_err("vif %u: out of memory", spec->devid);
		tap_close(spec->fd); /* ours from the call on */
		return NULL;
	}
	nb->xd = xd;
	nb->devid = spec->devid;
	memcpy(nb->mac, spec->mac, sizeof(nb->mac));
	nb->stop_efd = -1;
	for (unsigned i = 0; i < NB_MAX_QUEUES; i++) {
		nb->tap_fds[i] = nb->q[i].tx_efd = nb->q[i].rx_efd = -1;
		nb->q[i].nb = nb;
		nb->q[i].id = i;
	}
	pthread_mutex_init(&nb->publish_lock, NULL);
	if (open_tap(nb, xd, spec)) {
		if (nb->tap_fds[0] < 0)
			tap_close(spec->fd); /* not adopted, still ours to close */
		goto fail;
	}
	if (spec->unpublished) {
		pr_info("vif %u: %s open, not yet on XenBus", nb->devid, nb->ifname);
		return nb;
	}
	if (xen_netback_publish(nb))
		goto fail;
	return nb;
fail:
	netback_free(nb);
	return NULL;
}

void xen_netback_destroy(struct xen_netback *nb)
{
	if (!nb)
		return;
	xenbus_device_remove(nb->dev); /* disconnects: the thread is gone after this */
	netback_free(nb);
}

const char *xen_netback_ifname(const struct xen_netback *nb)
{
	return nb->ifname;
}
