/* SPDX-License-Identifier: MIT */
/*
 * IDE bus-master DMA: the SFF-8038i registers and the PRD walk.  The
 * drive's command set fills or drains its buffer (ata_disk_dma_block);
 * this file moves the buffer's bytes to or from the regions the table
 * names.  The status bits follow SFF-8038i's completion table: a table
 * longer than the transfer leaves Active set beside Interrupt, one
 * shorter clears Active with neither Interrupt nor Error and leaves the
 * drive waiting, as a real drive waits for DMA that never comes.
 */
#include "devices/ide_dma.h"
#include "core/memory.h"
#include "devices/ide.h"
#include "devices/pci.h"

#include <errno.h>
#include <string.h>

/* Bus addresses are 32 bits: a region reaching past 4 GiB is a master abort. */
#define BM_ADDR_LIMIT 0x100000000ULL
/* Status bits the guest owns as scratch (drive DMA capable). */
#define BM_ST_SCRATCH (BM_ST_DMA_CAP0 | BM_ST_DMA_CAP1)

void ide_bmdma_init(struct ide_bmdma *bm, const struct guest_memory *mem,
		    const uint8_t *pci_command)
{
	memset(bm, 0, sizeof(*bm));
	bm->mem = mem;
	bm->pci_command = pci_command;
}

static bool master_enabled(const struct ide_bmdma *bm)
{
	/* The PCI command byte is written under the bus's config lock, not ours. */
	return !bm->pci_command ||
	       (__atomic_load_n(bm->pci_command, __ATOMIC_RELAXED) & PCI_COMMAND_MASTER);
}

static bool engine_running(const struct ide_bmdma *bm)
{
	return bm->mem && (bm->cmd & BM_CMD_START) && (bm->status & BM_ST_ACTIVE) &&
	       master_enabled(bm);
}

static bool xfer_is_dma(enum ide_xfer x)
{
	return x == XFER_DMA_IN || x == XFER_DMA_OUT;
}

/* Fetch the descriptor the walk is at: -ELOOP after a whole window without an end bit. */
static int load_entry(struct ide_bmdma *bm)
{
	uint32_t window = bm->prd & ~(PRD_TABLE_ALIGN - 1);
	uint32_t at;
	uint8_t e[PRD_ENTRY_SIZE];
	uint32_t addr, count;

	if (bm->entry >= PRD_MAX_ENTRIES)
		return -ELOOP;
	/* The table wraps within its 64 KiB window, as the controller's address counter does. */
	at = window | ((bm->prd + bm->entry * PRD_ENTRY_SIZE) & (PRD_TABLE_ALIGN - 1));
	if (guest_read(bm->mem, at, e, sizeof(e)))
		return -EFAULT;
	/* Regions are word aligned and even: bit 0 of address and count is not decoded. */
	addr = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
	bm->entry_addr = addr & ~1U;
	count = ((uint32_t)e[4] | (uint32_t)e[5] << 8) & 0xfffeU;
	bm->entry_len = count ? count : PRD_MAX_BYTES;
	bm->entry_last = e[7] & (PRD_EOT >> 24);
	bm->entry_done = 0;
	bm->entry_loaded = true;
	return 0;
}

/* Move what fits of the drive's buffer to or from the current region. */
static int move(struct ide_bmdma *bm, struct ide_drive *d)
{
	uint32_t room = bm->entry_len - bm->entry_done;
	uint32_t n = d->end - d->pos < room ? d->end - d->pos : room;
	uint64_t gpa = (uint64_t)bm->entry_addr + bm->entry_done;
	int r;

	if (gpa + n > BM_ADDR_LIMIT)
		return -EFAULT;
	if (d->to_device)
		r = guest_read(bm->mem, gpa, d->buf + d->pos, n);
	else
		r = guest_write(bm->mem, gpa, d->buf + d->pos, n);
	if (r)
		return r;
	d->pos += n;
	bm->entry_done += n;
	if (bm->entry_done == bm->entry_len) {
		bm->entry_loaded = false;
		bm->entry++;
		if (bm->entry_last)
			bm->status &= (uint8_t)~BM_ST_ACTIVE; /* the table is used up */
	}
	return 0;
}

void ide_dma_kick(struct ide_channel *ch)
{
	struct ide_bmdma *bm = &ch->bm;
	struct ide_drive *d = &ch->drive[ch->cur];
	int r = 0;

	/* Bounded: each pass ends the command, fills buf, takes a descriptor or moves bytes. */
	while (!r && xfer_is_dma(d->xfer)) {
		if (d->pos == d->end)
			ata_disk_dma_block(ch, d);
		else if (!engine_running(bm))
			break;
		else if (!bm->entry_loaded)
			r = load_entry(bm);
		else
			r = move(bm, d);
	}
	if (r) {
		/* A master abort or a runaway table: the engine stops and the command fails. */
		bm->status = (uint8_t)((bm->status & ~BM_ST_ACTIVE) | BM_ST_ERROR);
		bm->entry_loaded = false;
		ide_complete(ch, d, ATA_ER_ABRT);
	}
}

static void write_command(struct ide_channel *ch, uint8_t v)
{
	struct ide_bmdma *bm = &ch->bm;
	bool was = bm->cmd & BM_CMD_START;

	bm->cmd = v & (BM_CMD_START | BM_CMD_TO_MEM);
	if (!(v & BM_CMD_START)) {
		/* Stopping loses the walk; the drive keeps waiting for its data. */
		bm->status &= (uint8_t)~BM_ST_ACTIVE;
		return;
	}
	if (was)
		return;
	bm->status |= BM_ST_ACTIVE;
	bm->entry = 0;
	bm->entry_loaded = false;
	ide_dma_kick(ch);
}

static void reg_write(struct ide_channel *ch, unsigned reg, uint8_t v)
{
	struct ide_bmdma *bm = &ch->bm;
	unsigned shift;

	switch (reg) {
	case BM_REG_COMMAND:
		write_command(ch, v);
		break;
	case BM_REG_STATUS:
		bm->status = (uint8_t)((bm->status & ~BM_ST_SCRATCH) | (v & BM_ST_SCRATCH));
		bm->status &= (uint8_t) ~(v & (BM_ST_ERROR | BM_ST_INTR));
		break;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		shift = 8 * (reg - BM_REG_PRD);
		bm->prd = (bm->prd & ~(0xffU << shift)) | (uint32_t)v << shift;
		bm->prd &= ~3U;
		break;
	default:
		break;
	}
}

static uint8_t reg_read(const struct ide_bmdma *bm, unsigned reg)
{
	switch (reg) {
	case BM_REG_COMMAND:
		return bm->cmd;
	case BM_REG_STATUS:
		return bm->status;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		return (uint8_t)(bm->prd >> (8 * (reg - BM_REG_PRD)));
	default:
		return 0;
	}
}

void ide_bmdma_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ide_channel *ch = channel;

	pthread_mutex_lock(&ch->lock);
	/* A wide access is its bytes in order, as the registers are byte lanes of one dword. */
	for (uint32_t i = 0; i < len && offset + i < BM_NR_REGS; i++) {
		if (is_write)
			reg_write(ch, (unsigned)(offset + i), data[i]);
		else
			data[i] = reg_read(&ch->bm, (unsigned)(offset + i));
	}
	pthread_mutex_unlock(&ch->lock);
}
