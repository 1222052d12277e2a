/* SPDX-License-Identifier: MIT */
/*
 * A guest disk's backing store: an image file or a block device, opened
 * once and shared by whatever device model serves it (Xen blkback, the
 * emulated IDE disk).  The module owns the locking rule (two VMMs never
 * write one image), the size, bounds-checked byte I/O, durability (flush)
 * and hole punching (discard); device models speak in their own sector
 * sizes on top of it.
 */
#ifndef XKVM_BLOCK_DISK_IMAGE_H
#define XKVM_BLOCK_DISK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define DISK_IMAGE_SECTOR_SIZE 512U
/* Hole punching frees whole filesystem blocks; the probe and discard granularity. */
#define DISK_IMAGE_DISCARD_GRANULARITY 4096U

struct disk_image {
	int fd;
	char *path;	  /* for messages */
	uint64_t size;	  /* bytes */
	uint64_t sectors; /* whole 512-byte sectors; a trailing partial sector is never served */
	bool readonly;
	bool regular;	  /* a regular file (not a block device) */
	bool can_discard; /* hole punching works (probed at open) */
};

/*
 * Open path read-only or read-write and take a shared (read-only) or
 * exclusive (read-write) lock on it, so a second writer, or a writer
 * beside readers, is refused with -EWOULDBLOCK.  The lock belongs to the
 * open file description, so it conflicts within one process too.  Every
 * error is logged with the file's name.  0 or -errno.
 */
int disk_image_open(struct disk_image *img, const char *path, bool readonly);
/*
 * Adopt an already open fd (the caller keeps locking to itself): for
 * tests and fuzzers on memfds.  The image takes ownership of fd.
 */
int disk_image_from_fd(struct disk_image *img, int fd, const char *name, bool readonly);
/* Close and release the lock; safe on a zeroed or already closed image. */
void disk_image_close(struct disk_image *img);

/*
 * Transfer len bytes at byte offset off.  -EINVAL when the range is not
 * within the image's whole sectors, -EROFS for a write to a read-only
 * image, -EIO or -errno from the host.  A read past the host file's end
 * (the file shrank under us) reads zeros.
 */
int disk_image_read(struct disk_image *img, void *buf, uint64_t off, size_t len);
int disk_image_write(struct disk_image *img, const void *buf, uint64_t off, size_t len);
/*
 * The same for scatter-gather lists of at most DISK_IMAGE_MAX_IOV entries:
 * enough for blkback's largest indirect request in one system call (and
 * below the kernel's IOV_MAX).
 */
#define DISK_IMAGE_MAX_IOV 256
int disk_image_readv(struct disk_image *img, const struct iovec *iov, unsigned cnt, uint64_t off);
int disk_image_writev(struct disk_image *img, const struct iovec *iov, unsigned cnt, uint64_t off);
/*
 * What readv/writev check before any I/O (list length, range, read-only):
 * for the asynchronous engine (block/disk_aio.h), which refuses a bad
 * request when it is queued rather than when it completes.
 */
int disk_image_check_io(const struct disk_image *img, const struct iovec *iov, unsigned cnt,
			uint64_t off, bool write);
/*
 * Finish a transfer of which the first done bytes are already made (an
 * asynchronous read or write that came back short): the rest, with the
 * same rules as readv/writev (zeros past the host file's end).
 */
int disk_image_finish_io(struct disk_image *img, const struct iovec *iov, unsigned cnt,
			 uint64_t off, size_t done, bool write);

/*
 * Make every completed write durable (fdatasync): what a guest was told
 * is flushed survives a VMM or host crash.  0 or -errno.
 */
int disk_image_flush(struct disk_image *img);
/*
 * Free [off, off+len) (it then reads as zeros).  -EOPNOTSUPP when the
 * image cannot punch holes (the caller stops offering discard; the data
 * stays, which a discard allows), -EINVAL out of range, -EROFS read-only.
 */
int disk_image_discard(struct disk_image *img, uint64_t off, uint64_t len);

#endif
