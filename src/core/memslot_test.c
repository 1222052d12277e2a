/* SPDX-License-Identifier: MIT */
#include "core/memslot.h"
#include "lib/test.h"

#include <errno.h>

static void test_lowest_free_first(void **state)
{
	struct memslot_map m;

	(void)state;
	memslot_map_init(&m, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(memslot_alloc(&m), i);
	assert_int_equal(memslot_alloc(&m), -ENOSPC);
	/* A released slot is handed out again, lowest first. */
	memslot_free(&m, 5);
	memslot_free(&m, 2);
	assert_int_equal(memslot_alloc(&m), 2);
	assert_int_equal(memslot_alloc(&m), 5);
	assert_int_equal(memslot_alloc(&m), -ENOSPC);
}

static void test_limit_clamped(void **state)
{
	struct memslot_map m;
	int last = -1;

	(void)state;
	/* KVM offers 32764 slots; the map holds MEMSLOT_MAX, across word boundaries. */
	memslot_map_init(&m, 32764);
	for (int i = 0; i < MEMSLOT_MAX; i++)
		last = memslot_alloc(&m);
	assert_int_equal(last, MEMSLOT_MAX - 1);
	assert_int_equal(memslot_alloc(&m), -ENOSPC);
	memslot_free(&m, 64);
	assert_int_equal(memslot_alloc(&m), 64);
}

static void test_free_ignores_bad_slots(void **state)
{
	struct memslot_map m;

	(void)state;
	memslot_map_init(&m, 4);
	assert_int_equal(memslot_alloc(&m), 0);
	memslot_free(&m, 1);	   /* not allocated */
	memslot_free(&m, 4);	   /* past the limit */
	memslot_free(&m, 1000000); /* past the map */
	assert_int_equal(memslot_alloc(&m), 1);
	/* An empty map (a zeroed struct) has no slots at all. */
	memslot_map_init(&m, 0);
	assert_int_equal(memslot_alloc(&m), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lowest_free_first),
	    cmocka_unit_test(test_limit_clamped),
	    cmocka_unit_test(test_free_ignores_bad_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
