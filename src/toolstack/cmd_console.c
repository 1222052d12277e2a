/* SPDX-License-Identifier: MIT */
/*
 * `xkvm console`: a VM's console through xkvmd's WebSocket (RFC 6455) on
 * this terminal.  libcurl's WebSocket support is not built in Debian's
 * libcurl, so the upgrade is written here on a raw socket, over the same
 * transport as the other requests (the unix socket or TCP).
 */
#include "lib/log.h"
#include "lib/util.h"
#include "lib/websocket.h"
#include "toolstack/cli.h"
#include "toolstack/client.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ESCAPE_CHAR	     0x1d /* Ctrl-], as xl console */
#define HEAD_MAX	     16384
#define ERROR_BODY_MAX	     65536
#define CONNECT_TIMEOUT_MS   5000
#define HANDSHAKE_TIMEOUT_MS 10000
/* After our close frame, how long the server has to answer with its own. */
#define CLOSE_WAIT_MS 2000
/* The server replays up to 64 KiB of history in one go; leave it room. */
#define MAX_PAYLOAD (1u << 20)
#define RX_CAP	    (MAX_PAYLOAD + WS_MAX_HEADER)
#define TX_CHUNK    4096

/* What one step of the pump decided. */
enum pump_result { PUMP_MORE, PUMP_DONE, PUMP_ERROR };

struct console {
	const struct endpoint *ep;
	int sock, sigfd;
	bool raw; /* stdin is a terminal, put in raw mode */
	struct termios saved;
	uint8_t *rx; /* bytes from xkvmd not yet parsed */
	size_t rx_len;
	bool close_sent, stdin_done;
	struct timespec close_deadline;
	int signo; /* the signal that ended the session, or 0 */
};

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

/* Read more into rx, at most up to limit bytes in all.  >0 read, 0 EOF, -errno. */
static ssize_t read_more(struct console *con, size_t limit, int timeout_ms)
{
	ssize_t n;
	int r = wait_readable(con->sock, timeout_ms);

	if (r)
		return r;
	do
		n = read(con->sock, con->rx + con->rx_len, limit - con->rx_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	con->rx_len += (size_t)n;
	return n;
}

static int send_request(struct console *con, const char *path, const char *key)
{
	const struct endpoint *ep = con->ep;
	char host[300], auth[sizeof(ep->token) + 32] = "", *req;
	int n, r;

	if (ep->kind == ENDPOINT_UNIX)
		snprintf(host, sizeof(host), "localhost");
	else
		snprintf(host, sizeof(host), strchr(ep->host, ':') ? "[%s]:%s" : "%s:%s", ep->host,
			 ep->port);
	if (ep->kind == ENDPOINT_TCP && ep->token[0])
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", ep->token);
	n = asprintf(&req,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		     "User-Agent: xkvm/" XKVM_VERSION "\r\n%s\r\n",
		     path, host, key, auth);
	if (n < 0)
		return -ENOMEM;
	r = write_all(con->sock, req, (size_t)n);
	free(req);
	return r;
}

/*
 * The value of header name in a NUL-terminated response head, trimmed,
 * into out.  False when absent.
 */
static bool header_value(const char *head, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	const char *line = strchr(head, '\n');

	for (; line && line[1]; line = strchr(line, '\n')) {
		const char *v;
		size_t vlen;

		line++;
		if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		v = line + nlen + 1;
		v += strspn(v, " \t");
		vlen = strcspn(v, "\r\n");
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		snprintf(out, len, "%.*s", (int)vlen, v);
		return true;
	}
	return false;
}

/* A refused upgrade carries the API's usual {"error":...} body: show it. */
static void report_refusal(struct console *con, const char *head, size_t head_len, long status)
{
	char value[32];
	size_t want = ERROR_BODY_MAX;
	json_t *body;

	if (header_value(head, "Content-Length", value, sizeof(value)))
		want = MIN((size_t)strtoul(value, NULL, 10), (size_t)ERROR_BODY_MAX);
	while (con->rx_len - head_len < want &&
	       read_more(con, head_len + want, HANDSHAKE_TIMEOUT_MS) > 0)
		;
	body = json_loadb((const char *)con->rx + head_len, MIN(con->rx_len - head_len, want), 0,
			  NULL);
	client_print_error(status, body);
	json_decref(body);
}

/* Check a 101 answer.  Returns 0, or -1 after saying what is wrong. */
static int check_upgrade(const struct console *con, const char *head, const char *key)
{
	char expect[29], value[128];

	if (ws_accept_key(key, expect)) {
		pr_err("console: cannot compute the WebSocket accept key");
		return -1;
	}
	if (!header_value(head, "Upgrade", value, sizeof(value)) ||
	    strcasecmp(value, "websocket") != 0 ||
	    !header_value(head, "Connection", value, sizeof(value)) ||
	    !strcasestr(value, "upgrade")) {
		pr_err("xkvmd at %s: the console answer is not a WebSocket upgrade",
		       con->ep->where);
		return -1;
	}
	if (!header_value(head, "Sec-WebSocket-Accept", value, sizeof(value)) ||
	    strcmp(value, expect) != 0) {
		pr_err("xkvmd at %s: wrong Sec-WebSocket-Accept in the console answer",
		       con->ep->where);
		return -1;
	}
	return 0;
}

/* The status code of an "HTTP/1.x NNN reason" line, or 0. */
static long http_status(const char *head)
{
	if (strncmp(head, "HTTP/1.", 7) != 0 || !head[7] || head[8] != ' ')
		return 0;
	return strtol(head + 9, NULL, 10);
}

/* Read the answer head; on success, what follows it stays in rx as frame bytes. */
static int handshake(struct console *con, const char *path)
{
	char key[25], *head = NULL, *end;
	size_t head_len;
	long status;
	ssize_t n;
	int r = -1;

	ws_client_key(key);
	n = send_request(con, path, key);
	while (n >= 0 && !memmem(con->rx, con->rx_len, "\r\n\r\n", 4)) {
		n = con->rx_len < HEAD_MAX ? read_more(con, HEAD_MAX, HANDSHAKE_TIMEOUT_MS)
					   : -EMSGSIZE;
		if (n == 0)
			n = -ECONNRESET;
	}
	if (n < 0) {
		pr_err("xkvmd at %s: console handshake: %s", con->ep->where, strerror((int)-n));
		return -1;
	}
	end = memmem(con->rx, con->rx_len, "\r\n\r\n", 4);
	head_len = (size_t)(end - (char *)con->rx) + 4;
	head = strndup((const char *)con->rx, head_len);
	if (!head) {
		pr_err("out of memory");
		return -1;
	}
	status = http_status(head);
	if (!status) {
		pr_err("xkvmd at %s: the console answer is not HTTP", con->ep->where);
	} else if (status != 101) {
		report_refusal(con, head, head_len, status);
	} else if (!check_upgrade(con, head, key)) {
		con->rx_len -= head_len;
		memmove(con->rx, con->rx + head_len, con->rx_len);
		r = 0;
	}
	free(head);
	return r;
}

static int send_frame(struct console *con, uint8_t opcode, const void *data, size_t len)
{
	uint8_t buf[TX_CHUNK + WS_MAX_HEADER];
	ssize_t n = ws_encode_frame(buf, sizeof(buf), opcode, data, len, true);
	int r = n < 0 ? (int)n : write_all(con->sock, buf, (size_t)n);

	if (r)
		pr_err("xkvmd at %s: console: %s", con->ep->where, strerror(-r));
	return r;
}

/* Start the closing handshake (RFC 6455 7.1.2): 1000, normal closure. */
static int start_close(struct console *con)
{
	static const uint8_t normal[2] = {0x03, 0xe8};

	con->close_sent = true;
	clock_gettime(CLOCK_MONOTONIC, &con->close_deadline);
	con->close_deadline.tv_sec += CLOSE_WAIT_MS / 1000;
	return send_frame(con, WS_OP_CLOSE, normal, sizeof(normal));
}

static enum pump_result on_frame(struct console *con, const struct ws_frame *f)
{
	int r;

	switch (f->opcode) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		r = write_all(STDOUT_FILENO, f->payload, f->len);
		if (r == -EPIPE)
			return PUMP_DONE; /* whoever read our output is gone */
		if (r) {
			pr_err("console output: %s", strerror(-r));
			return PUMP_ERROR;
		}
		return PUMP_MORE;
	case WS_OP_PING:
		return send_frame(con, WS_OP_PONG, f->payload, f->len) ? PUMP_ERROR : PUMP_MORE;
	case WS_OP_CLOSE:
		/* Echo the status code, as 5.5.1 asks; the session is over either way. */
		if (!con->close_sent)
			send_frame(con, WS_OP_CLOSE, f->payload, MIN(f->len, (size_t)2));
		return PUMP_DONE;
	default:
		return PUMP_MORE; /* a pong */
	}
}

/* Handle every whole frame in rx, keeping a partial one for later. */
static enum pump_result on_frames(struct console *con)
{
	enum pump_result res = PUMP_MORE;
	size_t off = 0;

	while (res == PUMP_MORE) {
		struct ws_frame f;
		ssize_t n =
		    ws_parse_frame(con->rx + off, con->rx_len - off, MAX_PAYLOAD, false, &f);

		if (n == 0)
			break;
		if (n < 0) {
			pr_err("xkvmd at %s: bad WebSocket frame on the console: %s",
			       con->ep->where, strerror((int)-n));
			return PUMP_ERROR;
		}
		off += (size_t)n;
		res = on_frame(con, &f);
	}
	con->rx_len -= off;
	memmove(con->rx, con->rx + off, con->rx_len);
	return res;
}

static enum pump_result on_socket(struct console *con)
{
	ssize_t n = read_more(con, RX_CAP, 0);

	if (n == -ETIMEDOUT)
		return PUMP_MORE; /* woken for nothing */
	if (n == 0 && con->close_sent)
		return PUMP_DONE;
	if (n <= 0) {
		pr_err("xkvmd at %s closed the console connection%s%s", con->ep->where,
		       n ? ": " : "", n ? strerror((int)-n) : "");
		return PUMP_ERROR;
	}
	return on_frames(con);
}

static enum pump_result on_stdin(struct console *con)
{
	uint8_t buf[TX_CHUNK];
	ssize_t n;
	uint8_t *esc;

	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		/* End of input: close politely and let the server's last output through. */
		con->stdin_done = true;
		return start_close(con) ? PUMP_ERROR : PUMP_MORE;
	}
	esc = con->raw ? memchr(buf, ESCAPE_CHAR, (size_t)n) : NULL;
	if (esc) {
		if (esc > buf && send_frame(con, WS_OP_BINARY, buf, (size_t)(esc - buf)))
			return PUMP_ERROR;
		start_close(con);
		return PUMP_DONE; /* detached, as xl console: nothing printed */
	}
	return send_frame(con, WS_OP_BINARY, buf, (size_t)n) ? PUMP_ERROR : PUMP_MORE;
}

static int ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static enum pump_result pump(struct console *con)
{
	/* The handshake's last read may have brought the first frames already. */
	enum pump_result res = on_frames(con);

	while (res == PUMP_MORE) {
		struct pollfd pfd[3] = {
		    {.fd = con->sock, .events = POLLIN},
		    {.fd = con->sigfd, .events = POLLIN},
		    {.fd = STDIN_FILENO, .events = POLLIN},
		};
		nfds_t nfds = con->stdin_done || con->close_sent ? 2 : 3;
		int r = poll(pfd, nfds, con->close_sent ? ms_until(&con->close_deadline) : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pr_err("console: poll: %s", strerror(errno));
			return PUMP_ERROR;
		}
		if (r == 0)
			return PUMP_DONE; /* no answer to our close: done anyway */
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(con->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				con->signo = (int)si.ssi_signo;
			if (!con->close_sent)
				start_close(con);
			return PUMP_DONE;
		}
		if (pfd[0].revents)
			res = on_socket(con);
		if (res == PUMP_MORE && nfds == 3 && pfd[2].revents)
			res = on_stdin(con);
	}
	return res;
}

/* The terminal in raw mode, so every key (but Ctrl-]) goes to the guest. */
static void terminal_raw(struct console *con)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &con->saved))
		return;
	raw = con->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return;
	con->raw = true;
	log_set_crlf(true);
}

static void terminal_restore(struct console *con)
{
	if (!con->raw)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &con->saved);
	log_set_crlf(false);
	con->raw = false;
}

/*
 * Signals that end the session arrive on a signalfd, so the terminal is
 * restored on the normal path (no handler, no global state).  SIGPIPE is
 * ignored: a closed socket or stdout shows up as EPIPE.
 */
static int run_session(struct console *con, const char *path)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	sigset_t set, old_mask;
	enum pump_result res;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, &old_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	con->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (con->sigfd < 0) {
		pr_err("console: signalfd: %s", strerror(errno));
		res = PUMP_ERROR;
	} else if (handshake(con, path)) {
		res = PUMP_ERROR;
	} else {
		terminal_raw(con);
		res = pump(con);
		terminal_restore(con);
	}
	if (con->sigfd >= 0)
		close(con->sigfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (con->signo)
		return 128 + con->signo;
	return res == PUMP_DONE ? 0 : 1;
}

int client_console(struct client *c, const char *vm)
{
	struct console con = {.ep = &c->ep, .sock = -1, .sigfd = -1};
	char *path = client_vm_path(vm, "/console");
	int code = 1;

	con.rx = malloc(RX_CAP);
	if (!path || !con.rx) {
		pr_err("out of memory");
		goto out;
	}
	con.sock = client_connect_raw(&c->ep, CONNECT_TIMEOUT_MS);
	if (con.sock < 0)
		goto out;
	code = run_session(&con, path);
	close(con.sock);
out:
	free(con.rx);
	free(path);
	return code;
}

int cmd_console(const struct cli *cli)
{
	static const char usage[] = "Usage: xkvm console NAME\n";
	static const char help[] = "\nAttach this terminal to a VM's console; Ctrl-] detaches.\n"
				   "Without a terminal, stdin is sent until it ends.\n";
	int argc = cli_verb_argc(cli), code;
	char **argv = cli_verb_argv(cli);
	struct client client;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s%s", usage, help);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fputs(usage, stderr);
		return 2;
	}
	if (client_open(&client))
		return 1;
	code = client_console(&client, argv[1]);
	client_close(&client);
	return code;
}
