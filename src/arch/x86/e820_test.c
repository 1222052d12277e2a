/* SPDX-License-Identifier: MIT */
#include "arch/x86/e820.h"
#include "arch/x86/pvh.h"
#include "lib/test.h"
#include "lib/util.h"

static void check_sorted_disjoint(const struct e820_entry *e, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
}

static void test_small_guest(void **state)
{
	struct guest_memory m;
	struct e820_entry e[E820_MAX_ENTRIES];
	unsigned n;

	(void)state;
	guest_memory_layout(&m, 512 * MIB);
	n = e820_build(&m, e);
	assert_int_equal(n, 3);
	check_sorted_disjoint(e, n);
	assert_int_equal(e[0].type, E820_RAM);
	/* The boot data pages are RAM, the ACPI tables are not. */
	assert_true(PVH_CMDLINE_GPA + PVH_CMDLINE_MAX <= e[0].addr + e[0].size);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_true(e[1].addr <= PVH_ACPI_GPA &&
		    PVH_ACPI_GPA + PVH_ACPI_SIZE <= e[1].addr + e[1].size);
	assert_int_equal(e[2].addr + e[2].size, 512 * MIB);
}

static void test_large_guest(void **state)
{
	struct guest_memory m;
	struct e820_entry e[E820_MAX_ENTRIES];
	uint64_t ram = 0;
	unsigned n;

	(void)state;
	guest_memory_layout(&m, 6 * GIB);
	n = e820_build(&m, e);
	assert_int_equal(n, 4);
	check_sorted_disjoint(e, n);
	for (unsigned i = 0; i < n; i++)
		if (e[i].type == E820_RAM)
			ram += e[i].size;
	/* All RAM is mapped except the legacy hole below 1 MiB. */
	assert_int_equal(ram, 6 * GIB - (E820_HIGH_MEM_GPA - E820_LOW_RAM_END));
	assert_int_equal(e[3].addr, HIGH_RAM_START);
	/* Nothing claims the MMIO hole as RAM. */
	for (unsigned i = 0; i < n; i++)
		assert_false(e[i].addr < HIGH_RAM_START && e[i].addr + e[i].size > MMIO_HOLE_START);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_guest),
	    cmocka_unit_test(test_large_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
