/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PIIX3 IDE controller: the guest's port
 * accesses to both channels' command and control blocks and bus-master
 * registers, and its writes to the RAM that DMA and PRD tables use.  The
 * input is
 *
 *   byte 0     the devices: two bits per slot (channel 0 master, slave,
 *              channel 1 master, slave): 0 none, 1 disk, 2 CD-ROM,
 *              3 read-only disk
 *   then ops   one byte each, then its operands:
 *                bit 7     write (else read)
 *                bit 6     control block (else command block); with a
 *                          register offset other than 0: 1 the bus-master
 *                          command, 2 its status, 4-7 its PRD address,
 *                          3 a RAM write (below)
 *                bit 5     channel
 *                bits 4-3  width: 1, 2 or 4 bytes; 3 = a burst of
 *                          2-byte data port accesses, count in the next
 *                          byte (times 8), writes filled with the byte after
 *                bits 2-0  register offset
 *              a write carries its value (width bytes, little endian).
 *              A RAM write carries a 16-bit address in 16-byte units, a
 *              length byte and that many bytes (PRD tables, write data).
 *
 * Images are memfds: a 64-sector disk, an 8-sector (2048-byte) CD; guest
 * RAM is 1 MiB, bus mastering enabled.  Besides ASan's checks, the
 * channel's transfer bounds, the interrupt line's edges and the
 * bus-master registers' fixed bits are checked after every access.
 */
#include "core/memory.h"
#include "devices/piix_ide.h"
#include "lib/log.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DISK_BYTES (64 * 512)
#define CD_BYTES   (8 * 2048)
#define RAM_BYTES  (1 << 20)
#define OP_RAM	   3 /* the register offset of a RAM write */
#define RAM_UNIT   16
/* Bus-master register offsets reached through the control block ops. */
static const uint8_t bm_reg[8] = {0, BM_REG_COMMAND, BM_REG_STATUS, 0, 4, 5, 6, 7};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct irq_state {
	bool level[2];
};

static void set_irq(void *opaque, unsigned channel, bool level)
{
	struct irq_state *s = opaque;

	/* The line only ever changes: the same level twice would be a bookkeeping bug. */
	if (channel > 1 || s->level[channel] == level)
		abort();
	s->level[channel] = level;
}

static void attach(struct piix_ide *ide, unsigned slot, unsigned kind)
{
	static const enum ide_media media[] = {IDE_NONE, IDE_DISK, IDE_CDROM, IDE_DISK};
	char path[64];
	int fd;

	if (kind == 0)
		return;
	fd = memfd_create("fuzz-ide", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, kind == 2 ? CD_BYTES : DISK_BYTES))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (piix_ide_attach(ide, slot / 2, slot % 2, media[kind], path, kind == 3))
		abort();
	close(fd);
}

static void check(const struct piix_ide *ide, const struct irq_state *irq)
{
	for (unsigned c = 0; c < 2; c++) {
		const struct ide_channel *ch = &ide->ch[c];

		if (ch->irq_level != irq->level[c] || ch->cur > 1)
			abort();
		for (unsigned u = 0; u < 2; u++)
			if (ch->drive[u].pos > ch->drive[u].end || ch->drive[u].end > IDE_BUF_SIZE)
				abort();
		if ((ch->bm.status & 0x98) || (ch->bm.cmd & ~(BM_CMD_START | BM_CMD_TO_MEM)) ||
		    (ch->bm.prd & 3) || ch->bm.entry > PRD_MAX_ENTRIES)
			abort();
	}
}

/* A RAM write op's operands; false when the input ran out. */
static bool ram_write(const struct guest_memory *mem, const uint8_t *data, size_t size, size_t *i)
{
	uint64_t gpa;
	size_t n;

	if (*i + 3 > size)
		return false;
	gpa = (uint64_t)(data[*i] | data[*i + 1] << 8) * RAM_UNIT;
	n = data[*i + 2];
	*i += 3;
	if (*i + n > size)
		return false;
	guest_write(mem, gpa, data + *i, n); /* may run off RAM: refused */
	*i += n;
	return true;
}

static void access_port(struct piix_ide *ide, uint8_t op, uint8_t *val, uint32_t len)
{
	struct ide_channel *ch = &ide->ch[(op >> 5) & 1];

	if ((op & 0x40) && (op & 7))
		ide_bmdma_io(ch, bm_reg[op & 7], val, len, op & 0x80);
	else if (op & 0x40)
		ide_ctl_io(ch, 0, val, len, op & 0x80);
	else
		ide_cmd_io(ch, op & 7, val, len, op & 0x80);
}

/* Run one op from data[*i]; false when the input ran out. */
static bool run_op(struct piix_ide *ide, const struct guest_memory *mem, const uint8_t *data,
		   size_t size, size_t *i)
{
	static const uint32_t widths[] = {1, 2, 4};
	uint8_t op = data[(*i)++], val[4] = {0};
	unsigned width = (op >> 3) & 3;

	if ((op & 0xc7) == (0xc0 | OP_RAM))
		return ram_write(mem, data, size, i);
	if (width == 3) {
		unsigned count;
		uint8_t fill;

		if (*i + 2 > size)
			return false;
		count = data[*i] * 8u;
		fill = data[*i + 1];
		*i += 2;
		for (unsigned k = 0; k < count; k++) {
			memset(val, fill, 2);
			ide_cmd_io(&ide->ch[(op >> 5) & 1], IDE_REG_DATA, val, 2, op & 0x80);
		}
		return true;
	}
	if (op & 0x80) {
		if (*i + widths[width] > size)
			return false;
		memcpy(val, data + *i, widths[width]);
		*i += widths[width];
	}
	access_port(ide, op, val, widths[width]);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irq_state irq = {{false, false}};
	struct guest_memory mem;
	struct piix_ide *ide;
	size_t i = 1;

	log_set_level(LOG_ERROR);
	if (size == 0)
		return 0;
	if (guest_memory_map(&mem, RAM_BYTES))
		abort();
	ide = piix_ide_create(&mem, set_irq, &irq);
	if (!ide)
		abort();
	ide->pci.config[PCI_COMMAND] |= PCI_COMMAND_MASTER;
	for (unsigned slot = 0; slot < 4; slot++)
		attach(ide, slot, (data[0] >> (2 * slot)) & 3);
	while (i < size && run_op(ide, &mem, data, size, &i))
		check(ide, &irq);
	piix_ide_destroy(ide);
	guest_memory_unmap(&mem);
	return 0;
}
