/* SPDX-License-Identifier: MIT */
/*
 * PCI functions and the bus that holds them (configuration mechanism #1 at
 * 0xCF8/0xCFC).  A device model embeds a struct pci_function, fills its
 * configuration header with the helpers below and describes its BARs; it
 * never learns its slot, its BAR addresses or its interrupt line.  The bus
 * (pci.c) answers configuration cycles, sizes BARs, and asks its host (the
 * machine) to map a BAR where the guest moved it and to route INTx.
 */
#ifndef XKVM_DEVICES_PCI_H
#define XKVM_DEVICES_PCI_H

#include "core/bus.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_SIZE 256
#define PCI_NR_BARS	6
#define PCI_NR_SLOTS	32
#define PCI_NR_FUNCS	8

/* Standard header offsets (type 0). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a
#define PCI_HEADER_TYPE		0x0e
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		       0x1
#define PCI_COMMAND_MEMORY	       0x2
#define PCI_COMMAND_MASTER	       0x4
#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

enum pci_bar_type {
	PCI_BAR_UNUSED = 0,
	PCI_BAR_IO,    /* I/O space, size >= 4 */
	PCI_BAR_MEM32, /* 32-bit memory space, size >= 16 */
};

struct pci_bar {
	enum pci_bar_type type;
	uint32_t size; /* a power of two */
	bool prefetchable;
	/* Accesses, with offsets relative to wherever the guest put the BAR. */
	io_handler_fn handler;
	void *opaque;

	/* Kept by the bus (under config_lock): where the host mapped the BAR, if it is. */
	bool mapped;
	uint64_t mapped_base;
};

struct pci_function;

/*
 * Called after the bus stored a guest's configuration write (already
 * masked by wmask) and acted on the header (command, BARs); called for
 * every write, the device picks the offsets it cares about (PAM, PIRQ
 * routing, IDE timing).  Runs with the bus's config_lock held.
 */
typedef void (*pci_config_write_fn)(struct pci_function *fn, unsigned offset, unsigned len);

struct pci_function {
	const char *name;
	uint8_t config[PCI_CONFIG_SIZE];
	/* Bits of config[] the guest may change (header bits are set by pci_function_init). */
	uint8_t wmask[PCI_CONFIG_SIZE];
	struct pci_bar bars[PCI_NR_BARS];
	pci_config_write_fn config_write; /* NULL: none */
	void *opaque;			  /* the device model */

	/* Filled in by pci_bus_add. */
	struct pci_bus *bus;
	uint8_t devfn;
	bool intx_level;
};

/*
 * What the bus needs from the machine that holds it.  map_bar/unmap_bar run
 * under the bus's config_lock on the vCPU doing the config cycle, set_intx
 * under its lock: none may re-enter the bus, and the bus update map_bar
 * makes must not wait for in-flight device accesses to drain.
 */
struct pci_host_ops {
	/* Make BAR `bar` of fn answer at base (I/O or memory by its type).  0 or -errno. */
	int (*map_bar)(void *host, struct pci_function *fn, unsigned bar, uint64_t base);
	void (*unmap_bar)(void *host, struct pci_function *fn, unsigned bar, uint64_t base);
	/* INTx pin (1 = INTA .. 4 = INTD) of devfn changed level. */
	void (*set_intx)(void *host, uint8_t devfn, unsigned pin, bool level);
};

struct pci_bus {
	/*
	 * Two locks so that a BAR move never waits on INTx: config_lock
	 * serialises config cycles and BAR moves (map_bar/unmap_bar and
	 * config_write hooks run under it); lock guards INTx levels
	 * (set_intx runs under it).  Never take config_lock under lock.
	 */
	pthread_mutex_t config_lock;
	pthread_mutex_t lock;
	const struct pci_host_ops *ops;
	void *host;
	uint32_t config_address;			       /* the last value written to 0xCF8 */
	struct pci_function *fns[PCI_NR_SLOTS * PCI_NR_FUNCS]; /* by devfn */
};

int pci_bus_init(struct pci_bus *bus, const struct pci_host_ops *ops, void *host);
void pci_bus_destroy(struct pci_bus *bus);
/* Place fn at slot.func; -EBUSY if taken, -EINVAL out of range.  Before vCPUs run. */
int pci_bus_add(struct pci_bus *bus, struct pci_function *fn, unsigned slot, unsigned func);
/*
 * Take fn off the bus while the guest runs (a PV unplug): its BARs are
 * unmapped through the host's unmap_bar, its INTx is lowered, and its
 * devfn then reads as an absent function (all ones) and ignores writes;
 * a later pci_set_irq on it does nothing.  Any thread; a no-op when fn
 * is not on this bus.  The host's unmap_bar does not wait for accesses
 * already inside a BAR handler, so the caller keeps fn's device model
 * alive until those have drained (e.g. until the VM stops).
 */
void pci_bus_remove(struct pci_bus *bus, struct pci_function *fn);
/*
 * A machine reset (vCPUs stopped): every BAR unmapped and cleared, decoding
 * and bus mastering off, interrupt lines 0, 0xCF8 cleared.  Device models
 * reset their own registers after this.
 */
void pci_bus_reset(struct pci_bus *bus);
/* The bus handler for the configuration ports 0xCF8-0xCFF (offset 0-7). */
void pci_config_io(void *bus, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* Fill the standard header of a type-0 function; interrupt pin 0 means none. */
void pci_function_init(struct pci_function *fn, const char *name, uint16_t vendor, uint16_t device,
		       uint32_t class_code, uint8_t revision, uint8_t irq_pin);

/* Raise or lower the function's INTx pin (any thread). */
void pci_set_irq(struct pci_function *fn, bool level);

static inline void pci_config_set8(struct pci_function *fn, unsigned off, uint8_t v)
{
	fn->config[off & (PCI_CONFIG_SIZE - 1)] = v;
}

static inline void pci_config_set16(struct pci_function *fn, unsigned off, uint16_t v)
{
	pci_config_set8(fn, off, (uint8_t)v);
	pci_config_set8(fn, off + 1, (uint8_t)(v >> 8));
}

static inline void pci_config_set32(struct pci_function *fn, unsigned off, uint32_t v)
{
	pci_config_set16(fn, off, (uint16_t)v);
	pci_config_set16(fn, off + 2, (uint16_t)(v >> 16));
}

static inline uint16_t pci_config_get16(const struct pci_function *fn, unsigned off)
{
	return (uint16_t)(fn->config[off & 0xff] | fn->config[(off + 1) & 0xff] << 8);
}

static inline uint32_t pci_config_get32(const struct pci_function *fn, unsigned off)
{
	return pci_config_get16(fn, off) | (uint32_t)pci_config_get16(fn, off + 2) << 16;
}

#endif
