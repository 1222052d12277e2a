/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART with 16-byte FIFOs, as Linux's 8250 driver expects to find
 * it (scratch register, loopback, FIFO detection).  Transmit is instant;
 * receive buffers what the host console delivers.
 */
#ifndef XKVM_DEVICES_SERIAL_H
#define XKVM_DEVICES_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_NR_REGS 8
#define SERIAL_RX_BUF  4096

struct serial_ops {
	void (*set_irq)(void *opaque, bool level);
	void (*transmit)(void *opaque, const uint8_t *buf, size_t len);
};

struct serial {
	pthread_mutex_t lock;
	const struct serial_ops *ops;
	void *opaque;
	uint8_t ier, lcr, mcr, lsr_extra, scr, dll, dlm, fcr;
	bool thr_interrupt; /* THR-empty interrupt pending */
	bool irq_level;
	/* Receive ring: what the host typed and the guest has not read yet. */
	uint8_t rx[SERIAL_RX_BUF];
	unsigned rx_head, rx_count;
};

void serial_init(struct serial *s, const struct serial_ops *ops, void *opaque);
void serial_destroy(struct serial *s);
/* The bus handler: offset 0-7. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Queue received bytes; returns how many fitted (the caller retries the rest). */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

#endif
