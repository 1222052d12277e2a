/* SPDX-License-Identifier: MIT */
/*
 * Disk images: open and lock, size, bounds-checked I/O with preadv/pwritev
 * (looping over short transfers), fdatasync flushes and hole punching.
 */
#include "block/disk_image.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(DISK_IMAGE_MAX_IOV <= IOV_MAX, "one preadv/pwritev takes a whole list");

static int image_size(struct disk_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st))
		return -errno;
	img->regular = S_ISREG(st.st_mode);
	if (img->regular) {
		img->size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(img->fd, BLKGETSIZE64, &img->size) ? -errno : 0;
	return -EINVAL;
}

/* Hole punching past the end of the file changes nothing and tells whether it works. */
static bool probe_discard(const struct disk_image *img)
{
	uint64_t off = ALIGN_UP(img->size, DISK_IMAGE_DISCARD_GRANULARITY);

	return img->regular && !img->readonly &&
	       fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			 DISK_IMAGE_DISCARD_GRANULARITY) == 0;
}

static int adopt(struct disk_image *img, int fd, const char *name, bool readonly)
{
	int ret;

	img->fd = fd;
	img->readonly = readonly;
	img->path = strdup(name);
	if (!img->path) {
		pr_err("disk image %s: out of memory", name);
		return -ENOMEM;
	}
	ret = image_size(img);
	if (ret) {
		pr_err("disk image %s: %s", name,
		       ret == -EINVAL ? "not a regular file or block device" : strerror(-ret));
		return ret;
	}
	if (img->size % DISK_IMAGE_SECTOR_SIZE)
		pr_warn("disk image %s: the last %" PRIu64 " bytes are not a whole sector", name,
			img->size % DISK_IMAGE_SECTOR_SIZE);
	img->sectors = img->size / DISK_IMAGE_SECTOR_SIZE;
	img->can_discard = probe_discard(img);
	return 0;
}

int disk_image_from_fd(struct disk_image *img, int fd, const char *name, bool readonly)
{
	int ret;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	ret = adopt(img, fd, name, readonly);
	if (ret)
		disk_image_close(img);
	return ret;
}

int disk_image_open(struct disk_image *img, const char *path, bool readonly)
{
	int fd, ret;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot open disk image %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = adopt(img, fd, path, readonly);
	/* Two writers (or a writer and a reader) on one image corrupt it. */
	if (!ret && flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		ret = -errno;
		pr_err("disk image %s: %s", path,
		       ret == -EWOULDBLOCK ? "in use by another process" : strerror(-ret));
	}
	if (ret)
		disk_image_close(img);
	return ret;
}

void disk_image_close(struct disk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->path);
	img->path = NULL;
}

/* Drop n transferred bytes from the front of an iovec array. */
static void iov_advance(struct iovec **iov, unsigned *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/*
 * Transfer all of iov at byte offset off but its first `done` bytes (made
 * already), looping over short transfers.
 */
static int transfer_all(int fd, const struct iovec *iov_in, unsigned cnt, uint64_t off, size_t done,
			bool write)
{
	struct iovec local[DISK_IMAGE_MAX_IOV];
	struct iovec *iov = local;

	memcpy(local, iov_in, cnt * sizeof(*iov_in));
	iov_advance(&iov, &cnt, done);
	off += done;
	while (cnt) {
		ssize_t n = write ? pwritev(fd, iov, (int)cnt, (off_t)off)
				  : preadv(fd, iov, (int)cnt, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (write)
				return -EIO;
			for (unsigned i = 0; i < cnt; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)n;
		iov_advance(&iov, &cnt, (size_t)n);
	}
	return 0;
}

int disk_image_check_io(const struct disk_image *img, const struct iovec *iov, unsigned cnt,
			uint64_t off, bool write)
{
	uint64_t len = 0;

	if (cnt > DISK_IMAGE_MAX_IOV)
		return -EINVAL;
	for (unsigned i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (!range_ok(off, len, img->sectors * DISK_IMAGE_SECTOR_SIZE))
		return -EINVAL;
	if (write && img->readonly)
		return -EROFS;
	return 0;
}

int disk_image_finish_io(struct disk_image *img, const struct iovec *iov, unsigned cnt,
			 uint64_t off, size_t done, bool write)
{
	int ret = disk_image_check_io(img, iov, cnt, off, write);

	if (ret)
		return ret;
	ret = transfer_all(img->fd, iov, cnt, off, done, write);
	if (ret)
		pr_warn_once("disk image %s: %s failed: %s", img->path, write ? "write" : "read",
			     strerror(-ret));
	return ret;
}

static int do_io(struct disk_image *img, const struct iovec *iov, unsigned cnt, uint64_t off,
		 bool write)
{
	return disk_image_finish_io(img, iov, cnt, off, 0, write);
}

int disk_image_readv(struct disk_image *img, const struct iovec *iov, unsigned cnt, uint64_t off)
{
	return do_io(img, iov, cnt, off, false);
}

int disk_image_writev(struct disk_image *img, const struct iovec *iov, unsigned cnt, uint64_t off)
{
	return do_io(img, iov, cnt, off, true);
}

int disk_image_read(struct disk_image *img, void *buf, uint64_t off, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	return do_io(img, &iov, 1, off, false);
}

int disk_image_write(struct disk_image *img, const void *buf, uint64_t off, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return do_io(img, &iov, 1, off, true);
}

int disk_image_flush(struct disk_image *img)
{
	int ret = fdatasync(img->fd) ? -errno : 0;

	if (ret)
		pr_warn_once("disk image %s: fdatasync failed: %s", img->path, strerror(-ret));
	return ret;
}

int disk_image_discard(struct disk_image *img, uint64_t off, uint64_t len)
{
	int ret;

	if (!range_ok(off, len, img->sectors * DISK_IMAGE_SECTOR_SIZE))
		return -EINVAL;
	if (img->readonly)
		return -EROFS;
	if (!img->can_discard)
		return -EOPNOTSUPP;
	if (len == 0)
		return 0;
	ret = fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len)
		  ? -errno
		  : 0;
	if (ret == -EOPNOTSUPP)
		/* The filesystem changed its mind (or the image moved): stop trying. */
		img->can_discard = false;
	else if (ret)
		pr_warn_once("disk image %s: discard failed: %s", img->path, strerror(-ret));
	return ret;
}
