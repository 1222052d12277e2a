/* SPDX-License-Identifier: MIT */
/* The guest's physical memory map (e820 types, as PVH's memmap uses them). */
#ifndef XKVM_ARCH_X86_E820_H
#define XKVM_ARCH_X86_E820_H

#include "core/memory.h"

#include <stdint.h>

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3

/* Legacy area below 1 MiB that is not RAM: EBDA, VGA, option ROMs, BIOS. */
#define E820_LOW_RAM_END  0x9F000ULL
#define E820_HIGH_MEM_GPA 0x100000ULL

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define E820_MAX_ENTRIES 8

/* Fill out[] (at least E820_MAX_ENTRIES) from mem's layout; returns the count. */
unsigned e820_build(const struct guest_memory *mem, struct e820_entry *out);

#endif
