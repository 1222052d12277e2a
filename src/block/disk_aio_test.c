/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous engine on a real file, each engine explicitly: many
 * operations in flight, completions matched by tag, data byte-exact,
 * checks at queue time, short reads, and io_uring refused (seccomp in a
 * child process) falling back to the thread pool.
 */
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECT	  512UL
#define SECTORS	  1024U
#define NR_OPS	  32U
#define OP_BYTES  (4 * SECT)
#define OP_STRIDE 24U /* sectors between operations: none touch */

struct fixture {
	struct disk_image img;
	struct disk_aio_options opt;
	uint8_t buf[NR_OPS][OP_BYTES];
	struct iovec iov[NR_OPS][2];
};

static int setup(struct fixture **out, enum disk_aio_kind kind, bool reverse)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/xkvm-disk-aio-test-XXXXXX";
	int fd;

	if (!f)
		return -1;
	fd = mkstemp(path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	unlink(path);
	if (ftruncate(fd, (off_t)SECTORS * SECT) || disk_image_from_fd(&f->img, fd, path, false)) {
		free(f);
		return -1;
	}
	f->opt =
	    (struct disk_aio_options){.kind = kind, .depth = NR_OPS, .inline_reverse = reverse};
	*out = f;
	return 0;
}

static int setup_uring(void **state)
{
	return setup((struct fixture **)state, DISK_AIO_URING, false);
}

static int setup_pool(void **state)
{
	return setup((struct fixture **)state, DISK_AIO_POOL, false);
}

static int setup_inline(void **state)
{
	return setup((struct fixture **)state, DISK_AIO_INLINE, false);
}

static int setup_inline_reverse(void **state)
{
	return setup((struct fixture **)state, DISK_AIO_INLINE, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	disk_image_close(&f->img);
	free(f);
	return 0;
}

static struct disk_aio *engine(struct fixture *f)
{
	struct disk_aio *a;

	assert_int_equal(disk_aio_create(&a, &f->img, &f->opt), 0);
	assert_int_equal(disk_aio_kind(a), f->opt.kind);
	return a;
}

/* Operation i: two pieces of one buffer, at its own place on the disk. */
static const struct iovec *iov_of(struct fixture *f, unsigned i)
{
	f->iov[i][0] = (struct iovec){.iov_base = f->buf[i], .iov_len = SECT};
	f->iov[i][1] = (struct iovec){.iov_base = f->buf[i] + SECT, .iov_len = OP_BYTES - SECT};
	return f->iov[i];
}

static uint64_t off_of(unsigned i)
{
	return (uint64_t)i * OP_STRIDE * SECT;
}

/* Reap n completions, each tag (0..n-1, plus base) once, all with result want. */
static void reap_all(struct disk_aio *a, unsigned n, uint64_t base, int want, uint64_t *order)
{
	bool seen[NR_OPS] = {false};
	unsigned got = 0;

	while (got < n) {
		struct disk_aio_done d[NR_OPS];
		unsigned k = disk_aio_reap(a, d, NR_OPS);

		if (k == 0)
			disk_aio_wait(a);
		for (unsigned j = 0; j < k; j++) {
			assert_true(d[j].tag >= base && d[j].tag < base + n);
			assert_false(seen[d[j].tag - base]);
			seen[d[j].tag - base] = true;
			assert_int_equal(d[j].result, want);
			if (order)
				order[got + j] = d[j].tag - base;
		}
		got += k;
	}
	assert_int_equal(disk_aio_pending(a), 0);
}

static void test_many_in_flight(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	uint8_t back[OP_BYTES];

	for (unsigned i = 0; i < NR_OPS; i++) {
		for (unsigned b = 0; b < OP_BYTES; b++)
			f->buf[i][b] = (uint8_t)(i * 7 + b * 13 + 1);
		assert_int_equal(disk_aio_writev(a, iov_of(f, i), 2, off_of(i), 100 + i), 0);
	}
	assert_int_equal(disk_aio_pending(a), NR_OPS);
	/* Depth reached: refused, not queued. */
	assert_int_equal(disk_aio_flush(a, 999), -EBUSY);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, NR_OPS, 100, 0, NULL);
	for (unsigned i = 0; i < NR_OPS; i++) {
		assert_int_equal(pread(f->img.fd, back, OP_BYTES, (off_t)off_of(i)), OP_BYTES);
		assert_memory_equal(back, f->buf[i], OP_BYTES);
	}

	/* Read them back, into other buffers, all at once. */
	memset(f->buf, 0, sizeof(f->buf));
	for (unsigned i = 0; i < NR_OPS; i++)
		assert_int_equal(disk_aio_readv(a, iov_of(f, i), 2, off_of(i), i), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, NR_OPS, 0, 0, NULL);
	for (unsigned i = 0; i < NR_OPS; i++)
		for (unsigned b = 0; b < OP_BYTES; b++)
			assert_int_equal(f->buf[i][b], (uint8_t)(i * 7 + b * 13 + 1));
	disk_aio_destroy(a);
}

static void test_checks_at_queue_time(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	struct iovec big[DISK_IMAGE_MAX_IOV + 1];

	assert_int_equal(disk_aio_readv(a, iov_of(f, 0), 2, (SECTORS - 3) * (uint64_t)SECT, 1),
			 -EINVAL);
	assert_int_equal(disk_aio_writev(a, iov_of(f, 0), 2, UINT64_MAX - 100, 2), -EINVAL);
	for (unsigned i = 0; i < ARRAY_SIZE(big); i++)
		big[i] = (struct iovec){.iov_base = f->buf[0], .iov_len = 1};
	assert_int_equal(disk_aio_readv(a, big, ARRAY_SIZE(big), 0, 3), -EINVAL);
	assert_int_equal(disk_aio_discard(a, SECTORS * (uint64_t)SECT, SECT, 4), -EINVAL);
	f->img.readonly = true;
	assert_int_equal(disk_aio_writev(a, iov_of(f, 0), 2, 0, 5), -EROFS);
	assert_int_equal(disk_aio_discard(a, 0, SECT, 6), -EROFS);
	/* Reads and flushes of a read-only image are fine. */
	assert_int_equal(disk_aio_readv(a, iov_of(f, 0), 2, 0, 7), 0);
	assert_int_equal(disk_aio_flush(a, 8), 0);
	assert_int_equal(disk_aio_pending(a), 2);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 2, 7, 0, NULL);
	f->img.readonly = false;
	disk_aio_destroy(a);
}

static void test_flush_and_discard(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	uint8_t back[OP_BYTES];

	memset(f->buf[0], 0xA5, OP_BYTES);
	assert_int_equal(disk_aio_writev(a, iov_of(f, 0), 2, 0, 0), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 1, 0, 0, NULL);
	assert_int_equal(disk_aio_flush(a, 0), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 1, 0, 0, NULL);
	/* Punch the first 4 KiB: it reads as zeros (tmpfs, ext4, xfs, btrfs all can). */
	assert_int_equal(disk_aio_discard(a, 0, 4096, 0), 0);
	assert_int_equal(disk_aio_discard(a, 4096, 0, 1), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 2, 0, 0, NULL);
	assert_int_equal(pread(f->img.fd, back, OP_BYTES, 0), OP_BYTES);
	for (unsigned i = 0; i < OP_BYTES; i++)
		assert_int_equal(back[i], 0);
	disk_aio_destroy(a);
}

/* The file shrank under us: the part past its end reads as zeros (a short transfer). */
static void test_short_read(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);

	memset(f->buf[1], 0x77, OP_BYTES);
	assert_int_equal(pwrite(f->img.fd, f->buf[1], OP_BYTES, 0), OP_BYTES);
	assert_int_equal(ftruncate(f->img.fd, SECT + 100), 0);
	memset(f->buf[0], 0xEE, OP_BYTES);
	assert_int_equal(disk_aio_readv(a, iov_of(f, 0), 2, 0, 0), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 1, 0, 0, NULL);
	for (unsigned i = 0; i < OP_BYTES; i++)
		assert_int_equal(f->buf[0][i], i < SECT + 100 ? 0x77 : 0);
	disk_aio_destroy(a);
}

/* Destroyed with everything in flight: it waits, and the data is there afterwards. */
static void test_destroy_in_flight(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	uint8_t back[OP_BYTES];

	for (unsigned i = 0; i < NR_OPS; i++) {
		memset(f->buf[i], (int)i + 1, OP_BYTES);
		assert_int_equal(disk_aio_writev(a, iov_of(f, i), 2, off_of(i), i), 0);
		if (i == NR_OPS / 2)
			assert_int_equal(disk_aio_submit(a), 0);
	}
	/* The second half is queued, not submitted: destroy starts it too. */
	disk_aio_destroy(a);
	for (unsigned i = 0; i < NR_OPS; i++) {
		assert_int_equal(pread(f->img.fd, back, OP_BYTES, (off_t)off_of(i)), OP_BYTES);
		assert_memory_equal(back, f->buf[i], OP_BYTES);
	}
}

/* The inline engine, reversed: completions come newest first. */
static void test_reverse_order(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	uint64_t order[NR_OPS];

	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(disk_aio_readv(a, iov_of(f, i), 2, off_of(i), i), 0);
	assert_int_equal(disk_aio_submit(a), 0);
	reap_all(a, 4, 0, 0, order);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(order[i], 3 - i);
	disk_aio_destroy(a);
}

/*
 * In a child: a system call fails with err from now on, as a container's
 * seccomp profile (EPERM for io_uring_setup) or a kernel short of memory
 * (EAGAIN for io_uring_enter) makes it.
 */
static int refuse_call(const char *call, int err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret = ctx ? 0 : -ENOMEM;

	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)err),
				       seccomp_syscall_resolve_name(call), 0);
	if (!ret && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ret = -errno;
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

/* What the child checks; its exit status is the first failed step. */
static int refused_child(struct fixture *f)
{
	struct disk_aio *a;
	struct disk_aio_done d;

	if (refuse_call("io_uring_setup", EPERM))
		return 1;
	f->opt.kind = DISK_AIO_URING;
	if (disk_aio_create(&a, &f->img, &f->opt) != -EPERM)
		return 2;
	f->opt.kind = DISK_AIO_AUTO;
	if (disk_aio_create(&a, &f->img, &f->opt) || disk_aio_kind(a) != DISK_AIO_POOL)
		return 3;
	memset(f->buf[0], 0x3C, OP_BYTES);
	if (disk_aio_writev(a, iov_of(f, 0), 2, SECT, 42) || disk_aio_submit(a))
		return 4;
	disk_aio_wait(a);
	if (disk_aio_reap(a, &d, 1) != 1 || d.tag != 42 || d.result != 0)
		return 5;
	/*
	 * Not destroyed: with any seccomp filter in force the pool's threads
	 * take themselves for confined VMM threads (sandbox_confine_thread) and
	 * narrow to the I/O list, which lacks what a sanitizer's thread exit
	 * calls (sigaltstack).  The process ends with them.
	 */
	return 0;
}

/* Run child(f) in a child process (its seccomp filter stays there); it must exit 0. */
static void in_child(struct fixture *f, int (*child)(struct fixture *))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(f));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: wait status %#x", status);
}

static void test_refused_falls_back_to_pool(void **state)
{
	struct fixture *f = *state;
	uint8_t back[OP_BYTES];

	in_child(f, refused_child);
	/* The child's pool wrote the file the parent shares. */
	assert_int_equal(pread(f->img.fd, back, OP_BYTES, SECT), OP_BYTES);
	for (unsigned i = 0; i < OP_BYTES; i++)
		assert_int_equal(back[i], 0x3C);
}

/* Queued and not yet submitted, counted by every engine; none once submitted. */
static void test_unsubmitted_counted(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a = engine(f);
	unsigned queued = f->opt.kind == DISK_AIO_INLINE ? 0 : 3;

	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(disk_aio_readv(a, iov_of(f, i), 2, off_of(i), i), 0);
	assert_int_equal(disk_aio_unsubmitted(a), queued);
	assert_int_equal(disk_aio_submit(a), 0);
	assert_int_equal(disk_aio_unsubmitted(a), 0);
	reap_all(a, 3, 0, 0, NULL);
	disk_aio_destroy(a);
}

/* What the child checks; its exit status is the first failed step. */
static int submit_refused_child(struct fixture *f)
{
	struct disk_aio *a;

	if (disk_aio_create(&a, &f->img, &f->opt))
		return 1;
	for (unsigned i = 0; i < 3; i++)
		if (disk_aio_writev(a, iov_of(f, i), 2, off_of(i), i))
			return 2;
	if (refuse_call("io_uring_enter", EAGAIN))
		return 3;
	if (disk_aio_submit(a) != -EAGAIN)
		return 4;
	/* Not failed, not lost: still queued, for the caller's next try. */
	if (disk_aio_unsubmitted(a) != 3 || disk_aio_pending(a) != 3)
		return 5;
	if (disk_aio_submit(a) != -EAGAIN || disk_aio_unsubmitted(a) != 3)
		return 6;
	return 0;
}

/* io_uring_enter refused for now: the queued operations stay queued and counted. */
static void test_submit_refused_keeps_queued(void **state)
{
	in_child(*state, submit_refused_child);
}

static void test_bad_options(void **state)
{
	struct fixture *f = *state;
	struct disk_aio *a;

	f->opt.depth = 0;
	assert_int_equal(disk_aio_create(&a, &f->img, &f->opt), -EINVAL);
	assert_null(a);
	f->opt.depth = DISK_AIO_MAX_DEPTH + 1;
	assert_int_equal(disk_aio_create(&a, &f->img, &f->opt), -EINVAL);
	disk_aio_destroy(NULL);
}

int main(void)
{
#define EACH(fn)                                                                                   \
	cmocka_unit_test_setup_teardown(fn, setup_uring, teardown),                                \
	    cmocka_unit_test_setup_teardown(fn, setup_pool, teardown),                             \
	    cmocka_unit_test_setup_teardown(fn, setup_inline, teardown),                           \
	    cmocka_unit_test_setup_teardown(fn, setup_inline_reverse, teardown)
	const struct CMUnitTest tests[] = {
	    EACH(test_many_in_flight),
	    EACH(test_checks_at_queue_time),
	    EACH(test_flush_and_discard),
	    EACH(test_short_read),
	    EACH(test_destroy_in_flight),
	    EACH(test_unsubmitted_counted),
	    cmocka_unit_test_setup_teardown(test_submit_refused_keeps_queued, setup_uring,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reverse_order, setup_inline_reverse, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_falls_back_to_pool, setup_pool, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_options, setup_pool, teardown),
	};
#undef EACH

	return cmocka_run_group_tests(tests, NULL, NULL);
}
