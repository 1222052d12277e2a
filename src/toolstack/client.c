/* SPDX-License-Identifier: MIT */
/* The CLI's connection to xkvmd: endpoint discovery, HTTP with libcurl, JSON answers. */
#include "toolstack/client.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/paths.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Long enough for a loaded daemon, short enough that a wedged one is noticed. */
#define CONNECT_TIMEOUT_S 5
/* Beyond xkvmd's own limits (a VMM start may take 65 s on a slow nested host). */
#define REQUEST_TIMEOUT_S 90
/* The endpoint and token files hold one short line each. */
#define SMALL_FILE_MAX 4096

static int copy_str(char *buf, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static bool host_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

/* A decimal TCP port, 1..65535. */
static bool port_ok(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "http://host[:port][/]", host a name, an IPv4 address or a bracketed IPv6 one. */
static int parse_http_url(const char *s, struct endpoint *ep)
{
	const char *p = s + 7, *host, *rest;
	size_t n, host_len;

	if (strncmp(s, "http://", 7) != 0)
		return -EINVAL;
	n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	if (*p == '[') {
		const char *close = memchr(p, ']', n);

		if (!close)
			return -EINVAL;
		host = p + 1;
		host_len = (size_t)(close - host);
		rest = close + 1;
		for (size_t i = 0; i < host_len; i++)
			if (!host_char_ok(host[i]) && host[i] != ':')
				return -EINVAL;
	} else {
		host = p;
		for (host_len = 0; host_len < n && p[host_len] != ':'; host_len++)
			if (!host_char_ok(p[host_len]))
				return -EINVAL;
		rest = p + host_len;
	}
	if (host_len == 0)
		return -EINVAL;
	if (rest == p + n) {
		snprintf(ep->port, sizeof(ep->port), "80");
	} else if (*rest != ':' || !port_ok(rest + 1, (size_t)(p + n - rest - 1)) ||
		   copy_str(ep->port, sizeof(ep->port), rest + 1, (size_t)(p + n - rest - 1))) {
		return -EINVAL;
	}
	if (copy_str(ep->host, sizeof(ep->host), host, host_len) ||
	    copy_str(ep->url, sizeof(ep->url), s, (size_t)(p + n - s)))
		return -EINVAL;
	ep->kind = ENDPOINT_TCP;
	snprintf(ep->where, sizeof(ep->where), "%s", ep->url);
	return 0;
}

/* "unix:/path" or "http://host:port", as $XKVM_API and <state>/endpoint hold them. */
static int parse_api(const char *s, struct endpoint *ep)
{
	if (strncmp(s, "unix:", 5) == 0) {
		if (!s[5] || copy_str(ep->unix_path, sizeof(ep->unix_path), s + 5, strlen(s + 5)))
			return -EINVAL;
		ep->kind = ENDPOINT_UNIX;
		snprintf(ep->url, sizeof(ep->url), "http://localhost");
		snprintf(ep->where, sizeof(ep->where), "%s", ep->unix_path);
		return 0;
	}
	return parse_http_url(s, ep);
}

/* A small text file's first line, without trailing white space.  -errno if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
	size_t n;
	char *text = client_read_file(path, SMALL_FILE_MAX, &n);

	if (!text)
		return errno > 0 ? -errno : -EIO;
	n = strcspn(text, "\r\n");
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (copy_str(buf, len, text, n)) {
		free(text);
		return -EINVAL;
	}
	free(text);
	return 0;
}

/* RFC 6750's token68 characters: nothing that could end or split a header line. */
static bool token_ok(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (!host_char_ok(*t) && !strchr("~+/=", *t))
			return false;
	return true;
}

static int read_token(const char *state_dir, struct endpoint *ep, char *err, size_t err_len)
{
	char path[4096];
	int r;

	if (!state_dir || path_join(path, sizeof(path), state_dir, "token"))
		return 0;
	r = read_line(path, ep->token, sizeof(ep->token));
	/* No token file: the daemon's 401 says what is missing. */
	if (r == -ENOENT)
		return 0;
	if (r && r != -EINVAL) {
		snprintf(err, err_len, "%s: %s", path, strerror(-r));
		return r;
	}
	if (r || !token_ok(ep->token)) {
		ep->token[0] = '\0';
		snprintf(err, err_len, "%s: not an API token", path);
		return -EINVAL;
	}
	return 0;
}

static int from_endpoint_file(const char *state_dir, struct endpoint *ep, char *err, size_t err_len)
{
	char path[4096], line[512] = "";
	int r;

	if (path_join(path, sizeof(path), state_dir, "endpoint"))
		return -ENOENT;
	r = read_line(path, line, sizeof(line));
	if (r == -ENOENT)
		return r;
	if (r || strncmp(line, "http://", 7) != 0 || parse_api(line, ep)) {
		snprintf(err, err_len, "%s: expected http://host:port", path);
		return -EINVAL;
	}
	return read_token(state_dir, ep, err, err_len);
}

int endpoint_select(const char *api, const char *run_dir, const char *state_dir,
		    struct endpoint *ep, char *err, size_t err_len)
{
	char sock[4096];
	struct stat st;
	int r;

	memset(ep, 0, sizeof(*ep));
	if (err_len)
		err[0] = '\0';
	if (api && *api) {
		if (parse_api(api, ep)) {
			snprintf(err, err_len,
				 "XKVM_API='%s': expected unix:/path or http://host:port", api);
			return -EINVAL;
		}
		return ep->kind == ENDPOINT_TCP ? read_token(state_dir, ep, err, err_len) : 0;
	}
	if (run_dir && !path_join(sock, sizeof(sock), run_dir, "xkvmd.sock") &&
	    stat(sock, &st) == 0) {
		if (copy_str(ep->unix_path, sizeof(ep->unix_path), sock, strlen(sock))) {
			snprintf(err, err_len, "%s: path too long for a unix socket", sock);
			return -EINVAL;
		}
		ep->kind = ENDPOINT_UNIX;
		snprintf(ep->url, sizeof(ep->url), "http://localhost");
		snprintf(ep->where, sizeof(ep->where), "%s", sock);
		return 0;
	}
	if (state_dir) {
		r = from_endpoint_file(state_dir, ep, err, err_len);
		if (r != -ENOENT)
			return r;
	}
	/* Nothing to try: name the socket a local daemon would have made. */
	memset(ep, 0, sizeof(*ep));
	if (run_dir)
		snprintf(ep->where, sizeof(ep->where), "%s/xkvmd.sock", run_dir);
	else
		snprintf(ep->where, sizeof(ep->where), "xkvmd.sock (no XDG_RUNTIME_DIR)");
	return -ENOENT;
}

char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (host_char_ok((char)ch) || ch == '~') {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

char *client_vm_path(const char *vm, const char *suffix)
{
	char *enc = url_encode(vm), *path;

	if (!enc)
		return NULL;
	if (asprintf(&path, "/rest/v0/vms/%s%s", enc, suffix) < 0)
		path = NULL;
	free(enc);
	return path;
}

char *client_read_file(const char *path, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int fd, err = ENOMEM;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(buf);
		errno = err;
		return NULL;
	}
	/* Read, not stat: a pipe (<(...)) is a fine config file too. */
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nbuf = realloc(buf, cap * 2 + 1);

			if (!nbuf)
				goto fail;
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	errno = err;
	return NULL;
}

static void print_unreachable(const struct endpoint *ep, const char *why)
{
	pr_err("cannot reach xkvmd at %s: %s (start it with: xkvmd)", ep->where, why);
}

int client_open(struct client *c)
{
	char run[4096], state[4096], err[4600];
	bool have_run, have_state;
	int r;

	memset(c, 0, sizeof(*c));
	c->timeout_s = REQUEST_TIMEOUT_S;
	c->verbose = log_get_level() >= LOG_DEBUG;
	have_run = xkvm_run_dir(run, sizeof(run)) == 0;
	have_state = xkvm_state_dir(state, sizeof(state)) == 0;
	r = endpoint_select(getenv("XKVM_API"), have_run ? run : NULL, have_state ? state : NULL,
			    &c->ep, err, sizeof(err));
	if (r == -ENOENT) {
		print_unreachable(&c->ep, strerror(ENOENT));
		return -1;
	}
	if (r) {
		pr_err("%s", err);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pr_err("cannot initialise libcurl");
		return -1;
	}
	c->curl = curl_easy_init();
	if (!c->curl) {
		curl_global_cleanup();
		pr_err("cannot initialise libcurl");
		return -1;
	}
	return 0;
}

void client_close(struct client *c)
{
	if (!c->curl)
		return;
	curl_easy_cleanup(c->curl);
	c->curl = NULL;
	curl_global_cleanup();
}

/* A response body, capped so a confused server cannot fill our memory. */
struct body_buf {
	char *data;
	size_t len, cap;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *opaque)
{
	struct body_buf *b = opaque;
	size_t n = size * nmemb;

	if (n > CLIENT_MAX_RESPONSE - b->len) {
		b->too_big = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + n + 1);
		char *data = realloc(b->data, MIN(cap, (size_t)CLIENT_MAX_RESPONSE + 1));

		if (!data)
			return 0;
		b->data = data;
		b->cap = MIN(cap, (size_t)CLIENT_MAX_RESPONSE + 1);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static bool add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (t)
		*h = t;
	return t != NULL;
}

static struct curl_slist *request_headers(const struct client *c, bool has_body)
{
	struct curl_slist *h = NULL;
	char auth[sizeof(c->ep.token) + 32];
	/*
	 * Expect: 100-continue would only add a round trip.  Without a body, no
	 * Content-Type: curl's default (a form) would be a lie.
	 */
	bool ok = add_header(&h, "Expect:") && add_header(&h, "Accept: application/json") &&
		  add_header(&h, has_body ? "Content-Type: application/json" : "Content-Type:");

	if (ok && c->ep.kind == ENDPOINT_TCP && c->ep.token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->ep.token);
		ok = add_header(&h, auth);
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

static void setup_transfer(struct client *c, const char *method, const char *url, const char *data,
			   struct curl_slist *hdrs, struct body_buf *buf, char *errbuf)
{
	CURL *curl = c->curl;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	if (c->ep.kind == ENDPOINT_UNIX)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->ep.unix_path);
	/* $http_proxy is for the internet: xkvmd is local, and the token must not leave. */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "xkvm/" XKVM_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, buf);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, c->verbose ? 1L : 0L);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		return;
	}
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	/* POST and PATCH always carry a body, if only an empty one (Content-Length: 0). */
	if (data || strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data ? data : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)(data ? strlen(data) : 0));
	}
}

static void report_failure(const struct client *c, CURLcode rc, const char *errbuf,
			   const struct body_buf *buf)
{
	long os_errno = 0;
	curl_off_t connected_us = 0;
	const char *why;

	if (buf->too_big) {
		pr_err("xkvmd at %s: the answer is larger than %u MiB", c->ep.where,
		       CLIENT_MAX_RESPONSE >> 20);
		return;
	}
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &connected_us);
	why = *errbuf ? errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_COULDNT_CONNECT && os_errno)
		why = strerror((int)os_errno);
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    (rc == CURLE_OPERATION_TIMEDOUT && connected_us == 0))
		print_unreachable(&c->ep, why);
	else
		pr_err("xkvmd at %s: %s", c->ep.where, why);
}

int client_request(struct client *c, const char *method, const char *path, const json_t *body,
		   struct response *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body_buf buf = {0};
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *data = NULL;
	CURLcode rc;
	int ret = -1;

	r->status = 0;
	r->json = NULL;
	if (asprintf(&url, "%s%s", c->ep.url, path) < 0) {
		url = NULL;
		goto oom;
	}
	if (body && !(data = json_dumps(body, JSON_COMPACT)))
		goto oom;
	hdrs = request_headers(c, body != NULL);
	if (!hdrs)
		goto oom;
	setup_transfer(c, method, url, data, hdrs, &buf, errbuf);
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		report_failure(c, rc, errbuf, &buf);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (buf.len)
		r->json = json_loadb(buf.data, buf.len, JSON_DECODE_ANY, NULL);
	ret = 0;
	goto out;
oom:
	pr_err("out of memory");
out:
	curl_slist_free_all(hdrs);
	free(buf.data);
	free(data);
	free(url);
	return ret;
}

void client_print_error(long status, const json_t *body)
{
	const char *msg = json_string_value(json_object_get(body, "error"));

	if (!msg || !*msg) {
		pr_err("xkvmd answered HTTP %ld", status);
		return;
	}
	/* A config parser's answer may hold several "file:line: ..." lines. */
	while (*msg) {
		size_t n = strcspn(msg, "\n");

		if (n)
			pr_err("%.*s", (int)n, msg);
		msg += n;
		if (*msg)
			msg++;
	}
}

int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **out)
{
	struct response r;

	if (out)
		*out = NULL;
	if (client_request(c, method, path, body, &r))
		return 1;
	if (r.status >= 200 && r.status < 300) {
		if (out)
			*out = r.json;
		else
			json_decref(r.json);
		return 0;
	}
	client_print_error(r.status, r.json);
	json_decref(r.json);
	return 1;
}

/* connect() bounded by timeout_ms: a TCP peer that drops SYNs must not hang the CLI. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0, r;
	socklen_t elen = sizeof(err);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -errno;
		if (err)
			return -err;
	}
	return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

static int connect_unix(const struct endpoint *ep, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, ep->unix_path, strlen(ep->unix_path) + 1);
	r = connect_timeout(fd, (struct sockaddr *)&sa, sizeof(sa), timeout_ms);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

int client_connect_raw(const struct endpoint *ep, int timeout_ms)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1, r = -ECONNREFUSED, gai;

	if (ep->kind == ENDPOINT_UNIX) {
		fd = connect_unix(ep, timeout_ms);
		if (fd < 0)
			print_unreachable(ep, strerror(-fd));
		return fd;
	}
	gai = getaddrinfo(ep->host, ep->port, &hints, &res);
	if (gai) {
		print_unreachable(ep, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		r = connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (r == 0)
			break;
		close(fd);
	}
	freeaddrinfo(res);
	if (r) {
		print_unreachable(ep, strerror(-r));
		return r;
	}
	return fd;
}
