/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous I/O on a disk image: a device model (Xen blkback) queues
 * many reads, writes, flushes and discards, hands them over together, and
 * reaps their completions in batches, in whatever order the host finishes
 * them.  Serving one request at a time left a PV disk at a fraction of
 * virtio's speed; this is what keeps a whole ring's worth in flight.
 *
 * Engines:
 *   uring   io_uring (liburing).  Set up, restricted and enabled when the
 *           engine is created: the ring may only read, write, fdatasync
 *           and punch holes, and no io_uring_register call works
 *           afterwards.  So a confined VMM needs io_uring_enter only, and
 *           creates its engines before it is confined.
 *   pool    a few threads doing preadv/pwritev/fdatasync/fallocate, for
 *           when io_uring is refused (old kernel, kernel.io_uring_disabled,
 *           a container's seccomp profile).
 *   inline  each operation runs when it is queued, its completion held
 *           until reaped (optionally newest first): deterministic, for the
 *           fuzzer and for tests that want completions out of order.
 * DISK_AIO_AUTO tries uring, then pool.
 *
 * Threading: one thread queues, submits and reaps (the uring engine's
 * in-flight I/O belongs to the thread that submitted it, and is cancelled
 * if that thread exits).  Buffers (the iovecs and what they point to)
 * must stay valid until their operation is reaped.
 */
#ifndef XKVM_BLOCK_DISK_AIO_H
#define XKVM_BLOCK_DISK_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct disk_image;
struct disk_aio;

enum disk_aio_kind {
	DISK_AIO_AUTO,
	DISK_AIO_URING,
	DISK_AIO_POOL,
	DISK_AIO_INLINE,
};

struct disk_aio_options {
	enum disk_aio_kind kind;
	unsigned depth;	       /* the most operations queued or in flight at once */
	unsigned pool_threads; /* pool engine; 0: DISK_AIO_POOL_THREADS */
	bool inline_reverse;   /* inline engine: reap the newest completion first */
};

#define DISK_AIO_MAX_DEPTH    256U
#define DISK_AIO_POOL_THREADS 4U

struct disk_aio_done {
	uint64_t tag; /* as given when queued */
	int result;   /* 0 or -errno */
};

/*
 * An engine over img (which must outlive it), or -errno: -ENOSYS / -EPERM
 * (or what the kernel said) when io_uring is asked for and refused.
 * With DISK_AIO_AUTO, a refused io_uring is logged at debug level and the
 * pool used instead.
 */
int disk_aio_create(struct disk_aio **out, struct disk_image *img,
		    const struct disk_aio_options *opt);
/*
 * Wait for whatever is still in flight (from the thread that submitted
 * it: see above), then free.  NULL is a no-op.
 */
void disk_aio_destroy(struct disk_aio *a);
enum disk_aio_kind disk_aio_kind(const struct disk_aio *a);
const char *disk_aio_kind_name(enum disk_aio_kind kind);

/*
 * Queue an operation.  0, or -EBUSY when depth operations are already
 * queued or in flight, -EINVAL out of range or a list longer than
 * DISK_IMAGE_MAX_IOV, -EROFS for a change to a read-only image.  A
 * refused operation never completes.  Nothing starts (except inline)
 * until disk_aio_submit.
 */
int disk_aio_readv(struct disk_aio *a, const struct iovec *iov, unsigned cnt, uint64_t off,
		   uint64_t tag);
int disk_aio_writev(struct disk_aio *a, const struct iovec *iov, unsigned cnt, uint64_t off,
		    uint64_t tag);
/* fdatasync: makes the writes that completed before it durable (not those in flight). */
int disk_aio_flush(struct disk_aio *a, uint64_t tag);
/* Punch a hole; completes with -EOPNOTSUPP where the file system cannot. */
int disk_aio_discard(struct disk_aio *a, uint64_t off, uint64_t len, uint64_t tag);
/*
 * Start everything queued.  0, or -errno when the kernel took none or only
 * part of it for now (io_uring: -EAGAIN or -ENOMEM under memory pressure).
 * What it did not take stays queued, counted by disk_aio_unsubmitted, and
 * goes with the next submit or wait: the caller must come back (a timer),
 * since nothing unsubmitted ever signals disk_aio_fd.
 */
int disk_aio_submit(struct disk_aio *a);
/* Operations queued and not yet handed over by disk_aio_submit. */
unsigned disk_aio_unsubmitted(struct disk_aio *a);

/* Up to max completions, without waiting.  Returns how many. */
unsigned disk_aio_reap(struct disk_aio *a, struct disk_aio_done *done, unsigned max);
/* Block until a completion can be reaped; returns at once when nothing is in flight. */
void disk_aio_wait(struct disk_aio *a);
/* Operations queued or in flight and not yet reaped. */
unsigned disk_aio_pending(const struct disk_aio *a);
/*
 * Readable when completions may be ready (an eventfd): for a poll loop.
 * Reaping consumes it.
 */
int disk_aio_fd(const struct disk_aio *a);

#endif
