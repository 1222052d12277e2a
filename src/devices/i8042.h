/* SPDX-License-Identifier: MIT */
/*
 * A minimal 8042 PS/2 controller with a keyboard that answers its
 * commands but never sends a key (the console is a serial port).  It is
 * there for what firmware and Linux use it for beyond keys: the self
 * tests they run, the command byte, the A20 gate and the CPU reset line
 * (output port bit 0, and the 0xFE pulse command).  There is no AUX
 * (mouse) port: its interface test reports a failure.
 */
#ifndef XKVM_DEVICES_I8042_H
#define XKVM_DEVICES_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_KBD_IRQ	   1
#define I8042_QUEUE	   16

struct i8042_ops {
	/* Interrupt line 1: output buffer full with keyboard interrupts enabled. */
	void (*set_irq)(void *opaque, bool level);
	/* The guest pulled the CPU reset line. */
	void (*reset)(void *opaque);
};

struct i8042 {
	pthread_mutex_t lock;
	const struct i8042_ops *ops;
	void *opaque;
	uint8_t command_byte;
	uint8_t output_port;   /* bit 0: reset line (1 = not in reset), bit 1: A20 */
	uint8_t pending_ctl;   /* controller command waiting for its data byte, or 0 */
	uint8_t pending_kbd;   /* keyboard command waiting for its parameter, or 0 */
	bool last_was_command; /* status bit 3: the last write went to the command port */
	bool kbd_scanning;
	uint8_t queue[I8042_QUEUE]; /* bytes for the guest to read at the data port */
	unsigned head, count;
	uint8_t last_read;
	bool irq_level;
};

void i8042_init(struct i8042 *k, const struct i8042_ops *ops, void *opaque);
void i8042_destroy(struct i8042 *k);
/* Bus handler for I8042_DATA_PORT (one port). */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Bus handler for I8042_COMMAND_PORT (one port: status on read, command on write). */
void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
