/* SPDX-License-Identifier: MIT */
/*
 * Disk images on a real file (in /dev/shm, a tmpfs, when there is one):
 * bounds, locking, read-only images, flush and discard.
 */
#include "block/disk_image.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECT	 512ULL
#define NSECT	 64ULL
#define IMG_SIZE (NSECT * SECT)

struct fixture {
	char path[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t buf[IMG_SIZE];
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/xkvm-disk-image-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	fd = mkstemp(f->path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	for (unsigned i = 0; i < IMG_SIZE; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (write_all(fd, buf, sizeof(buf))) {
		close(fd);
		unlink(f->path);
		free(f);
		return -1;
	}
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

static void test_open_size(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;

	assert_int_equal(disk_image_open(&img, f->path, false), 0);
	assert_int_equal(img.size, IMG_SIZE);
	assert_int_equal(img.sectors, NSECT);
	assert_false(img.readonly);
	assert_true(img.regular);
	disk_image_close(&img);
	assert_int_equal(img.fd, -1);
	disk_image_close(&img); /* twice is harmless */
	assert_int_equal(disk_image_open(&img, "/nonexistent/xkvm-image", true), -ENOENT);
	assert_int_equal(disk_image_open(&img, "/tmp", true), -EINVAL); /* a directory */
}

static void test_bounds(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t buf[2 * SECT], zero[SECT] = {0};

	assert_int_equal(disk_image_open(&img, f->path, false), 0);
	assert_int_equal(disk_image_read(&img, buf, (NSECT - 1) * SECT, SECT), 0);
	assert_int_equal(buf[0], (uint8_t)((NSECT - 1) * SECT * 7 + 1));
	/* One byte, one sector, or a wrapping length past the end: refused, nothing done. */
	assert_int_equal(disk_image_read(&img, buf, (NSECT - 1) * SECT, SECT + 1), -EINVAL);
	assert_int_equal(disk_image_read(&img, buf, NSECT * SECT, 1), -EINVAL);
	assert_int_equal(disk_image_read(&img, buf, UINT64_MAX, 2), -EINVAL);
	assert_int_equal(disk_image_write(&img, zero, NSECT * SECT - 1, 2), -EINVAL);
	assert_int_equal(disk_image_discard(&img, SECT, UINT64_MAX), -EINVAL);
	assert_int_equal(disk_image_read(&img, buf, NSECT * SECT - 1, 1), 0);
	assert_int_equal(buf[0], (uint8_t)((NSECT * SECT - 1) * 7 + 1));
	disk_image_close(&img);
}

/* A trailing partial sector is never served: the size rounds down. */
static void test_partial_sector(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t b;

	assert_int_equal(truncate(f->path, IMG_SIZE + 100), 0);
	assert_int_equal(disk_image_open(&img, f->path, true), 0);
	assert_int_equal(img.sectors, NSECT);
	assert_int_equal(disk_image_read(&img, &b, IMG_SIZE, 1), -EINVAL);
	disk_image_close(&img);
}

static void test_lock_conflict(void **state)
{
	struct fixture *f = *state;
	struct disk_image a, b;

	assert_int_equal(disk_image_open(&a, f->path, false), 0);
	assert_int_equal(disk_image_open(&b, f->path, false), -EWOULDBLOCK);
	assert_int_equal(disk_image_open(&b, f->path, true), -EWOULDBLOCK);
	disk_image_close(&a);
	/* Readers share; a writer waits for all of them. */
	assert_int_equal(disk_image_open(&a, f->path, true), 0);
	assert_int_equal(disk_image_open(&b, f->path, true), 0);
	disk_image_close(&a);
	assert_int_equal(disk_image_open(&a, f->path, false), -EWOULDBLOCK);
	disk_image_close(&b);
	assert_int_equal(disk_image_open(&a, f->path, false), 0);
	disk_image_close(&a);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t buf[SECT], orig[SECT];

	assert_int_equal(disk_image_open(&img, f->path, true), 0);
	assert_true(img.readonly);
	assert_false(img.can_discard);
	assert_int_equal(disk_image_read(&img, orig, 0, SECT), 0);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(disk_image_write(&img, buf, 0, SECT), -EROFS);
	assert_int_equal(disk_image_discard(&img, 0, SECT), -EROFS);
	assert_int_equal(disk_image_read(&img, buf, 0, SECT), 0);
	assert_memory_equal(buf, orig, SECT);
	disk_image_close(&img);
}

static void test_write_flush(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t a[SECT], b[SECT], back[2 * SECT];
	struct iovec iov[2] = {{a, SECT}, {b, SECT}};
	FILE *fp;

	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	assert_int_equal(disk_image_open(&img, f->path, false), 0);
	assert_int_equal(disk_image_writev(&img, iov, 2, 10 * SECT), 0);
	assert_int_equal(disk_image_flush(&img), 0);
	disk_image_close(&img);
	/* What was written is in the file, seen through another open. */
	fp = fopen(f->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 10 * SECT, SEEK_SET), 0);
	assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
	fclose(fp);
	assert_memory_equal(back, a, SECT);
	assert_memory_equal(back + SECT, b, SECT);
}

static void test_discard(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t buf[DISK_IMAGE_DISCARD_GRANULARITY], zero[DISK_IMAGE_DISCARD_GRANULARITY] = {0};
	struct stat before, after;

	assert_int_equal(disk_image_open(&img, f->path, false), 0);
	if (!img.can_discard) {
		/* The fallback: a clear refusal that leaves the data. */
		assert_int_equal(disk_image_discard(&img, 0, sizeof(buf)), -EOPNOTSUPP);
		disk_image_close(&img);
		skip();
	}
	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal(disk_image_discard(&img, DISK_IMAGE_DISCARD_GRANULARITY, sizeof(buf)), 0);
	assert_int_equal(disk_image_discard(&img, 0, 0), 0);
	assert_int_equal(disk_image_read(&img, buf, DISK_IMAGE_DISCARD_GRANULARITY, sizeof(buf)),
			 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	/* The size stays; the blocks go; the data around the hole stays. */
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_size, IMG_SIZE);
	assert_true(after.st_blocks < before.st_blocks);
	assert_int_equal(disk_image_read(&img, buf, 0, SECT), 0);
	assert_int_equal(buf[1], 8);
	disk_image_close(&img);
}

/* An image that shrank under the VMM reads zeros past the host file's end. */
static void test_shrunk_file(void **state)
{
	struct fixture *f = *state;
	struct disk_image img;
	uint8_t buf[SECT], zero[SECT] = {0};

	assert_int_equal(disk_image_open(&img, f->path, false), 0);
	assert_int_equal(truncate(f->path, 2 * SECT), 0);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(disk_image_read(&img, buf, 5 * SECT, SECT), 0);
	assert_memory_equal(buf, zero, SECT);
	disk_image_close(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_sector, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shrunk_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
