/* SPDX-License-Identifier: MIT */
/*
 * Decompression of kernel images with Debian's libraries: the formats a
 * Linux bzImage payload or a compressed kernel file comes in (gzip, xz,
 * legacy lzma, zstd, legacy lz4, bzip2).  Input is untrusted: output is
 * bounded by the caller's limit and corrupt or truncated data is an error,
 * never an overrun.
 */
#ifndef XKVM_LIB_DECOMPRESS_H
#define XKVM_LIB_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum compression {
	COMPRESSION_NONE,
	COMPRESSION_GZIP,
	COMPRESSION_XZ,
	COMPRESSION_LZMA,
	COMPRESSION_ZSTD,
	COMPRESSION_LZ4,
	COMPRESSION_BZIP2,
};

/* The format whose magic number starts p, or COMPRESSION_NONE. */
enum compression compression_detect(const uint8_t *p, size_t len);

/* "gzip", "xz", ...: for messages. */
const char *compression_name(enum compression c);

/*
 * Decompress the first stream in src into a new malloc'd buffer (*out,
 * *out_len; free() it).  Bytes after the stream are ignored (kernels append
 * their size).  Returns 0, -EFBIG when the output would exceed max bytes,
 * -EINVAL for corrupt or truncated data, -ENOMEM or -ENOTSUP.
 */
int decompress(enum compression c, const uint8_t *src, size_t len, size_t max, uint8_t **out,
	       size_t *out_len);

#endif
