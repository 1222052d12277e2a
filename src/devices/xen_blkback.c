/* SPDX-License-Identifier: MIT */
/*
 * Xen block backend.  The request path (blkback_queue_*) copies each
 * request out of the shared ring into a slot before looking at it (and an
 * indirect request's segment list out of its indirect pages), validates
 * the copy, maps the granted data pages and queues the I/O on the
 * device's engine (block/disk_aio.h); everything taken in one pass is
 * submitted together.  Each request is answered when its I/O completes,
 * in completion order, its grants released then; the responses of a pass
 * are pushed with one notification.  A slot is held from the moment its
 * request leaves the ring until it is answered, so requests in flight
 * never exceed the ring, and a response always has a free place: it goes
 * where an already copied request was.
 */
#include "devices/xen_blkback.h"
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "core/sandbox.h"
#include "xen/domain.h"
#include "lib/log.h"
#include "lib/util.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/gnttab_persistent.h"
#include "xen/xenbus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xen/io/protocols.h>

#define BLK_PAGE_SIZE 4096U
/* How soon to retry a submit the kernel refused for now (-EAGAIN, -ENOMEM). */
#define SUBMIT_RETRY_MS	 10
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
_Static_assert(BLKBACK_MAX_RING_SLOTS <= DISK_AIO_MAX_DEPTH,
	       "a ring's every request can be in flight at once");
_Static_assert(BLKBACK_MAX_INDIRECT_SEGMENTS <= DISK_IMAGE_MAX_IOV,
	       "the largest request is one preadv/pwritev");

/* ---- Request path ---- */

/* The data pages of one read/write request, mapped. */
struct blk_io {
	struct gnttab_mapping map[BLKBACK_MAX_INDIRECT_SEGMENTS];
	struct iovec iov[BLKBACK_MAX_INDIRECT_SEGMENTS];
	unsigned nr;
};

/*
 * Where a slot's request is.  A flush or barrier (FLUSH_DISKCACHE,
 * WRITE_BARRIER) goes DRAIN -> PREFLUSH [-> WRITE -> POSTFLUSH when it
 * carries data]; everything else is IO until it completes.
 */
enum blk_phase { BLK_FREE, BLK_IO, BLK_DRAIN, BLK_PREFLUSH, BLK_WRITE, BLK_POSTFLUSH };

struct blk_slot {
	struct blkif_request req; /* our copy, taken before looking at it */
	enum blk_phase phase;
	bool is_discard;
	struct blk_io io;
};

/* A status that is not one: the request's I/O was submitted, its answer comes later. */
#define BLK_PENDING 1

int blkback_queue_init(struct blkback_queue *q, void *const *pages, unsigned nr_pages,
		       struct gnttab *gt, struct disk_image *img, struct disk_aio *aio,
		       unsigned flags)
{
	int ret;

	memset(q, 0, sizeof(*q));
	if (nr_pages == 0 || nr_pages > BLKBACK_MAX_RING_PAGES || (nr_pages & (nr_pages - 1)))
		return -EINVAL;
	memcpy(q->page, pages, nr_pages * sizeof(*pages));
	q->nr_pages = nr_pages;
	/*
	 * The frontend initialised the shared indexes; we start from 0 as it
	 * did.  The indexes sit at the start of the first page.
	 */
	BACK_RING_INIT(&q->ring, (blkif_sring_t *)pages[0], (size_t)nr_pages * BLK_PAGE_SIZE);
	q->gt = gt;
	q->img = img;
	q->aio = aio;
	q->discard = flags & BLKBACK_DISCARD;
	q->barrier = -1;
	q->slots = calloc(RING_SIZE(&q->ring), sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	ret = flags & BLKBACK_PERSISTENT
		  ? gnttab_persistent_init(&q->pgrants, gt, BLKBACK_MAX_PERSISTENT_GRANTS)
		  : 0;
	if (ret) {
		free(q->slots);
		q->slots = NULL;
	}
	return ret;
}

/* Where ring entry idx starts, in bytes from the start of the first page. */
static size_t entry_offset(const struct blkback_queue *q, RING_IDX idx)
{
	return offsetof(blkif_sring_t, ring) +
	       (size_t)(idx & (RING_SIZE(&q->ring) - 1)) * sizeof(q->ring.sring->ring[0]);
}

/*
 * Copy len bytes at ring offset off out of (to_ring false) or into the
 * ring.  An entry may straddle two pages, which need not be neighbours
 * in our memory.  The ring's size bounds every entry's offset to its pages.
 */
static void ring_copy(struct blkback_queue *q, size_t off, void *buf, size_t len, bool to_ring)
{
	uint8_t *b = buf;

	while (len) {
		uint8_t *at = (uint8_t *)q->page[off / BLK_PAGE_SIZE] + off % BLK_PAGE_SIZE;
		size_t n = MIN(len, BLK_PAGE_SIZE - off % BLK_PAGE_SIZE);

		if (to_ring)
			memcpy(at, b, n);
		else
			memcpy(b, at, n);
		b += n;
		off += n;
		len -= n;
	}
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

/*
 * The page granted by ref, for a request that writes it (to_guest) or
 * only reads it.  A kept persistent grant leaves m unmapped: there is
 * nothing to release after the I/O.  Otherwise m holds a mapping for
 * this request: past the cache's cap, or for a read-only grant that the
 * request only reads (persistent grants are kept writable, as Linux's
 * backend maps them).
 */
static int map_page(struct blkback_queue *q, grant_ref_t ref, bool to_guest,
		    struct gnttab_mapping *m, void **page)
{
	int ret;

	m->page = NULL;
	if (gnttab_persistent_enabled(&q->pgrants)) {
		ret = gnttab_persistent_get(&q->pgrants, ref, page);
		if (ret != -ENOSPC && !(ret == -EPERM && !to_guest))
			return ret;
	}
	ret = gnttab_map(q->gt, ref, to_guest, m);
	*page = m->page;
	return ret;
}

/* Map every segment: writable when the data goes into guest memory (a read). */
static int map_segments(struct blkback_queue *q, const struct blkif_request_segment *seg,
			unsigned nr, bool to_guest, struct blk_io *io)
{
	io->nr = 0;
	for (unsigned i = 0; i < nr; i++) {
		const struct blkif_request_segment *s = &seg[i];
		void *page;
		int ret = map_page(q, s->gref, to_guest, &io->map[i], &page);

		if (ret) {
			pr_debug("blkback: segment %u: cannot map gref %u: %s", i, s->gref,
				 strerror(-ret));
			unmap_segments(q, io);
			return ret;
		}
		io->nr = i + 1;
		io->iov[i].iov_base = (uint8_t *)page + (size_t)s->first_sect * BLKBACK_SECTOR_SIZE;
		io->iov[i].iov_len =
		    ((size_t)s->last_sect - s->first_sect + 1) * BLKBACK_SECTOR_SIZE;
	}
	return 0;
}

static unsigned slot_no(const struct blkback_queue *q, const struct blk_slot *sl)
{
	return (unsigned)(sl - q->slots);
}

/*
 * Start reading or writing nr segments from sector on: the one path of
 * direct and indirect requests and of a flush's data.  seg is our copy
 * (the ring slot or the indirect pages were copied before), nr at most
 * BLKBACK_MAX_INDIRECT_SEGMENTS.  The grants stay mapped until the I/O
 * completes.  BLK_PENDING, or the status to answer at once.
 */
static int start_segments(struct blkback_queue *q, struct blk_slot *sl, uint64_t sector,
			  const struct blkif_request_segment *seg, unsigned nr, bool write)
{
	uint64_t sectors, off = sector << SECTOR_SHIFT;
	int ret;

	if (!segments_ok(seg, nr, &sectors)) {
		pr_debug("blkback: request %" PRIu64 ": bad segments", sl->req.id);
		return BLKIF_RSP_ERROR;
	}
	if (!range_ok(sector, sectors, q->img->sectors)) {
		pr_debug("blkback: request %" PRIu64 ": sectors %" PRIu64 "+%" PRIu64
			 " beyond the disk",
			 sl->req.id, sector, sectors);
		return BLKIF_RSP_ERROR;
	}
	if (write && q->img->readonly)
		return BLKIF_RSP_ERROR;
	if (nr == 0)
		return BLKIF_RSP_OKAY;
	if (map_segments(q, seg, nr, !write, &sl->io))
		return BLKIF_RSP_ERROR;
	ret = write ? disk_aio_writev(q->aio, sl->io.iov, sl->io.nr, off, slot_no(q, sl))
		    : disk_aio_readv(q->aio, sl->io.iov, sl->io.nr, off, slot_no(q, sl));
	if (ret) {
		pr_debug("blkback: request %" PRIu64 ": not queued: %s", sl->req.id,
			 strerror(-ret));
		unmap_segments(q, &sl->io);
		return BLKIF_RSP_ERROR;
	}
	return BLK_PENDING;
}

/* min_segs is 1 for plain reads and writes, 0 for flushes that may carry data. */
static int start_rw(struct blkback_queue *q, struct blk_slot *sl, bool write, unsigned min_segs)
{
	const struct blkif_request *req = &sl->req;

	if (req->nr_segments < min_segs || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		pr_debug("blkback: request %" PRIu64 ": %u segments", req->id, req->nr_segments);
		return BLKIF_RSP_ERROR;
	}
	return start_segments(q, sl, req->sector_number, req->seg, req->nr_segments, write);
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
		void *page;
		int ret = map_page(q, req->indirect_grefs[p], false, &m, &page);

		if (ret) {
			pr_debug("blkback: request %" PRIu64 ": cannot map indirect gref %u: %s",
				 req->id, req->indirect_grefs[p], strerror(-ret));
			return ret;
		}
		memcpy(seg + first, page, n * sizeof(*seg));
		gnttab_unmap(q->gt, &m);
	}
	return 0;
}

/*
 * BLKIF_OP_INDIRECT: a READ or WRITE whose segment list lives in granted
 * pages, so that one request carries up to feature-max-indirect-segments.
 */
static int start_indirect(struct blkback_queue *q, struct blk_slot *sl)
{
	struct blkif_request_segment seg[BLKBACK_MAX_INDIRECT_SEGMENTS];
	struct blkif_request_indirect req;

	memcpy(&req, &sl->req, sizeof(req));
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
	return start_segments(q, sl, req.sector_number, seg, req.nr_segments,
			      req.indirect_op == BLKIF_OP_WRITE);
}

/*
 * FLUSH_DISKCACHE and WRITE_BARRIER.  Linux blkfront also sends its
 * preflush and FUA writes this way, data attached, so either op is:
 * stable storage before, the write, stable storage after.  "Before"
 * means every request taken earlier has completed: the flush waits
 * (BLK_DRAIN) until it is the only one in flight, and no later request
 * is taken until it is answered.  Only what can be refused now is
 * checked here; the data's segments when its write starts.
 */
static int start_flush(struct blkback_queue *q, struct blk_slot *sl)
{
	if (sl->req.nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		pr_debug("blkback: request %" PRIu64 ": %u segments", sl->req.id,
			 sl->req.nr_segments);
		return BLKIF_RSP_ERROR;
	}
	if (sl->req.nr_segments && q->img->readonly)
		return BLKIF_RSP_ERROR;
	sl->phase = BLK_DRAIN;
	q->barrier = (int)slot_no(q, sl);
	return BLK_PENDING;
}

static int start_discard(struct blkback_queue *q, struct blk_slot *sl)
{
	struct blkif_request_discard d;

	memcpy(&d, &sl->req, sizeof(d));
	if (!q->discard)
		return BLKIF_RSP_EOPNOTSUPP;
	if (q->img->readonly || !range_ok(d.sector_number, d.nr_sectors, q->img->sectors))
		return BLKIF_RSP_ERROR;
	sl->is_discard = true;
	/* The range was checked, so the engine only refuses when something is wrong with us. */
	if (disk_aio_discard(q->aio, d.sector_number << SECTOR_SHIFT, d.nr_sectors << SECTOR_SHIFT,
			     slot_no(q, sl)))
		return BLKIF_RSP_ERROR;
	return BLK_PENDING;
}

static int start_request(struct blkback_queue *q, struct blk_slot *sl)
{
	sl->phase = BLK_IO;
	sl->is_discard = false;
	switch (sl->req.operation) {
	case BLKIF_OP_READ:
		return start_rw(q, sl, false, 1);
	case BLKIF_OP_WRITE:
		return start_rw(q, sl, true, 1);
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		return start_flush(q, sl);
	case BLKIF_OP_DISCARD:
		return start_discard(q, sl);
	case BLKIF_OP_INDIRECT:
		return start_indirect(q, sl);
	default:
		pr_debug("blkback: request %" PRIu64 ": unsupported operation %u", sl->req.id,
			 sl->req.operation);
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

/*
 * Answer a slot's request, its id and operation echoed, and free the
 * slot.  An indirect request is answered with the operation inside it, as
 * Linux's backend does: Linux blkfront checks the response against its
 * request's indirect_op and stops the device on a mismatch.  A broken
 * ring gets no answers (its indexes mean nothing any more).
 */
static void respond(struct blkback_queue *q, struct blk_slot *sl, int16_t status)
{
	const struct blkif_request *req = &sl->req;

	if (!q->broken) {
		blkif_response_t rsp;
		struct blkif_request_indirect ind;

		/* Zeroed whole: its padding goes to the guest too. */
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = req->id;
		rsp.operation = req->operation;
		rsp.status = status;
		if (req->operation == BLKIF_OP_INDIRECT) {
			memcpy(&ind, req, sizeof(ind));
			rsp.id = ind.id;
			rsp.operation = ind.indirect_op;
		}
		ring_copy(q, entry_offset(q, q->ring.rsp_prod_pvt), &rsp, sizeof(rsp), true);
		q->ring.rsp_prod_pvt++;
	}
	if (q->barrier == (int)slot_no(q, sl))
		q->barrier = -1;
	sl->phase = BLK_FREE;
	q->busy--;
}

/* The next step of a flush whose previous one succeeded: BLK_PENDING or a status. */
static int flush_step(struct blkback_queue *q, struct blk_slot *sl)
{
	switch (sl->phase) {
	case BLK_DRAIN:
		sl->phase = BLK_PREFLUSH;
		break;
	case BLK_PREFLUSH:
		if (sl->req.nr_segments == 0)
			return BLKIF_RSP_OKAY;
		sl->phase = BLK_WRITE;
		return start_rw(q, sl, true, 0);
	case BLK_WRITE:
		sl->phase = BLK_POSTFLUSH;
		break;
	default:
		return BLKIF_RSP_OKAY;
	}
	return disk_aio_flush(q->aio, slot_no(q, sl)) ? BLKIF_RSP_ERROR : BLK_PENDING;
}

/* The I/O of slot s completed with result (0 or -errno). */
static void complete(struct blkback_queue *q, unsigned s, int result)
{
	struct blk_slot *sl = &q->slots[s];
	int status = result ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;

	/* The I/O is over: only now may the guest have its pages back. */
	unmap_segments(q, &sl->io);
	if (sl->is_discard && result == -EOPNOTSUPP) {
		/* The filesystem changed its mind (or the image moved): stop offering it. */
		q->discard = false;
		status = BLKIF_RSP_EOPNOTSUPP;
	}
	if (sl->phase != BLK_IO && !result)
		status = flush_step(q, sl);
	if (status != BLK_PENDING)
		respond(q, sl, (int16_t)status);
}

/* Answer what has completed, a batch at a time.  Returns how many completions there were. */
static unsigned reap(struct blkback_queue *q)
{
	struct disk_aio_done done[BLKBACK_RING_SLOTS];
	unsigned n, total = 0;

	do {
		n = disk_aio_reap(q->aio, done, BLKBACK_RING_SLOTS);
		for (unsigned i = 0; i < n; i++) {
			/* Tags are our slot numbers; anything else would be our bug. */
			if (done[i].tag < RING_SIZE(&q->ring) &&
			    q->slots[done[i].tag].phase != BLK_FREE)
				complete(q, (unsigned)done[i].tag, done[i].result);
			else
				pr_err("blkback: completion for unknown slot %" PRIu64,
				       done[i].tag);
		}
		total += n;
	} while (n == BLKBACK_RING_SLOTS);
	return total;
}

/* A flush whose wait is over (it is all that is in flight) starts its first fdatasync. */
static void start_barrier(struct blkback_queue *q)
{
	struct blk_slot *sl;
	int status;

	if (q->barrier < 0 || q->busy != 1)
		return;
	sl = &q->slots[q->barrier];
	if (sl->phase != BLK_DRAIN)
		return;
	status = flush_step(q, sl);
	if (status != BLK_PENDING)
		respond(q, sl, (int16_t)status);
}

static struct blk_slot *free_slot(struct blkback_queue *q)
{
	for (unsigned i = 0; i < RING_SIZE(&q->ring); i++)
		if (q->slots[i].phase == BLK_FREE)
			return &q->slots[i];
	return NULL;
}

/* Requests may be taken now: a slot is free and no flush holds the ring. */
static bool can_take(const struct blkback_queue *q)
{
	return !q->broken && q->barrier < 0 && q->busy < RING_SIZE(&q->ring);
}

/*
 * Take requests off the ring while there is room, up to *budget.  The
 * producer index is the guest's: one that claims more requests than
 * the ring can hold unanswered breaks the ring.  Returns how many.
 */
static unsigned take_requests(struct blkback_queue *q, unsigned *budget)
{
	/* Acquire: the requests are read only after the index that publishes them. */
	RING_IDX prod = __atomic_load_n(&q->ring.sring->req_prod, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	if (RING_REQUEST_PROD_OVERFLOW(&q->ring, prod)) {
		q->broken = true;
		return 0;
	}
	while (q->ring.req_cons != prod && *budget && can_take(q) &&
	       !RING_REQUEST_CONS_OVERFLOW(&q->ring, q->ring.req_cons)) {
		struct blk_slot *sl = free_slot(q);
		int status;

		/* Copy first: the guest may rewrite the slot while we work. */
		ring_copy(q, entry_offset(q, q->ring.req_cons), &sl->req, sizeof(sl->req), false);
		q->ring.req_cons++;
		(*budget)--;
		n++;
		q->busy++;
		status = start_request(q, sl);
		if (status != BLK_PENDING)
			respond(q, sl, (int16_t)status);
	}
	return n;
}

bool blkback_queue_process(struct blkback_queue *q, bool *more)
{
	unsigned budget = RING_SIZE(&q->ring), reaped = 1, taken = 1;
	int notify = 0, work = 0, ret;

	/* Until nothing moves: with a fast disk, what was just submitted may be done already. */
	while (reaped || taken) {
		reaped = reap(q);
		taken = q->broken ? 0 : take_requests(q, &budget);
		start_barrier(q);
		ret = disk_aio_submit(q->aio);
		if (ret)
			pr_warn_once("blkback: submitting I/O: %s", strerror(-ret));
	}
	*more = false;
	if (q->broken)
		return false;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->ring, notify);
	/* Re-arm req_event, then look again, so a request racing with us is not missed. */
	RING_FINAL_CHECK_FOR_REQUESTS(&q->ring, work);
	*more = work && can_take(q);
	return notify != 0;
}

void blkback_queue_destroy(struct blkback_queue *q)
{
	if (!q->slots)
		return;
	/* Nothing new is taken: the frontend is going away.  What is in flight must land first. */
	while (q->busy) {
		start_barrier(q);
		(void)disk_aio_submit(q->aio);
		if (!q->busy)
			break;
		if (!disk_aio_pending(q->aio)) {
			pr_err("blkback: %u requests can no longer complete", q->busy);
			break;
		}
		disk_aio_wait(q->aio);
		reap(q);
	}
	if (!q->broken)
		RING_PUSH_RESPONSES(&q->ring);
	/* Nothing is in flight: the guest may have every kept page back. */
	gnttab_persistent_destroy(&q->pgrants);
	free(q->slots);
	q->slots = NULL;
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
	bool offer_persistent; /* feature-persistent is offered */
	/* The frontend keys xenbus_device_add gets, copied: publishing may come late. */
	char **front_keys;
	pthread_mutex_t publish_lock; /* serialises xen_blkback_publish */

	/* Connection; connect and disconnect are serialised by XenBus. */
	bool connected;
	struct gnttab_mapping ring_map[BLKBACK_MAX_RING_PAGES];
	unsigned nr_ring_pages;
	bool persistent; /* both ends said feature-persistent */
	evtchn_port_t port;
	int kick_fd; /* the guest's sends on port */
	int stop_fd;
	pthread_t worker;
	struct blkback_queue q;
	/*
	 * The image's I/O engine, for the device's whole life: io_uring must be
	 * set up before the VMM is confined, which is when devices are created.
	 */
	struct disk_aio *aio;
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

/*
 * How long the worker may sleep: not at all with requests left to take,
 * briefly while I/O the kernel refused is still queued (nothing would wake
 * us for it: neither the guest, who waits for its answer, nor the engine,
 * which never started it), else until an event.
 */
static int worker_timeout(struct xen_blkback *b, bool more)
{
	if (more)
		return 0;
	return disk_aio_unsubmitted(b->aio) ? SUBMIT_RETRY_MS : -1;
}

/*
 * One pass over the ring, then wait for the frontend's event, a
 * completion or the stop request.  The kick eventfd is drained before
 * the pass, which reads the producer index afresh, so an event that
 * arrives while we are busy leaves it readable for the next poll: none is
 * lost.
 */
static void *worker_main(void *arg)
{
	struct xen_blkback *b = arg;
	struct pollfd pfd[3] = {{.fd = b->stop_fd, .events = POLLIN},
				{.fd = disk_aio_fd(b->aio), .events = POLLIN},
				{.fd = b->kick_fd, .events = POLLIN}};
	/* Requests queued before the port was bound raised no event: look once at the start. */
	bool more = true, was_broken = false;

	sandbox_confine_thread(SANDBOX_IO);
	for (;;) {
		/* Once broken, only completions (releasing grants) and the stop request matter. */
		int n = poll(pfd, b->q.broken ? 2 : 3, worker_timeout(b, more));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("vbd %u: poll: %s", b->devid, strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			break;
		if (!b->q.broken && (pfd[2].revents & POLLIN))
			drain_eventfd(b->kick_fd);
		if (blkback_queue_process(&b->q, &more))
			evtchn_notify_guest(&b->xd->evtchn, b->port);
		if (b->q.broken && !was_broken)
			ring_broken(b);
		was_broken = b->q.broken;
	}
	/* Here, not in the disconnecting thread: the I/O in flight was submitted by this one. */
	blkback_queue_destroy(&b->q);
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void unmap_ring(struct xen_blkback *b)
{
	for (unsigned i = 0; i < b->nr_ring_pages; i++)
		gnttab_unmap(&b->xd->gnttab, &b->ring_map[i]);
	b->nr_ring_pages = 0;
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
	unmap_ring(b);
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

/*
 * The ring's grant refs: ring-ref for a one-page ring, ring-page-order
 * and ring-ref0, ring-ref1, ... for a larger one (as Linux's backend
 * reads them).  An order beyond what we offered is refused.
 */
static int read_ring_refs(struct xenbus_device *dev, grant_ref_t *refs, unsigned *nr)
{
	uint64_t order = 0, v;
	int ret = xenbus_read_frontend_u64(dev, "ring-page-order", &order);
	char key[24];

	if ((ret && ret != -ENOENT) || order > BLKBACK_MAX_RING_ORDER) {
		xenbus_dev_error(dev, -EINVAL, "ring-page-order must be at most %u",
				 BLKBACK_MAX_RING_ORDER);
		return -EINVAL;
	}
	*nr = 1U << order;
	for (unsigned i = 0; i < *nr; i++) {
		if (order)
			snprintf(key, sizeof(key), "ring-ref%u", i);
		else
			snprintf(key, sizeof(key), "ring-ref");
		if (xenbus_read_frontend_u64(dev, key, &v) || v > UINT32_MAX) {
			xenbus_dev_error(dev, -EINVAL, "reading %s", key);
			return -EINVAL;
		}
		refs[i] = (grant_ref_t)v;
	}
	return 0;
}

/* The ring's refs, its event channel, and whether it keeps its grants. */
static int read_ring_keys(struct xen_blkback *b, struct xenbus_device *dev, grant_ref_t *refs)
{
	uint64_t v;
	int ret = read_ring_refs(dev, refs, &b->nr_ring_pages);

	if (ret)
		return ret;
	if (xenbus_read_frontend_u64(dev, "event-channel", &v) || v > UINT32_MAX) {
		xenbus_dev_error(dev, -EINVAL, "reading event-channel");
		return -EINVAL;
	}
	b->port = (evtchn_port_t)v;
	ret = xenbus_read_frontend_u64(dev, "feature-persistent", &v);
	if (ret == -ENOENT)
		v = 0;
	else if (ret || v > 1) {
		xenbus_dev_error(dev, -EINVAL, "feature-persistent must be 0 or 1");
		return -EINVAL;
	}
	/* A frontend that asks for what was not offered gets grants mapped per request. */
	b->persistent = b->offer_persistent && v == 1;
	return 0;
}

/* Map the ring's pages, each on its own: the guest may have placed them anywhere. */
static int map_ring(struct xen_blkback *b, struct xenbus_device *dev, const grant_ref_t *refs)
{
	unsigned nr = b->nr_ring_pages;

	b->nr_ring_pages = 0;
	for (unsigned i = 0; i < nr; i++) {
		int ret = gnttab_map(&b->xd->gnttab, refs[i], true, &b->ring_map[i]);

		if (ret) {
			xenbus_dev_error(dev, ret, "mapping ring page %u (grant %u)", i, refs[i]);
			unmap_ring(b);
			return ret;
		}
		b->nr_ring_pages = i + 1;
	}
	return 0;
}

/* Bind the event channel, set up the request path and start its thread. */
static int start_worker(struct xen_blkback *b, struct xenbus_device *dev)
{
	int ret = evtchn_bind_backend(&b->xd->evtchn, b->port, b->kick_fd);

	if (ret) {
		xenbus_dev_error(dev, ret, "binding event-channel %u", b->port);
		return ret;
	}
	void *pages[BLKBACK_MAX_RING_PAGES];

	for (unsigned i = 0; i < b->nr_ring_pages; i++)
		pages[i] = b->ring_map[i].page;
	ret = blkback_queue_init(&b->q, pages, b->nr_ring_pages, &b->xd->gnttab, &b->img, b->aio,
				 (b->discard ? BLKBACK_DISCARD : 0) |
				     (b->persistent ? BLKBACK_PERSISTENT : 0));
	if (!ret)
		ret = -pthread_create(&b->worker, NULL, worker_main, b);
	if (ret) {
		xenbus_dev_error(dev, ret, "starting the I/O thread");
		/* Nothing was submitted: this thread may free it. */
		blkback_queue_destroy(&b->q);
		evtchn_unbind_backend(&b->xd->evtchn, b->port);
	}
	return ret;
}

static int vbd_connect(struct xenbus_device *dev)
{
	struct xen_blkback *b = dev->opaque;
	grant_ref_t refs[BLKBACK_MAX_RING_PAGES];
	int ret;

	if (b->connected)
		return 0;
	b->dev = dev;
	ret = check_protocol(dev);
	if (!ret)
		ret = read_ring_keys(b, dev, refs);
	if (!ret)
		ret = map_ring(b, dev, refs);
	if (ret)
		return ret;
	b->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (b->kick_fd < 0 || b->stop_fd < 0) {
		ret = -errno;
		xenbus_dev_error(dev, ret, "creating eventfds");
		goto fail;
	}
	ret = start_worker(b, dev);
	if (ret)
		goto fail;
	b->connected = true;
	pr_debug("vbd %u: connected (%u ring pages, event-channel %u%s)", b->devid,
		 b->nr_ring_pages, b->port, b->persistent ? ", persistent grants" : "");
	return 0;

fail:
	close_fd(&b->kick_fd);
	close_fd(&b->stop_fd);
	unmap_ring(b);
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
	if (b->offer_persistent)
		ret |= xenbus_write_backend(dev, "feature-persistent", "1");
	ret |= xenbus_write_backend(dev, "max-ring-page-order", "%u", BLKBACK_MAX_RING_ORDER);
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

/*
 * The I/O engine: io_uring where the kernel allows it, else a thread
 * pool.  Its depth is the largest ring's: a request holds a slot, and a
 * slot at most one operation, until it is answered.
 */
static int open_engine(struct xen_blkback *b)
{
	struct disk_aio_options opt = {.kind = DISK_AIO_AUTO, .depth = BLKBACK_MAX_RING_SLOTS};
	int ret = disk_aio_create(&b->aio, &b->img, &opt);

	if (ret)
		pr_err("vbd %u: no I/O engine for %s: %s", b->devid, b->target, strerror(-ret));
	return ret;
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
	return open_engine(b);
}

static void free_keys(char **keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		free(keys[i]);
	free(keys);
}

static void blkback_free(struct xen_blkback *b)
{
	/* Disconnected before: nothing is in flight, so any thread may free it. */
	disk_aio_destroy(b->aio);
	disk_image_close(&b->img);
	free_keys(b->front_keys);
	pthread_mutex_destroy(&b->publish_lock);
	free(b->target);
	free(b->vdev);
	free(b);
}

/*
 * Keep the spec's frontend keys, or the defaults, and trusted for
 * xen_blkback_publish.  trusted goes in the frontend's directory because
 * that is where blkfront looks, and it is written before the frontend
 * can start: it decides how the frontend sets up its grants.
 */
static int copy_front_keys(struct xen_blkback *b, const struct xen_disk_spec *spec)
{
	char devkey[40];
	const char *defaults[] = {devkey, "device-type=disk", NULL};
	const char *const *keys = spec->front_keys ? spec->front_keys : defaults;
	size_t n = 0;

	snprintf(devkey, sizeof(devkey), "virtual-device=%u", b->devid);
	while (keys[n])
		n++;
	b->front_keys = calloc(n + 2, sizeof(*b->front_keys));
	if (!b->front_keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		b->front_keys[i] = strdup(keys[i]);
		if (!b->front_keys[i])
			return -ENOMEM;
	}
	b->front_keys[n] = strdup(spec->untrusted ? "trusted=0" : "trusted=1");
	return b->front_keys[n] ? 0 : -ENOMEM;
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
	pr_info("vbd %u: %s%s, %" PRIu64 " sectors%s, %s I/O", b->devid, b->target,
		b->img.readonly ? " (read-only)" : "", b->img.sectors,
		b->discard ? ", discard" : "", disk_aio_kind_name(disk_aio_kind(b->aio)));
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
	b->offer_persistent = spec->persistent;
	b->img.fd = b->kick_fd = b->stop_fd = -1;
	pthread_mutex_init(&b->publish_lock, NULL);
	b->target = strdup(spec->target);
	b->vdev = spec->vdev ? strdup(spec->vdev) : NULL;
	if (!b->target || (spec->vdev && !b->vdev) || copy_front_keys(b, spec)) {
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
