/* SPDX-License-Identifier: MIT */
/*
 * An I/O bus: address ranges mapped to device handlers.  One type serves
 * port I/O and MMIO.  Ranges are registered before vCPUs start and never
 * overlap; lookups after that are lock-free reads of an immutable table.
 */
#ifndef XKVM_CORE_BUS_H
#define XKVM_CORE_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A device access: offset is relative to the range's base; len is 1, 2, 4
 * or 8.  For reads the handler fills data (it starts zeroed).
 */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn handler;
	void *opaque;
	const char *name;
};

struct io_bus {
	const char *name;
	unsigned nr, cap;
	struct io_range *ranges; /* sorted by base */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_destroy(struct io_bus *bus);
/* Returns 0, -EBUSY on overlap, -EINVAL on an empty or wrapping range, -ENOMEM. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn handler,
		    void *opaque, const char *name);
const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr);
/*
 * Dispatch an access.  Returns false when no device claims addr (reads
 * then see all ones, as on a real bus, and writes are dropped).
 */
bool io_bus_access(const struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write);

#endif
