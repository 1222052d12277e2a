/* SPDX-License-Identifier: MIT */
#include "devices/xen_platform.h"
#include "lib/log.h"

#include <stdio.h>
#include <string.h>
#include <xen/hvm/pvdrivers.h>

/* The fixed ports, as offsets from the first (0x10 on a PC). */
#define PORT_MAGIC   0 /* read: magic (16); write: unplug mask (16) or build number (32) */
#define PORT_VERSION 2 /* read: protocol version (8); write: product (16) or a log byte (8) */

/* BAR0 and BAR1 hold no registers: the drivers only reserve them (BAR1 for grant frames). */
static void reserved_space_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write)
{
	if (!is_write)
		memset(data, 0, len);
}

void xen_platform_init(struct xen_platform *p, const struct xen_platform_ops *ops, void *opaque)
{
	struct pci_function *fn = &p->pci;

	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->opaque = opaque;
	pthread_mutex_init(&p->lock, NULL);
	pci_function_init(fn, "xen-platform", XEN_PLATFORM_VENDOR_ID, XEN_PLATFORM_DEVICE_ID,
			  XEN_PLATFORM_CLASS, 1, 1 /* INTA */);
	pci_config_set16(fn, PCI_SUBSYSTEM_VENDOR_ID, XEN_PLATFORM_VENDOR_ID);
	pci_config_set16(fn, PCI_SUBSYSTEM_ID, XEN_PLATFORM_DEVICE_ID);
	fn->opaque = p;
	fn->bars[0] = (struct pci_bar){.type = PCI_BAR_IO,
				       .size = XEN_PLATFORM_IO_SIZE,
				       .handler = reserved_space_io,
				       .opaque = p};
	fn->bars[1] = (struct pci_bar){.type = PCI_BAR_MEM32,
				       .size = XEN_PLATFORM_MMIO_SIZE,
				       .prefetchable = true,
				       .handler = reserved_space_io,
				       .opaque = p};
}

void xen_platform_destroy(struct xen_platform *p)
{
	pthread_mutex_destroy(&p->lock);
}

/* Reads see a little register file: the magic word, then the protocol version. */
static void read_ports(uint64_t offset, uint8_t *data, uint32_t len)
{
	const uint8_t regs[XEN_PLATFORM_PORTS] = {
	    [PORT_MAGIC] = XEN_PLATFORM_MAGIC & 0xff,
	    [PORT_MAGIC + 1] = XEN_PLATFORM_MAGIC >> 8,
	    [PORT_VERSION] = XEN_PLATFORM_PROTOCOL,
	};

	for (uint32_t i = 0; i < len; i++)
		data[i] = offset + i < sizeof(regs) ? regs[offset + i] : 0;
}

/* One byte of the driver's log: a line is logged when it ends or fills the buffer. */
static void log_byte(struct xen_platform *p, uint8_t c)
{
	if (c != '\n' && c != '\r' && p->log_len < sizeof(p->log) - 1)
		p->log[p->log_len++] = (char)(c >= 0x20 && c < 0x7f ? c : '.');
	if (c == '\n' || p->log_len == sizeof(p->log) - 1) {
		p->log[p->log_len] = 0;
		/* Debug level: a guest could otherwise fill the host's log. */
		pr_debug("xen-platform: guest driver: %s", p->log);
		p->log_len = 0;
	}
}

static uint32_t le_value(const uint8_t *data, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

/* Under the lock: what a write does; returns the unplug bits not asked for before. */
static unsigned write_port(struct xen_platform *p, uint64_t offset, uint32_t v, uint32_t len)
{
	unsigned fresh = 0;

	if (offset == PORT_MAGIC && len == 2) {
		fresh = v & 0xf & ~p->unplugged;
		p->unplugged |= fresh;
	} else if (offset == PORT_MAGIC && len == 4) {
		p->build = v;
	} else if (offset == PORT_VERSION && len == 2) {
		if (p->product != v)
			pr_info("xen-platform: PV driver product %u", v);
		p->product = (uint16_t)v;
	} else if (offset == PORT_VERSION && len == 1) {
		log_byte(p, (uint8_t)v);
	}
	return fresh;
}

void xen_platform_ports_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			   bool is_write)
{
	struct xen_platform *p = opaque;
	unsigned fresh;

	if (!is_write) {
		read_ports(offset, data, len);
		return;
	}
	pthread_mutex_lock(&p->lock);
	fresh = write_port(p, offset, le_value(data, len), len);
	pthread_mutex_unlock(&p->lock);
	if (fresh) {
		pr_info("xen-platform: the guest unplugs%s%s%s%s",
			fresh & XEN_UNPLUG_IDE_DISKS ? " IDE disks" : "",
			fresh & XEN_UNPLUG_NICS ? " NICs" : "",
			fresh & XEN_UNPLUG_AUX_IDE_DISKS ? " auxiliary IDE disks" : "",
			fresh & XEN_UNPLUG_NVME_DISKS ? " NVMe disks" : "");
		if (p->ops && p->ops->unplug)
			p->ops->unplug(p->opaque, fresh);
	}
}

static const char *product_name(uint16_t product)
{
#define PRODUCT_NAME(name, number)                                                                 \
	case number:                                                                               \
		return name;
	switch (product) {
		PVDRIVERS_PRODUCT_LIST(PRODUCT_NAME)
	default:
		return NULL;
	}
#undef PRODUCT_NAME
}

bool xen_platform_driver_version(struct xen_platform *p, char *buf, size_t len)
{
	uint16_t product;
	uint32_t build;
	const char *name;

	buf[0] = '\0';
	if (!xen_platform_driver(p, &product, &build))
		return false;
	name = product_name(product);
	if (name)
		snprintf(buf, len, "%s %u", name, build);
	else
		snprintf(buf, len, "product 0x%04x %u", product, build);
	return true;
}

bool xen_platform_driver(struct xen_platform *p, uint16_t *product, uint32_t *build)
{
	bool said;

	pthread_mutex_lock(&p->lock);
	*product = p->product;
	*build = p->build;
	said = p->product || p->build;
	pthread_mutex_unlock(&p->lock);
	return said;
}
