/* SPDX-License-Identifier: MIT */
#include "devices/console.h"
#include "core/sandbox.h"
#include "core/vm.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	if (in_fd >= 0 && isatty(in_fd) && tcgetattr(in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;

		/* Every key goes to the guest, including Ctrl-C; output is the guest's own. */
		cfmakeraw(&raw);
		if (tcsetattr(in_fd, TCSANOW, &raw) == 0) {
			c->raw = true;
			log_set_crlf(true);
		}
	}
	return 0;
}

/* Deliver buf to the sink, waiting while the guest has not drained its buffer. */
static bool deliver(struct console *c, const uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = c->sink(c->sink_opaque, buf, len);
		struct pollfd wake = {.fd = c->wake_fd, .events = POLLIN};

		buf += n;
		len -= n;
		if (len && poll(&wake, 1, 10) > 0)
			return false;
	}
	return true;
}

static void *input_thread(void *arg)
{
	struct console *c = arg;
	uint8_t buf[256];

	sandbox_confine_thread(SANDBOX_CONTROL);
	for (;;) {
		struct pollfd fds[2] = {{.fd = c->in_fd, .events = POLLIN},
					{.fd = c->wake_fd, .events = POLLIN}};
		ssize_t n;
		uint8_t *esc;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of input: the guest keeps running without it */
		esc = c->no_escape ? NULL : memchr(buf, CONSOLE_ESCAPE, (size_t)n);
		if (esc) {
			deliver(c, buf, (size_t)(esc - buf));
			vm_request_stop(c->vm, VM_STOP_HOST, "console escape (Ctrl-])");
			break;
		}
		if (!deliver(c, buf, (size_t)n))
			break;
	}
	return NULL;
}

int console_start_input(struct console *c, console_sink_fn sink, void *opaque)
{
	int r;

	if (c->in_fd < 0)
		return 0;
	c->sink = sink;
	c->sink_opaque = opaque;
	r = pthread_create(&c->thread, NULL, input_thread, c);
	if (r)
		return -r;
	c->thread_started = true;
	return 0;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	int r = write_all(c->out_fd, buf, len);

	if (r)
		pr_warn_once("console output: %s", strerror(-r));
}

void console_destroy(struct console *c)
{
	if (c->thread_started) {
		if (write(c->wake_fd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
			pr_warn("console wake: %s", strerror(errno));
		pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	if (c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		log_set_crlf(false);
		c->raw = false;
	}
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
}
