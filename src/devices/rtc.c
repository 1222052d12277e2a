/* SPDX-License-Identifier: MIT */
#include "devices/rtc.h"

#include <string.h>

enum {
	REG_SECONDS = 0x00,
	REG_MINUTES = 0x02,
	REG_HOURS = 0x04,
	REG_WEEKDAY = 0x06,
	REG_DAY = 0x07,
	REG_MONTH = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define REG_A_DIVIDER 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define REG_A_UIP     0x80
#define REG_B_SET     0x80 /* guest is setting the time: freeze updates */
#define REG_B_BINARY  0x04
#define REG_B_24H     0x02
#define REG_D_VALID   0x80
#define INDEX_MASK    0x7f /* bit 7 of the index port masks NMIs */

static bool is_time_reg(unsigned reg)
{
	return reg <= REG_YEAR || reg == REG_CENTURY;
}

static uint8_t to_cmos(const struct rtc *rtc, int v)
{
	if (rtc->cmos[REG_B] & REG_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_cmos(const struct rtc *rtc, uint8_t v)
{
	if (rtc->cmos[REG_B] & REG_B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode_hours(const struct rtc *rtc, int hour)
{
	if (rtc->cmos[REG_B] & REG_B_24H)
		return to_cmos(rtc, hour);
	/* 12-hour mode: 12, 1..11, with bit 7 set for PM. */
	return (uint8_t)(to_cmos(rtc, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0));
}

static int decode_hours(const struct rtc *rtc, uint8_t v)
{
	int hour;

	if (rtc->cmos[REG_B] & REG_B_24H)
		return from_cmos(rtc, v);
	hour = from_cmos(rtc, v & 0x7f) % 12;
	return (v & 0x80) ? hour + 12 : hour;
}

/* Refresh the time registers from host time + offset. */
static void latch_time(struct rtc *rtc)
{
	time_t t = rtc->now() + (time_t)rtc->offset;
	struct tm tm;

	gmtime_r(&t, &tm);
	rtc->cmos[REG_SECONDS] = to_cmos(rtc, tm.tm_sec);
	rtc->cmos[REG_MINUTES] = to_cmos(rtc, tm.tm_min);
	rtc->cmos[REG_HOURS] = encode_hours(rtc, tm.tm_hour);
	rtc->cmos[REG_WEEKDAY] = to_cmos(rtc, tm.tm_wday + 1);
	rtc->cmos[REG_DAY] = to_cmos(rtc, tm.tm_mday);
	rtc->cmos[REG_MONTH] = to_cmos(rtc, tm.tm_mon + 1);
	rtc->cmos[REG_YEAR] = to_cmos(rtc, tm.tm_year % 100);
	rtc->cmos[REG_CENTURY] = to_cmos(rtc, (tm.tm_year + 1900) / 100);
}

/* The guest finished setting the clock: remember how far it is from the host. */
static void commit_time(struct rtc *rtc)
{
	struct tm tm = {
	    .tm_sec = from_cmos(rtc, rtc->cmos[REG_SECONDS]),
	    .tm_min = from_cmos(rtc, rtc->cmos[REG_MINUTES]),
	    .tm_hour = decode_hours(rtc, rtc->cmos[REG_HOURS]),
	    .tm_mday = from_cmos(rtc, rtc->cmos[REG_DAY]),
	    .tm_mon = from_cmos(rtc, rtc->cmos[REG_MONTH]) - 1,
	    .tm_year = from_cmos(rtc, rtc->cmos[REG_CENTURY]) * 100 +
		       from_cmos(rtc, rtc->cmos[REG_YEAR]) - 1900,
	};
	time_t guest = timegm(&tm);

	if (guest != (time_t)-1)
		rtc->offset = (int64_t)(guest - rtc->now());
}

void rtc_init(struct rtc *rtc, time_t (*now)(void))
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->now = now;
	rtc->cmos[REG_A] = REG_A_DIVIDER;
	rtc->cmos[REG_B] = REG_B_24H;
	rtc->cmos[REG_D] = REG_D_VALID;
}

void rtc_destroy(struct rtc *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

void rtc_set_memory_size(struct rtc *rtc, uint64_t low_bytes, uint64_t high_bytes)
{
	uint64_t ext_kib = low_bytes > (1 << 20) ? (low_bytes - (1 << 20)) >> 10 : 0;
	uint64_t above_16m = low_bytes > (16 << 20) ? (low_bytes - (16 << 20)) >> 16 : 0;
	uint64_t above_4g = high_bytes >> 16;

	pthread_mutex_lock(&rtc->lock);
	ext_kib = ext_kib > 0xffff ? 0xffff : ext_kib;
	above_16m = above_16m > 0xffff ? 0xffff : above_16m;
	rtc->cmos[0x15] = 0x80; /* base memory: 640 KiB */
	rtc->cmos[0x16] = 0x02;
	rtc->cmos[0x17] = rtc->cmos[0x30] = (uint8_t)ext_kib;
	rtc->cmos[0x18] = rtc->cmos[0x31] = (uint8_t)(ext_kib >> 8);
	rtc->cmos[0x34] = (uint8_t)above_16m; /* in 64 KiB units */
	rtc->cmos[0x35] = (uint8_t)(above_16m >> 8);
	rtc->cmos[0x5b] = (uint8_t)above_4g;
	rtc->cmos[0x5c] = (uint8_t)(above_4g >> 8);
	rtc->cmos[0x5d] = (uint8_t)(above_4g >> 16);
	pthread_mutex_unlock(&rtc->lock);
}

static uint8_t read_data(struct rtc *rtc)
{
	unsigned reg = rtc->index;
	uint8_t v;

	if (is_time_reg(reg) && !(rtc->cmos[REG_B] & REG_B_SET))
		latch_time(rtc);
	v = rtc->cmos[reg];
	if (reg == REG_A)
		v &= (uint8_t)~REG_A_UIP; /* never mid-update: reads are atomic here */
	if (reg == REG_C)
		rtc->cmos[REG_C] = 0; /* reading C acknowledges interrupt flags */
	return v;
}

static void write_data(struct rtc *rtc, uint8_t v)
{
	unsigned reg = rtc->index;

	switch (reg) {
	case REG_C:
	case REG_D:
		return; /* read-only */
	case REG_B:
		if (!(rtc->cmos[REG_B] & REG_B_SET) && (v & REG_B_SET))
			latch_time(rtc); /* freeze the current time for the guest to edit */
		if ((rtc->cmos[REG_B] & REG_B_SET) && !(v & REG_B_SET)) {
			rtc->cmos[REG_B] = v;
			commit_time(rtc);
			return;
		}
		rtc->cmos[REG_B] = v;
		return;
	default:
		rtc->cmos[reg] = v;
		if (is_time_reg(reg) && !(rtc->cmos[REG_B] & REG_B_SET))
			commit_time(rtc);
		return;
	}
}

void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		if (is_write)
			rtc->index = data[0] & INDEX_MASK;
		else
			data[0] = 0xff; /* the index port is write-only */
	} else if (is_write) {
		write_data(rtc, data[0]);
	} else {
		data[0] = read_data(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
	(void)len;
}
