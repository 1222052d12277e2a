/* SPDX-License-Identifier: MIT */
/*
 * The console's thread and its output buffer.
 *
 * Output is never written where it is produced: the Xen service thread
 * drains the guest's hvc0 ring and serves XenStore too, and a reader of
 * out_fd that stalls (xkvmd busy, a terminal nobody reads, a full pipe)
 * must not stall it, nor every guest waiting on XenStore.  Producers copy
 * into a bounded ring buffer; only this thread writes out_fd, when poll
 * says it takes more.  What does not fit stays with the producer: the
 * hvc0 ring keeps it in the guest (back-pressure, as xenconsoled does),
 * a UART's vCPU waits a bounded time (console_write).
 *
 * The writes must not wait either, or the thread could not stop.
 * O_NONBLOCK belongs to an open file description, which out_fd shares
 * with whoever else holds it (the shell whose stdout it is, the other
 * commands of a pipeline); setting it there would hand them EAGAIN, and
 * dup() shares the description.  So a pipe or a terminal is opened again
 * through /proc/self/fd: a description of our own of the same pipe or
 * terminal, non-blocking.  A socket takes MSG_DONTWAIT on each send.  A
 * regular file never waits for a reader and is written as it is.  Should
 * the reopening fail, the thread writes out_fd itself, at most PIPE_BUF
 * bytes once poll said it can take some: a pipe then takes them without
 * waiting, a terminal may wait, but only this thread waits.
 */
#include "devices/console.h"
#include "core/sandbox.h"
#include "core/vm.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long the thread waits for input the guest has not taken before it offers it again. */
#define INPUT_RETRY_MS 10

/* write_fd: out_fd as it is, or a non-blocking description of our own of it (see above). */
static void open_writer(struct console *c)
{
	struct stat st;
	char path[40];
	int fd;

	c->write_fd = c->out_fd;
	if (c->out_fd < 0 || fstat(c->out_fd, &st))
		return;
	c->write_is_socket = S_ISSOCK(st.st_mode);
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->out_fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		pr_warn("console output: cannot open it again non-blocking (%s): a reader that "
			"stalls may hold the console's thread",
			strerror(errno));
		return;
	}
	c->write_fd = fd;
	c->write_fd_owned = true;
}

static void raw_terminal(struct console *c)
{
	struct termios raw;

	if (c->in_fd < 0 || !isatty(c->in_fd) || tcgetattr(c->in_fd, &c->saved))
		return;
	/* Every key goes to the guest, including Ctrl-C; output is the guest's own. */
	raw = c->saved;
	cfmakeraw(&raw);
	if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0) {
		c->raw = true;
		log_set_crlf(true);
	}
}

int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd)
{
	pthread_condattr_t attr;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->stall_ms = CONSOLE_STALL_MS;
	pthread_mutex_init(&c->out_lock, NULL);
	/* Waits for progress are timed on the monotonic clock: the wall clock may jump. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->out_progress, &attr);
	pthread_condattr_destroy(&attr);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	open_writer(c);
	raw_terminal(c);
	return 0;
}

static void wake_thread(struct console *c)
{
	/* EAGAIN: the counter is full, so the thread has a wake-up pending anyway. */
	if (write(c->wake_fd, &(uint64_t){1}, sizeof(uint64_t)) < 0 && errno != EAGAIN)
		pr_warn_once("console wake: %s", strerror(errno));
}

/* No output goes anywhere (no out_fd, or it failed): take len as written.  With out_lock. */
static bool discard_locked(struct console *c, size_t len)
{
	if (c->write_fd < 0)
		return true;
	if (c->out_failed)
		c->dropped += len;
	return c->out_failed;
}

/* Copy what fits of buf after the ring's end; returns how much.  With out_lock. */
static size_t queue_locked(struct console *c, const uint8_t *buf, size_t len)
{
	size_t n = MIN(len, CONSOLE_OUT_BUF - c->out_len);
	size_t tail = (c->out_head + c->out_len) % CONSOLE_OUT_BUF;
	size_t first = MIN(n, CONSOLE_OUT_BUF - tail);

	/* The thread sleeps while there is nothing to write: the first bytes wake it. */
	if (n && !c->out_len)
		wake_thread(c);
	memcpy(c->out_buf + tail, buf, first);
	memcpy(c->out_buf, buf + first, n - first);
	c->out_len += n;
	return n;
}

size_t console_offer(struct console *c, const uint8_t *buf, size_t len)
{
	size_t n = len;

	pthread_mutex_lock(&c->out_lock);
	if (!discard_locked(c, len)) {
		n = queue_locked(c, buf, len);
		if (n < len)
			c->want_room = true;
	}
	pthread_mutex_unlock(&c->out_lock);
	return n;
}

/* Wait until the thread writes some out; false after stall_ms without.  With out_lock. */
static bool wait_progress_locked(struct console *c)
{
	uint64_t seen = c->out_written;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += c->stall_ms / 1000;
	until.tv_nsec += (long)(c->stall_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (c->out_written == seen && !c->out_failed)
		if (pthread_cond_timedwait(&c->out_progress, &c->out_lock, &until) == ETIMEDOUT)
			return c->out_written != seen || c->out_failed;
	return true;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&c->out_lock);
	while (len && !discard_locked(c, len)) {
		size_t n;

		/* A reader that took nothing for stall_ms: a terminal server drops, so do we. */
		if (c->stalled) {
			c->dropped += len;
			break;
		}
		n = queue_locked(c, buf, len);
		buf += n;
		len -= n;
		if (len && !wait_progress_locked(c)) {
			pr_warn(
			    "console output: the reader took nothing for %u ms; dropping output "
			    "until it takes some",
			    c->stall_ms);
			c->stalled = true;
		}
	}
	pthread_mutex_unlock(&c->out_lock);
}

void console_set_room(struct console *c, console_room_fn fn, void *opaque)
{
	pthread_mutex_lock(&c->out_lock);
	c->room = fn;
	c->room_opaque = opaque;
	pthread_mutex_unlock(&c->out_lock);
}

/* Give up on what is buffered: out_fd failed, or the reader stalled at the end.  With out_lock. */
static void give_up_locked(struct console *c)
{
	c->dropped += c->out_len;
	c->out_head = c->out_len = 0;
	pthread_cond_broadcast(&c->out_progress);
}

static ssize_t write_some(struct console *c, const uint8_t *p, size_t len)
{
	if (c->write_is_socket)
		return send(c->write_fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(c->write_fd, p, len);
}

/*
 * Account for a write of the ring's first n bytes, or its error err; true:
 * a producer waits for a room call.  With out_lock.
 */
static bool written_locked(struct console *c, ssize_t n, int err)
{
	bool room;

	if (n > 0) {
		c->out_head = (c->out_head + (size_t)n) % CONSOLE_OUT_BUF;
		c->out_len -= (size_t)n;
		c->out_written += (uint64_t)n;
		c->stalled = false;
		pthread_cond_broadcast(&c->out_progress);
	} else if (n < 0 && err != EAGAIN && err != EINTR) {
		pr_warn("console output: %s; discarding it from now on", strerror(err));
		c->out_failed = true;
		give_up_locked(c);
	}
	room = c->want_room && (n > 0 || c->out_failed);
	if (room)
		c->want_room = false;
	return room;
}

/* Write out what write_fd takes now, from the ring's head. */
static void write_out(struct console *c)
{
	size_t len;
	ssize_t n;
	int err;
	bool room;
	console_room_fn fn;
	void *opaque;

	pthread_mutex_lock(&c->out_lock);
	len = MIN(c->out_len, CONSOLE_OUT_BUF - c->out_head);
	pthread_mutex_unlock(&c->out_lock);
	/*
	 * Unlocked: only this thread takes from the ring, and producers add
	 * after its end only, so these bytes hold still.
	 */
	n = write_some(c, c->out_buf + c->out_head, MIN(len, PIPE_BUF));
	err = errno;
	pthread_mutex_lock(&c->out_lock);
	room = written_locked(c, n, err);
	fn = c->room;
	opaque = c->room_opaque;
	pthread_mutex_unlock(&c->out_lock);
	/* Outside the lock: the room call may offer more output at once. */
	if (room && fn)
		fn(opaque);
}

/* Input from in_fd, up to an escape; what came before the escape still goes to the guest. */
static void read_input(struct console *c)
{
	ssize_t n = read(c->in_fd, c->in_buf, sizeof(c->in_buf));
	uint8_t *esc;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->in_closed = true; /* end of input: the guest keeps running without it */
		return;
	}
	c->in_off = 0;
	c->in_len = (size_t)n;
	esc = c->no_escape ? NULL : memchr(c->in_buf, CONSOLE_ESCAPE, (size_t)n);
	if (esc) {
		c->in_len = (size_t)(esc - c->in_buf);
		c->in_closed = true;
		vm_request_stop(c->vm, VM_STOP_HOST, "console escape (Ctrl-])");
	}
}

/* Offer the guest what it has not taken yet, else what in_fd has now. */
static void serve_input(struct console *c, short revents)
{
	size_t n;

	if (!c->in_len && revents)
		read_input(c);
	if (!c->in_len)
		return;
	n = c->sink(c->sink_opaque, c->in_buf + c->in_off, c->in_len);
	c->in_off += n;
	c->in_len -= n;
}

static void drain_wake(struct console *c)
{
	uint64_t count;

	if (read(c->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		pr_warn_once("console wake: %s", strerror(errno));
}

/*
 * One round: wait for a wake-up, input, or room in out_fd while there is
 * output.  Input the guest has not taken is offered again every
 * INPUT_RETRY_MS; once asked to stop, the thread writes what the reader
 * takes within stall_ms.  False: the thread is done.
 */
static bool serve_round(struct console *c)
{
	struct pollfd fds[3] = {{.fd = c->wake_fd, .events = POLLIN},
				{.fd = -1, .events = POLLIN},
				{.fd = -1, .events = POLLOUT}};
	int timeout = c->in_len ? INPUT_RETRY_MS : -1;
	bool stopping, input;
	int n;

	pthread_mutex_lock(&c->out_lock);
	stopping = c->stopping;
	fds[2].fd = c->out_len ? c->write_fd : -1;
	pthread_mutex_unlock(&c->out_lock);
	if (stopping && fds[2].fd < 0)
		return false;
	/* Stopping: output only, so that typing cannot put off the end. */
	input = !stopping && c->sink && c->in_fd >= 0 && (!c->in_closed || c->in_len);
	if (input && !c->in_len)
		fds[1].fd = c->in_fd;
	if (stopping)
		timeout = (int)c->stall_ms;
	n = poll(fds, 3, timeout);
	if (n < 0)
		return errno == EINTR;
	if (n == 0 && stopping)
		return false;
	if (fds[0].revents)
		drain_wake(c);
	if (fds[2].revents)
		write_out(c);
	if (input)
		serve_input(c, fds[1].revents);
	return true;
}

static void *console_thread(void *arg)
{
	struct console *c = arg;

	sandbox_confine_thread(SANDBOX_CONTROL);
	while (serve_round(c))
		;
	/* What the reader did not take before the end, or before poll failed. */
	pthread_mutex_lock(&c->out_lock);
	give_up_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	return NULL;
}

int console_start(struct console *c, console_sink_fn sink, void *opaque)
{
	int r;

	c->sink = sink;
	c->sink_opaque = opaque;
	r = pthread_create(&c->thread, NULL, console_thread, c);
	if (r)
		return -r;
	c->thread_started = true;
	return 0;
}

void console_destroy(struct console *c)
{
	if (c->thread_started) {
		pthread_mutex_lock(&c->out_lock);
		c->stopping = true;
		pthread_mutex_unlock(&c->out_lock);
		wake_thread(c);
		pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	if (c->dropped)
		pr_warn("console output: %" PRIu64 " bytes dropped that the reader did not take",
			c->dropped);
	if (c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		log_set_crlf(false);
		c->raw = false;
	}
	if (c->write_fd_owned)
		close(c->write_fd);
	c->write_fd = -1;
	c->write_fd_owned = false;
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
	pthread_cond_destroy(&c->out_progress);
	pthread_mutex_destroy(&c->out_lock);
}
