/* SPDX-License-Identifier: MIT */
#include "core/memory.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* A machine's own hole: less RAM below 4 GiB, the rest above. */
static void test_layout_machine_hole(void **state)
{
	const struct mem_layout l = {.hole_start = 0xE0000000ULL};
	struct guest_memory m;

	(void)state;
	assert_int_equal(guest_memory_layout_for(&m, 4 * GIB, &l), 0);
	assert_int_equal(m.nr_regions, 2);
	assert_int_equal(guest_low_ram_end(&m), 0xE0000000ULL);
	assert_int_equal(guest_high_ram_size(&m), 4 * GIB - 0xE0000000ULL);
	assert_int_equal(m.regions[1].gpa, HIGH_RAM_START);
	assert_int_equal(guest_memory_layout_for(&m, 1 * GIB, &l), 0);
	assert_int_equal(m.nr_regions, 1);
	assert_int_equal(guest_high_ram_size(&m), 0);
}

/* A gap below 1 MiB (VGA window, BIOS area) is not RAM; RAM around it is. */
static void test_layout_gap(void **state)
{
	const struct mem_layout l = {
	    .hole_start = 0xE0000000ULL, .gap_start = 0xA0000, .gap_end = 0x100000};
	struct guest_memory m;

	(void)state;
	assert_int_equal(guest_memory_map_layout(&m, 5 * GIB, &l), 0);
	assert_int_equal(m.nr_regions, 3);
	assert_non_null(gpa_to_hva(&m, 0x9F000, 0x1000));
	assert_null(gpa_to_hva(&m, 0x9F000, 0x1001)); /* runs into the gap */
	assert_null(gpa_to_hva(&m, 0xA0000, 1));
	assert_null(gpa_to_hva(&m, 0xFFFFF, 1));
	assert_int_equal(guest_write(&m, 0xE0000, "x", 1), -EFAULT);
	/* Low RAM sits at host offset == gpa; RAM above 4 GiB takes the end of the mapping. */
	assert_ptr_equal(gpa_to_hva(&m, 0x100000, 1), m.base + 0x100000);
	assert_ptr_equal(gpa_to_hva(&m, HIGH_RAM_START, 1), m.base + 0xE0000000ULL);
	assert_int_equal(guest_low_ram_end(&m), 0xE0000000ULL);
	assert_int_equal(guest_high_ram_size(&m), 5 * GIB - 0xE0000000ULL);
	assert_int_equal(guest_write(&m, HIGH_RAM_START + guest_high_ram_size(&m) - 1, "x", 1), 0);
	assert_int_equal(guest_write(&m, HIGH_RAM_START + guest_high_ram_size(&m), "x", 1),
			 -EFAULT);
	guest_memory_unmap(&m);
	/* Less RAM than the gap's end: only what lies below it. */
	assert_int_equal(guest_memory_layout_for(&m, 0xC0000, &l), 0);
	assert_int_equal(m.nr_regions, 1);
	assert_int_equal(guest_low_ram_end(&m), 0xA0000);
}

static void test_layout_rejects_bad(void **state)
{
	static const struct mem_layout bad[] = {
	    {.hole_start = 0xE0000800ULL},				      /* not page-aligned */
	    {.hole_start = 0x80000},					      /* below 1 MiB */
	    {.hole_start = HIGH_RAM_START + 4096},			      /* above 4 GiB */
	    {.hole_start = 0xC0000000ULL, .gap_start = 0, .gap_end = 0x1000}, /* gap at 0 */
	    {.hole_start = 0x200000, .gap_start = 0xA0000, .gap_end = 0x300000}, /* past the hole */
	    {.hole_start = 0xC0000000ULL, .gap_start = 0xA0100, .gap_end = 0x100000},
	};
	struct guest_memory m;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(guest_memory_layout_for(&m, GIB, &bad[i]), -EINVAL);
		assert_int_equal(guest_memory_map_layout(&m, GIB, &bad[i]), -EINVAL);
		assert_null(m.base);
	}
	/* A hole at exactly 4 GiB: all RAM low. */
	assert_int_equal(
	    guest_memory_layout_for(&m, GIB, &(struct mem_layout){.hole_start = HIGH_RAM_START}),
	    0);
}

/* The VmFlags line of the mapping that starts at addr, from /proc/self/smaps. */
static bool mapping_flags(const void *addr, char *flags, size_t len)
{
	char line[256], start[32];
	bool in_it = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)addr);
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
			in_it = strncmp(line, start, strlen(start)) == 0;
		else if (in_it && strncmp(line, "VmFlags:", 8) == 0)
			found = snprintf(flags, len, "%s", line + 8) > 0;
	}
	if (f)
		fclose(f);
	return found;
}

/* Guest RAM starts on a 2 MiB boundary and asks for huge pages ("hg"). */
static void test_ram_on_huge_pages(void **state)
{
	struct guest_memory m;
	char flags[128];

	(void)state;
	assert_int_equal(guest_memory_map(&m, 6 * MIB + 4096), 0);
	assert_int_equal((uintptr_t)m.base % (2 * MIB), 0);
	assert_true(mapping_flags(m.base, flags, sizeof(flags)));
	assert_non_null(strstr(flags, " hg"));
	assert_non_null(strstr(flags, " dd")); /* not in core dumps */
	assert_int_equal(guest_write(&m, 6 * MIB, "end", 4), 0);
	guest_memory_unmap(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_small),
	    cmocka_unit_test(test_layout_above_4g),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_layout_machine_hole),
	    cmocka_unit_test(test_layout_gap),
	    cmocka_unit_test(test_layout_rejects_bad),
	    cmocka_unit_test(test_ram_on_huge_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
