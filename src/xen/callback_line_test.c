/* SPDX-License-Identifier: MIT */
#include "xen/callback_line.h"
#include "lib/test.h"

#include <errno.h>
#include <xen/hvm/params.h>

/* A machine with GSIs 1-23 and one slot's lines, recording what is driven. */
struct lines {
	bool gsi[24];
	bool intx[32][5];
	unsigned changes;
};

static bool has_gsi(void *opaque, unsigned gsi)
{
	(void)opaque;
	return gsi >= 1 && gsi < 24;
}

static void set_gsi(void *opaque, unsigned gsi, bool level)
{
	struct lines *l = opaque;

	assert_true(has_gsi(opaque, gsi));
	l->changes += l->gsi[gsi] != level;
	l->gsi[gsi] = level;
}

static void set_intx(void *opaque, uint8_t devfn, unsigned pin, bool level)
{
	struct lines *l = opaque;

	assert_in_range(pin, 1, 4);
	l->changes += l->intx[devfn >> 3][pin] != level;
	l->intx[devfn >> 3][pin] = level;
}

static const struct xen_callback_line_ops ops = {
    .gsi_exists = has_gsi, .set_gsi = set_gsi, .set_pci_intx = set_intx};

/* A line on the machine m, nothing chosen or driven yet. */
static void open_line(struct xen_callback_line *l, struct lines *m)
{
	*m = (struct lines){0};
	xen_callback_line_init(l);
	xen_callback_line_set_ops(l, &ops, m);
}

#define VIA_GSI(g) ((uint64_t)HVM_PARAM_CALLBACK_TYPE_GSI << 56 | (g))
#define VIA_INTX(dev, intx)                                                                        \
	((uint64_t)HVM_PARAM_CALLBACK_TYPE_PCI_INTX << 56 | (dev) << 11 | (intx))
#define VIA_VECTOR(v) ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56 | (v))

/* A GSI follows upcall_pending: high while set, low once cleared. */
static void test_gsi_follows_pending(void **state)
{
	struct xen_callback_line l;
	struct lines m;

	(void)state;
	open_line(&l, &m);
	assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(11)), 0);
	assert_true(xen_callback_line_chosen(&l));
	assert_true(xen_callback_line_sync(&l, true));
	assert_true(m.gsi[11]);
	assert_true(xen_callback_line_sync(&l, true)); /* already high: not driven again */
	assert_int_equal(m.changes, 1);
	assert_false(xen_callback_line_sync(&l, false));
	assert_false(m.gsi[11]);
	xen_callback_line_destroy(&l);
}

/* Xen's device and pin fields; a PCI INTx line on another bus or segment is none. */
static void test_pci_intx(void **state)
{
	struct xen_callback_line l;
	struct lines m;

	(void)state;
	open_line(&l, &m);
	assert_int_equal(xen_callback_line_choose(&l, VIA_INTX(3, 0)), 0);
	xen_callback_line_sync(&l, true);
	assert_true(m.intx[3][1]);
	/* Choosing anew lowers the old line first. */
	assert_int_equal(xen_callback_line_choose(&l, VIA_INTX(5, 2)), 0);
	assert_false(m.intx[3][1]);
	xen_callback_line_sync(&l, true);
	assert_true(m.intx[5][3]);
	assert_int_equal(xen_callback_line_choose(&l, VIA_INTX(3, 0) | 1ULL << 16), 0);
	assert_false(m.intx[5][3]);
	assert_false(xen_callback_line_chosen(&l));
	assert_false(xen_callback_line_sync(&l, true));
	xen_callback_line_destroy(&l);
}

/* As Xen: GSI 0 and GSIs the machine lacks leave no callback, and the answer is 0. */
static void test_missing_gsi_is_no_callback(void **state)
{
	struct xen_callback_line l;
	struct lines m;

	(void)state;
	open_line(&l, &m);
	/* 0x100: its low byte, all Xen reads, is GSI 0. */
	assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(0x100)), 0);
	assert_false(xen_callback_line_sync(&l, true));
	for (uint64_t gsi = 24; gsi < 256; gsi += 23) {
		assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(gsi)), 0);
		assert_false(xen_callback_line_sync(&l, true));
	}
	/* Xen reads the low byte: 0x10b is GSI 11. */
	assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(0x10b)), 0);
	assert_true(xen_callback_line_sync(&l, true));
	assert_true(m.gsi[11]);
	/* A vector, or an unknown type, turns the line off and lowers it. */
	assert_int_equal(xen_callback_line_choose(&l, VIA_VECTOR(0xf3)), 0);
	assert_false(m.gsi[11]);
	assert_false(xen_callback_line_chosen(&l));
	assert_int_equal(xen_callback_line_choose(&l, 7ULL << 56 | 5), 0);
	assert_false(xen_callback_line_sync(&l, true));
	assert_int_equal(m.changes, 2);
	xen_callback_line_destroy(&l);
}

/* No lines (PVH): Linux's GSI 1 marker is taken, any other line refused. */
static void test_no_lines(void **state)
{
	struct xen_callback_line l;

	(void)state;
	xen_callback_line_init(&l);
	assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(1)), 0);
	assert_int_equal(xen_callback_line_choose(&l, VIA_GSI(5)), -ENOSYS);
	assert_int_equal(xen_callback_line_choose(&l, VIA_INTX(3, 0)), -ENOSYS);
	assert_false(xen_callback_line_chosen(&l));
	assert_false(xen_callback_line_sync(&l, true));
	xen_callback_line_destroy(&l);
}

/* The machine going away (ops cleared) while the line is high: nothing is driven after. */
static void test_ops_cleared_while_high(void **state)
{
	struct xen_callback_line l;
	struct lines m;

	(void)state;
	open_line(&l, &m);
	xen_callback_line_choose(&l, VIA_GSI(10));
	xen_callback_line_sync(&l, true);
	xen_callback_line_set_ops(&l, NULL, NULL);
	assert_false(xen_callback_line_sync(&l, false));
	assert_false(xen_callback_line_sync(&l, true));
	assert_int_equal(m.changes, 1);
	xen_callback_line_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gsi_follows_pending),	       cmocka_unit_test(test_pci_intx),
	    cmocka_unit_test(test_missing_gsi_is_no_callback), cmocka_unit_test(test_no_lines),
	    cmocka_unit_test(test_ops_cleared_while_high),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
