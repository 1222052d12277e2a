/* SPDX-License-Identifier: MIT */
/*
 * Xen block backend.  The request path (blkback_queue_*) copies each
 * request out of the shared ring before looking at it (and an indirect
 * request's segment list out of its indirect pages), validates the copy,
 * maps the granted data pages, does the I/O with preadv/pwritev on the
 * image and writes a response.  Requests are served synchronously, one
 * at a time, by a worker thread per device, so a response slot is always
 * free for the request just consumed.
 */
#include "devices/xen_blkback.h"
#include "block/disk_image.h"
#include "core/sandbox.h"
#include "xen/domain.h"
#include "lib/log.h"
#include "lib/util.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenbus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xen/io/protocols.h>

#define BLK_PAGE_SIZE	 4096U
#define SECTOR_SHIFT	 9
#define SECTORS_PER_PAGE (BLK_PAGE_SIZE / BLKBACK_SECTOR_SIZE)
/* Segment descriptors an indirect page holds (512). */
#define SEGS_PER_INDIRECT_PAGE (BLK_PAGE_SIZE / sizeof(struct blkif_request_segment))

_Static_assert(sizeof(struct blkif_request_discard) <= sizeof(struct blkif_request),
	       "a discard request is read from a copied blkif_request");
_Static_assert(sizeof(struct blkif_request_indirect) <= sizeof(struct blkif_request),
	       "an indirect request is read from a copied blkif_request");
_Static_assert(BLKBACK_MAX_INDIRECT_SEGMENTS >= BLKIF_MAX_SEGMENTS_PER_REQUEST &&
		   BLKBACK_MAX_INDIRECT_SEGMENTS <=
		       SEGS_PER_INDIRECT_PAGE * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST,
	       "the indirect pages a request can name hold the advertised maximum");
_Static_assert(BLKBACK_MAX_INDIRECT_SEGMENTS <= DISK_IMAGE_MAX_IOV,
	       "the largest request is one preadv/pwritev");

/* ---- Request path ---- */

/* The data pages of one read/write request, mapped. */
struct blk_io {
	struct gnttab_mapping map[BLKBACK_MAX_INDIRECT_SEGMENTS];
	struct iovec iov[BLKBACK_MAX_INDIRECT_SEGMENTS];
	unsigned nr;
};

void blkback_queue_init(struct blkback_queue *q, blkif_sring_t *sring, struct gnttab *gt,
			struct disk_image *img, bool discard)
{
	memset(q, 0, sizeof(*q));
	/* The frontend initialised the shared indexes; we start from 0 as it did. */
	BACK_RING_INIT(&q->ring, sring, BLK_PAGE_SIZE);
	q->gt = gt;
	q->img = img;
	q->discard = discard;
}

/* Check the geometry of a (copied) segment list and count its sectors. */
static bool segments_ok(const struct blkif_request_segment *seg, unsigned nr, uint64_t *sectors)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < nr; i++) {
		if (seg[i].first_sect > seg[i].last_sect || seg[i].last_sect >= SECTORS_PER_PAGE)
			return false;
		total += (uint64_t)seg[i].last_sect - seg[i].first_sect + 1;
	}
	*sectors = total;
	return true;
}

static void unmap_segments(struct blkback_queue *q, struct blk_io *io)
{
	for (unsigned i = 0; i < io->nr; i++)
		gnttab_unmap(q->gt, &io->map[i]);
	io->nr = 0;
}

/* Map every segment: writable when the data goes into guest memory (a read). */
static int map_segments(struct blkback_queue *q, const struct blkif_request_segment *seg,
			unsigned nr, bool to_guest, struct blk_io *io)
{
	io->nr = 0;
	for (unsigned i = 0; i < nr; i++) {
		const struct blkif_request_segment *s = &seg[i];
		int ret = gnttab_map(q->gt, s->gref, to_guest, &io->map[i]);

		if (ret) {
			pr_debug("blkback: segment %u: cannot map gref %u: %s", i, s->gref,
				 strerror(-ret));
			unmap_segments(q, io);
			return ret;
		}
		io->nr = i + 1;
		io->iov[i].iov_base =
		    (uint8_t *)io->map[i].page + (size_t)s->first_sect * BLKBACK_SECTOR_SIZE;
		io->iov[i].iov_len =
		    ((size_t)s->last_sect - s->first_sect + 1) * BLKBACK_SECTOR_SIZE;
	}
	return 0;
}

/*
 * Read or write nr segments from sector on: the one path of direct and
 * indirect requests.  seg is our copy (the ring slot or the indirect
 * pages were copied before), nr at most BLKBACK_MAX_INDIRECT_SEGMENTS.
 */
static int16_t do_segments(struct blkback_queue *q, uint64_t id, uint64_t sector,
			   const struct blkif_request_segment *seg, unsigned nr, bool write)
{
	struct blk_io io;
	uint64_t sectors;
	int ret;

	if (!segments_ok(seg, nr, &sectors)) {
		pr_debug("blkback: request %" PRIu64 ": bad segments", id);
		return BLKIF_RSP_ERROR;
	}
	if (!range_ok(sector, sectors, q->img->sectors)) {
		pr_debug("blkback: request %" PRIu64 ": sectors %" PRIu64 "+%" PRIu64
			 " beyond the disk",
			 id, sector, sectors);
		return BLKIF_RSP_ERROR;
	}
	if (write && q->img->readonly)
		return BLKIF_RSP_ERROR;
	if (nr == 0)
		return BLKIF_RSP_OKAY;
	if (map_segments(q, seg, nr, !write, &io))
		return BLKIF_RSP_ERROR;
	/* The range was checked above; the image logs a host error itself. */
	ret = write ? disk_image_writev(q->img, io.iov, io.nr, sector << SECTOR_SHIFT)
		    : disk_image_readv(q->img, io.iov, io.nr, sector << SECTOR_SHIFT);
	unmap_segments(q, &io);
	return ret ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

/* min_segs is 1 for plain reads and writes, 0 for flushes that may carry data. */
static int16_t do_rw(struct blkback_queue *q, const struct blkif_request *req, bool write,
		     unsigned min_segs)
{
	if (req->nr_segments < min_segs || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		pr_debug("blkback: request %" PRIu64 ": %u segments", req->id, req->nr_segments);
		return BLKIF_RSP_ERROR;
	}
	return do_segments(q, req->id, req->sector_number, req->seg, req->nr_segments, write);
}

/*
 * Copy the segment descriptors of an indirect request (nr_segments already
 * checked) out of its indirect pages, once: the guest can rewrite them
 * while we work, so only our copy is checked and used.  We only read the
 * pages, so read-only grants do.
 */
static int copy_indirect_segments(struct blkback_queue *q, const struct blkif_request_indirect *req,
				  struct blkif_request_segment *seg)
{
	unsigned nr = req->nr_segments;

	for (unsigned p = 0, first = 0; first < nr; p++, first += SEGS_PER_INDIRECT_PAGE) {
		unsigned n =
		    nr - first < SEGS_PER_INDIRECT_PAGE ? nr - first : SEGS_PER_INDIRECT_PAGE;
		struct gnttab_mapping m;
		int ret = gnttab_map(q->gt, req->indirect_grefs[p], false, &m);

		if (ret) {
			pr_debug("blkback: request %" PRIu64 ": cannot map indirect gref %u: %s",
				 req->id, req->indirect_grefs[p], strerror(-ret));
			return ret;
		}
		memcpy(seg + first, m.page, n * sizeof(*seg));
		gnttab_unmap(q->gt, &m);
	}
	return 0;
}

/*
 * BLKIF_OP_INDIRECT: a READ or WRITE whose segment list lives in granted
 * pages, so that one request carries up to feature-max-indirect-segments.
 */
static int16_t do_indirect(struct blkback_queue *q, const struct blkif_request *slot)
{
	struct blkif_request_segment seg[BLKBACK_MAX_INDIRECT_SEGMENTS];
	struct blkif_request_indirect req;

	memcpy(&req, slot, sizeof(req));
	if (req.indirect_op != BLKIF_OP_READ && req.indirect_op != BLKIF_OP_WRITE) {
		pr_debug("blkback: request %" PRIu64 ": indirect operation %u", req.id,
			 req.indirect_op);
		return BLKIF_RSP_ERROR;
	}
	if (req.nr_segments == 0 || req.nr_segments > BLKBACK_MAX_INDIRECT_SEGMENTS) {
		pr_debug("blkback: request %" PRIu64 ": %u indirect segments", req.id,
			 req.nr_segments);
		return BLKIF_RSP_ERROR;
	}
	if (copy_indirect_segments(q, &req, seg))
		return BLKIF_RSP_ERROR;
	return do_segments(q, req.id, req.sector_number, seg, req.nr_segments,
			   req.indirect_op == BLKIF_OP_WRITE);
}

/*
 * FLUSH_DISKCACHE and WRITE_BARRIER.  Linux blkfront also sends its
 * preflush and FUA writes this way, data attached, so either op is:
 * stable storage before, the write, stable storage after.  An
 * acknowledged flush must be on stable storage, hence fdatasync.
 */
static int16_t do_flush(struct blkback_queue *q, const struct blkif_request *req)
{
	int16_t status;

	if (req->nr_segments && q->img->readonly)
		return BLKIF_RSP_ERROR;
	if (disk_image_flush(q->img))
		return BLKIF_RSP_ERROR;
	if (req->nr_segments == 0)
		return BLKIF_RSP_OKAY;
	status = do_rw(q, req, true, 0);
	if (status == BLKIF_RSP_OKAY && disk_image_flush(q->img))
		status = BLKIF_RSP_ERROR;
	return status;
}

static int16_t do_discard(struct blkback_queue *q, const struct blkif_request *req)
{
	struct blkif_request_discard d;
	int ret;

	memcpy(&d, req, sizeof(d));
	if (!q->discard)
		return BLKIF_RSP_EOPNOTSUPP;
	if (q->img->readonly || !range_ok(d.sector_number, d.nr_sectors, q->img->sectors))
		return BLKIF_RSP_ERROR;
	ret = disk_image_discard(q->img, d.sector_number << SECTOR_SHIFT,
				 d.nr_sectors << SECTOR_SHIFT);
	if (ret == -EOPNOTSUPP) {
		/* The filesystem changed its mind (or the image moved): stop offering it. */
		q->discard = false;
		return BLKIF_RSP_EOPNOTSUPP;
	}
	return ret ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

static int16_t handle_request(struct blkback_queue *q, const struct blkif_request *req)
{
	switch (req->operation) {
	case BLKIF_OP_READ:
		return do_rw(q, req, false, 1);
	case BLKIF_OP_WRITE:
		return do_rw(q, req, true, 1);
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		return do_flush(q, req);
	case BLKIF_OP_DISCARD:
		return do_discard(q, req);
	case BLKIF_OP_INDIRECT:
		return do_indirect(q, req);
	default:
		pr_debug("blkback: request %" PRIu64 ": unsupported operation %u", req->id,
			 req->operation);
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

/*
 * Answer a (copied) request: its id and operation, echoed.  An indirect
 * request is answered with the operation inside it, as Linux's backend
 * does: Linux blkfront checks the response against its request's
 * indirect_op and stops the device on a mismatch.
 */
static void put_response(struct blkback_queue *q, const struct blkif_request *req, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&q->ring, q->ring.rsp_prod_pvt);
	struct blkif_request_indirect ind;

	rsp->id = req->id;
	rsp->operation = req->operation;
	if (req->operation == BLKIF_OP_INDIRECT) {
		memcpy(&ind, req, sizeof(ind));
		rsp->id = ind.id;
		rsp->operation = ind.indirect_op;
	}
	rsp->status = status;
	q->ring.rsp_prod_pvt++;
}

bool blkback_queue_process(struct blkback_queue *q, bool *more)
{
	RING_IDX prod;
	int notify, work;

	*more = false;
	if (q->broken)
		return false;
	/* Acquire: the requests are read only after the index that publishes them. */
	prod = __atomic_load_n(&q->ring.sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(&q->ring, prod)) {
		q->broken = true;
		return false;
	}
	while (q->ring.req_cons != prod) {
		struct blkif_request req;

		/* Copy first: the guest may rewrite the slot while we work. */
		RING_COPY_REQUEST(&q->ring, q->ring.req_cons, &req);
		q->ring.req_cons++;
		put_response(q, &req, handle_request(q, &req));
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->ring, notify);
	/* Re-arm req_event, then look again, so a request racing with us is not missed. */
	RING_FINAL_CHECK_FOR_REQUESTS(&q->ring, work);
	*more = work != 0;
	return notify != 0;
}

/* ---- Device ---- */

struct xen_blkback {
	struct xen_domain *xd;
	struct xenbus_device *dev;
	char *target;
	char *vdev;
	unsigned devid;
	struct disk_image img;
	bool discard;
	/* The frontend keys xenbus_device_add gets, copied: publishing may come late. */
	char **front_keys;
	pthread_mutex_t publish_lock; /* serialises xen_blkback_publish */

	/* Connection; connect and disconnect are serialised by XenBus. */
	bool connected;
	struct gnttab_mapping ring_map;
	evtchn_port_t port;
	int kick_fd; /* the guest's sends on port */
	int stop_fd;
	pthread_t worker;
	struct blkback_queue q;
};

static void drain_eventfd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

static void ring_broken(struct xen_blkback *b)
{
	pr_err("vbd %u (%s): the frontend corrupted the request ring; no longer serving it",
	       b->devid, b->target);
	xenbus_dev_error(b->dev, -EPROTO, "corrupt request ring");
}

static void *worker_main(void *arg)
{
	struct xen_blkback *b = arg;
	struct pollfd pfd[2] = {{.fd = b->stop_fd, .events = POLLIN},
				{.fd = b->kick_fd, .events = POLLIN}};
	/* Requests queued before the port was bound raised no event: look once at the start. */
	bool more = true;

	sandbox_confine_thread(SANDBOX_IO);
	for (;;) {
		/* Once broken, only the stop request matters. */
		int n = poll(pfd, b->q.broken ? 1 : 2, more ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("vbd %u: poll: %s", b->devid, strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			break;
		if (pfd[1].revents & POLLIN)
			drain_eventfd(b->kick_fd);
		if (b->q.broken) {
			more = false;
			continue;
		}
		if (blkback_queue_process(&b->q, &more))
			evtchn_notify_guest(&b->xd->evtchn, b->port);
		if (b->q.broken)
			ring_broken(b);
	}
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void blkback_disconnect(struct xen_blkback *b)
{
	uint64_t one = 1;

	if (!b->connected)
		return;
	if (write(b->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		pr_err("vbd %u: cannot stop the worker: %s", b->devid, strerror(errno));
	pthread_join(b->worker, NULL);
	evtchn_unbind_backend(&b->xd->evtchn, b->port);
	close_fd(&b->kick_fd);
	close_fd(&b->stop_fd);
	gnttab_unmap(&b->xd->gnttab, &b->ring_map);
	b->connected = false;
	pr_debug("vbd %u: disconnected", b->devid);
}

static void vbd_disconnect(struct xenbus_device *dev)
{
	blkback_disconnect(dev->opaque);
}

/*
 * Only the 64-bit ring layout is served.  A missing key means the
 * frontend's native ABI, which for a guest that does not say could be
 * x86_32 (whose requests are laid out differently), so it is refused too
 * rather than misreading every request.
 */
static int check_protocol(struct xenbus_device *dev)
{
	char *proto = xenbus_read_frontend(dev, "protocol");
	bool ok = proto && strcmp(proto, XEN_IO_PROTO_ABI_X86_64) == 0;

	if (!ok)
		xenbus_dev_error(dev, -EPROTONOSUPPORT, "protocol %s is not supported (only %s)",
				 proto ? proto : "(none, x86_32 assumed)", XEN_IO_PROTO_ABI_X86_64);
	free(proto);
	return ok ? 0 : -EPROTONOSUPPORT;
}

/* Read ring-ref and event-channel; only a single-page ring is offered. */
static int read_ring_keys(struct xenbus_device *dev, grant_ref_t *ref, evtchn_port_t *port)
{
	uint64_t order = 0, v;

	if (xenbus_read_frontend_u64(dev, "ring-page-order", &order) == 0 && order != 0) {
		xenbus_dev_error(dev, -EINVAL, "ring-page-order %" PRIu64 " not supported", order);
		return -EINVAL;
	}
	if (xenbus_read_frontend_u64(dev, "ring-ref", &v) || v > UINT32_MAX) {
		xenbus_dev_error(dev, -EINVAL, "reading ring-ref");
		return -EINVAL;
	}
	*ref = (grant_ref_t)v;
	if (xenbus_read_frontend_u64(dev, "event-channel", &v) || v > UINT32_MAX) {
		xenbus_dev_error(dev, -EINVAL, "reading event-channel");
		return -EINVAL;
	}
	*port = (evtchn_port_t)v;
	return 0;
}

static int vbd_connect(struct xenbus_device *dev)
{
	struct xen_blkback *b = dev->opaque;
	grant_ref_t ref;
	int ret;

	if (b->connected)
		return 0;
	b->dev = dev;
	ret = check_protocol(dev);
	if (!ret)
		ret = read_ring_keys(dev, &ref, &b->port);
	if (ret)
		return ret;

	ret = gnttab_map(&b->xd->gnttab, ref, true, &b->ring_map);
	if (ret) {
		xenbus_dev_error(dev, ret, "mapping ring-ref %u", ref);
		return ret;
	}
	b->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (b->kick_fd < 0 || b->stop_fd < 0) {
		ret = -errno;
		xenbus_dev_error(dev, ret, "creating eventfds");
		goto fail;
	}
	ret = evtchn_bind_backend(&b->xd->evtchn, b->port, b->kick_fd);
	if (ret) {
		xenbus_dev_error(dev, ret, "binding event-channel %u", b->port);
		goto fail;
	}
	blkback_queue_init(&b->q, b->ring_map.page, &b->xd->gnttab, &b->img, b->discard);
	ret = -pthread_create(&b->worker, NULL, worker_main, b);
	if (ret) {
		xenbus_dev_error(dev, ret, "starting the I/O thread");
		evtchn_unbind_backend(&b->xd->evtchn, b->port);
		goto fail;
	}
	b->connected = true;
	pr_debug("vbd %u: connected (ring-ref %u, event-channel %u)", b->devid, ref, b->port);
	return 0;

fail:
	close_fd(&b->kick_fd);
	close_fd(&b->stop_fd);
	gnttab_unmap(&b->xd->gnttab, &b->ring_map);
	return ret;
}

static int vbd_init(struct xenbus_device *dev)
{
	struct xen_blkback *b = dev->opaque;
	int ret = 0;

	b->dev = dev;
	ret |= xenbus_write_backend(dev, "params", "%s", b->target);
	ret |= xenbus_write_backend(dev, "mode", "%s", b->img.readonly ? "r" : "w");
	if (b->vdev)
		ret |= xenbus_write_backend(dev, "dev", "%s", b->vdev);
	ret |= xenbus_write_backend(dev, "removable", "0");
	ret |= xenbus_write_backend(dev, "sectors", "%" PRIu64, b->img.sectors);
	ret |= xenbus_write_backend(dev, "sector-size", "%u", BLKBACK_SECTOR_SIZE);
	ret |= xenbus_write_backend(dev, "physical-sector-size", "%u", BLKBACK_SECTOR_SIZE);
	ret |= xenbus_write_backend(dev, "info", "%u", b->img.readonly ? VDISK_READONLY : 0);
	ret |= xenbus_write_backend(dev, "feature-flush-cache", "1");
	ret |= xenbus_write_backend(dev, "feature-barrier", "1");
	ret |= xenbus_write_backend(dev, "feature-max-indirect-segments", "%u",
				    BLKBACK_MAX_INDIRECT_SEGMENTS);
	if (b->discard) {
		ret |= xenbus_write_backend(dev, "feature-discard", "1");
		ret |= xenbus_write_backend(dev, "discard-granularity", "%u",
					    DISK_IMAGE_DISCARD_GRANULARITY);
		ret |= xenbus_write_backend(dev, "discard-alignment", "0");
		ret |= xenbus_write_backend(dev, "discard-secure", "0");
	}
	/* Negative errnos OR together into some negative value: enough to say it failed. */
	return ret < 0 ? -EIO : 0;
}

static const struct xenbus_backend_ops vbd_ops = {
    .type = "vbd",
    .init = vbd_init,
    .connect = vbd_connect,
    .disconnect = vbd_disconnect,
};

/* A duplicate of the other model's fd: the same open file description, hence the same lock. */
static int share_image(struct xen_blkback *b, const struct xen_disk_spec *spec)
{
	int fd;

	if (spec->share->fd < 0 || (spec->share->readonly && !spec->readonly)) {
		pr_err("vbd %u: %s is not open %s to share", b->devid, b->target,
		       spec->share->fd < 0 ? "at all" : "read-write");
		return -EINVAL;
	}
	fd = fcntl(spec->share->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		fd = -errno;
		pr_err("vbd %u: duplicating the fd of %s: %s", b->devid, b->target, strerror(-fd));
		return fd;
	}
	return disk_image_from_fd(&b->img, fd, b->target, spec->readonly);
}

static int open_image(struct xen_blkback *b, const struct xen_disk_spec *spec)
{
	int ret = spec->share ? share_image(b, spec)
			      : disk_image_open(&b->img, b->target, spec->readonly);

	if (ret) {
		pr_err("vbd %u: cannot use disk image %s", b->devid, b->target);
		return ret;
	}
	b->discard = spec->discard && b->img.can_discard;
	if (spec->discard && !spec->readonly && !b->discard)
		pr_warn("vbd %u: disk image %s cannot punch holes; discard not offered", b->devid,
			b->target);
	return 0;
}

static void free_keys(char **keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		free(keys[i]);
	free(keys);
}

static void blkback_free(struct xen_blkback *b)
{
	disk_image_close(&b->img);
	free_keys(b->front_keys);
	pthread_mutex_destroy(&b->publish_lock);
	free(b->target);
	free(b->vdev);
	free(b);
}

/* Keep the spec's frontend keys, or the defaults, for xen_blkback_publish. */
static int copy_front_keys(struct xen_blkback *b, const char *const *keys)
{
	char devkey[40];
	const char *defaults[] = {devkey, "device-type=disk", NULL};
	size_t n = 0;

	snprintf(devkey, sizeof(devkey), "virtual-device=%u", b->devid);
	if (!keys)
		keys = defaults;
	while (keys[n])
		n++;
	b->front_keys = calloc(n + 1, sizeof(*b->front_keys));
	if (!b->front_keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		b->front_keys[i] = strdup(keys[i]);
		if (!b->front_keys[i])
			return -ENOMEM;
	}
	return 0;
}

int xen_blkback_publish(struct xen_blkback *b)
{
	int ret = 0;

	pthread_mutex_lock(&b->publish_lock);
	if (b->dev)
		goto out;
	/* Also on failure: ops->init may have left a device that add then freed. */
	b->dev =
	    xenbus_device_add(b->xd, &vbd_ops, b->devid, b, (const char *const *)b->front_keys);
	if (!b->dev) {
		pr_err("vbd %u: cannot add disk %s to XenBus", b->devid, b->target);
		ret = -EIO;
		goto out;
	}
	pr_info("vbd %u: %s%s, %" PRIu64 " sectors%s", b->devid, b->target,
		b->img.readonly ? " (read-only)" : "", b->img.sectors,
		b->discard ? ", discard" : "");
out:
	pthread_mutex_unlock(&b->publish_lock);
	return ret;
}

struct xen_blkback *xen_blkback_create(struct xen_domain *xd, const struct xen_disk_spec *spec)
{
	struct xen_blkback *b = calloc(1, sizeof(*b));

	if (!b) {
		pr_err("vbd %u: out of memory", spec->devid);
		return NULL;
	}
	b->xd = xd;
	b->devid = spec->devid;
	b->img.fd = b->kick_fd = b->stop_fd = -1;
	pthread_mutex_init(&b->publish_lock, NULL);
	b->target = strdup(spec->target);
	b->vdev = spec->vdev ? strdup(spec->vdev) : NULL;
	if (!b->target || (spec->vdev && !b->vdev) || copy_front_keys(b, spec->front_keys)) {
		pr_err("vbd %u: out of memory", spec->devid);
		goto fail;
	}
	if (open_image(b, spec))
		goto fail;
	if (spec->unpublished) {
		pr_info("vbd %u: %s opened, not yet on XenBus", b->devid, b->target);
		return b;
	}
	if (xen_blkback_publish(b))
		goto fail;
	return b;

fail:
	blkback_free(b);
	return NULL;
}

void xen_blkback_destroy(struct xen_blkback *b)
{
	if (!b)
		return;
	xenbus_device_remove(b->dev);
	/* XenBus disconnected us already; make sure of it before the image goes. */
	blkback_disconnect(b);
	blkback_free(b);
}
