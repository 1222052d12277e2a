/* SPDX-License-Identifier: MIT */
/*
 * ELF kernels (32- or 64-bit) with Xen ELF notes: the PVH entry point
 * (XEN_ELFNOTE_PHYS32_ENTRY) and loadable segments placed at their
 * physical addresses.  Every field of the file is untrusted.
 */
#ifndef XKVM_ARCH_X86_ELF_H
#define XKVM_ARCH_X86_ELF_H

#include "core/memory.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_kernel {
	bool is_64bit;
	bool has_phys32_entry;
	uint64_t phys32_entry;
	uint64_t load_start; /* lowest physical byte of any PT_LOAD segment */
	uint64_t load_end;   /* one past the highest */
};

/*
 * Validate the image and extract the entry note and load range.  On error
 * returns -ENOEXEC (not ELF / wrong machine), -EINVAL (malformed or
 * truncated) or -ENOENT (no PVH entry note), with *why set to a message.
 */
int elf_parse(const uint8_t *img, size_t size, struct elf_kernel *out, const char **why);

/* Copy the PT_LOAD segments into guest memory.  -EFAULT if one is not in RAM. */
int elf_load(const uint8_t *img, size_t size, const struct guest_memory *mem);

#endif
