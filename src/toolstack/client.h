/* SPDX-License-Identifier: MIT */
/*
 * The CLI's side of the xkvmd API (docs/toolstack.md): finding the daemon,
 * HTTP requests carrying JSON, and the helpers that print its answers the
 * way `xl` prints.  The CLI only parses, calls and prints.
 */
#ifndef XKVM_TOOLSTACK_CLIENT_H
#define XKVM_TOOLSTACK_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A bigger answer is refused: no API object comes near it. */
#define CLIENT_MAX_RESPONSE (16u << 20)

enum endpoint_kind { ENDPOINT_UNIX, ENDPOINT_TCP };

/* Where xkvmd listens and how to talk to it. */
struct endpoint {
	enum endpoint_kind kind;
	char unix_path[108]; /* sun_path's size */
	char host[256];	     /* TCP: host name or address, without IPv6 brackets */
	char port[8];
	char url[300];	  /* base of request URLs, "http://host:port", no trailing '/' */
	char token[160];  /* TCP: the bearer token, "" for none */
	char where[4200]; /* for messages: the socket path or the URL */
};

/*
 * Choose the endpoint: api (the value of $XKVM_API: "unix:/path" or
 * "http://host[:port]") if set, else run_dir/xkvmd.sock if it exists, else
 * the URL in state_dir/endpoint; for TCP, the token in state_dir/token.  A
 * NULL dir is one that is not known.  Returns 0; -ENOENT when there is no
 * daemon to try (ep->where names the socket looked for); another -errno
 * for a malformed $XKVM_API or endpoint file, or a bad or unreadable token
 * file (the message in err).
 */
int endpoint_select(const char *api, const char *run_dir, const char *state_dir,
		    struct endpoint *ep, char *err, size_t err_len);

/* Percent-encode all but RFC 3986's unreserved characters.  malloc'd, NULL on ENOMEM. */
char *url_encode(const char *s);

struct client {
	struct endpoint ep;
	void *curl;	/* CURL * */
	long timeout_s; /* whole-request limit; set longer for ?sync=true */
	bool verbose;
};

/* Find xkvmd from the environment and prepare a connection.  Prints why not; returns 0 or -1. */
int client_open(struct client *c);
void client_close(struct client *c);

struct response {
	long status;
	json_t *json; /* NULL when the body was empty or not JSON */
};

/*
 * One request: path starts with "/rest/", body may be NULL.  Returns 0 when
 * xkvmd answered, whatever the status; else prints "cannot reach xkvmd ..."
 * (or why the exchange failed) and returns -1.  Free r->json.
 */
int client_request(struct client *c, const char *method, const char *path, const json_t *body,
		   struct response *r);

/*
 * client_request for verbs: a 2xx answer returns 0 and its JSON in *out
 * (may be NULL; out may be NULL); anything else prints the API's error and
 * returns 1, the CLI's exit status for a failed request.
 */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **out);

/* "xkvm: error: <message>" for an API error answer, one such line per line of message. */
void client_print_error(long status, const json_t *body);

/* "/rest/v0/vms/<vm, encoded>" + suffix (may be ""). malloc'd, NULL on ENOMEM. */
char *client_vm_path(const char *vm, const char *suffix);

/*
 * Read a whole file of at most max bytes.  malloc'd, NUL-terminated, its
 * size in *len; NULL with errno set (EFBIG when larger than max).
 */
char *client_read_file(const char *path, size_t max, size_t *len);

/* A raw stream socket to xkvmd (for the WebSocket console).  fd or -errno. */
int client_connect_raw(const struct endpoint *ep, int timeout_ms);

/* Attach this terminal to a VM's console (cmd_console.c).  Returns the exit status. */
int client_console(struct client *c, const char *vm);

/* Formatting API objects as xl does; pure, for the unit tests. */

/* xl's six state flags, "r-----", from power_state (and last_exit for a crash). */
const char *vm_state_flags(const json_t *vm);
/* The short mode label: pv, hvm, pvhvm (hvm with PV drivers), pv_in_pvh, pvh. */
const char *vm_mode_label(const json_t *vm);
void list_print_header(FILE *out);
void list_print_row(FILE *out, const json_t *vm);
/* xl uptime's "[D day[s], ]HH:MM:SS". */
void uptime_format(unsigned long secs, char *buf, size_t len);
void uptime_print_header(FILE *out);
/* One `xl uptime` row; nothing for a VM without startTime (not running). */
void uptime_print_row(FILE *out, const json_t *vm, long long now);
/* `xl info`-style "key                    : value" lines for GET /rest/v0/host. */
void info_print(FILE *out, const json_t *host);

#endif
