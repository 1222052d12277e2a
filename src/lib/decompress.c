/* SPDX-License-Identifier: MIT */
#include "lib/decompress.h"
#include "lib/util.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* liblzma's memory limit: Linux's xz/lzma payloads need a few MiB. */
#define LZMA_MEMLIMIT (256 * MIB)
/* Linux's legacy lz4 format: 8 MiB blocks, each preceded by its size. */
#define LZ4_LEGACY_MAGIC     0x184c2102u
#define LZ4_LEGACY_BLOCK     (8 * MIB)
#define DECOMPRESS_MIN_CHUNK (1 * MIB)

/*
 * A decoder's position: input left, output so far.  Output grows by
 * doubling up to max + 1 bytes, so "exactly max" and "more than max" differ.
 */
struct pump {
	const uint8_t *in;
	size_t in_left;
	uint8_t *out;
	size_t out_len, out_cap, out_max;
};

/* One step of a decoder: 0 to go on, 1 at the end of the stream, or -errno. */
typedef int (*decode_step)(void *decoder, struct pump *p);

static int pump_grow(struct pump *p)
{
	size_t limit = p->out_max + 1;
	size_t cap = p->out_cap ? p->out_cap * 2 : DECOMPRESS_MIN_CHUNK;
	uint8_t *data;

	if (p->out_cap >= limit)
		return -EFBIG;
	if (cap > limit || cap < p->out_cap)
		cap = limit;
	data = realloc(p->out, cap);
	if (!data)
		return -ENOMEM;
	p->out = data;
	p->out_cap = cap;
	return 0;
}

/* Libraries count in unsigned int; hand them at most that much at a time. */
static unsigned int clamp_uint(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (unsigned int)n;
}

static int pump_run(decode_step step, void *decoder, struct pump *p)
{
	for (;;) {
		int r = 0;

		if (p->out_len == p->out_cap)
			r = pump_grow(p);
		if (!r)
			r = step(decoder, p);
		if (r)
			return r < 0 ? r : 0;
	}
}

static int gzip_step(void *decoder, struct pump *p)
{
	z_stream *zs = decoder;
	unsigned int in = clamp_uint(p->in_left), out = clamp_uint(p->out_cap - p->out_len);
	int zr;

	zs->next_in = (Bytef *)p->in;
	zs->avail_in = in;
	zs->next_out = p->out + p->out_len;
	zs->avail_out = out;
	zr = inflate(zs, Z_NO_FLUSH);
	p->in += in - zs->avail_in;
	p->in_left -= in - zs->avail_in;
	p->out_len += out - zs->avail_out;
	if (zr == Z_STREAM_END)
		return 1;
	if (zr == Z_OK || (zr == Z_BUF_ERROR && !zs->avail_out))
		return 0;
	return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
}

static int gunzip(struct pump *p)
{
	z_stream zs = {0};
	int r;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) /* gzip header only */
		return -ENOMEM;
	r = pump_run(gzip_step, &zs, p);
	inflateEnd(&zs);
	return r;
}

static int lzma_step(void *decoder, struct pump *p)
{
	lzma_stream *s = decoder;
	lzma_ret lr;

	s->next_in = p->in;
	s->avail_in = p->in_left;
	s->next_out = p->out + p->out_len;
	s->avail_out = p->out_cap - p->out_len;
	lr = lzma_code(s, LZMA_FINISH);
	p->in_left = s->avail_in;
	p->in = s->next_in;
	p->out_len = p->out_cap - s->avail_out;
	if (lr == LZMA_STREAM_END)
		return 1;
	if (lr == LZMA_OK || (lr == LZMA_BUF_ERROR && !s->avail_out))
		return 0;
	return lr == LZMA_MEM_ERROR || lr == LZMA_MEMLIMIT_ERROR ? -ENOMEM : -EINVAL;
}

static int unxz(struct pump *p, bool legacy_lzma)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr = legacy_lzma ? lzma_alone_decoder(&s, LZMA_MEMLIMIT)
				  : lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0);
	int r;

	if (lr != LZMA_OK)
		return -ENOMEM;
	r = pump_run(lzma_step, &s, p);
	lzma_end(&s);
	return r;
}

static int zstd_step(void *decoder, struct pump *p)
{
	ZSTD_inBuffer in = {p->in, p->in_left, 0};
	ZSTD_outBuffer out = {p->out, p->out_cap, p->out_len};
	size_t before = p->out_len;
	size_t zr = ZSTD_decompressStream(decoder, &out, &in);

	p->in += in.pos;
	p->in_left -= in.pos;
	p->out_len = out.pos;
	if (ZSTD_isError(zr))
		return ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation ? -ENOMEM : -EINVAL;
	if (zr == 0)
		return 1; /* the frame is complete and flushed */
	if (!in.pos && out.pos == before)
		return -EINVAL; /* no progress with room to write: truncated */
	return 0;
}

static int unzstd(struct pump *p)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	int r;

	if (!ds)
		return -ENOMEM;
	r = pump_run(zstd_step, ds, p);
	ZSTD_freeDStream(ds);
	return r;
}

static int bzip2_step(void *decoder, struct pump *p)
{
	bz_stream *bz = decoder;
	unsigned int in = clamp_uint(p->in_left), out = clamp_uint(p->out_cap - p->out_len);
	int br;

	bz->next_in = (char *)p->in;
	bz->avail_in = in;
	bz->next_out = (char *)p->out + p->out_len;
	bz->avail_out = out;
	br = BZ2_bzDecompress(bz);
	p->in += in - bz->avail_in;
	p->in_left -= in - bz->avail_in;
	p->out_len += out - bz->avail_out;
	if (br == BZ_STREAM_END)
		return 1;
	if (br != BZ_OK)
		return br == BZ_MEM_ERROR ? -ENOMEM : -EINVAL;
	if (!p->in_left && bz->avail_out)
		return -EINVAL; /* truncated */
	return 0;
}

static int bunzip2(struct pump *p)
{
	bz_stream bz = {0};
	int r;

	if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
		return -ENOMEM;
	r = pump_run(bzip2_step, &bz, p);
	BZ2_bzDecompressEnd(&bz);
	return r;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Linux's lz4 payload is the legacy frame: a magic, then blocks of at most
 * 8 MiB output, each after its compressed size.  It ends where the input
 * does, or at the 4-byte size the kernel build appends.
 */
static int lz4_step(void *decoder, struct pump *p)
{
	uint32_t size;
	int n;

	(void)decoder;
	if (p->in_left <= 4)
		return 1;
	size = le32(p->in);
	if (size == LZ4_LEGACY_MAGIC) { /* a concatenated frame */
		p->in += 4;
		p->in_left -= 4;
		return 0;
	}
	if (!range_ok(4, size, p->in_left) || size > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
		return -EINVAL;
	if (p->out_cap - p->out_len < LZ4_LEGACY_BLOCK && p->out_cap <= p->out_max)
		return pump_grow(p);
	n = LZ4_decompress_safe((const char *)p->in + 4, (char *)p->out + p->out_len, (int)size,
				(int)MIN(p->out_cap - p->out_len, LZ4_LEGACY_BLOCK));
	if (n < 0)
		return p->out_cap - p->out_len < LZ4_LEGACY_BLOCK ? -EFBIG : -EINVAL;
	p->in += 4 + size;
	p->in_left -= 4 + size;
	p->out_len += (size_t)n;
	return 0;
}

/* The legacy frame has no end marker: a stream without one block is truncated. */
static int unlz4(struct pump *p)
{
	int r;

	if (p->in_left < 4 || le32(p->in) != LZ4_LEGACY_MAGIC)
		return -EINVAL;
	p->in += 4;
	p->in_left -= 4;
	r = pump_run(lz4_step, NULL, p);
	return !r && !p->out_len ? -EINVAL : r;
}

enum compression compression_detect(const uint8_t *p, size_t len)
{
	static const struct {
		enum compression c;
		uint8_t len;
		uint8_t magic[6];
	} magics[] = {
	    {COMPRESSION_GZIP, 2, {0x1f, 0x8b}},
	    {COMPRESSION_XZ, 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}},
	    {COMPRESSION_LZMA, 3, {0x5d, 0x00, 0x00}},
	    {COMPRESSION_ZSTD, 4, {0x28, 0xb5, 0x2f, 0xfd}},
	    {COMPRESSION_LZ4, 4, {0x02, 0x21, 0x4c, 0x18}},
	    {COMPRESSION_BZIP2, 3, {'B', 'Z', 'h'}},
	};

	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if (len >= magics[i].len && !memcmp(p, magics[i].magic, magics[i].len))
			return magics[i].c;
	return COMPRESSION_NONE;
}

const char *compression_name(enum compression c)
{
	static const char *const names[] = {"uncompressed", "gzip", "xz",   "lzma",
					    "zstd",	    "lz4",  "bzip2"};

	return (size_t)c < ARRAY_SIZE(names) ? names[c] : "unknown";
}

static int decode(enum compression c, struct pump *p)
{
	switch (c) {
	case COMPRESSION_GZIP:
		return gunzip(p);
	case COMPRESSION_XZ:
		return unxz(p, false);
	case COMPRESSION_LZMA:
		return unxz(p, true);
	case COMPRESSION_ZSTD:
		return unzstd(p);
	case COMPRESSION_LZ4:
		return unlz4(p);
	case COMPRESSION_BZIP2:
		return bunzip2(p);
	default:
		return -ENOTSUP;
	}
}

int decompress(enum compression c, const uint8_t *src, size_t len, size_t max, uint8_t **out,
	       size_t *out_len)
{
	struct pump p = {.in = src, .in_left = len, .out_max = max};
	int r = decode(c, &p);

	if (!r && p.out_len > max)
		r = -EFBIG;
	if (r) {
		free(p.out);
		return r;
	}
	*out = p.out;
	*out_len = p.out_len;
	return 0;
}
