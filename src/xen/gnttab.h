/* SPDX-License-Identifier: MIT */
/*
 * A guest's grant table (version 1) as seen by the VMM's backends, which
 * act as domain 0.  The table frames are guest pages the guest placed with
 * XENMEM_add_to_physmap; every entry is guest-controlled and re-checked
 * on each use.
 */
#ifndef XKVM_XEN_GNTTAB_H
#define XKVM_XEN_GNTTAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

struct guest_memory;

#define GNTTAB_MAX_FRAMES	 64
#define GNTTAB_ENTRIES_PER_FRAME (4096 / sizeof(grant_entry_v1_t))
#define GNTTAB_NO_FRAME		 UINT64_MAX

struct gnttab {
	pthread_mutex_t lock; /* guards frames[] (the guest can move a frame) */
	const struct guest_memory *mem;
	uint16_t backend_domid; /* grants must name this domid (0) */
	unsigned nr_frames;	/* frames placed so far (highest index + 1) */
	uint64_t frame_gfn[GNTTAB_MAX_FRAMES];
	grant_entry_v1_t *frame[GNTTAB_MAX_FRAMES];
	/*
	 * Optional: where a gfn outside RAM lives (a VMM page the guest placed
	 * in a hole, as Linux does with its unpopulated pages).  NULL: RAM only.
	 */
	void *(*place_outside_ram)(void *opaque, uint64_t gfn);
	void *place_opaque;
};

/* A granted page held by a backend. */
struct gnttab_mapping {
	grant_ref_t ref;
	bool writable;
	void *page; /* 4096 bytes of guest RAM */
};

void gnttab_init(struct gnttab *gt, const struct guest_memory *mem);
void gnttab_destroy(struct gnttab *gt);
/* Forget every frame (guest reset / GNTTABOP_set_version). */
void gnttab_reset(struct gnttab *gt);

/*
 * Place table frame `index` at guest frame `gfn` (add_to_physmap).  The
 * page is guest RAM, or one place_outside_ram provides; it is zeroed when
 * first placed.  Returns 0,
 * -EINVAL for an index >= GNTTAB_MAX_FRAMES, -EFAULT for a gfn that is not RAM.
 */
int gnttab_set_frame(struct gnttab *gt, unsigned index, uint64_t gfn);

/*
 * Map the page granted by `ref` for the backend: the entry must permit
 * access to backend_domid, must not be read-only when writable is asked,
 * and its frame must be guest RAM.  Marks the entry reading/writing with
 * compare-and-swap, as Xen does.  Returns 0, or -EINVAL (bad ref / flags /
 * domid), -EPERM (read-only), -EFAULT (frame not RAM), -EBUSY (the guest
 * kept changing the entry).
 */
int gnttab_map(struct gnttab *gt, grant_ref_t ref, bool writable, struct gnttab_mapping *m);
void gnttab_unmap(struct gnttab *gt, struct gnttab_mapping *m);

/*
 * Whether a mapping still stands as it was made: the entry still grants
 * its page to the backend, is still marked in use (writing too, for a
 * writable mapping) and still names the same frame.  For a backend that
 * keeps a mapping across requests: the guest may rewrite the entry at any
 * time.  False for an unmapped m.
 */
bool gnttab_mapping_intact(struct gnttab *gt, const struct gnttab_mapping *m);

/* Map, copy, unmap: for data that crosses once (netback).  offset+len must fit in the page. */
int gnttab_copy_from_guest(struct gnttab *gt, grant_ref_t ref, unsigned offset, void *dst,
			   size_t len);
int gnttab_copy_to_guest(struct gnttab *gt, grant_ref_t ref, unsigned offset, const void *src,
			 size_t len);

#endif
