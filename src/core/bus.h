/* SPDX-License-Identifier: MIT */
/*
 * An I/O bus: address ranges mapped to device handlers.  One type serves
 * port I/O and MMIO.  Ranges never overlap, and they may be added, removed
 * and moved while vCPUs dispatch (firmware moves PCI BARs).
 *
 * Readers take no lock: they load an immutable sorted table through an
 * atomic pointer, announcing it in a hazard slot of their own for the
 * access.  A writer (under the bus mutex) builds a new table, publishes
 * it, and frees every replaced table no slot announces.  A writer never
 * waits for readers, so a vCPU whose handler moves a range on the bus it
 * is dispatching from cannot deadlock, and at most one replaced table per
 * access in flight stays allocated, however often ranges move.
 */
#ifndef XKVM_CORE_BUS_H
#define XKVM_CORE_BUS_H

#include <pthread.h>
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

struct io_table; /* bus.c: one immutable snapshot of the ranges */

/* Accesses in flight at once on one bus (vCPUs); more wait for a free slot. */
#define IO_BUS_MAX_READERS 64

/* The table one access is using; a cache line each, so vCPUs don't share one. */
struct io_bus_reader {
	struct io_table *hazard; /* atomic: NULL free, else claimed */
	char pad[64 - sizeof(struct io_table *)];
};

struct io_bus {
	const char *name;
	struct io_table *table;	  /* atomic: what readers dispatch through (NULL: empty) */
	pthread_mutex_t lock;	  /* writers */
	struct io_table *retired; /* replaced tables a reader may still hold, under lock */
	unsigned nr_retired;	  /* atomic; never more than IO_BUS_MAX_READERS */
	struct io_bus_reader readers[IO_BUS_MAX_READERS];
};

void io_bus_init(struct io_bus *bus, const char *name);
/* Free everything; no access may be in flight. */
void io_bus_destroy(struct io_bus *bus);
/* Returns 0, -EBUSY on overlap, -EINVAL on an empty or wrapping range, -ENOMEM. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn handler,
		    void *opaque, const char *name);
/*
 * Remove the range at base registered with opaque.  0 or -ENOENT.  An
 * access already dispatched may still run the handler once: opaque must
 * stay valid until the vCPUs stop (devices live as long as the VM).
 */
int io_bus_unregister(struct io_bus *bus, uint64_t base, const void *opaque);
/*
 * Move the range at old_base registered with opaque to new_base, in one
 * step (an access sees it at one place or the other).  0, -ENOENT,
 * -EBUSY when the new place overlaps another range, -EINVAL if it wraps,
 * -ENOMEM.
 */
int io_bus_move(struct io_bus *bus, uint64_t old_base, uint64_t new_base, const void *opaque);
/* Ranges on the bus now. */
unsigned io_bus_count(struct io_bus *bus);
/* Addresses (ports, bytes) the ranges on the bus cover now, summed. */
uint64_t io_bus_span(struct io_bus *bus);
/*
 * Dispatch an access.  Returns false when no device claims addr (reads
 * then see all ones, as on a real bus, and writes are dropped).
 */
bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
