/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a VM: RSDP, XSDT, FADT (with the PM1a blocks and reset
 * register of devices/acpi_pm), MADT (one local APIC per vCPU, the I/O
 * APIC) and a DSDT carrying \_S5 and the devices the guest must discover
 * through ACPI (the pvpanic port).
 */
#ifndef XKVM_ARCH_X86_ACPI_H
#define XKVM_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Guest-physical window reserved for the tables (inside e820 "reserved"). */
#define ACPI_TABLES_GPA	 0xE0000ULL
#define ACPI_TABLES_SIZE 0x10000ULL

/* Fixed-hardware I/O ports (devices/acpi_pm.c implements them). */
#define ACPI_PM1A_EVT_PORT 0x600 /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT_PORT 0x604 /* 2 bytes: SCI_EN, SLP_TYP, SLP_EN */
#define ACPI_RESET_PORT	   0x608 /* 1 byte: write ACPI_RESET_VALUE to reset */
#define ACPI_RESET_VALUE   0x06
#define ACPI_SCI_IRQ	   9
/* SLP_TYP value the DSDT's \_S5 package announces and acpi_pm expects. */
#define ACPI_S5_SLP_TYP 5

#define IOAPIC_GPA 0xFEC00000ULL
#define LAPIC_GPA  0xFEE00000ULL

#define PVPANIC_PORT 0x505
/* CMOS index of the century byte, which devices/rtc.c keeps. */
#define RTC_CENTURY_INDEX 0x32

struct acpi_config {
	unsigned nr_vcpus; /* local APIC ids 0..nr_vcpus-1 */
	unsigned ioapic_id;
};

/*
 * Build every table into buf, which the guest will see at gpa.  Returns
 * the number of bytes used, or a negative errno (-ENOSPC if size is too
 * small, -EINVAL for a bad config).  The RSDP is at offset 0.
 */
long acpi_build_tables(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg);

/* The standard ACPI checksum: the byte that makes the sum of len bytes 0. */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

#endif
