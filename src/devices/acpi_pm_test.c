/* SPDX-License-Identifier: MIT */
#include "devices/acpi_pm.h"
#include "lib/test.h"

#include <string.h>

static void test_timer_ticks(void **state)
{
	(void)state;
	assert_int_equal(acpi_pm_timer_ticks(0), 0);
	assert_int_equal(acpi_pm_timer_ticks(1000000000ULL), 3579545);
	assert_int_equal(acpi_pm_timer_ticks(1999999999ULL), 7159089);
	/* 24-bit wrap */
	assert_int_equal(acpi_pm_timer_ticks(5000000000ULL), 1120509);
	/* two hours in: no overflow of the intermediate product */
	assert_int_equal(acpi_pm_timer_ticks(7200ULL * 1000000000ULL), 2920224);
}

/* Reads past its 4 bytes and writes leave the data alone; a read gives 24 bits. */
static void test_timer_io_bounds(void **state)
{
	uint8_t data[8];

	(void)state;
	memset(data, 0xA5, sizeof(data));
	acpi_pm_timer_io(NULL, 3, data, 2, false);
	acpi_pm_timer_io(NULL, 4, data, 1, false);
	acpi_pm_timer_io(NULL, 0, data, 8, false);
	acpi_pm_timer_io(NULL, 0, data, 4, true);
	for (size_t i = 0; i < sizeof(data); i++)
		assert_int_equal(data[i], 0xA5);
	acpi_pm_timer_io(NULL, 0, data, 4, false);
	assert_int_equal(data[3], 0);
	assert_int_equal(data[4], 0xA5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_ticks),
	    cmocka_unit_test(test_timer_io_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
