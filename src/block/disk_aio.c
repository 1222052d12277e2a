/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous disk image I/O (block/disk_aio.h).  Every engine shares
 * the bookkeeping: a fixed table of depth operation slots (a slot is
 * free, or queued, in flight or done until reaped), one eventfd that says
 * "completions may be ready", and the checks disk_image makes, done when
 * an operation is queued.  Only the way an operation is started and
 * finished differs: io_uring entries, a thread pool's queue, or a direct
 * call.
 */
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "core/sandbox.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

enum aio_code { AIO_READ, AIO_WRITE, AIO_FLUSH, AIO_DISCARD };

struct aio_op {
	enum aio_code code;
	const struct iovec *iov;
	unsigned cnt;
	uint64_t off, len; /* len: bytes of a read, write or discard */
	uint64_t tag;
	int result;
};

/* A fixed-capacity FIFO of slot numbers (the pool's work, finished operations). */
struct slot_fifo {
	unsigned *slot;
	unsigned head, len, cap;
};

struct disk_aio {
	enum disk_aio_kind kind;
	struct disk_image *img;
	unsigned depth;
	int efd; /* completions may be ready */
	struct aio_op *ops;
	unsigned *free_slots; /* a stack */
	unsigned nr_free;

	/* uring */
	struct io_uring ring;
	bool ring_up;

	/* pool, and inline's finished list */
	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	bool stop;
	pthread_t *threads;
	unsigned nr_threads;
	struct slot_fifo todo; /* pool: queued for a thread (submitted) */
	struct slot_fifo done; /* pool, inline: finished, not reaped */
	unsigned staged;       /* pool: queued, not yet submitted (at the end of todo) */
	bool reverse;
};

/* ---- Slots ---- */

static int fifo_init(struct slot_fifo *f, unsigned cap)
{
	f->slot = calloc(cap, sizeof(*f->slot));
	f->head = f->len = 0;
	f->cap = cap;
	return f->slot ? 0 : -ENOMEM;
}

static void fifo_push(struct slot_fifo *f, unsigned s)
{
	f->slot[(f->head + f->len) % f->cap] = s;
	f->len++;
}

static unsigned fifo_pop(struct slot_fifo *f, bool newest)
{
	unsigned s;

	if (newest)
		return f->slot[(f->head + --f->len) % f->cap];
	s = f->slot[f->head];
	f->head = (f->head + 1) % f->cap;
	f->len--;
	return s;
}

/* Take a free slot for a new operation, or -EBUSY. */
static int slot_get(struct disk_aio *a, enum aio_code code, uint64_t tag)
{
	unsigned s;

	if (a->nr_free == 0)
		return -EBUSY;
	s = a->free_slots[--a->nr_free];
	a->ops[s] = (struct aio_op){.code = code, .tag = tag};
	return (int)s;
}

static void signal_done(struct disk_aio *a)
{
	uint64_t one = 1;

	/* Only fails when the counter would overflow: it is readable then anyway. */
	if (write(a->efd, &one, sizeof(one)) < 0)
		pr_debug("disk aio: eventfd: %s", strerror(errno));
}

static void drain_fd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

/* ---- Running an operation synchronously (pool threads, inline, short io_uring transfers) ---- */

static int punch_hole(struct disk_image *img, uint64_t off, uint64_t len)
{
	if (len == 0)
		return 0;
	return fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			 (off_t)len)
		   ? -errno
		   : 0;
}

/* done: bytes of a read or write already transferred. */
static int run_sync(struct disk_image *img, const struct aio_op *op, size_t done)
{
	switch (op->code) {
	case AIO_READ:
	case AIO_WRITE:
		return disk_image_finish_io(img, op->iov, op->cnt, op->off, done,
					    op->code == AIO_WRITE);
	case AIO_FLUSH:
		return disk_image_flush(img);
	case AIO_DISCARD:
		return punch_hole(img, op->off, op->len);
	}
	return -EINVAL;
}

/* ---- io_uring ---- */

/*
 * What the ring may do once enabled: read, write, fdatasync and punch
 * holes (no entry flags, so no links or buffer selection either), and no
 * further io_uring_register call at all.  Those are file reads and writes
 * on descriptors the VMM already holds, which the I/O thread's seccomp
 * list allows it as preadv/pwritev/fdatasync/fallocate anyway, so letting
 * it call io_uring_enter grants nothing new.
 *
 * The image is not a registered (fixed) file, though that would pin the
 * ring to it: the ring's files are released asynchronously after it is
 * closed, and with them the image's lock, so a VMM that stops and a
 * successor that opens the image at once would find it still locked.
 *
 * Debian 12's liburing 2.3 declares io_uring_register_restrictions and
 * io_uring_enable_rings but its shared library does not export them
 * (only liburing.a has them), so these two registrations are made with
 * the system call itself.
 */
static int register_ring(struct io_uring *ring, unsigned opcode, const void *arg, unsigned nr)
{
	return syscall(__NR_io_uring_register, ring->ring_fd, opcode, arg, nr) < 0 ? -errno : 0;
}

static int restrict_and_enable(struct io_uring *ring)
{
	static const struct io_uring_restriction res[] = {
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FALLOCATE},
	};
	int ret = register_ring(ring, IORING_REGISTER_RESTRICTIONS, res, ARRAY_SIZE(res));

	return ret ? ret : register_ring(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

static int uring_init(struct disk_aio *a)
{
	int ret = io_uring_queue_init(a->depth, &a->ring, IORING_SETUP_R_DISABLED);

	if (ret)
		return ret;
	ret = io_uring_register_eventfd(&a->ring, a->efd);
	if (!ret)
		ret = restrict_and_enable(&a->ring);
	if (ret) {
		io_uring_queue_exit(&a->ring);
		return ret < 0 ? ret : -EIO;
	}
	a->ring_up = true;
	return 0;
}

static int uring_queue(struct disk_aio *a, unsigned s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);
	const struct aio_op *op = &a->ops[s];
	int fd = a->img->fd;

	/* Depth slots and depth entries: only a bug runs out. */
	if (!sqe)
		return -EBUSY;
	switch (op->code) {
	case AIO_READ:
		io_uring_prep_readv(sqe, fd, op->iov, op->cnt, op->off);
		break;
	case AIO_WRITE:
		io_uring_prep_writev(sqe, fd, op->iov, op->cnt, op->off);
		break;
	case AIO_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case AIO_DISCARD:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)op->off, (off_t)op->len);
		break;
	}
	io_uring_sqe_set_data64(sqe, s);
	return 0;
}

static int uring_submit(struct disk_aio *a)
{
	while (io_uring_sq_ready(&a->ring)) {
		int ret = io_uring_submit(&a->ring);

		/* What was not taken stays in the queue for the next call. */
		if (ret < 0 && ret != -EINTR)
			return ret;
		if (ret == 0)
			return -EAGAIN; /* took nothing and said nothing: do not spin on it */
	}
	return 0;
}

/*
 * A completion's result.  A short transfer (a read at the end of a file
 * that shrank) or an interrupted one is finished synchronously: rare, and
 * what preadv/pwritev would have done.
 */
static int uring_result(struct disk_aio *a, const struct aio_op *op, int res)
{
	bool rw = op->code == AIO_READ || op->code == AIO_WRITE;

	/* fallocate refuses an empty range, which discards nothing: done. */
	if (op->code == AIO_DISCARD && op->len == 0)
		return 0;
	if (res < 0 && res != -EAGAIN && res != -EINTR && res != -EOPNOTSUPP)
		/* As disk_image says of its own failures: the host's, worth a line. */
		pr_warn_once("disk image %s: io_uring operation %d failed: %s", a->img->path,
			     (int)op->code, strerror(-res));
	if (!rw || (res < 0 && res != -EAGAIN && res != -EINTR))
		return res < 0 ? res : 0;
	if (res < 0)
		res = 0;
	if ((uint64_t)res == op->len)
		return 0;
	return run_sync(a->img, op, (size_t)res);
}

static unsigned uring_reap(struct disk_aio *a, struct disk_aio_done *done, unsigned max)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	while (n < max && io_uring_peek_cqe(&a->ring, &cqe) == 0) {
		unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);

		if (s < a->depth) {
			done[n++] = (struct disk_aio_done){
			    .tag = a->ops[s].tag, .result = uring_result(a, &a->ops[s], cqe->res)};
			a->free_slots[a->nr_free++] = s;
		}
		io_uring_cqe_seen(&a->ring, cqe);
	}
	return n;
}

static void uring_wait(struct disk_aio *a)
{
	int ret;

	/* Submits what is still queued too: waiting on it unsubmitted would be forever. */
	do
		ret = io_uring_submit_and_wait(&a->ring, 1);
	while (ret == -EINTR);
}

/* ---- Thread pool ---- */

static void *pool_main(void *arg)
{
	struct disk_aio *a = arg;
	/* Started before the VMM is confined: narrows itself once it is. */
	bool narrowed = false;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		unsigned s;

		while (!a->stop && a->todo.len == a->staged)
			pthread_cond_wait(&a->work_cond, &a->lock);
		if (a->todo.len == a->staged)
			break; /* stopping, and nothing submitted is left */
		s = fifo_pop(&a->todo, false);
		pthread_mutex_unlock(&a->lock);
		if (!narrowed)
			narrowed = sandbox_confine_thread(SANDBOX_IO);
		a->ops[s].result = run_sync(a->img, &a->ops[s], 0);
		pthread_mutex_lock(&a->lock);
		fifo_push(&a->done, s);
		signal_done(a);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void pool_stop(struct disk_aio *a)
{
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	/* Staged work was never submitted: nobody will run it. */
	a->todo.len -= a->staged;
	a->staged = 0;
	pthread_cond_broadcast(&a->work_cond);
	pthread_mutex_unlock(&a->lock);
	for (unsigned i = 0; i < a->nr_threads; i++)
		pthread_join(a->threads[i], NULL);
	a->nr_threads = 0;
}

static int pool_init(struct disk_aio *a, unsigned threads)
{
	int ret = 0;

	a->threads = calloc(threads, sizeof(*a->threads));
	if (!a->threads)
		return -ENOMEM;
	for (unsigned i = 0; i < threads && !ret; i++) {
		ret = -pthread_create(&a->threads[i], NULL, pool_main, a);
		if (!ret)
			a->nr_threads++;
	}
	if (ret)
		pool_stop(a);
	return ret;
}

/* ---- Engine ---- */

const char *disk_aio_kind_name(enum disk_aio_kind kind)
{
	switch (kind) {
	case DISK_AIO_AUTO:
		return "auto";
	case DISK_AIO_URING:
		return "io_uring";
	case DISK_AIO_POOL:
		return "thread pool";
	case DISK_AIO_INLINE:
		return "inline";
	}
	return "?";
}

enum disk_aio_kind disk_aio_kind(const struct disk_aio *a)
{
	return a->kind;
}

int disk_aio_fd(const struct disk_aio *a)
{
	return a->efd;
}

unsigned disk_aio_pending(const struct disk_aio *a)
{
	return a->depth - a->nr_free;
}

static int alloc_tables(struct disk_aio *a, unsigned depth)
{
	a->depth = depth;
	a->ops = calloc(depth, sizeof(*a->ops));
	a->free_slots = calloc(depth, sizeof(*a->free_slots));
	if (!a->ops || !a->free_slots || fifo_init(&a->todo, depth) || fifo_init(&a->done, depth))
		return -ENOMEM;
	/* Lowest slot first, which keeps the inline engine's tests readable. */
	for (unsigned i = 0; i < depth; i++)
		a->free_slots[i] = depth - 1 - i;
	a->nr_free = depth;
	a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return a->efd < 0 ? -errno : 0;
}

static void free_tables(struct disk_aio *a)
{
	if (a->efd >= 0)
		close(a->efd);
	free(a->ops);
	free(a->free_slots);
	free(a->todo.slot);
	free(a->done.slot);
	free(a->threads);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->work_cond);
	free(a);
}

/* Start the engine asked for; AUTO falls back from io_uring to the pool. */
static int start_engine(struct disk_aio *a, const struct disk_aio_options *opt)
{
	unsigned threads = opt->pool_threads ? opt->pool_threads : DISK_AIO_POOL_THREADS;
	int ret;

	a->kind = opt->kind;
	if (a->kind == DISK_AIO_INLINE)
		return 0;
	if (a->kind == DISK_AIO_URING || a->kind == DISK_AIO_AUTO) {
		ret = uring_init(a);
		if (!ret || a->kind == DISK_AIO_URING) {
			a->kind = DISK_AIO_URING;
			return ret;
		}
		pr_debug("disk image %s: io_uring refused (%s): using threads", a->img->path,
			 strerror(-ret));
	}
	a->kind = DISK_AIO_POOL;
	return pool_init(a, threads);
}

int disk_aio_create(struct disk_aio **out, struct disk_image *img,
		    const struct disk_aio_options *opt)
{
	struct disk_aio *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->img = img;
	a->efd = -1;
	a->reverse = opt->inline_reverse;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work_cond, NULL);
	if (opt->depth == 0 || opt->depth > DISK_AIO_MAX_DEPTH)
		ret = -EINVAL;
	else
		ret = alloc_tables(a, opt->depth);
	if (!ret)
		ret = start_engine(a, opt);
	if (ret) {
		free_tables(a);
		return ret;
	}
	*out = a;
	return 0;
}

void disk_aio_destroy(struct disk_aio *a)
{
	struct disk_aio_done d;

	if (!a)
		return;
	(void)disk_aio_submit(a);
	while (disk_aio_pending(a)) {
		if (disk_aio_reap(a, &d, 1) == 0)
			disk_aio_wait(a);
	}
	if (a->ring_up)
		io_uring_queue_exit(&a->ring);
	pool_stop(a);
	free_tables(a);
}

/* ---- Queueing, submitting, reaping ---- */

/* Hand slot s (filled in) to the engine, or give it back on failure. */
static int enqueue(struct disk_aio *a, unsigned s)
{
	int ret = 0;

	switch (a->kind) {
	case DISK_AIO_URING:
		ret = uring_queue(a, s);
		break;
	case DISK_AIO_POOL:
		pthread_mutex_lock(&a->lock);
		fifo_push(&a->todo, s);
		a->staged++;
		pthread_mutex_unlock(&a->lock);
		break;
	default:
		a->ops[s].result = run_sync(a->img, &a->ops[s], 0);
		pthread_mutex_lock(&a->lock);
		fifo_push(&a->done, s);
		pthread_mutex_unlock(&a->lock);
		signal_done(a);
		break;
	}
	if (ret)
		a->free_slots[a->nr_free++] = s;
	return ret;
}

static int queue_rw(struct disk_aio *a, enum aio_code code, const struct iovec *iov, unsigned cnt,
		    uint64_t off, uint64_t tag)
{
	int ret = disk_image_check_io(a->img, iov, cnt, off, code == AIO_WRITE);
	int s = ret ? ret : slot_get(a, code, tag);

	if (s < 0)
		return s;
	a->ops[s].iov = iov;
	a->ops[s].cnt = cnt;
	a->ops[s].off = off;
	for (unsigned i = 0; i < cnt; i++)
		a->ops[s].len += iov[i].iov_len;
	return enqueue(a, (unsigned)s);
}

int disk_aio_readv(struct disk_aio *a, const struct iovec *iov, unsigned cnt, uint64_t off,
		   uint64_t tag)
{
	return queue_rw(a, AIO_READ, iov, cnt, off, tag);
}

int disk_aio_writev(struct disk_aio *a, const struct iovec *iov, unsigned cnt, uint64_t off,
		    uint64_t tag)
{
	return queue_rw(a, AIO_WRITE, iov, cnt, off, tag);
}

int disk_aio_flush(struct disk_aio *a, uint64_t tag)
{
	int s = slot_get(a, AIO_FLUSH, tag);

	return s < 0 ? s : enqueue(a, (unsigned)s);
}

int disk_aio_discard(struct disk_aio *a, uint64_t off, uint64_t len, uint64_t tag)
{
	int s;

	if (!range_ok(off, len, a->img->sectors * DISK_IMAGE_SECTOR_SIZE))
		return -EINVAL;
	if (a->img->readonly)
		return -EROFS;
	s = slot_get(a, AIO_DISCARD, tag);
	if (s < 0)
		return s;
	a->ops[s].off = off;
	a->ops[s].len = len;
	return enqueue(a, (unsigned)s);
}

int disk_aio_submit(struct disk_aio *a)
{
	if (a->kind == DISK_AIO_URING)
		return uring_submit(a);
	if (a->kind == DISK_AIO_POOL) {
		pthread_mutex_lock(&a->lock);
		if (a->staged)
			pthread_cond_broadcast(&a->work_cond);
		a->staged = 0;
		pthread_mutex_unlock(&a->lock);
	}
	return 0;
}

unsigned disk_aio_unsubmitted(struct disk_aio *a)
{
	unsigned n = 0;

	if (a->kind == DISK_AIO_URING)
		return io_uring_sq_ready(&a->ring);
	if (a->kind == DISK_AIO_POOL) {
		pthread_mutex_lock(&a->lock);
		n = a->staged;
		pthread_mutex_unlock(&a->lock);
	}
	return n; /* inline ran each one as it was queued */
}

/* Pool and inline: take finished slots off the done list. */
static unsigned list_reap(struct disk_aio *a, struct disk_aio_done *done, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&a->lock);
	while (n < max && a->done.len) {
		unsigned s = fifo_pop(&a->done, a->reverse);

		done[n++] =
		    (struct disk_aio_done){.tag = a->ops[s].tag, .result = a->ops[s].result};
		a->free_slots[a->nr_free++] = s;
	}
	pthread_mutex_unlock(&a->lock);
	return n;
}

unsigned disk_aio_reap(struct disk_aio *a, struct disk_aio_done *done, unsigned max)
{
	/* First the eventfd, then the completions: one landing in between signals it again. */
	drain_fd(a->efd);
	if (a->kind == DISK_AIO_URING)
		return uring_reap(a, done, max);
	return list_reap(a, done, max);
}

void disk_aio_wait(struct disk_aio *a)
{
	struct pollfd pfd = {.fd = a->efd, .events = POLLIN};

	if (disk_aio_pending(a) == 0)
		return;
	(void)disk_aio_submit(a);
	if (a->kind == DISK_AIO_URING) {
		uring_wait(a);
		return;
	}
	/* Pool and inline signal the eventfd for every completion, and keep it set until reaped. */
	pthread_mutex_lock(&a->lock);
	if (a->done.len) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	pthread_mutex_unlock(&a->lock);
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}
