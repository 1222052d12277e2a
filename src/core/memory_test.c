/* SPDX-License-Identifier: MIT */
#include "core/memory.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>

static void test_layout_small(void **state)
{
	struct guest_memory m;

	(void)state;
	guest_memory_layout(&m, 256 * MIB);
	assert_int_equal(m.nr_regions, 1);
	assert_int_equal(guest_low_ram_end(&m), 256 * MIB);
}

static void test_layout_above_4g(void **state)
{
	struct guest_memory m;

	(void)state;
	guest_memory_layout(&m, 5 * GIB);
	assert_int_equal(m.nr_regions, 2);
	assert_int_equal(m.regions[0].size, MMIO_HOLE_START);
	assert_int_equal(m.regions[1].gpa, HIGH_RAM_START);
	assert_int_equal(m.regions[1].size, 5 * GIB - MMIO_HOLE_START);
}

static void test_bounds(void **state)
{
	struct guest_memory m;
	uint8_t b[16] = {0};

	(void)state;
	/* Mapped lazily: 4 GiB + 1 GiB of address space costs nothing until touched. */
	assert_int_equal(guest_memory_map(&m, 4 * GIB + GIB), 0);
	assert_non_null(gpa_to_hva(&m, 0, 16));
	assert_non_null(gpa_to_hva(&m, MMIO_HOLE_START - 16, 16));
	assert_null(gpa_to_hva(&m, MMIO_HOLE_START - 8, 16)); /* runs into the hole */
	assert_null(gpa_to_hva(&m, MMIO_HOLE_START, 1));
	assert_null(gpa_to_hva(&m, 0xFEE00000ULL, 4));
	assert_non_null(gpa_to_hva(&m, HIGH_RAM_START, 4096));
	assert_null(gpa_to_hva(&m, UINT64_MAX - 4, 16)); /* wraps */
	assert_null(gpa_to_hva(&m, 0, UINT64_MAX));
	assert_int_equal(guest_write(&m, HIGH_RAM_START + 100, "hello", 5), 0);
	assert_int_equal(guest_read(&m, HIGH_RAM_START + 100, b, 5), 0);
	assert_memory_equal(b, "hello", 5);
	/* The last high byte is RAM, the next is not. */
	assert_int_equal(guest_write(&m, HIGH_RAM_START + m.regions[1].size - 1, "x", 1), 0);
	assert_int_equal(guest_write(&m, HIGH_RAM_START + m.regions[1].size - 1, "xy", 2), -EFAULT);
	guest_memory_unmap(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_small),
	    cmocka_unit_test(test_layout_above_4g),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
