/* SPDX-License-Identifier: MIT */
#include "core/memslot.h"

#include <errno.h>
#include <string.h>

void memslot_map_init(struct memslot_map *m, unsigned limit)
{
	memset(m, 0, sizeof(*m));
	m->limit = limit < MEMSLOT_MAX ? limit : MEMSLOT_MAX;
}

int memslot_alloc(struct memslot_map *m)
{
	for (unsigned slot = 0; slot < m->limit; slot++) {
		uint64_t bit = 1ULL << (slot % 64);

		if (!(m->used[slot / 64] & bit)) {
			m->used[slot / 64] |= bit;
			return (int)slot;
		}
	}
	return -ENOSPC;
}

void memslot_free(struct memslot_map *m, unsigned slot)
{
	if (slot < m->limit)
		m->used[slot / 64] &= ~(1ULL << (slot % 64));
}
