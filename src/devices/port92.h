/* SPDX-License-Identifier: MIT */
/*
 * System Control Port A (port 0x92): the "fast" A20 gate (bit 1) and a
 * CPU reset on a 0 -> 1 transition of bit 0.  KVM does not mask A20, so
 * the gate is only remembered for the guest to read back.
 */
#ifndef XKVM_DEVICES_PORT92_H
#define XKVM_DEVICES_PORT92_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PORT92_PORT 0x92

struct port92 {
	pthread_mutex_t lock;
	uint8_t value;
	void (*reset)(void *opaque);
	void *opaque;
};

void port92_init(struct port92 *p, void (*reset)(void *opaque), void *opaque);
void port92_destroy(struct port92 *p);
/* Bus handler for PORT92_PORT (one port). */
void port92_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
