/* SPDX-License-Identifier: MIT */
/*
 * An IDE (parallel ATA) channel with up to two devices: the register file
 * of the command and control blocks, device selection, software reset,
 * INTRQ, the PIO data engine that moves one DRQ block at a time through a
 * bounded buffer, and the channel's bus-master DMA engine (ide_dma.h),
 * which moves the same buffer to and from guest memory.  The command sets live beside it:
 * ata_disk.c (ATA hard disks) and atapi_cdrom.c (PACKET CD-ROMs).  The
 * channel knows nothing of port numbers or IRQ lines; its host (piix_ide.c)
 * wires it.  Every register value is the guest's and is checked before
 * use; a bad command ends in ABRT, never in a VMM fault.
 */
#ifndef XKVM_DEVICES_IDE_H
#define XKVM_DEVICES_IDE_H

#include "block/disk_image.h"
#include "devices/ide_dma.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Status register. */
#define ATA_ST_ERR  0x01
#define ATA_ST_DRQ  0x08
#define ATA_ST_DSC  0x10
#define ATA_ST_DF   0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY  0x80
/* Error register. */
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC  0x40
/* Device control register. */
#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04
#define ATA_DC_HOB  0x80
/* Device/head register. */
#define ATA_DH_DEV1 0x10
#define ATA_DH_LBA  0x40
/* ATAPI interrupt reason (in the sector count register). */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO  0x02

/* Command block register offsets (from the channel's command base). */
enum ide_reg {
	IDE_REG_DATA = 0,
	IDE_REG_ERROR_FEATURE = 1,
	IDE_REG_NSECTOR = 2,
	IDE_REG_LBAL = 3,
	IDE_REG_LBAM = 4,
	IDE_REG_LBAH = 5,
	IDE_REG_DEVICE = 6,
	IDE_REG_STATUS_COMMAND = 7,
	IDE_NR_CMD_REGS = 8,
};

enum ide_media {
	IDE_NONE = 0,
	IDE_DISK,
	IDE_CDROM,
};

#define IDE_SECTOR_SIZE	  512U
#define ATAPI_SECTOR_SIZE 2048U
/* Sectors per DRQ block for READ/WRITE MULTIPLE: the most IDENTIFY offers. */
#define IDE_MAX_MULTIPLE 16U
/*
 * One DRQ block: a whole READ/WRITE MULTIPLE block, or an ATAPI chunk (the
 * device may offer less than the host's byte count limit; libata reads the
 * count each time and SeaBIOS asks for 2048).
 */
#define IDE_BUF_SIZE	(IDE_MAX_MULTIPLE * IDE_SECTOR_SIZE)
#define ATAPI_CDB_SIZE	12U
#define ATAPI_RESP_SIZE 256U

/* What finishing the current DRQ block leads to. */
enum ide_xfer {
	XFER_NONE = 0,
	XFER_DATA_IN_LAST,  /* the last block of a data-in command */
	XFER_READ_SECTORS,  /* ATA read: fetch the next block or complete */
	XFER_WRITE_SECTORS, /* ATA write: store the block, ask for the next or complete */
	XFER_ATAPI_CDB,	    /* the 12-byte command packet arrived */
	XFER_ATAPI_DATA,    /* ATAPI data-in: the next chunk or completion */
	XFER_DMA_IN,	    /* ATA DMA read: buf[pos, end) goes to memory */
	XFER_DMA_OUT,	    /* ATA DMA write: buf[pos, end) comes from memory */
};

struct ide_drive {
	enum ide_media media;
	struct disk_image img;
	char serial[21];

	/* Registers: the current value and the previous one (LBA48's high-order byte). */
	uint8_t feature, nsector, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsector, hob_lbal, hob_lbam, hob_lbah;
	uint8_t device, status, error;

	/* ATA state. */
	unsigned mult_sectors; /* sectors per DRQ block for MULTIPLE commands, 0 = off */
	bool write_cache;
	unsigned heads, spt; /* INITIALIZE DEVICE PARAMETERS geometry, for CHS addressing */
	uint8_t xfer_mode;   /* the DMA mode SET FEATURES chose (0x20-0x22, 0x40-0x45), or 0 */

	/* The running command's transfer. */
	enum ide_xfer xfer;
	bool to_device;		/* DRQ block direction: the guest writes the data port */
	unsigned pos, end;	/* within buf */
	uint64_t next_lba;	/* ATA: the next sector to transfer */
	uint64_t left;		/* ATA: sectors still to transfer; ATAPI: bytes */
	unsigned block_sectors; /* ATA: sectors per DRQ block */

	/* ATAPI state. */
	uint16_t byte_limit; /* the PACKET command's byte count limit */
	uint64_t atapi_off;  /* next byte of a READ in the image, or of resp */
	bool atapi_from_image;
	uint8_t sense_key, asc, ascq;
	bool locked; /* PREVENT ALLOW MEDIUM REMOVAL */
	uint8_t resp[ATAPI_RESP_SIZE];

	uint8_t buf[IDE_BUF_SIZE];
};

struct ide_channel {
	pthread_mutex_t lock;
	struct ide_drive drive[2];
	unsigned cur; /* the selected device */
	uint8_t devctl;
	bool intrq; /* the selected device's INTRQ, before nIEN */
	bool irq_level;
	void (*set_irq)(void *opaque, unsigned channel, bool level);
	void *irq_opaque;
	unsigned index; /* passed back to set_irq */
	struct ide_bmdma bm;
};

void ide_channel_init(struct ide_channel *ch, unsigned index,
		      void (*set_irq)(void *opaque, unsigned channel, bool level), void *opaque);
void ide_channel_destroy(struct ide_channel *ch);
/*
 * Put a device at unit 0 (master) or 1 (slave).  A CD-ROM is always
 * read-only.  Before the guest runs.  0 or -errno (the image's message
 * names the file).
 */
int ide_channel_attach(struct ide_channel *ch, unsigned unit, enum ide_media media,
		       const char *path, bool readonly);
/*
 * Take the disk at unit away while the guest runs (a PV unplug): under
 * the channel lock, so no register access or DMA runs meanwhile, a
 * command under way is abandoned (a PIO block not yet complete is never
 * written; a waiting DMA stops the engine with its error bit), the image
 * is flushed and closed, and the unit then answers as an empty one.
 * Only IDE_DISK units; anything else, or a second call, is a no-op
 * returning 0.  Returns 0 or the flush's -errno (the disk is detached
 * anyway).  Any thread.
 */
int ide_channel_detach_disk(struct ide_channel *ch, unsigned unit);
/* Bus handlers: the command block (offset 0-7) and the control block (offset 0). */
void ide_cmd_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void ide_ctl_io(void *channel, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* ---- Between the channel and the command sets (lock held) ---- */

/* End the command: status, error, INTRQ. */
void ide_complete(struct ide_channel *ch, struct ide_drive *d, uint8_t error);
static inline void ide_abort(struct ide_channel *ch, struct ide_drive *d)
{
	ide_complete(ch, d, ATA_ER_ABRT);
}
/* Offer buf[0, len) to the guest (or ask for len bytes); irq: raise INTRQ now. */
void ide_start_pio(struct ide_channel *ch, struct ide_drive *d, unsigned len, bool to_device,
		   enum ide_xfer xfer, bool irq);
/* Start a DMA data transfer for the selected device; the command set fills buf. */
void ide_start_dma(struct ide_channel *ch, struct ide_drive *d, bool to_device);
void ide_raise_irq(struct ide_channel *ch);
/* The reset signature (and status) of a device. */
void ide_set_signature(struct ide_drive *d);
/* Store IDENTIFY word `word` (little-endian) in a 512-byte IDENTIFY buffer. */
void ide_put_id(uint8_t *buf, unsigned word, uint16_t v);
/* IDENTIFY's serial number, firmware revision and model, as ATA strings are stored. */
void ide_put_id_strings(uint8_t *buf, const char *serial, const char *model);

/* ata_disk.c */
void ata_disk_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd);
void ata_disk_xfer_done(struct ide_channel *ch, struct ide_drive *d);
/* DMA: buf[0, end) was moved; store it (a write) and refill, or complete. */
void ata_disk_dma_block(struct ide_channel *ch, struct ide_drive *d);

/* atapi_cdrom.c */
void atapi_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd);
void atapi_xfer_done(struct ide_channel *ch, struct ide_drive *d);

#endif
