/* SPDX-License-Identifier: MIT */
/*
 * The ATA command set of a hard disk on an IDE channel, PIO and DMA: what
 * SeaBIOS (src/hw/ata.c) and Linux libata send to a PATA disk.  Sector
 * ranges are checked against the image before any I/O; anything out of
 * range or not understood ends in ABRT.
 */
#include "devices/ide.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>

enum {
	CMD_RECALIBRATE = 0x10, /* 0x10-0x1f */
	CMD_READ_SECTORS = 0x20,
	CMD_READ_SECTORS_NORETRY = 0x21,
	CMD_READ_SECTORS_EXT = 0x24,
	CMD_READ_DMA_EXT = 0x25,
	CMD_READ_MULTIPLE_EXT = 0x29,
	CMD_WRITE_SECTORS = 0x30,
	CMD_WRITE_SECTORS_NORETRY = 0x31,
	CMD_WRITE_SECTORS_EXT = 0x34,
	CMD_WRITE_DMA_EXT = 0x35,
	CMD_WRITE_MULTIPLE_EXT = 0x39,
	CMD_READ_VERIFY = 0x40,
	CMD_READ_VERIFY_NORETRY = 0x41,
	CMD_READ_VERIFY_EXT = 0x42,
	CMD_SEEK = 0x70, /* 0x70-0x7f */
	CMD_INITIALIZE_DEVICE_PARAMETERS = 0x91,
	CMD_STANDBY_IMMEDIATE_OLD = 0x94,
	CMD_CHECK_POWER_MODE_OLD = 0x98,
	CMD_READ_MULTIPLE = 0xc4,
	CMD_WRITE_MULTIPLE = 0xc5,
	CMD_SET_MULTIPLE_MODE = 0xc6,
	CMD_READ_DMA = 0xc8,
	CMD_READ_DMA_NORETRY = 0xc9,
	CMD_WRITE_DMA = 0xca,
	CMD_WRITE_DMA_NORETRY = 0xcb,
	CMD_STANDBY_IMMEDIATE = 0xe0,
	CMD_IDLE = 0xe3,
	CMD_CHECK_POWER_MODE = 0xe5,
	CMD_FLUSH_CACHE = 0xe7,
	CMD_FLUSH_CACHE_EXT = 0xea,
	CMD_IDENTIFY_DEVICE = 0xec,
	CMD_SET_FEATURES = 0xef,
};

/* SET FEATURES subcommands. */
enum {
	SF_WCACHE_ON = 0x02,
	SF_XFER_MODE = 0x03,
	SF_LOOKAHEAD_OFF = 0x55,
	SF_DEFAULTS_OFF = 0x66,
	SF_WCACHE_OFF = 0x82,
	SF_LOOKAHEAD_ON = 0xaa,
	SF_DEFAULTS_ON = 0xcc,
};

#define LBA28_LIMIT 0x0fffffffULL

/* SET FEATURES transfer mode values (sector count register): mode class, mode number. */
#define XFER_PIO_MAX   0x0c
#define XFER_MWDMA_0   0x20
#define XFER_MWDMA_MAX 0x22
#define XFER_UDMA_0    0x40
#define XFER_UDMA_MAX  0x45
/* Supported-mode masks of IDENTIFY words 63 and 88. */
#define ID_MWDMA_MODES 0x07 /* MWDMA 0-2 */
#define ID_UDMA_MODES  0x3f /* UDMA 0-5 */

static void identify_geometry(const struct ide_drive *d, uint8_t *buf)
{
	uint64_t cyl = d->img.sectors / (16ULL * 63);
	uint64_t lba28 = d->img.sectors < LBA28_LIMIT ? d->img.sectors : LBA28_LIMIT;
	uint32_t chs;

	if (cyl > 16383)
		cyl = 16383;
	chs = (uint32_t)cyl * 16 * 63;
	ide_put_id(buf, 1, (uint16_t)cyl);
	ide_put_id(buf, 3, 16);
	ide_put_id(buf, 6, 63);
	ide_put_id(buf, 54, (uint16_t)cyl);
	ide_put_id(buf, 55, 16);
	ide_put_id(buf, 56, 63);
	ide_put_id(buf, 57, (uint16_t)chs);
	ide_put_id(buf, 58, (uint16_t)(chs >> 16));
	ide_put_id(buf, 60, (uint16_t)lba28);
	ide_put_id(buf, 61, (uint16_t)(lba28 >> 16));
	for (unsigned i = 0; i < 4; i++)
		ide_put_id(buf, 100 + i, (uint16_t)(d->img.sectors >> (16 * i)));
}

/* Words 63 and 88: the DMA modes offered, and in the high byte the one SET FEATURES chose. */
static void identify_dma_modes(const struct ide_drive *d, uint8_t *buf)
{
	uint16_t mw = ID_MWDMA_MODES, udma = ID_UDMA_MODES;

	if (d->xfer_mode >= XFER_MWDMA_0 && d->xfer_mode <= XFER_MWDMA_MAX)
		mw |= (uint16_t)(0x100 << (d->xfer_mode - XFER_MWDMA_0));
	else if (d->xfer_mode >= XFER_UDMA_0 && d->xfer_mode <= XFER_UDMA_MAX)
		udma |= (uint16_t)(0x100 << (d->xfer_mode - XFER_UDMA_0));
	ide_put_id(buf, 63, mw);
	ide_put_id(buf, 88, udma);
}

/* IDENTIFY DEVICE, as libata's ata_dev_configure and SeaBIOS's init_drive_ata read it. */
static void identify(struct ide_drive *d)
{
	uint8_t *buf = d->buf;
	uint16_t wcache = d->write_cache ? 1 << 5 : 0;

	memset(buf, 0, IDE_SECTOR_SIZE);
	ide_put_id(buf, 0, 0x0040); /* ATA device, fixed */
	ide_put_id_strings(buf, d->serial, "XKVM HARDDISK");
	ide_put_id(buf, 47, 0x8000 | IDE_MAX_MULTIPLE);
	ide_put_id(buf, 49, 1 << 8 | 1 << 9 | 1 << 11); /* DMA, LBA, IORDY */
	ide_put_id(buf, 51, 0x0200);			/* PIO timing mode 2 (obsolete word) */
	ide_put_id(buf, 53, 0x0007);			/* words 54-58, 64-70 and 88 valid */
	ide_put_id(buf, 59, (uint16_t)(d->mult_sectors ? 0x0100 | d->mult_sectors : 0));
	identify_dma_modes(d, buf);
	ide_put_id(buf, 64, 0x0003); /* PIO modes 3 and 4 */
	ide_put_id(buf, 65, 120);
	ide_put_id(buf, 66, 120);
	ide_put_id(buf, 67, 120);
	ide_put_id(buf, 68, 120);
	ide_put_id(buf, 80, 0x00f0);			   /* ATA/ATAPI-4 to -7 */
	ide_put_id(buf, 82, (uint16_t)(1 << 14 | 1 << 5)); /* NOP, write cache */
	ide_put_id(buf, 83,
		   (uint16_t)(1 << 14 | 1 << 13 | 1 << 12 | 1 << 10)); /* FLUSH (EXT), LBA48 */
	ide_put_id(buf, 84, 1 << 14);
	ide_put_id(buf, 85, (uint16_t)(1 << 14 | wcache));
	ide_put_id(buf, 86, (uint16_t)(1 << 13 | 1 << 12 | 1 << 10));
	ide_put_id(buf, 87, 1 << 14);
	/* Hardware reset result: device 0 passed; bit 6 clear, so SeaBIOS still probes device 1. */
	ide_put_id(buf, 93, 0x4009);
	identify_geometry(d, buf);
}

/* The starting sector of a command, in LBA28, LBA48 or CHS addressing. */
static bool command_lba(const struct ide_drive *d, bool lba48, uint64_t *lba)
{
	unsigned cyl, head, sect;

	if (lba48) {
		*lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 |
		       (uint64_t)d->hob_lbal << 24 | (uint64_t)d->lbah << 16 |
		       (uint64_t)d->lbam << 8 | d->lbal;
		return true;
	}
	if (d->device & ATA_DH_LBA) {
		*lba = (uint64_t)(d->device & 0xf) << 24 | (uint64_t)d->lbah << 16 |
		       (uint64_t)d->lbam << 8 | d->lbal;
		return true;
	}
	cyl = (unsigned)d->lbah << 8 | d->lbam;
	head = d->device & 0xf;
	sect = d->lbal;
	if (sect == 0 || sect > d->spt || head >= d->heads)
		return false;
	*lba = ((uint64_t)cyl * d->heads + head) * d->spt + sect - 1;
	return true;
}

static uint32_t command_count(const struct ide_drive *d, bool lba48)
{
	uint32_t n = lba48 ? (uint32_t)d->hob_nsector << 8 | d->nsector : d->nsector;

	if (n == 0)
		n = lba48 ? 65536 : 256;
	return n;
}

/* Check the command's sector range; on success the transfer state is set up. */
static bool setup_range(struct ide_drive *d, bool lba48, unsigned block)
{
	uint64_t lba;
	uint32_t count = command_count(d, lba48);

	if (!command_lba(d, lba48, &lba) || !range_ok(lba, count, d->img.sectors))
		return false;
	d->next_lba = lba;
	d->left = count;
	d->block_sectors = block;
	return true;
}

/*
 * Move n sectors between the drive's buffer and the image at next_lba and
 * advance; on an image error the command ends with the drive's error bits.
 * false: it ended.
 */
static bool read_sectors(struct ide_channel *ch, struct ide_drive *d, unsigned n)
{
	if (disk_image_read(&d->img, d->buf, d->next_lba * IDE_SECTOR_SIZE,
			    (size_t)n * IDE_SECTOR_SIZE)) {
		ide_complete(ch, d, ATA_ER_UNC | ATA_ER_ABRT);
		return false;
	}
	d->next_lba += n;
	d->left -= n;
	return true;
}

static bool write_sectors(struct ide_channel *ch, struct ide_drive *d, unsigned n)
{
	if (disk_image_write(&d->img, d->buf, d->next_lba * IDE_SECTOR_SIZE,
			     (size_t)n * IDE_SECTOR_SIZE)) {
		ide_complete(ch, d, ATA_ER_ABRT);
		return false;
	}
	d->next_lba += n;
	d->left -= n;
	return true;
}

/* Fill the next DRQ block of a read and offer it. */
static void read_block(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n = d->left < d->block_sectors ? (unsigned)d->left : d->block_sectors;

	if (!read_sectors(ch, d, n))
		return;
	ide_start_pio(ch, d, n * IDE_SECTOR_SIZE, false,
		      d->left ? XFER_READ_SECTORS : XFER_DATA_IN_LAST, true);
}

static void want_write_block(struct ide_channel *ch, struct ide_drive *d, bool irq)
{
	unsigned n = d->left < d->block_sectors ? (unsigned)d->left : d->block_sectors;

	ide_start_pio(ch, d, n * IDE_SECTOR_SIZE, true, XFER_WRITE_SECTORS, irq);
}

void ata_disk_xfer_done(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n;

	if (d->xfer == XFER_READ_SECTORS) {
		read_block(ch, d);
		return;
	}
	n = d->end / IDE_SECTOR_SIZE;
	if (!write_sectors(ch, d, n))
		return;
	if (d->left)
		want_write_block(ch, d, true);
	else
		ide_complete(ch, d, 0);
}

void ata_disk_dma_block(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n = d->end / IDE_SECTOR_SIZE;

	if (d->xfer == XFER_DMA_OUT && n && !write_sectors(ch, d, n))
		return;
	if (!d->left) {
		ide_complete(ch, d, 0);
		return;
	}
	n = d->left < IDE_MAX_MULTIPLE ? (unsigned)d->left : IDE_MAX_MULTIPLE;
	if (d->xfer == XFER_DMA_IN && !read_sectors(ch, d, n))
		return;
	d->pos = 0;
	d->end = n * IDE_SECTOR_SIZE;
}

static void dma_sectors(struct ide_channel *ch, struct ide_drive *d, bool write, bool lba48)
{
	if (!setup_range(d, lba48, IDE_MAX_MULTIPLE) || (write && d->img.readonly)) {
		ide_abort(ch, d);
		return;
	}
	ide_start_dma(ch, d, write);
}

static void rw_sectors(struct ide_channel *ch, struct ide_drive *d, bool write, bool lba48,
		       bool multiple)
{
	unsigned block = multiple ? d->mult_sectors : 1;

	if (block == 0 || !setup_range(d, lba48, block) || (write && d->img.readonly)) {
		ide_abort(ch, d);
		return;
	}
	if (write)
		want_write_block(ch, d, false); /* the first block is asked for without INTRQ */
	else
		read_block(ch, d);
}

/*
 * PIO default (0x00, 0x01), PIO 0-4 (0x08-0x0c), MWDMA 0-2 or UDMA 0-5.
 * Only the DMA mode is remembered (IDENTIFY reports it); a PIO mode leaves
 * it, as the two are chosen independently.  0 or -EINVAL.
 */
static int set_xfer_mode(struct ide_drive *d)
{
	uint8_t m = d->nsector;

	if ((m >= XFER_MWDMA_0 && m <= XFER_MWDMA_MAX) ||
	    (m >= XFER_UDMA_0 && m <= XFER_UDMA_MAX)) {
		d->xfer_mode = m;
		return 0;
	}
	return m <= 0x01 || (m >= 0x08 && m <= XFER_PIO_MAX) ? 0 : -EINVAL;
}

static void set_features(struct ide_channel *ch, struct ide_drive *d)
{
	switch (d->feature) {
	case SF_XFER_MODE:
		if (set_xfer_mode(d)) {
			ide_abort(ch, d);
			return;
		}
		break;
	case SF_WCACHE_ON:
	case SF_WCACHE_OFF:
		d->write_cache = d->feature == SF_WCACHE_ON;
		break;
	case SF_LOOKAHEAD_ON:
	case SF_LOOKAHEAD_OFF:
	case SF_DEFAULTS_ON:
	case SF_DEFAULTS_OFF:
		break;
	default:
		ide_abort(ch, d);
		return;
	}
	ide_complete(ch, d, 0);
}

static void set_multiple(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n = d->nsector;

	/* 0 turns multiple mode off; otherwise a power of two we offered. */
	if (n > IDE_MAX_MULTIPLE || (n & (n - 1))) {
		ide_abort(ch, d);
		return;
	}
	d->mult_sectors = n;
	ide_complete(ch, d, 0);
}

static void init_params(struct ide_channel *ch, struct ide_drive *d)
{
	if (d->nsector == 0) {
		ide_abort(ch, d);
		return;
	}
	d->spt = d->nsector;
	d->heads = (d->device & 0xf) + 1u;
	ide_complete(ch, d, 0);
}

static void verify(struct ide_channel *ch, struct ide_drive *d, bool lba48)
{
	ide_complete(ch, d, setup_range(d, lba48, 1) ? 0 : ATA_ER_ABRT);
}

static void flush(struct ide_channel *ch, struct ide_drive *d)
{
	ide_complete(ch, d, disk_image_flush(&d->img) ? ATA_ER_ABRT : 0);
}

/* Read and write commands: the direction, LBA48, MULTIPLE; false if cmd is none. */
static bool rw_kind(uint8_t cmd, bool *write, bool *lba48, bool *multiple)
{
	*write = *lba48 = *multiple = false;
	switch (cmd) {
	case CMD_READ_SECTORS:
	case CMD_READ_SECTORS_NORETRY:
		return true;
	case CMD_READ_SECTORS_EXT:
		*lba48 = true;
		return true;
	case CMD_READ_MULTIPLE:
		*multiple = true;
		return true;
	case CMD_READ_MULTIPLE_EXT:
		*lba48 = *multiple = true;
		return true;
	case CMD_WRITE_SECTORS:
	case CMD_WRITE_SECTORS_NORETRY:
		*write = true;
		return true;
	case CMD_WRITE_SECTORS_EXT:
		*write = *lba48 = true;
		return true;
	case CMD_WRITE_MULTIPLE:
		*write = *multiple = true;
		return true;
	case CMD_WRITE_MULTIPLE_EXT:
		*write = *lba48 = *multiple = true;
		return true;
	default:
		return false;
	}
}

static void other_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case CMD_IDENTIFY_DEVICE:
		identify(d);
		ide_start_pio(ch, d, IDE_SECTOR_SIZE, false, XFER_DATA_IN_LAST, true);
		break;
	case CMD_SET_FEATURES:
		set_features(ch, d);
		break;
	case CMD_SET_MULTIPLE_MODE:
		set_multiple(ch, d);
		break;
	case CMD_INITIALIZE_DEVICE_PARAMETERS:
		init_params(ch, d);
		break;
	case CMD_READ_VERIFY:
	case CMD_READ_VERIFY_NORETRY:
	case CMD_READ_VERIFY_EXT:
		verify(ch, d, cmd == CMD_READ_VERIFY_EXT);
		break;
	case CMD_FLUSH_CACHE:
	case CMD_FLUSH_CACHE_EXT:
		flush(ch, d);
		break;
	case CMD_CHECK_POWER_MODE:
	case CMD_CHECK_POWER_MODE_OLD:
		d->nsector = 0xff; /* active or idle */
		ide_complete(ch, d, 0);
		break;
	default:
		/* Power management (0x94-0x97, 0xe0-0xe3): nothing spins here, so nothing to do. */
		if ((cmd >= CMD_STANDBY_IMMEDIATE_OLD && cmd < CMD_CHECK_POWER_MODE_OLD) ||
		    (cmd >= CMD_STANDBY_IMMEDIATE && cmd <= CMD_IDLE) ||
		    (cmd & 0xf0) == CMD_RECALIBRATE || (cmd & 0xf0) == CMD_SEEK)
			ide_complete(ch, d, 0);
		else
			ide_abort(ch, d); /* includes NOP, IDENTIFY PACKET and PACKET */
		break;
	}
}

void ata_disk_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
	bool write, lba48, multiple;

	if (cmd == CMD_READ_DMA || cmd == CMD_READ_DMA_NORETRY || cmd == CMD_READ_DMA_EXT)
		dma_sectors(ch, d, false, cmd == CMD_READ_DMA_EXT);
	else if (cmd == CMD_WRITE_DMA || cmd == CMD_WRITE_DMA_NORETRY || cmd == CMD_WRITE_DMA_EXT)
		dma_sectors(ch, d, true, cmd == CMD_WRITE_DMA_EXT);
	else if (rw_kind(cmd, &write, &lba48, &multiple))
		rw_sectors(ch, d, write, lba48, multiple);
	else
		other_command(ch, d, cmd);
}
