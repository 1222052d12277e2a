/* SPDX-License-Identifier: MIT */
/*
 * ELF kernels (32- or 64-bit) with Xen ELF notes: the PVH entry point
 * (XEN_ELFNOTE_PHYS32_ENTRY), the notes that make a Xen PV kernel, and
 * loadable segments placed at their physical addresses.  Every field of
 * the file is untrusted.
 */
#ifndef XKVM_ARCH_X86_ELF_H
#define XKVM_ARCH_X86_ELF_H

#include "core/memory.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The strings of Xen's notes, as Xen's PV loader keeps them: at most 15 characters. */
#define ELF_XEN_STRING_MAX 16

struct elf_kernel {
	bool is_64bit;
	bool has_phys32_entry;
	uint64_t phys32_entry;
	uint64_t load_start; /* lowest physical byte of any PT_LOAD segment */
	uint64_t load_end;   /* one past the highest */
	/* What a PV kernel's notes say; a Linux PV kernel has these and the PVH entry. */
	unsigned nr_xen_notes; /* notes named "Xen", of any type */
	bool has_pv_entry;     /* XEN_ELFNOTE_ENTRY: the PV entry point (virtual) */
	uint64_t pv_entry;
	char guest_os[ELF_XEN_STRING_MAX];    /* XEN_ELFNOTE_GUEST_OS: "linux", "GRUB"... */
	char xen_version[ELF_XEN_STRING_MAX]; /* XEN_ELFNOTE_XEN_VERSION: "xen-3.0" */
	char loader[ELF_XEN_STRING_MAX];      /* XEN_ELFNOTE_LOADER: "generic" */
};

/* How the kernel is to be booted, which decides the notes it must have. */
enum elf_boot {
	ELF_BOOT_PVH,	 /* XEN_ELFNOTE_PHYS32_ENTRY */
	ELF_BOOT_XEN_PV, /* what Xen's PV loader requires (Xen's PV shim loads it) */
};

/*
 * Validate the image and extract its Xen notes and load range.  On error
 * returns -ENOEXEC (not ELF / wrong machine), -EINVAL (malformed or
 * truncated) or -ENOENT (the notes boot needs are missing), with *why set
 * to a message.
 */
int elf_parse(const uint8_t *img, size_t size, enum elf_boot boot, struct elf_kernel *out,
	      const char **why);

/* Copy the PT_LOAD segments into guest memory.  -EFAULT if one is not in RAM. */
int elf_load(const uint8_t *img, size_t size, const struct guest_memory *mem);

#endif
