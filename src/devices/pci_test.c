/* SPDX-License-Identifier: MIT */
#include "devices/pci.h"
#include "lib/test.h"

#include <errno.h>
#include <string.h>

#define MAX_CALLS 32

struct call {
	char kind; /* 'm' map, 'u' unmap, 'i' intx */
	unsigned bar;
	uint64_t base;
	bool level;
};

/* A host that records what the bus asked and refuses overlapping BARs, as a machine would. */
struct fake_host {
	struct call calls[MAX_CALLS];
	unsigned nr;
	struct {
		struct pci_function *fn;
		unsigned bar;
		uint64_t base, size;
		bool io;
	} maps[8];
	unsigned nr_maps;
};

static void record(struct fake_host *h, struct call c)
{
	assert_true(h->nr < MAX_CALLS);
	h->calls[h->nr++] = c;
}

/*
 * The locking contract: BAR moves run under config_lock only, never under
 * the INTx lock a device takes from its BAR handlers (a host whose bus update
 * waits for in-flight accesses would deadlock on it).
 */
static void assert_move_locks(struct pci_bus *bus)
{
	int config = pthread_mutex_trylock(&bus->config_lock);
	int intx = pthread_mutex_trylock(&bus->lock);

	if (!config)
		pthread_mutex_unlock(&bus->config_lock);
	if (!intx)
		pthread_mutex_unlock(&bus->lock);
	assert_int_equal(config, EBUSY);
	assert_int_equal(intx, 0);
}

/*
 * A failed assertion inside a host callback jumps out of the bus with its
 * locks held (by this thread): release them so teardown reports the failure
 * instead of hanging.
 */
static void release_abandoned(pthread_mutex_t *m)
{
	(void)pthread_mutex_trylock(m);
	pthread_mutex_unlock(m);
}

static int fake_map(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct fake_host *h = host;
	uint64_t size = fn->bars[bar].size;
	bool io = fn->bars[bar].type == PCI_BAR_IO;

	assert_move_locks(fn->bus);

	for (unsigned i = 0; i < h->nr_maps; i++)
		if (h->maps[i].io == io && base < h->maps[i].base + h->maps[i].size &&
		    h->maps[i].base < base + size)
			return -EBUSY;
	record(h, (struct call){'m', bar, base, false});
	assert_true(h->nr_maps < 8);
	h->maps[h->nr_maps].fn = fn;
	h->maps[h->nr_maps].bar = bar;
	h->maps[h->nr_maps].base = base;
	h->maps[h->nr_maps].size = size;
	h->maps[h->nr_maps].io = io;
	h->nr_maps++;
	return 0;
}

static void fake_unmap(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct fake_host *h = host;

	assert_move_locks(fn->bus);
	record(h, (struct call){'u', bar, base, false});
	for (unsigned i = 0; i < h->nr_maps; i++) {
		if (h->maps[i].fn == fn && h->maps[i].bar == bar) {
			assert_int_equal(h->maps[i].base, base);
			h->maps[i] = h->maps[--h->nr_maps];
			return;
		}
	}
	fail_msg("unmap of a BAR that is not mapped");
}

static void fake_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	record(host, (struct call){'i', devfn, pin, level});
}

static const struct pci_host_ops fake_ops = {fake_map, fake_unmap, fake_intx};

static void dummy_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
	(void)is_write;
}

struct fixture {
	struct fake_host host;
	struct pci_bus bus;
	struct pci_function
	    dev; /* 00:03.0: I/O BAR0 (32 ports), memory BAR1 (4 KiB, prefetchable) */
	struct pci_function more[3]; /* what a test adds lives as long as the bus */
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	assert_int_equal(pci_bus_init(&f->bus, &fake_ops, &f->host), 0);
	pci_function_init(&f->dev, "dev", 0x10ec, 0x8139, 0x020000, 0x20, 1);
	f->dev.bars[0] = (struct pci_bar){.type = PCI_BAR_IO, .size = 32, .handler = dummy_io};
	f->dev.bars[1] = (struct pci_bar){
	    .type = PCI_BAR_MEM32, .size = 4096, .prefetchable = true, .handler = dummy_io};
	assert_int_equal(pci_bus_add(&f->bus, &f->dev, 3, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	release_abandoned(&f->bus.config_lock);
	release_abandoned(&f->bus.lock);
	pci_bus_destroy(&f->bus);
	test_free(f);
	return 0;
}

static void select_reg(struct pci_bus *bus, unsigned devfn, unsigned reg)
{
	uint32_t a = 0x80000000u | devfn << 8 | (reg & 0xfc);

	pci_config_io(bus, 0, (uint8_t *)&a, 4, true);
}

static uint32_t cfg_read(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	select_reg(bus, devfn, reg);
	pci_config_io(bus, 4 + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

static void cfg_write(struct pci_bus *bus, unsigned devfn, unsigned reg, unsigned len, uint32_t v)
{
	select_reg(bus, devfn, reg);
	pci_config_io(bus, 4 + (reg & 3), (uint8_t *)&v, len, true);
}

#define DEV 0x18 /* 00:03.0 */

static void test_identity_and_absent(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(&f->bus, DEV, 0, 4), 0x813910ec);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x0a, 2), 0x0200);
	/* Absent functions, other buses and disabled cycles read all ones. */
	assert_int_equal(cfg_read(&f->bus, DEV + 1, 0, 4), 0xffffffff);
	assert_int_equal(cfg_read(&f->bus, 0x20, 0, 2), 0xffff);
	assert_int_equal(cfg_read(&f->bus, DEV | 0x100, 0, 4), 0xffffffff);
	uint32_t a = DEV << 8, v = 0;
	pci_config_io(&f->bus, 0, (uint8_t *)&a, 4, true);
	pci_config_io(&f->bus, 4, (uint8_t *)&v, 4, false);
	assert_int_equal(v, 0xffffffff);
	/* Writes there go nowhere and crash nothing. */
	cfg_write(&f->bus, DEV + 1, 0x10, 4, 0xffffffff);
	cfg_write(&f->bus, 0xff, 0x04, 2, 0x7);
	assert_int_equal(f->host.nr, 0);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x04, 2), 0);
}

static void test_address_register(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0x80000000, r = 0;
	uint8_t b = 0x12;

	/* Linux's type-1 probe: the enable bit reads back. */
	pci_config_io(&f->bus, 0, (uint8_t *)&v, 4, true);
	pci_config_io(&f->bus, 0, (uint8_t *)&r, 4, false);
	assert_int_equal(r, 0x80000000);
	/* Low two bits and reserved bits are not kept. */
	v = 0xffffffff;
	pci_config_io(&f->bus, 0, (uint8_t *)&v, 4, true);
	pci_config_io(&f->bus, 0, (uint8_t *)&r, 4, false);
	assert_int_equal(r, 0x80fffffc);
	/* A byte at 0xCF9 is not the address register. */
	pci_config_io(&f->bus, 1, &b, 1, true);
	pci_config_io(&f->bus, 0, (uint8_t *)&r, 4, false);
	assert_int_equal(r, 0x80fffffc);
	b = 0;
	pci_config_io(&f->bus, 1, &b, 1, false);
	assert_int_equal(b, 0xff);
}

static void test_unaligned_and_cross_dword(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;

	/* Any byte or word inside the data dword. */
	assert_int_equal(cfg_read(&f->bus, DEV, 1, 1), 0x10);
	assert_int_equal(cfg_read(&f->bus, DEV, 3, 1), 0x81);
	assert_int_equal(cfg_read(&f->bus, DEV, 1, 2), 0x3910);
	assert_int_equal(cfg_read(&f->bus, DEV, 2, 2), 0x8139);
	/* Interrupt line through a byte write at 0xCFC. */
	cfg_write(&f->bus, DEV, 0x3c, 1, 0x0b);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x3c, 2), 0x010b);
	/* A word at 0xCFD spanning pin and line: pin stays read-only. */
	cfg_write(&f->bus, DEV, 0x3d, 2, 0x0909);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x3c, 4), 0x010b);
	/* Accesses crossing the end of the window or of 0xCF8 are refused. */
	select_reg(&f->bus, DEV, 0);
	v = 0;
	pci_config_io(&f->bus, 6, (uint8_t *)&v, 4, false);
	assert_int_equal(v, 0xffffffff);
	v = 0;
	pci_config_io(&f->bus, 7, (uint8_t *)&v, 2, false);
	assert_int_equal(v, 0xffff);
	v = 0;
	pci_config_io(&f->bus, 2, (uint8_t *)&v, 4, false);
	assert_int_equal(v, 0xffffffff);
	v = 0x1234;
	pci_config_io(&f->bus, 3, (uint8_t *)&v, 3, true);
	v = 0;
	pci_config_io(&f->bus, 4, (uint8_t *)&v, 3, false);
	assert_int_equal(v, 0xffffff);
	/* The address register was not disturbed. */
	assert_int_equal(cfg_read(&f->bus, DEV, 0, 4), 0x813910ec);
}

static void test_read_only_header(void **state)
{
	struct fixture *f = *state;

	cfg_write(&f->bus, DEV, 0x00, 4, 0xdeadbeef);
	cfg_write(&f->bus, DEV, 0x08, 4, 0xffffffff);
	cfg_write(&f->bus, DEV, 0x06, 2, 0xffff);
	cfg_write(&f->bus, DEV, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x00, 4), 0x813910ec);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x08, 4), 0x02000020);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x06, 2), 0);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x30, 4), 0); /* no expansion ROM */
	cfg_write(&f->bus, DEV, 0x04, 2, 0xffff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x04, 2), 0x7);
	/* Unused BARs stay zero. */
	cfg_write(&f->bus, DEV, 0x18, 4, 0xffffffff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x18, 4), 0);
}

static void test_bar_sizing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(&f->bus, DEV, 0x10, 4), 0x1); /* I/O */
	assert_int_equal(cfg_read(&f->bus, DEV, 0x14, 4), 0x8); /* memory, prefetchable */
	cfg_write(&f->bus, DEV, 0x10, 4, 0xffffffff);
	cfg_write(&f->bus, DEV, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x10, 4), 0xffffffe1);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x14, 4), 0xfffff008);
	/* Sizing with decoding on must not map the all-ones pattern. */
	cfg_write(&f->bus, DEV, 0x04, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(f->host.nr, 0);
	/* Unaligned addresses lose their low bits. */
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc01f);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x10, 4), 0xc001);
	cfg_write(&f->bus, DEV, 0x14, 4, 0xfebf1fff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x14, 4), 0xfebf1008);
	assert_int_equal(f->host.nr, 2);
	assert_int_equal(f->host.calls[0].kind, 'm');
	assert_int_equal(f->host.calls[0].base, 0xc000);
	assert_int_equal(f->host.calls[1].base, 0xfebf1000);
}

static void test_bar_decode_and_move(void **state)
{
	struct fixture *f = *state;
	struct fake_host *h = &f->host;

	cfg_write(&f->bus, DEV, 0x10, 4, 0xc000);
	cfg_write(&f->bus, DEV, 0x14, 4, 0xfebf0000);
	assert_int_equal(h->nr, 0); /* decoding off */
	cfg_write(&f->bus, DEV, 0x04, 1, PCI_COMMAND_IO);
	assert_int_equal(h->nr, 1);
	assert_true(h->calls[0].kind == 'm' && h->calls[0].bar == 0 && h->calls[0].base == 0xc000);
	cfg_write(&f->bus, DEV, 0x04, 1, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(h->nr, 2);
	assert_true(h->calls[1].kind == 'm' && h->calls[1].bar == 1 &&
		    h->calls[1].base == 0xfebf0000);
	/* Moving a decoded BAR: old place first, then the new one. */
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc100);
	assert_int_equal(h->nr, 4);
	assert_true(h->calls[2].kind == 'u' && h->calls[2].base == 0xc000);
	assert_true(h->calls[3].kind == 'm' && h->calls[3].base == 0xc100);
	/* Rewriting the same value is not a move. */
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc100);
	assert_int_equal(h->nr, 4);
	/* A byte write moving the BAR piecewise moves it once per step. */
	cfg_write(&f->bus, DEV, 0x11, 1, 0xd0);
	assert_int_equal(h->nr, 6);
	assert_true(h->calls[5].kind == 'm' && h->calls[5].base == 0xd000);
	/* Disabling memory decoding unmaps only the memory BAR. */
	cfg_write(&f->bus, DEV, 0x04, 2, PCI_COMMAND_IO);
	assert_int_equal(h->nr, 7);
	assert_true(h->calls[6].kind == 'u' && h->calls[6].bar == 1);
	/* BAR at 0 is no place. */
	cfg_write(&f->bus, DEV, 0x10, 4, 0);
	assert_int_equal(h->nr, 8);
	assert_true(h->calls[7].kind == 'u' && h->calls[7].bar == 0);
	cfg_write(&f->bus, DEV, 0x04, 2, 0);
	assert_int_equal(h->nr, 8);
	assert_int_equal(h->nr_maps, 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	cfg_write(&f->bus, DEV, 0x10, 4, 0xc000);
	cfg_write(&f->bus, DEV, 0x14, 4, 0xfebf0000);
	cfg_write(&f->bus, DEV, 0x3c, 1, 11);
	cfg_write(&f->bus, DEV, 0x04, 2, 0x7);
	assert_int_equal(f->host.nr_maps, 2);
	pci_bus_reset(&f->bus);
	assert_int_equal(f->host.nr_maps, 0);
	assert_false(f->dev.bars[0].mapped || f->dev.bars[1].mapped);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x04, 2), 0);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x10, 4), 0x1);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x14, 4), 0x8);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x3c, 2), 0x0100);
	/* The firmware programs it again from scratch. */
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc000);
	cfg_write(&f->bus, DEV, 0x04, 2, 0x1);
	assert_int_equal(f->host.nr_maps, 1);
	assert_int_equal(f->dev.bars[0].mapped_base, 0xc000);
}

static void test_io_bar_beyond_port_space(void **state)
{
	struct fixture *f = *state;

	cfg_write(&f->bus, DEV, 0x10, 4, 0x10000);
	cfg_write(&f->bus, DEV, 0x04, 2, PCI_COMMAND_IO);
	cfg_write(&f->bus, DEV, 0x10, 4, 0xffe0);
	assert_int_equal(f->host.nr, 1);
	assert_int_equal(f->host.calls[0].base, 0xffe0);
}

static void test_overlap_refused(void **state)
{
	struct fixture *f = *state;
	struct pci_function *other = &f->more[0];

	pci_function_init(other, "other", 0x8086, 0x100e, 0x020000, 0, 1);
	other->bars[0] = (struct pci_bar){.type = PCI_BAR_IO, .size = 64, .handler = dummy_io};
	assert_int_equal(pci_bus_add(&f->bus, other, 4, 0), 0);
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc000);
	cfg_write(&f->bus, DEV, 0x04, 2, PCI_COMMAND_IO);
	assert_int_equal(f->host.nr_maps, 1);
	/* The second device's BAR lands on the first: refused, left dark, the first kept. */
	cfg_write(&f->bus, 0x20, 0x10, 4, 0xc000);
	cfg_write(&f->bus, 0x20, 0x04, 2, PCI_COMMAND_IO);
	assert_int_equal(f->host.nr_maps, 1);
	assert_false(other->bars[0].mapped);
	assert_true(f->dev.bars[0].mapped);
	assert_int_equal(cfg_read(&f->bus, 0x20, 0x10, 4), 0xc001);
	/* Moving it somewhere free maps it. */
	cfg_write(&f->bus, 0x20, 0x10, 4, 0xc040);
	assert_int_equal(f->host.nr_maps, 2);
	assert_true(other->bars[0].mapped);
	assert_int_equal(other->bars[0].mapped_base, 0xc040);
}

static void test_multifunction_and_add(void **state)
{
	struct fixture *f = *state;
	struct pci_function *fn1 = &f->more[0], *dup = &f->more[1], *bad = &f->more[2];

	assert_int_equal(cfg_read(&f->bus, DEV, 0x0e, 1), 0);
	pci_function_init(fn1, "fn1", 0x8086, 0x7010, 0x010180, 0, 0);
	assert_int_equal(pci_bus_add(&f->bus, fn1, 3, 1), 0);
	assert_int_equal(cfg_read(&f->bus, DEV, 0x0e, 1), PCI_HEADER_TYPE_MULTI_FUNCTION);
	assert_int_equal(cfg_read(&f->bus, DEV + 1, 0, 4), 0x70108086);
	pci_function_init(dup, "dup", 0x8086, 0x7010, 0x010180, 0, 0);
	assert_int_equal(pci_bus_add(&f->bus, dup, 3, 1), -EBUSY);
	assert_int_equal(pci_bus_add(&f->bus, dup, 32, 0), -EINVAL);
	assert_int_equal(pci_bus_add(&f->bus, dup, 0, 8), -EINVAL);
	assert_int_equal(pci_bus_add(&f->bus, fn1, 5, 0), -EINVAL); /* already on a bus */
	pci_function_init(bad, "bad", 0x8086, 0x7010, 0x010180, 0, 0);
	bad->bars[2] = (struct pci_bar){.type = PCI_BAR_MEM32, .size = 3000, .handler = dummy_io};
	assert_int_equal(pci_bus_add(&f->bus, bad, 6, 0), -EINVAL);
	bad->bars[2] = (struct pci_bar){.type = PCI_BAR_IO, .size = 2, .handler = dummy_io};
	assert_int_equal(pci_bus_add(&f->bus, bad, 6, 0), -EINVAL);
	/* A model cannot give itself an expansion ROM. */
	pci_config_set32(dup, 0x30, 0xfffe0001);
	memset(&dup->wmask[0x30], 0xff, 4);
	assert_int_equal(pci_bus_add(&f->bus, dup, 7, 0), 0);
	assert_int_equal(cfg_read(&f->bus, 0x38, 0x30, 4), 0);
	cfg_write(&f->bus, 0x38, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_read(&f->bus, 0x38, 0x30, 4), 0);
}

static void test_intx(void **state)
{
	struct fixture *f = *state;
	struct pci_function *nopin = &f->more[0];

	pci_set_irq(&f->dev, true);
	pci_set_irq(&f->dev, true); /* no change, no call */
	pci_set_irq(&f->dev, false);
	assert_int_equal(f->host.nr, 2);
	assert_true(f->host.calls[0].kind == 'i' && f->host.calls[0].bar == DEV &&
		    f->host.calls[0].base == 1 && f->host.calls[0].level);
	assert_false(f->host.calls[1].level);
	/* No pin, or not on a bus: nothing. */
	pci_function_init(nopin, "nopin", 0x8086, 0x1237, 0x060000, 2, 0);
	pci_set_irq(nopin, true);
	assert_int_equal(pci_bus_add(&f->bus, nopin, 0, 0), 0);
	pci_set_irq(nopin, true);
	assert_int_equal(f->host.nr, 2);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	struct fake_host *h = &f->host;
	struct pci_function *other = &f->more[0];

	pci_function_init(other, "other", 0x8086, 0x7000, 0x060100, 0, 1);
	assert_int_equal(pci_bus_add(&f->bus, other, 1, 0), 0);
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc000);
	cfg_write(&f->bus, DEV, 0x14, 4, 0xfebf0000);
	cfg_write(&f->bus, DEV, 0x04, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	pci_set_irq(&f->dev, true);
	pci_set_irq(other, true);
	assert_int_equal(h->nr, 4);
	assert_int_equal(h->nr_maps, 2);

	pci_bus_remove(&f->bus, &f->dev);
	/* Both BARs unmapped where they were, then the line lowered. */
	assert_int_equal(h->nr, 7);
	assert_int_equal(h->nr_maps, 0);
	assert_true(h->calls[4].kind == 'u' && h->calls[4].bar == 0 && h->calls[4].base == 0xc000);
	assert_true(h->calls[5].kind == 'u' && h->calls[5].bar == 1 &&
		    h->calls[5].base == 0xfebf0000);
	assert_true(h->calls[6].kind == 'i' && h->calls[6].bar == DEV && !h->calls[6].level);
	assert_null(f->dev.bus);
	/* Absent: all ones, writes go nowhere, its interrupt no longer reaches the host. */
	assert_int_equal(cfg_read(&f->bus, DEV, 0, 2), 0xffff);
	assert_int_equal(cfg_read(&f->bus, DEV, 0, 4), 0xffffffff);
	cfg_write(&f->bus, DEV, 0x04, 2, 0);
	cfg_write(&f->bus, DEV, 0x10, 4, 0xc100);
	assert_int_equal(pci_config_get32(&f->dev, 0x10), 0xc001);
	pci_set_irq(&f->dev, false);
	pci_set_irq(&f->dev, true);
	assert_int_equal(h->nr, 7);

	/* Twice, or a function that was never added: nothing. */
	pci_bus_remove(&f->bus, &f->dev);
	pci_bus_remove(&f->bus, &f->more[1]);
	pci_bus_remove(&f->bus, NULL);
	assert_int_equal(h->nr, 7);

	/* The other function is untouched. */
	assert_int_equal(cfg_read(&f->bus, 0x08, 0, 4), 0x70008086);
	assert_true(other->intx_level);
	pci_set_irq(other, false);
	assert_int_equal(h->nr, 8);
	assert_true(h->calls[7].bar == 0x08 && !h->calls[7].level);
	/* The slot can be filled again. */
	assert_int_equal(pci_bus_add(&f->bus, &f->more[2], 3, 0), 0);
}

struct hook {
	unsigned calls, off, len;
};

static void hook_write(struct pci_function *fn, unsigned off, unsigned len)
{
	struct hook *h = fn->opaque;

	h->calls++;
	h->off = off;
	h->len = len;
}

static void test_device_registers(void **state)
{
	struct fixture *f = *state;
	struct pci_function *fn = &f->more[0];
	struct hook h = {0};

	pci_function_init(fn, "dev2", 0x8086, 0x7000, 0x060100, 0, 0);
	fn->wmask[0x60] = 0x8f;
	fn->config_write = hook_write;
	fn->opaque = &h;
	assert_int_equal(pci_bus_add(&f->bus, fn, 1, 0), 0);
	cfg_write(&f->bus, 0x08, 0x60, 4, 0xffffffff);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.off, 0x60);
	assert_int_equal(h.len, 4);
	assert_int_equal(cfg_read(&f->bus, 0x08, 0x60, 4), 0x8f);
	cfg_write(&f->bus, 0x08, 0xff, 1, 0xff);
	assert_int_equal(h.calls, 2);
	assert_int_equal(cfg_read(&f->bus, 0x08, 0xfc, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity_and_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_address_register, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unaligned_and_cross_dword, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bar_decode_and_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_io_bar_beyond_port_space, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlap_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multifunction_and_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_registers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
