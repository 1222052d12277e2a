/* SPDX-License-Identifier: MIT */
/*
 * For the ACPI unit tests: little-endian fields of the tables they read
 * back, and the byte sum every ACPI table must bring to zero.
 */
#ifndef XKVM_ARCH_X86_ACPI_TEST_BYTES_H
#define XKVM_ARCH_X86_ACPI_TEST_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

#endif
