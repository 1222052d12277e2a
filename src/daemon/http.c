/* SPDX-License-Identifier: MIT */
#include "daemon/http.h"
#include "daemon/conn_budget.h"
#include "lib/log.h"
#include "lib/unix_socket.h"
#include "lib/websocket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Idle time allowed before the request line and headers are in (and between requests). */
#define HEADER_TIMEOUT_S 10
/* An authenticated connection may idle longer between requests (keep-alive). */
#define AUTHED_TIMEOUT_S 60
/* TCP connections that have not shown the token yet (see conn_budget.h). */
#define UNAUTHED_BUDGET 8

/*
 * What the web UI may load and talk to: itself only, never in a frame.
 * Styles may be inline (xterm.js and Preact set them); scripts may not.
 */
#define CONTENT_SECURITY_POLICY                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "           \
	"form-action 'none'; frame-ancestors 'none'"

struct listener {
	struct http_server *srv;
	struct MHD_Daemon *mhd;
	bool tcp;
	struct conn_budget budget; /* TCP only */
};

struct http_server {
	struct http_config cfg;
	char *token;
	char *unix_path;
	char web_root[PATH_MAX]; /* resolved; empty when there is no UI */
	struct listener unix_l, tcp_l;
	int tcp_port;
	int stop_fd;
	atomic_int upgraded;
};

/* Per request: the body so far, and what the token check decided. */
struct req_ctx {
	char *body;
	size_t len;
	bool too_large;
	bool websocket_protocol; /* the client offered xkvm-console */
	/*
	 * A queued upgrade that has not run yet.  In thread-per-connection mode
	 * MHD calls the upgrade handler, then (after it returns) on_completed;
	 * when the client leaves before the 101 went out, only on_completed.
	 */
	struct upgrade *upgrade;
};

struct upgrade {
	struct http_server *srv;
	http_upgrade_fn fn;
	void *arg;
	void (*free_fn)(void *arg);
};

/* ---- small helpers ---- */

void http_reply_error(struct http_reply *reply, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(reply->json);
	reply->status = status;
	reply->json = json_pack("{s:s}", "error", msg);
	if (!reply->json) {
		/* Not UTF-8 (an id from a URL, a cut multibyte sequence): keep ASCII. */
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		reply->json = json_pack("{s:s}", "error", msg);
	}
}

const char *http_query(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int http_parse_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	long p;

	if (!listen)
		return -EINVAL;
	if (*listen == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || strchr(listen, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - listen);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535 || hl == 0 || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%ld", p);
	return 0;
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;

	if (sa->sa_family == AF_INET) {
		memcpy(&a4, sa, sizeof(a4));
		return (ntohl(a4.sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	memcpy(&a6, sa, sizeof(a6));
	return IN6_IS_ADDR_LOOPBACK(&a6.sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr) && a6.sin6_addr.s6_addr[12] == 127);
}

int http_listen_is_loopback(const char *listen)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	char host[256], port[8];
	struct addrinfo *ai;
	int r;

	if (http_parse_listen(listen, host, sizeof(host), port, sizeof(port)) ||
	    getaddrinfo(host, port, &hints, &ai))
		return -EINVAL;
	/* Every address the name stands for: "localhost" could be anything in /etc/hosts. */
	r = 1;
	for (struct addrinfo *a = ai; a; a = a->ai_next)
		if (!addr_is_loopback(a->ai_addr))
			r = 0;
	freeaddrinfo(ai);
	return r;
}

bool http_path_safe(const char *path)
{
	const char *p = path;

	if (!path || path[0] != '/' || strchr(path, '\\') || strlen(path) >= PATH_MAX / 2)
		return false;
	while (*p) {
		size_t seg;

		while (*p == '/')
			p++;
		seg = strcspn(p, "/");
		if ((seg == 2 && p[0] == '.' && p[1] == '.') || (seg == 1 && p[0] == '.'))
			return false;
		p += seg;
	}
	return true;
}

const char *http_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".json", "application/json"},
	    {".map", "application/json"},
	    {".webmanifest", "application/manifest+json"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".jpg", "image/jpeg"},
	    {".jpeg", "image/jpeg"},
	    {".gif", "image/gif"},
	    {".webp", "image/webp"},
	    {".ico", "image/x-icon"},
	    {".woff", "font/woff"},
	    {".woff2", "font/woff2"},
	    {".ttf", "font/ttf"},
	    {".wasm", "application/wasm"},
	    {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* ---- responses ---- */

static void add_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", CONTENT_SECURITY_POLICY);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

/* The JSON text and a newline, for humans reading curl output. */
static char *json_body(json_t *json, size_t *len)
{
	json_t *empty = json ? NULL : json_object();
	char *text = json_dumps(json ? json : empty, JSON_COMPACT | JSON_REAL_PRECISION(6));
	char *body = text ? malloc(strlen(text) + 2) : NULL;

	json_decref(empty);
	if (body) {
		*len = strlen(text);
		memcpy(body, text, *len);
		body[(*len)++] = '\n';
		body[*len] = '\0';
	}
	free(text);
	return body;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *json)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = 0;
	char *body = json_body(json, &len);

	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_common_headers(resp);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	enum MHD_Result ret = send_json(conn, status, j);

	json_decref(j);
	return ret;
}

/* ---- the token (TCP only) ---- */

static bool token_equal(const char *given, const char *token)
{
	size_t len = strlen(token);

	return given && strlen(given) == len && CRYPTO_memcmp(given, token, len) == 0;
}

static bool bearer_ok(const char *auth, const char *token)
{
	return auth && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(auth + 7, token);
}

/*
 * A browser cannot set headers on a WebSocket, but it sends the
 * subprotocols it offers: the console's page offers "xkvm-console" and
 * "xkvm-token.<token>".  Only on a WebSocket handshake.
 */
static bool ws_protocol_ok(struct MHD_Connection *conn, struct req_ctx *rc, const char *token)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Protocol");
	const char *upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
	const size_t pl = strlen(WS_TOKEN_PREFIX);
	char given[256];
	bool ok = false;

	if (!v || !upgrade || strcasecmp(upgrade, "websocket") != 0)
		return false;
	for (const char *p = v; *p;) {
		size_t l;

		p += strspn(p, " \t,");
		l = strcspn(p, " \t,");
		if (l == strlen(WS_PROTOCOL) && strncmp(p, WS_PROTOCOL, l) == 0)
			rc->websocket_protocol = true;
		if (l > pl && l - pl < sizeof(given) && strncmp(p, WS_TOKEN_PREFIX, pl) == 0) {
			memcpy(given, p + pl, l - pl);
			given[l - pl] = '\0';
			ok |= token_equal(given, token);
		}
		p += l;
	}
	return ok && rc->websocket_protocol;
}

/*
 * The token binds a request to this service: a header (or the WebSocket
 * subprotocol) that only a page holding the token can send.  No cookie:
 * browsers send cookies to every port of 127.0.0.1.
 */
static bool authorized(struct http_server *srv, struct MHD_Connection *conn, struct req_ctx *rc)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (!srv->token)
		return false;
	return bearer_ok(auth, srv->token) || ws_protocol_ok(conn, rc, srv->token);
}

/*
 * A browser page of another site may send requests to loopback; its Origin
 * then differs from the Host it talks to.  (It has no token to send; this
 * refuses such requests outright, also for the token-free static files.)
 */
static bool same_origin(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *sep;

	if (!origin || strcmp(origin, "null") == 0)
		return !origin;
	sep = strstr(origin, "://");
	return sep && host && strcasecmp(sep + 3, host) == 0;
}

/* ---- static files ---- */

static int open_under_root(const struct http_server *srv, const char *rel, struct stat *st)
{
	char joined[PATH_MAX * 2], real[PATH_MAX];
	size_t rootlen = strlen(srv->web_root);
	int fd;

	if (snprintf(joined, sizeof(joined), "%s/%s", srv->web_root, rel) >= (int)sizeof(joined))
		return -ENAMETOOLONG;
	if (!realpath(joined, real))
		return -errno;
	/* Symlinks may point anywhere: the resolved path must stay under the root. */
	if (strncmp(real, srv->web_root, rootlen) != 0 || real[rootlen] != '/')
		return -EACCES;
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static enum MHD_Result serve_file(struct MHD_Connection *conn, int fd, const struct stat *st,
				  const char *name)
{
	struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st->st_size, fd);
	enum MHD_Result ret;

	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, http_content_type(name));
	/* index.html names the hashed assets: always revalidate it. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				strcmp(name, "index.html") == 0 ? "no-cache" : "max-age=3600");
	add_common_headers(resp);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result serve_static(struct MHD_Connection *conn, struct http_server *srv,
				    const char *method, const char *path)
{
	const char *rel, *last;
	struct stat st = {0};
	int fd;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!srv->web_root[0])
		return send_error(conn, MHD_HTTP_NOT_FOUND, "the web UI is not installed");
	if (!http_path_safe(path))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "bad path");
	rel = path + strspn(path, "/");
	last = strrchr(path, '/') + 1;
	fd = *rel ? open_under_root(srv, rel, &st) : -ENOENT;
	if (fd >= 0)
		return serve_file(conn, fd, &st, last);
	/* Client-side routes: paths without a dot in their last part get the app. */
	if (fd == -EACCES || strchr(last, '.'))
		return send_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	fd = open_under_root(srv, "index.html", &st);
	if (fd < 0)
		return send_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	return serve_file(conn, fd, &st, "index.html");
}

/* ---- WebSocket upgrade ---- */

static void upgrade_free(struct upgrade *up)
{
	atomic_fetch_sub(&up->srv->upgraded, 1);
	if (up->free_fn)
		up->free_fn(up->arg);
	free(up);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
		       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct upgrade *up = cls;

	struct req_ctx *rc = con_cls;

	rc->upgrade = NULL; /* ours now, see on_completed */
	up->fn(up->arg, sock, (const uint8_t *)extra, extra_len, up->srv->stop_fd);
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	upgrade_free(up);
}

static bool header_has_token(struct MHD_Connection *conn, const char *name, const char *token)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	size_t tl = strlen(token);

	for (const char *p = v; p && *p;) {
		size_t l;

		p += strspn(p, " \t,");
		l = strcspn(p, " \t,");
		if (l == tl && strncasecmp(p, token, tl) == 0)
			return true;
		p += l;
	}
	return false;
}

static enum MHD_Result start_upgrade(struct MHD_Connection *conn, struct http_server *srv,
				     struct req_ctx *rc, struct http_reply *reply)
{
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	const char *ver =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	struct MHD_Response *resp;
	struct upgrade *up;
	enum MHD_Result ret;
	char accept[29];

	if (!header_has_token(conn, "Upgrade", "websocket") ||
	    !header_has_token(conn, "Connection", "upgrade") || ws_accept_key(key, accept))
		return send_error(conn, MHD_HTTP_BAD_REQUEST,
				  "a WebSocket handshake is expected here");
	if (!ver || strcmp(ver, "13") != 0)
		return send_error(conn, MHD_HTTP_UPGRADE_REQUIRED,
				  "WebSocket version 13 is required");
	if (atomic_fetch_add(&srv->upgraded, 1) >= HTTP_MAX_UPGRADED) {
		atomic_fetch_sub(&srv->upgraded, 1);
		return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "too many consoles open");
	}
	up = calloc(1, sizeof(*up));
	resp = up ? MHD_create_response_for_upgrade(on_upgrade, up) : NULL;
	if (!resp) {
		atomic_fetch_sub(&srv->upgraded, 1);
		free(up);
		return MHD_NO;
	}
	/* From here the upgrade callback owns the argument. */
	*up = (struct upgrade){srv, reply->upgrade, reply->upgrade_arg, reply->upgrade_free};
	reply->upgrade_free = NULL;
	rc->upgrade = up;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SEC_WEBSOCKET_ACCEPT, accept);
	/* A browser that offered subprotocols fails a handshake that picks none. */
	if (rc->websocket_protocol)
		MHD_add_response_header(resp, "Sec-WebSocket-Protocol", WS_PROTOCOL);
	add_common_headers(resp);
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- requests ---- */

static bool is_api(const char *url)
{
	return strncmp(url, "/rest/", 6) == 0 || strcmp(url, "/rest") == 0;
}

static enum MHD_Result dispatch(struct listener *l, struct MHD_Connection *conn, struct req_ctx *rc,
				const char *url, const char *method)
{
	struct http_server *srv = l->srv;
	struct http_request req = {conn, method, url, rc->body, rc->len};
	struct http_reply reply = {.status = MHD_HTTP_OK};
	enum MHD_Result ret;

	if (!is_api(url))
		return serve_static(conn, srv, method, url);
	srv->cfg.api(srv->cfg.api_ctx, &req, &reply);
	if (reply.upgrade && reply.status == MHD_HTTP_OK)
		ret = start_upgrade(conn, srv, rc, &reply);
	else
		ret = send_json(conn, reply.status, reply.json);
	if (reply.upgrade_free)
		reply.upgrade_free(reply.upgrade_arg);
	json_decref(reply.json);
	return ret;
}

/* The connection showed the token: out of the unauthenticated budget, a longer idle time. */
static void mark_authenticated(struct listener *l, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci && ci->socket_context)
		budget_authenticated(&l->budget, ci->socket_context);
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)AUTHED_TIMEOUT_S);
}

/* The first call of a request: checks that need no body. */
static enum MHD_Result begin_request(struct listener *l, struct MHD_Connection *conn,
				     const char *url, void **con_cls)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	struct req_ctx *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return MHD_NO;
	*con_cls = rc;
	if (l->tcp && !same_origin(conn))
		return send_error(conn, MHD_HTTP_FORBIDDEN, "cross-origin request refused");
	if (l->tcp && authorized(l->srv, conn, rc))
		mark_authenticated(l, conn);
	else if (l->tcp && is_api(url))
		return send_error(conn, MHD_HTTP_UNAUTHORIZED, "missing or wrong token");
	/* Refuse a body announced too large before it is sent. */
	if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	return MHD_YES;
}

static void add_body(struct req_ctx *rc, const char *data, size_t len)
{
	char *nb;

	if (rc->too_large || len > HTTP_BODY_MAX - rc->len) {
		rc->too_large = true;
		return;
	}
	nb = realloc(rc->body, rc->len + len + 1);
	if (!nb) {
		rc->too_large = true;
		return;
	}
	memcpy(nb + rc->len, data, len);
	rc->len += len;
	nb[rc->len] = '\0';
	rc->body = nb;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct req_ctx *rc = *con_cls;

	if (!rc)
		return begin_request(l, conn, url, con_cls);
	if (*upload_data_size) {
		add_body(rc, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rc->too_large)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	return dispatch(l, conn, rc, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *rc = *con_cls;

	if (rc) {
		if (rc->upgrade)
			upgrade_free(rc->upgrade);
		free(rc->body);
		free(rc);
		*con_cls = NULL;
	}
}

/* TCP connections start unauthenticated and count against the budget until they show the token. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct budget_entry *e = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (e)
			budget_remove(&l->budget, e);
		free(e);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	e = calloc(1, sizeof(*e));
	if (!e || !ci) {
		free(e);
		return;
	}
	*socket_context = e;
	budget_add(&l->budget, e, ci->connect_fd);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_info("http: %s", msg);
}

/* ---- listeners ---- */

static int listen_unix(const char *path)
{
	/* The socket's mode is the credential: the daemon's user and group. */
	int fd = unix_socket_listen(path, 0660, 64, 0);

	if (fd < 0)
		pr_err("%s: %s", path, strerror(-fd));
	return fd;
}

/* The port a socket is bound to (the kernel's choice for port 0). */
static int bound_port(int fd, int *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -1;
	if (ss.ss_family == AF_INET6) {
		memcpy(&a6, &ss, sizeof(a6));
		*port = ntohs(a6.sin6_port);
	} else {
		memcpy(&a4, &ss, sizeof(a4));
		*port = ntohs(a4.sin_port);
	}
	return 0;
}

static int listen_tcp(const char *spec, int *port_out)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	char host[256], port[8];
	struct addrinfo *ai;
	int fd, one = 1, r;

	if (http_parse_listen(spec, host, sizeof(host), port, sizeof(port))) {
		pr_err("--listen %s: expected HOST:PORT", spec);
		return -EINVAL;
	}
	r = getaddrinfo(host, port, &hints, &ai);
	if (r) {
		pr_err("--listen %s: %s", spec, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64) || bound_port(fd, port_out)) {
		r = -errno;
		pr_err("--listen %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	return fd;
}

static int start_listener(struct http_server *srv, struct listener *l, int fd, bool tcp)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_ITC;

	l->srv = srv;
	l->tcp = tcp;
	budget_init(&l->budget, UNAUTHED_BUDGET);
	/*
	 * No per-address limit: every loopback client is the same address.
	 * The unix socket is its own credential and needs no budget.
	 */
	l->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, tcp ? on_connection : NULL, l,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(tcp ? HEADER_TIMEOUT_S : AUTHED_TIMEOUT_S),
	    MHD_OPTION_END);
	if (!l->mhd) {
		pr_err("cannot start the HTTP server");
		close(fd);
		return -EIO;
	}
	return 0;
}

static void resolve_web_root(struct http_server *srv, const char *dir)
{
	struct stat st;

	if (!dir)
		return;
	if (!realpath(dir, srv->web_root) || stat(srv->web_root, &st) || !S_ISDIR(st.st_mode)) {
		pr_warn("web UI directory %s: not found; the UI is not served", dir);
		srv->web_root[0] = '\0';
	}
}

int http_start(struct http_server **out, const struct http_config *cfg)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	int fd, r = 0;

	*out = NULL;
	if (!srv)
		return -ENOMEM;
	srv->cfg = *cfg;
	srv->token = cfg->token ? strdup(cfg->token) : NULL;
	srv->unix_path = cfg->unix_path ? strdup(cfg->unix_path) : NULL;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	resolve_web_root(srv, cfg->web_dir);
	if (srv->stop_fd < 0 || (cfg->unix_path && !srv->unix_path)) {
		http_stop(srv);
		return -ENOMEM;
	}
	if (cfg->unix_path) {
		fd = listen_unix(cfg->unix_path);
		r = fd < 0 ? fd : start_listener(srv, &srv->unix_l, fd, false);
	}
	if (!r && cfg->listen) {
		fd = listen_tcp(cfg->listen, &srv->tcp_port);
		r = fd < 0 ? fd : start_listener(srv, &srv->tcp_l, fd, true);
	}
	if (r) {
		http_stop(srv);
		return r;
	}
	*out = srv;
	return 0;
}

int http_tcp_port(const struct http_server *srv)
{
	return srv->tcp_port;
}

void http_signal_stop(struct http_server *srv)
{
	uint64_t one = 1;

	if (srv && srv->stop_fd >= 0 && write(srv->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("http stop: %s", strerror(errno));
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	http_signal_stop(srv);
	if (srv->unix_l.mhd) {
		MHD_stop_daemon(srv->unix_l.mhd);
		budget_fini(&srv->unix_l.budget);
	}
	if (srv->tcp_l.mhd) {
		MHD_stop_daemon(srv->tcp_l.mhd);
		budget_fini(&srv->tcp_l.budget);
	}
	if (srv->unix_path && srv->unix_l.mhd)
		unlink(srv->unix_path);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	free(srv->token);
	free(srv->unix_path);
	free(srv);
}
