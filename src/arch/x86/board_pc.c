/* SPDX-License-Identifier: MIT */
/*
 * The PC board of an HVM machine: an i440FX host bridge with a PIIX3 at
 * 00:01.0 and the ISA devices SeaBIOS and an unmodified OS expect at their
 * historical addresses.  The ACPI PM block (event, control, timer) sits at
 * 0x600 as on QEMU's PIIX4; the FADT reset register is the PIIX3's 0xCF9.
 */
#include "arch/x86/board_desc.h"
#include "lib/util.h"

#define PC_SCI_IRQ 9

static const struct board_device pc_devices[] = {
    {.name = "COM1",
     .kind = BOARD_DEV_SERIAL,
     .ranges = {{0x3F8, 8}},
     .irq = 4,
     .hid = "PNP0501",
     .uid = 1},
    {.name = "RTC", .kind = BOARD_DEV_RTC, .ranges = {{0x70, 2}}, .irq = 8, .hid = "PNP0B00"},
    {.name = "KBD",
     .kind = BOARD_DEV_I8042,
     .ranges = {{0x60, 1}, {0x64, 1}},
     .irq = 1,
     .hid = "PNP0303"},
    /*
     * Not in the DSDT: a PS/2 keyboard with no PNP0F13 mouse makes Linux's
     * i8042 driver leave the AUX port alone, which a headless VM never needs.
     */
    {.name = "MOU", .kind = BOARD_DEV_I8042_AUX, .irq = 12},
    {.name = "PEVT",
     .kind = BOARD_DEV_PVPANIC,
     .ranges = {{0x505, 1}},
     .irq = BOARD_NO_IRQ,
     .hid = "QEMU0001"},
    {.name = "P92", .kind = BOARD_DEV_PORT92, .ranges = {{0x92, 1}}, .irq = BOARD_NO_IRQ},
    {.name = "ELCR", .kind = BOARD_DEV_ELCR, .ranges = {{0x4D0, 2}}, .irq = BOARD_NO_IRQ},
    {.name = "DBGC", .kind = BOARD_DEV_DEBUGCON, .ranges = {{0x402, 1}}, .irq = BOARD_NO_IRQ},
    /* Where Xen's device model decodes them; only a machine with the platform device has them. */
    {.name = "XENP", .kind = BOARD_DEV_XEN_PLATFORM, .ranges = {{0x10, 16}}, .irq = BOARD_NO_IRQ},
    {.name = "FWCF", .kind = BOARD_DEV_FW_CFG, .ranges = {{0x510, 2}}, .irq = BOARD_NO_IRQ},
    {.name = "PCFG", .kind = BOARD_DEV_PCI_CONFIG, .ranges = {{0xCF8, 8}}, .irq = BOARD_NO_IRQ},
    {.name = "RST",
     .kind = BOARD_DEV_ACPI_RESET,
     .ranges = {{0xCF9, 1}},
     .irq = BOARD_NO_IRQ,
     .nested = true},
    {.name = "PM1", .kind = BOARD_DEV_ACPI_PM1, .ranges = {{0x600, 6}}, .irq = PC_SCI_IRQ},
    {.name = "PMTM", .kind = BOARD_DEV_ACPI_TIMER, .ranges = {{0x608, 4}}, .irq = BOARD_NO_IRQ},
    {.name = "IDE0", .kind = BOARD_DEV_IDE, .ranges = {{0x1F0, 8}, {0x3F6, 1}}, .irq = 14},
    {.name = "IDE1",
     .kind = BOARD_DEV_IDE,
     .ranges = {{0x170, 8}, {0x376, 1}},
     .irq = 15,
     .instance = 1},
};

const struct board_desc board_pc = {
    .name = "pc",
    .devices = pc_devices,
    .nr_devices = ARRAY_SIZE(pc_devices),
    /* The PIT's IRQ 0 on I/O APIC pin 2, as on real PCs and QEMU. */
    .timer_gsi = 2,
    .has_pci = true,
    .isa_bridge_devfn = 1 << 3, /* 00:01.0 */
    /* SeaBIOS's pciinit.c writes these to the PIIX3's PIRQ route registers 0x60-0x63. */
    .pirq_irqs = {10, 10, 11, 11},
    /* 00:02.0 is QEMU's VGA slot, left free so that a display can come later. */
    .first_free_pci_slot = 3,
};
