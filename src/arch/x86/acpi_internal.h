/* SPDX-License-Identifier: MIT */
/*
 * Shared by acpi.c and acpi_loader.c: the tables built without an RSDP,
 * at addresses relative to a base the firmware chooses, with a record of
 * every pointer and checksum it must fix once it placed them.
 */
#ifndef XKVM_ARCH_X86_ACPI_INTERNAL_H
#define XKVM_ARCH_X86_ACPI_INTERNAL_H

#include "arch/x86/acpi.h"

#define ACPI_MAX_POINTERS 16
#define ACPI_MAX_TABLES	  8
#define ACPI_RSDP_SIZE	  36

/* A pointer field inside the tables: offset of the field, its size (4 or 8). */
struct acpi_pointer {
	uint32_t offset;
	uint8_t size;
};

/* A table with an ACPI checksum: its offset and length, the checksum at offset + 9. */
struct acpi_table_span {
	uint32_t start;
	uint32_t len;
};

struct acpi_layout {
	uint64_t rsdt, xsdt; /* their addresses (gpa + offset) */
	unsigned nr_pointers, nr_tables;
	struct acpi_pointer pointers[ACPI_MAX_POINTERS];
	struct acpi_table_span tables[ACPI_MAX_TABLES];
};

/*
 * Everything but the RSDP, into buf seen at gpa; the layout says where the
 * root tables went and which fields hold addresses.  Bytes used or -errno.
 */
long acpi_build_without_rsdp(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
			     struct acpi_layout *layout);
struct aml;
/* The DSDT's AML (dsdt.c): \_S5, the board's devices, its PCI host bridge. */
void dsdt_build_aml(struct aml *a, const struct acpi_config *cfg);

/* An ACPI 2.0 RSDP (36 bytes) pointing at the RSDT and XSDT, checksums set. */
void acpi_build_rsdp(uint8_t *out, uint64_t rsdt, uint64_t xsdt);

#endif
