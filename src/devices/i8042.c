/* SPDX-License-Identifier: MIT */
#include "devices/i8042.h"

#include <string.h>

/* Status register bits. */
#define STS_OBF	   0x01 /* output buffer full */
#define STS_SYS	   0x04 /* system flag (command byte bit 2) */
#define STS_CMD	   0x08 /* last write was to the command port */
#define STS_UNLOCK 0x10 /* keyboard not inhibited */

/* Command byte bits. */
#define CB_KBD_INT 0x01
#define CB_SYS	   0x04
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define CB_XLATE   0x40

/* Output port bits. */
#define OUT_RESET 0x01 /* 0 holds the CPU in reset */
#define OUT_A20	  0x02

/* Keyboard replies. */
#define KBD_ACK	   0xfa
#define KBD_RESEND 0xfe
#define KBD_BAT_OK 0xaa

void i8042_init(struct i8042 *k, const struct i8042_ops *ops, void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->ops = ops;
	k->opaque = opaque;
	k->command_byte = CB_KBD_INT | CB_SYS | CB_AUX_OFF | CB_XLATE;
	k->output_port = OUT_RESET | OUT_A20;
	k->kbd_scanning = true;
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

/* Interrupt line 1 follows "a byte is waiting and keyboard interrupts are on" (lock held). */
static void update_irq(struct i8042 *k)
{
	bool level = k->count && (k->command_byte & CB_KBD_INT);

	if (level == k->irq_level)
		return;
	k->irq_level = level;
	if (k->ops && k->ops->set_irq)
		k->ops->set_irq(k->opaque, level);
}

/* Queue a byte for the guest; a full queue drops it, as a controller overrun would. */
static void push(struct i8042 *k, uint8_t byte)
{
	if (k->count < I8042_QUEUE) {
		k->queue[(k->head + k->count) % I8042_QUEUE] = byte;
		k->count++;
	}
}

/* A parameter byte for the keyboard command that asked for one. */
static void kbd_parameter(struct i8042 *k, uint8_t cmd, uint8_t param)
{
	push(k, KBD_ACK);
	/* Scan code set query: set 2, the one translation turns into set 1. */
	if (cmd == 0xf0 && param == 0)
		push(k, 0x02);
}

/* A byte written to the keyboard (data port with no controller command pending). */
static void kbd_write(struct i8042 *k, uint8_t byte)
{
	if (k->pending_kbd) {
		uint8_t cmd = k->pending_kbd;

		k->pending_kbd = 0;
		kbd_parameter(k, cmd, byte);
		return;
	}
	switch (byte) {
	case 0xed: /* set LEDs */
	case 0xf0: /* scan code set */
	case 0xf3: /* typematic rate */
		k->pending_kbd = byte;
		push(k, KBD_ACK);
		break;
	case 0xee: /* echo */
		push(k, 0xee);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		push(k, KBD_ACK);
		push(k, 0xab);
		push(k, 0x83);
		break;
	case 0xf4:
		k->kbd_scanning = true;
		push(k, KBD_ACK);
		break;
	case 0xf5: /* disable scanning and restore defaults */
		k->kbd_scanning = false;
		push(k, KBD_ACK);
		break;
	case 0xf6:
	case 0xf7:
	case 0xf8:
	case 0xf9:
	case 0xfa:
	case 0xfb:
	case 0xfc:
	case 0xfd:
		push(k, KBD_ACK);
		break;
	case 0xff: /* reset and self test */
		k->kbd_scanning = true;
		push(k, KBD_ACK);
		push(k, KBD_BAT_OK);
		break;
	default:
		push(k, KBD_RESEND);
		break;
	}
}

/* The data byte of a controller command that takes one; true when the CPU must reset. */
static bool controller_data(struct i8042 *k, uint8_t cmd, uint8_t byte)
{
	switch (cmd) {
	case 0x60:
		k->command_byte = byte;
		break;
	case 0xd1:
		k->output_port = byte;
		return !(byte & OUT_RESET);
	case 0xd2: /* as if the keyboard sent it */
		push(k, byte);
		break;
	default: /* 0xd3, 0xd4: for the AUX port, which is absent */
		break;
	}
	return false;
}

/* A controller command; true when the CPU must reset. */
static bool controller_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20:
		push(k, k->command_byte);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending_ctl = cmd;
		break;
	case 0xa7:
		k->command_byte |= CB_AUX_OFF;
		break;
	case 0xa8:
		k->command_byte &= (uint8_t)~CB_AUX_OFF;
		break;
	case 0xa9: /* AUX interface test: no AUX port, its clock line reads stuck */
		push(k, 0x02);
		break;
	case 0xaa: /* controller self test */
		push(k, 0x55);
		break;
	case 0xab: /* keyboard interface test */
		push(k, 0x00);
		break;
	case 0xad:
		k->command_byte |= CB_KBD_OFF;
		break;
	case 0xae:
		k->command_byte &= (uint8_t)~CB_KBD_OFF;
		break;
	case 0xc0: /* input port: keyboard not inhibited */
		push(k, 0x80);
		break;
	case 0xd0:
		push(k, k->output_port);
		break;
	case 0xdd:
		k->output_port &= (uint8_t)~OUT_A20;
		break;
	case 0xdf:
		k->output_port |= OUT_A20;
		break;
	default:
		/* 0xf0-0xff pulse output port bits low for a moment: bit 0 is the reset line. */
		if (cmd >= 0xf0 && !(cmd & OUT_RESET))
			return true;
		break;
	}
	return false;
}

void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *k = opaque;
	bool reset = false;

	pthread_mutex_lock(&k->lock);
	if (!is_write) {
		data[0] =
		    (uint8_t)((k->count ? STS_OBF : 0) | (k->command_byte & CB_SYS ? STS_SYS : 0) |
			      (k->last_was_command ? STS_CMD : 0) | STS_UNLOCK);
	} else {
		k->last_was_command = true;
		k->pending_ctl = 0;
		reset = controller_command(k, data[0]);
		update_irq(k);
	}
	pthread_mutex_unlock(&k->lock);
	if (reset && k->ops && k->ops->reset)
		k->ops->reset(k->opaque);
}

static uint8_t pop(struct i8042 *k)
{
	if (k->count) {
		k->last_read = k->queue[k->head];
		k->head = (k->head + 1) % I8042_QUEUE;
		k->count--;
	}
	/* An empty buffer reads its last byte again. */
	return k->last_read;
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *k = opaque;
	bool reset = false;

	pthread_mutex_lock(&k->lock);
	if (!is_write) {
		data[0] = pop(k);
		/*
		 * Lower the line after each read so the next queued byte makes a new
		 * edge: the PIC latches IRQ 1 on edges and Linux reads one byte per interrupt.
		 */
		if (k->irq_level) {
			k->irq_level = false;
			if (k->ops && k->ops->set_irq)
				k->ops->set_irq(k->opaque, false);
		}
	} else {
		uint8_t cmd = k->pending_ctl;

		k->last_was_command = false;
		k->pending_ctl = 0;
		if (cmd)
			reset = controller_data(k, cmd, data[0]);
		else
			kbd_write(k, data[0]);
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->ops && k->ops->reset)
		k->ops->reset(k->opaque);
}
