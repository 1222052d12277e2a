/* SPDX-License-Identifier: MIT */
/*
 * The in-VMM XenStore: a tree of nodes with per-node permissions,
 * copy-on-write transactions, watches and per-domain quotas, plus the
 * xenstored wire protocol (struct xsd_sockmsg from <xen/io/xs_wire.h>)
 * spoken over connections.  The VMM itself acts as domain 0: it owns the
 * backend trees and bypasses permission checks.
 *
 * Threading: every public function may be called from any thread; the
 * store serialises them with its own mutex.  Callbacks (internal watches,
 * connection output notifications) are never called with that mutex held,
 * so they may call back into the store.
 */
#ifndef XKVM_XEN_XENSTORE_H
#define XKVM_XEN_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_DOM0 0

/*
 * Per-domain limits (domain 0 is unlimited); 0 picks the default.  They
 * bound everything a guest can make the store allocate: past one, the
 * request fails with ENOSPC (output: the connection is cut off).
 */
struct xs_quota {
	unsigned max_nodes;	   /* nodes owned by the domain */
	unsigned max_watches;	   /* watches of all the domain's connections */
	unsigned max_transactions; /* open at once, all the domain's connections */
	unsigned max_value_len;	   /* bytes in one node's value */
	unsigned max_output_msgs;  /* queued replies/events before the conn is marked broken */
	size_t max_node_bytes;	   /* bytes of the nodes the domain owns */
	unsigned max_tx_records;   /* nodes one transaction may read or change */
	size_t max_tx_bytes;	   /* bytes of one transaction's records and node copies */
	size_t max_watch_bytes;	   /* bytes of watch paths and tokens, all connections */
	size_t max_output_bytes;   /* bytes of queued output per connection */
};

struct xs_store;
struct xs_conn;

/* A new, empty store holding just "/" (owner 0, others none) and "/local", "/local/domain". */
struct xs_store *xs_store_new(const struct xs_quota *quota);
void xs_store_free(struct xs_store *s);

/*
 * Domain-0 operations for the VMM's own use (no permission checks, no
 * quotas, outside any transaction).  Parents are created as needed, as a
 * write through the protocol would.  Each fires watches like the protocol
 * operation would.  Return 0 or -errno.
 */
int xs_write(struct xs_store *s, const char *path, const char *value);
int xs_printf(struct xs_store *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int xs_mkdir(struct xs_store *s, const char *path);
int xs_rm(struct xs_store *s, const char *path);
/* The value as a fresh NUL-terminated string (caller frees), or NULL with errno set. */
char *xs_read(struct xs_store *s, const char *path);
/* Read an unsigned integer node; -ENOENT / -EINVAL. */
int xs_read_u64(struct xs_store *s, const char *path, uint64_t *out);
/*
 * Set the permissions of an existing node from Xen's string form, e.g.
 * {"n0", "r1"}: the first entry names the owner and the access everyone
 * else gets; later entries grant r/w/b(oth)/n(one) to one domain.
 */
int xs_set_perms(struct xs_store *s, const char *path, const char *const perms[], unsigned nr);

/*
 * Internal watch: fn(opaque, path) runs after any change at or below
 * `path` (and once right after registration, as Xen does), on the thread
 * that made the change, with no store lock held.  Returns a handle > 0 or -errno.
 */
typedef void (*xs_watch_fn)(void *opaque, const char *changed_path);
int xs_watch_add(struct xs_store *s, const char *path, xs_watch_fn fn, void *opaque);
void xs_watch_remove(struct xs_store *s, int handle);

/*
 * Drop everything a domain owns in the store's bookkeeping that is not a
 * node (its connections' watches and transactions) — used on guest reset.
 */
void xs_domain_reset(struct xs_store *s, uint16_t domid);

/*
 * Bytes the store holds on behalf of a domain: the nodes it owns, its
 * connections with their watches, transactions and queued output.  An
 * estimate from the sizes of what was allocated (no allocator overhead).
 */
size_t xs_domain_bytes(struct xs_store *s, uint16_t domid);

/*
 * A client connection (a guest's ring, or a socket client).  Bytes the
 * client sent are fed in; replies and watch events are queued as output.
 * notify(opaque) is called (no store lock held) whenever output becomes
 * available asynchronously, e.g. a watch fired by another connection.
 */
typedef void (*xs_conn_notify_fn)(void *opaque);
struct xs_conn *xs_conn_new(struct xs_store *s, uint16_t domid, xs_conn_notify_fn notify,
			    void *opaque);
void xs_conn_free(struct xs_conn *c);

/*
 * Feed client bytes.  Whole messages are executed as they complete; a
 * partial message is buffered.  Returns 0, or -EPROTO when the client
 * broke the protocol (header length above XENSTORE_PAYLOAD_MAX): the
 * connection is then broken and ignores further input.
 */
int xs_conn_feed(struct xs_conn *c, const void *data, size_t len);
/* Copy up to max bytes of queued output (partial messages allowed); returns the count. */
size_t xs_conn_take_output(struct xs_conn *c, void *buf, size_t max);
bool xs_conn_has_output(struct xs_conn *c);
bool xs_conn_broken(struct xs_conn *c);

#endif
