/* SPDX-License-Identifier: MIT */
/*
 * Persistent grants (blkif "feature-persistent"), backend side: the grants
 * a frontend keeps for good are mapped on first use and stay mapped, in
 * use in the guest's table, until the connection goes, instead of being
 * mapped and released around every request.  In Xen that saves a map
 * hypercall and a TLB flush per page; here a map is a table lookup, so
 * what it buys is compatibility with frontends that expect it (Linux's
 * blkfront turns it on by default and then purges any grant it sees the
 * backend has released).
 *
 * A kept grant is re-checked on each use: a guest that rewrote the entry
 * under us (revoked it, pointed it elsewhere) gets -ESTALE, and the grant
 * is released; a later use maps it afresh if it is valid again.  The
 * cache holds at most `cap` grants; past that the caller maps for the one
 * request.  One thread owns a cache (the queue's worker).
 */
#ifndef XKVM_XEN_GNTTAB_PERSISTENT_H
#define XKVM_XEN_GNTTAB_PERSISTENT_H

#include "xen/gnttab.h"

struct gnttab_kept;

struct gnttab_persistent {
	struct gnttab *gt;
	unsigned cap;  /* the most grants kept */
	unsigned used; /* refs with a bucket (kept, or dropped and remembered) */
	unsigned mask; /* buckets - 1: a power of two, at least twice cap */
	struct gnttab_kept *bucket;
};

/* 0 or -ENOMEM. */
int gnttab_persistent_init(struct gnttab_persistent *p, struct gnttab *gt, unsigned cap);
/* Release every kept grant and free the cache.  A zeroed or destroyed cache is a no-op. */
void gnttab_persistent_destroy(struct gnttab_persistent *p);

/* p was set up by gnttab_persistent_init and not destroyed since (zeroed: false). */
static inline bool gnttab_persistent_enabled(const struct gnttab_persistent *p)
{
	return p->bucket != NULL;
}

/*
 * The page granted by ref, kept mapped writable.  Returns 0 and sets
 * *page; -ENOSPC when the cache is full (ref was never kept: map it for
 * the request); -ESTALE when the guest changed a kept grant's entry since
 * (now released); or gnttab_map's error for a ref that cannot be mapped
 * writable (-EPERM for a read-only grant, which the caller may still map
 * read-only for a request that only reads the page).
 */
int gnttab_persistent_get(struct gnttab_persistent *p, grant_ref_t ref, void **page);

#endif
