/* SPDX-License-Identifier: MIT */
/*
 * Xen's platform PCI device (5853:0001, class 0xff80): what an HVM guest's
 * PV drivers look for.  Its BAR1 is the guest-physical room where the
 * guest maps its grant table frames; its INTx can carry event channel
 * upcalls; and its fixed I/O ports (0x10-0x1f on a PC, where the board
 * puts them) speak the emulated-device unplug protocol of Xen's
 * docs/misc/hvm-emulated-unplug: a magic word, a protocol version, the
 * driver's product and build numbers, a log channel, and the unplug mask.
 * The device only decodes; what an unplug does is the machine's (ops).
 */
#ifndef XKVM_DEVICES_XEN_PLATFORM_H
#define XKVM_DEVICES_XEN_PLATFORM_H

#include "devices/pci.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define XEN_PLATFORM_VENDOR_ID 0x5853
#define XEN_PLATFORM_DEVICE_ID 0x0001
#define XEN_PLATFORM_CLASS     0xff8000	   /* base class 0xff, sub-class 0x80 */
#define XEN_PLATFORM_IO_SIZE   256U	   /* BAR0 */
#define XEN_PLATFORM_MMIO_SIZE (16U << 20) /* BAR1: room for grant frames */
#define XEN_PLATFORM_PORTS     16U	   /* the fixed unplug ports */

/* The unplug mask's bits (Xen's hvm-emulated-unplug). */
#define XEN_UNPLUG_IDE_DISKS	 (1U << 0) /* every IDE/SCSI disk, never a CD-ROM */
#define XEN_UNPLUG_NICS		 (1U << 1)
#define XEN_UNPLUG_AUX_IDE_DISKS (1U << 2) /* every IDE disk but the primary master */
#define XEN_UNPLUG_NVME_DISKS	 (1U << 3)

/* What the fixed ports answer: the magic word, or its bytes swapped for a blacklisted driver. */
#define XEN_PLATFORM_MAGIC	       0x49d2
#define XEN_PLATFORM_MAGIC_BLACKLISTED 0xd249
#define XEN_PLATFORM_PROTOCOL	       1

struct xen_platform_ops {
	/*
	 * The guest asked for the devices in `mask` (XEN_UNPLUG_*) to go.
	 * Called on the writing vCPU's thread, without the device's lock,
	 * once per write with the bits not unplugged before.
	 */
	void (*unplug)(void *opaque, unsigned mask);
};

struct xen_platform {
	struct pci_function pci;
	const struct xen_platform_ops *ops;
	void *opaque;

	pthread_mutex_t lock; /* guards the fields below */
	uint16_t product;     /* the driver's product number, 0 until written */
	uint32_t build;	      /* its build number */
	unsigned unplugged;   /* XEN_UNPLUG_* bits asked for so far */
	char log[128];	      /* the driver's log line being written */
	unsigned log_len;
};

void xen_platform_init(struct xen_platform *p, const struct xen_platform_ops *ops, void *opaque);
void xen_platform_destroy(struct xen_platform *p);
/* The fixed ports' bus handler (offset 0 is port 0x10 on a PC). */
void xen_platform_ports_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			   bool is_write);
/* What the guest's driver said of itself (for the toolstack); false while it said nothing. */
bool xen_platform_driver(struct xen_platform *p, uint16_t *product, uint32_t *build);
/*
 * The same as one line, with the product named from Xen's registry
 * (xen/hvm/pvdrivers.h): "linux 1", "gplpv-windows 7", "product 0x0042 3".
 * False, and buf empty, while the driver said nothing.
 */
bool xen_platform_driver_version(struct xen_platform *p, char *buf, size_t len);

#endif
