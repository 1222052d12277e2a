/* SPDX-License-Identifier: MIT */
/*
 * xkvm-netperf server PORT
 * xkvm-netperf client HOST PORT MIB
 *
 * TCP bulk transfer from client to server.  The server accepts one
 * connection, reads until the client closes its side, and prints
 * "netperf: <value> MB/s" (MB = 10^6 bytes), timed on the receiver from
 * the first byte to the end of the stream; then it closes and exits.
 * The client sends MIB MiB and waits for the server to close, so that it
 * returns only once everything has arrived.  It retries connecting for a
 * while, as the server side (or the network) may come up after it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "netperf"
#include "bench_tool.h"

#define BUF_SIZE      (128 * 1024)
#define CONNECT_TRIES 120 /* one a second */

static char buf[BUF_SIZE];

static int server(int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_ANY)};
	int one = 1, lfd, fd;
	uint64_t total = 0;
	double t0 = 0, dt;
	ssize_t n;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1))
		die("bind/listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (total == 0)
			t0 = now();
		total += (uint64_t)n;
	}
	dt = now() - t0;
	if (total == 0) {
		fprintf(stderr, "netperf: no data received\n");
		return 1;
	}
	/* Printed before the close that tells the client we are done. */
	printf("netperf: %.1f MB/s (%llu bytes in %.3f s)\n", (double)total / 1e6 / dt,
	       (unsigned long long)total, dt);
	fflush(stdout);
	close(fd);
	return 0;
}

static int client(const char *host, int port, uint64_t bytes)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	double t0, dt;
	int fd = -1;

	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "netperf: %s is not an IPv4 address\n", host);
		return 2;
	}
	for (int i = 0; i < CONNECT_TRIES; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		close(fd);
		fd = -1;
		sleep(1);
	}
	if (fd < 0)
		die("connect");
	memset(buf, 0xa5, sizeof(buf));
	t0 = now();
	for (uint64_t sent = 0; sent < bytes;) {
		size_t len = bytes - sent < BUF_SIZE ? (size_t)(bytes - sent) : BUF_SIZE;
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		sent += (uint64_t)n;
	}
	/* Half-close, then wait for the server's close: all bytes have arrived. */
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	dt = now() - t0;
	close(fd);
	printf("netperf-client: sent %llu bytes in %.3f s\n", (unsigned long long)bytes, dt);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return server(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10) * 1024 * 1024);
	fprintf(stderr, "usage: %s server PORT\n       %s client HOST PORT MIB\n", argv[0],
		argv[0]);
	return 2;
}
