/* SPDX-License-Identifier: MIT */
/*
 * Xen netback: the vif's TAP, its XenBus handshake and its queues, each
 * with its rings, event channel(s) and worker thread on its own TAP queue
 * (the rings' processing is xen_netif_ring.c).  Every frontend key is the
 * guest's: a bad or missing one refuses the connection, with the reason
 * in XenBus, and releases whatever the connect had set up.
 */
#include "xen/domain.h"
#include "xen/xenbus.h"
#include "devices/xen_netback.h"
#include "core/sandbox.h"
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
#include <unistd.h>

/* Without feature-rx-notify the guest never kicks for new rx buffers: poll this often. */
#define NB_RX_POLL_MS 10

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
