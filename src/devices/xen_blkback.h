/* SPDX-License-Identifier: MIT */
/*
 * Xen virtual block device backend ("vbd", xen/io/blkif.h): serves a disk
 * image or block device to the guest's blkfront over a shared ring of up
 * to BLKBACK_MAX_RING_PAGES pages, one worker thread per device that keeps every request the ring
 * holds in flight at once (block/disk_aio.h) and answers each as its I/O
 * completes.
 *
 * XenStore keys.  xen_blkback_create() adds the device with
 * xenbus_device_add(); the frontend keys it passes are spec->front_keys,
 * or, when that is NULL, the two Linux blkfront cannot do without:
 *
 *     virtual-device=<devid>     (e.g. 51712 for xvda: (202 << 8) | (disk << 4))
 *     device-type=disk
 *
 * A caller passing its own front_keys must include both.  Either set gets
 * trusted=1 added, or trusted=0 when spec->untrusted (what libxl writes
 * for xl's disk flags trusted / untrusted).  The backend
 * writes (in ops->init): params, mode, dev, removable, sectors,
 * sector-size, physical-sector-size, info, feature-flush-cache,
 * feature-barrier, feature-max-indirect-segments
 * (BLKBACK_MAX_INDIRECT_SEGMENTS), max-ring-page-order
 * (BLKBACK_MAX_RING_ORDER), feature-persistent when spec->persistent,
 * and, when discard works,
 * feature-discard, discard-granularity, discard-alignment,
 * discard-secure.  Indirect requests (BLKIF_OP_INDIRECT) are READs or
 * WRITEs of up to that many segments.  The frontend gives a one-page
 * ring as ring-ref, a larger one as ring-page-order and ring-ref0...;
 * with feature-persistent=1 its data grants stay mapped until it
 * disconnects.  No multi-queue.  The frontend must speak "x86_64-abi".
 */
#ifndef XKVM_DEVICES_XEN_BLKBACK_H
#define XKVM_DEVICES_XEN_BLKBACK_H

#include <stdbool.h>
#include <stdint.h>

/* The ring macros need barriers; these are SMP-safe on any host. */
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include <xen/io/blkif.h>

#include "xen/gnttab_persistent.h"

struct xen_domain;
struct gnttab;
struct disk_image;
struct disk_aio;

#define BLKBACK_SECTOR_SIZE 512U
/*
 * The most segments an indirect request may carry, advertised as
 * feature-max-indirect-segments: 1 MiB of 4 KiB pages, the value Linux's
 * backend advertises.  Their descriptors fit in one indirect page (512
 * do).  Linux blkfront sends up to min(this, its max_indirect_segments
 * parameter).
 */
#define BLKBACK_MAX_INDIRECT_SEGMENTS 256U
/* Requests a single-page ring holds (32). */
#define BLKBACK_RING_SLOTS __CONST_RING_SIZE(blkif, 4096)
/*
 * The largest ring offered (max-ring-page-order): 8 pages, 256 requests,
 * the deepest queue an I/O engine takes (DISK_AIO_MAX_DEPTH), which is
 * also the most ever in flight.  Linux's backend offers 16 pages; Linux
 * blkfront asks for more than one only when its max_ring_page_order
 * parameter says so.
 */
#define BLKBACK_MAX_RING_ORDER 3U
#define BLKBACK_MAX_RING_PAGES (1U << BLKBACK_MAX_RING_ORDER)
#define BLKBACK_MAX_RING_SLOTS __CONST_RING_SIZE(blkif, 4096U << BLKBACK_MAX_RING_ORDER)
/*
 * Persistent grants kept per ring: what Linux blkfront keeps by default
 * ((32 segments + 1 indirect page) x 32 requests), also Linux blkback's
 * limit.  A frontend that uses more has the rest mapped per request.
 */
#define BLKBACK_MAX_PERSISTENT_GRANTS 1056U

struct xen_disk_spec {
	const char *target; /* image file or block device */
	const char *vdev;   /* guest-visible name, e.g. "xvda" (backend "dev" key); may be NULL */
	unsigned devid;	    /* XenBus device id = virtual-device number */
	bool readonly;	    /* open O_RDONLY, advertise mode "r" and VDISK_READONLY */
	bool discard;	    /* offer discard when the image can punch holes */
	bool persistent;    /* offer feature-persistent (the frontend then keeps its grants) */
	/*
	 * Write the frontend's trusted key as 0: Linux blkfront then grants
	 * only pages of its own and copies the data through them, so this
	 * backend never sees the rest of the guest's memory.  false, what a
	 * zeroed spec says, is trusted=1, xl's default.
	 */
	bool untrusted;
	const char *const *front_keys; /* NULL-terminated "key=value"s, or NULL for the defaults */
	/*
	 * Open the image now but leave XenBus alone until xen_blkback_publish:
	 * for a disk the guest reaches through emulated IDE until it unplugs
	 * it, while the image can only be opened before the VMM is confined.
	 */
	bool unpublished;
	/*
	 * The same image, already open by another device model in this VMM
	 * (the emulated IDE disk the guest unplugs later), or NULL.  Its lock
	 * belongs to its open file description, so a second open of target
	 * would be refused as a second writer; the backend takes a duplicate
	 * of share's fd instead (same description, so the lock stays held
	 * after the other model closes its fd).  A read-write spec needs a
	 * read-write share.
	 */
	const struct disk_image *share;
};

struct xen_blkback;

/*
 * Open the image (shared lock when read-only, exclusive otherwise) and,
 * unless spec->unpublished, add the vbd to XenBus.  spec and its strings
 * need not outlive the call.  NULL on error, after a message naming the
 * file.
 */
struct xen_blkback *xen_blkback_create(struct xen_domain *xd, const struct xen_disk_spec *spec);
/*
 * Add an unpublished vbd to XenBus with the keys create would have used,
 * so the frontend can find it.  Opens no file (fine once confined).  0,
 * also when already published, or -errno.  Any thread; calls serialise
 * among themselves but must not race xen_blkback_destroy.
 */
int xen_blkback_publish(struct xen_blkback *b);
/* Remove the device, if published (disconnecting it first), and close the image.  NULL is a no-op.
 */
void xen_blkback_destroy(struct xen_blkback *b);

/*
 * The request path, free of XenBus and KVM so tests and the fuzzer can
 * drive it: a back ring over a page the frontend shares, the guest's grant
 * table for the data pages, the image, and an I/O engine over it.
 *
 * Each request taken off the ring gets a slot (our copy of it, its mapped
 * grants) until it is answered; its grants stay mapped until its I/O has
 * completed.  A flush or barrier waits for everything before it to
 * complete (then fdatasync), and nothing after it is taken off the ring
 * until it is answered.
 */
struct blk_slot;

/* What the frontend and backend agreed on, for blkback_queue_init. */
#define BLKBACK_DISCARD	   (1U << 0) /* DISCARD is served (else BLKIF_RSP_EOPNOTSUPP) */
#define BLKBACK_PERSISTENT (1U << 1) /* feature-persistent: data grants stay mapped */

struct blkback_queue {
	/*
	 * The ring's indexes; its sring is page[0].  The ring may span pages
	 * the guest placed anywhere, so its entries are only reached through
	 * page[] (ring_read/ring_write), never through ring.sring->ring.
	 */
	blkif_back_ring_t ring;
	void *page[BLKBACK_MAX_RING_PAGES];
	unsigned nr_pages;
	struct gnttab *gt;
	struct disk_image *img; /* the caller's; its size and read-only flag rule */
	struct disk_aio *aio;	/* the caller's, over img, depth >= the ring's size */
	bool discard;		/* DISCARD is served (else BLKIF_RSP_EOPNOTSUPP) */
	bool broken; /* the frontend corrupted the ring indexes: nothing more is served */
	/* Set up when data and indirect grants are kept (BLKBACK_PERSISTENT), else zeroed. */
	struct gnttab_persistent pgrants;
	struct blk_slot *slots; /* RING_SIZE(&ring) */
	unsigned busy;		/* slots in use: taken off the ring, not answered */
	int barrier;		/* the slot of the flush or barrier being served, or -1 */
};

/*
 * A queue over the nr_pages ring pages the frontend granted (a power of
 * two, at most BLKBACK_MAX_RING_PAGES, in ring-ref order), flags
 * BLKBACK_*.  0, -EINVAL for a page count out of range, or -ENOMEM.
 */
int blkback_queue_init(struct blkback_queue *q, void *const *pages, unsigned nr_pages,
		       struct gnttab *gt, struct disk_image *img, struct disk_aio *aio,
		       unsigned flags);
/*
 * Wait for the I/O in flight, answer it (without notifying) and free the
 * queue.  From the thread that called blkback_queue_process (an io_uring
 * engine's I/O belongs to the thread that submitted it).
 */
void blkback_queue_destroy(struct blkback_queue *q);
/*
 * Reap the completions that are ready and answer them, then take the
 * requests the frontend has produced (as many as there are free slots,
 * at most one ring's worth per call) and submit their I/O together.
 * Returns true when the frontend must be notified: once per call, for
 * all the responses it pushed.  *more is set when requests are still
 * waiting and could be taken now, so the caller calls again (after
 * checking whether it should stop); otherwise the caller waits for the
 * frontend's event or for disk_aio_fd(q->aio).  q->broken is set, and no
 * request taken any more, when the producer index is impossible; I/O in
 * flight then still completes (and releases its grants) unanswered.
 */
bool blkback_queue_process(struct blkback_queue *q, bool *more);

#endif
