/* SPDX-License-Identifier: MIT */
#include "devices/xen_platform.h"
#include "lib/test.h"

struct unplugs {
	unsigned calls, mask;
};

static void record_unplug(void *opaque, unsigned mask)
{
	struct unplugs *u = opaque;

	u->calls++;
	u->mask |= mask;
}

static const struct xen_platform_ops ops = {.unplug = record_unplug};

static uint32_t rd(struct xen_platform *p, uint64_t offset, uint32_t len)
{
	uint8_t b[4] = {0};

	xen_platform_ports_io(p, offset, b, len, false);
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(struct xen_platform *p, uint64_t offset, uint32_t v, uint32_t len)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	xen_platform_ports_io(p, offset, b, len, true);
}

static void test_identity(void **state)
{
	struct xen_platform p;

	(void)state;
	xen_platform_init(&p, &ops, NULL);
	assert_int_equal(pci_config_get16(&p.pci, PCI_VENDOR_ID), 0x5853);
	assert_int_equal(pci_config_get16(&p.pci, PCI_DEVICE_ID), 0x0001);
	assert_int_equal(p.pci.config[PCI_CLASS_DEVICE + 1], 0xff);
	assert_int_equal(p.pci.config[PCI_CLASS_DEVICE], 0x80);
	assert_int_equal(p.pci.config[PCI_INTERRUPT_PIN], 1);
	assert_int_equal(p.pci.bars[0].type, PCI_BAR_IO);
	assert_int_equal(p.pci.bars[0].size, 256);
	assert_int_equal(p.pci.bars[1].type, PCI_BAR_MEM32);
	assert_int_equal(p.pci.bars[1].size, 16U << 20);
	assert_true(p.pci.bars[1].prefetchable);
	xen_platform_destroy(&p);
}

/* Linux's check_platform_magic, then its unplug write. */
static void test_linux_handshake(void **state)
{
	struct xen_platform p;
	struct unplugs u = {0};
	uint16_t product;
	uint32_t build;
	char version[48];

	(void)state;
	xen_platform_init(&p, &ops, &u);
	assert_false(xen_platform_driver(&p, &product, &build));
	assert_false(xen_platform_driver_version(&p, version, sizeof(version)));
	assert_string_equal(version, "");
	assert_int_equal(rd(&p, 0, 2), XEN_PLATFORM_MAGIC);
	assert_int_equal(rd(&p, 2, 1) & 0xff, 1);
	wr(&p, 2, 3, 2);				    /* Linux's product number */
	wr(&p, 0, 0x10000, 4);				    /* its build number */
	assert_int_equal(rd(&p, 0, 2), XEN_PLATFORM_MAGIC); /* not blacklisted */
	assert_int_equal(u.calls, 0);
	wr(&p, 0, XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_NICS, 2);
	assert_int_equal(u.calls, 1);
	assert_int_equal(u.mask, XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_NICS);
	assert_true(xen_platform_driver(&p, &product, &build));
	assert_int_equal(product, 3);
	assert_int_equal(build, 0x10000);
	assert_true(xen_platform_driver_version(&p, version, sizeof(version)));
	assert_string_equal(version, "linux 65536");
	wr(&p, 2, 0x42, 2); /* a product Xen's registry does not know */
	assert_true(xen_platform_driver_version(&p, version, sizeof(version)));
	assert_string_equal(version, "product 0x0042 65536");
	xen_platform_destroy(&p);
}

/* Twice, piecemeal, unknown bits: each device goes once, unknown bits are dropped. */
static void test_unplug_hostile_orders(void **state)
{
	struct xen_platform p;
	struct unplugs u = {0};

	(void)state;
	xen_platform_init(&p, &ops, &u);
	wr(&p, 0, XEN_UNPLUG_NICS, 2);
	wr(&p, 0, XEN_UNPLUG_NICS, 2);
	assert_int_equal(u.calls, 1);
	wr(&p, 0, 0xfff0, 2); /* only unknown bits */
	assert_int_equal(u.calls, 1);
	wr(&p, 0, 0xffff, 2);
	assert_int_equal(u.calls, 2);
	assert_int_equal(u.mask, 0xf);
	/* The mask is a 16-bit write: a byte write at 0x10 unplugs nothing. */
	xen_platform_destroy(&p);
	u = (struct unplugs){0};
	xen_platform_init(&p, &ops, &u);
	wr(&p, 0, XEN_UNPLUG_IDE_DISKS, 1);
	wr(&p, 1, XEN_UNPLUG_IDE_DISKS, 2);
	assert_int_equal(u.calls, 0);
	xen_platform_destroy(&p);
}

/* Reads anywhere in the 16 ports are bounded; a long log line wraps without overflow. */
static void test_reads_and_log_bounded(void **state)
{
	struct xen_platform p;

	(void)state;
	xen_platform_init(&p, NULL, NULL);
	assert_int_equal(rd(&p, 15, 1) & 0xff, 0);
	assert_int_equal(rd(&p, 14, 4) & 0xffff, 0);
	for (int i = 0; i < 1000; i++)
		wr(&p, 2, 'x', 1);
	assert_true(p.log_len < sizeof(p.log));
	wr(&p, 2, '\n', 1);
	assert_int_equal(p.log_len, 0);
	wr(&p, 0, XEN_UNPLUG_NICS, 2); /* no ops: nothing to call */
	xen_platform_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_linux_handshake),
	    cmocka_unit_test(test_unplug_hostile_orders),
	    cmocka_unit_test(test_reads_and_log_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
