/* SPDX-License-Identifier: MIT */
/*
 * An IDE channel: registers, device selection, SRST, INTRQ and the PIO
 * data engine.  The command sets (ata_disk.c, atapi_cdrom.c) start and
 * continue transfers through ide_start_pio and learn of each drained or
 * filled DRQ block through their *_xfer_done hooks.
 */
#include "devices/ide.h"
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ATA_CMD_EXECUTE_DIAGNOSTIC 0x90
/* What a channel with no device at all reads: a floating bus with D7 pulled down. */
#define IDE_FLOATING 0x7f

void ide_channel_init(struct ide_channel *ch, unsigned index,
		      void (*set_irq)(void *opaque, unsigned channel, bool level), void *opaque)
{
	memset(ch, 0, sizeof(*ch));
	pthread_mutex_init(&ch->lock, NULL);
	ch->index = index;
	ch->set_irq = set_irq;
	ch->irq_opaque = opaque;
	for (unsigned i = 0; i < 2; i++)
		ch->drive[i].img.fd = -1;
}

void ide_channel_destroy(struct ide_channel *ch)
{
	for (unsigned i = 0; i < 2; i++)
		disk_image_close(&ch->drive[i].img);
	pthread_mutex_destroy(&ch->lock);
}

void ide_set_signature(struct ide_drive *d)
{
	bool cd = d->media == IDE_CDROM;

	d->nsector = d->lbal = 1;
	d->lbam = cd ? 0x14 : 0;
	d->lbah = cd ? 0xeb : 0;
	d->hob_nsector = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
	d->device = 0;
	d->error = 0x01; /* diagnostics passed */
	/* A packet device keeps DRDY clear until it is spoken to. */
	d->status = cd ? 0 : ATA_ST_DRDY | ATA_ST_DSC;
	d->xfer = XFER_NONE;
}

int ide_channel_attach(struct ide_channel *ch, unsigned unit, enum ide_media media,
		       const char *path, bool readonly)
{
	struct ide_drive *d;
	int ret;

	if (unit > 1 || (media != IDE_DISK && media != IDE_CDROM))
		return -EINVAL;
	d = &ch->drive[unit];
	if (d->media != IDE_NONE)
		return -EBUSY;
	ret = disk_image_open(&d->img, path, readonly || media == IDE_CDROM);
	if (ret)
		return ret;
	d->media = media;
	d->write_cache = true;
	d->heads = 16;
	d->spt = 63;
	snprintf(d->serial, sizeof(d->serial), "XKVM%05u", ch->index * 2 + unit + 1);
	ide_set_signature(d);
	return 0;
}

/* INTRQ reaches the interrupt controller unless the host set nIEN. */
static void update_irq(struct ide_channel *ch)
{
	bool level = ch->intrq && !(ch->devctl & ATA_DC_NIEN);

	if (level != ch->irq_level) {
		ch->irq_level = level;
		if (ch->set_irq)
			ch->set_irq(ch->irq_opaque, ch->index, level);
	}
}

/* A command the drive will never finish: what the bus master shows for one it dropped. */
static void abandon_command(struct ide_channel *ch, struct ide_drive *d)
{
	bool dma = d->xfer == XFER_DMA_IN || d->xfer == XFER_DMA_OUT;

	if (dma && (ch->bm.status & BM_ST_ACTIVE)) {
		ch->bm.status = (uint8_t)((ch->bm.status & ~BM_ST_ACTIVE) | BM_ST_ERROR);
		ch->bm.entry_loaded = false;
	}
	d->xfer = XFER_NONE;
	d->pos = d->end = 0;
	d->left = 0;
}

int ide_channel_detach_disk(struct ide_channel *ch, unsigned unit)
{
	struct ide_drive *d;
	int ret = 0;

	if (unit > 1)
		return -EINVAL;
	pthread_mutex_lock(&ch->lock);
	d = &ch->drive[unit];
	if (d->media != IDE_DISK)
		goto out;
	abandon_command(ch, d);
	/* Every write the guest completed went to the image under this lock: make it durable. */
	ret = disk_image_flush(&d->img);
	if (ret)
		pr_err("ide %u.%u: flushing %s before detaching it: %s", ch->index, unit,
		       d->img.path, strerror(-ret));
	pr_info("ide %u.%u: disk %s detached", ch->index, unit, d->img.path);
	disk_image_close(&d->img);
	/* Register reads now take the absent-device paths; the latched task file stays. */
	d->media = IDE_NONE;
	d->status = d->error = 0;
	if (ch->cur == unit) {
		/* An absent device drives no INTRQ. */
		ch->intrq = false;
		update_irq(ch);
	}
out:
	pthread_mutex_unlock(&ch->lock);
	return ret;
}

void ide_raise_irq(struct ide_channel *ch)
{
	/* The bus master latches every rising INTRQ, DMA or not (SFF-8038i). */
	ch->bm.status |= BM_ST_INTR;
	ch->intrq = true;
	update_irq(ch);
}

void ide_complete(struct ide_channel *ch, struct ide_drive *d, uint8_t error)
{
	d->xfer = XFER_NONE;
	d->pos = d->end = 0;
	d->error = error;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | (error ? ATA_ST_ERR : 0);
	ide_raise_irq(ch);
}

void ide_start_pio(struct ide_channel *ch, struct ide_drive *d, unsigned len, bool to_device,
		   enum ide_xfer xfer, bool irq)
{
	d->pos = 0;
	d->end = len < IDE_BUF_SIZE ? len : IDE_BUF_SIZE;
	d->to_device = to_device;
	d->xfer = xfer;
	d->error = 0;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	if (irq)
		ide_raise_irq(ch);
}

void ide_start_dma(struct ide_channel *ch, struct ide_drive *d, bool to_device)
{
	d->pos = d->end = 0;
	d->to_device = to_device;
	d->xfer = to_device ? XFER_DMA_OUT : XFER_DMA_IN;
	d->error = 0;
	/* DMARQ stands for DRQ: the drive is ready as soon as the bus master is. */
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	ide_dma_kick(ch);
}

void ide_put_id(uint8_t *buf, unsigned word, uint16_t v)
{
	buf[(size_t)word * 2] = (uint8_t)v;
	buf[(size_t)word * 2 + 1] = (uint8_t)(v >> 8);
}

/* Put s at IDENTIFY words first.., space padded, the first character of a pair high. */
static void put_id_string(uint8_t *buf, unsigned first, const char *s, unsigned nwords)
{
	size_t n = strlen(s);

	for (unsigned w = 0; w < nwords; w++) {
		size_t at = (size_t)w * 2;
		uint8_t hi = at < n ? (uint8_t)s[at] : ' ';
		uint8_t lo = at + 1 < n ? (uint8_t)s[at + 1] : ' ';

		ide_put_id(buf, first + w, (uint16_t)(hi << 8 | lo));
	}
}

void ide_put_id_strings(uint8_t *buf, const char *serial, const char *model)
{
	put_id_string(buf, 10, serial, 10);
	put_id_string(buf, 23, "1.0", 4); /* firmware revision */
	put_id_string(buf, 27, model, 20);
}

/* ---- Data port ---- */

static void block_done(struct ide_channel *ch, struct ide_drive *d)
{
	d->status &= (uint8_t)~ATA_ST_DRQ;
	switch (d->xfer) {
	case XFER_READ_SECTORS:
	case XFER_WRITE_SECTORS:
		ata_disk_xfer_done(ch, d);
		break;
	case XFER_ATAPI_CDB:
	case XFER_ATAPI_DATA:
		atapi_xfer_done(ch, d);
		break;
	default:
		/* The last data-in block: done, and PIO data-in raises no interrupt at the end. */
		d->xfer = XFER_NONE;
		d->status = ATA_ST_DRDY | ATA_ST_DSC;
		break;
	}
}

static void data_io(struct ide_channel *ch, struct ide_drive *d, uint8_t *data, uint32_t len,
		    bool is_write)
{
	unsigned n;

	if (!(d->status & ATA_ST_DRQ) || d->to_device != is_write || d->xfer == XFER_DMA_IN ||
	    d->xfer == XFER_DMA_OUT) {
		/* More data than the command declared, the wrong way, or PIO during DMA: refuse. */
		d->xfer = XFER_NONE;
		d->error = ATA_ER_ABRT;
		d->status = (uint8_t)((d->status & ~ATA_ST_DRQ) | ATA_ST_ERR);
		return;
	}
	n = d->end - d->pos < len ? d->end - d->pos : len;
	if (is_write)
		memcpy(d->buf + d->pos, data, n);
	else
		memcpy(data, d->buf + d->pos, n);
	d->pos += n;
	if (d->pos == d->end)
		block_done(ch, d);
}

/* ---- Command block ---- */

static void execute_diagnostic(struct ide_channel *ch)
{
	for (unsigned i = 0; i < 2; i++)
		if (ch->drive[i].media != IDE_NONE)
			ide_set_signature(&ch->drive[i]);
	ch->cur = 0;
	ide_raise_irq(ch);
}

static void command(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_drive *d = &ch->drive[ch->cur];

	if (ch->devctl & ATA_DC_SRST)
		return; /* in reset: the command is lost, as on hardware */
	if (cmd == ATA_CMD_EXECUTE_DIAGNOSTIC) {
		execute_diagnostic(ch);
		return;
	}
	if (d->media == IDE_NONE)
		return; /* nobody there to take it */
	/* A new command ends whatever transfer was under way. */
	d->xfer = XFER_NONE;
	d->pos = d->end = 0;
	ch->intrq = false;
	update_irq(ch);
	if (d->media == IDE_DISK)
		ata_disk_command(ch, d, cmd);
	else
		atapi_command(ch, d, cmd);
}

/* Both devices latch writes to the task file; the old value becomes the HOB byte. */
static void write_taskfile(struct ide_channel *ch, unsigned reg, uint8_t v)
{
	for (unsigned i = 0; i < 2; i++) {
		struct ide_drive *d = &ch->drive[i];

		switch (reg) {
		case IDE_REG_ERROR_FEATURE:
			d->hob_feature = d->feature;
			d->feature = v;
			break;
		case IDE_REG_NSECTOR:
			d->hob_nsector = d->nsector;
			d->nsector = v;
			break;
		case IDE_REG_LBAL:
			d->hob_lbal = d->lbal;
			d->lbal = v;
			break;
		case IDE_REG_LBAM:
			d->hob_lbam = d->lbam;
			d->lbam = v;
			break;
		case IDE_REG_LBAH:
			d->hob_lbah = d->lbah;
			d->lbah = v;
			break;
		default:
			d->device = v;
			break;
		}
	}
	/* Writing the task file clears HOB (ATA: "shall be cleared ... when any Command Block
	 * register is written"). */
	ch->devctl &= (uint8_t)~ATA_DC_HOB;
	if (reg == IDE_REG_DEVICE)
		ch->cur = (v & ATA_DH_DEV1) ? 1 : 0;
}

static uint8_t read_taskfile(struct ide_channel *ch, const struct ide_drive *d, unsigned reg)
{
	bool hob = ch->devctl & ATA_DC_HOB;

	switch (reg) {
	case IDE_REG_ERROR_FEATURE:
		return d->error;
	case IDE_REG_NSECTOR:
		return hob ? d->hob_nsector : d->nsector;
	case IDE_REG_LBAL:
		return hob ? d->hob_lbal : d->lbal;
	case IDE_REG_LBAM:
		return hob ? d->hob_lbam : d->lbam;
	case IDE_REG_LBAH:
		return hob ? d->hob_lbah : d->lbah;
	case IDE_REG_DEVICE:
		return d->device;
	default:
		/* Reading status acknowledges the interrupt. */
		ch->intrq = false;
		update_irq(ch);
		return d->status;
	}
}

static bool no_devices(const struct ide_channel *ch)
{
	return ch->drive[0].media == IDE_NONE && ch->drive[1].media == IDE_NONE;
}

void ide_cmd_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ide_channel *ch = channel;
	struct ide_drive *d;

	if (offset >= IDE_NR_CMD_REGS)
		return;
	pthread_mutex_lock(&ch->lock);
	d = &ch->drive[ch->cur];
	if (offset == IDE_REG_DATA) {
		if (no_devices(ch) && !is_write)
			memset(data, IDE_FLOATING, len);
		else if (d->media != IDE_NONE)
			data_io(ch, d, data, len, is_write);
	} else if (is_write) {
		/* Registers are 8 bits wide; a wider access writes the low byte. */
		if (offset == IDE_REG_STATUS_COMMAND)
			command(ch, data[0]);
		else
			write_taskfile(ch, (unsigned)offset, data[0]);
	} else if (no_devices(ch)) {
		data[0] = IDE_FLOATING;
	} else if (d->media != IDE_NONE) {
		data[0] = read_taskfile(ch, d, (unsigned)offset);
	} else if (offset == IDE_REG_DEVICE) {
		/* Device 0 answers for an absent device 1 except for status, which reads 0. */
		data[0] = ch->drive[0].device;
	}
	pthread_mutex_unlock(&ch->lock);
}

/* ---- Control block ---- */

static void soft_reset(struct ide_channel *ch, bool assert)
{
	for (unsigned i = 0; i < 2; i++) {
		struct ide_drive *d = &ch->drive[i];

		if (d->media == IDE_NONE)
			continue;
		if (assert) {
			d->xfer = XFER_NONE;
			d->pos = d->end = 0;
			d->status = ATA_ST_BSY;
		} else {
			ide_set_signature(d);
		}
	}
	ch->cur = 0;
	ch->intrq = false;
}

void ide_ctl_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ide_channel *ch = channel;

	if (offset != 0)
		return;
	pthread_mutex_lock(&ch->lock);
	if (is_write) {
		uint8_t old = ch->devctl;

		ch->devctl = data[0];
		if ((old ^ data[0]) & ATA_DC_SRST)
			soft_reset(ch, data[0] & ATA_DC_SRST);
		update_irq(ch);
	} else if (no_devices(ch)) {
		data[0] = IDE_FLOATING;
	} else {
		/* Alternate status: the status register without acknowledging INTRQ. */
		data[0] = ch->drive[ch->cur].media != IDE_NONE ? ch->drive[ch->cur].status : 0;
	}
	pthread_mutex_unlock(&ch->lock);
}
