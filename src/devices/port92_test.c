/* SPDX-License-Identifier: MIT */
#include "devices/port92.h"
#include "lib/test.h"

static void count_reset(void *opaque)
{
	(*(int *)opaque)++;
}

static uint8_t rd(struct port92 *p)
{
	uint8_t v = 0xff;

	port92_io(p, 0, &v, 1, false);
	return v;
}

static void wr(struct port92 *p, uint8_t v)
{
	port92_io(p, 0, &v, 1, true);
}

static void test_a20_reads_back(void **state)
{
	struct port92 p;
	int resets = 0;

	(void)state;
	port92_init(&p, count_reset, &resets);
	assert_int_equal(rd(&p), 0);
	wr(&p, 0x02);
	assert_int_equal(rd(&p), 0x02);
	wr(&p, 0xf0); /* reserved bits are not kept */
	assert_int_equal(rd(&p), 0);
	assert_int_equal(resets, 0);
	port92_destroy(&p);
}

static void test_reset_on_rising_edge_only(void **state)
{
	struct port92 p;
	int resets = 0;

	(void)state;
	port92_init(&p, count_reset, &resets);
	wr(&p, 0x03);
	assert_int_equal(resets, 1);
	wr(&p, 0x03); /* still high: no second reset */
	assert_int_equal(resets, 1);
	wr(&p, 0x02);
	wr(&p, 0x01);
	assert_int_equal(resets, 2);
	port92_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a20_reads_back),
	    cmocka_unit_test(test_reset_on_rising_edge_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
