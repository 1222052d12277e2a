/* SPDX-License-Identifier: MIT */
#ifndef XKVM_LIB_UTIL_H
#define XKVM_LIB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define KIB		 1024ULL
#define MIB		 (1024ULL * KIB)
#define GIB		 (1024ULL * MIB)

/* A whole file read into memory (read-only mapping or heap copy). */
struct file_buf {
	const uint8_t *data;
	size_t size;
	bool mapped;
};

/*
 * Read a regular file.  Returns 0 or a negative errno; on error a message
 * naming the file has already been logged.  max_size bounds what we accept.
 */
int file_buf_open(struct file_buf *fb, const char *path, size_t max_size, const char *what);
void file_buf_close(struct file_buf *fb);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Write a whole file atomically and durably: a temporary beside it, fsync,
 * rename, fsync of the directory.  0 or -errno.
 */
int write_file_atomic(const char *path, const char *text, mode_t mode);
/* The same, path relative to the directory dir_fd (or AT_FDCWD). */
int write_file_atomic_at(int dir_fd, const char *path, const char *text, mode_t mode);
/* fsync the directory holding path (its entries: a rename, a new file).  0 or -errno. */
int fsync_parent_dir(const char *path);

/*
 * Read a small file (a pid file, /proc/PID/stat) into buf, NUL-terminated;
 * what does not fit in cap - 1 bytes is left unread.  Never follows a
 * symlink or blocks on a FIFO.  Returns the length or -errno.
 */
ssize_t read_small_file(const char *path, char *buf, size_t cap);

/* CLOCK_MONOTONIC in milliseconds: for deadlines and intervals. */
long long monotonic_ms(void);

/* True when [off, off+len) lies within [0, size) without overflow. */
static inline bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* The value of a hexadecimal digit, or -1. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* dir + "/" + name into out.  Returns 0, or -ENAMETOOLONG if it does not fit. */
int path_join(char *out, size_t len, const char *dir, const char *name);

#endif
