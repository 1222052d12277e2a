/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a VM, generated from its board's device table
 * (board_desc.h): RSDP, RSDT, XSDT, FADT (the board's PM1a blocks, PM
 * timer and reset register), FACS, MADT (one local APIC per vCPU, the I/O
 * APIC, the board's interrupt overrides) and a DSDT carrying \_S5, the
 * PCI host bridge with its _PRT when the board has one, and every device
 * the table gives an ACPI _HID.  Where the tables live is the machine's
 * choice: acpi_build_tables() for a fixed address (PVH), acpi_loader.h for
 * firmware that places them (SeaBIOS).
 */
#ifndef XKVM_ARCH_X86_ACPI_H
#define XKVM_ARCH_X86_ACPI_H

#include "arch/x86/board_desc.h"

#include <stddef.h>
#include <stdint.h>

/* Written to the FADT reset register (devices/acpi_pm.c, the PIIX3's 0xCF9) to reset. */
#define ACPI_RESET_VALUE 0x06
/* SLP_TYP value the DSDT's \_S5 package announces and acpi_pm expects. */
#define ACPI_S5_SLP_TYP 5

#define IOAPIC_GPA 0xFEC00000ULL
#define LAPIC_GPA  0xFEE00000ULL

/* CMOS index of the century byte, which devices/rtc.c keeps. */
#define RTC_CENTURY_INDEX 0x32

struct acpi_config {
	const struct board_desc *board;
	unsigned nr_vcpus; /* local APIC ids 0..nr_vcpus-1 */
	unsigned ioapic_id;
	/* Boards with PCI: the 32-bit PCI window runs from here (the end of low RAM). */
	uint64_t pci_mem_start;
};

/*
 * Build every table into buf, which the guest will see at gpa (below
 * 4 GiB).  Returns the number of bytes used, or a negative errno (-ENOSPC
 * if size is too small, -EINVAL for a bad config).  The RSDP is at offset 0.
 */
long acpi_build_tables(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg);

/* The standard ACPI checksum: the byte that makes the sum of len bytes 0. */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

#endif
