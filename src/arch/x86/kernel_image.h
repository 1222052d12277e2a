/* SPDX-License-Identifier: MIT */
/*
 * A kernel file in any form xl takes for a PVH or PV guest: an ELF of
 * either class, a Linux bzImage (whose payload is a compressed ELF), or an
 * ELF compressed with gzip, xz, lzma, zstd, lz4 or bzip2.  What comes out is
 * always the ELF image, for elf.c to parse and load.  Decompression uses
 * Debian's libraries (lib/decompress.c) and is bounded.
 */
#ifndef XKVM_ARCH_X86_KERNEL_IMAGE_H
#define XKVM_ARCH_X86_KERNEL_IMAGE_H

#include "lib/util.h"

#include <stddef.h>
#include <stdint.h>

/* A kernel file, or the ELF inside it, larger than this is not one we can boot. */
#define KERNEL_IMAGE_MAX (512 * MIB)

struct kernel_image {
	struct file_buf file;
	uint8_t *decompressed; /* owned; NULL when the file is the ELF itself */
	const uint8_t *elf;
	size_t elf_size;
	const char *format; /* "ELF", "bzImage (zstd)", "gzip-compressed ELF"...; NULL: unknown */
};

/*
 * Find the ELF in an in-memory kernel file.  *owned is set to a buffer the
 * caller frees when the ELF had to be decompressed, else NULL.  Returns 0,
 * or -ENOEXEC / -EINVAL / -EFBIG / -ENOMEM with *why set.
 */
int kernel_image_extract(const uint8_t *file, size_t size, size_t max_elf, uint8_t **owned,
			 const uint8_t **elf, size_t *elf_size, const char **format,
			 const char **why);

/* Open a kernel file and find its ELF; errors are logged with the path. */
int kernel_image_open(struct kernel_image *ki, const char *path, size_t max_size);
void kernel_image_close(struct kernel_image *ki);

#endif
