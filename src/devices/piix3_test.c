/* SPDX-License-Identifier: MIT */
#include "devices/piix3.h"
#include "lib/test.h"

#include <string.h>

#define MAX_EVENTS 32

struct board {
	struct {
		unsigned irq;
		bool level;
	} events[MAX_EVENTS];
	unsigned nr;
	bool level[PIIX3_NR_IRQ];
	unsigned resets;
	bool hard;
};

static void set_irq(void *opaque, unsigned irq, bool level)
{
	struct board *b = opaque;

	assert_true(irq < PIIX3_NR_IRQ);
	assert_true(b->level[irq] != level); /* only changes are reported */
	assert_true(b->nr < MAX_EVENTS);
	b->events[b->nr].irq = irq;
	b->events[b->nr].level = level;
	b->nr++;
	b->level[irq] = level;
}

static void reset(void *opaque, bool hard)
{
	struct board *b = opaque;

	b->resets++;
	b->hard = hard;
}

static const struct piix3_ops piix3_ops = {set_irq, reset};

static int no_map(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	(void)host;
	(void)fn;
	(void)bar;
	(void)base;
	return -1;
}

static void no_unmap(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	(void)host;
	(void)fn;
	(void)bar;
	(void)base;
}

/* The machine's set_intx: straight to the PIIX3, as the board wires it. */
static void board_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	piix3_set_intx(host, devfn, pin, level);
}

static const struct pci_host_ops host_ops = {no_map, no_unmap, board_intx};

struct fixture {
	struct board board;
	struct piix3 piix3;
	struct pci_bus bus;
	struct pci_function nic; /* 00:03.0, INTA */
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	assert_int_equal(piix3_init(&f->piix3, &piix3_ops, &f->board), 0);
	assert_int_equal(pci_bus_init(&f->bus, &host_ops, &f->piix3), 0);
	assert_int_equal(pci_bus_add(&f->bus, &f->piix3.fn, 1, 0), 0);
	pci_function_init(&f->nic, "nic", 0x10ec, 0x8139, 0x020000, 0x20, 1);
	assert_int_equal(pci_bus_add(&f->bus, &f->nic, 3, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_bus_destroy(&f->bus);
	piix3_destroy(&f->piix3);
	test_free(f);
	return 0;
}

#define PIIX3_DEVFN 0x08

/* Config cycles through the PIIX3's 0xCF8-0xCFF handler, as the board registers it. */
static uint32_t rd(struct fixture *f, unsigned devfn, unsigned reg, unsigned len)
{
	uint32_t a = 0x80000000u | devfn << 8 | (reg & 0xfc), v = 0;

	piix3_cf8_io(&f->piix3, 0, (uint8_t *)&a, 4, true);
	piix3_cf8_io(&f->piix3, 4 + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

static void wr(struct fixture *f, unsigned reg, unsigned len, uint32_t v)
{
	uint32_t a = 0x80000000u | PIIX3_DEVFN << 8 | (reg & 0xfc);

	piix3_cf8_io(&f->piix3, 0, (uint8_t *)&a, 4, true);
	piix3_cf8_io(&f->piix3, 4 + (reg & 3), (uint8_t *)&v, len, true);
}

static void test_identity(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, PIIX3_DEVFN, 0, 4), 0x70008086);
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x0a, 2), 0x0601);
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x60, 4), 0x80808080);
	assert_int_equal(rd(f, 0x18, 0, 4), 0x813910ec);
}

/* SeaBIOS's pci_irqs {10, 10, 11, 11} and QEMU's _PRT: slot 1 INTA is PIRQA, +1 per slot. */
static void test_routing_math(void **state)
{
	static const struct {
		uint8_t devfn;
		unsigned pin;
		int pirq;
	} cases[] = {
	    {0x08, 1, 0},  {0x08, 4, 3},  {0x0a, 2, 1}, /* slot 1, any function */
	    {0x00, 1, 3},  {0x00, 2, 0},  {0x10, 1, 1},
	    {0x18, 1, 2},  {0x18, 2, 3},  {0x18, 3, 0},
	    {0x20, 1, 3},  {0x28, 1, 0},  {0xf8, 1, 2},
	    {0xff, 4, 1}, /* slot 31 */
	    {0x18, 0, -1}, {0x18, 5, -1}, {0x18, 0xffffffffu, -1},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(piix3_pirq_of(cases[i].devfn, cases[i].pin), cases[i].pirq);
}

static void test_pirq_bad_values(void **state)
{
	struct fixture *f = *state;
	static const uint8_t reserved[] = {0, 1, 2, 8, 13};

	for (unsigned i = 0; i < sizeof(reserved); i++) {
		wr(f, 0x60, 1, reserved[i]);
		assert_int_equal(piix3_pirq_irq(&f->piix3, 0), -1);
	}
	wr(f, 0x60, 1, 0xff); /* disabled, bits 4-6 read 0 */
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x60, 1), 0x8f);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 0), -1);
	wr(f, 0x60, 1, 0x7b); /* bits 4-6 dropped: IRQ 11 */
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x60, 1), 0x0b);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 0), 11);
	wr(f, 0x60, 4, 0x0f0e0c05);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 0), 5);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 1), 12);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 2), 14);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 3), 15);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 4), -1);
	assert_int_equal(piix3_pirq_irq(&f->piix3, 0xffffffffu), -1);
	/* Words across 0x63/0x64 change only what is writable. */
	wr(f, 0x63, 1, 0x8a);
	wr(f, 0x62, 2, 0xffff);
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x64, 1), 0);
	assert_int_equal(f->board.nr, 0); /* nothing asserted: no IRQ moved */
}

static void test_intx_levels_and_reroute(void **state)
{
	struct fixture *f = *state;
	struct board *b = &f->board;

	/* Unrouted: the level is remembered, no IRQ goes up. */
	pci_set_irq(&f->nic, true);
	assert_int_equal(b->nr, 0);
	/* SeaBIOS's routing: the asserted line appears on IRQ 11 (slot 3 INTA = PIRQC). */
	wr(f, 0x60, 4, 0x0b0b0a0a);
	assert_int_equal(b->nr, 1);
	assert_true(b->level[11]);
	/* The guest moves PIRQC while it is up: 11 goes down, then 5 up. */
	wr(f, 0x62, 1, 0x05);
	assert_int_equal(b->nr, 3);
	assert_true(b->events[1].irq == 11 && !b->events[1].level);
	assert_true(b->events[2].irq == 5 && b->events[2].level);
	/* A reserved IRQ is as good as disabled. */
	wr(f, 0x62, 1, 0x02);
	assert_false(b->level[5]);
	assert_int_equal(b->nr, 4);
	wr(f, 0x62, 1, 0x0b);
	pci_set_irq(&f->nic, false);
	assert_false(b->level[11]);
	assert_int_equal(b->nr, 6);
}

static void test_shared_irq(void **state)
{
	struct fixture *f = *state;
	struct board *b = &f->board;

	wr(f, 0x60, 4, 0x0b0b0a0a);
	piix3_set_intx(&f->piix3, 0x18, 1, true); /* PIRQC -> 11 */
	piix3_set_intx(&f->piix3, 0x20, 4, true); /* slot 4 INTD: PIRQC too */
	piix3_set_intx(&f->piix3, 0x20, 1, true); /* slot 4 INTA: PIRQD -> 11 */
	piix3_set_intx(&f->piix3, 0x20, 1, true); /* repeated: no change */
	assert_int_equal(b->nr, 1);
	piix3_set_intx(&f->piix3, 0x18, 1, false);
	piix3_set_intx(&f->piix3, 0x20, 4, false);
	assert_true(b->level[11]); /* PIRQD still holds it */
	piix3_set_intx(&f->piix3, 0x20, 1, false);
	piix3_set_intx(&f->piix3, 0x20, 1, false);
	assert_false(b->level[11]);
	assert_int_equal(b->nr, 2);
	/* A repeated level is no new edge: one lowering is enough. */
	piix3_set_intx(&f->piix3, 0x28, 1, true); /* slot 5 INTA: PIRQA -> 10 */
	piix3_set_intx(&f->piix3, 0x28, 1, true);
	piix3_set_intx(&f->piix3, 0x28, 1, false);
	assert_false(b->level[10]);
	assert_int_equal(b->nr, 4);
	/* Bad pins change nothing. */
	piix3_set_intx(&f->piix3, 0x18, 0, true);
	piix3_set_intx(&f->piix3, 0x18, 9, true);
	assert_int_equal(b->nr, 4);
	/* Reset drops what was driven. */
	piix3_set_intx(&f->piix3, 0x10, 1, true); /* PIRQB -> 10 */
	assert_true(b->level[10]);
	pci_bus_reset(&f->bus);
	piix3_reset(&f->piix3);
	assert_false(b->level[10]);
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x04, 2), 0x7);
	assert_int_equal(rd(f, PIIX3_DEVFN, 0x60, 4), 0x80808080);
}

static uint8_t elcr_rd(struct fixture *f, unsigned off)
{
	uint8_t v = 0;

	piix3_elcr_io(&f->piix3, off, &v, 1, false);
	return v;
}

static void test_elcr(void **state)
{
	struct fixture *f = *state;
	uint8_t v = 0xff;
	uint16_t w = 0xffff;

	assert_int_equal(elcr_rd(f, 0), 0);
	assert_int_equal(elcr_rd(f, 1), 0);
	/* IRQ 0, 1, 2, 8 and 13 are always edge. */
	piix3_elcr_io(&f->piix3, 0, &v, 1, true);
	piix3_elcr_io(&f->piix3, 1, &v, 1, true);
	assert_int_equal(elcr_rd(f, 0), 0xf8);
	assert_int_equal(elcr_rd(f, 1), 0xde);
	/* SeaBIOS: IRQ 10 and 11 level. */
	v = 0;
	piix3_elcr_io(&f->piix3, 0, &v, 1, true);
	v = 0x0c;
	piix3_elcr_io(&f->piix3, 1, &v, 1, true);
	assert_int_equal(elcr_rd(f, 0), 0);
	assert_int_equal(elcr_rd(f, 1), 0x0c);
	/* A word or an offset past the two ports does nothing. */
	piix3_elcr_io(&f->piix3, 0, (uint8_t *)&w, 2, true);
	piix3_elcr_io(&f->piix3, 2, &v, 1, true);
	w = 0;
	piix3_elcr_io(&f->piix3, 0, (uint8_t *)&w, 2, false);
	assert_int_equal(w, 0xffff);
	assert_int_equal(elcr_rd(f, 1), 0x0c);
	piix3_reset(&f->piix3);
	assert_int_equal(elcr_rd(f, 1), 0);
}

static void test_cf9_reset(void **state)
{
	struct fixture *f = *state;
	uint8_t v = 0x02;
	uint32_t a = 0x80000800, r = 0;

	piix3_cf8_io(&f->piix3, 1, &v, 1, true); /* select hard reset, no reset yet */
	assert_int_equal(f->board.resets, 0);
	v = 0;
	piix3_cf8_io(&f->piix3, 1, &v, 1, false);
	assert_int_equal(v, 0x02);
	v = 0x06; /* Linux's reboot=pci: hard reset */
	piix3_cf8_io(&f->piix3, 1, &v, 1, true);
	assert_int_equal(f->board.resets, 1);
	assert_true(f->board.hard);
	piix3_cf8_io(&f->piix3, 1, &v, 1, false);
	assert_int_equal(v, 0x02); /* the reset bit is not kept */
	v = 0x04;
	piix3_cf8_io(&f->piix3, 1, &v, 1, true);
	assert_int_equal(f->board.resets, 2);
	assert_false(f->board.hard);
	/* A dword at 0xCF8 is the PCI address register, not a reset. */
	a = 0x80000406;
	piix3_cf8_io(&f->piix3, 0, (uint8_t *)&a, 4, true);
	piix3_cf8_io(&f->piix3, 0, (uint8_t *)&r, 4, false);
	assert_int_equal(r, 0x80000404);
	/* Nor is a word at 0xCF9 or a byte at 0xCFA. */
	uint16_t w = 0x0606;
	piix3_cf8_io(&f->piix3, 1, (uint8_t *)&w, 2, true);
	v = 0x06;
	piix3_cf8_io(&f->piix3, 2, &v, 1, true);
	assert_int_equal(f->board.resets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test(test_routing_math),
	    cmocka_unit_test_setup_teardown(test_pirq_bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_intx_levels_and_reroute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_irq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_elcr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cf9_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
