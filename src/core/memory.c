/* SPDX-License-Identifier: MIT */
#include "core/memory.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SIZE_4K 4096ULL
/* A transparent huge page, and the largest nested page table entry below 1 GiB. */
#define HUGE_PAGE_SIZE (2ULL << 20)

static bool layout_ok(const struct mem_layout *l)
{
	bool gap = l->gap_end > l->gap_start;

	if ((l->hole_start | l->gap_start | l->gap_end) & (PAGE_SIZE_4K - 1))
		return false;
	if (l->hole_start < MIB || l->hole_start > HIGH_RAM_START)
		return false;
	return !gap || (l->gap_start && l->gap_end <= l->hole_start);
}

static void add_region(struct guest_memory *mem, uint64_t gpa, uint64_t size)
{
	if (size)
		mem->regions[mem->nr_regions++] = (struct mem_region){.gpa = gpa, .size = size};
}

int guest_memory_layout_for(struct guest_memory *mem, uint64_t size,
			    const struct mem_layout *layout)
{
	struct mem_layout l = layout ? *layout : (struct mem_layout){0};
	uint64_t low;

	if (!l.hole_start)
		l.hole_start = MMIO_HOLE_START;
	memset(mem, 0, sizeof(*mem));
	if (!layout_ok(&l))
		return -EINVAL;
	low = MIN(size, l.hole_start);
	mem->size = size;
	if (l.gap_end > l.gap_start) {
		add_region(mem, 0, MIN(low, l.gap_start));
		if (low > l.gap_end)
			add_region(mem, l.gap_end, low - l.gap_end);
	} else {
		add_region(mem, 0, low);
	}
	add_region(mem, HIGH_RAM_START, size - low);
	return 0;
}

/*
 * Anonymous memory for guest RAM, starting on a huge page boundary and
 * asking for transparent huge pages: KVM can then map the guest with 2 MiB
 * nested page table entries, so a guest touching its RAM takes one nested
 * page fault per 2 MiB instead of one per 4 KiB (QEMU asks for the same).
 * Where the host has no THP the advice fails and 4 KiB pages serve.
 */
static uint8_t *map_guest_ram(uint64_t size)
{
	uint64_t whole = (size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	uint64_t span = whole + HUGE_PAGE_SIZE, head, tail;
	uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *base;

	if (raw == MAP_FAILED)
		return NULL;
	head = (HUGE_PAGE_SIZE - (uintptr_t)raw % HUGE_PAGE_SIZE) % HUGE_PAGE_SIZE;
	base = raw + head;
	tail = span - head - whole;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + whole, tail);
	madvise(base, size, MADV_HUGEPAGE);
	/* Guest RAM need not be in core dumps of the VMM. */
	madvise(base, size, MADV_DONTDUMP);
	return base;
}

int guest_memory_map_layout(struct guest_memory *mem, uint64_t size,
			    const struct mem_layout *layout)
{
	int r = guest_memory_layout_for(mem, size, layout);
	uint8_t *base;

	if (r)
		return r;
	base = map_guest_ram(size);
	if (!base)
		return -errno;
	mem->base = base;
	/*
	 * Low RAM sits at host offset == gpa (a gap's bytes are mapped but never
	 * seen); RAM above 4 GiB takes the end of the mapping.
	 */
	for (unsigned i = 0; i < mem->nr_regions; i++) {
		struct mem_region *reg = &mem->regions[i];

		reg->hva = base + (reg->gpa < HIGH_RAM_START ? reg->gpa : size - reg->size);
	}
	return 0;
}

void guest_memory_layout(struct guest_memory *mem, uint64_t size)
{
	/* The default layout is valid by construction. */
	(void)guest_memory_layout_for(mem, size, NULL);
}

int guest_memory_map(struct guest_memory *mem, uint64_t size)
{
	return guest_memory_map_layout(mem, size, NULL);
}

void guest_memory_unmap(struct guest_memory *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	memset(mem, 0, sizeof(*mem));
}

void *gpa_to_hva(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && range_ok(gpa - r->gpa, len, r->size))
			return r->hva ? r->hva + (gpa - r->gpa) : NULL;
	}
	return NULL;
}

int guest_write(const struct guest_memory *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = gpa_to_hva(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_read(const struct guest_memory *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = gpa_to_hva(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

uint64_t guest_low_ram_end(const struct guest_memory *mem)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < mem->nr_regions; i++)
		if (mem->regions[i].gpa < HIGH_RAM_START)
			end = mem->regions[i].gpa + mem->regions[i].size;
	return end;
}

uint64_t guest_high_ram_size(const struct guest_memory *mem)
{
	for (unsigned i = 0; i < mem->nr_regions; i++)
		if (mem->regions[i].gpa >= HIGH_RAM_START)
			return mem->regions[i].size;
	return 0;
}
