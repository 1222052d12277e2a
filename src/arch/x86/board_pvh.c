/* SPDX-License-Identifier: MIT */
/*
 * The PVH board: the few emulated devices a Xen PVH guest uses beside its
 * PV ones.  No PCI; ports of the ACPI PM block as QEMU's PIIX4 has them.
 */
#include "arch/x86/board_desc.h"
#include "lib/util.h"

static const struct board_device pvh_devices[] = {
    {.name = "COM1",
     .kind = BOARD_DEV_SERIAL,
     .ranges = {{0x3F8, 8}},
     .irq = 4,
     .hid = "PNP0501",
     .uid = 1},
    {.name = "RTC", .kind = BOARD_DEV_RTC, .ranges = {{0x70, 2}}, .irq = 8, .hid = "PNP0B00"},
    /* The ID Linux's pvpanic-mmio driver (despite the name, it takes I/O ports) binds to. */
    {.name = "PEVT",
     .kind = BOARD_DEV_PVPANIC,
     .ranges = {{0x505, 1}},
     .irq = BOARD_NO_IRQ,
     .hid = "QEMU0001"},
    {.name = "PM1", .kind = BOARD_DEV_ACPI_PM1, .ranges = {{0x600, 6}}, .irq = 9},
    {.name = "RST", .kind = BOARD_DEV_ACPI_RESET, .ranges = {{0x608, 1}}, .irq = BOARD_NO_IRQ},
};

const struct board_desc board_pvh = {
    .name = "pvh",
    .devices = pvh_devices,
    .nr_devices = ARRAY_SIZE(pvh_devices),
};
