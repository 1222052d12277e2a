/* SPDX-License-Identifier: MIT */
#include "devices/eeprom93c46.h"

/* Two opcode bits after the start bit: 10 is READ. */
#define OPCODE_READ  2u
#define COMMAND_BITS (2 + EEPROM93C46_ADDR_BITS)

void eeprom93c46_reset(struct eeprom93c46 *ee)
{
	ee->state = EEPROM_IDLE;
	ee->cs = ee->sk = false;
	ee->dout = true; /* ready */
	ee->nbits = ee->command = ee->addr = 0;
}

/* The next data bit, most significant first; sequential reads run on to the next word. */
static void shift_out(struct eeprom93c46 *ee)
{
	if (ee->nbits == 16) {
		ee->addr = (ee->addr + 1) % EEPROM93C46_WORDS;
		ee->nbits = 0;
	}
	ee->dout = (ee->words[ee->addr] >> (15 - ee->nbits)) & 1;
	ee->nbits++;
}

static void clock_in(struct eeprom93c46 *ee, bool din)
{
	switch (ee->state) {
	case EEPROM_IDLE:
		if (din) { /* leading zeros before the start bit are ignored */
			ee->state = EEPROM_COMMAND;
			ee->nbits = ee->command = 0;
		}
		break;
	case EEPROM_COMMAND:
		ee->command = ee->command << 1 | din;
		if (++ee->nbits < COMMAND_BITS)
			break;
		if (ee->command >> EEPROM93C46_ADDR_BITS == OPCODE_READ) {
			ee->state = EEPROM_READING;
			ee->addr = ee->command & (EEPROM93C46_WORDS - 1);
			ee->nbits = 0;
			ee->dout = false; /* the dummy zero before the data */
		} else {
			ee->state = EEPROM_IGNORE;
		}
		break;
	case EEPROM_READING:
		shift_out(ee);
		break;
	case EEPROM_IGNORE:
		break;
	}
}

void eeprom93c46_pins(struct eeprom93c46 *ee, bool cs, bool sk, bool din)
{
	if (!cs) {
		eeprom93c46_reset(ee);
		return;
	}
	if (sk && !ee->sk)
		clock_in(ee, din);
	ee->cs = cs;
	ee->sk = sk;
}
