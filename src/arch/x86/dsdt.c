/* SPDX-License-Identifier: MIT */
/*
 * The DSDT's AML, generated from the board table: \_S5 for power-off, a
 * Device per table entry that has an ACPI _HID (its ports and IRQ as
 * _CRS), and for a board with PCI the host bridge PCI0 with its windows
 * and a _PRT, the ISA devices under its ISA bridge.
 *
 * _PRT entries name GSIs directly (no LNKx link devices): each slot's pin
 * is routed the way SeaBIOS leaves the PIIX3's PIRQ registers
 * (board_desc.pirq_irqs), and nothing reprograms them afterwards, since an
 * OS only rewrites PIRQ routing through link devices' _SRS.  The MADT gives
 * those IRQs level-triggered overrides.
 */
#include "arch/x86/acpi_internal.h"
#include "arch/x86/aml.h"
#include "lib/util.h"

#include <string.h>

#define EISA_ID_LEN	      7
#define ACPI_STA_ALL	      0x0F
#define PCI_IO_END	      0xFFFF
#define PCI_CFG_PORT	      0xCF8
#define PCI_CFG_LEN	      8
#define PCI_IO_GAP_LO	      0xCF7 /* the I/O window skips 0xCF8-0xCFF */
#define PCI_IO_GAP_HI	      0xD00
#define PCI_ANY_FUNC	      0xFFFF
#define PCI_DEVFN_SLOT(devfn) ((devfn) >> 3)

/* \_S5: the SLP_TYP values for PM1a and PM1b that mean soft-off, and two reserved. */
static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_name(a, "_S5");
	pkg = aml_package_open(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a, pkg);
}

/* PNPxxxx-style ids are compressed EISA ids; others ("QEMU0001") strings. */
static void dsdt_hid(struct aml *a, const char *hid)
{
	aml_name(a, "_HID");
	if (strlen(hid) == EISA_ID_LEN)
		aml_eisa_id(a, hid);
	else
		aml_string(a, hid);
}

static void dsdt_device(struct aml *a, const struct board_device *d)
{
	size_t dev, crs;

	dev = aml_device_open(a, d->name);
	dsdt_hid(a, d->hid);
	aml_name(a, "_UID");
	aml_integer(a, d->uid);
	aml_name(a, "_STA");
	aml_integer(a, ACPI_STA_ALL); /* present, enabled, shown, functioning */
	aml_name(a, "_CRS");
	crs = aml_resource_template_open(a);
	for (unsigned i = 0; i < BOARD_MAX_RANGES; i++) {
		const struct board_range *r = &d->ranges[i];

		if (r->len)
			aml_io(a, (uint16_t)r->base, (uint16_t)r->base, 1, (uint8_t)r->len);
	}
	if (d->irq != BOARD_NO_IRQ)
		aml_irq_no_flags(a, (unsigned)d->irq);
	aml_resource_template_close(a, crs);
	aml_close(a, dev);
}

static void dsdt_board_devices(struct aml *a, const struct board_desc *b)
{
	for (size_t i = 0; i < b->nr_devices; i++)
		if (b->devices[i].hid)
			dsdt_device(a, &b->devices[i]);
}

/* Bus 0, config ports, all other I/O, and memory from the end of low RAM to the I/O APIC. */
static void dsdt_pci_crs(struct aml *a, const struct acpi_config *cfg)
{
	size_t crs;

	aml_name(a, "_CRS");
	crs = aml_resource_template_open(a);
	aml_word_bus_number(a, 0, 0xFF);
	aml_io(a, PCI_CFG_PORT, PCI_CFG_PORT, 1, PCI_CFG_LEN);
	aml_word_io(a, 0, PCI_IO_GAP_LO);
	aml_word_io(a, PCI_IO_GAP_HI, PCI_IO_END);
	aml_dword_memory(a, (uint32_t)cfg->pci_mem_start, (uint32_t)(IOAPIC_GPA - 1));
	aml_resource_template_close(a, crs);
}

/* Package { slot << 16 | 0xFFFF, pin (0 = INTA), 0 (no link device), GSI } per slot and pin. */
static void dsdt_prt(struct aml *a, const struct board_desc *b)
{
	size_t prt;

	aml_name(a, "_PRT");
	prt = aml_package_open(a, BOARD_NR_PCI_SLOT * BOARD_NR_PIRQS);
	for (unsigned slot = 0; slot < BOARD_NR_PCI_SLOT; slot++) {
		for (unsigned pin = 1; pin <= BOARD_NR_PIRQS; pin++) {
			size_t e = aml_package_open(a, 4);

			aml_integer(a, (uint64_t)slot << 16 | PCI_ANY_FUNC);
			aml_integer(a, pin - 1);
			aml_integer(a, 0);
			aml_integer(a, (uint64_t)board_pci_irq(b, slot, pin));
			aml_close(a, e);
		}
	}
	aml_close(a, prt);
}

static void dsdt_pci0(struct aml *a, const struct acpi_config *cfg)
{
	const struct board_desc *b = cfg->board;
	size_t pci, isa;

	pci = aml_device_open(a, "PCI0");
	dsdt_hid(a, "PNP0A03");
	aml_name(a, "_ADR");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	dsdt_pci_crs(a, cfg);
	dsdt_prt(a, b);
	/* _ADR of a PCI function: slot << 16 | function. */
	isa = aml_device_open(a, "ISA");
	aml_name(a, "_ADR");
	aml_integer(a, (uint64_t)PCI_DEVFN_SLOT(b->isa_bridge_devfn) << 16 |
			   (b->isa_bridge_devfn & 7));
	dsdt_board_devices(a, b);
	aml_close(a, isa);
	aml_close(a, pci);
}

void dsdt_build_aml(struct aml *a, const struct acpi_config *cfg)
{
	size_t sb;

	dsdt_s5(a);
	sb = aml_scope_open(a, "\\_SB");
	if (cfg->board->has_pci)
		dsdt_pci0(a, cfg);
	else
		dsdt_board_devices(a, cfg->board);
	aml_close(a, sb);
}
