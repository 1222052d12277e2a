/* SPDX-License-Identifier: MIT */
/*
 * PIIX3 IDE through its ports, as SeaBIOS and libata drive it: a disk
 * image and a CD-ROM image in files, every ATA and SCSI command the
 * device serves, and the hostile cases (bad counts, LBAs past the end,
 * transfers longer than declared, writes to a read-only image), and
 * bus-master DMA through PRD tables in a guest RAM of our own, hostile
 * tables included.
 */
#include "core/memory.h"
#include "devices/piix_ide.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISK_SECTORS 1024ULL
#define CD_SECTORS   16ULL
#define SECT	     ((size_t)512)
#define CD_SECT	     2048U
#define RAM_SIZE     (4ULL << 20)

struct fixture {
	struct guest_memory mem;
	struct piix_ide *ide;
	char disk_path[64], cd_path[64];
	bool irq[2];
	unsigned irq_raises[2];
};

static uint8_t disk_byte(uint64_t off)
{
	return (uint8_t)((off >> 9) * 31 + (off & 511) * 3 + 5);
}

static uint8_t cd_byte(uint64_t off)
{
	return (uint8_t)((off >> 11) * 17 + (off & 2047) + 1);
}

static void record_irq(void *opaque, unsigned channel, bool level)
{
	struct fixture *f = opaque;

	assert_true(channel < 2);
	assert_true(f->irq[channel] != level);
	f->irq[channel] = level;
	if (level)
		f->irq_raises[channel]++;
}

static int make_image(char *path, size_t cap, uint64_t size, uint8_t (*fill)(uint64_t))
{
	uint8_t *buf = malloc(size);
	int fd, ret = -1;

	snprintf(path, cap, "%s/xkvm-ide-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	fd = mkstemp(path);
	if (buf && fd >= 0) {
		for (uint64_t i = 0; i < size; i++)
			buf[i] = fill(i);
		ret = write_all(fd, buf, size) ? -1 : 0;
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || make_image(f->disk_path, sizeof(f->disk_path), DISK_SECTORS * SECT, disk_byte) ||
	    make_image(f->cd_path, sizeof(f->cd_path), CD_SECTORS * CD_SECT, cd_byte) ||
	    guest_memory_map(&f->mem, RAM_SIZE))
		return -1;
	f->ide = piix_ide_create(&f->mem, record_irq, f);
	if (!f->ide || piix_ide_attach(f->ide, 0, 0, IDE_DISK, f->disk_path, false) ||
	    piix_ide_attach(f->ide, 1, 0, IDE_CDROM, f->cd_path, false))
		return -1;
	f->ide->pci.config[PCI_COMMAND] |= PCI_COMMAND_MASTER; /* as ata_piix's pci_set_master */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	piix_ide_destroy(f->ide);
	guest_memory_unmap(&f->mem);
	unlink(f->disk_path);
	unlink(f->cd_path);
	free(f);
	return 0;
}

/* ---- Port access, as the guest sees it ---- */

static void outb(struct fixture *f, unsigned c, unsigned reg, uint8_t v)
{
	ide_cmd_io(&f->ide->ch[c], reg, &v, 1, true);
}

static uint8_t inb(struct fixture *f, unsigned c, unsigned reg)
{
	uint8_t v = 0;

	ide_cmd_io(&f->ide->ch[c], reg, &v, 1, false);
	return v;
}

static void ctl(struct fixture *f, unsigned c, uint8_t v)
{
	ide_ctl_io(&f->ide->ch[c], 0, &v, 1, true);
}

static uint8_t altstatus(struct fixture *f, unsigned c)
{
	uint8_t v = 0;

	ide_ctl_io(&f->ide->ch[c], 0, &v, 1, false);
	return v;
}

static void read_data(struct fixture *f, unsigned c, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		ide_cmd_io(&f->ide->ch[c], IDE_REG_DATA, (uint8_t *)buf + i, 2, false);
}

static void write_data(struct fixture *f, unsigned c, const void *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 2) {
		uint8_t w[2];

		memcpy(w, (const uint8_t *)buf + i, 2);
		ide_cmd_io(&f->ide->ch[c], IDE_REG_DATA, w, 2, true);
	}
}

/* The task file of a command that is not LBA48: device, count, then address bytes low to high. */
struct task_file {
	uint8_t device, count, addr[3];
};

static void issue(struct fixture *f, unsigned c, struct task_file tf, uint8_t cmd)
{
	outb(f, c, IDE_REG_DEVICE, tf.device);
	outb(f, c, IDE_REG_NSECTOR, tf.count);
	outb(f, c, IDE_REG_LBAL, tf.addr[0]);
	outb(f, c, IDE_REG_LBAM, tf.addr[1]);
	outb(f, c, IDE_REG_LBAH, tf.addr[2]);
	outb(f, c, IDE_REG_STATUS_COMMAND, cmd);
}

/* An LBA28 command to channel 0's master. */
static void cmd28(struct fixture *f, uint8_t cmd, uint32_t lba, uint8_t count)
{
	issue(f, 0,
	      (struct task_file){(uint8_t)(0xe0 | ((lba >> 24) & 0xf)),
				 count,
				 {(uint8_t)lba, (uint8_t)(lba >> 8), (uint8_t)(lba >> 16)}},
	      cmd);
}

static void cmd48(struct fixture *f, uint8_t cmd, uint64_t lba, uint16_t count)
{
	outb(f, 0, IDE_REG_DEVICE, 0xe0);
	outb(f, 0, IDE_REG_NSECTOR, (uint8_t)(count >> 8));
	outb(f, 0, IDE_REG_LBAL, (uint8_t)(lba >> 24));
	outb(f, 0, IDE_REG_LBAM, (uint8_t)(lba >> 32));
	outb(f, 0, IDE_REG_LBAH, (uint8_t)(lba >> 40));
	outb(f, 0, IDE_REG_NSECTOR, (uint8_t)count);
	outb(f, 0, IDE_REG_LBAL, (uint8_t)lba);
	outb(f, 0, IDE_REG_LBAM, (uint8_t)(lba >> 8));
	outb(f, 0, IDE_REG_LBAH, (uint8_t)(lba >> 16));
	outb(f, 0, IDE_REG_STATUS_COMMAND, cmd);
}

static void nondata(struct fixture *f, uint8_t cmd, uint8_t feature, uint8_t count)
{
	outb(f, 0, IDE_REG_DEVICE, 0xa0);
	outb(f, 0, IDE_REG_ERROR_FEATURE, feature);
	outb(f, 0, IDE_REG_NSECTOR, count);
	outb(f, 0, IDE_REG_STATUS_COMMAND, cmd);
}

static void assert_aborted(struct fixture *f, unsigned c)
{
	uint8_t st = inb(f, c, IDE_REG_STATUS_COMMAND);

	assert_int_equal(st & (ATA_ST_ERR | ATA_ST_DRQ | ATA_ST_BSY), ATA_ST_ERR);
	assert_true(inb(f, c, IDE_REG_ERROR_FEATURE) & ATA_ER_ABRT);
}

static void assert_done(struct fixture *f, unsigned c)
{
	assert_int_equal(inb(f, c, IDE_REG_STATUS_COMMAND), ATA_ST_DRDY | ATA_ST_DSC);
}

static void assert_disk_data(const uint8_t *buf, uint64_t lba, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != disk_byte(lba * SECT + i))
			fail_msg("byte %zu of sector %llu differs", i, (unsigned long long)lba);
}

static uint16_t id_word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[(size_t)w * 2] | id[(size_t)w * 2 + 1] << 8);
}

/* ---- PCI function and probing ---- */

static void test_pci_identity(void **state)
{
	struct fixture *f = *state;
	struct pci_function *fn = &f->ide->pci;

	assert_int_equal(pci_config_get16(fn, PCI_VENDOR_ID), 0x8086);
	assert_int_equal(pci_config_get16(fn, PCI_DEVICE_ID), 0x7010);
	assert_int_equal(fn->config[PCI_CLASS_PROG], 0x80);
	assert_int_equal(pci_config_get16(fn, PCI_CLASS_DEVICE), 0x0101);
	/* ata_piix refuses a channel whose decode-enable bit is clear. */
	assert_int_equal(fn->config[0x41] & 0x80, 0x80);
	assert_int_equal(fn->config[0x43] & 0x80, 0x80);
	assert_int_equal(fn->wmask[0x40], 0xff);
	assert_int_equal(pci_config_get32(fn, PCI_BASE_ADDRESS_0 + 16), 0); /* no BAR4 */
}

/* libata's and SeaBIOS's device check: 0x55/0xaa must read back from a present device. */
static bool devchk(struct fixture *f, unsigned c, unsigned unit)
{
	outb(f, c, IDE_REG_DEVICE, unit ? 0xb0 : 0xa0);
	outb(f, c, IDE_REG_NSECTOR, 0x55);
	outb(f, c, IDE_REG_LBAL, 0xaa);
	return inb(f, c, IDE_REG_NSECTOR) == 0x55 && inb(f, c, IDE_REG_LBAL) == 0xaa;
}

static void test_probe_absent_devices(void **state)
{
	struct fixture *f = *state;
	struct piix_ide *empty = piix_ide_create(&f->mem, record_irq, f);

	assert_true(devchk(f, 0, 0));
	assert_false(devchk(f, 0, 1));
	/* An absent device 1 beside a present device 0: status 0, not busy. */
	assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND), 0);
	assert_int_equal(altstatus(f, 0), 0);
	outb(f, 0, IDE_REG_STATUS_COMMAND, 0xec); /* nobody takes it */
	assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND), 0);
	assert_false(f->irq[0]);
	/* A channel with no device floats at 0x7f. */
	assert_non_null(empty);
	for (unsigned reg = 1; reg < IDE_NR_CMD_REGS; reg++) {
		uint8_t v = 0;

		ide_cmd_io(&empty->ch[0], reg, &v, 1, false);
		assert_int_equal(v, 0x7f);
	}
	piix_ide_destroy(empty);
}

static void test_signatures_after_srst(void **state)
{
	struct fixture *f = *state;

	ctl(f, 0, ATA_DC_SRST);
	assert_int_equal(altstatus(f, 0) & ATA_ST_BSY, ATA_ST_BSY);
	ctl(f, 0, 0);
	ctl(f, 1, ATA_DC_SRST);
	ctl(f, 1, 0);
	assert_int_equal(inb(f, 0, IDE_REG_NSECTOR), 1);
	assert_int_equal(inb(f, 0, IDE_REG_LBAL), 1);
	assert_int_equal(inb(f, 0, IDE_REG_LBAM), 0);
	assert_int_equal(inb(f, 0, IDE_REG_LBAH), 0);
	assert_int_equal(inb(f, 0, IDE_REG_ERROR_FEATURE), 1);
	assert_done(f, 0);
	assert_int_equal(inb(f, 1, IDE_REG_LBAM), 0x14);
	assert_int_equal(inb(f, 1, IDE_REG_LBAH), 0xeb);
	/* Reset cancels a transfer under way. */
	cmd28(f, 0x20, 0, 1);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	ctl(f, 0, ATA_DC_SRST);
	ctl(f, 0, 0);
	assert_done(f, 0);
}

static void test_execute_diagnostic(void **state)
{
	struct fixture *f = *state;

	cmd28(f, 0x90, 0x123456, 7);
	assert_true(f->irq[0]);
	assert_int_equal(inb(f, 0, IDE_REG_ERROR_FEATURE), 0x01);
	assert_int_equal(inb(f, 0, IDE_REG_NSECTOR), 1);
	assert_int_equal(inb(f, 0, IDE_REG_LBAM), 0);
	assert_done(f, 0);
	assert_false(f->irq[0]);
}

/* ---- ATA disk ---- */

static void test_identify(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECT];
	char model[41];

	nondata(f, 0xec, 0, 0);
	assert_true(f->irq[0]);
	assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
	read_data(f, 0, id, sizeof(id));
	assert_done(f, 0);
	assert_int_equal(id_word(id, 0) & 0x8000, 0); /* ATA */
	for (unsigned i = 0; i < 20; i++) {
		model[(size_t)i * 2] = (char)id[(size_t)(27 + i) * 2 + 1];
		model[(size_t)i * 2 + 1] = (char)id[(size_t)(27 + i) * 2];
	}
	model[40] = 0;
	assert_memory_equal(model, "XKVM HARDDISK ", 14);
	assert_int_equal(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, DISK_SECTORS);
	assert_int_equal(id_word(id, 100) | (uint32_t)id_word(id, 101) << 16, DISK_SECTORS);
	assert_int_equal(id_word(id, 47) & 0xff, IDE_MAX_MULTIPLE);
	assert_true(id_word(id, 49) & (1 << 9));		/* LBA */
	assert_true(id_word(id, 49) & (1 << 8));		/* DMA */
	assert_true(id_word(id, 53) & (1 << 2));		/* word 88 valid */
	assert_int_equal(id_word(id, 63), 0x0007);		/* MWDMA 0-2, none chosen */
	assert_int_equal(id_word(id, 88), 0x003f);		/* UDMA 0-5, none chosen */
	assert_true(id_word(id, 83) & (1 << 10));		/* LBA48 */
	assert_true(id_word(id, 83) & (1 << 12));		/* FLUSH CACHE */
	assert_true(id_word(id, 85) & (1 << 5));		/* write cache on */
	assert_int_equal(id_word(id, 64) & 3, 3);		/* PIO 3, 4 */
	assert_int_not_equal(id_word(id, 93) & 0xdf61, 0x4041); /* SeaBIOS probes device 1 */
}

static void test_read_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[3 * SECT];

	cmd28(f, 0x20, 100, 3);
	for (unsigned i = 0; i < 3; i++) {
		/* Each block: INTRQ and DRQ; reading status acknowledges. */
		assert_true(f->irq[0]);
		assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND) & ATA_ST_DRQ, ATA_ST_DRQ);
		assert_false(f->irq[0]);
		read_data(f, 0, buf + i * SECT, SECT);
	}
	assert_false(f->irq[0]); /* no interrupt after the last data-in block */
	assert_done(f, 0);
	assert_disk_data(buf, 100, sizeof(buf));
}

static void test_read_256_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t *buf = malloc(256 * SECT);

	assert_non_null(buf);
	cmd28(f, 0x21, 500, 0); /* count 0 means 256 */
	for (unsigned i = 0; i < 256; i++) {
		assert_true(altstatus(f, 0) & ATA_ST_DRQ);
		read_data(f, 0, buf + i * SECT, SECT);
	}
	assert_done(f, 0);
	assert_disk_data(buf, 500, 256 * SECT);
	free(buf);
}

static void test_read_ext_hob(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECT];

	cmd48(f, 0x24, DISK_SECTORS - 1, 1);
	read_data(f, 0, buf, SECT);
	assert_done(f, 0);
	assert_disk_data(buf, DISK_SECTORS - 1, SECT);
	/* HOB reads back the previous bytes. */
	ctl(f, 0, ATA_DC_HOB);
	assert_int_equal(inb(f, 0, IDE_REG_NSECTOR), 0);
	ctl(f, 0, 0);
	/* The high bytes count: sector 2^24 + 5 is far past this disk. */
	cmd48(f, 0x24, (1ULL << 24) + 5, 1);
	assert_aborted(f, 0);
	cmd48(f, 0x24, 0xffffffffffffULL, 0xffff);
	assert_aborted(f, 0);
}

static void test_write_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t out[2 * SECT], back[2 * SECT];
	FILE *fp;

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i ^ 0x5a);
	cmd48(f, 0x34, 7, 2);
	/* The first block is asked for without an interrupt. */
	assert_false(f->irq[0]);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	write_data(f, 0, out, SECT);
	assert_true(f->irq[0]);
	assert_true(inb(f, 0, IDE_REG_STATUS_COMMAND) & ATA_ST_DRQ);
	write_data(f, 0, out + SECT, SECT);
	assert_true(f->irq[0]);
	assert_done(f, 0);
	fp = fopen(f->disk_path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 7 * SECT, SEEK_SET), 0);
	assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
	fclose(fp);
	assert_memory_equal(back, out, sizeof(out));
}

static void test_multiple(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8 * SECT], id[SECT];

	cmd28(f, 0xc4, 0, 8); /* READ MULTIPLE before SET MULTIPLE MODE */
	assert_aborted(f, 0);
	nondata(f, 0xc6, 0, 3); /* not a power of two */
	assert_aborted(f, 0);
	nondata(f, 0xc6, 0, 32); /* more than IDENTIFY offers */
	assert_aborted(f, 0);
	nondata(f, 0xc6, 0, 4);
	assert_done(f, 0);
	nondata(f, 0xec, 0, 0);
	read_data(f, 0, id, sizeof(id));
	assert_int_equal(id_word(id, 59), 0x0104);
	/* 8 sectors in two DRQ blocks of 4; a last partial block of 2 after 10. */
	cmd28(f, 0xc4, 40, 8);
	read_data(f, 0, buf, 4 * SECT);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	read_data(f, 0, buf + 4 * SECT, 4 * SECT);
	assert_done(f, 0);
	assert_disk_data(buf, 40, sizeof(buf));
	cmd48(f, 0x29, 50, 6);
	read_data(f, 0, buf, 4 * SECT);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	read_data(f, 0, buf + 4 * SECT, 2 * SECT);
	assert_done(f, 0);
	assert_disk_data(buf, 50, 6 * SECT);
	/* WRITE MULTIPLE (EXT) store whole blocks. */
	cmd28(f, 0xc5, 60, 4);
	write_data(f, 0, buf, 4 * SECT);
	assert_done(f, 0);
	cmd48(f, 0x39, 64, 4);
	write_data(f, 0, buf, 4 * SECT);
	assert_done(f, 0);
}

static void test_bad_ranges(void **state)
{
	struct fixture *f = *state;

	cmd28(f, 0x20, DISK_SECTORS, 1); /* just past the end */
	assert_aborted(f, 0);
	cmd28(f, 0x20, DISK_SECTORS - 1, 2); /* crossing the end */
	assert_aborted(f, 0);
	cmd28(f, 0x30, 0x0fffffff, 0); /* 256 sectors from the LBA28 limit */
	assert_aborted(f, 0);
	cmd28(f, 0x20, DISK_SECTORS - 100, 0); /* count 0 = 256: crosses the end */
	assert_aborted(f, 0);
	cmd28(f, 0x40, DISK_SECTORS, 1); /* READ VERIFY */
	assert_aborted(f, 0);
	cmd48(f, 0x42, DISK_SECTORS - 1, 2);
	assert_aborted(f, 0);
	cmd28(f, 0x40, 0, 8);
	assert_done(f, 0);
	cmd48(f, 0x42, DISK_SECTORS - 1, 1);
	assert_done(f, 0);
	/* CHS: sector 0 does not exist; a head past the geometry neither. */
	outb(f, 0, IDE_REG_DEVICE, 0xa0);
	outb(f, 0, IDE_REG_NSECTOR, 1);
	outb(f, 0, IDE_REG_LBAL, 0);
	outb(f, 0, IDE_REG_STATUS_COMMAND, 0x20);
	assert_aborted(f, 0);
}

static void test_chs_and_init_params(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECT];

	/* 4 heads, 8 sectors per track: C/H/S 1/2/3 is LBA (1*4+2)*8+2 = 50. */
	outb(f, 0, IDE_REG_DEVICE, 0xa3); /* heads = 3 + 1 */
	outb(f, 0, IDE_REG_NSECTOR, 8);
	outb(f, 0, IDE_REG_STATUS_COMMAND, 0x91);
	assert_done(f, 0);
	issue(f, 0, (struct task_file){0xa2, 1, {3, 1, 0}}, 0x20);
	read_data(f, 0, buf, SECT);
	assert_done(f, 0);
	assert_disk_data(buf, 50, SECT);
	nondata(f, 0x91, 0, 0); /* zero sectors per track */
	assert_aborted(f, 0);
}

static void test_readonly_disk(void **state)
{
	struct fixture *f = *state;
	struct piix_ide *ro = piix_ide_create(&f->mem, NULL, NULL);
	uint8_t zero[SECT] = {0}, back[SECT];
	FILE *fp;

	assert_non_null(ro);
	piix_ide_destroy(f->ide); /* release the write lock */
	f->ide = ro;
	assert_int_equal(piix_ide_attach(ro, 0, 0, IDE_DISK, f->disk_path, true), 0);
	cmd28(f, 0x30, 0, 1);
	assert_aborted(f, 0);
	write_data(f, 0, zero, SECT); /* nobody asked for it */
	assert_aborted(f, 0);
	fp = fopen(f->disk_path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
	fclose(fp);
	assert_disk_data(back, 0, SECT);
	/* The image lock: a second writer of the same image is refused. */
	assert_int_equal(piix_ide_attach(ro, 0, 1, IDE_DISK, f->disk_path, false), -EWOULDBLOCK);
	assert_int_equal(piix_ide_attach(ro, 0, 0, IDE_DISK, f->disk_path, true), -EBUSY);
	assert_int_equal(piix_ide_attach(ro, 2, 0, IDE_DISK, f->disk_path, true), -EINVAL);
	assert_int_equal(piix_ide_attach(ro, 0, 2, IDE_DISK, f->disk_path, true), -EINVAL);
}

/* Reading past what IDENTIFY or a READ declared: ABRT, and no byte from beyond. */
static void test_pio_longer_than_declared(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECT], extra[4] = {1, 2, 3, 4}, buf[SECT];

	nondata(f, 0xec, 0, 0);
	read_data(f, 0, id, sizeof(id));
	ide_cmd_io(&f->ide->ch[0], IDE_REG_DATA, extra, 4, false);
	assert_memory_equal(extra, "\1\2\3\4", 4); /* nothing read */
	assert_aborted(f, 0);
	/* A 4-byte access over the last 2 bytes takes only those. */
	cmd28(f, 0x20, 0, 1);
	read_data(f, 0, buf, SECT - 2);
	memset(extra, 0xee, sizeof(extra));
	ide_cmd_io(&f->ide->ch[0], IDE_REG_DATA, extra, 4, false);
	assert_int_equal(extra[0], disk_byte(SECT - 2));
	assert_int_equal(extra[2], 0xee);
	assert_done(f, 0);
	/* Writing data to a read command, or more than a write asked for. */
	cmd28(f, 0x20, 0, 1);
	write_data(f, 0, buf, 2);
	assert_aborted(f, 0);
	cmd28(f, 0x30, 0, 1);
	write_data(f, 0, buf, SECT);
	assert_done(f, 0);
	write_data(f, 0, buf, 2);
	assert_aborted(f, 0);
}

static void test_misc_commands(void **state)
{
	struct fixture *f = *state;

	nondata(f, 0xe7, 0, 0); /* FLUSH CACHE */
	assert_done(f, 0);
	nondata(f, 0xea, 0, 0); /* FLUSH CACHE EXT */
	assert_done(f, 0);
	nondata(f, 0xef, 0x03, 0x0c); /* SET FEATURES: PIO 4 */
	assert_done(f, 0);
	nondata(f, 0xef, 0x03, 0x46); /* UDMA 6: not offered */
	assert_aborted(f, 0);
	nondata(f, 0xef, 0x03, 0x23); /* MWDMA 3: not offered */
	assert_aborted(f, 0);
	nondata(f, 0xef, 0x82, 0); /* write cache off */
	assert_done(f, 0);
	assert_false(f->ide->ch[0].drive[0].write_cache);
	nondata(f, 0xef, 0x77, 0); /* unknown subcommand */
	assert_aborted(f, 0);
	for (uint8_t c = 0xe0; c <= 0xe3; c++) {
		nondata(f, c, 0, 0);
		assert_done(f, 0);
	}
	nondata(f, 0xe5, 0, 0);
	assert_done(f, 0);
	assert_int_equal(inb(f, 0, IDE_REG_NSECTOR), 0xff);
	nondata(f, 0x00, 0, 0); /* NOP always aborts */
	assert_aborted(f, 0);
	nondata(f, 0xa1, 0, 0); /* IDENTIFY PACKET DEVICE: not a packet device */
	assert_aborted(f, 0);
	nondata(f, 0xa0, 0, 0);
	assert_aborted(f, 0);
	cmd28(f, 0xc8, (uint32_t)DISK_SECTORS, 1); /* READ DMA past the end */
	assert_aborted(f, 0);
}

static void test_nien(void **state)
{
	struct fixture *f = *state;

	ctl(f, 0, ATA_DC_NIEN);
	nondata(f, 0xe7, 0, 0);
	assert_false(f->irq[0]);
	/* The pending interrupt shows when nIEN is cleared, until status is read. */
	ctl(f, 0, 0);
	assert_true(f->irq[0]);
	altstatus(f, 0);
	assert_true(f->irq[0]);
	inb(f, 0, IDE_REG_STATUS_COMMAND);
	assert_false(f->irq[0]);
}

/* ---- ATAPI CD-ROM ---- */

struct packet_result {
	uint8_t status, error, reason;
	size_t len;
};

/* Run one PACKET command on channel 1 with the given byte count limit; collect the data. */
static struct packet_result packet(struct fixture *f, const uint8_t *cdb, uint16_t limit,
				   uint8_t *buf, size_t cap)
{
	struct packet_result r = {0};
	uint8_t cmd[ATAPI_CDB_SIZE] = {0};

	memcpy(cmd, cdb, ATAPI_CDB_SIZE);
	outb(f, 1, IDE_REG_DEVICE, 0xa0);
	outb(f, 1, IDE_REG_ERROR_FEATURE, 0);
	outb(f, 1, IDE_REG_LBAM, (uint8_t)limit);
	outb(f, 1, IDE_REG_LBAH, (uint8_t)(limit >> 8));
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xa0);
	assert_true(altstatus(f, 1) & ATA_ST_DRQ);
	assert_int_equal(inb(f, 1, IDE_REG_NSECTOR), ATAPI_IR_COD);
	write_data(f, 1, cmd, sizeof(cmd));
	for (;;) {
		uint8_t st = inb(f, 1, IDE_REG_STATUS_COMMAND);
		size_t n;

		if (!(st & ATA_ST_DRQ))
			break;
		assert_int_equal(inb(f, 1, IDE_REG_NSECTOR), ATAPI_IR_IO);
		n = inb(f, 1, IDE_REG_LBAM) | (size_t)inb(f, 1, IDE_REG_LBAH) << 8;
		assert_true(n <= limit && r.len + n <= cap);
		read_data(f, 1, buf + r.len, n);
		r.len += n;
	}
	r.status = altstatus(f, 1);
	r.error = inb(f, 1, IDE_REG_ERROR_FEATURE);
	r.reason = inb(f, 1, IDE_REG_NSECTOR);
	return r;
}

static void assert_good(struct packet_result r)
{
	assert_int_equal(r.status, ATA_ST_DRDY | ATA_ST_DSC);
	assert_int_equal(r.reason, ATAPI_IR_IO | ATAPI_IR_COD);
}

static void assert_sense(struct fixture *f, struct packet_result r, uint8_t key, uint8_t asc)
{
	static const uint8_t rs[12] = {0x03, 0, 0, 0, 18};
	uint8_t sense[18] = {0};

	assert_true(r.status & ATA_ST_ERR);
	assert_int_equal(r.error >> 4, key);
	r = packet(f, rs, 18, sense, sizeof(sense));
	assert_good(r);
	assert_int_equal(r.len, 18);
	assert_int_equal(sense[2], key);
	assert_int_equal(sense[12], asc);
}

static void test_atapi_identify(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECT];

	outb(f, 1, IDE_REG_DEVICE, 0xa0);
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xec); /* IDENTIFY DEVICE: aborts, signature stays */
	assert_aborted(f, 1);
	assert_int_equal(inb(f, 1, IDE_REG_LBAM), 0x14);
	assert_int_equal(inb(f, 1, IDE_REG_LBAH), 0xeb);
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xa1);
	read_data(f, 1, id, sizeof(id));
	assert_int_equal(id_word(id, 0), 0x85c0);
	assert_int_equal((id_word(id, 0) >> 8) & 0x1f, 5); /* SeaBIOS: a CD */
	assert_int_equal(id_word(id, 0) & 3, 0);	   /* 12-byte packets */
	assert_true(id_word(id, 82) & (1 << 4));
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0x08); /* DEVICE RESET */
	assert_int_equal(inb(f, 1, IDE_REG_LBAH), 0xeb);
}

static void test_atapi_basic(void **state)
{
	struct fixture *f = *state;
	static const uint8_t tur[12] = {0x00};
	static const uint8_t inq[12] = {0x12, 0, 0, 0, 36};
	static const uint8_t inq_short[12] = {0x12, 0, 0, 0, 8};
	static const uint8_t inq_vpd[12] = {0x12, 1, 0x80, 0, 36};
	static const uint8_t cap[12] = {0x25};
	uint8_t buf[64];
	struct packet_result r;

	r = packet(f, tur, 0, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 0);
	assert_true(f->irq_raises[1] > 0);
	r = packet(f, inq, 36, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 36);
	assert_int_equal(buf[0], 0x05);
	assert_int_equal(buf[1], 0x80);
	assert_memory_equal(buf + 8, "XKVM", 4);
	r = packet(f, inq_short, 36, buf, sizeof(buf));
	assert_int_equal(r.len, 8);
	r = packet(f, inq_vpd, 36, buf, sizeof(buf));
	assert_sense(f, r, 5, 0x24);
	r = packet(f, cap, 8, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 8);
	assert_int_equal(buf[3], CD_SECTORS - 1);
	assert_int_equal(buf[6], 0x08); /* 2048 */
	/* Small byte count limits cut the data into chunks, each with its own DRQ. */
	r = packet(f, inq, 10, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 36);
	r = packet(f, inq, 7, buf, sizeof(buf)); /* odd: rounded down to 6 */
	assert_int_equal(r.len, 36);
}

static void test_atapi_read(void **state)
{
	struct fixture *f = *state;
	uint8_t read10[12] = {0x28, 0, 0, 0, 0, 3, 0, 0, 2};
	uint8_t read12[12] = {0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 4};
	static uint8_t buf[8 * CD_SECT];
	struct packet_result r;

	r = packet(f, read10, CD_SECT, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 2 * CD_SECT);
	for (unsigned i = 0; i < r.len; i++)
		assert_int_equal(buf[i], cd_byte(3 * CD_SECT + i));
	/* Linux asks for up to 63 KiB a DRQ: not a whole number of sectors. */
	r = packet(f, read12, 63 * 1024, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 4 * CD_SECT);
	assert_int_equal(buf[0], cd_byte(0));
	read10[5] = CD_SECTORS - 1;
	read10[8] = 2; /* crosses the end */
	r = packet(f, read10, CD_SECT, buf, sizeof(buf));
	assert_int_equal(r.len, 0);
	assert_sense(f, r, 5, 0x21);
	read10[2] = 0xff; /* huge LBA */
	read10[8] = 1;
	r = packet(f, read10, CD_SECT, buf, sizeof(buf));
	assert_sense(f, r, 5, 0x21);
	read12[6] = 0xff; /* count 0xff000004 */
	r = packet(f, read12, CD_SECT, buf, sizeof(buf));
	assert_sense(f, r, 5, 0x21);
	read10[2] = 0;
	read10[5] = 0;
	read10[8] = 0; /* nothing to read */
	r = packet(f, read10, CD_SECT, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 0);
}

static void test_atapi_mmc_pages(void **state)
{
	struct fixture *f = *state;
	static const uint8_t ms[12] = {0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128};
	static const uint8_t ms_all[12] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 128};
	static const uint8_t ms_saved[12] = {0x5a, 0, 0xea, 0, 0, 0, 0, 0, 128};
	static const uint8_t ms_bad[12] = {0x5a, 0, 0x05, 0, 0, 0, 0, 0, 128};
	static const uint8_t gc[12] = {0x46, 0, 0, 0, 0, 0, 0, 0, 64};
	static const uint8_t gc_one[12] = {0x46, 2, 0, 3, 0, 0, 0, 0, 64};
	static const uint8_t gesn[12] = {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8};
	static const uint8_t gesn_async[12] = {0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8};
	static const uint8_t toc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 64};
	static const uint8_t toc_msf[12] = {0x43, 2, 0, 0, 0, 0, 0, 0, 64};
	static const uint8_t toc_bad[12] = {0x43, 0, 0, 0, 0, 0, 5, 0, 64};
	uint8_t buf[128];
	struct packet_result r;

	r = packet(f, ms, 128, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 8 + 22);
	assert_int_equal(buf[8], 0x2a);
	assert_int_equal(buf[1], 8 + 22 - 2);
	r = packet(f, ms_all, 128, buf, sizeof(buf));
	assert_int_equal(r.len, 8 + 8 + 22);
	assert_sense(f, packet(f, ms_saved, 128, buf, sizeof(buf)), 5, 0x39);
	assert_sense(f, packet(f, ms_bad, 128, buf, sizeof(buf)), 5, 0x24);
	r = packet(f, gc, 64, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(buf[7], 0x08); /* current profile: CD-ROM */
	assert_int_equal(buf[3] + 4u, r.len);
	r = packet(f, gc_one, 64, buf, sizeof(buf));
	assert_int_equal(r.len, 8 + 8);
	assert_int_equal(buf[9], 0x03);
	r = packet(f, gesn, 8, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 8);
	assert_int_equal(buf[5], 0x02); /* media present */
	assert_sense(f, packet(f, gesn_async, 8, buf, sizeof(buf)), 5, 0x24);
	r = packet(f, toc, 64, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(r.len, 4 + 16);
	assert_int_equal(buf[4 + 8 + 2], 0xaa);
	assert_int_equal(buf[4 + 8 + 7], CD_SECTORS); /* lead-out LBA */
	r = packet(f, toc_msf, 64, buf, sizeof(buf));
	assert_good(r);
	assert_int_equal(buf[4 + 6], 2); /* track 1 at 00:02:00 */
	assert_sense(f, packet(f, toc_bad, 64, buf, sizeof(buf)), 5, 0x24);
}

static void test_atapi_tray_and_unknown(void **state)
{
	struct fixture *f = *state;
	static const uint8_t lock[12] = {0x1e, 0, 0, 0, 1};
	static const uint8_t unlock[12] = {0x1e, 0, 0, 0, 0};
	static const uint8_t eject[12] = {0x1b, 0, 0, 0, 0x02};
	static const uint8_t unknown[12] = {0xff};
	static const uint8_t write10[12] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t buf[16];

	assert_good(packet(f, lock, 0, buf, sizeof(buf)));
	assert_sense(f, packet(f, eject, 0, buf, sizeof(buf)), 5, 0x53);
	assert_good(packet(f, unlock, 0, buf, sizeof(buf)));
	assert_good(packet(f, eject, 0, buf, sizeof(buf)));
	assert_sense(f, packet(f, unknown, 0, buf, sizeof(buf)), 5, 0x20);
	assert_sense(f, packet(f, write10, 2048, buf, sizeof(buf)), 5, 0x20);
	/* PACKET asking for DMA: there is none. */
	outb(f, 1, IDE_REG_ERROR_FEATURE, 1);
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xa0);
	assert_aborted(f, 1);
	/* A CD-ROM image is read-only whatever the caller says. */
	assert_true(f->ide->ch[1].drive[0].img.readonly);
}

/* The command packet longer than 12 bytes: the extra words are refused. */
static void test_atapi_long_packet(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[16] = {0x00};

	outb(f, 1, IDE_REG_LBAM, 0);
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xa0);
	write_data(f, 1, cdb, sizeof(cdb));
	assert_aborted(f, 1);
}

/* ---- Bus-master DMA ---- */

#define PRD_TABLE  0x10000ULL /* a 64 KiB window of its own */
#define DMA_BUF	   0x100000ULL
#define DMA_WINDOW 0x10000U

static void bm_out(struct fixture *f, unsigned c, unsigned reg, uint8_t v)
{
	ide_bmdma_io(&f->ide->ch[c], reg, &v, 1, true);
}

static uint8_t bm_in(struct fixture *f, unsigned c, unsigned reg)
{
	uint8_t v = 0;

	ide_bmdma_io(&f->ide->ch[c], reg, &v, 1, false);
	return v;
}

static void bm_set_prd(struct fixture *f, unsigned c, uint32_t addr)
{
	uint8_t v[4] = {(uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
			(uint8_t)(addr >> 24)};

	ide_bmdma_io(&f->ide->ch[c], BM_REG_PRD, v, 4, true);
}

static void put_prd(struct fixture *f, uint64_t table, unsigned i, uint32_t addr, uint32_t count,
		    bool last)
{
	uint32_t flags = (count & 0xffff) | (last ? PRD_EOT : 0);
	uint8_t e[8] = {(uint8_t)addr,		(uint8_t)(addr >> 8),  (uint8_t)(addr >> 16),
			(uint8_t)(addr >> 24),	(uint8_t)flags,	       (uint8_t)(flags >> 8),
			(uint8_t)(flags >> 16), (uint8_t)(flags >> 24)};

	assert_int_equal(guest_write(&f->mem, table + (uint64_t)i * 8, e, sizeof(e)), 0);
}

/* What libata does around a DMA command: table, direction, command, start. */
static void dma_prepare(struct fixture *f, uint32_t table, bool to_mem)
{
	bm_set_prd(f, 0, table);
	bm_out(f, 0, BM_REG_COMMAND, to_mem ? BM_CMD_TO_MEM : 0);
	bm_out(f, 0, BM_REG_STATUS, BM_ST_ERROR | BM_ST_INTR);
}

static void dma_start(struct fixture *f, bool to_mem)
{
	bm_out(f, 0, BM_REG_COMMAND, (uint8_t)(BM_CMD_START | (to_mem ? BM_CMD_TO_MEM : 0)));
}

static void assert_guest_disk_data(struct fixture *f, uint64_t gpa, uint64_t lba, size_t len)
{
	uint8_t *p = gpa_to_hva(&f->mem, gpa, len);

	assert_non_null(p);
	assert_disk_data(p, lba, len);
}

/* READ DMA and READ DMA EXT through three regions of different sizes. */
static void test_dma_read(void **state)
{
	struct fixture *f = *state;

	put_prd(f, PRD_TABLE, 0, DMA_BUF, 512, false);
	put_prd(f, PRD_TABLE, 1, DMA_BUF + 0x10000, 2048, false);
	put_prd(f, PRD_TABLE, 2, DMA_BUF + 0x20000, 1536, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 5, 8);
	assert_int_equal(altstatus(f, 0), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
	assert_false(f->irq[0]);
	dma_start(f, true);
	/* The table matched the transfer: Interrupt without Active. */
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_true(f->irq[0]);
	bm_out(f, 0, BM_REG_COMMAND, BM_CMD_TO_MEM);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF, 5, 512);
	assert_guest_disk_data(f, DMA_BUF + 0x10000, 6, 2048);
	assert_guest_disk_data(f, DMA_BUF + 0x20000, 10, 1536);

	/* The same by LBA48, with the engine started before the command. */
	memset(gpa_to_hva(&f->mem, DMA_BUF, 0x30000), 0, 0x30000);
	dma_prepare(f, PRD_TABLE, true);
	dma_start(f, true);
	cmd48(f, 0x25, 700, 8);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF + 0x10000, 701, 2048);
	assert_guest_disk_data(f, DMA_BUF + 0x20000, 705, 1536);
}

/* WRITE DMA (EXT) from several regions, read back by PIO. */
static void test_dma_write(void **state)
{
	struct fixture *f = *state;
	uint8_t *src = gpa_to_hva(&f->mem, DMA_BUF, 0x20000);
	uint8_t back[3 * SECT];

	for (size_t i = 0; i < 0x20000; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	put_prd(f, PRD_TABLE, 0, DMA_BUF, 1024, false);
	put_prd(f, PRD_TABLE, 1, DMA_BUF + 0x10000, 512, true);
	dma_prepare(f, PRD_TABLE, false);
	cmd48(f, 0x35, 100, 3);
	dma_start(f, false);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	cmd28(f, 0x20, 100, 3);
	for (unsigned i = 0; i < 3; i++) {
		read_data(f, 0, back + i * SECT, SECT);
		(void)inb(f, 0, IDE_REG_STATUS_COMMAND);
	}
	assert_memory_equal(back, src, 1024);
	assert_memory_equal(back + 1024, src + 0x10000, 512);
	/* LBA28 WRITE DMA, and a FLUSH CACHE after it still works. */
	dma_prepare(f, PRD_TABLE, false);
	cmd28(f, 0xca, 200, 3);
	dma_start(f, false);
	assert_done(f, 0);
	nondata(f, 0xe7, 0, 0);
	assert_done(f, 0);
	cmd28(f, 0x20, 201, 1);
	read_data(f, 0, back, SECT);
	assert_memory_equal(back, src + 1024 - SECT, SECT);
}

/* A byte count of 0 is 64 KiB; a table longer than the transfer leaves Active set. */
static void test_dma_64k_entry(void **state)
{
	struct fixture *f = *state;

	put_prd(f, PRD_TABLE, 0, DMA_BUF, 0, false);
	put_prd(f, PRD_TABLE, 1, DMA_BUF + 0x10000, 0, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 0, 192); /* 96 KiB: all of the first region, half the second */
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR | BM_ST_ACTIVE);
	bm_out(f, 0, BM_REG_COMMAND, 0);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF, 0, 192 * SECT);
}

/* The table wraps inside its 64 KiB window. */
static void test_dma_table_wraps(void **state)
{
	struct fixture *f = *state;

	put_prd(f, PRD_TABLE + DMA_WINDOW - 8, 0, DMA_BUF, 512, false);
	put_prd(f, PRD_TABLE, 0, DMA_BUF + 0x8000, 512, true);
	dma_prepare(f, (uint32_t)(PRD_TABLE + DMA_WINDOW - 8), true);
	cmd28(f, 0xc8, 9, 2);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF, 9, SECT);
	assert_guest_disk_data(f, DMA_BUF + 0x8000, 10, SECT);
}

static void assert_dma_failed(struct fixture *f)
{
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_ERROR | BM_ST_INTR);
	assert_true(f->irq[0]);
	bm_out(f, 0, BM_REG_COMMAND, 0);
	assert_aborted(f, 0);
}

/* Regions and tables outside RAM: Error and Interrupt, and the command fails. */
static void test_dma_outside_ram(void **state)
{
	struct fixture *f = *state;

	/* A region running off the end of RAM, both ways. */
	put_prd(f, PRD_TABLE, 0, (uint32_t)(RAM_SIZE - 512), 1024, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 0, 2);
	dma_start(f, true);
	assert_dma_failed(f);
	dma_prepare(f, PRD_TABLE, false);
	cmd28(f, 0xca, 0, 2);
	dma_start(f, false);
	assert_dma_failed(f);
	/* A region just below 4 GiB, and the table itself outside RAM. */
	put_prd(f, PRD_TABLE, 0, 0xfffffe00U, 0, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 0, 2);
	dma_start(f, true);
	assert_dma_failed(f);
	dma_prepare(f, 0xfffffff8U, true);
	cmd28(f, 0xc8, 0, 2);
	dma_start(f, true);
	assert_dma_failed(f);
	/* The disk still works. */
	put_prd(f, PRD_TABLE, 0, DMA_BUF, 512, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 3, 1);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_guest_disk_data(f, DMA_BUF, 3, SECT);
}

/* A whole window of descriptors without an end bit: the walk stops after one lap. */
static void test_dma_no_end_bit(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < PRD_MAX_ENTRIES; i++)
		put_prd(f, PRD_TABLE, i, DMA_BUF, 2, false);
	dma_prepare(f, PRD_TABLE + 0x100, true);
	cmd28(f, 0xc8, 0, 64); /* 32 KiB: more than 8192 regions of 2 bytes */
	dma_start(f, true);
	assert_dma_failed(f);
}

/*
 * A table shorter than the transfer: the engine stops with neither
 * Interrupt nor Error (SFF-8038i's error signature) and the drive keeps
 * waiting; a new table restarted by the guest takes the rest.
 */
static void test_dma_short_table(void **state)
{
	struct fixture *f = *state;

	put_prd(f, PRD_TABLE, 0, DMA_BUF, 512, true);
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 20, 2);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), 0);
	assert_false(f->irq[0]);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	assert_guest_disk_data(f, DMA_BUF, 20, SECT);
	bm_out(f, 0, BM_REG_COMMAND, BM_CMD_TO_MEM);
	put_prd(f, PRD_TABLE, 0, DMA_BUF + 0x1000, 512, true);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF + 0x1000, 21, SECT);
}

/* Stopping the engine (or never letting it master) moves nothing; a new command recovers. */
static void test_dma_stop(void **state)
{
	struct fixture *f = *state;
	uint8_t *dst = gpa_to_hva(&f->mem, DMA_BUF, SECT);
	uint8_t w[2];

	memset(dst, 0xee, SECT);
	put_prd(f, PRD_TABLE, 0, DMA_BUF, 512, true);
	f->ide->pci.config[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MASTER;
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 30, 1);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_ACTIVE);
	bm_out(f, 0, BM_REG_COMMAND, BM_CMD_TO_MEM);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), 0);
	assert_int_equal(dst[0], 0xee);
	assert_false(f->irq[0]);
	/* PIO from the data port during DMA is refused. */
	ide_cmd_io(&f->ide->ch[0], IDE_REG_DATA, w, 2, false);
	assert_aborted(f, 0);
	f->ide->pci.config[PCI_COMMAND] |= PCI_COMMAND_MASTER;
	dma_prepare(f, PRD_TABLE, true);
	cmd28(f, 0xc8, 30, 1);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_done(f, 0);
	assert_guest_disk_data(f, DMA_BUF, 30, SECT);
}

/* Status: Interrupt and Error clear on writing 1, the capable bits are storage. */
static void test_bm_registers(void **state)
{
	struct fixture *f = *state;

	nondata(f, 0xe7, 0, 0); /* any INTRQ latches Interrupt */
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_INTR);
	assert_int_equal(bm_in(f, 1, BM_REG_STATUS), 0);
	put_prd(f, PRD_TABLE, 0, 0xfffffe00U, 512, true);
	dma_prepare(f, PRD_TABLE, true); /* clears Interrupt; a master abort sets both */
	cmd28(f, 0xc8, 0, 1);
	dma_start(f, true);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_ERROR | BM_ST_INTR);
	bm_out(f, 0, BM_REG_STATUS, BM_ST_INTR | BM_ST_DMA_CAP0 | BM_ST_ACTIVE);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_ERROR | BM_ST_DMA_CAP0);
	bm_out(f, 0, BM_REG_STATUS, BM_ST_ERROR | BM_ST_DMA_CAP1);
	assert_int_equal(bm_in(f, 0, BM_REG_STATUS), BM_ST_DMA_CAP1);
	/* The table address is dword aligned; the command keeps start and direction. */
	bm_set_prd(f, 1, 0x12345677U);
	assert_int_equal(bm_in(f, 1, BM_REG_PRD), 0x74);
	assert_int_equal(bm_in(f, 1, BM_REG_PRD + 3), 0x12);
	bm_out(f, 1, BM_REG_COMMAND, 0xfe);
	assert_int_equal(bm_in(f, 1, BM_REG_COMMAND), BM_CMD_TO_MEM);
	assert_int_equal(bm_in(f, 1, 1), 0);
	assert_int_equal(bm_in(f, 1, 3), 0);
}

/* SET FEATURES' transfer mode shows in IDENTIFY words 63 and 88. */
static void test_dma_mode_identify(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECT];

	nondata(f, 0xef, 0x03, 0x22); /* MWDMA 2 */
	assert_done(f, 0);
	nondata(f, 0xec, 0, 0);
	read_data(f, 0, id, sizeof(id));
	assert_int_equal(id_word(id, 63), 0x0407);
	assert_int_equal(id_word(id, 88), 0x003f);
	nondata(f, 0xef, 0x03, 0x45); /* UDMA 5 */
	assert_done(f, 0);
	nondata(f, 0xef, 0x03, 0x0c); /* PIO 4 leaves the DMA mode */
	assert_done(f, 0);
	nondata(f, 0xec, 0, 0);
	read_data(f, 0, id, sizeof(id));
	assert_int_equal(id_word(id, 63), 0x0007);
	assert_int_equal(id_word(id, 88), 0x203f);
}

/* ---- PV unplug ---- */

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, fp), len);
	fclose(fp);
}

static void assert_unit_absent(struct fixture *f, unsigned c, unsigned unit, uint8_t status)
{
	outb(f, c, IDE_REG_DEVICE, unit ? 0xb0 : 0xa0);
	outb(f, c, IDE_REG_STATUS_COMMAND, 0xec); /* IDENTIFY: nobody takes it */
	assert_int_equal(inb(f, c, IDE_REG_STATUS_COMMAND), status);
	assert_int_equal(altstatus(f, c), status);
	assert_false(f->irq[c]);
}

/* A second disk image beside the fixture's, at channel c, unit u. */
static void attach_disk(struct fixture *f, char *path, size_t cap, unsigned c, unsigned u)
{
	assert_int_equal(make_image(path, cap, DISK_SECTORS * SECT, disk_byte), 0);
	assert_int_equal(piix_ide_attach(f->ide, c, u, IDE_DISK, path, false), 0);
}

/* What PIO and DMA wrote before the unplug is in the file; the disk is then gone. */
static void test_unplug_idle(void **state)
{
	struct fixture *f = *state;
	uint8_t *src = gpa_to_hva(&f->mem, DMA_BUF, 2 * SECT);
	uint8_t out[SECT], back[2 * SECT];
	struct disk_image img;

	for (unsigned i = 0; i < SECT; i++)
		out[i] = (uint8_t)(i ^ 0xa5);
	for (unsigned i = 0; i < 2 * SECT; i++)
		src[i] = (uint8_t)(i * 13 + 1);
	cmd28(f, 0x30, 3, 1);
	write_data(f, 0, out, SECT);
	assert_done(f, 0);
	put_prd(f, PRD_TABLE, 0, DMA_BUF, 2 * SECT, true);
	dma_prepare(f, PRD_TABLE, false);
	cmd28(f, 0xca, 40, 2);
	dma_start(f, false);
	assert_done(f, 0);

	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	assert_int_equal(f->ide->ch[0].drive[0].img.fd, -1);
	file_read(f->disk_path, 3 * SECT, back, SECT);
	assert_memory_equal(back, out, SECT);
	file_read(f->disk_path, 40 * SECT, back, 2 * SECT);
	assert_memory_equal(back, src, 2 * SECT);
	/* Nothing left on channel 0: it floats as a channel that never had a device. */
	assert_unit_absent(f, 0, 0, 0x7f);
	assert_false(devchk(f, 0, 0));
	/* The lock went with the fd: the PV backend's own open of the image is not refused. */
	assert_int_equal(disk_image_open(&img, f->disk_path, false), 0);
	disk_image_close(&img);
	/* The CD-ROM stays, and a second unplug changes nothing. */
	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	assert_int_equal(f->ide->ch[1].drive[0].media, IDE_CDROM);
	outb(f, 1, IDE_REG_DEVICE, 0xa0);
	outb(f, 1, IDE_REG_STATUS_COMMAND, 0xa1);
	read_data(f, 1, back, SECT);
	assert_int_equal(id_word(back, 0), 0x85c0);
}

static void test_unplug_keep_primary_master(void **state)
{
	struct fixture *f = *state;
	char slave[64], sec_slave[64];
	uint8_t id[SECT];

	attach_disk(f, slave, sizeof(slave), 0, 1);
	attach_disk(f, sec_slave, sizeof(sec_slave), 1, 1);
	assert_true(devchk(f, 0, 1));
	assert_int_equal(piix_ide_unplug_disks(f->ide, true), 0);
	/* 0.1 reads as an absent device 1 beside a present device 0: status 0. */
	assert_false(devchk(f, 0, 1));
	assert_unit_absent(f, 0, 1, 0);
	assert_unit_absent(f, 1, 1, 0);
	assert_int_equal(f->ide->ch[1].drive[1].media, IDE_NONE);
	/* 0.0 still serves. */
	nondata(f, 0xec, 0, 0);
	read_data(f, 0, id, sizeof(id));
	assert_done(f, 0);
	assert_int_equal(id_word(id, 60), DISK_SECTORS);
	assert_int_equal(f->ide->ch[1].drive[0].media, IDE_CDROM);
	/* Then everything: 0.0 goes too. */
	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	assert_unit_absent(f, 0, 0, 0x7f);
	unlink(slave);
	unlink(sec_slave);
}

/*
 * Unplug in the middle of a PIO write (first sector done, half of the
 * second sent): the completed sector is in the file, the half one never
 * lands, later data writes go nowhere and the channel's other device works.
 */
static void test_unplug_mid_pio(void **state)
{
	struct fixture *f = *state;
	uint8_t out[2 * SECT], back[2 * SECT], id[SECT];

	assert_int_equal(piix_ide_attach(f->ide, 0, 1, IDE_CDROM, f->cd_path, true), 0);
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 5 + 7);
	cmd28(f, 0x30, 20, 2);
	write_data(f, 0, out, SECT + SECT / 2);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);

	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	write_data(f, 0, out + SECT + SECT / 2, SECT / 2);
	assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND), 0);
	file_read(f->disk_path, 20 * SECT, back, sizeof(back));
	assert_memory_equal(back, out, SECT);
	assert_disk_data(back + SECT, 21, SECT);

	outb(f, 0, IDE_REG_DEVICE, 0xb0);
	outb(f, 0, IDE_REG_STATUS_COMMAND, 0xa1);
	read_data(f, 0, id, sizeof(id));
	assert_int_equal(id_word(id, 0), 0x85c0);
	/* A reset with one device gone brings back only the one that is there. */
	ctl(f, 0, ATA_DC_SRST);
	ctl(f, 0, 0);
	assert_int_equal(inb(f, 0, IDE_REG_STATUS_COMMAND), 0);
	outb(f, 0, IDE_REG_DEVICE, 0xb0);
	assert_int_equal(inb(f, 0, IDE_REG_LBAH), 0xeb);
}

/* A DMA write waiting for the engine: abandoned, the engine started later moves nothing. */
static void test_unplug_mid_dma(void **state)
{
	struct fixture *f = *state;
	uint8_t *src = gpa_to_hva(&f->mem, DMA_BUF, SECT);
	uint8_t back[SECT];

	memset(src, 0xee, SECT);
	put_prd(f, PRD_TABLE, 0, DMA_BUF, SECT, true);
	dma_prepare(f, PRD_TABLE, false);
	cmd28(f, 0xca, 60, 1);
	assert_true(altstatus(f, 0) & ATA_ST_DRQ);
	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	dma_start(f, false);
	assert_false(bm_in(f, 0, BM_REG_STATUS) & (BM_ST_INTR | BM_ST_ERROR));
	file_read(f->disk_path, 60 * SECT, back, SECT);
	assert_disk_data(back, 60, SECT);

	/* Waiting with the engine running (bus mastering off): it stops with its error bit. */
	char disk2[64];

	attach_disk(f, disk2, sizeof(disk2), 1, 1);
	f->ide->pci.config[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MASTER;
	bm_set_prd(f, 1, PRD_TABLE);
	bm_out(f, 1, BM_REG_COMMAND, BM_CMD_START);
	issue(f, 1, (struct task_file){0xf0, 1, {9, 0, 0}}, 0xca);
	assert_true(altstatus(f, 1) & ATA_ST_DRQ);
	assert_int_equal(bm_in(f, 1, BM_REG_STATUS), BM_ST_ACTIVE);
	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	assert_int_equal(bm_in(f, 1, BM_REG_STATUS), BM_ST_ERROR);
	f->ide->pci.config[PCI_COMMAND] |= PCI_COMMAND_MASTER;
	bm_out(f, 1, BM_REG_COMMAND, 0);
	bm_out(f, 1, BM_REG_COMMAND, BM_CMD_START);
	file_read(disk2, 9 * SECT, back, SECT);
	assert_disk_data(back, 9, SECT);
	unlink(disk2);
}

struct hammer {
	struct fixture *f;
	unsigned rounds;
};

/* Another vCPU reading sectors in a loop until the disk is gone (no cmocka asserts here). */
static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	uint8_t buf[SECT];

	for (h->rounds = 0; h->rounds < 100000; h->rounds++) {
		cmd28(h->f, 0x20, h->rounds % DISK_SECTORS, 1);
		read_data(h->f, 0, buf, SECT);
		if (inb(h->f, 0, IDE_REG_STATUS_COMMAND) == 0x7f)
			break;
	}
	return NULL;
}

static void test_unplug_during_io(void **state)
{
	struct fixture *f = *state;
	struct hammer h = {.f = f};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, hammer_main, &h), 0);
	usleep(2000);
	assert_int_equal(piix_ide_unplug_disks(f->ide, false), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(h.rounds < 100000);
	assert_unit_absent(f, 0, 0, 0x7f);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_pci_identity),
	    T(test_probe_absent_devices),
	    T(test_signatures_after_srst),
	    T(test_execute_diagnostic),
	    T(test_identify),
	    T(test_read_sectors),
	    T(test_read_256_sectors),
	    T(test_read_ext_hob),
	    T(test_write_sectors),
	    T(test_multiple),
	    T(test_bad_ranges),
	    T(test_chs_and_init_params),
	    T(test_readonly_disk),
	    T(test_pio_longer_than_declared),
	    T(test_misc_commands),
	    T(test_nien),
	    T(test_atapi_identify),
	    T(test_atapi_basic),
	    T(test_atapi_read),
	    T(test_atapi_mmc_pages),
	    T(test_atapi_tray_and_unknown),
	    T(test_atapi_long_packet),
	    T(test_dma_read),
	    T(test_dma_write),
	    T(test_dma_64k_entry),
	    T(test_dma_table_wraps),
	    T(test_dma_outside_ram),
	    T(test_dma_no_end_bit),
	    T(test_dma_short_table),
	    T(test_dma_stop),
	    T(test_bm_registers),
	    T(test_dma_mode_identify),
	    T(test_unplug_idle),
	    T(test_unplug_keep_primary_master),
	    T(test_unplug_mid_pio),
	    T(test_unplug_mid_dma),
	    T(test_unplug_during_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
