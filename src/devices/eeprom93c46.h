/* SPDX-License-Identifier: MIT */
/*
 * A 93C46 serial EEPROM (64 words of 16 bits) as seen through a NIC's
 * bit-banged pins: chip select, clock, data in, data out.  Drivers read
 * the MAC address from it (Linux's 8139too does, and nothing else).  Only
 * READ is served; write, erase and the enable/disable commands are taken
 * off the wire and ignored, so the contents never change.
 */
#ifndef XKVM_DEVICES_EEPROM93C46_H
#define XKVM_DEVICES_EEPROM93C46_H

#include <stdbool.h>
#include <stdint.h>

#define EEPROM93C46_WORDS     64
#define EEPROM93C46_ADDR_BITS 6

enum eeprom93c46_state {
	EEPROM_IDLE,	/* waiting for the start bit */
	EEPROM_COMMAND, /* shifting in opcode and address */
	EEPROM_READING, /* shifting data out */
	EEPROM_IGNORE,	/* a command we do not serve: wait for chip select to drop */
};

struct eeprom93c46 {
	uint16_t words[EEPROM93C46_WORDS];
	enum eeprom93c46_state state;
	bool cs, sk, dout;
	unsigned nbits;	  /* bits shifted in (COMMAND) or out of the current word (READING) */
	unsigned command; /* opcode and address as shifted in */
	unsigned addr;	  /* the word being read */
};

/* Drive the pins; the chip acts on a rising clock edge while selected. */
void eeprom93c46_pins(struct eeprom93c46 *ee, bool cs, bool sk, bool din);
/* Put the serial state machine back to idle (contents stay). */
void eeprom93c46_reset(struct eeprom93c46 *ee);

#endif
