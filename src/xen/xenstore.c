/* SPDX-License-Identifier: MIT */
/*
 * The XenStore tree: nodes, permissions, quotas, transactions and watches.
 * The wire protocol and connections live in xs_proto.c.
 *
 * A transaction is an overlay on the live tree: a record per path it read
 * or changed, keyed by path, holding the live generation the node had when
 * the transaction first touched it (generations come from one store-wide
 * counter, so a node deleted and re-created never matches) and, for a
 * changed node, the transaction's own copy (NULL if removed).  Reads of
 * untouched nodes fall through to the live tree, so a transaction costs
 * what it touches, not the size of the tree.  A commit succeeds only if
 * every recorded node is unchanged in the live tree and the domain's node
 * quotas still hold there; then the copies are replayed, parents first.
 *
 * Every byte the store holds for a guest is bounded by its quotas (see
 * struct xs_quota); past one the request gets XS_EQUOTA, sent as "ENOSPC".
 */
#include "xen/xs_internal.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's xenstored defaults, used for quota fields left at 0. */
#define DEFAULT_MAX_NODES	 1000
#define DEFAULT_MAX_WATCHES	 128
#define DEFAULT_MAX_TRANSACTIONS 10
#define DEFAULT_MAX_VALUE_LEN	 2048
#define DEFAULT_MAX_OUTPUT_MSGS	 1024
#define DEFAULT_MAX_TX_RECORDS	 1024 /* xenstored's transaction-nodes quota */
/* Byte bounds: far above what a real guest uses, far below what hurts the VMM. */
#define DEFAULT_MAX_NODE_BYTES	 (2u << 20)
#define DEFAULT_MAX_TX_BYTES	 (256u << 10)
#define DEFAULT_MAX_WATCH_BYTES	 (128u << 10)
#define DEFAULT_MAX_OUTPUT_BYTES (1u << 20)

#define TX_BUCKETS 256

/* Transaction record flags. */
#define REC_FIRE 1u /* fire watches for this path at commit */

struct xs_tx_rec {
	struct xs_tx_rec *next_hash, *next;
	uint64_t start_gen;
	unsigned seq;	      /* order of first touch */
	bool existed;	      /* in the live tree at first touch */
	bool copied;	      /* node is the transaction's version of the path */
	uint8_t flags;	      /* REC_* */
	struct xs_node *node; /* if copied: a private copy, or NULL if removed */
	size_t cost;	      /* this record's share of tx->bytes */
	char path[];
};

void xs_lock(struct xs_store *s)
{
	pthread_mutex_lock(&s->lock);
}

void xs_unlock(struct xs_store *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* ---- Paths ---- */

static bool path_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

static bool path_chars_ok(const char *p)
{
	for (; *p; p++)
		if (!path_char_ok(*p))
			return false;
	return true;
}

/* An absolute path: no empty components, no trailing slash (except "/"). */
static bool abs_path_ok(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len > XENSTORE_ABS_PATH_MAX || !path_chars_ok(p))
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	return strstr(p, "//") == NULL;
}

int xs_canonical_path(uint16_t domid, const char *in, char *out, size_t out_len)
{
	size_t len = strnlen(in, XENSTORE_ABS_PATH_MAX + 1);
	int n;

	if (len == 0 || len > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	if (in[0] == '/') {
		if (len >= out_len)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, out_len, "/local/domain/%u/%s", domid, in);
		if (n < 0 || (size_t)n >= out_len)
			return -EINVAL;
	}
	return abs_path_ok(out) ? 0 : -EINVAL;
}

int xs_canonical_watch_path(uint16_t domid, const char *in, char *out, size_t out_len,
			    unsigned *strip_len)
{
	size_t len = strnlen(in, XENSTORE_REL_PATH_MAX + 1);
	int err;

	*strip_len = 0;
	if (in[0] == '@') {
		/* Special event names ("@releaseDomain"): only fired explicitly. */
		if (len < 2 || len > XENSTORE_REL_PATH_MAX || len >= out_len ||
		    !path_chars_ok(in) || strchr(in, '/'))
			return -EINVAL;
		memcpy(out, in, len + 1);
		return 0;
	}
	err = xs_canonical_path(domid, in, out, out_len);
	if (err)
		return err;
	if (in[0] != '/')
		*strip_len = (unsigned)(strlen(out) - len);
	return 0;
}

/* path[0..len) as its own string; len 0 is the root. */
static void path_prefix(char *buf, const char *path, size_t len)
{
	if (len == 0) {
		memcpy(buf, "/", 2);
		return;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
}

/* Length of the parent's part of a canonical path ("/a/b" → 2, "/a" → 0). */
static size_t parent_len(const char *path)
{
	return (size_t)(strrchr(path, '/') - path);
}

/* True if path is base or lies below it (both canonical, absolute). */
static bool path_at_or_below(const char *path, const char *base)
{
	size_t len = strlen(base);

	if (base[0] != '/' || path[0] != '/')
		return false;
	if (len == 1)
		return true;
	return strncmp(path, base, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static unsigned path_depth(const char *path)
{
	unsigned depth = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (; *path; path++)
		depth += *path == '/';
	return depth;
}

/* ---- Permissions ---- */

static unsigned perm_for(const struct xs_node *n, uint16_t domid)
{
	unsigned i;

	if (domid == XS_DOM0 || n->perms[0].domid == domid)
		return XS_PERM_BOTH;
	for (i = 1; i < n->nr_perms; i++)
		if (n->perms[i].domid == domid)
			return n->perms[i].mode;
	return n->perms[0].mode;
}

static bool is_owner(const struct xs_node *n, uint16_t domid)
{
	return domid == XS_DOM0 || n->perms[0].domid == domid;
}

int xs_parse_perm(const char *str, struct xs_perm *out)
{
	unsigned long domid = 0;
	const char *p;

	switch (str[0]) {
	case 'r':
		out->mode = XS_PERM_READ;
		break;
	case 'w':
		out->mode = XS_PERM_WRITE;
		break;
	case 'b':
		out->mode = XS_PERM_BOTH;
		break;
	case 'n':
		out->mode = XS_PERM_NONE;
		break;
	default:
		return -EINVAL;
	}
	if (str[1] == '\0' || strlen(str + 1) > 5)
		return -EINVAL;
	for (p = str + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		domid = domid * 10 + (unsigned long)(*p - '0');
	}
	if (domid > UINT16_MAX)
		return -EINVAL;
	out->domid = (uint16_t)domid;
	return 0;
}

char xs_perm_char(uint8_t mode)
{
	static const char chars[] = "nrwb";

	return chars[mode & XS_PERM_BOTH];
}

static struct xs_perm *perms_dup(const struct xs_perm *perms, unsigned nr)
{
	struct xs_perm *copy = calloc(nr, sizeof(*copy));

	if (copy)
		memcpy(copy, perms, nr * sizeof(*copy));
	return copy;
}

/* ---- Nodes and the live tree ---- */

static struct xs_node *node_alloc(const char *name, size_t len)
{
	struct xs_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

static void node_free(struct xs_node *n)
{
	unsigned i;

	if (!n)
		return;
	for (i = 0; i < n->nr_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->value);
	free(n->perms);
	free(n->name);
	free(n);
}

static struct xs_node *node_child(const struct xs_node *n, const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < n->nr_children; i++) {
		struct xs_node *c = n->children[i];

		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return c;
	}
	return NULL;
}

static int node_attach(struct xs_node *parent, struct xs_node *child)
{
	if (parent->nr_children == parent->cap_children) {
		unsigned cap = parent->cap_children ? parent->cap_children * 2 : 4;
		struct xs_node **c = reallocarray(parent->children, cap, sizeof(struct xs_node *));

		if (!c)
			return -ENOMEM;
		parent->children = c;
		parent->cap_children = cap;
	}
	parent->children[parent->nr_children++] = child;
	child->parent = parent;
	return 0;
}

static void node_detach(struct xs_node *child)
{
	struct xs_node *parent = child->parent;
	unsigned i;

	for (i = 0; i < parent->nr_children; i++) {
		if (parent->children[i] == child) {
			memmove(&parent->children[i], &parent->children[i + 1],
				(parent->nr_children - i - 1) * sizeof(struct xs_node *));
			parent->nr_children--;
			break;
		}
	}
	child->parent = NULL;
}

/* What a node costs its owner: itself, its name, value, perms and its slot in the parent. */
static size_t node_cost(const struct xs_node *n)
{
	return sizeof(*n) + strlen(n->name) + 1 + n->len + n->nr_perms * sizeof(struct xs_perm) +
	       sizeof(struct xs_node *);
}

/* Walk as far as path exists; *rest is left at the first missing component ("" if none). */
static struct xs_node *tree_walk(struct xs_node *root, const char *path, const char **rest)
{
	struct xs_node *n = root;
	const char *p = path + 1;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		struct xs_node *child = node_child(n, p, len);

		if (!child)
			break;
		n = child;
		p += len;
		if (*p == '/')
			p++;
	}
	*rest = p;
	return n;
}

static struct xs_node *tree_lookup(struct xs_node *root, const char *path)
{
	const char *rest;
	struct xs_node *n = tree_walk(root, path, &rest);

	return *rest ? NULL : n;
}

/* ---- Per-domain accounting of the live tree ---- */

static struct xs_acct *acct_slot(struct xs_store *s, uint16_t domid, bool create)
{
	unsigned i;

	for (i = 0; i < s->nr_accts; i++)
		if (s->accts[i].domid == domid)
			return &s->accts[i];
	if (!create)
		return NULL;
	if (s->nr_accts == s->cap_accts) {
		unsigned cap = s->cap_accts ? s->cap_accts * 2 : 8;
		struct xs_acct *a = reallocarray(s->accts, cap, sizeof(*a));

		if (!a)
			return NULL;
		s->accts = a;
		s->cap_accts = cap;
	}
	s->accts[s->nr_accts] = (struct xs_acct){.domid = domid};
	return &s->accts[s->nr_accts++];
}

/* Charge (sign 1) or refund (sign -1) live node n to its owner. */
static void acct_live(struct xs_store *s, const struct xs_node *n, int sign)
{
	struct xs_acct *a = acct_slot(s, n->perms[0].domid, sign > 0);
	size_t cost = node_cost(n);

	if (!a) {
		if (sign > 0)
			pr_warn_once("xenstore: out of memory counting nodes; quota inexact");
		return;
	}
	if (sign > 0) {
		a->nodes++;
		a->bytes += cost;
		return;
	}
	a->nodes -= a->nodes ? 1 : 0;
	a->bytes -= MIN(a->bytes, cost);
}

static void acct_live_subtree(struct xs_store *s, const struct xs_node *n, int sign)
{
	unsigned i;

	acct_live(s, n, sign);
	for (i = 0; i < n->nr_children; i++)
		acct_live_subtree(s, n->children[i], sign);
}

/* ---- Transaction overlay ---- */

static unsigned hash_path(const char *path)
{
	uint32_t h = 2166136261u;

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return h;
}

static struct xs_tx_rec *tx_find(const struct xs_tx *tx, const char *path)
{
	struct xs_tx_rec *r = tx->buckets[hash_path(path) % tx->nr_buckets];

	for (; r; r = r->next_hash)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

/* A node copy's cost: the node and the name-only stubs listing its children. */
static size_t copy_cost(const struct xs_node *n)
{
	size_t cost = node_cost(n);
	unsigned i;

	for (i = 0; i < n->nr_children; i++)
		cost += node_cost(n->children[i]);
	return cost;
}

/* Is there room in the transaction for `bytes` more? */
static int tx_room(const struct xs_ctx *ctx, size_t bytes)
{
	const struct xs_tx *tx = ctx->tx;

	if (ctx->domid == XS_DOM0 || tx->bytes + bytes <= ctx->s->quota.max_tx_bytes)
		return 0;
	return -XS_EQUOTA;
}

static void tx_cost(struct xs_tx *tx, struct xs_tx_rec *r, long delta)
{
	r->cost = (size_t)((long)r->cost + delta);
	tx->bytes = (size_t)((long)tx->bytes + delta);
}

/*
 * The record of path, made on first touch with the generation the live node
 * has then: that is what the commit checks.  Reads of missing paths are
 * recorded too (the node must still be missing at commit), so the record
 * count and size are what a guest's transaction is bounded by.
 */
static int tx_rec(const struct xs_ctx *ctx, const char *path, struct xs_tx_rec **out)
{
	struct xs_tx *tx = ctx->tx;
	size_t len = strlen(path), cost = sizeof(struct xs_tx_rec) + len + 1;
	struct xs_tx_rec *r = tx_find(tx, path);
	const struct xs_node *live;
	unsigned b;

	if (r) {
		*out = r;
		return 0;
	}
	if (ctx->domid != XS_DOM0 && tx->nr_recs >= ctx->s->quota.max_tx_records)
		return -XS_EQUOTA;
	if (tx_room(ctx, cost))
		return -XS_EQUOTA;
	r = calloc(1, sizeof(*r) + len + 1);
	if (!r)
		return -ENOMEM;
	memcpy(r->path, path, len + 1);
	live = tree_lookup(ctx->s->root, path);
	r->existed = live != NULL;
	r->start_gen = live ? live->generation : 0;
	r->seq = tx->nr_recs++;
	b = hash_path(path) % tx->nr_buckets;
	r->next_hash = tx->buckets[b];
	tx->buckets[b] = r;
	r->next = tx->recs;
	tx->recs = r;
	tx_cost(tx, r, (long)cost);
	*out = r;
	return 0;
}

/* Log that the transaction (if any) depends on path; flags as REC_FIRE. */
static int tx_note(const struct xs_ctx *ctx, const char *path, unsigned flags)
{
	struct xs_tx_rec *r;
	int err;

	if (!ctx->tx)
		return 0;
	err = tx_rec(ctx, path, &r);
	if (!err)
		r->flags |= (uint8_t)flags;
	return err;
}

/* The node at path as ctx sees it, or NULL. */
static struct xs_node *view_get(const struct xs_ctx *ctx, const char *path)
{
	const struct xs_tx_rec *r = ctx->tx ? tx_find(ctx->tx, path) : NULL;

	if (r && r->copied)
		return r->node;
	return tree_lookup(ctx->s->root, path);
}

/* A private copy of n for a transaction; its children are name-only stubs. */
static struct xs_node *node_copy(const struct xs_node *src)
{
	struct xs_node *n = node_alloc(src->name, strlen(src->name));
	unsigned i;

	if (!n)
		return NULL;
	n->generation = src->generation;
	n->perms = perms_dup(src->perms, src->nr_perms);
	n->nr_perms = src->nr_perms;
	if (src->len) {
		n->value = malloc(src->len);
		if (n->value)
			memcpy(n->value, src->value, src->len);
		n->len = src->len;
	}
	if (!n->perms || (src->len && !n->value))
		goto fail;
	for (i = 0; i < src->nr_children; i++) {
		const char *name = src->children[i]->name;
		struct xs_node *stub = node_alloc(name, strlen(name));

		if (!stub || node_attach(n, stub)) {
			node_free(stub);
			goto fail;
		}
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

/*
 * The node at path, ready to change: the live node, or the transaction's
 * own copy (made now if needed).  *rec is the transaction's record, if any.
 */
static int view_mut(const struct xs_ctx *ctx, const char *path, struct xs_node **out,
		    struct xs_tx_rec **rec)
{
	struct xs_tx_rec *r;
	const struct xs_node *live;
	int err;

	*rec = NULL;
	if (!ctx->tx) {
		*out = tree_lookup(ctx->s->root, path);
		return 0;
	}
	err = tx_rec(ctx, path, &r);
	if (err)
		return err;
	*rec = r;
	if (!r->copied) {
		live = tree_lookup(ctx->s->root, path);
		if (live && tx_room(ctx, copy_cost(live)))
			return -XS_EQUOTA;
		r->node = live ? node_copy(live) : NULL;
		if (live && !r->node)
			return -ENOMEM;
		r->copied = true;
		if (r->node)
			tx_cost(ctx->tx, r, (long)copy_cost(r->node));
	}
	*out = r->node;
	return 0;
}

struct xs_tx *xs_tx_new(uint32_t id, uint16_t domid)
{
	struct xs_tx *tx = calloc(1, sizeof(*tx));

	if (!tx)
		return NULL;
	tx->id = id;
	tx->domid = domid;
	tx->nr_buckets = TX_BUCKETS;
	tx->buckets = calloc(tx->nr_buckets, sizeof(struct xs_tx_rec *));
	if (!tx->buckets) {
		free(tx);
		return NULL;
	}
	tx->bytes = sizeof(*tx) + tx->nr_buckets * sizeof(struct xs_tx_rec *);
	return tx;
}

void xs_tx_free(struct xs_tx *tx)
{
	struct xs_tx_rec *r, *next;

	if (!tx)
		return;
	for (r = tx->recs; r; r = next) {
		next = r->next;
		node_free(r->node);
		free(r);
	}
	free(tx->buckets);
	free(tx);
}

/* ---- Watches ---- */

static void pending_notify(const struct xs_ctx *ctx, const struct xs_conn *c)
{
	/* The connection running the request drains its output itself. */
	if (!c->executing)
		xs_pending_add(ctx->pending, XS_CB_CONN, c->id, NULL);
}

static void conn_watch_event(const struct xs_ctx *ctx, struct xs_conn *c,
			     const struct xs_conn_watch *w, const char *path)
{
	const char *shown = path;

	if (w->strip_len && strncmp(path, w->path, w->strip_len) == 0)
		shown = path + w->strip_len;
	xs_conn_queue_event(c, shown, w->token);
	pending_notify(ctx, c);
}

/*
 * Which path an event for a change at `changed` carries to a watch on
 * `watched`, or NULL if the watch does not fire.  A removal also fires
 * watches below the removed node, with their own path.
 */
static const char *event_path(const char *watched, const char *changed, bool removed)
{
	if (path_at_or_below(changed, watched))
		return changed;
	if (removed && path_at_or_below(watched, changed))
		return watched;
	return NULL;
}

/* Fire watches for a change to the live tree; n holds the perms that decide who may see it. */
static void fire_change(const struct xs_ctx *ctx, const char *path, const struct xs_node *n,
			bool removed)
{
	struct xs_store *s = ctx->s;
	struct xs_conn *c;
	struct xs_conn_watch *w;
	struct xs_iwatch *iw;
	const char *ev;

	for (c = s->conns; c; c = c->next) {
		if (c->broken || (n && !(perm_for(n, c->domid) & XS_PERM_READ)))
			continue;
		for (w = c->watches; w; w = w->next) {
			ev = event_path(w->path, path, removed);
			if (ev)
				conn_watch_event(ctx, c, w, ev);
		}
	}
	for (iw = s->iwatches; iw; iw = iw->next) {
		ev = event_path(iw->path, path, removed);
		if (ev)
			xs_pending_add(ctx->pending, XS_CB_WATCH, (uint64_t)iw->handle, ev);
	}
}

void xs_fire_special(const struct xs_ctx *ctx, const char *name)
{
	struct xs_store *s = ctx->s;
	struct xs_conn *c;
	struct xs_conn_watch *w;
	struct xs_iwatch *iw;

	for (c = s->conns; c; c = c->next)
		for (w = c->watches; w; w = w->next)
			if (strcmp(w->path, name) == 0)
				conn_watch_event(ctx, c, w, name);
	for (iw = s->iwatches; iw; iw = iw->next)
		if (strcmp(iw->path, name) == 0)
			xs_pending_add(ctx->pending, XS_CB_WATCH, (uint64_t)iw->handle, name);
}

void xs_fire_initial(const struct xs_ctx *ctx, struct xs_conn *c, const struct xs_conn_watch *w)
{
	conn_watch_event(ctx, c, w, w->path);
}

/* ---- Tree operations ---- */

static void touch(const struct xs_ctx *ctx, struct xs_node *n)
{
	n->generation = ++ctx->s->generation;
}

/*
 * Charge (sign 1) or refund (-1) node n to its owner in ctx's view: the
 * live count, or what the transaction's domain gains if it commits.
 */
static void acct_node(const struct xs_ctx *ctx, const struct xs_node *n, int sign)
{
	struct xs_tx *tx = ctx->tx;

	if (!tx) {
		acct_live(ctx->s, n, sign);
		return;
	}
	if (n->perms[0].domid != tx->domid)
		return;
	tx->nodes_delta += sign;
	tx->bytes_delta += sign * (long)node_cost(n);
}

/* Would `nodes` more nodes and `bytes` more bytes fit in domid's quota, as ctx sees it? */
static int quota_room(const struct xs_ctx *ctx, uint16_t domid, unsigned nodes, size_t bytes)
{
	const struct xs_acct *a = acct_slot(ctx->s, domid, false);
	long have_nodes = a ? (long)a->nodes : 0, have_bytes = a ? (long)a->bytes : 0;

	if (ctx->domid == XS_DOM0 || domid == XS_DOM0)
		return 0;
	if (ctx->tx && ctx->tx->domid == domid) {
		have_nodes += ctx->tx->nodes_delta;
		have_bytes += ctx->tx->bytes_delta;
	}
	if (nodes && have_nodes + (long)nodes > (long)ctx->s->quota.max_nodes)
		return -XS_EQUOTA;
	if (bytes && have_bytes + (long)bytes > (long)ctx->s->quota.max_node_bytes)
		return -XS_EQUOTA;
	return 0;
}

/* A change to a transaction failed half-done: it may only be aborted now. */
static int tx_poison(const struct xs_ctx *ctx, int err)
{
	if (ctx->tx && err && !ctx->tx->failed)
		ctx->tx->failed = err;
	return err;
}

/* The nearest node at or above path in ctx's view; *len: its path's length (0: the root). */
static struct xs_node *view_ancestor(const struct xs_ctx *ctx, const char *path, size_t *len)
{
	char buf[XS_PATH_BUF];
	const char *rest;
	struct xs_node *n;
	size_t l = strlen(path);

	if (!ctx->tx) {
		n = tree_walk(ctx->s->root, path, &rest);
		*len = *rest ? (size_t)(rest - path) - 1 : l;
		return n;
	}
	for (;;) {
		path_prefix(buf, path, l);
		n = view_get(ctx, buf);
		if (n || l == 0) {
			*len = l;
			return n;
		}
		l = parent_len(buf);
	}
}

/*
 * A missing node: ENOENT, unless the nearest existing ancestor denies the
 * wanted access, in which case the caller may not even learn that (EACCES).
 */
static int missing_node_error(const struct xs_ctx *ctx, const char *path, unsigned want)
{
	size_t len;
	const struct xs_node *anc = view_ancestor(ctx, path, &len);

	return anc && (perm_for(anc, ctx->domid) & want) ? -ENOENT : -EACCES;
}

int xs_op_get(const struct xs_ctx *ctx, const char *path, const struct xs_node **out)
{
	struct xs_node *n = view_get(ctx, path);
	int err = tx_note(ctx, path, 0);

	if (err)
		return err;
	if (!n)
		return missing_node_error(ctx, path, XS_PERM_READ);
	if (!(perm_for(n, ctx->domid) & XS_PERM_READ))
		return -EACCES;
	*out = n;
	return 0;
}

static unsigned count_components(const char *rest)
{
	unsigned n = *rest ? 1 : 0;

	for (; *rest; rest++)
		n += *rest == '/';
	return n;
}

/* A new node named name[0..len) inheriting parent's perms; a guest owns what it creates. */
static struct xs_node *node_new(const struct xs_ctx *ctx, const struct xs_node *parent,
				const char *name, size_t len)
{
	struct xs_node *n = node_alloc(name, len);

	if (!n)
		return NULL;
	n->perms = perms_dup(parent->perms, parent->nr_perms);
	if (!n->perms) {
		node_free(n);
		return NULL;
	}
	n->nr_perms = parent->nr_perms;
	if (ctx->domid != XS_DOM0)
		n->perms[0].domid = ctx->domid;
	touch(ctx, n);
	return n;
}

/* In a transaction: list name[0..len) in the parent copy pn (a stub), and make child's record. */
static int tx_add_child(const struct xs_ctx *ctx, struct xs_node *pn, struct xs_tx_rec *pr,
			const char *child_path, struct xs_node *child, unsigned flags)
{
	struct xs_node *stub = node_alloc(child->name, strlen(child->name));
	struct xs_tx_rec *r;
	int err = tx_room(ctx, copy_cost(child) + (stub ? node_cost(stub) : 0));

	if (!err)
		err = stub ? tx_rec(ctx, child_path, &r) : -ENOMEM;
	if (!err)
		err = node_attach(pn, stub);
	if (err) {
		node_free(stub);
		return err;
	}
	tx_cost(ctx->tx, pr, (long)node_cost(stub));
	node_free(r->node); /* a removed node has none; kept for clarity */
	r->node = child;
	r->copied = true;
	r->flags |= (uint8_t)flags;
	tx_cost(ctx->tx, r, (long)copy_cost(child));
	return 0;
}

/*
 * Add a child under parent_path, which exists in ctx's view (live: it is
 * the node `parent`, found by the caller's walk); *out is the new node.
 */
static int view_add_child(const struct xs_ctx *ctx, struct xs_node *parent, const char *parent_path,
			  const char *child_path, const char *name, size_t len, unsigned flags,
			  struct xs_node **out)
{
	struct xs_tx_rec *pr = NULL;
	struct xs_node *pn = parent, *n;
	int err = ctx->tx ? view_mut(ctx, parent_path, &pn, &pr) : 0;

	if (err)
		return err;
	n = pn ? node_new(ctx, pn, name, len) : NULL;
	if (!n)
		return -ENOMEM;
	err = ctx->tx ? tx_add_child(ctx, pn, pr, child_path, n, flags) : node_attach(pn, n);
	if (err) {
		node_free(n);
		return err;
	}
	acct_node(ctx, n, 1);
	touch(ctx, pn);
	*out = n;
	return 0;
}

/* The bytes new nodes for the components in rest cost, inheriting nr_perms perms. */
static size_t new_nodes_cost(const char *rest, unsigned missing, unsigned nr_perms)
{
	return missing * (sizeof(struct xs_node) + sizeof(struct xs_node *) +
			  nr_perms * sizeof(struct xs_perm) + 1) +
	       strlen(rest);
}

/* Create path and any missing parents; flags are logged for path itself. */
static int create_path(const struct xs_ctx *ctx, const char *path, unsigned flags,
		       struct xs_node **out)
{
	char parent[XS_PATH_BUF], child[XS_PATH_BUF];
	size_t have;
	struct xs_node *n = view_ancestor(ctx, path, &have);
	const char *rest = path + have + 1;
	unsigned missing = count_components(rest);
	int err;

	if (!n || !(perm_for(n, ctx->domid) & XS_PERM_WRITE)) {
		err = tx_note(ctx, path, 0);
		return err ? err : -EACCES;
	}
	err = quota_room(ctx, ctx->domid, missing, new_nodes_cost(rest, missing, n->nr_perms));
	if (err)
		return err;
	while (*rest) {
		const char *slash = strchr(rest, '/');
		size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
		size_t end = (size_t)(rest - path) + len;

		path_prefix(parent, path, (size_t)(rest - path) - 1);
		path_prefix(child, path, end);
		err = view_add_child(ctx, n, parent, child, rest, len, path[end] ? 0 : flags, &n);
		if (err)
			return tx_poison(ctx, err);
		rest += len;
		if (*rest == '/')
			rest++;
	}
	*out = n;
	return 0;
}

static int dup_value(const void *value, size_t len, uint8_t **out)
{
	*out = NULL;
	if (!len)
		return 0;
	*out = malloc(len);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, value, len);
	return 0;
}

/* Replace n's value (n as view_mut gave it, r its record if in a transaction). */
static void set_value(const struct xs_ctx *ctx, struct xs_node *n, struct xs_tx_rec *r,
		      uint8_t *value, size_t len)
{
	acct_node(ctx, n, -1);
	if (ctx->tx && r)
		tx_cost(ctx->tx, r, (long)len - (long)n->len);
	free(n->value);
	n->value = value;
	n->len = (unsigned)len;
	acct_node(ctx, n, 1);
	touch(ctx, n);
}

/* Quota checks before a write of len bytes to path, whose node is n (NULL: absent). */
static int write_room(const struct xs_ctx *ctx, const struct xs_node *n, size_t len)
{
	size_t grow = n ? (len > n->len ? len - n->len : 0) : len;
	int err;

	if (ctx->domid != XS_DOM0 && len > ctx->s->quota.max_value_len)
		return -E2BIG;
	if (len > UINT_MAX)
		return -E2BIG;
	err = quota_room(ctx, n ? n->perms[0].domid : ctx->domid, 0, grow);
	if (!err && ctx->tx)
		err = tx_room(ctx, len + (n ? copy_cost(n) : 0));
	return err;
}

int xs_op_write(const struct xs_ctx *ctx, const char *path, const void *value, size_t len)
{
	struct xs_node *n = view_get(ctx, path);
	struct xs_tx_rec *r = NULL;
	uint8_t *copy;
	int err;

	if (n && !(perm_for(n, ctx->domid) & XS_PERM_WRITE)) {
		err = tx_note(ctx, path, 0);
		return err ? err : -EACCES;
	}
	err = write_room(ctx, n, len);
	if (!err)
		err = dup_value(value, len, &copy);
	if (err)
		return err;
	err = n ? view_mut(ctx, path, &n, &r) : create_path(ctx, path, REC_FIRE, &n);
	if (!err && ctx->tx && !r)
		err = tx_rec(ctx, path, &r);
	if (err) {
		free(copy);
		return tx_poison(ctx, err);
	}
	if (r)
		r->flags |= REC_FIRE;
	set_value(ctx, n, r, copy, len);
	if (!ctx->tx)
		fire_change(ctx, path, n, false);
	return 0;
}

int xs_op_mkdir(const struct xs_ctx *ctx, const char *path)
{
	struct xs_node *n = view_get(ctx, path);
	int err;

	if (n) {
		err = tx_note(ctx, path, 0);
		if (err)
			return err;
		return (perm_for(n, ctx->domid) & XS_PERM_WRITE) ? 0 : -EACCES;
	}
	err = create_path(ctx, path, REC_FIRE, &n);
	if (!err && !ctx->tx)
		fire_change(ctx, path, n, false);
	return err;
}

/* Live tree: unlink n and everything below it. */
static void remove_subtree(const struct xs_ctx *ctx, struct xs_node *n)
{
	struct xs_node *parent = n->parent;

	node_detach(n);
	touch(ctx, parent);
	acct_live_subtree(ctx->s, n, -1);
	node_free(n);
}

/* Transaction: mark the node at path (a XS_PATH_BUF buffer) and all below it removed. */
static int tx_remove_subtree(const struct xs_ctx *ctx, char *path)
{
	const struct xs_node *n = view_get(ctx, path);
	size_t len = strlen(path);
	struct xs_tx_rec *r;
	unsigned i;
	int err = 0;

	if (!n)
		return 0;
	/* n's own child list is not changed below, so it can be walked meanwhile. */
	for (i = 0; !err && i < n->nr_children; i++) {
		const char *name = n->children[i]->name;

		if (len + 1 + strlen(name) >= XS_PATH_BUF)
			return -EINVAL; /* cannot happen: paths were validated */
		snprintf(path + len, XS_PATH_BUF - len, "%s%s", len > 1 ? "/" : "", name);
		err = tx_remove_subtree(ctx, path);
		path[len] = '\0';
	}
	if (!err)
		err = tx_rec(ctx, path, &r);
	if (err)
		return err;
	acct_node(ctx, n, -1);
	if (r->copied && r->node) {
		tx_cost(ctx->tx, r, -(long)copy_cost(r->node));
		node_free(r->node);
	}
	r->node = NULL;
	r->copied = true;
	return 0;
}

/* Transaction: drop name from the parent copy's list of children. */
static int tx_unlist_child(const struct xs_ctx *ctx, const char *path)
{
	char parent[XS_PATH_BUF];
	const char *name = path + parent_len(path) + 1;
	struct xs_tx_rec *pr;
	struct xs_node *pn, *stub;
	int err;

	path_prefix(parent, path, parent_len(path));
	err = view_mut(ctx, parent, &pn, &pr);
	if (err)
		return err;
	stub = pn ? node_child(pn, name, strlen(name)) : NULL;
	if (stub) {
		tx_cost(ctx->tx, pr, -(long)node_cost(stub));
		node_detach(stub);
		node_free(stub);
	}
	if (pn)
		touch(ctx, pn);
	return 0;
}

static int rm_missing(const struct xs_ctx *ctx, const char *path)
{
	char parent[XS_PATH_BUF];
	int err = tx_note(ctx, path, 0);

	if (err)
		return err;
	err = missing_node_error(ctx, path, XS_PERM_WRITE);
	/* Removing something already gone is fine, if its parent exists (as xenstored). */
	path_prefix(parent, path, parent_len(path));
	if (err == -ENOENT && view_get(ctx, parent))
		return 0;
	return err;
}

int xs_op_rm(const struct xs_ctx *ctx, const char *path)
{
	struct xs_node *n = view_get(ctx, path);
	char buf[XS_PATH_BUF];
	int err;

	if (strcmp(path, "/") == 0)
		return -EINVAL;
	if (!n)
		return rm_missing(ctx, path);
	if (!(perm_for(n, ctx->domid) & XS_PERM_WRITE)) {
		err = tx_note(ctx, path, 0);
		return err ? err : -EACCES;
	}
	if (!ctx->tx) {
		fire_change(ctx, path, n, true);
		remove_subtree(ctx, n);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	err = tx_remove_subtree(ctx, buf);
	if (!err)
		err = tx_unlist_child(ctx, path);
	if (!err)
		err = tx_note(ctx, path, REC_FIRE);
	return tx_poison(ctx, err);
}

/* Give n (as view_mut gave it, r its record) new perms, moving its cost between owners. */
static void set_perms_counted(const struct xs_ctx *ctx, struct xs_node *n, struct xs_tx_rec *r,
			      struct xs_perm *perms, unsigned nr)
{
	acct_node(ctx, n, -1);
	if (ctx->tx && r)
		tx_cost(ctx->tx, r, ((long)nr - (long)n->nr_perms) * (long)sizeof(*perms));
	free(n->perms);
	n->perms = perms;
	n->nr_perms = nr;
	acct_node(ctx, n, 1);
	touch(ctx, n);
}

static int set_perms_check(const struct xs_ctx *ctx, const struct xs_node *n,
			   const struct xs_perm *perms, unsigned nr)
{
	size_t grow = nr > n->nr_perms ? (nr - n->nr_perms) * sizeof(*perms) : 0;
	int err;

	if (!(perm_for(n, ctx->domid) & XS_PERM_WRITE) || !is_owner(n, ctx->domid))
		return -EACCES;
	/* Only domain 0 may give a node away. */
	if (ctx->domid != XS_DOM0 && perms[0].domid != n->perms[0].domid)
		return -EPERM;
	err = quota_room(ctx, n->perms[0].domid, 0, grow);
	if (!err && ctx->tx)
		err = tx_room(ctx, grow + copy_cost(n));
	return err;
}

int xs_op_set_perms(const struct xs_ctx *ctx, const char *path, const struct xs_perm *perms,
		    unsigned nr)
{
	struct xs_node *n = view_get(ctx, path);
	struct xs_tx_rec *r;
	struct xs_perm *copy;
	int err;

	if (nr == 0)
		return -EINVAL;
	err = tx_note(ctx, path, 0);
	if (err)
		return err;
	if (!n)
		return missing_node_error(ctx, path, XS_PERM_WRITE);
	err = set_perms_check(ctx, n, perms, nr);
	if (err)
		return err;
	copy = perms_dup(perms, nr);
	if (!copy)
		return -ENOMEM;
	err = view_mut(ctx, path, &n, &r);
	if (err) {
		free(copy);
		return tx_poison(ctx, err);
	}
	if (r)
		r->flags |= REC_FIRE;
	/* As xenstored: whoever could see the node before hears of the change. */
	if (!ctx->tx)
		fire_change(ctx, path, n, false);
	set_perms_counted(ctx, n, r, copy, nr);
	return 0;
}

/* ---- Commit ---- */

static bool tx_conflicts(struct xs_store *s, const struct xs_tx *tx)
{
	const struct xs_tx_rec *r;

	for (r = tx->recs; r; r = r->next) {
		const struct xs_node *cur = tree_lookup(s->root, r->path);

		if (r->existed ? (!cur || cur->generation != r->start_gen) : cur != NULL)
			return true;
	}
	return false;
}

/*
 * The quotas hold for the live tree as it would be after the commit.  Each
 * transaction was checked against the tree it saw; others may have
 * committed since.
 */
static int tx_quota_check(struct xs_store *s, const struct xs_tx *tx)
{
	const struct xs_acct *a = acct_slot(s, tx->domid, false);
	long nodes = a ? (long)a->nodes : 0, bytes = a ? (long)a->bytes : 0;

	if (tx->domid == XS_DOM0)
		return 0;
	if (tx->nodes_delta > 0 && nodes + tx->nodes_delta > (long)s->quota.max_nodes)
		return -XS_EQUOTA;
	if (tx->bytes_delta > 0 && bytes + tx->bytes_delta > (long)s->quota.max_node_bytes)
		return -XS_EQUOTA;
	return 0;
}

/* Parents before children; otherwise in the order the transaction made them. */
static int cmp_replay_order(const void *a, const void *b)
{
	const struct xs_tx_rec *ra = *(const struct xs_tx_rec *const *)a;
	const struct xs_tx_rec *rb = *(const struct xs_tx_rec *const *)b;
	unsigned da = path_depth(ra->path), db = path_depth(rb->path);

	if (da != db)
		return da < db ? -1 : 1;
	return (ra->seq > rb->seq) - (ra->seq < rb->seq);
}

/* Make the live node at path look like the transaction's node tn. */
static int apply_upsert(const struct xs_ctx *ctx, const char *path, const struct xs_node *tn,
			struct xs_node **out)
{
	struct xs_store *s = ctx->s;
	struct xs_node *mn = tree_lookup(s->root, path);
	struct xs_perm *perms = perms_dup(tn->perms, tn->nr_perms);
	uint8_t *value;
	char parent[XS_PATH_BUF];

	if (!perms || dup_value(tn->value, tn->len, &value)) {
		free(perms);
		return -ENOMEM;
	}
	if (!mn) {
		struct xs_node *p;

		path_prefix(parent, path, parent_len(path));
		p = tree_lookup(s->root, parent);
		mn = p ? node_alloc(tn->name, strlen(tn->name)) : NULL;
		if (!mn || node_attach(p, mn)) {
			node_free(mn);
			free(perms);
			free(value);
			return -ENOMEM;
		}
		touch(ctx, p);
	} else {
		acct_live(s, mn, -1);
	}
	free(mn->perms);
	mn->perms = perms;
	mn->nr_perms = tn->nr_perms;
	free(mn->value);
	mn->value = value;
	mn->len = tn->len;
	acct_live(s, mn, 1);
	touch(ctx, mn);
	*out = mn;
	return 0;
}

static void apply_rec(const struct xs_ctx *ctx, const struct xs_tx_rec *r)
{
	struct xs_node *mn;

	if (r->node) {
		if (apply_upsert(ctx, r->path, r->node, &mn)) {
			pr_warn("xenstore: out of memory committing %s", r->path);
			return;
		}
		if (r->flags & REC_FIRE)
			fire_change(ctx, r->path, mn, false);
		return;
	}
	mn = tree_lookup(ctx->s->root, r->path);
	if (!mn)
		return;
	if (r->flags & REC_FIRE)
		fire_change(ctx, r->path, mn, true);
	if (mn->parent)
		remove_subtree(ctx, mn);
}

int xs_tx_commit(const struct xs_ctx *ctx, struct xs_tx *tx)
{
	struct xs_tx_rec **writes;
	struct xs_tx_rec *r;
	unsigned nr = 0, i;
	int err;

	if (tx->failed)
		return tx->failed;
	if (tx_conflicts(ctx->s, tx))
		return -EAGAIN;
	err = tx_quota_check(ctx->s, tx);
	if (err)
		return err;
	writes = calloc(tx->nr_recs ? tx->nr_recs : 1, sizeof(struct xs_tx_rec *));
	if (!writes)
		return -ENOMEM;
	for (r = tx->recs; r; r = r->next)
		if (r->copied)
			writes[nr++] = r;
	/* Parents first, so created nodes have somewhere to go. */
	qsort(writes, nr, sizeof(struct xs_tx_rec *), cmp_replay_order);
	for (i = 0; i < nr; i++)
		apply_rec(ctx, writes[i]);
	free(writes);
	return 0;
}

/* ---- Deferred callbacks ---- */

void xs_pending_add(struct xs_pending *p, enum xs_cb_kind kind, uint64_t id, const char *path)
{
	size_t len = path ? strlen(path) : 0;
	struct xs_cb *cb;

	if (kind == XS_CB_CONN)
		for (cb = p->head; cb; cb = cb->next)
			if (cb->kind == kind && cb->id == id)
				return;
	cb = calloc(1, sizeof(*cb) + len + 1);
	if (!cb) {
		pr_warn_once("xenstore: out of memory queueing a watch callback");
		return;
	}
	cb->kind = kind;
	cb->id = id;
	if (path)
		memcpy(cb->path, path, len + 1);
	if (p->tail)
		p->tail->next = cb;
	else
		p->head = cb;
	p->tail = cb;
}

static bool cb_target(struct xs_store *s, const struct xs_cb *cb, xs_watch_fn *wfn,
		      xs_conn_notify_fn *nfn, void **opaque)
{
	const struct xs_iwatch *iw;
	const struct xs_conn *c;

	if (cb->kind == XS_CB_WATCH) {
		for (iw = s->iwatches; iw; iw = iw->next)
			if ((uint64_t)iw->handle == cb->id) {
				*wfn = iw->fn;
				*opaque = iw->opaque;
				return true;
			}
		return false;
	}
	for (c = s->conns; c; c = c->next)
		if (c->id == cb->id) {
			*nfn = c->notify;
			*opaque = c->opaque;
			return c->notify != NULL;
		}
	return false;
}

static void inflight_remove(struct xs_store *s, const struct xs_cb *cb)
{
	struct xs_cb **pp;

	for (pp = &s->inflight; *pp; pp = &(*pp)->next_inflight)
		if (*pp == cb) {
			*pp = cb->next_inflight;
			break;
		}
	pthread_cond_broadcast(&s->inflight_done);
}

/* The target is looked up again here: it may have gone since the event was queued. */
static void run_cb(struct xs_store *s, struct xs_cb *cb)
{
	xs_watch_fn wfn = NULL;
	xs_conn_notify_fn nfn = NULL;
	void *opaque = NULL;

	xs_lock(s);
	if (!cb_target(s, cb, &wfn, &nfn, &opaque)) {
		xs_unlock(s);
		return;
	}
	cb->thread = pthread_self();
	cb->next_inflight = s->inflight;
	s->inflight = cb;
	xs_unlock(s);

	if (wfn)
		wfn(opaque, cb->path);
	else if (nfn)
		nfn(opaque);

	xs_lock(s);
	inflight_remove(s, cb);
	xs_unlock(s);
}

void xs_pending_run(struct xs_store *s, struct xs_pending *p)
{
	struct xs_cb *cb, *next;

	for (cb = p->head; cb; cb = next) {
		next = cb->next;
		run_cb(s, cb);
		free(cb);
	}
	p->head = p->tail = NULL;
}

static bool inflight_elsewhere(const struct xs_store *s, enum xs_cb_kind kind, uint64_t id)
{
	const struct xs_cb *r;

	for (r = s->inflight; r; r = r->next_inflight)
		if (r->kind == kind && r->id == id && !pthread_equal(r->thread, pthread_self()))
			return true;
	return false;
}

void xs_wait_inflight(struct xs_store *s, enum xs_cb_kind kind, uint64_t id)
{
	while (inflight_elsewhere(s, kind, id))
		pthread_cond_wait(&s->inflight_done, &s->lock);
}

/* ---- Store ---- */

static unsigned or_default(unsigned v, unsigned def)
{
	return v ? v : def;
}

static size_t or_default_size(size_t v, size_t def)
{
	return v ? v : def;
}

static struct xs_ctx dom0_ctx(struct xs_store *s, struct xs_pending *p)
{
	return (struct xs_ctx){.s = s, .domid = XS_DOM0, .pending = p};
}

struct xs_store *xs_store_new(const struct xs_quota *quota)
{
	struct xs_quota q = quota ? *quota : (struct xs_quota){0};
	struct xs_pending p = {0};
	struct xs_ctx ctx;
	struct xs_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->quota.max_nodes = or_default(q.max_nodes, DEFAULT_MAX_NODES);
	s->quota.max_watches = or_default(q.max_watches, DEFAULT_MAX_WATCHES);
	s->quota.max_transactions = or_default(q.max_transactions, DEFAULT_MAX_TRANSACTIONS);
	s->quota.max_value_len = or_default(q.max_value_len, DEFAULT_MAX_VALUE_LEN);
	s->quota.max_output_msgs = or_default(q.max_output_msgs, DEFAULT_MAX_OUTPUT_MSGS);
	s->quota.max_tx_records = or_default(q.max_tx_records, DEFAULT_MAX_TX_RECORDS);
	s->quota.max_node_bytes = or_default_size(q.max_node_bytes, DEFAULT_MAX_NODE_BYTES);
	s->quota.max_tx_bytes = or_default_size(q.max_tx_bytes, DEFAULT_MAX_TX_BYTES);
	s->quota.max_watch_bytes = or_default_size(q.max_watch_bytes, DEFAULT_MAX_WATCH_BYTES);
	s->quota.max_output_bytes = or_default_size(q.max_output_bytes, DEFAULT_MAX_OUTPUT_BYTES);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->inflight_done, NULL);
	s->next_handle = 1;

	s->root = node_alloc("", 0);
	if (s->root)
		s->root->perms = calloc(1, sizeof(struct xs_perm));
	if (!s->root || !s->root->perms)
		goto fail;
	s->root->nr_perms = 1; /* "n0" */
	acct_live(s, s->root, 1);
	ctx = dom0_ctx(s, &p);
	if (xs_op_mkdir(&ctx, "/local/domain"))
		goto fail;
	return s;
fail:
	xs_store_free(s);
	return NULL;
}

void xs_store_free(struct xs_store *s)
{
	struct xs_iwatch *iw, *next;

	if (!s)
		return;
	if (s->conns)
		pr_err("xenstore: store freed while connections are open");
	for (iw = s->iwatches; iw; iw = next) {
		next = iw->next;
		free(iw->path);
		free(iw);
	}
	node_free(s->root);
	free(s->accts);
	pthread_cond_destroy(&s->inflight_done);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int xs_write(struct xs_store *s, const char *path, const char *value)
{
	char abs[XS_PATH_BUF];
	struct xs_pending p = {0};
	struct xs_ctx ctx = dom0_ctx(s, &p);
	int err = xs_canonical_path(XS_DOM0, path, abs, sizeof(abs));

	if (err)
		return err;
	if (!value)
		value = "";
	xs_lock(s);
	err = xs_op_write(&ctx, abs, value, strlen(value));
	xs_unlock(s);
	xs_pending_run(s, &p);
	return err;
}

int xs_printf(struct xs_store *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *value;
	int err;

	va_start(ap, fmt);
	err = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (err < 0)
		return -ENOMEM;
	err = xs_write(s, path, value);
	free(value);
	return err;
}

/* A domain-0 operation on one path: locked, then its watches fired unlocked. */
static int dom0_path_op(struct xs_store *s, const char *path,
			int (*op)(const struct xs_ctx *ctx, const char *path))
{
	char abs[XS_PATH_BUF];
	struct xs_pending p = {0};
	struct xs_ctx ctx = dom0_ctx(s, &p);
	int err = xs_canonical_path(XS_DOM0, path, abs, sizeof(abs));

	if (err)
		return err;
	xs_lock(s);
	err = op(&ctx, abs);
	xs_unlock(s);
	xs_pending_run(s, &p);
	return err;
}

int xs_mkdir(struct xs_store *s, const char *path)
{
	return dom0_path_op(s, path, xs_op_mkdir);
}

int xs_rm(struct xs_store *s, const char *path)
{
	return dom0_path_op(s, path, xs_op_rm);
}

char *xs_read(struct xs_store *s, const char *path)
{
	char abs[XS_PATH_BUF];
	struct xs_ctx ctx = dom0_ctx(s, NULL);
	const struct xs_node *n;
	char *value = NULL;
	int err = xs_canonical_path(XS_DOM0, path, abs, sizeof(abs));

	if (err) {
		errno = -err;
		return NULL;
	}
	xs_lock(s);
	err = xs_op_get(&ctx, abs, &n);
	if (!err) {
		value = malloc((size_t)n->len + 1);
		if (value) {
			if (n->len)
				memcpy(value, n->value, n->len);
			value[n->len] = '\0';
		} else {
			err = -ENOMEM;
		}
	}
	xs_unlock(s);
	if (err)
		errno = -err;
	return value;
}

int xs_read_u64(struct xs_store *s, const char *path, uint64_t *out)
{
	char *value = xs_read(s, path);
	uint64_t v = 0;
	const char *p;

	if (!value)
		return -errno;
	for (p = value; *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9' || v > (UINT64_MAX - digit) / 10) {
			free(value);
			return -EINVAL;
		}
		v = v * 10 + digit;
	}
	if (p == value) {
		free(value);
		return -EINVAL;
	}
	free(value);
	*out = v;
	return 0;
}

int xs_set_perms(struct xs_store *s, const char *path, const char *const perms[], unsigned nr)
{
	char abs[XS_PATH_BUF];
	struct xs_pending p = {0};
	struct xs_ctx ctx = dom0_ctx(s, &p);
	struct xs_perm *parsed;
	unsigned i;
	int err = xs_canonical_path(XS_DOM0, path, abs, sizeof(abs));

	if (err)
		return err;
	if (nr == 0)
		return -EINVAL;
	parsed = calloc(nr, sizeof(*parsed));
	if (!parsed)
		return -ENOMEM;
	for (i = 0; i < nr && !err; i++)
		err = xs_parse_perm(perms[i], &parsed[i]);
	if (!err) {
		xs_lock(s);
		err = xs_op_set_perms(&ctx, abs, parsed, nr);
		xs_unlock(s);
		xs_pending_run(s, &p);
	}
	free(parsed);
	return err;
}

static bool handle_in_use(const struct xs_store *s, int handle)
{
	const struct xs_iwatch *iw;

	for (iw = s->iwatches; iw; iw = iw->next)
		if (iw->handle == handle)
			return true;
	return false;
}

static int next_handle(struct xs_store *s)
{
	do {
		if (s->next_handle <= 0 || s->next_handle == INT_MAX)
			s->next_handle = 1;
	} while (handle_in_use(s, s->next_handle++));
	return s->next_handle - 1;
}

int xs_watch_add(struct xs_store *s, const char *path, xs_watch_fn fn, void *opaque)
{
	char abs[XS_PATH_BUF];
	struct xs_pending p = {0};
	struct xs_iwatch *iw;
	unsigned strip;
	int handle, err = xs_canonical_watch_path(XS_DOM0, path, abs, sizeof(abs), &strip);

	if (err)
		return err;
	if (!fn)
		return -EINVAL;
	iw = calloc(1, sizeof(*iw));
	if (iw)
		iw->path = strdup(abs);
	if (!iw || !iw->path) {
		free(iw);
		return -ENOMEM;
	}
	iw->fn = fn;
	iw->opaque = opaque;
	xs_lock(s);
	handle = iw->handle = next_handle(s);
	iw->next = s->iwatches;
	s->iwatches = iw;
	/* Fire once up front, as xenstored does for every new watch. */
	xs_pending_add(&p, XS_CB_WATCH, (uint64_t)handle, abs);
	xs_unlock(s);
	xs_pending_run(s, &p);
	return handle;
}

void xs_watch_remove(struct xs_store *s, int handle)
{
	struct xs_iwatch **pp, *iw = NULL;

	xs_lock(s);
	for (pp = &s->iwatches; *pp; pp = &(*pp)->next) {
		if ((*pp)->handle == handle) {
			iw = *pp;
			*pp = iw->next;
			break;
		}
	}
	/* The caller may free opaque once we return: let running calls finish. */
	if (iw)
		xs_wait_inflight(s, XS_CB_WATCH, (uint64_t)handle);
	xs_unlock(s);
	if (iw) {
		free(iw->path);
		free(iw);
	}
}

size_t xs_watch_cost(const struct xs_conn_watch *w)
{
	return sizeof(*w) + strlen(w->path) + 1 + strlen(w->token) + 1;
}

void xs_domain_usage(const struct xs_store *s, uint16_t domid, unsigned *watches,
		     size_t *watch_bytes, unsigned *txs)
{
	const struct xs_conn *c;

	*watches = *txs = 0;
	*watch_bytes = 0;
	for (c = s->conns; c; c = c->next) {
		if (c->domid != domid)
			continue;
		*watches += c->nr_watches;
		*watch_bytes += c->watch_bytes;
		*txs += c->nr_txs;
	}
}

size_t xs_domain_bytes(struct xs_store *s, uint16_t domid)
{
	const struct xs_acct *a;
	const struct xs_conn *c;
	const struct xs_tx *tx;
	size_t bytes;

	xs_lock(s);
	a = acct_slot(s, domid, false);
	bytes = a ? a->bytes : 0;
	for (c = s->conns; c; c = c->next) {
		if (c->domid != domid)
			continue;
		bytes += sizeof(*c) + c->watch_bytes + c->out_bytes;
		for (tx = c->txs; tx; tx = tx->next)
			bytes += tx->bytes;
	}
	xs_unlock(s);
	return bytes;
}

void xs_domain_reset(struct xs_store *s, uint16_t domid)
{
	struct xs_conn *c;

	xs_lock(s);
	for (c = s->conns; c; c = c->next)
		if (c->domid == domid)
			xs_conn_drop_watches_and_txs(c);
	xs_unlock(s);
}
