/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for PCI configuration cycles on the PC chipset: the bus
 * (pci.c) with the i440FX at 00:00.0, the PIIX3 at 01:00.0 (its 0xCF8-0xCFF
 * handler, so 0xCF9 resets are in play), a two-function device at 00:03
 * with I/O and memory BARs, and a device with one large memory BAR at
 * 00:05.  The input is a sequence of operations: a port access of any
 * offset and length in 0xCF8-0xCFF, a config cycle to a chosen devfn and
 * register, an INTx level change, the ELCR ports, a bus reset.
 *
 * The host checks what the bus asks of it, as a machine's would: no BAR
 * at 0 or at its sizing pattern, never mapped twice, unmapped where it was
 * mapped, no two mappings overlap (refused with -EBUSY); after every
 * operation a mapped BAR is one whose decoding is on and whose register
 * holds the mapped address; read-only identity registers never change; the
 * PIIX3 only drives routable ISA IRQs and only reports changes; and once
 * every INTx is lowered, no IRQ is left up.
 */
#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "lib/log.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MAPS 16

enum op {
	PORT_ACCESS,  /* offset 0-7, len 1-8, read or write, 4-byte value */
	CONFIG_CYCLE, /* devfn, register, len, read or write, value */
	SET_INTX,     /* function index, level */
	ELCR_ACCESS,  /* offset, len, read or write, value */
	BUS_RESET,    /* pci_bus_reset + device resets */
	NR_OPS,
};

struct mapping {
	struct pci_function *fn;
	unsigned bar;
	uint64_t base, size;
	bool io;
};

struct board {
	struct pci_bus bus;
	struct i440fx host;
	struct piix3 piix3;
	struct pci_function dev[3]; /* 00:03.0, 00:03.1, 00:05.0 */
	struct mapping maps[MAX_MAPS];
	unsigned nr_maps;
	bool irq[PIIX3_NR_IRQ];
};

static void dummy_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
	(void)is_write;
}

static bool overlap(const struct mapping *m, uint64_t base, uint64_t size, bool io)
{
	return m->io == io && base < m->base + m->size && m->base < base + size;
}

static int host_map(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct board *b = host;
	const struct pci_bar *pb;
	bool io;

	if (bar >= PCI_NR_BARS)
		abort();
	pb = &fn->bars[bar];
	io = pb->type == PCI_BAR_IO;
	if (pb->mapped || !base || (base & (pb->size - 1)) ||
	    base + pb->size > (io ? 0x10000u : 0x100000000u) ||
	    (uint32_t)(base | (pb->size - 1)) == 0xffffffffu) /* the sizing pattern */
		abort();
	for (unsigned i = 0; i < b->nr_maps; i++)
		if (overlap(&b->maps[i], base, pb->size, io))
			return -EBUSY;
	if (b->nr_maps == MAX_MAPS)
		abort();
	b->maps[b->nr_maps++] = (struct mapping){fn, bar, base, pb->size, io};
	return 0;
}

static void host_unmap(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct board *b = host;

	for (unsigned i = 0; i < b->nr_maps; i++) {
		if (b->maps[i].fn == fn && b->maps[i].bar == bar) {
			if (b->maps[i].base != base || !fn->bars[bar].mapped)
				abort();
			b->maps[i] = b->maps[--b->nr_maps];
			return;
		}
	}
	abort(); /* unmapping what was never mapped */
}

static void host_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	struct board *b = host;

	piix3_set_intx(&b->piix3, devfn, pin, level);
}

static const struct pci_host_ops host_ops = {host_map, host_unmap, host_intx};

static void isa_irq(void *opaque, unsigned irq, bool level)
{
	struct board *b = opaque;

	if (irq >= PIIX3_NR_IRQ || !(0xdef8u & (1u << irq)) || b->irq[irq] == level)
		abort();
	b->irq[irq] = level;
}

static void board_reset(void *opaque, bool hard)
{
	(void)opaque;
	(void)hard;
}

static const struct piix3_ops isa_ops = {isa_irq, board_reset};

static void add_devices(struct board *b)
{
	static const struct pci_bar bars[3][2] = {
	    {{.type = PCI_BAR_IO, .size = 32, .handler = dummy_io},
	     {.type = PCI_BAR_MEM32, .size = 4096, .prefetchable = true, .handler = dummy_io}},
	    {{.type = PCI_BAR_IO, .size = 16, .handler = dummy_io}},
	    {{.type = PCI_BAR_MEM32, .size = 0x1000000, .handler = dummy_io}},
	};
	static const uint8_t where[3][2] = {{3, 0}, {3, 1}, {5, 0}};

	for (unsigned i = 0; i < 3; i++) {
		pci_function_init(&b->dev[i], "dev", 0x1234, (uint16_t)(0x1110 + i), 0x020000, 1,
				  (uint8_t)(1 + i));
		memcpy(b->dev[i].bars, bars[i], sizeof(bars[i]));
		if (pci_bus_add(&b->bus, &b->dev[i], where[i][0], where[i][1]))
			abort();
	}
}

static struct board *board_new(void)
{
	struct board *b = calloc(1, sizeof(*b));

	if (!b || pci_bus_init(&b->bus, &host_ops, b) || piix3_init(&b->piix3, &isa_ops, b))
		abort();
	i440fx_init(&b->host);
	if (pci_bus_add(&b->bus, &b->host.fn, 0, 0) || pci_bus_add(&b->bus, &b->piix3.fn, 1, 0))
		abort();
	add_devices(b);
	return b;
}

static void check_function(const struct pci_function *fn, uint16_t device)
{
	uint16_t cmd = pci_config_get16(fn, PCI_COMMAND);

	if (pci_config_get16(fn, PCI_DEVICE_ID) != device || fn->config[0x30] != 0)
		abort();
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		const struct pci_bar *bar = &fn->bars[i];
		uint32_t reg = pci_config_get32(fn, PCI_BASE_ADDRESS_0 + 4 * i);
		bool io = bar->type == PCI_BAR_IO;

		if (!bar->mapped)
			continue;
		if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) ||
		    (reg & (io ? ~3u : ~15u)) != bar->mapped_base)
			abort();
	}
}

/* The host's mappings and the bus's idea of them agree, one for one. */
static void check_maps(const struct board *b)
{
	unsigned mapped = 0;

	for (unsigned i = 0; i < b->nr_maps; i++) {
		const struct pci_bar *bar = &b->maps[i].fn->bars[b->maps[i].bar];

		if (!bar->mapped || bar->mapped_base != b->maps[i].base)
			abort();
	}
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < PCI_NR_BARS; j++)
			mapped += b->dev[i].bars[j].mapped;
	if (mapped != b->nr_maps)
		abort();
}

static void check(const struct board *b)
{
	check_maps(b);
	check_function(&b->host.fn, 0x1237);
	check_function(&b->piix3.fn, 0x7000);
	for (unsigned i = 0; i < 3; i++)
		check_function(&b->dev[i], (uint16_t)(0x1110 + i));
	if (pci_config_get16(&b->host.fn, PCI_SUBSYSTEM_VENDOR_ID) != 0x1af4)
		abort();
}

/* Reads may only return what the handler put there: the buffer is poisoned first. */
static void port_access(struct board *b, const uint8_t *p)
{
	uint8_t buf[8];
	unsigned offset = p[0] & 7, len = 1 + ((p[0] >> 3) & 7);
	bool is_write = p[0] & 0x80;

	memcpy(buf, p + 1, 4);
	memcpy(buf + 4, p + 1, 4);
	if (offset + len > 8)
		len = 8 - offset; /* the I/O bus never passes an access past its range */
	piix3_cf8_io(&b->piix3, offset, buf, len, is_write);
}

static void config_cycle(struct board *b, const uint8_t *p)
{
	static const unsigned lens[4] = {1, 2, 4, 4};
	uint32_t addr = 0x80000000u | (uint32_t)p[0] << 8 | (p[1] & 0xfc), v;
	unsigned len = lens[p[2] & 3], byte = p[1] & 3;
	bool is_write = p[2] & 0x80;

	if (byte + len > 4)
		byte = 4 - len;
	memcpy(&v, p + 3, 4);
	piix3_cf8_io(&b->piix3, 0, (uint8_t *)&addr, 4, true);
	piix3_cf8_io(&b->piix3, 4 + byte, (uint8_t *)&v, len, is_write);
	if (!is_write && !b->bus.fns[p[0]] && memcmp(&v, "\xff\xff\xff\xff", len))
		abort(); /* an absent function reads all ones */
}

static void elcr_access(struct board *b, const uint8_t *p)
{
	uint8_t buf[4];

	memcpy(buf, p + 1, 4);
	piix3_elcr_io(&b->piix3, p[0] & 3, buf, 1 + ((p[0] >> 2) & 3), p[0] & 0x80);
}

static void lower_all(struct board *b)
{
	for (unsigned i = 0; i < 3; i++)
		pci_set_irq(&b->dev[i], false);
	for (unsigned irq = 0; irq < PIIX3_NR_IRQ; irq++)
		if (b->irq[irq])
			abort(); /* an IRQ left up with no line asserted */
}

static void run(struct board *b, const uint8_t *data, size_t size)
{
	while (size >= 8) {
		switch (data[0] % NR_OPS) {
		case PORT_ACCESS:
			port_access(b, data + 1);
			break;
		case CONFIG_CYCLE:
			config_cycle(b, data + 1);
			break;
		case SET_INTX:
			pci_set_irq(&b->dev[data[1] % 3], data[2] & 1);
			break;
		case ELCR_ACCESS:
			elcr_access(b, data + 1);
			break;
		case BUS_RESET:
			pci_bus_reset(&b->bus);
			i440fx_reset(&b->host);
			piix3_reset(&b->piix3);
			break;
		}
		check(b);
		data += 8;
		size -= 8;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct board *b;

	log_set_level(LOG_ERROR);
	b = board_new();
	run(b, data, size);
	lower_all(b);
	pci_bus_destroy(&b->bus);
	if (b->nr_maps)
		abort(); /* destroy left a BAR mapped */
	piix3_destroy(&b->piix3);
	free(b);
	return 0;
}
