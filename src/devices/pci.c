/* SPDX-License-Identifier: MIT */
/*
 * The PCI bus: configuration mechanism #1, BAR sizing and moves, INTx.
 *
 * Locking: config_lock serialises whole configuration cycles, so the bus
 * state (config[], each BAR's mapped place) changes under it, and the
 * host's map_bar/unmap_bar are called with it held: a BAR move is atomic
 * with the write that caused it.  The host must therefore not re-enter the
 * bus's config cycles from map_bar, and since map_bar runs on the vCPU that
 * wrote the BAR, in the middle of its own port access, the host's bus
 * update must not wait for in-flight accesses to finish.  INTx levels live
 * under the separate lock, so a device raising its interrupt from a BAR
 * handler never waits for a BAR move.
 */
#include "devices/pci.h"

#include "lib/log.h"

#include <errno.h>
#include <string.h>

#define PCI_ROM_ADDRESS	      0x30
#define PCI_BAR_IO_FLAG	      0x1u
#define PCI_BAR_PREFETCH_FLAG 0x8u
#define PCI_CONFIG_ENABLE     0x80000000u
/* What 0xCF8 keeps: enable, bus, device, function, dword register. */
#define PCI_CONFIG_ADDRESS_MASK 0x80fffffcu
#define PCI_IO_SPACE_END	0x10000u

void pci_function_init(struct pci_function *fn, const char *name, uint16_t vendor, uint16_t device,
		       uint32_t class_code, uint8_t revision, uint8_t irq_pin)
{
	memset(fn->config, 0, sizeof(fn->config));
	memset(fn->wmask, 0, sizeof(fn->wmask));
	fn->name = name;
	fn->bus = NULL;
	fn->intx_level = false;
	pci_config_set16(fn, PCI_VENDOR_ID, vendor);
	pci_config_set16(fn, PCI_DEVICE_ID, device);
	pci_config_set8(fn, PCI_REVISION_ID, revision);
	pci_config_set8(fn, PCI_CLASS_PROG, (uint8_t)class_code);
	pci_config_set16(fn, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	pci_config_set8(fn, PCI_INTERRUPT_PIN, irq_pin);
	/* The guest may enable decoding and bus mastering and pick an interrupt line. */
	fn->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	fn->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

void pci_set_irq(struct pci_function *fn, bool level)
{
	struct pci_bus *bus = __atomic_load_n(&fn->bus, __ATOMIC_ACQUIRE);
	unsigned pin = fn->config[PCI_INTERRUPT_PIN];

	if (!bus || pin < 1 || pin > 4)
		return;
	pthread_mutex_lock(&bus->lock);
	/* pci_bus_remove may have taken fn off (and lowered its line) while we waited. */
	if (fn->bus == bus && fn->intx_level != level) {
		fn->intx_level = level;
		bus->ops->set_intx(bus->host, fn->devfn, pin, level);
	}
	pthread_mutex_unlock(&bus->lock);
}

int pci_bus_init(struct pci_bus *bus, const struct pci_host_ops *ops, void *host)
{
	int err;

	memset(bus, 0, sizeof(*bus));
	bus->ops = ops;
	bus->host = host;
	err = pthread_mutex_init(&bus->config_lock, NULL);
	if (err)
		return -err;
	err = pthread_mutex_init(&bus->lock, NULL);
	if (err) {
		pthread_mutex_destroy(&bus->config_lock);
		return -err;
	}
	return 0;
}

static void unmap_bar(struct pci_bus *bus, struct pci_function *fn, unsigned i)
{
	struct pci_bar *bar = &fn->bars[i];

	if (!bar->mapped)
		return;
	bus->ops->unmap_bar(bus->host, fn, i, bar->mapped_base);
	bar->mapped = false;
	bar->mapped_base = 0;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->config_lock);
	for (unsigned d = 0; d < PCI_NR_SLOTS * PCI_NR_FUNCS; d++) {
		struct pci_function *fn = bus->fns[d];

		for (unsigned i = 0; fn && i < PCI_NR_BARS; i++)
			unmap_bar(bus, fn, i);
		if (fn)
			fn->bus = NULL;
		bus->fns[d] = NULL;
	}
	pthread_mutex_unlock(&bus->config_lock);
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->config_lock);
}

static bool bar_valid(const struct pci_bar *bar)
{
	uint32_t min;

	switch (bar->type) {
	case PCI_BAR_UNUSED:
		return true;
	case PCI_BAR_IO:
		min = 4;
		break;
	case PCI_BAR_MEM32:
		min = 16;
		break;
	default:
		return false;
	}
	if (bar->size < min || (bar->size & (bar->size - 1)) || !bar->handler)
		return false;
	return bar->type != PCI_BAR_IO || bar->size <= 256; /* the PCI limit for I/O BARs */
}

/* Type bits read-only, address bits below the size read as zero: sizing falls out of wmask. */
static void setup_bar(struct pci_function *fn, unsigned i)
{
	const struct pci_bar *bar = &fn->bars[i];
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t flags = 0, mask = 0;

	if (bar->type == PCI_BAR_IO) {
		flags = PCI_BAR_IO_FLAG;
		mask = ~(bar->size - 1) & ~3u;
	} else if (bar->type == PCI_BAR_MEM32) {
		flags = bar->prefetchable ? PCI_BAR_PREFETCH_FLAG : 0;
		mask = ~(bar->size - 1) & ~0xfu;
	}
	pci_config_set32(fn, off, flags);
	for (unsigned b = 0; b < 4; b++)
		fn->wmask[off + b] = (uint8_t)(mask >> (8 * b));
}

static void setup_header(struct pci_function *fn)
{
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		fn->bars[i].mapped = false;
		fn->bars[i].mapped_base = 0;
		setup_bar(fn, i);
	}
	/* No expansion ROM: its BAR reads 0 and ignores writes. */
	pci_config_set32(fn, PCI_ROM_ADDRESS, 0);
	memset(&fn->wmask[PCI_ROM_ADDRESS], 0, 4);
	fn->intx_level = false;
}

/* Function 0 says "multi-function" as soon as its slot holds another function. */
static void update_multifunction(struct pci_bus *bus, unsigned slot)
{
	struct pci_function *const *fns = &bus->fns[(size_t)slot * PCI_NR_FUNCS];
	bool multi = false;

	for (unsigned f = 1; f < PCI_NR_FUNCS; f++)
		multi |= fns[f] != NULL;
	if (fns[0] && multi)
		fns[0]->config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
}

int pci_bus_add(struct pci_bus *bus, struct pci_function *fn, unsigned slot, unsigned func)
{
	unsigned devfn = slot * PCI_NR_FUNCS + func;

	if (!fn || slot >= PCI_NR_SLOTS || func >= PCI_NR_FUNCS || fn->bus)
		return -EINVAL;
	for (unsigned i = 0; i < PCI_NR_BARS; i++)
		if (!bar_valid(&fn->bars[i]))
			return -EINVAL;
	pthread_mutex_lock(&bus->config_lock);
	if (bus->fns[devfn]) {
		pthread_mutex_unlock(&bus->config_lock);
		return -EBUSY;
	}
	setup_header(fn);
	fn->bus = bus;
	fn->devfn = (uint8_t)devfn;
	bus->fns[devfn] = fn;
	update_multifunction(bus, slot);
	pthread_mutex_unlock(&bus->config_lock);
	return 0;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_function *fn)
{
	pthread_mutex_lock(&bus->config_lock);
	if (!fn || fn->bus != bus || bus->fns[fn->devfn] != fn)
		goto out;
	/* Unmapped first, under config_lock alone, as every BAR move is. */
	for (unsigned i = 0; i < PCI_NR_BARS; i++)
		unmap_bar(bus, fn, i);
	bus->fns[fn->devfn] = NULL;
	pthread_mutex_lock(&bus->lock);
	if (fn->intx_level)
		bus->ops->set_intx(bus->host, fn->devfn, fn->config[PCI_INTERRUPT_PIN], false);
	fn->intx_level = false;
	/* Under lock too: pci_set_irq rechecks it there, so no raise can follow. */
	__atomic_store_n(&fn->bus, NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&bus->lock);
out:
	pthread_mutex_unlock(&bus->config_lock);
}

static void reset_function(struct pci_bus *bus, struct pci_function *fn)
{
	uint16_t cmd = pci_config_get16(fn, PCI_COMMAND);

	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		unmap_bar(bus, fn, i);
		setup_bar(fn, i);
	}
	cmd &= (uint16_t) ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_config_set16(fn, PCI_COMMAND, cmd);
	pci_config_set8(fn, PCI_INTERRUPT_LINE, 0);
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->config_lock);
	for (unsigned d = 0; d < PCI_NR_SLOTS * PCI_NR_FUNCS; d++)
		if (bus->fns[d])
			reset_function(bus, bus->fns[d]);
	bus->config_address = 0;
	pthread_mutex_unlock(&bus->config_lock);
}

/* The address the guest programmed into BAR i (type bits dropped). */
static uint32_t bar_address(const struct pci_function *fn, unsigned i)
{
	uint32_t v = pci_config_get32(fn, PCI_BASE_ADDRESS_0 + 4 * i);

	return fn->bars[i].type == PCI_BAR_IO ? v & ~3u : v & ~0xfu;
}

/*
 * Where BAR i should answer now, or false for nowhere: its kind of decoding
 * is on and it holds a usable address (not 0, not the all-ones sizing
 * pattern, inside the 64 KiB port space for I/O).
 */
static bool bar_wanted(const struct pci_function *fn, unsigned i, uint64_t *base)
{
	const struct pci_bar *bar = &fn->bars[i];
	uint16_t cmd = pci_config_get16(fn, PCI_COMMAND);
	uint32_t addr = bar_address(fn, i);
	uint32_t sizing = ~(bar->size - 1) & (bar->type == PCI_BAR_IO ? ~3u : ~0xfu);

	if (bar->type == PCI_BAR_IO) {
		if (!(cmd & PCI_COMMAND_IO) || (uint64_t)addr + bar->size > PCI_IO_SPACE_END)
			return false;
	} else if (bar->type != PCI_BAR_MEM32 || !(cmd & PCI_COMMAND_MEMORY)) {
		return false;
	}
	if (!addr || addr == sizing)
		return false;
	*base = addr;
	return true;
}

static void update_bar(struct pci_bus *bus, struct pci_function *fn, unsigned i)
{
	struct pci_bar *bar = &fn->bars[i];
	uint64_t base = 0;
	bool want = bar_wanted(fn, i, &base);
	int err;

	if (bar->mapped && (!want || base != bar->mapped_base))
		unmap_bar(bus, fn, i);
	if (!want || bar->mapped)
		return;
	err = bus->ops->map_bar(bus->host, fn, i, base);
	if (err) {
		/* The guest asked for a place it cannot have (overlap): the BAR stays dark. */
		pr_warn_once("pci: %s BAR%u at 0x%llx refused (%d); left unmapped", fn->name, i,
			     (unsigned long long)base, err);
		return;
	}
	bar->mapped = true;
	bar->mapped_base = base;
}

static bool touches(unsigned reg, unsigned len, unsigned start, unsigned end)
{
	return reg < end && start < reg + len;
}

static void config_write(struct pci_bus *bus, struct pci_function *fn, unsigned reg,
			 const uint8_t *data, unsigned len)
{
	for (unsigned b = 0; b < len; b++) {
		uint8_t m = fn->wmask[reg + b];

		fn->config[reg + b] = (uint8_t)((fn->config[reg + b] & ~m) | (data[b] & m));
	}
	if (touches(reg, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    touches(reg, len, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_0 + 4 * PCI_NR_BARS))
		for (unsigned i = 0; i < PCI_NR_BARS; i++)
			update_bar(bus, fn, i);
	if (fn->config_write)
		fn->config_write(fn, reg, len);
}

/* The function and register 0xCF8 selects, or NULL (disabled, another bus, empty slot). */
static struct pci_function *selected(const struct pci_bus *bus, unsigned *reg)
{
	uint32_t a = bus->config_address;

	if (!(a & PCI_CONFIG_ENABLE) || ((a >> 16) & 0xff))
		return NULL;
	*reg = a & 0xfc;
	return bus->fns[(a >> 8) & 0xff];
}

static void config_data(struct pci_bus *bus, unsigned byte, uint8_t *data, unsigned len,
			bool is_write)
{
	unsigned reg = 0;
	struct pci_function *fn = selected(bus, &reg);

	if (!fn) {
		if (!is_write)
			memset(data, 0xff, len); /* master abort */
		return;
	}
	reg += byte; /* byte + len <= 4: stays inside the selected dword */
	if (is_write)
		config_write(bus, fn, reg, data, len);
	else
		memcpy(data, &fn->config[reg], len);
}

static void config_address(struct pci_bus *bus, uint8_t *data, bool is_write)
{
	uint32_t v;

	if (is_write) {
		memcpy(&v, data, 4);
		bus->config_address = v & PCI_CONFIG_ADDRESS_MASK;
	} else {
		memcpy(data, &bus->config_address, 4);
	}
}

/*
 * 0xCF8-0xCFF.  Only a dword access at 0xCF8 reaches the address register
 * (smaller ones go to other decoders, such as the PIIX's 0xCF9); the data
 * window takes bytes, words and dwords at any offset inside it.
 */
void pci_config_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;

	if ((len != 1 && len != 2 && len != 4) || offset >= 8 || offset + len > 8) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	pthread_mutex_lock(&bus->config_lock);
	if (offset >= 4)
		config_data(bus, (unsigned)offset - 4, data, len, is_write);
	else if (offset == 0 && len == 4)
		config_address(bus, data, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
	pthread_mutex_unlock(&bus->config_lock);
}
