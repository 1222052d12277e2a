/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: one host mapping split into RAM below the 32-bit
 * MMIO hole (optionally with a gap for legacy VGA/BIOS ranges) and RAM
 * above 4 GiB.  The machine says where the hole starts.  Every access from
 * device or loader code goes through the bounds-checked helpers here.
 */
#ifndef XKVM_CORE_MEMORY_H
#define XKVM_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default (PVH) layout: RAM below 4 GiB ends here; [MMIO_HOLE_START, 4 GiB) holds devices. */
#define MMIO_HOLE_START 0xC0000000ULL
#define HIGH_RAM_START	0x100000000ULL
/* Low RAM below a gap, low RAM above it, RAM above 4 GiB. */
#define MEM_MAX_REGIONS 3

/* Where a machine wants guest RAM; what does not fit below the hole goes above 4 GiB. */
struct mem_layout {
	uint64_t hole_start; /* 32-bit device hole [hole_start, 4 GiB); 0: MMIO_HOLE_START */
	/*
	 * [gap_start, gap_end) below hole_start is not RAM (an HVM machine's
	 * VGA window and BIOS area); its bytes still count as RAM.  Empty: none.
	 */
	uint64_t gap_start, gap_end;
};

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_memory {
	uint8_t *base; /* host mapping of all guest RAM */
	uint64_t size; /* total RAM bytes */
	unsigned nr_regions;
	struct mem_region regions[MEM_MAX_REGIONS]; /* ascending gpa; the last may be above 4 GiB */
	/* A non-RAM range the e820 map reports as reserved (Xen's special pages), or size 0. */
	uint64_t reserved_gpa, reserved_size;
};

/*
 * Compute the regions for a RAM size without mapping anything; layout NULL
 * is the default one.  Returns 0, or -EINVAL for a layout that is not
 * page-aligned, whose hole is not in [1 MiB, 4 GiB] or whose gap is not
 * below the hole.
 */
int guest_memory_layout_for(struct guest_memory *mem, uint64_t size,
			    const struct mem_layout *layout);
/* Lay out and map guest RAM (anonymous, lazily backed).  Returns 0 or -errno. */
int guest_memory_map_layout(struct guest_memory *mem, uint64_t size,
			    const struct mem_layout *layout);
/* The same with the default (PVH) layout. */
void guest_memory_layout(struct guest_memory *mem, uint64_t size);
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
/* Bytes of RAM above 4 GiB (from HIGH_RAM_START). */
uint64_t guest_high_ram_size(const struct guest_memory *mem);

#endif
