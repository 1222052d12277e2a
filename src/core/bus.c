/* SPDX-License-Identifier: MIT */
#include "core/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

void io_bus_destroy(struct io_bus *bus)
{
	free(bus->ranges);
	memset(bus, 0, sizeof(*bus));
}

static bool overlaps(const struct io_range *r, uint64_t base, uint64_t len)
{
	return base < r->base + r->len && r->base < base + len;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn handler,
		    void *opaque, const char *name)
{
	unsigned pos = 0;

	if (!len || base + len < base || !handler)
		return -EINVAL;
	for (unsigned i = 0; i < bus->nr; i++) {
		if (overlaps(&bus->ranges[i], base, len))
			return -EBUSY;
		if (bus->ranges[i].base < base)
			pos = i + 1;
	}
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos], (bus->nr - pos) * sizeof(*bus->ranges));
	bus->ranges[pos] = (struct io_range){base, len, handler, opaque, name};
	bus->nr++;
	return 0;
}

const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

bool io_bus_access(const struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write)
{
	const struct io_range *r = io_bus_find(bus, addr);

	if (!is_write)
		memset(data, 0, len);
	/* An access must fit inside one device's range to reach it. */
	if (!r || addr - r->base + len > r->len) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	r->handler(r->opaque, addr - r->base, data, len, is_write);
	return true;
}
