/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the XenStore tree (xenstore.c) and its wire protocol
 * (xs_proto.c).  Everything here is protected by the store's mutex unless
 * a comment says otherwise.
 */
#ifndef XKVM_XEN_XS_INTERNAL_H
#define XKVM_XEN_XS_INTERNAL_H

#include "xen/xenstore.h"

#include <errno.h> /* before xs_wire.h, which builds xsd_errors[] from it */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

/*
 * A quota was exceeded.  Internal code only: on the wire it is "ENOSPC",
 * what Xen's C xenstored answers, because clients translate error names
 * through xsd_errors[] and turn any name not in it (oxenstored's "EQUOTA")
 * into EINVAL.  Kept far above the kernel's errno range.
 */
#define XS_EQUOTA 40000

#define XS_PERM_NONE  0u
#define XS_PERM_READ  1u
#define XS_PERM_WRITE 2u
#define XS_PERM_BOTH  (XS_PERM_READ | XS_PERM_WRITE)

/* Longest canonical path, plus room for the NUL. */
#define XS_PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)

struct xs_perm {
	uint16_t domid;
	uint8_t mode; /* XS_PERM_* */
};

struct xs_node {
	char *name; /* one path component; "" for the root */
	struct xs_node *parent;
	struct xs_node **children; /* in creation order, as xenstored lists them */
	unsigned nr_children, cap_children;
	uint8_t *value;
	unsigned len;
	struct xs_perm *perms; /* perms[0]: owner and everyone else's access */
	unsigned nr_perms;
	uint64_t generation; /* store-wide counter value of the last change */
};

/* What each domain's nodes cost in the live tree, for the node quotas. */
struct xs_acct {
	uint16_t domid;
	unsigned nodes;
	size_t bytes;
};

struct xs_tx_rec;

/*
 * A transaction: an overlay of the nodes it touched, keyed by path.  Reads
 * of untouched nodes fall through to the live tree.  Every record keeps the
 * live generation the node had when the transaction first touched it.
 */
struct xs_tx {
	struct xs_tx *next;
	uint32_t id;
	uint16_t domid;
	struct xs_tx_rec **buckets; /* hash of touched paths */
	unsigned nr_buckets;
	struct xs_tx_rec *recs; /* all records, newest first */
	unsigned nr_recs;
	size_t bytes; /* what the records and node copies cost */
	/* Change to the transaction domain's node count and bytes if it commits. */
	long nodes_delta;
	long bytes_delta;
	int failed; /* a change failed half-done with this -errno: commit refuses */
};

struct xs_conn_watch {
	struct xs_conn_watch *next;
	char *path;	    /* canonical absolute path, or a special "@name" */
	char *token;	    /* as the client gave it */
	unsigned strip_len; /* prefix to drop from event paths (relative watches) */
};

struct xs_outmsg {
	struct xs_outmsg *next;
	size_t len, off;
	uint8_t data[];
};

struct xs_conn {
	struct xs_conn *next; /* in the store's list */
	struct xs_store *s;
	uint64_t id;
	uint16_t domid;
	xs_conn_notify_fn notify;
	void *opaque;

	/* Input: the header, then the payload (+1 for a guard NUL). */
	struct xsd_sockmsg hdr;
	size_t in_have;
	char in_buf[XENSTORE_PAYLOAD_MAX + 1];
	bool broken;

	/* Output, bounded by quota.max_output_msgs and max_output_bytes. */
	struct xs_outmsg *out_head, *out_tail;
	unsigned nr_out;
	size_t out_bytes;
	/* While a request runs, its own watch events wait here so the reply goes first. */
	bool executing;
	struct xs_outmsg *defer_head, *defer_tail;

	struct xs_conn_watch *watches;
	unsigned nr_watches;
	size_t watch_bytes;
	struct xs_tx *txs;
	unsigned nr_txs;
	uint32_t next_tx_id;
};

/* Work to do once the store lock is dropped: internal watch calls, conn notifications. */
enum xs_cb_kind { XS_CB_WATCH, XS_CB_CONN };

struct xs_cb {
	struct xs_cb *next;
	enum xs_cb_kind kind;
	uint64_t id; /* watch handle or conn id: looked up again before the call */
	/* While the callback runs: listed in the store, so removal can wait for it. */
	struct xs_cb *next_inflight;
	pthread_t thread;
	char path[];
};

struct xs_pending {
	struct xs_cb *head, *tail;
};

struct xs_iwatch {
	struct xs_iwatch *next;
	int handle;
	char *path;
	xs_watch_fn fn;
	void *opaque;
};

struct xs_store {
	pthread_mutex_t lock;
	pthread_cond_t inflight_done;
	struct xs_quota quota;
	struct xs_node *root;
	struct xs_acct *accts; /* per owning domain */
	unsigned nr_accts, cap_accts;
	uint64_t generation;
	struct xs_conn *conns;
	uint64_t next_conn_id;
	struct xs_iwatch *iwatches;
	int next_handle;
	struct xs_cb *inflight; /* callbacks running now */
};

/* Who does an operation, where, and what it leaves to do after unlocking. */
struct xs_ctx {
	struct xs_store *s;
	uint16_t domid;
	struct xs_tx *tx; /* NULL: the live tree, else this transaction's view of it */
	struct xs_pending *pending;
};

/* Paths: canonicalise (relative → /local/domain/<domid>/...) and validate. */
int xs_canonical_path(uint16_t domid, const char *in, char *out, size_t out_len);
/* Like xs_canonical_path, but also accepts special "@name" watch paths. */
int xs_canonical_watch_path(uint16_t domid, const char *in, char *out, size_t out_len,
			    unsigned *strip_len);

/* Tree operations in ctx's view (live or transaction), store lock held.  0 or -errno. */
int xs_op_get(const struct xs_ctx *ctx, const char *path, const struct xs_node **out);
int xs_op_write(const struct xs_ctx *ctx, const char *path, const void *value, size_t len);
int xs_op_mkdir(const struct xs_ctx *ctx, const char *path);
int xs_op_rm(const struct xs_ctx *ctx, const char *path);
int xs_op_set_perms(const struct xs_ctx *ctx, const char *path, const struct xs_perm *perms,
		    unsigned nr);
/* Parse one "r5"-style permission string; 0 or -EINVAL. */
int xs_parse_perm(const char *str, struct xs_perm *out);
char xs_perm_char(uint8_t mode);

/* Transactions (store lock held). */
struct xs_tx *xs_tx_new(uint32_t id, uint16_t domid);
/* Commit into the live tree; -EAGAIN on conflict, -XS_EQUOTA over quota.  Does not free tx. */
int xs_tx_commit(const struct xs_ctx *ctx, struct xs_tx *tx);
void xs_tx_free(struct xs_tx *tx);

/* Bytes a watch costs its connection's domain. */
size_t xs_watch_cost(const struct xs_conn_watch *w);
/* Watches and transactions a domain has open, over all its connections. */
void xs_domain_usage(const struct xs_store *s, uint16_t domid, unsigned *watches,
		     size_t *watch_bytes, unsigned *txs);

/* Watches (store lock held). */
void xs_fire_special(const struct xs_ctx *ctx, const char *name);
/* Queue the registration event of a new connection watch. */
void xs_fire_initial(const struct xs_ctx *ctx, struct xs_conn *c, const struct xs_conn_watch *w);

/* Deferred callbacks. */
void xs_pending_add(struct xs_pending *p, enum xs_cb_kind kind, uint64_t id, const char *path);
/* Run them; call with the store lock NOT held. */
void xs_pending_run(struct xs_store *s, struct xs_pending *p);
void xs_lock(struct xs_store *s);
void xs_unlock(struct xs_store *s);
/* Wait (lock held) until no other thread runs a callback of this kind and id. */
void xs_wait_inflight(struct xs_store *s, enum xs_cb_kind kind, uint64_t id);

/* Connection internals used by the tree (xs_proto.c), store lock held. */
void xs_conn_queue_event(struct xs_conn *c, const char *path, const char *token);
void xs_conn_drop_watches_and_txs(struct xs_conn *c);
/*
 * Forget everything of a connection (ring reconnection): watches,
 * transactions, buffered input and output.  Takes the store lock itself.
 */
void xs_conn_reset(struct xs_conn *c);

#endif
