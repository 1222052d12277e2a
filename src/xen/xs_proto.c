/* SPDX-License-Identifier: MIT */
/*
 * xenstored's wire protocol on one connection: reassemble struct
 * xsd_sockmsg requests from whatever chunks the transport delivers, run
 * them against the store as the connection's domain, and queue replies in
 * the exact formats libxenstore and guest kernels expect.
 */
#include "xen/xs_internal.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN sizeof(struct xsd_sockmsg)

/* ---- Output ---- */

static struct xs_outmsg *msg_build(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
				   size_t alen, const void *b, size_t blen)
{
	struct xs_outmsg *m = malloc(sizeof(*m) + HDR_LEN + alen + blen);
	struct xsd_sockmsg hdr = {
	    .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)(alen + blen)};

	if (!m)
		return NULL;
	m->next = NULL;
	m->len = HDR_LEN + alen + blen;
	m->off = 0;
	memcpy(m->data, &hdr, HDR_LEN);
	if (alen)
		memcpy(m->data + HDR_LEN, a, alen);
	if (blen)
		memcpy(m->data + HDR_LEN + alen, b, blen);
	return m;
}

static size_t msg_cost(const struct xs_outmsg *m)
{
	return sizeof(*m) + m->len;
}

static void msg_list_free(struct xs_outmsg *m)
{
	struct xs_outmsg *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

static void list_append(struct xs_outmsg **head, struct xs_outmsg **tail, struct xs_outmsg *m)
{
	if (*tail)
		(*tail)->next = m;
	else
		*head = m;
	*tail = m;
}

/* Queue a message; a client that lets output pile up past its quota is cut off. */
static void conn_push(struct xs_conn *c, struct xs_outmsg *m, bool defer)
{
	if (!m) {
		pr_warn_once("xenstore: out of memory queueing a reply");
		return;
	}
	if (c->broken) {
		free(m);
		return;
	}
	if (c->nr_out >= c->s->quota.max_output_msgs ||
	    c->out_bytes + msg_cost(m) > c->s->quota.max_output_bytes) {
		pr_warn("xenstore: domain %u does not read its replies; disconnecting", c->domid);
		c->broken = true;
		free(m);
		return;
	}
	c->nr_out++;
	c->out_bytes += msg_cost(m);
	if (defer)
		list_append(&c->defer_head, &c->defer_tail, m);
	else
		list_append(&c->out_head, &c->out_tail, m);
}

static void conn_reply(struct xs_conn *c, const void *payload, size_t len)
{
	conn_push(c, msg_build(c->hdr.type, c->hdr.req_id, c->hdr.tx_id, payload, len, NULL, 0),
		  false);
}

static void conn_ack(struct xs_conn *c)
{
	conn_reply(c, "OK", 3);
}

static const char *error_name(int err)
{
	unsigned i;

	/*
	 * Quotas: "ENOSPC", as Xen's C xenstored.  libxenstore and Linux's
	 * xenbus look error names up in xsd_errors[] and make any other name
	 * (oxenstored's "EQUOTA") EINVAL, so only a name in that table reaches
	 * the client as what it is.
	 */
	if (err == XS_EQUOTA)
		return "ENOSPC";
	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL"; /* as xenstored does for untranslatable errors */
}

static void conn_error(struct xs_conn *c, int err)
{
	const char *name = error_name(err);

	conn_push(c,
		  msg_build(XS_ERROR, c->hdr.req_id, c->hdr.tx_id, name, strlen(name) + 1, NULL, 0),
		  false);
}

void xs_conn_queue_event(struct xs_conn *c, const char *path, const char *token)
{
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;

	/* The client could not receive it (e.g. a long token on a deep path). */
	if (plen + tlen > XENSTORE_PAYLOAD_MAX) {
		pr_debug("xenstore: dropping oversized watch event for %s", path);
		return;
	}
	conn_push(c, msg_build(XS_WATCH_EVENT, 0, 0, path, plen, token, tlen), c->executing);
}

/* The reply is queued: the request's own watch events may follow it now. */
static void flush_deferred(struct xs_conn *c)
{
	if (!c->defer_head)
		return;
	if (c->out_tail)
		c->out_tail->next = c->defer_head;
	else
		c->out_head = c->defer_head;
	c->out_tail = c->defer_tail;
	c->defer_head = c->defer_tail = NULL;
}

/* ---- Connection state ---- */

static void watch_free(struct xs_conn_watch *w)
{
	free(w->path);
	free(w->token);
	free(w);
}

void xs_conn_drop_watches_and_txs(struct xs_conn *c)
{
	struct xs_conn_watch *w, *wnext;
	struct xs_tx *tx, *txnext;

	for (w = c->watches; w; w = wnext) {
		wnext = w->next;
		watch_free(w);
	}
	c->watches = NULL;
	c->nr_watches = 0;
	c->watch_bytes = 0;
	for (tx = c->txs; tx; tx = txnext) {
		txnext = tx->next;
		xs_tx_free(tx);
	}
	c->txs = NULL;
	c->nr_txs = 0;
}

static void drop_output(struct xs_conn *c)
{
	msg_list_free(c->out_head);
	msg_list_free(c->defer_head);
	c->out_head = c->out_tail = c->defer_head = c->defer_tail = NULL;
	c->nr_out = 0;
	c->out_bytes = 0;
}

void xs_conn_reset(struct xs_conn *c)
{
	xs_lock(c->s);
	xs_conn_drop_watches_and_txs(c);
	drop_output(c);
	c->in_have = 0;
	c->broken = false;
	xs_unlock(c->s);
}

struct xs_conn *xs_conn_new(struct xs_store *s, uint16_t domid, xs_conn_notify_fn notify,
			    void *opaque)
{
	struct xs_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->s = s;
	c->domid = domid;
	c->notify = notify;
	c->opaque = opaque;
	c->next_tx_id = 1;
	xs_lock(s);
	c->id = ++s->next_conn_id;
	c->next = s->conns;
	s->conns = c;
	xs_unlock(s);
	return c;
}

void xs_conn_free(struct xs_conn *c)
{
	struct xs_store *s;
	struct xs_conn **pp;

	if (!c)
		return;
	s = c->s;
	xs_lock(s);
	for (pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* A notification may be running on another thread: its opaque must outlive it. */
	xs_wait_inflight(s, XS_CB_CONN, c->id);
	xs_conn_drop_watches_and_txs(c);
	drop_output(c);
	xs_unlock(s);
	free(c);
}

/* ---- Arguments ---- */

/* Split the payload into NUL-terminated strings; returns how many there are (at most max). */
static unsigned get_strings(const struct xs_conn *c, const char **vec, unsigned max)
{
	const char *p = c->in_buf, *end = c->in_buf + c->hdr.len;
	unsigned n = 0;

	while (n < max && p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (!nul)
			break;
		vec[n++] = p;
		p = nul + 1;
	}
	return n;
}

/* The payload is exactly one NUL-terminated string. */
static const char *one_arg(const struct xs_conn *c)
{
	size_t len = c->hdr.len;

	if (len == 0 || c->in_buf[len - 1] != '\0' || strlen(c->in_buf) != len - 1)
		return NULL;
	return c->in_buf;
}

static int path_arg(const struct xs_conn *c, const char *in, char *abs)
{
	return in ? xs_canonical_path(c->domid, in, abs, XS_PATH_BUF) : -EINVAL;
}

/* A plain decimal number up to max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > (max - (unsigned long)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

/* ---- Requests ---- */

static int do_read(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const struct xs_node *n = NULL;
	int err = path_arg(c, one_arg(c), abs);

	if (!err)
		err = xs_op_get(ctx, abs, &n);
	if (!err && n)
		conn_reply(c, n->value, n->len);
	return err;
}

static size_t children_len(const struct xs_node *n)
{
	size_t len = 0;
	unsigned i;

	for (i = 0; i < n->nr_children; i++)
		len += strlen(n->children[i]->name) + 1;
	return len;
}

/* The children's names, each followed by a NUL (caller frees). */
static char *children_blob(const struct xs_node *n, size_t *len)
{
	char *blob, *p;
	unsigned i;

	*len = children_len(n);
	blob = malloc(*len + 1);
	if (!blob)
		return NULL;
	p = blob;
	for (i = 0; i < n->nr_children; i++) {
		size_t l = strlen(n->children[i]->name) + 1;

		memcpy(p, n->children[i]->name, l);
		p += l;
	}
	*p = '\0';
	return blob;
}

static int do_directory(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const struct xs_node *n;
	size_t len;
	char *blob;
	int err = path_arg(c, one_arg(c), abs);

	if (!err)
		err = xs_op_get(ctx, abs, &n);
	if (err)
		return err;
	/* libxenstore falls back to XS_DIRECTORY_PART on E2BIG. */
	if (children_len(n) > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	blob = children_blob(n, &len);
	if (!blob)
		return -ENOMEM;
	conn_reply(c, blob, len);
	free(blob);
	return 0;
}

/*
 * One chunk of a long directory: the node's generation, then as many whole
 * names as fit from byte offset `off` of the name list, then an extra empty
 * string once the list is complete.
 */
static void reply_directory_part(struct xs_conn *c, const struct xs_node *n, const char *blob,
				 size_t total, size_t off)
{
	char out[XENSTORE_PAYLOAD_MAX];
	int genlen = snprintf(out, sizeof(out), "%" PRIu64, n->generation) + 1;
	size_t max = XENSTORE_PAYLOAD_MAX - (size_t)genlen - 1, len = 0;

	while (off < total) {
		size_t l = strlen(blob + off + len);

		if (len + l >= max)
			break;
		len += l + 1;
		if (off + len >= total)
			break;
	}
	memcpy(out + genlen, blob + off, len);
	if (off + len >= total)
		out[genlen + len++] = '\0';
	conn_reply(c, out, (size_t)genlen + len);
}

static int do_directory_part(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const char *args[2];
	const struct xs_node *n;
	unsigned long off;
	size_t total;
	char *blob;
	int err;

	if (get_strings(c, args, 2) != 2 || parse_uint(args[1], UINT32_MAX, &off))
		return -EINVAL;
	err = path_arg(c, args[0], abs);
	if (!err)
		err = xs_op_get(ctx, abs, &n);
	if (err)
		return err;
	blob = children_blob(n, &total);
	if (!blob)
		return -ENOMEM;
	reply_directory_part(c, n, blob, total, off);
	free(blob);
	return 0;
}

static int do_get_perms(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF], out[XENSTORE_PAYLOAD_MAX];
	const struct xs_node *n;
	size_t len = 0;
	unsigned i;
	int err = path_arg(c, one_arg(c), abs);

	if (!err)
		err = xs_op_get(ctx, abs, &n);
	if (err)
		return err;
	for (i = 0; i < n->nr_perms; i++) {
		int l = snprintf(out + len, sizeof(out) - len, "%c%u",
				 xs_perm_char(n->perms[i].mode), n->perms[i].domid);

		if (l < 0 || (size_t)l + 1 > sizeof(out) - len)
			return -E2BIG;
		len += (size_t)l + 1;
	}
	conn_reply(c, out, len);
	return 0;
}

static int do_write(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const char *path;
	size_t plen;
	int err;

	if (get_strings(c, &path, 1) != 1)
		return -EINVAL;
	err = path_arg(c, path, abs);
	if (err)
		return err;
	plen = strlen(path) + 1;
	err = xs_op_write(ctx, abs, c->in_buf + plen, c->hdr.len - plen);
	if (!err)
		conn_ack(c);
	return err;
}

/* A request whose one argument is a path and whose reply is "OK". */
static int do_path_op(struct xs_conn *c, const struct xs_ctx *ctx,
		      int (*op)(const struct xs_ctx *ctx, const char *path))
{
	char abs[XS_PATH_BUF];
	int err = path_arg(c, one_arg(c), abs);

	if (!err)
		err = op(ctx, abs);
	if (!err)
		conn_ack(c);
	return err;
}

static int do_mkdir(struct xs_conn *c, const struct xs_ctx *ctx)
{
	return do_path_op(c, ctx, xs_op_mkdir);
}

static int do_rm(struct xs_conn *c, const struct xs_ctx *ctx)
{
	return do_path_op(c, ctx, xs_op_rm);
}

static unsigned count_nuls(const char *p, size_t len)
{
	unsigned n = 0;

	for (; len; len--)
		n += *p++ == '\0';
	return n;
}

/* Payload: path, then one or more permission strings, all NUL-terminated. */
static int do_set_perms(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	struct xs_perm *perms;
	const char *p = c->in_buf, *end = c->in_buf + c->hdr.len;
	unsigned nr, i;
	int err;

	if (c->hdr.len == 0 || c->in_buf[c->hdr.len - 1] != '\0')
		return -EINVAL;
	nr = count_nuls(c->in_buf, c->hdr.len) - 1;
	if (nr == 0)
		return -EINVAL;
	err = path_arg(c, p, abs);
	if (err)
		return err;
	perms = calloc(nr, sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	p += strlen(p) + 1;
	for (i = 0; i < nr && p < end && !err; i++) {
		err = xs_parse_perm(p, &perms[i]);
		p += strlen(p) + 1;
	}
	if (!err)
		err = xs_op_set_perms(ctx, abs, perms, nr);
	free(perms);
	if (!err)
		conn_ack(c);
	return err;
}

static struct xs_conn_watch *find_watch(struct xs_conn *c, const char *path, const char *token,
					struct xs_conn_watch ***link)
{
	struct xs_conn_watch **pp;

	for (pp = &c->watches; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->path, path) == 0 && strcmp((*pp)->token, token) == 0) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

/* Watches are bounded per domain, in count and in bytes of path and token. */
static int watch_quota(const struct xs_conn *c, const struct xs_conn_watch *w)
{
	unsigned watches, txs;
	size_t bytes;

	if (c->domid == XS_DOM0)
		return 0;
	xs_domain_usage(c->s, c->domid, &watches, &bytes, &txs);
	if (watches >= c->s->quota.max_watches ||
	    bytes + xs_watch_cost(w) > c->s->quota.max_watch_bytes)
		return -XS_EQUOTA;
	return 0;
}

static int do_watch(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const char *args[2];
	struct xs_conn_watch *w;
	unsigned strip;
	int err;

	if (get_strings(c, args, 2) != 2)
		return -EINVAL;
	err = xs_canonical_watch_path(c->domid, args[0], abs, sizeof(abs), &strip);
	if (err)
		return err;
	if (find_watch(c, abs, args[1], NULL))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (w) {
		w->path = strdup(abs);
		w->token = strdup(args[1]);
	}
	if (!w || !w->path || !w->token) {
		if (w)
			watch_free(w);
		return -ENOMEM;
	}
	err = watch_quota(c, w);
	if (err) {
		watch_free(w);
		return err;
	}
	w->strip_len = strip;
	w->next = c->watches;
	c->watches = w;
	c->nr_watches++;
	c->watch_bytes += xs_watch_cost(w);
	conn_ack(c);
	/* Fire once up front, after the ack, as xenstored does. */
	xs_fire_initial(ctx, c, w);
	return 0;
}

static int do_unwatch(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char abs[XS_PATH_BUF];
	const char *args[2];
	struct xs_conn_watch *w, **link = NULL;
	unsigned strip;
	int err;

	if (get_strings(c, args, 2) != 2)
		return -EINVAL;
	err = xs_canonical_watch_path(c->domid, args[0], abs, sizeof(abs), &strip);
	if (err)
		return err;
	w = find_watch(c, abs, args[1], &link);
	if (!w)
		return -ENOENT;
	*link = w->next;
	c->watch_bytes -= xs_watch_cost(w);
	watch_free(w);
	c->nr_watches--;
	conn_ack(c);
	return 0;
}

static struct xs_tx *find_tx(const struct xs_conn *c, uint32_t id)
{
	struct xs_tx *tx;

	for (tx = c->txs; tx; tx = tx->next)
		if (tx->id == id)
			return tx;
	return NULL;
}

static uint32_t next_tx_id(struct xs_conn *c)
{
	uint32_t id;

	do {
		id = c->next_tx_id++;
	} while (id == 0 || find_tx(c, id));
	return id;
}

static int do_transaction_start(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char out[16];
	struct xs_tx *tx;

	/* Transactions do not nest. */
	if (ctx->tx)
		return -EBUSY;
	if (c->domid != XS_DOM0) {
		unsigned watches, txs;
		size_t bytes;

		xs_domain_usage(c->s, c->domid, &watches, &bytes, &txs);
		if (txs >= c->s->quota.max_transactions)
			return -XS_EQUOTA;
	}
	tx = xs_tx_new(next_tx_id(c), c->domid);
	if (!tx)
		return -ENOMEM;
	tx->next = c->txs;
	c->txs = tx;
	c->nr_txs++;
	conn_reply(c, out, (size_t)snprintf(out, sizeof(out), "%u", tx->id) + 1);
	return 0;
}

static void unlink_tx(struct xs_conn *c, const struct xs_tx *tx)
{
	struct xs_tx **pp;

	for (pp = &c->txs; *pp; pp = &(*pp)->next) {
		if (*pp == tx) {
			*pp = tx->next;
			c->nr_txs--;
			return;
		}
	}
}

static int do_transaction_end(struct xs_conn *c, const struct xs_ctx *ctx)
{
	const char *arg = one_arg(c);
	struct xs_ctx live = *ctx;
	struct xs_tx *tx = ctx->tx;
	bool commit;
	int err = 0;

	if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return -EINVAL;
	if (!tx)
		return -ENOENT;
	commit = arg[0] == 'T';
	unlink_tx(c, tx);
	live.tx = NULL;
	if (commit)
		err = xs_tx_commit(&live, tx);
	xs_tx_free(tx);
	if (!err)
		conn_ack(c);
	return err;
}

static int do_get_domain_path(struct xs_conn *c, const struct xs_ctx *ctx)
{
	char out[32];
	unsigned long domid;

	if (parse_uint(one_arg(c), UINT16_MAX, &domid))
		return -EINVAL;
	conn_reply(c, out, (size_t)snprintf(out, sizeof(out), "/local/domain/%lu", domid) + 1);
	return 0;
}

static int do_is_domain_introduced(struct xs_conn *c, const struct xs_ctx *ctx)
{
	unsigned long domid;

	if (parse_uint(one_arg(c), UINT16_MAX, &domid))
		return -EINVAL;
	conn_reply(c, "T", 2);
	return 0;
}

/* Requests only domain 0 may make, with one string argument. */
static int check_dom0_one_arg(struct xs_conn *c)
{
	const char *arg;

	if (c->domid != XS_DOM0)
		return -EACCES;
	return get_strings(c, &arg, 1) == 1 ? 0 : -EINVAL;
}

/* Domain management is the VMM's business: privileged clients just get an ack. */
static int do_privileged_ack(struct xs_conn *c, const struct xs_ctx *ctx)
{
	int err = check_dom0_one_arg(c);

	if (err)
		return err;
	if (c->hdr.type == XS_INTRODUCE)
		xs_fire_special(ctx, "@introduceDomain");
	else if (c->hdr.type == XS_RELEASE)
		xs_fire_special(ctx, "@releaseDomain");
	conn_ack(c);
	return 0;
}

static int do_control(struct xs_conn *c, const struct xs_ctx *ctx)
{
	int err = check_dom0_one_arg(c);

	return err ? err : -ENOSYS; /* no control commands are offered */
}

static int do_reset_watches(struct xs_conn *c, const struct xs_ctx *ctx)
{
	xs_conn_drop_watches_and_txs(c);
	conn_ack(c);
	return 0;
}

typedef int (*handler_fn)(struct xs_conn *c, const struct xs_ctx *ctx);

static handler_fn handler_for(uint32_t type)
{
	switch (type) {
	case XS_CONTROL:
		return do_control;
	case XS_DIRECTORY:
		return do_directory;
	case XS_READ:
		return do_read;
	case XS_GET_PERMS:
		return do_get_perms;
	case XS_WATCH:
		return do_watch;
	case XS_UNWATCH:
		return do_unwatch;
	case XS_TRANSACTION_START:
		return do_transaction_start;
	case XS_TRANSACTION_END:
		return do_transaction_end;
	case XS_INTRODUCE:
	case XS_RELEASE:
	case XS_RESUME:
	case XS_SET_TARGET:
		return do_privileged_ack;
	case XS_GET_DOMAIN_PATH:
		return do_get_domain_path;
	case XS_WRITE:
		return do_write;
	case XS_MKDIR:
		return do_mkdir;
	case XS_RM:
		return do_rm;
	case XS_SET_PERMS:
		return do_set_perms;
	case XS_IS_DOMAIN_INTRODUCED:
		return do_is_domain_introduced;
	case XS_RESET_WATCHES:
		return do_reset_watches;
	case XS_DIRECTORY_PART:
		return do_directory_part;
	default:
		return NULL; /* including XS_WATCH_EVENT and XS_ERROR, which only we send */
	}
}

static void conn_execute(struct xs_conn *c, struct xs_pending *p)
{
	struct xs_ctx ctx = {.s = c->s, .domid = c->domid, .pending = p};
	handler_fn fn = handler_for(c->hdr.type);
	int err = 0;

	c->in_buf[c->hdr.len] = '\0'; /* guard: strings never run past the payload */
	c->executing = true;
	if (c->hdr.tx_id) {
		ctx.tx = find_tx(c, c->hdr.tx_id);
		if (!ctx.tx)
			err = -ENOENT;
	}
	if (!err)
		err = fn ? fn(c, &ctx) : -EINVAL;
	if (err)
		conn_error(c, -err);
	c->executing = false;
	flush_deferred(c);
}

/* Consume bytes of one message; returns how many, or -EPROTO. */
static ssize_t conn_consume(struct xs_conn *c, const uint8_t *data, size_t len,
			    struct xs_pending *p)
{
	size_t used = 0, n;

	if (c->in_have < HDR_LEN) {
		n = MIN(len, HDR_LEN - c->in_have);
		memcpy((uint8_t *)&c->hdr + c->in_have, data, n);
		c->in_have += n;
		used = n;
		if (c->in_have < HDR_LEN)
			return (ssize_t)used;
		if (c->hdr.len > XENSTORE_PAYLOAD_MAX) {
			pr_warn("xenstore: domain %u sent a %u-byte message; disconnecting",
				c->domid, c->hdr.len);
			c->broken = true;
			return -EPROTO;
		}
	}
	n = MIN(len - used, HDR_LEN + c->hdr.len - c->in_have);
	memcpy(c->in_buf + (c->in_have - HDR_LEN), data + used, n);
	c->in_have += n;
	used += n;
	if (c->in_have == HDR_LEN + c->hdr.len) {
		conn_execute(c, p);
		c->in_have = 0;
	}
	return (ssize_t)used;
}

int xs_conn_feed(struct xs_conn *c, const void *data, size_t len)
{
	const uint8_t *bytes = data;
	struct xs_pending p = {0};
	int err = 0;

	xs_lock(c->s);
	while (!c->broken && len) {
		ssize_t used = conn_consume(c, bytes, len, &p);

		if (used < 0)
			break;
		bytes += used;
		len -= (size_t)used;
	}
	if (c->broken)
		err = -EPROTO;
	xs_unlock(c->s);
	xs_pending_run(c->s, &p);
	return err;
}

size_t xs_conn_take_output(struct xs_conn *c, void *buf, size_t max)
{
	uint8_t *out = buf;
	size_t copied = 0;

	xs_lock(c->s);
	while (copied < max && c->out_head) {
		struct xs_outmsg *m = c->out_head;
		size_t n = MIN(m->len - m->off, max - copied);

		memcpy(out + copied, m->data + m->off, n);
		m->off += n;
		copied += n;
		if (m->off == m->len) {
			c->out_head = m->next;
			if (!c->out_head)
				c->out_tail = NULL;
			c->nr_out--;
			c->out_bytes -= msg_cost(m);
			free(m);
		}
	}
	xs_unlock(c->s);
	return copied;
}

bool xs_conn_has_output(struct xs_conn *c)
{
	bool ret;

	xs_lock(c->s);
	ret = c->out_head != NULL;
	xs_unlock(c->s);
	return ret;
}

bool xs_conn_broken(struct xs_conn *c)
{
	bool ret;

	xs_lock(c->s);
	ret = c->broken;
	xs_unlock(c->s);
	return ret;
}
