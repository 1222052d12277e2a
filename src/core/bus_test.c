/* SPDX-License-Identifier: MIT */
#include "core/bus.h"
#include "lib/test.h"

#include <errno.h>
#include <string.h>

struct probe {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	int calls;
};

static void probe_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void test_overlap_rejected(void **state)
{
	struct io_bus bus;
	struct probe p = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x100, 8, probe_io, &p, "a"), 0);
	assert_int_equal(io_bus_register(&bus, 0x104, 8, probe_io, &p, "b"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0xfc, 8, probe_io, &p, "c"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x0, 0x200, probe_io, &p, "d"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x108, 8, probe_io, &p, "e"), 0);
	assert_int_equal(io_bus_register(&bus, 0xf8, 8, probe_io, &p, "f"), 0);
	assert_int_equal(io_bus_register(&bus, 0x1000, 0, probe_io, &p, "g"), -EINVAL);
	assert_int_equal(io_bus_register(&bus, UINT64_MAX - 1, 4, probe_io, &p, "h"), -EINVAL);
	assert_int_equal(bus.nr, 3);
	io_bus_destroy(&bus);
}

static void test_dispatch_offsets(void **state)
{
	struct io_bus bus;
	struct probe a = {0}, b = {0};
	uint8_t data[4] = {1, 2, 3, 4};

	(void)state;
	io_bus_init(&bus, "t");
	/* Registered out of order: the table must still be sorted for lookups. */
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(
		    io_bus_register(&bus, 0x1000 + (39 - i) * 0x10, 0x10, probe_io, &b, "x"), 0);
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, probe_io, &a, "com1"), 0);
	assert_true(io_bus_access(&bus, 0x3fd, data, 1, false));
	assert_int_equal(a.offset, 5);
	assert_int_equal(data[0], 0x5a);
	assert_true(io_bus_access(&bus, 0x1234, data, 4, true));
	assert_int_equal(b.offset, 4);
	assert_true(b.is_write);
	io_bus_destroy(&bus);
}

static void test_unclaimed_and_straddling(void **state)
{
	struct io_bus bus;
	struct probe p = {0};
	uint8_t data[4] = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x70, 2, probe_io, &p, "rtc"), 0);
	assert_false(io_bus_access(&bus, 0x80, data, 1, false));
	assert_int_equal(data[0], 0xff);
	/* A 4-byte access at 0x71 runs past the device: it must not reach it. */
	assert_false(io_bus_access(&bus, 0x71, data, 4, false));
	assert_int_equal(p.calls, 0);
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	io_bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlap_rejected),
	    cmocka_unit_test(test_dispatch_offsets),
	    cmocka_unit_test(test_unclaimed_and_straddling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
