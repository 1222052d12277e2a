/* SPDX-License-Identifier: MIT */
/*
 * An ATAPI CD-ROM on an IDE channel: the PACKET protocol (command packet,
 * data in chunks no larger than the host's byte count limit, completion)
 * and the SCSI MMC commands SeaBIOS's El Torito boot (src/cdrom.c,
 * src/hw/blockcmd.c) and Linux's sr and libata use.  The medium is the
 * image, read-only, in 2048-byte sectors, always present.  Any other
 * command gets CHECK CONDITION with ILLEGAL REQUEST sense.
 */
#include "devices/ide.h"
#include "lib/util.h"

#include <string.h>

enum {
	CMD_DEVICE_RESET = 0x08,
	CMD_PACKET = 0xa0,
	CMD_IDENTIFY_PACKET = 0xa1,
	CMD_STANDBY_IMMEDIATE = 0xe0,
	CMD_IDLE = 0xe3,
	CMD_CHECK_POWER_MODE = 0xe5,
	CMD_IDENTIFY_DEVICE = 0xec,
	CMD_SET_FEATURES = 0xef,
};

enum {
	SCSI_TEST_UNIT_READY = 0x00,
	SCSI_REQUEST_SENSE = 0x03,
	SCSI_INQUIRY = 0x12,
	SCSI_START_STOP_UNIT = 0x1b,
	SCSI_PREVENT_ALLOW = 0x1e,
	SCSI_READ_CAPACITY = 0x25,
	SCSI_READ_10 = 0x28,
	SCSI_READ_TOC = 0x43,
	SCSI_GET_CONFIGURATION = 0x46,
	SCSI_GET_EVENT_STATUS = 0x4a,
	SCSI_MODE_SENSE_10 = 0x5a,
	SCSI_READ_12 = 0xa8,
};

#define SENSE_NOT_READY	      0x02
#define SENSE_MEDIUM_ERROR    0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_SAVING_PARAMS     0x39
#define ASC_REMOVAL_PREVENTED 0x53
#define ASC_UNRECOVERED_READ  0x11
#define PROFILE_CD_ROM	      0x0008
#define LEAD_OUT	      0xaa

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint64_t cd_sectors(const struct ide_drive *d)
{
	return d->img.size / ATAPI_SECTOR_SIZE;
}

/* ---- Phases of the PACKET protocol ---- */

/* Status phase: interrupt reason I/O and C/D both set. */
static void finish(struct ide_channel *ch, struct ide_drive *d)
{
	ide_complete(ch, d, 0);
	d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
}

static void check_condition(struct ide_channel *ch, struct ide_drive *d, uint8_t key, uint8_t asc)
{
	d->sense_key = key;
	d->asc = asc;
	d->ascq = 0;
	ide_complete(ch, d, (uint8_t)(key << 4 | ATA_ER_ABRT));
	d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
}

static void illegal(struct ide_channel *ch, struct ide_drive *d, uint8_t asc)
{
	check_condition(ch, d, SENSE_ILLEGAL_REQUEST, asc);
}

/* Offer the next chunk of data, at most the byte count limit, or finish. */
static void next_chunk(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned chunk;

	if (d->left == 0) {
		finish(ch, d);
		return;
	}
	chunk = d->byte_limit < IDE_BUF_SIZE ? d->byte_limit : IDE_BUF_SIZE;
	if (d->left < chunk)
		chunk = (unsigned)d->left;
	if (d->atapi_from_image) {
		if (disk_image_read(&d->img, d->buf, d->atapi_off, chunk)) {
			check_condition(ch, d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ);
			return;
		}
	} else {
		memcpy(d->buf, d->resp + d->atapi_off, chunk);
	}
	d->atapi_off += chunk;
	d->left -= chunk;
	ide_start_pio(ch, d, chunk, false, XFER_ATAPI_DATA, true);
	d->nsector = ATAPI_IR_IO;
	d->lbam = (uint8_t)chunk;
	d->lbah = (uint8_t)(chunk >> 8);
}

/* Send len bytes of d->resp, cut to the host's allocation length. */
static void reply(struct ide_channel *ch, struct ide_drive *d, unsigned len, unsigned alloc)
{
	d->atapi_from_image = false;
	d->atapi_off = 0;
	d->left = len < alloc ? len : alloc;
	next_chunk(ch, d);
}

/* ---- SCSI commands ---- */

static void request_sense(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	uint8_t *r = d->resp;

	memset(r, 0, 18);
	r[0] = 0x70; /* current error, fixed format */
	r[2] = d->sense_key;
	r[7] = 10;
	r[12] = d->asc;
	r[13] = d->ascq;
	d->sense_key = d->asc = d->ascq = 0;
	reply(ch, d, 18, cdb[4]);
}

static void inquiry(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	uint8_t *r = d->resp;

	if (cdb[1] & 1) { /* no vital product data pages */
		illegal(ch, d, ASC_INVALID_FIELD);
		return;
	}
	memset(r, 0, 36);
	r[0] = 0x05; /* CD/DVD device */
	r[1] = 0x80; /* removable */
	r[3] = 0x21; /* ATAPI, response data format 1 */
	r[4] = 36 - 5;
	static const char vendor[8] = "XKVM    ", product[16] = "CD-ROM          ",
			  revision[4] = "1.0 ";

	memcpy(r + 8, vendor, sizeof(vendor));
	memcpy(r + 16, product, sizeof(product));
	memcpy(r + 32, revision, sizeof(revision));
	reply(ch, d, 36, get_be16(cdb + 3));
}

static void read_capacity(struct ide_channel *ch, struct ide_drive *d)
{
	uint64_t n = cd_sectors(d);
	uint32_t last = n == 0 ? 0 : (n - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(n - 1));

	put_be32(d->resp, last);
	put_be32(d->resp + 4, ATAPI_SECTOR_SIZE);
	reply(ch, d, 8, 8);
}

static void read_sectors(struct ide_channel *ch, struct ide_drive *d, uint32_t lba, uint32_t count)
{
	if (!range_ok(lba, count, cd_sectors(d))) {
		illegal(ch, d, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	d->atapi_from_image = true;
	d->atapi_off = (uint64_t)lba * ATAPI_SECTOR_SIZE;
	d->left = (uint64_t)count * ATAPI_SECTOR_SIZE;
	next_chunk(ch, d);
}

/* Page 0x01 (read error recovery) and 0x2a (capabilities); changeable values all 0. */
static unsigned mode_page(struct ide_drive *d, uint8_t *p, uint8_t page, bool changeable)
{
	unsigned len = page == 0x01 ? 8 : 22;

	memset(p, 0, len);
	p[0] = page;
	p[1] = (uint8_t)(len - 2);
	if (changeable)
		return len;
	if (page == 0x01) {
		p[3] = 5; /* read retry count */
		return len;
	}
	p[6] = 0x29 | (d->locked ? 0x02 : 0); /* tray, eject, lock (and its state) */
	put_be16(p + 8, 706);		      /* maximum speed, kB/s (obsolete) */
	put_be16(p + 12, 512);		      /* buffer, KiB */
	put_be16(p + 14, 706);		      /* current speed */
	return len;
}

static void mode_sense(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
	unsigned len = 8;

	if (pc == 3) {
		illegal(ch, d, ASC_SAVING_PARAMS);
		return;
	}
	if (page != 0x01 && page != 0x2a && page != 0x3f) {
		illegal(ch, d, ASC_INVALID_FIELD);
		return;
	}
	memset(d->resp, 0, 8);
	if (page == 0x01 || page == 0x3f)
		len += mode_page(d, d->resp + len, 0x01, pc == 1);
	if (page == 0x2a || page == 0x3f)
		len += mode_page(d, d->resp + len, 0x2a, pc == 1);
	put_be16(d->resp, (uint16_t)(len - 2));
	reply(ch, d, len, get_be16(cdb + 7));
}

/* One TOC track descriptor: LBA or MSF (with the 2-second lead-in). */
static unsigned toc_entry(uint8_t *p, uint8_t track, uint64_t lba, bool msf)
{
	memset(p, 0, 8);
	p[1] = 0x14; /* Q sub-channel position, data track */
	p[2] = track;
	if (msf) {
		uint64_t f = lba + 150;

		p[5] = (uint8_t)(f / (75UL * 60));
		p[6] = (uint8_t)(f / 75 % 60);
		p[7] = (uint8_t)(f % 75);
	} else {
		put_be32(p + 4, lba > UINT32_MAX ? UINT32_MAX : (uint32_t)lba);
	}
	return 8;
}

static void read_toc(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	bool msf = cdb[1] & 2;
	uint8_t format = cdb[2] & 0x0f, start = cdb[6];
	unsigned len = 4;

	if (format == 0) {
		if (start > 1 && start != LEAD_OUT) {
			illegal(ch, d, ASC_INVALID_FIELD);
			return;
		}
		if (start <= 1)
			len += toc_entry(d->resp + len, 1, 0, msf);
		len += toc_entry(d->resp + len, LEAD_OUT, cd_sectors(d), msf);
	} else if (format == 1) { /* session information: one session */
		len += toc_entry(d->resp + len, 1, 0, msf);
	} else {
		illegal(ch, d, ASC_INVALID_FIELD);
		return;
	}
	put_be16(d->resp, (uint16_t)(len - 2));
	d->resp[2] = 1; /* first track or session */
	d->resp[3] = 1; /* last */
	reply(ch, d, len, get_be16(cdb + 7));
}

/* A feature descriptor of GET CONFIGURATION; 0 when rt/start leave it out. */
static unsigned feature(uint8_t *p, uint16_t code, uint8_t version, const uint8_t *data, unsigned n,
			uint8_t rt, uint16_t start)
{
	if (rt == 2 ? code != start : code < start)
		return 0;
	put_be16(p, code);
	p[2] = (uint8_t)(version << 2 | 0x03); /* persistent, current */
	p[3] = (uint8_t)n;
	memcpy(p + 4, data, n);
	return 4 + n;
}

static void get_configuration(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	static const uint8_t profiles[] = {0x00, 0x08, 0x01, 0x00}; /* CD-ROM, current */
	static const uint8_t core[] = {0, 0, 0, 2, 0, 0, 0, 0};	    /* ATAPI interface */
	static const uint8_t removable[] = {0x29, 0, 0, 0};	    /* tray, eject, lock */
	uint8_t rt = cdb[1] & 3, *r = d->resp;
	uint16_t start = get_be16(cdb + 2);
	unsigned len = 8;

	if (rt == 3) {
		illegal(ch, d, ASC_INVALID_FIELD);
		return;
	}
	memset(r, 0, 8);
	put_be16(r + 6, PROFILE_CD_ROM);
	len += feature(r + len, 0x0000, 0, profiles, sizeof(profiles), rt, start);
	len += feature(r + len, 0x0001, 2, core, sizeof(core), rt, start);
	len += feature(r + len, 0x0003, 0, removable, sizeof(removable), rt, start);
	put_be32(r, len - 4);
	reply(ch, d, len, get_be16(cdb + 7));
}

static void get_event_status(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	uint8_t *r = d->resp;
	unsigned len = 4;

	if (!(cdb[1] & 1)) { /* only polled operation */
		illegal(ch, d, ASC_INVALID_FIELD);
		return;
	}
	memset(r, 0, 8);
	r[3] = 0x10; /* supported: media class */
	if (cdb[4] & 0x10) {
		r[2] = 0x04; /* media class, event available */
		r[5] = 0x02; /* no change, media present, door closed */
		len = 8;
	} else {
		r[2] = 0x80; /* no event available */
	}
	put_be16(r, (uint16_t)(len - 2));
	reply(ch, d, len, get_be16(cdb + 7));
}

static void start_stop(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	bool eject = (cdb[4] & 0x03) == 0x02;

	/* The medium stays (no media change yet); a locked tray refuses to open. */
	if (eject && d->locked)
		illegal(ch, d, ASC_REMOVAL_PREVENTED);
	else
		finish(ch, d);
}

static void scsi_command(struct ide_channel *ch, struct ide_drive *d, const uint8_t *cdb)
{
	if (cdb[0] != SCSI_REQUEST_SENSE)
		d->sense_key = d->asc = d->ascq = 0;
	switch (cdb[0]) {
	case SCSI_TEST_UNIT_READY:
		finish(ch, d);
		break;
	case SCSI_REQUEST_SENSE:
		request_sense(ch, d, cdb);
		break;
	case SCSI_INQUIRY:
		inquiry(ch, d, cdb);
		break;
	case SCSI_READ_CAPACITY:
		read_capacity(ch, d);
		break;
	case SCSI_READ_10:
		read_sectors(ch, d, get_be32(cdb + 2), get_be16(cdb + 7));
		break;
	case SCSI_READ_12:
		read_sectors(ch, d, get_be32(cdb + 2), get_be32(cdb + 6));
		break;
	case SCSI_MODE_SENSE_10:
		mode_sense(ch, d, cdb);
		break;
	case SCSI_READ_TOC:
		read_toc(ch, d, cdb);
		break;
	case SCSI_GET_CONFIGURATION:
		get_configuration(ch, d, cdb);
		break;
	case SCSI_GET_EVENT_STATUS:
		get_event_status(ch, d, cdb);
		break;
	case SCSI_START_STOP_UNIT:
		start_stop(ch, d, cdb);
		break;
	case SCSI_PREVENT_ALLOW:
		d->locked = cdb[4] & 1;
		finish(ch, d);
		break;
	default:
		illegal(ch, d, ASC_INVALID_OPCODE);
		break;
	}
}

void atapi_xfer_done(struct ide_channel *ch, struct ide_drive *d)
{
	uint8_t cdb[ATAPI_CDB_SIZE];

	if (d->xfer == XFER_ATAPI_DATA) {
		next_chunk(ch, d);
		return;
	}
	/* Copy the packet out first: the response is built in the same buffer. */
	memcpy(cdb, d->buf, sizeof(cdb));
	scsi_command(ch, d, cdb);
}

/* ---- ATA commands a packet device accepts ---- */

static void identify_packet(struct ide_drive *d)
{
	uint8_t *buf = d->buf;

	memset(buf, 0, IDE_SECTOR_SIZE);
	/* ATAPI, CD-ROM, removable, DRQ within 50us of PACKET, 12-byte packets. */
	ide_put_id(buf, 0, 0x85c0);
	ide_put_id_strings(buf, d->serial, "XKVM CD-ROM");
	ide_put_id(buf, 49, 1 << 9 | 1 << 11); /* LBA, IORDY; no DMA */
	ide_put_id(buf, 53, 0x0002);	       /* words 64-70 valid */
	ide_put_id(buf, 64, 0x0003);	       /* PIO modes 3 and 4 */
	ide_put_id(buf, 65, 120);
	ide_put_id(buf, 66, 120);
	ide_put_id(buf, 67, 120);
	ide_put_id(buf, 68, 120);
	ide_put_id(buf, 80, 0x00f0);
	ide_put_id(buf, 82, (uint16_t)(1 << 14 | 1 << 9 | 1 << 4)); /* NOP, DEVICE RESET, PACKET */
	ide_put_id(buf, 83, 1 << 14);
	ide_put_id(buf, 84, 1 << 14);
	ide_put_id(buf, 85, (uint16_t)(1 << 14 | 1 << 9 | 1 << 4));
	ide_put_id(buf, 87, 1 << 14);
	ide_put_id(buf, 93, 0x4009);
}

static void packet(struct ide_channel *ch, struct ide_drive *d)
{
	if (d->feature & 1) { /* DMA: there is no bus master */
		ide_abort(ch, d);
		d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
		return;
	}
	/* The byte count limit: even, and 0 (meaningless for data) taken as the largest. */
	d->byte_limit = (uint16_t)(d->lbah << 8 | d->lbam) & 0xfffe;
	if (d->byte_limit == 0)
		d->byte_limit = 0xfffe;
	ide_start_pio(ch, d, ATAPI_CDB_SIZE, true, XFER_ATAPI_CDB, false);
	d->nsector = ATAPI_IR_COD;
}

void atapi_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case CMD_PACKET:
		packet(ch, d);
		break;
	case CMD_IDENTIFY_PACKET:
		identify_packet(d);
		ide_start_pio(ch, d, IDE_SECTOR_SIZE, false, XFER_DATA_IN_LAST, true);
		break;
	case CMD_DEVICE_RESET:
		/* Completes without an interrupt, the signature in place. */
		ide_set_signature(d);
		break;
	case CMD_SET_FEATURES:
		if (d->feature == 0x03 && d->nsector > 0x01 &&
		    (d->nsector < 0x08 || d->nsector > 0x0c))
			ide_abort(ch, d);
		else
			ide_complete(ch, d, 0);
		break;
	case CMD_CHECK_POWER_MODE:
		ide_complete(ch, d, 0);
		d->nsector = 0xff;
		break;
	default:
		if (cmd >= CMD_STANDBY_IMMEDIATE && cmd <= CMD_IDLE) {
			ide_complete(ch, d, 0);
			break;
		}
		/* IDENTIFY DEVICE included: abort, the packet signature telling what we are. */
		ide_set_signature(d);
		ide_abort(ch, d);
		break;
	}
}
