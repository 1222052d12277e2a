/* SPDX-License-Identifier: MIT */
/*
 * Round trips through Debian's real encoders for every format, then the
 * hostile cases: truncation, corruption, output limits, trailing bytes.
 */
#include "lib/decompress.h"
#include "lib/test.h"
#include "lib/util.h"

#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* Larger than one growth step and than one lz4 block, and compressible. */
#define PLAIN_SIZE (9 * MIB + 123)

struct blob {
	uint8_t *data;
	size_t len;
};

static uint8_t *make_plain(void)
{
	uint8_t *p = malloc(PLAIN_SIZE);
	uint32_t x = 12345;

	assert_non_null(p);
	for (size_t i = 0; i < PLAIN_SIZE; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (uint8_t)(i % 251 < 200 ? i % 7 : x >> 24);
	}
	return p;
}

static struct blob enc_gzip(const uint8_t *in, size_t len)
{
	struct blob b = {malloc(len + len / 2 + 1024), 0};
	z_stream zs = {0};

	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = b.data;
	zs.avail_out = (uInt)(len + len / 2 + 1024);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	b.len = zs.total_out;
	deflateEnd(&zs);
	return b;
}

static struct blob enc_xz(const uint8_t *in, size_t len, bool legacy)
{
	struct blob b = {malloc(len + len / 2 + 1024), 0};
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;

	lzma_lzma_preset(&opt, 1);
	assert_int_equal(legacy ? lzma_alone_encoder(&s, &opt)
				: lzma_easy_encoder(&s, 1, LZMA_CHECK_CRC32),
			 LZMA_OK);
	s.next_in = in;
	s.avail_in = len;
	s.next_out = b.data;
	s.avail_out = len + len / 2 + 1024;
	assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
	b.len = s.total_out;
	lzma_end(&s);
	return b;
}

static struct blob enc_zstd(const uint8_t *in, size_t len)
{
	struct blob b = {malloc(ZSTD_compressBound(len)), 0};

	b.len = ZSTD_compress(b.data, ZSTD_compressBound(len), in, len, 3);
	assert_false(ZSTD_isError(b.len));
	return b;
}

/* Linux's legacy lz4 frame: magic, then [size][block] per 8 MiB of input. */
static struct blob enc_lz4(const uint8_t *in, size_t len)
{
	size_t block = 8 * MIB, cap = 4 + (len / block + 1) * (4 + LZ4_compressBound((int)block));
	struct blob b = {malloc(cap), 4};

	static const uint8_t magic[4] = {0x02, 0x21, 0x4c, 0x18};

	memcpy(b.data, magic, sizeof(magic));
	for (size_t off = 0; off < len; off += block) {
		int n =
		    LZ4_compress_default((const char *)in + off, (char *)b.data + b.len + 4,
					 (int)MIN(block, len - off), LZ4_compressBound((int)block));
		uint32_t le = (uint32_t)n;

		assert_true(n > 0);
		memcpy(b.data + b.len, &le, 4);
		b.len += 4 + (size_t)n;
	}
	return b;
}

static struct blob enc_bzip2(const uint8_t *in, size_t len)
{
	unsigned int out = (unsigned int)(len + len / 100 + 600);
	struct blob b = {malloc(out), 0};

	assert_int_equal(
	    BZ2_bzBuffToBuffCompress((char *)b.data, &out, (char *)in, (unsigned int)len, 1, 0, 0),
	    BZ_OK);
	b.len = out;
	return b;
}

static struct blob encode(enum compression c, const uint8_t *in, size_t len)
{
	switch (c) {
	case COMPRESSION_GZIP:
		return enc_gzip(in, len);
	case COMPRESSION_XZ:
	case COMPRESSION_LZMA:
		return enc_xz(in, len, c == COMPRESSION_LZMA);
	case COMPRESSION_ZSTD:
		return enc_zstd(in, len);
	case COMPRESSION_LZ4:
		return enc_lz4(in, len);
	default:
		return enc_bzip2(in, len);
	}
}

static const enum compression formats[] = {COMPRESSION_GZIP, COMPRESSION_XZ,  COMPRESSION_LZMA,
					   COMPRESSION_ZSTD, COMPRESSION_LZ4, COMPRESSION_BZIP2};

/* Each format decodes what Debian's encoder made, with a size appended as Linux does. */
static void test_round_trip(void **state)
{
	uint8_t *plain = make_plain();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct blob b = encode(formats[i], plain, PLAIN_SIZE);
		uint8_t *out = NULL;
		size_t out_len = 0;

		b.data = realloc(b.data, b.len + 4);
		memcpy(b.data + b.len, &(uint32_t){PLAIN_SIZE}, 4);
		assert_int_equal(compression_detect(b.data, b.len), formats[i]);
		assert_int_equal(
		    decompress(formats[i], b.data, b.len + 4, 64 * MIB, &out, &out_len), 0);
		assert_int_equal(out_len, PLAIN_SIZE);
		assert_memory_equal(out, plain, PLAIN_SIZE);
		free(out);
		/* Exactly the limit is fine; one byte less is -EFBIG. */
		assert_int_equal(decompress(formats[i], b.data, b.len, PLAIN_SIZE, &out, &out_len),
				 0);
		free(out);
		out = NULL;
		assert_int_equal(
		    decompress(formats[i], b.data, b.len, PLAIN_SIZE - 1, &out, &out_len), -EFBIG);
		assert_null(out);
		free(b.data);
	}
	free(plain);
}

/* A stream cut anywhere is an error, never a hang or an overread. */
static void test_truncated(void **state)
{
	uint8_t *plain = make_plain();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct blob b = encode(formats[i], plain, 300 * KIB);

		for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 37) {
			uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
			uint8_t *out = NULL;
			size_t out_len;

			memcpy(copy, b.data, cut);
			assert_int_not_equal(
			    decompress(formats[i], copy, cut, 64 * MIB, &out, &out_len), 0);
			assert_null(out);
			free(copy);
		}
		free(b.data);
	}
	free(plain);
}

/* Flipped bytes: an error or some output, never a crash (ASan/UBSan watch). */
static void test_corrupt(void **state)
{
	uint8_t *plain = make_plain();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct blob b = encode(formats[i], plain, 200 * KIB);

		for (size_t pos = 0; pos < b.len; pos += 1 + b.len / 29) {
			uint8_t *out = NULL;
			size_t out_len;

			b.data[pos] ^= 0x5a;
			if (decompress(formats[i], b.data, b.len, 4 * MIB, &out, &out_len) == 0)
				assert_true(out_len <= 4 * MIB);
			free(out);
			b.data[pos] ^= 0x5a;
		}
		free(b.data);
	}
	free(plain);
}

static void test_detect(void **state)
{
	uint8_t *out = NULL;
	size_t out_len;

	(void)state;
	assert_int_equal(compression_detect((const uint8_t *)"\x7f"
							     "ELF",
					    4),
			 COMPRESSION_NONE);
	assert_int_equal(compression_detect((const uint8_t *)"\x1f", 1), COMPRESSION_NONE);
	assert_string_equal(compression_name(COMPRESSION_ZSTD), "zstd");
	assert_int_equal(decompress(COMPRESSION_NONE, (const uint8_t *)"x", 1, 10, &out, &out_len),
			 -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
