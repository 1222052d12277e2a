/* SPDX-License-Identifier: MIT */
/*
 * KVM memory slot numbers: handed out and taken back by one allocator per
 * VM, never computed by hand, so RAM, ROMs and overlays added or removed
 * in any order never collide.  The caller serialises access.
 */
#ifndef XKVM_CORE_MEMSLOT_H
#define XKVM_CORE_MEMSLOT_H

#include <stdint.h>

/* More than any machine here needs (RAM regions, ROMs, Xen's 64 grant frames). */
#define MEMSLOT_MAX 512

struct memslot_map {
	unsigned limit; /* slots this KVM offers, at most MEMSLOT_MAX */
	uint64_t used[MEMSLOT_MAX / 64];
};

/* All slots free; limit is what KVM_CAP_NR_MEMSLOTS said (clamped). */
void memslot_map_init(struct memslot_map *m, unsigned limit);
/* The lowest free slot, or -ENOSPC. */
int memslot_alloc(struct memslot_map *m);
/* Give a slot back; a slot that is not allocated is ignored. */
void memslot_free(struct memslot_map *m, unsigned slot);

#endif
