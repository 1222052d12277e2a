/* SPDX-License-Identifier: MIT */
#include "arch/x86/e820.h"

static unsigned add(struct e820_entry *out, unsigned n, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size)
		out[n++] = (struct e820_entry){addr, size, type};
	return n;
}

unsigned e820_build(const struct guest_memory *mem, struct e820_entry *out)
{
	uint64_t low = guest_low_ram_end(mem);
	unsigned n = 0;

	n = add(out, n, 0, low < E820_LOW_RAM_END ? low : E820_LOW_RAM_END, E820_RAM);
	n = add(out, n, E820_LOW_RAM_END, E820_HIGH_MEM_GPA - E820_LOW_RAM_END, E820_RESERVED);
	if (low > E820_HIGH_MEM_GPA)
		n = add(out, n, E820_HIGH_MEM_GPA, low - E820_HIGH_MEM_GPA, E820_RAM);
	n = add(out, n, HIGH_RAM_START, guest_high_ram_size(mem), E820_RAM);
	n = add(out, n, mem->reserved_gpa, mem->reserved_size, E820_RESERVED);
	return n;
}
