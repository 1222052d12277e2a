/* SPDX-License-Identifier: MIT */
#include "core/memory.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

void guest_memory_layout(struct guest_memory *mem, uint64_t size)
{
	uint64_t low = MIN(size, MMIO_HOLE_START);

	memset(mem, 0, sizeof(*mem));
	mem->size = size;
	mem->regions[0] = (struct mem_region){.gpa = 0, .size = low};
	mem->nr_regions = 1;
	if (size > low) {
		mem->regions[1] = (struct mem_region){.gpa = HIGH_RAM_START, .size = size - low};
		mem->nr_regions = 2;
	}
}

int guest_memory_map(struct guest_memory *mem, uint64_t size)
{
	void *base;

	guest_memory_layout(mem, size);
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	/* Guest RAM need not be in core dumps of the VMM. */
	madvise(base, size, MADV_DONTDUMP);
	mem->base = base;
	mem->regions[0].hva = mem->base;
	if (mem->nr_regions == 2)
		mem->regions[1].hva = mem->base + mem->regions[0].size;
	return 0;
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
	return mem->regions[0].size;
}
