/* SPDX-License-Identifier: MIT */
/*
 * The bus-master DMA engine of one IDE channel (SFF-8038i): the command,
 * status and PRD table address registers, and the walk of the guest's
 * physical region descriptor table that moves a DMA command's data
 * between the drive's buffer and guest memory.  The channel (ide.h)
 * embeds one per channel and calls in with its lock held; the host
 * (piix_ide.c) decides where the registers answer (BAR4).
 *
 * Transfers run synchronously on the vCPU that made them possible: the
 * one starting the engine or issuing the DMA command, whichever comes
 * last.  The table is the guest's: every entry and region is checked
 * through guest_read/guest_write, and the walk is bounded by the table's
 * 64 KiB window, so a bad table ends in the error bit, never a fault.
 */
#ifndef XKVM_DEVICES_IDE_DMA_H
#define XKVM_DEVICES_IDE_DMA_H

#include <stdbool.h>
#include <stdint.h>

struct guest_memory;
struct ide_channel;

/* Register offsets within a channel's 8 ports. */
#define BM_REG_COMMAND 0
#define BM_REG_STATUS  2
#define BM_REG_PRD     4 /* 4 bytes, little endian */
#define BM_NR_REGS     8

#define BM_CMD_START  0x01
#define BM_CMD_TO_MEM 0x08 /* the bus master writes memory (a device read) */

#define BM_ST_ACTIVE   0x01
#define BM_ST_ERROR    0x02
#define BM_ST_INTR     0x04
#define BM_ST_DMA_CAP0 0x20 /* BIOS/driver scratch: drive 0 can do DMA */
#define BM_ST_DMA_CAP1 0x40

/* A PRD table lives in one 64 KiB window of 8-byte entries. */
#define PRD_ENTRY_SIZE	8U
#define PRD_TABLE_ALIGN 0x10000U
#define PRD_MAX_ENTRIES (PRD_TABLE_ALIGN / PRD_ENTRY_SIZE)
#define PRD_EOT		0x80000000U
#define PRD_MAX_BYTES	0x10000U /* a byte count of 0 */

struct ide_bmdma {
	const struct guest_memory *mem;
	/* PCI command register of the function, for its bus-master enable; NULL: always. */
	const uint8_t *pci_command;
	uint8_t cmd, status;
	uint32_t prd; /* table address, dword aligned */

	/* Where the walk is, since the last start: entry, and bytes used of it. */
	uint32_t entry;
	uint32_t entry_done;
	bool entry_loaded;
	uint32_t entry_addr, entry_len;
	bool entry_last;
};

/* Reset state; mem is what DMA reaches (NULL: the engine never moves data). */
void ide_bmdma_init(struct ide_bmdma *bm, const struct guest_memory *mem,
		    const uint8_t *pci_command);
/* Register access at offset 0-7 of the channel's block, byte by byte; takes the lock. */
void ide_bmdma_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/*
 * Move what can be moved now (lock held): called when the selected drive
 * starts a DMA transfer and when the engine is started.  Nothing happens
 * unless both are ready.
 */
void ide_dma_kick(struct ide_channel *ch);

#endif
