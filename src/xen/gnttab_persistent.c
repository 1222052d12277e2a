/* SPDX-License-Identifier: MIT */
/*
 * Persistent grants: an open-addressed table from grant ref to a mapping
 * kept for the connection's life.  Buckets are never emptied before
 * destroy (a dropped grant keeps its bucket, to be mapped again in
 * place), so lookups need no tombstones; `used` counts buckets taken and
 * is what the cap bounds.
 */
#include "xen/gnttab_persistent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gnttab_kept {
	bool taken;		 /* the bucket belongs to m.ref */
	struct gnttab_mapping m; /* m.page NULL: dropped, not mapped now */
};

int gnttab_persistent_init(struct gnttab_persistent *p, struct gnttab *gt, unsigned cap)
{
	unsigned buckets = 1;

	memset(p, 0, sizeof(*p));
	while (buckets < 2 * cap)
		buckets <<= 1;
	p->bucket = calloc(buckets, sizeof(*p->bucket));
	if (!p->bucket)
		return -ENOMEM;
	p->gt = gt;
	p->cap = cap;
	p->mask = buckets - 1;
	return 0;
}

void gnttab_persistent_destroy(struct gnttab_persistent *p)
{
	if (!p->bucket)
		return;
	for (unsigned i = 0; i <= p->mask; i++)
		gnttab_unmap(p->gt, &p->bucket[i].m);
	free(p->bucket);
	memset(p, 0, sizeof(*p));
}

/* Knuth's multiplicative hash: grant refs are small and dense. */
static unsigned home(const struct gnttab_persistent *p, grant_ref_t ref)
{
	return (unsigned)((ref * 2654435761U) & p->mask);
}

/* ref's bucket, or the empty bucket where it would go (at most half are taken). */
static struct gnttab_kept *find(struct gnttab_persistent *p, grant_ref_t ref)
{
	unsigned i = home(p, ref);

	while (p->bucket[i].taken && p->bucket[i].m.ref != ref)
		i = (i + 1) & p->mask;
	return &p->bucket[i];
}

int gnttab_persistent_get(struct gnttab_persistent *p, grant_ref_t ref, void **page)
{
	struct gnttab_kept *k = find(p, ref);
	int ret;

	if (k->taken && k->m.page) {
		if (!gnttab_mapping_intact(p->gt, &k->m)) {
			/* The guest revoked or moved it under us: give back what we hold. */
			gnttab_unmap(p->gt, &k->m);
			return -ESTALE;
		}
		*page = k->m.page;
		return 0;
	}
	if (!k->taken && p->used >= p->cap)
		return -ENOSPC;
	ret = gnttab_map(p->gt, ref, true, &k->m);
	if (ret)
		return ret;
	if (!k->taken)
		p->used++;
	k->taken = true;
	*page = k->m.page;
	return 0;
}
