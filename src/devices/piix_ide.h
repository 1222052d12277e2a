/* SPDX-License-Identifier: MIT */
/*
 * The PIIX3 IDE function (PCI 8086:7010, class 0x0101, prog-if 0x80) in
 * legacy ("compatibility") mode: two IDE channels (devices/ide.h) whose
 * command and control blocks sit at the ISA addresses the machine
 * chooses (the PC board puts them at 0x1F0/0x3F6 and 0x170/0x376, IRQ 14
 * and 15) instead of behind BARs.  Bus-master DMA (ide_dma.h) answers in
 * BAR4, wherever the firmware puts it: Linux's ata_piix uses it for disks;
 * SeaBIOS and CD-ROMs (no ATAPI DMA here) stay on PIO.
 */
#ifndef XKVM_DEVICES_PIIX_IDE_H
#define XKVM_DEVICES_PIIX_IDE_H

#include "devices/ide.h"
#include "devices/pci.h"

#define PIIX_IDE_CHANNELS    2
#define PIIX_IDE_CMD_PORTS   IDE_NR_CMD_REGS /* command block size, per channel */
#define PIIX_IDE_CTL_PORTS   1		     /* control block size (0x3F7 is the floppy's) */
#define PIIX_IDE_BMDMA_PORTS (PIIX_IDE_CHANNELS * BM_NR_REGS) /* BAR4 */

struct guest_memory;

struct piix_ide {
	struct pci_function pci;
	struct ide_channel ch[PIIX_IDE_CHANNELS];
};

/*
 * Allocate the function with no devices.  mem is what bus-master DMA
 * reaches; set_irq drives channel 0's or 1's interrupt line (legacy mode:
 * not the PCI INTx pin).  NULL on ENOMEM.
 */
struct piix_ide *piix_ide_create(const struct guest_memory *mem,
				 void (*set_irq)(void *opaque, unsigned channel, bool level),
				 void *opaque);
/* Close the images and free; NULL is a no-op. */
void piix_ide_destroy(struct piix_ide *ide);
/*
 * Attach a disk or a CD-ROM (read-only) image at channel 0/1, unit 0
 * (master) or 1 (slave).  0 or -errno, after a message naming the file.
 */
int piix_ide_attach(struct piix_ide *ide, unsigned channel, unsigned unit, enum ide_media media,
		    const char *path, bool readonly);

/*
 * The PV unplug of the emulated disks (Xen's unplug protocol: mask bit 0
 * is every IDE disk, bit 2 every disk but the primary master; bit 0
 * wins, so keep_primary_master = !(mask & 1) && (mask & 4)).  Each
 * IDE_DISK unit, except channel 0 unit 0 when keep_primary_master, is
 * flushed, closed and then reads as an empty unit (ide_channel_detach_disk);
 * CD-ROMs stay.  Safe against I/O on other vCPUs; a second call does
 * nothing.  0, or the first flush's -errno (every disk is detached anyway).
 */
int piix_ide_unplug_disks(struct piix_ide *ide, bool keep_primary_master);

/*
 * What the machine registers on its I/O bus for channel c: ide_cmd_io with
 * &ide->ch[c] over PIIX_IDE_CMD_PORTS ports, ide_ctl_io with &ide->ch[c]
 * over PIIX_IDE_CTL_PORTS.
 */

#endif
