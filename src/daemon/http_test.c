/* SPDX-License-Identifier: MIT */
/* The HTTP layer on real sockets: a temporary unix socket and loopback TCP. */
#include "daemon/http.h"
#include "lib/unix_socket.h"
#include "lib/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN "0123456789abcdef"

struct fixture {
	char dir[64];
	char sock[128];
	char web[128];
	struct http_server *srv;
};

/* The upgraded connection is closed at once. */
static void ws_close(void *arg, int fd, const uint8_t *extra, size_t extra_len, int stop_fd)
{
	(void)arg, (void)fd, (void)extra, (void)extra_len, (void)stop_fd;
}

/* /rest/v0/ws is a WebSocket; /rest/v0/echo answers the body's length; everything else under /rest
 * is 404. */
static void fake_api(void *ctx, const struct http_request *req, struct http_reply *reply)
{
	(void)ctx;
	if (strcmp(req->path, "/rest/v0/ws") == 0) {
		reply->upgrade = ws_close;
		return;
	}
	if (strcmp(req->path, "/rest/v0/echo") == 0) {
		reply->json = json_pack("{s:I}", "len", (json_int_t)req->body_len);
		return;
	}
	http_reply_error(reply, 404, "not found");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct http_config cfg = {0};
	char path[256];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/xkvmd-http-test-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->sock, sizeof(fx->sock), "%s/api.sock", fx->dir);
	snprintf(fx->web, sizeof(fx->web), "%s/web", fx->dir);
	assert_int_equal(mkdir(fx->web, 0755), 0);
	snprintf(path, sizeof(path), "%s/index.html", fx->web);
	write_file(path, "<html>ui</html>");
	snprintf(path, sizeof(path), "%s/app.js", fx->web);
	write_file(path, "let x;");
	snprintf(path, sizeof(path), "%s/secret", fx->dir);
	write_file(path, "SECRET");
	snprintf(path, sizeof(path), "%s/link.txt", fx->web);
	assert_int_equal(symlink("../secret", path), 0);
	cfg.unix_path = fx->sock;
	cfg.listen = "127.0.0.1:0";
	cfg.token = TOKEN;
	cfg.web_dir = fx->web;
	cfg.api = fake_api;
	assert_int_equal(http_start(&fx->srv, &cfg), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	http_stop(fx->srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", fx->dir);
	free(fx);
	return 0;
}

static int connect_tcp(const struct fixture *fx)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)http_tcp_port(fx->srv))};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int connect_unix(const struct fixture *fx)
{
	int fd = unix_socket_connect(fx->sock);

	assert_true(fd >= 0);
	/* Blocking, so a large request is sent whole. */
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	return fd;
}

/* Send a raw request and read the whole answer (the server closes: Connection: close). */
static char *exchange(int fd, const char *req, size_t req_len)
{
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);

	for (size_t off = 0; off < req_len;) {
		ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* the server may answer and close before reading everything */
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		assert_true(poll(&p, 1, 5000) == 1);
		n = recv(fd, out + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		assert_true(len < cap - 1);
	}
	out[len] = '\0';
	close(fd);
	return out;
}

static char *get(int fd, const char *path, const char *headers)
{
	char req[1024];
	int n =
	    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
		     path, headers ? headers : "");

	return exchange(fd, req, (size_t)n);
}

static void expect(char *resp, const char *status, const char *text)
{
	if (strncmp(resp, status, strlen(status)) != 0 || (text && !strstr(resp, text)))
		fail_msg("expected %s / %s in:\n%s", status, text ? text : "", resp);
	free(resp);
}

static void test_tcp_needs_token(void **state)
{
	struct fixture *fx = *state;

	expect(get(connect_tcp(fx), "/rest/v0/echo", NULL), "HTTP/1.1 401",
	       "{\"error\":\"missing or wrong token\"}");
	expect(get(connect_tcp(fx), "/rest/v0/echo", "Authorization: Bearer wrong\r\n"),
	       "HTTP/1.1 401", NULL);
	expect(get(connect_tcp(fx), "/rest/v0/echo", "Authorization: Bearer " TOKEN "\r\n"),
	       "HTTP/1.1 200", "{\"len\":0}");
	/* Browsers send cookies to every port of 127.0.0.1: a cookie is no credential. */
	expect(get(connect_tcp(fx), "/rest/v0/echo", "Cookie: authenticationToken=" TOKEN "\r\n"),
	       "HTTP/1.1 401", NULL);
	/* Nor is the URL (it ends up in logs and history): the UI takes ?token= itself. */
	expect(get(connect_tcp(fx), "/rest/v0/echo?token=" TOKEN, NULL), "HTTP/1.1 401", NULL);
	expect(get(connect_tcp(fx), "/rest/v0/echo",
		   "Authorization: Bearer " TOKEN "\r\nOrigin: http://evil.example\r\n"),
	       "HTTP/1.1 403", NULL);
	/* The UI's files need no token (it shows a sign-in page); no cookie is set. */
	expect(get(connect_tcp(fx), "/index.html", NULL), "HTTP/1.1 200", "<html>ui</html>");
	expect(get(connect_tcp(fx), "/vms?token=" TOKEN, NULL), "HTTP/1.1 200", NULL);
	{
		char *r = get(connect_tcp(fx), "/?token=" TOKEN, NULL);

		assert_null(strcasestr(r, "Set-Cookie"));
		expect(r, "HTTP/1.1 200", NULL);
	}
	expect(get(connect_tcp(fx), "/", "Origin: http://evil.example\r\n"), "HTTP/1.1 403", NULL);
	/* The unix socket's access is the credential. */
	expect(get(connect_unix(fx), "/rest/v0/echo", NULL), "HTTP/1.1 200", "{\"len\":0}");
}

/* Every answer, file or JSON, carries the headers that pin the UI to this service. */
static void test_security_headers(void **state)
{
	struct fixture *fx = *state;
	const char *paths[] = {"/", "/app.js", "/rest/v0/echo", "/missing.css"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *r = get(connect_tcp(fx), paths[i], "Authorization: Bearer " TOKEN "\r\n");

		if (!strstr(r, "\r\nContent-Security-Policy: default-src 'self';") ||
		    !strstr(r, "frame-ancestors 'none'") ||
		    !strstr(r, "\r\nReferrer-Policy: no-referrer\r\n") ||
		    !strstr(r, "\r\nX-Content-Type-Options: nosniff\r\n"))
			fail_msg("%s: missing a security header in:\n%s", paths[i], r);
		free(r);
	}
}

static char *ws_get(const struct fixture *fx, const char *protocols)
{
	char hdr[512];

	snprintf(hdr, sizeof(hdr),
		 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: %s\r\n",
		 protocols);
	return get(connect_tcp(fx), "/rest/v0/ws", hdr);
}

/* A browser's WebSocket carries the token as a subprotocol; the server picks xkvm-console. */
static void test_ws_token_subprotocol(void **state)
{
	struct fixture *fx = *state;

	expect(ws_get(fx, WS_PROTOCOL ", " WS_TOKEN_PREFIX TOKEN), "HTTP/1.1 101",
	       "\r\nSec-WebSocket-Protocol: " WS_PROTOCOL "\r\n");
	expect(ws_get(fx, WS_PROTOCOL ", " WS_TOKEN_PREFIX "wrong"), "HTTP/1.1 401", NULL);
	expect(ws_get(fx, WS_PROTOCOL), "HTTP/1.1 401", NULL);
	/* Without the protocol the server could echo, a browser would fail the handshake. */
	expect(ws_get(fx, WS_TOKEN_PREFIX TOKEN), "HTTP/1.1 401", NULL);
}

/*
 * Loopback clients all have one address: idle connections that never send
 * a request (never show the token) must not lock the real user out, even
 * more of them than the server takes at all.
 */
static void test_idle_connections_do_not_lock_out(void **state)
{
	struct fixture *fx = *state;
	int idle[HTTP_MAX_CONNECTIONS + 64];
	const size_t n = sizeof(idle) / sizeof(idle[0]);

	for (size_t i = 0; i < n; i++)
		idle[i] = connect_tcp(fx);
	for (int i = 0; i < 3; i++)
		expect(get(connect_tcp(fx), "/rest/v0/echo", "Authorization: Bearer " TOKEN "\r\n"),
		       "HTTP/1.1 200", "{\"len\":0}");
	for (size_t i = 0; i < n; i++)
		close(idle[i]);
}

static void test_body_cap(void **state)
{
	struct fixture *fx = *state;
	size_t big = HTTP_BODY_MAX + 1;
	char head[256], *req;
	int n;

	/* Announced too large: refused before the body is read. */
	n = snprintf(head, sizeof(head),
		     "POST /rest/v0/echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     big);
	expect(exchange(connect_unix(fx), head, (size_t)n), "HTTP/1.1 413", "too large");
	/* Chunked past the cap. */
	req = malloc(big + 4096);
	n = snprintf(req, 4096,
		     "POST /rest/v0/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		     "Connection: close\r\n\r\n%zx\r\n",
		     big);
	memset(req + n, 'a', big);
	snprintf(req + n + big, 8, "\r\n0\r\n\r\n");
	expect(exchange(connect_unix(fx), req, (size_t)n + big + 7), "HTTP/1.1 413", NULL);
	/* Within the cap. */
	n = snprintf(req, 4096,
		     "POST /rest/v0/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nhello");
	expect(exchange(connect_unix(fx), req, (size_t)n), "HTTP/1.1 200", "{\"len\":5}");
	free(req);
}

static void test_static_files(void **state)
{
	struct fixture *fx = *state;

	expect(get(connect_unix(fx), "/", NULL), "HTTP/1.1 200", "<html>ui</html>");
	expect(get(connect_unix(fx), "/app.js", NULL), "HTTP/1.1 200",
	       "Content-Type: text/javascript");
	/* Client-side routes get the app; missing files with a dot do not. */
	expect(get(connect_unix(fx), "/vms/web1", NULL), "HTTP/1.1 200", "<html>ui</html>");
	expect(get(connect_unix(fx), "/missing.css", NULL), "HTTP/1.1 404",
	       "{\"error\":\"not found\"}");
	/* Traversal, raw or escaped, and symlinks out of the root. */
	expect(get(connect_unix(fx), "/../secret", NULL), "HTTP/1.1 400", NULL);
	expect(get(connect_unix(fx), "/%2e%2e/secret", NULL), "HTTP/1.1 400", NULL);
	expect(get(connect_unix(fx), "/a/%2E%2E/%2E%2E/secret", NULL), "HTTP/1.1 400", NULL);
	expect(get(connect_unix(fx), "/link.txt", NULL), "HTTP/1.1 404", NULL);
}

static void test_api_errors(void **state)
{
	struct fixture *fx = *state;
	char *resp = get(connect_unix(fx), "/rest/v0/nothing", NULL);

	assert_non_null(strstr(resp, "Content-Type: application/json"));
	expect(resp, "HTTP/1.1 404", "{\"error\":\"not found\"}");
	/* Garbage gets a 400 or a closed connection, and the server goes on. */
	resp = exchange(connect_unix(fx), "garbage\r\n\r\n", 11);
	assert_true(resp[0] == '\0' || strncmp(resp, "HTTP/1.1 400", 12) == 0);
	free(resp);
	expect(get(connect_unix(fx), "/rest/v0/echo", NULL), "HTTP/1.1 200", NULL);
}

static void test_helpers(void **state)
{
	char host[64], port[8];

	(void)state;
	assert_int_equal(
	    http_parse_listen("127.0.0.1:8080", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "8080");
	assert_int_equal(http_parse_listen("[::1]:80", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(http_parse_listen("::1:80", host, sizeof(host), port, sizeof(port)),
			 -EINVAL);
	assert_int_equal(http_parse_listen("host:99999", host, sizeof(host), port, sizeof(port)),
			 -EINVAL);
	assert_int_equal(http_parse_listen(":80", host, sizeof(host), port, sizeof(port)), -EINVAL);
	assert_int_equal(http_listen_is_loopback("127.0.0.1:80"), 1);
	assert_int_equal(http_listen_is_loopback("127.1.2.3:80"), 1);
	assert_int_equal(http_listen_is_loopback("[::1]:80"), 1);
	assert_int_equal(http_listen_is_loopback("0.0.0.0:80"), 0);
	assert_int_equal(http_listen_is_loopback("[::]:80"), 0);
	assert_int_equal(http_listen_is_loopback("10.0.2.15:80"), 0);
	assert_int_equal(http_listen_is_loopback("[::ffff:127.0.0.1]:80"), 1);
	assert_int_equal(http_listen_is_loopback("nonsense"), -EINVAL);
	assert_true(http_path_safe("/a/b.js"));
	assert_false(http_path_safe("/a/../b"));
	assert_false(http_path_safe("/.."));
	assert_false(http_path_safe("a"));
	assert_false(http_path_safe("/a\\..\\b"));
	assert_string_equal(http_content_type("x.SVG"), "image/svg+xml");
	assert_string_equal(http_content_type("noext"), "application/octet-stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tcp_needs_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_security_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ws_token_subprotocol, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_connections_do_not_lock_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_errors, setup, teardown),
	    cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
