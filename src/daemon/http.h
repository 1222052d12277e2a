/* SPDX-License-Identifier: MIT */
/*
 * xkvmd's HTTP layer on libmicrohttpd: the unix socket and optional TCP
 * listeners, the token check on TCP (a Bearer header, or a WebSocket
 * subprotocol), request bodies up to a cap, JSON replies with security
 * headers, the web UI's static files (no token needed: the UI asks for
 * it), and WebSocket upgrades.
 *
 * Threads: one per connection (MHD's thread-per-connection mode), so a
 * handler may block (a ?sync=true action, a console) without stalling the
 * others; the number of connections is capped.
 */
#ifndef XKVM_DAEMON_HTTP_H
#define XKVM_DAEMON_HTTP_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_MAX	     ((size_t)1024 * 1024)
#define HTTP_MAX_CONNECTIONS 128
/* Consoles must not take every connection. */
#define HTTP_MAX_UPGRADED 16
/*
 * The WebSocket subprotocols a browser offers for the console on TCP:
 * WS_PROTOCOL (the one the server picks) and WS_TOKEN_PREFIX<token>.
 */
#define WS_PROTOCOL	"xkvm-console"
#define WS_TOKEN_PREFIX "xkvm-token."

struct http_server;
struct MHD_Connection;

struct http_request {
	struct MHD_Connection *conn;
	const char *method;
	const char *path; /* percent-decoded, without the query */
	const char *body; /* NUL-terminated; NULL when empty */
	size_t body_len;
};

/* Runs on the upgraded socket in the connection's thread; stop_fd turns readable on shutdown. */
typedef void (*http_upgrade_fn)(void *arg, int fd, const uint8_t *extra, size_t extra_len,
				int stop_fd);

struct http_reply {
	unsigned status;
	json_t *json; /* owned; NULL sends {} */
	/* Set for a WebSocket: the layer checks the handshake and answers 101. */
	http_upgrade_fn upgrade;
	void *upgrade_arg;
	void (*upgrade_free)(void *arg);
};

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
				struct http_reply *reply);

struct http_config {
	const char *unix_path; /* NULL: no unix socket */
	const char *listen;    /* "HOST:PORT" or NULL; "[v6]:PORT" for IPv6 */
	const char *token;     /* required on TCP */
	const char *web_dir;   /* NULL: no UI */
	http_handler_fn api;   /* for /rest/... */
	void *api_ctx;
};

int http_start(struct http_server **out, const struct http_config *cfg);
/* The bound TCP port (useful with port 0), or 0. */
int http_tcp_port(const struct http_server *srv);
/* The daemon stops: end upgraded connections (consoles) now. */
void http_signal_stop(struct http_server *srv);
void http_stop(struct http_server *srv);

/* A query argument or header of the request, NULL when absent. */
const char *http_query(const struct http_request *req, const char *key);
const char *http_header(const struct http_request *req, const char *name);

/* {"error": message} with status. */
void http_reply_error(struct http_reply *reply, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Split "HOST:PORT" ("[::1]:80" too).  Returns 0 or -EINVAL. */
int http_parse_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen);
/* Does "HOST:PORT" name only loopback addresses?  1 yes, 0 no, -errno unparsable. */
int http_listen_is_loopback(const char *listen);
/* Is path safe to look up under the web root (no "..", no NUL, absolute)? */
bool http_path_safe(const char *path);
/* The Content-Type for a file name. */
const char *http_content_type(const char *name);

#endif
