/* SPDX-License-Identifier: MIT */
#include "arch/x86/board_desc.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>

#define ACPI_NAME_MAX 4
#define ISA_NR_IRQS   16
#define IO_SPACE_END  0x10000ULL

const struct board_device *board_find(const struct board_desc *b, enum board_dev_kind kind,
				      unsigned instance)
{
	for (size_t i = 0; i < b->nr_devices; i++) {
		const struct board_device *d = &b->devices[i];

		if (d->kind == kind && d->instance == instance)
			return d;
	}
	return NULL;
}

int board_pci_irq(const struct board_desc *b, unsigned slot, unsigned pin)
{
	if (!b->has_pci || slot >= BOARD_NR_PCI_SLOT || pin < 1 || pin > BOARD_NR_PIRQS)
		return -1;
	/* (slot + pin - 2) mod 4, kept non-negative. */
	return b->pirq_irqs[(slot + pin + 2) % BOARD_NR_PIRQS];
}

static bool ranges_overlap(const struct board_range *a, const struct board_range *b)
{
	return a->len && b->len && a->base < b->base + b->len && b->base < a->base + a->len;
}

/* Two placed devices (same space, neither nested) must not share an address. */
static bool devices_overlap(const struct board_device *a, const struct board_device *b)
{
	if (a->space != b->space || a->nested || b->nested)
		return false;
	for (unsigned i = 0; i < BOARD_MAX_RANGES; i++)
		for (unsigned j = 0; j < BOARD_MAX_RANGES; j++)
			if (ranges_overlap(&a->ranges[i], &b->ranges[j]))
				return true;
	return false;
}

static int check_device(const struct board_device *d, const char **why)
{
	size_t name_len = d->name ? strlen(d->name) : 0;
	uint64_t end = d->space == BOARD_IO ? IO_SPACE_END : 1ULL << 52;

	if (name_len == 0 || name_len > ACPI_NAME_MAX) {
		*why = "a device name is empty or longer than an ACPI NameSeg";
		return -EINVAL;
	}
	for (unsigned i = 0; i < BOARD_MAX_RANGES; i++) {
		const struct board_range *r = &d->ranges[i];

		if (r->len && !range_ok(r->base, r->len, end)) {
			*why = d->name;
			return -EINVAL;
		}
	}
	if (d->irq != BOARD_NO_IRQ && (d->irq < 0 || d->irq >= ISA_NR_IRQS)) {
		*why = d->name;
		return -EINVAL;
	}
	/* The DSDT generator describes I/O ports only. */
	if (d->hid && d->space != BOARD_IO) {
		*why = d->name;
		return -EINVAL;
	}
	return 0;
}

int board_desc_check(const struct board_desc *b, const char **why)
{
	for (size_t i = 0; i < b->nr_devices; i++) {
		int r = check_device(&b->devices[i], why);

		if (r)
			return r;
		for (size_t j = 0; j < i; j++) {
			if (devices_overlap(&b->devices[i], &b->devices[j])) {
				*why = b->devices[i].name;
				return -EINVAL;
			}
		}
	}
	for (unsigned i = 0; b->has_pci && i < BOARD_NR_PIRQS; i++) {
		if (b->pirq_irqs[i] >= ISA_NR_IRQS) {
			*why = "a PIRQ is routed past the ISA IRQs";
			return -EINVAL;
		}
	}
	return 0;
}
