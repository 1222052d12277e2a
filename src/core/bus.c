/* SPDX-License-Identifier: MIT */
#include "core/bus.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/*
 * Hazard slots: a reader claims a free slot, stores the table it is about
 * to use there and checks that the table is still current; a writer
 * unpublishes a table first and then frees it only if no slot names it.
 * Sequentially consistent atomics give the order both sides rely on.
 */
#define SEQ	     __ATOMIC_SEQ_CST
#define SLOT_CLAIMED ((struct io_table *)1)

struct io_table {
	unsigned nr;
	struct io_table *next_retired;
	struct io_range ranges[]; /* sorted by base */
};

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->lock, NULL);
}

void io_bus_destroy(struct io_bus *bus)
{
	struct io_table *t = bus->retired;

	while (t) {
		struct io_table *next = t->next_retired;

		free(t);
		t = next;
	}
	free(bus->table);
	pthread_mutex_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

static bool in_use(struct io_bus *bus, const struct io_table *t)
{
	for (unsigned i = 0; i < IO_BUS_MAX_READERS; i++)
		if (__atomic_load_n(&bus->readers[i].hazard, SEQ) == t)
			return true;
	return false;
}

/* Free every replaced table no access holds.  Under bus->lock. */
static void reclaim(struct io_bus *bus)
{
	struct io_table **link = &bus->retired;

	while (*link) {
		struct io_table *t = *link;

		if (in_use(bus, t)) {
			link = &t->next_retired;
			continue;
		}
		*link = t->next_retired;
		free(t);
		__atomic_sub_fetch(&bus->nr_retired, 1, SEQ);
	}
}

/* Make next the table readers see; the old one waits for its readers.  Under bus->lock. */
static void publish(struct io_bus *bus, struct io_table *next)
{
	struct io_table *old = __atomic_exchange_n(&bus->table, next, SEQ);

	if (old) {
		old->next_retired = bus->retired;
		bus->retired = old;
		__atomic_add_fetch(&bus->nr_retired, 1, SEQ);
	}
	reclaim(bus);
}

static bool overlaps(const struct io_range *r, uint64_t base, uint64_t len)
{
	return base < r->base + r->len && r->base < base + len;
}

/*
 * Publish the current table less ranges[drop] (if drop >= 0) plus add (if
 * not NULL), kept sorted.  Under bus->lock.  0, -EBUSY or -ENOMEM.
 */
static int rebuild(struct io_bus *bus, int drop, const struct io_range *add)
{
	const struct io_table *cur = bus->table;
	unsigned old_nr = cur ? cur->nr : 0, n = 0;
	struct io_table *t = malloc(sizeof(*t) + (old_nr + 1) * sizeof(t->ranges[0]));
	bool placed = !add;

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < old_nr; i++) {
		const struct io_range *r = &cur->ranges[i];

		if ((int)i == drop)
			continue;
		if (add && overlaps(r, add->base, add->len)) {
			free(t);
			return -EBUSY;
		}
		if (!placed && add->base < r->base) {
			t->ranges[n++] = *add;
			placed = true;
		}
		t->ranges[n++] = *r;
	}
	if (!placed)
		t->ranges[n++] = *add;
	t->nr = n;
	publish(bus, t);
	return 0;
}

static bool range_valid(uint64_t base, uint64_t len)
{
	return len && base + len > base;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn handler,
		    void *opaque, const char *name)
{
	const struct io_range add = {base, len, handler, opaque, name};
	int r;

	if (!range_valid(base, len) || !handler)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	r = rebuild(bus, -1, &add);
	pthread_mutex_unlock(&bus->lock);
	return r;
}

/* Index of the range at base with opaque, or -1.  Under bus->lock. */
static int find_exact(const struct io_bus *bus, uint64_t base, const void *opaque)
{
	const struct io_table *t = bus->table;

	for (unsigned i = 0; t && i < t->nr; i++)
		if (t->ranges[i].base == base && t->ranges[i].opaque == opaque)
			return (int)i;
	return -1;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base, const void *opaque)
{
	int i, r = -ENOENT;

	pthread_mutex_lock(&bus->lock);
	i = find_exact(bus, base, opaque);
	if (i >= 0)
		r = rebuild(bus, i, NULL);
	pthread_mutex_unlock(&bus->lock);
	return r;
}

int io_bus_move(struct io_bus *bus, uint64_t old_base, uint64_t new_base, const void *opaque)
{
	struct io_range moved;
	int i, r = -ENOENT;

	pthread_mutex_lock(&bus->lock);
	i = find_exact(bus, old_base, opaque);
	if (i >= 0) {
		moved = bus->table->ranges[i];
		moved.base = new_base;
		r = range_valid(new_base, moved.len) ? rebuild(bus, i, &moved) : -EINVAL;
	}
	pthread_mutex_unlock(&bus->lock);
	return r;
}

unsigned io_bus_count(struct io_bus *bus)
{
	unsigned nr;

	pthread_mutex_lock(&bus->lock);
	nr = bus->table ? bus->table->nr : 0;
	pthread_mutex_unlock(&bus->lock);
	return nr;
}

uint64_t io_bus_span(struct io_bus *bus)
{
	uint64_t span = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned i = 0; bus->table && i < bus->table->nr; i++)
		span += bus->table->ranges[i].len;
	pthread_mutex_unlock(&bus->lock);
	return span;
}

static const struct io_range *find(const struct io_table *t, uint64_t addr)
{
	unsigned lo = 0, hi = t ? t->nr : 0;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct io_range *r = &t->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* A free hazard slot, looked for from a place that differs between threads. */
static struct io_bus_reader *reader_claim(struct io_bus *bus)
{
	unsigned i = (unsigned)(((uintptr_t)pthread_self() >> 12) % IO_BUS_MAX_READERS);

	for (unsigned tries = 1;; tries++, i = (i + 1) % IO_BUS_MAX_READERS) {
		struct io_table *expect = NULL;

		if (__atomic_compare_exchange_n(&bus->readers[i].hazard, &expect, SLOT_CLAIMED,
						false, SEQ, __ATOMIC_RELAXED))
			return &bus->readers[i];
		/* Every slot busy: the holders are in handlers and will leave. */
		if (tries % IO_BUS_MAX_READERS == 0)
			sched_yield();
	}
}

/* Announce the current table in the slot and return it, still current once announced. */
static const struct io_table *reader_load(struct io_bus *bus, struct io_bus_reader *slot)
{
	for (;;) {
		struct io_table *t = __atomic_load_n(&bus->table, SEQ);

		__atomic_store_n(&slot->hazard, t ? t : SLOT_CLAIMED, SEQ);
		if (__atomic_load_n(&bus->table, SEQ) == t)
			return t;
	}
}

bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	struct io_bus_reader *slot = reader_claim(bus);
	const struct io_range *r = find(reader_load(bus, slot), addr);
	bool claimed = r && addr - r->base + len <= r->len;

	if (!is_write)
		memset(data, claimed ? 0 : 0xff, len);
	/* An access must fit inside one device's range to reach it. */
	if (claimed)
		r->handler(r->opaque, addr - r->base, data, len, is_write);
	__atomic_store_n(&slot->hazard, NULL, SEQ);
	return claimed;
}
