/* SPDX-License-Identifier: MIT */
/*
 * Grant table v1, backend side.  The table frames are ordinary guest RAM
 * pages that the guest names with XENMEM_add_to_physmap; the VMM reads
 * them in place.  The guest can rewrite any entry at any moment, so every
 * field is read atomically and the in-use bits are set with compare-and-
 * swap, which is also what keeps a guest from revoking a grant (it checks
 * GTF_reading/GTF_writing) while a backend holds the page.
 *
 * Limitation: v1 entries have no pin count, and struct gnttab keeps none,
 * so two simultaneous mappings of one ref share the in-use bits and the
 * first unmap clears them.  That only misleads the guest about its own
 * page; the backend's pointer stays valid guest RAM either way.
 */
#include "xen/gnttab.h"
#include "core/memory.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>

#define GNTTAB_PAGE_SIZE  4096U
#define GNTTAB_PAGE_SHIFT 12
/* A guest that flips an entry this many times during one map is hostile or broken. */
#define GNTTAB_CAS_RETRIES 64

void gnttab_init(struct gnttab *gt, const struct guest_memory *mem)
{
	memset(gt, 0, sizeof(*gt));
	pthread_mutex_init(&gt->lock, NULL);
	gt->mem = mem;
	gt->backend_domid = 0;
	for (unsigned i = 0; i < GNTTAB_MAX_FRAMES; i++)
		gt->frame_gfn[i] = GNTTAB_NO_FRAME;
}

void gnttab_destroy(struct gnttab *gt)
{
	pthread_mutex_destroy(&gt->lock);
}

void gnttab_reset(struct gnttab *gt)
{
	pthread_mutex_lock(&gt->lock);
	for (unsigned i = 0; i < GNTTAB_MAX_FRAMES; i++) {
		gt->frame_gfn[i] = GNTTAB_NO_FRAME;
		gt->frame[i] = NULL;
	}
	gt->nr_frames = 0;
	pthread_mutex_unlock(&gt->lock);
}

/* Host address of guest frame gfn, or NULL when it is not (wholly) RAM. */
static void *gfn_to_hva(const struct guest_memory *mem, uint64_t gfn)
{
	if (gfn > (UINT64_MAX >> GNTTAB_PAGE_SHIFT))
		return NULL;
	return gpa_to_hva(mem, gfn << GNTTAB_PAGE_SHIFT, GNTTAB_PAGE_SIZE);
}

int gnttab_set_frame(struct gnttab *gt, unsigned index, uint64_t gfn)
{
	void *page;

	if (index >= GNTTAB_MAX_FRAMES)
		return -EINVAL;
	page = gfn_to_hva(gt->mem, gfn);
	if (!page && gt->place_outside_ram)
		page = gt->place_outside_ram(gt->place_opaque, gfn);
	if (!page)
		return -EFAULT;

	pthread_mutex_lock(&gt->lock);
	if (gt->frame[index] == page) {
		/* Placed again where it already is: nothing moves. */
	} else if (gt->frame[index]) {
		/*
		 * In Xen the table page itself moves to the new gfn, entries
		 * and all; our frames are guest RAM, so carry the contents.
		 */
		memmove(page, gt->frame[index], GNTTAB_PAGE_SIZE);
	} else {
		memset(page, 0, GNTTAB_PAGE_SIZE);
	}
	gt->frame[index] = page;
	gt->frame_gfn[index] = gfn;
	if (index >= gt->nr_frames)
		gt->nr_frames = index + 1;
	pthread_mutex_unlock(&gt->lock);
	return 0;
}

/* The entry for ref, or NULL when ref is beyond the table or its frame is not placed. */
static grant_entry_v1_t *entry_locked(struct gnttab *gt, grant_ref_t ref)
{
	unsigned index = ref / GNTTAB_ENTRIES_PER_FRAME;

	if (index >= gt->nr_frames || !gt->frame[index])
		return NULL;
	return &gt->frame[index][ref % GNTTAB_ENTRIES_PER_FRAME];
}

/*
 * Check the entry and set the in-use bits in one atomic step, so the
 * guest cannot slip a change between our check and the guest's view of
 * the grant as busy.
 */
static int claim_entry(grant_entry_v1_t *e, uint16_t domid, bool writable)
{
	uint16_t want = GTF_reading | (writable ? GTF_writing : 0);

	for (unsigned tries = 0; tries < GNTTAB_CAS_RETRIES; tries++) {
		uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
		uint16_t owner = __atomic_load_n(&e->domid, __ATOMIC_ACQUIRE);

		/* Sub-page grants may only be copied, never mapped; other types grant no page. */
		if ((flags & GTF_type_mask) != GTF_permit_access || (flags & GTF_sub_page))
			return -EINVAL;
		if (owner != domid)
			return -EINVAL;
		if (writable && (flags & GTF_readonly))
			return -EPERM;
		if (__atomic_compare_exchange_n(&e->flags, &flags, (uint16_t)(flags | want), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return 0;
	}
	return -EBUSY;
}

static void release_entry(grant_entry_v1_t *e, bool writable)
{
	uint16_t clear = GTF_reading | (writable ? GTF_writing : 0);

	/* An atomic AND is a compare-and-swap that cannot lose to the guest. */
	__atomic_fetch_and(&e->flags, (uint16_t)~clear, __ATOMIC_RELEASE);
}

int gnttab_map(struct gnttab *gt, grant_ref_t ref, bool writable, struct gnttab_mapping *m)
{
	grant_entry_v1_t *e;
	uint32_t frame;
	void *page;
	int ret;

	m->ref = ref;
	m->writable = writable;
	m->page = NULL;

	pthread_mutex_lock(&gt->lock);
	e = entry_locked(gt, ref);
	if (!e) {
		ret = -EINVAL;
		goto out;
	}
	ret = claim_entry(e, gt->backend_domid, writable);
	if (ret)
		goto out;
	/* The frame is read once the entry is marked in use: the guest must not change it now. */
	frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
	page = gfn_to_hva(gt->mem, frame);
	if (!page) {
		release_entry(e, writable);
		ret = -EFAULT;
		goto out;
	}
	m->page = page;
out:
	pthread_mutex_unlock(&gt->lock);
	return ret;
}

void gnttab_unmap(struct gnttab *gt, struct gnttab_mapping *m)
{
	grant_entry_v1_t *e;

	if (!m->page)
		return;
	pthread_mutex_lock(&gt->lock);
	/* A reset or shrunk table has no entry left to release. */
	e = entry_locked(gt, m->ref);
	if (e)
		release_entry(e, m->writable);
	pthread_mutex_unlock(&gt->lock);
	m->page = NULL;
}

bool gnttab_mapping_intact(struct gnttab *gt, const struct gnttab_mapping *m)
{
	uint16_t in_use = GTF_reading | (m->writable ? GTF_writing : 0);
	grant_entry_v1_t *e;
	bool ok = false;

	if (!m->page)
		return false;
	pthread_mutex_lock(&gt->lock);
	e = entry_locked(gt, m->ref);
	if (e) {
		uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
		uint16_t owner = __atomic_load_n(&e->domid, __ATOMIC_ACQUIRE);
		uint32_t frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);

		ok = (flags & GTF_type_mask) == GTF_permit_access && !(flags & GTF_sub_page) &&
		     (flags & in_use) == in_use && !(m->writable && (flags & GTF_readonly)) &&
		     owner == gt->backend_domid && gfn_to_hva(gt->mem, frame) == m->page;
	}
	pthread_mutex_unlock(&gt->lock);
	return ok;
}

int gnttab_copy_from_guest(struct gnttab *gt, grant_ref_t ref, unsigned offset, void *dst,
			   size_t len)
{
	struct gnttab_mapping m;
	int ret;

	if (!range_ok(offset, len, GNTTAB_PAGE_SIZE))
		return -EINVAL;
	ret = gnttab_map(gt, ref, false, &m);
	if (ret)
		return ret;
	memcpy(dst, (const uint8_t *)m.page + offset, len);
	gnttab_unmap(gt, &m);
	return 0;
}

int gnttab_copy_to_guest(struct gnttab *gt, grant_ref_t ref, unsigned offset, const void *src,
			 size_t len)
{
	struct gnttab_mapping m;
	int ret;

	if (!range_ok(offset, len, GNTTAB_PAGE_SIZE))
		return -EINVAL;
	ret = gnttab_map(gt, ref, true, &m);
	if (ret)
		return ret;
	memcpy((uint8_t *)m.page + offset, src, len);
	gnttab_unmap(gt, &m);
	return 0;
}
