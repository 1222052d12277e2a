/* SPDX-License-Identifier: MIT */
#include "devices/port92.h"

#include <string.h>

#define PORT92_RESET 0x01
#define PORT92_A20   0x02

void port92_init(struct port92 *p, void (*reset)(void *opaque), void *opaque)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->reset = reset;
	p->opaque = opaque;
}

void port92_destroy(struct port92 *p)
{
	pthread_mutex_destroy(&p->lock);
}

void port92_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct port92 *p = opaque;
	bool reset = false;

	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		data[0] = p->value & PORT92_A20;
	} else {
		/* Only a rising edge of bit 0 resets, as on the PIIX. */
		reset = (data[0] & PORT92_RESET) && !(p->value & PORT92_RESET);
		p->value = data[0] & (PORT92_A20 | PORT92_RESET);
	}
	pthread_mutex_unlock(&p->lock);
	if (reset && p->reset)
		p->reset(p->opaque);
}
