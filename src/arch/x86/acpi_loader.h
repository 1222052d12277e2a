/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for firmware that places them itself: QEMU's fw_cfg
 * "linker/loader" interface, which SeaBIOS executes (src/fw/romfile_loader.c
 * there).  Three fw_cfg files: the tables (RSDT, XSDT, FADT, FACS, MADT,
 * DSDT) with every address written relative to the blob's start, the RSDP
 * alone (firmware puts it in the F segment, where an OS scans for it), and
 * a script of 128-byte commands: allocate each file, add each file's final
 * address to the pointer fields, then fix every checksum.
 */
#ifndef XKVM_ARCH_X86_ACPI_LOADER_H
#define XKVM_ARCH_X86_ACPI_LOADER_H

#include "arch/x86/acpi.h"

#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_TABLES_FILE "etc/acpi/tables"
#define ACPI_LOADER_RSDP_FILE	"etc/acpi/rsdp"
#define ACPI_LOADER_SCRIPT_FILE "etc/table-loader"

/* The loader's wire format (little endian). */
#define ACPI_LOADER_ENTRY_SIZE 128
#define ACPI_LOADER_FILE_SIZE  56 /* a file name with its NUL */
enum acpi_loader_command {
	ACPI_LOADER_ALLOCATE = 1,     /* file, alignment (u32), zone (u8) */
	ACPI_LOADER_ADD_POINTER = 2,  /* dest file, src file, offset (u32), size (u8) */
	ACPI_LOADER_ADD_CHECKSUM = 3, /* file, result offset, start, length (u32 each) */
};
enum acpi_loader_zone {
	ACPI_LOADER_ZONE_HIGH = 1, /* anywhere in RAM below 4 GiB */
	ACPI_LOADER_ZONE_FSEG = 2, /* 0xF0000-0xFFFFF */
};

struct acpi_blob {
	uint8_t *data;
	size_t len;
};

struct acpi_loader_blobs {
	struct acpi_blob tables, rsdp, script;
};

/* Build the three files for cfg (pci_mem_start set for a PCI board).  0 or -errno. */
int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_blobs *out);
void acpi_loader_free(struct acpi_loader_blobs *blobs);

#endif
