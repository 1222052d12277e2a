/* SPDX-License-Identifier: MIT */
#include "devices/rtc.h"
#include "lib/test.h"

/* 2026-11-21 19:38:10 UTC, a Saturday. */
#define FIXED_TIME 1795289890

static time_t fake_now_value = FIXED_TIME;

static time_t fake_now(void)
{
	return fake_now_value;
}

static uint8_t cmos_read(struct rtc *r, uint8_t reg)
{
	uint8_t v = reg;

	rtc_io(r, 0, &v, 1, true);
	rtc_io(r, 1, &v, 1, false);
	return v;
}

static void cmos_write(struct rtc *r, uint8_t reg, uint8_t val)
{
	rtc_io(r, 0, &reg, 1, true);
	rtc_io(r, 1, &val, 1, true);
}

static void test_reads_host_time_bcd(void **state)
{
	struct rtc r;

	(void)state;
	fake_now_value = FIXED_TIME;
	rtc_init(&r, fake_now);
	assert_int_equal(cmos_read(&r, 0x00), 0x10);
	assert_int_equal(cmos_read(&r, 0x02), 0x38);
	assert_int_equal(cmos_read(&r, 0x04), 0x19);
	assert_int_equal(cmos_read(&r, 0x07), 0x21);
	assert_int_equal(cmos_read(&r, 0x08), 0x11);
	assert_int_equal(cmos_read(&r, 0x09), 0x26);
	assert_int_equal(cmos_read(&r, 0x32), 0x20);
	assert_int_equal(cmos_read(&r, 0x06), 7);	 /* Saturday */
	assert_int_equal(cmos_read(&r, 0x0a) & 0x80, 0); /* no update in progress */
	assert_int_equal(cmos_read(&r, 0x0d), 0x80);
	rtc_destroy(&r);
}

static void test_binary_and_12h(void **state)
{
	struct rtc r;

	(void)state;
	fake_now_value = FIXED_TIME;
	rtc_init(&r, fake_now);
	cmos_write(&r, 0x0b, 0x04); /* binary, 12-hour */
	assert_int_equal(cmos_read(&r, 0x00), 10);
	assert_int_equal(cmos_read(&r, 0x04), 0x80 | 7); /* 7 PM */
	rtc_destroy(&r);
}

static void test_guest_sets_time(void **state)
{
	struct rtc r;

	(void)state;
	fake_now_value = FIXED_TIME;
	rtc_init(&r, fake_now);
	cmos_write(&r, 0x0b, 0x82); /* SET, 24h, BCD */
	cmos_write(&r, 0x09, 0x30); /* 2030 */
	cmos_write(&r, 0x0b, 0x02);
	assert_int_equal(cmos_read(&r, 0x09), 0x30);
	fake_now_value += 61;
	/* The offset persists as host time moves on. */
	assert_int_equal(cmos_read(&r, 0x09), 0x30);
	assert_int_equal(cmos_read(&r, 0x02), 0x39);
	rtc_destroy(&r);
}

static void test_index_masks_nmi_bit(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, fake_now);
	cmos_write(&r, 0x80 | 0x40, 0x77); /* bit 7 of the index is the NMI mask */
	assert_int_equal(cmos_read(&r, 0x40), 0x77);
	rtc_set_memory_size(&r, 512ULL << 20, 0);
	assert_int_equal(cmos_read(&r, 0x34) | cmos_read(&r, 0x35) << 8, (512 - 16) * 16);
	rtc_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_host_time_bcd),
	    cmocka_unit_test(test_binary_and_12h),
	    cmocka_unit_test(test_guest_sets_time),
	    cmocka_unit_test(test_index_masks_nmi_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
