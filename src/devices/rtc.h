/* SPDX-License-Identifier: MIT */
/*
 * The MC146818 CMOS real-time clock and its 128 bytes of CMOS RAM, at
 * ports 0x70 (index) and 0x71 (data).  The clock follows the host's time
 * plus whatever offset the guest sets; interrupts are not emulated (Linux
 * reads the time without them).
 */
#ifndef XKVM_DEVICES_RTC_H
#define XKVM_DEVICES_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_NR_PORTS 2
#define CMOS_SIZE    128

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[CMOS_SIZE];
	int64_t offset; /* guest time minus host time, seconds */
	time_t (*now)(void);
};

void rtc_init(struct rtc *rtc, time_t (*now)(void));
void rtc_destroy(struct rtc *rtc);
void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Record guest RAM in the CMOS bytes firmware reads (below and above 16 MiB / 4 GiB). */
void rtc_set_memory_size(struct rtc *rtc, uint64_t low_bytes, uint64_t high_bytes);

#endif
