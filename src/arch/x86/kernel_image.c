/* SPDX-License-Identifier: MIT */
#include "arch/x86/kernel_image.h"
#include "lib/decompress.h"
#include "lib/log.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Linux's boot protocol (Documentation/arch/x86/boot.rst): the setup header. */
#define BZ_SETUP_SECTS	  0x1f1
#define BZ_HEADER_MAGIC	  0x202
#define BZ_VERSION	  0x206
#define BZ_PAYLOAD_OFFSET 0x248
#define BZ_PAYLOAD_LENGTH 0x24c
#define BZ_HEADER_END	  0x250
/* payload_offset/length appeared in boot protocol 2.08. */
#define BZ_MIN_VERSION 0x0208

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static bool is_elf(const uint8_t *p, size_t len)
{
	return len >= SELFMAG && memcmp(p, ELFMAG, SELFMAG) == 0;
}

static bool is_bzimage(const uint8_t *file, size_t size)
{
	return size >= BZ_HEADER_END && memcmp(file + BZ_HEADER_MAGIC, "HdrS", 4) == 0;
}

/* The compressed payload of a bzImage: it starts in the protected-mode part. */
static int bzimage_payload(const uint8_t *file, size_t size, const uint8_t **payload, size_t *len,
			   const char **why)
{
	unsigned setup_sects = file[BZ_SETUP_SECTS] ? file[BZ_SETUP_SECTS] : 4;
	uint64_t pm_start = (uint64_t)(setup_sects + 1) * 512;
	uint64_t off = pm_start + get_le(file + BZ_PAYLOAD_OFFSET, 4);
	uint32_t length = get_le(file + BZ_PAYLOAD_LENGTH, 4);

	if (get_le(file + BZ_VERSION, 2) < BZ_MIN_VERSION) {
		*why = "bzImage boot protocol older than 2.08 (no payload field)";
		return -ENOEXEC;
	}
	if (!length || !range_ok(off, length, size)) {
		*why = "bzImage payload lies outside the file (truncated?)";
		return -EINVAL;
	}
	*payload = file + off;
	*len = length;
	return 0;
}

static const char *describe(bool bzimage, enum compression c)
{
	static const char *const bz[] = {"bzImage",	   "bzImage (gzip)", "bzImage (xz)",
					 "bzImage (lzma)", "bzImage (zstd)", "bzImage (lz4)",
					 "bzImage (bzip2)"};
	static const char *const elf[] = {"ELF",
					  "gzip-compressed ELF",
					  "xz-compressed ELF",
					  "lzma-compressed ELF",
					  "zstd-compressed ELF",
					  "lz4-compressed ELF",
					  "bzip2-compressed ELF"};

	if ((size_t)c >= ARRAY_SIZE(elf))
		return "kernel";
	return bzimage ? bz[c] : elf[c];
}

/* Decompress data, which must then be an ELF file. */
static int inflate_elf(const uint8_t *data, size_t len, enum compression c, size_t max,
		       uint8_t **owned, size_t *elf_size, const char **why)
{
	int r = decompress(c, data, len, max, owned, elf_size);

	if (r == -EFBIG)
		*why = "the decompressed kernel is larger than the limit";
	else if (r == -ENOMEM)
		*why = "out of memory decompressing the kernel";
	else if (r)
		*why = "the compressed kernel is corrupt or truncated";
	else if (!is_elf(*owned, *elf_size)) {
		free(*owned);
		*owned = NULL;
		*why = "the decompressed kernel is not an ELF file";
		r = -ENOEXEC;
	}
	return r;
}

int kernel_image_extract(const uint8_t *file, size_t size, size_t max_elf, uint8_t **owned,
			 const uint8_t **elf, size_t *elf_size, const char **format,
			 const char **why)
{
	bool bzimage = is_bzimage(file, size);
	const uint8_t *data = file;
	size_t len = size;
	enum compression c;
	int r;

	*owned = NULL;
	*format = bzimage ? "bzImage" : NULL;
	if (bzimage) {
		r = bzimage_payload(file, size, &data, &len, why);
		if (r)
			return r;
	}
	c = compression_detect(data, len);
	if (c != COMPRESSION_NONE || is_elf(data, len))
		*format = describe(bzimage, c);
	if (c == COMPRESSION_NONE) {
		if (!is_elf(data, len)) {
			*why = bzimage ? "bzImage payload in an unknown format"
				       : "not an ELF file, a bzImage or a compressed ELF";
			return -ENOEXEC;
		}
		*elf = data;
		*elf_size = len;
		return 0;
	}
	r = inflate_elf(data, len, c, max_elf, owned, elf_size, why);
	if (!r)
		*elf = *owned;
	return r;
}

int kernel_image_open(struct kernel_image *ki, const char *path, size_t max_size)
{
	const char *why = NULL;
	int r;

	memset(ki, 0, sizeof(*ki));
	r = file_buf_open(&ki->file, path, max_size, "kernel");
	if (r)
		return r;
	r = kernel_image_extract(ki->file.data, ki->file.size, max_size, &ki->decompressed,
				 &ki->elf, &ki->elf_size, &ki->format, &why);
	if (r && ki->format)
		pr_err("kernel '%s' (%s): %s", path, ki->format, why);
	else if (r)
		pr_err("kernel '%s': %s", path, why);
	if (r)
		kernel_image_close(ki);
	return r;
}

void kernel_image_close(struct kernel_image *ki)
{
	free(ki->decompressed);
	file_buf_close(&ki->file);
	memset(ki, 0, sizeof(*ki));
}
