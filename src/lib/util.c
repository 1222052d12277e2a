/* SPDX-License-Identifier: MIT */
#include "lib/util.h"
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int file_buf_open(struct file_buf *fb, const char *path, size_t max_size, const char *what)
{
	struct stat st;
	void *map;
	int fd, err;

	memset(fb, 0, sizeof(*fb));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("%s '%s': %s", what, path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		pr_err("%s '%s': %s", what, path, strerror(errno));
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s '%s': not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max_size) {
		pr_err("%s '%s': too large (%lld bytes, limit %zu)", what, path,
		       (long long)st.st_size, max_size);
		close(fd);
		return -EFBIG;
	}
	if (st.st_size == 0) {
		close(fd);
		fb->data = (const uint8_t *)"";
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = errno;
	close(fd);
	if (map == MAP_FAILED) {
		pr_err("%s '%s': %s", what, path, strerror(err));
		return -err;
	}
	fb->data = map;
	fb->size = (size_t)st.st_size;
	fb->mapped = true;
	return 0;
}

void file_buf_close(struct file_buf *fb)
{
	if (fb->mapped)
		munmap((void *)fb->data, fb->size);
	memset(fb, 0, sizeof(*fb));
}

int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Some file systems (9p, some FUSE) cannot sync a directory: nothing more to do there. */
static int sync_dir(int fd)
{
	return fsync(fd) && errno != EINVAL && errno != EROFS && errno != ENOTSUP ? -errno : 0;
}

/* fsync the directory holding path, relative to dir_fd (or AT_FDCWD). */
static int fsync_parent_dir_at(int dir_fd, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r;

	/* dir_fd itself: no lookup (a confined VMM may not open directories by path). */
	if (!slash && dir_fd != AT_FDCWD)
		return sync_dir(dir_fd);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = openat(dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = sync_dir(fd);
	close(fd);
	return r;
}

int fsync_parent_dir(const char *path)
{
	return fsync_parent_dir_at(AT_FDCWD, path);
}

int write_file_atomic_at(int dir_fd, const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && renameat(dir_fd, tmp, dir_fd, path))
		r = -errno;
	if (r)
		unlinkat(dir_fd, tmp, 0);
	/* The rename is an entry of the directory: stable only once the directory is. */
	if (!r)
		r = fsync_parent_dir_at(dir_fd, path);
	return r;
}

int write_file_atomic(const char *path, const char *text, mode_t mode)
{
	return write_file_atomic_at(AT_FDCWD, path, text, mode);
}

ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
