/* SPDX-License-Identifier: MIT */
/*
 * xenstored's unix socket, served by one thread: poll() on the listening
 * socket, the clients and an eventfd that wakes the thread for shutdown and
 * whenever a client's connection got output asynchronously (watch events).
 */
#include "xen/xs_socket.h"
#include "lib/unix_socket.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

#define MAX_CLIENTS 64
#define OUT_BUF	    (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)

struct xs_client {
	int fd;
	struct xs_conn *conn;
	/* Output taken from the conn but not yet accepted by the socket. */
	size_t out_off, out_len;
	uint8_t out[OUT_BUF];
};

struct xs_socket {
	struct xs_store *s;
	char *path;
	int listen_fd;
	int wake_fd; /* eventfd */
	bool stop;   /* accessed atomically */
	pthread_t thread;
	struct xs_client *clients[MAX_CLIENTS];
};

static void wake(struct xs_socket *sock)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow, in which case poll wakes anyway. */
	if (write(sock->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_once("xenstore socket: eventfd write: %s", strerror(errno));
}

static void client_notify(void *opaque)
{
	wake(opaque);
}

static void client_close(struct xs_socket *sock, unsigned i)
{
	struct xs_client *cl = sock->clients[i];

	xs_conn_free(cl->conn);
	close(cl->fd);
	free(cl);
	sock->clients[i] = NULL;
}

static void accept_client(struct xs_socket *sock)
{
	int fd = accept4(sock->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct xs_client *cl;
	unsigned i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && sock->clients[i]; i++)
		;
	cl = i < MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
	if (cl)
		cl->conn = xs_conn_new(sock->s, XS_DOM0, client_notify, sock);
	if (!cl || !cl->conn) {
		pr_warn_once("xenstore socket: refusing a client (limit %d or out of memory)",
			     MAX_CLIENTS);
		free(cl);
		close(fd);
		return;
	}
	cl->fd = fd;
	sock->clients[i] = cl;
}

/* Write as much output as the socket takes; false if the client is gone. */
static bool client_flush(struct xs_client *cl)
{
	for (;;) {
		ssize_t n;

		if (cl->out_off == cl->out_len) {
			cl->out_off = 0;
			cl->out_len = xs_conn_take_output(cl->conn, cl->out, sizeof(cl->out));
			if (!cl->out_len)
				return true;
		}
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		cl->out_off += (size_t)n;
	}
}

/* Read what the client sent; false if it hung up or broke the protocol. */
static bool client_read(struct xs_client *cl)
{
	uint8_t buf[4096];
	ssize_t n = read(cl->fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	return xs_conn_feed(cl->conn, buf, (size_t)n) == 0;
}

static bool client_wants_write(struct xs_client *cl)
{
	return cl->out_off < cl->out_len || xs_conn_has_output(cl->conn);
}

static void serve_clients(struct xs_socket *sock, const struct pollfd *pfd, const unsigned *slot,
			  unsigned nr)
{
	unsigned i;

	for (i = 0; i < nr; i++) {
		struct xs_client *cl = sock->clients[slot[i]];
		bool ok = true;

		if (!cl) /* closed by flush_all */
			continue;
		if (pfd[i].revents & POLLIN)
			ok = client_read(cl);
		else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
			ok = false;
		if (ok)
			ok = client_flush(cl);
		if (!ok)
			client_close(sock, slot[i]);
	}
}

/* Output may have appeared for any client (watch events): push it out. */
static void flush_all(struct xs_socket *sock)
{
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (sock->clients[i] && !client_flush(sock->clients[i]))
			client_close(sock, i);
}

static void *socket_thread(void *opaque)
{
	struct xs_socket *sock = opaque;
	struct pollfd pfd[MAX_CLIENTS + 2];
	unsigned slot[MAX_CLIENTS];
	unsigned nr, i;
	uint64_t count;

	while (!__atomic_load_n(&sock->stop, __ATOMIC_ACQUIRE)) {
		pfd[0] = (struct pollfd){.fd = sock->wake_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = sock->listen_fd, .events = POLLIN};
		for (nr = 0, i = 0; i < MAX_CLIENTS; i++) {
			struct xs_client *cl = sock->clients[i];

			if (!cl)
				continue;
			pfd[2 + nr] = (struct pollfd){
			    .fd = cl->fd,
			    .events = POLLIN | (client_wants_write(cl) ? POLLOUT : 0)};
			slot[nr++] = i;
		}
		if (poll(pfd, 2 + nr, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("xenstore socket: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(sock->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				pr_warn_once("xenstore socket: eventfd read: %s", strerror(errno));
			flush_all(sock);
		}
		serve_clients(sock, pfd + 2, slot, nr);
		if (pfd[1].revents & POLLIN)
			accept_client(sock);
	}
	return NULL;
}

/* Owner-only: whoever reaches it can change the guest's XenStore. */
static int open_listener(const char *path)
{
	int fd = unix_socket_listen(path, 0600, 16, SOCK_NONBLOCK);

	if (fd == -EEXIST)
		pr_err("xenstore socket '%s': cannot replace a file that is not a socket", path);
	else if (fd < 0)
		pr_err("xenstore socket '%s': %s", path, strerror(-fd));
	return fd;
}

struct xs_socket *xs_socket_open(struct xs_store *s, const char *path)
{
	struct xs_socket *sock = calloc(1, sizeof(*sock));
	int err;

	if (!sock || !(sock->path = strdup(path))) {
		pr_err("xenstore socket: out of memory");
		free(sock);
		return NULL;
	}
	sock->s = s;
	sock->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sock->listen_fd = sock->wake_fd < 0 ? -1 : open_listener(path);
	if (sock->wake_fd < 0)
		pr_err("xenstore socket: eventfd: %s", strerror(errno));
	if (sock->listen_fd < 0)
		goto fail;
	err = pthread_create(&sock->thread, NULL, socket_thread, sock);
	if (err) {
		pr_err("xenstore socket: thread: %s", strerror(err));
		close(sock->listen_fd);
		unlink(path);
		goto fail;
	}
	return sock;
fail:
	if (sock->wake_fd >= 0)
		close(sock->wake_fd);
	free(sock->path);
	free(sock);
	return NULL;
}

void xs_socket_close(struct xs_socket *sock)
{
	unsigned i;

	if (!sock)
		return;
	__atomic_store_n(&sock->stop, true, __ATOMIC_RELEASE);
	wake(sock);
	pthread_join(sock->thread, NULL);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (sock->clients[i])
			client_close(sock, i);
	close(sock->listen_fd);
	close(sock->wake_fd);
	unlink(sock->path);
	free(sock->path);
	free(sock);
}
