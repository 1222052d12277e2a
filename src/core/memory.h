/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: one host mapping split into a block below the
 * 32-bit MMIO hole and a block above 4 GiB.  Every access from device or
 * loader code goes through the bounds-checked helpers here.
 */
#ifndef XKVM_CORE_MEMORY_H
#define XKVM_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RAM below 4 GiB ends here; [MMIO_HOLE_START, 4 GiB) holds devices. */
#define MMIO_HOLE_START 0xC0000000ULL
#define HIGH_RAM_START	0x100000000ULL

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_memory {
	uint8_t *base; /* host mapping of all guest RAM */
	uint64_t size; /* total RAM bytes */
	unsigned nr_regions;
	struct mem_region regions[2]; /* low, then high (if any) */
	/* A non-RAM range the e820 map reports as reserved (Xen's special pages), or size 0. */
	uint64_t reserved_gpa, reserved_size;
};

/* Compute the low/high split for a RAM size without mapping anything. */
void guest_memory_layout(struct guest_memory *mem, uint64_t size);
/* Map guest RAM (anonymous, lazily backed).  Returns 0 or -errno. */
int guest_memory_map(struct guest_memory *mem, uint64_t size);
void guest_memory_unmap(struct guest_memory *mem);

/*
 * Host pointer for [gpa, gpa+len) or NULL when any byte of it is not
 * guest RAM or the range crosses from one region into the hole.
 */
void *gpa_to_hva(const struct guest_memory *mem, uint64_t gpa, uint64_t len);

/* Copy helpers: return 0, or -EFAULT when the range is not RAM. */
int guest_write(const struct guest_memory *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_read(const struct guest_memory *mem, uint64_t gpa, void *dst, uint64_t len);

/* End of RAM below the hole (exclusive). */
uint64_t guest_low_ram_end(const struct guest_memory *mem);

#endif
