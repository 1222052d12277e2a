/* SPDX-License-Identifier: MIT */
/*
 * PIIX3 IDE: the PCI function and its two legacy channels.  The IDE
 * timing registers (0x40-0x47) are plain storage: Linux's ata_piix
 * programs PIO timings there and checks each channel's decode-enable bit
 * (bit 15 of IDETIM, set at reset); timings mean nothing to an emulation.
 * BAR4 holds both channels' bus-master registers, primary first.
 */
#include "devices/piix_ide.h"
#include "lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PIIX3_IDE_VENDOR 0x8086
#define PIIX3_IDE_DEVICE 0x7010
/* Mass storage, IDE, bus-master capable, both channels in compatibility mode. */
#define PIIX_IDE_CLASS	  0x010180
#define PIIX_IDETIM_PRI	  0x40
#define PIIX_IDETIM_SEC	  0x42
#define PIIX_TIMING_END	  0x48
#define IDETIM_DECODE_ENA 0x8000
#define PIIX_BMDMA_BAR	  4

/* BAR4: 8 ports per channel; a byte past a channel's last register is dropped. */
static void bmdma_bar_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct piix_ide *ide = opaque;
	uint64_t c = offset / BM_NR_REGS;

	if (c < PIIX_IDE_CHANNELS)
		ide_bmdma_io(&ide->ch[c], offset % BM_NR_REGS, data, len, is_write);
}

struct piix_ide *piix_ide_create(const struct guest_memory *mem,
				 void (*set_irq)(void *opaque, unsigned channel, bool level),
				 void *opaque)
{
	struct piix_ide *ide = calloc(1, sizeof(*ide));

	if (!ide)
		return NULL;
	pci_function_init(&ide->pci, "piix3-ide", PIIX3_IDE_VENDOR, PIIX3_IDE_DEVICE,
			  PIIX_IDE_CLASS, 0, 0);
	ide->pci.opaque = ide;
	pci_config_set16(&ide->pci, PIIX_IDETIM_PRI, IDETIM_DECODE_ENA);
	pci_config_set16(&ide->pci, PIIX_IDETIM_SEC, IDETIM_DECODE_ENA);
	for (unsigned off = PIIX_IDETIM_PRI; off < PIIX_TIMING_END; off++)
		ide->pci.wmask[off] = 0xff;
	ide->pci.bars[PIIX_BMDMA_BAR] = (struct pci_bar){.type = PCI_BAR_IO,
							 .size = PIIX_IDE_BMDMA_PORTS,
							 .prefetchable = false,
							 .handler = bmdma_bar_io,
							 .opaque = ide};
	for (unsigned i = 0; i < PIIX_IDE_CHANNELS; i++) {
		ide_channel_init(&ide->ch[i], i, set_irq, opaque);
		ide_bmdma_init(&ide->ch[i].bm, mem, &ide->pci.config[PCI_COMMAND]);
	}
	return ide;
}

void piix_ide_destroy(struct piix_ide *ide)
{
	if (!ide)
		return;
	for (unsigned i = 0; i < PIIX_IDE_CHANNELS; i++)
		ide_channel_destroy(&ide->ch[i]);
	free(ide);
}

int piix_ide_attach(struct piix_ide *ide, unsigned channel, unsigned unit, enum ide_media media,
		    const char *path, bool readonly)
{
	int ret;

	if (channel >= PIIX_IDE_CHANNELS)
		return -EINVAL;
	ret = ide_channel_attach(&ide->ch[channel], unit, media, path, readonly);
	if (ret)
		pr_err("ide %u.%u: cannot attach %s: %s", channel, unit, path, strerror(-ret));
	else
		pr_info("ide %u.%u: %s %s%s", channel, unit, media == IDE_CDROM ? "cdrom" : "disk",
			path, ide->ch[channel].drive[unit].img.readonly ? " (read-only)" : "");
	return ret;
}

int piix_ide_unplug_disks(struct piix_ide *ide, bool keep_primary_master)
{
	int ret = 0;

	for (unsigned c = 0; c < PIIX_IDE_CHANNELS; c++) {
		for (unsigned u = 0; u < 2; u++) {
			int r;

			if (keep_primary_master && c == 0 && u == 0)
				continue;
			r = ide_channel_detach_disk(&ide->ch[c], u);
			if (r && !ret)
				ret = r;
		}
	}
	return ret;
}
