/* SPDX-License-Identifier: MIT */
/* Kernel files as xl takes them: ELF, bzImage with a compressed payload, compressed ELF. */
#include "arch/x86/kernel_image.h"
#include "lib/test.h"

#include <elf.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define ELF_SIZE 5000
#define PM_START 1024 /* setup_sects = 1: (1 + 1) * 512 */
#define MAX_ELF	 (64 * MIB)

struct extracted {
	uint8_t *owned;
	const uint8_t *elf;
	size_t size;
	const char *format, *why;
};

static void make_elf(uint8_t *elf)
{
	for (size_t i = 0; i < ELF_SIZE; i++)
		elf[i] = (uint8_t)(i % 13);
	static const uint8_t magic[SELFMAG] = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3};

	memcpy(elf, magic, sizeof(magic));
}

static size_t zstd_of(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = ZSTD_compress(out, cap, in, len, 19);

	assert_false(ZSTD_isError(n));
	return n;
}

/* A bzImage: the setup header Linux's boot protocol 2.15 defines, then the payload. */
static size_t make_bzimage(uint8_t *file, const uint8_t *payload, size_t len, uint16_t version)
{
	static const uint8_t hdrs[4] = {'H', 'd', 'r', 'S'};
	uint32_t off = 0x40, plen = (uint32_t)len;

	memset(file, 0, PM_START + off);
	file[0x1f1] = 1;
	memcpy(file + 0x202, hdrs, sizeof(hdrs));
	memcpy(file + 0x206, &version, 2);
	memcpy(file + 0x248, &off, 4);
	memcpy(file + 0x24c, &plen, 4);
	memcpy(file + PM_START + off, payload, len);
	return PM_START + off + len;
}

static int extract(const uint8_t *file, size_t size, struct extracted *x)
{
	memset(x, 0, sizeof(*x));
	return kernel_image_extract(file, size, MAX_ELF, &x->owned, &x->elf, &x->size, &x->format,
				    &x->why);
}

static void test_plain_elf(void **state)
{
	uint8_t elf[ELF_SIZE];
	struct extracted x;

	(void)state;
	make_elf(elf);
	assert_int_equal(extract(elf, sizeof(elf), &x), 0);
	assert_ptr_equal(x.elf, elf); /* no copy */
	assert_null(x.owned);
	assert_string_equal(x.format, "ELF");
}

static void test_bzimage_zstd(void **state)
{
	static uint8_t elf[ELF_SIZE], z[ELF_SIZE + 1024], file[2 * ELF_SIZE + 4096];
	struct extracted x;
	size_t zlen, flen;

	(void)state;
	make_elf(elf);
	zlen = zstd_of(elf, sizeof(elf), z, sizeof(z));
	memcpy(z + zlen, &(uint32_t){ELF_SIZE}, 4); /* the size Linux appends */
	flen = make_bzimage(file, z, zlen + 4, 0x020f);
	assert_int_equal(extract(file, flen, &x), 0);
	assert_string_equal(x.format, "bzImage (zstd)");
	assert_int_equal(x.size, ELF_SIZE);
	assert_memory_equal(x.elf, elf, ELF_SIZE);
	free(x.owned);

	/* Boot protocol before 2.08 has no payload fields. */
	flen = make_bzimage(file, z, zlen + 4, 0x0207);
	assert_int_equal(extract(file, flen, &x), -ENOEXEC);
	/* A payload past the end of the file. */
	flen = make_bzimage(file, z, zlen + 4, 0x020f);
	assert_int_equal(extract(file, flen - 5, &x), -EINVAL);
	assert_null(x.owned);
}

/* xz of len bytes into out (what Debian's xz-compressed kernels are); its length. */
static size_t xz_of(const uint8_t *in, size_t len, uint8_t *out, size_t out_size)
{
	size_t out_len = 0;

	assert_int_equal(
	    lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, len, out, &out_len, out_size),
	    LZMA_OK);
	return out_len;
}

static void test_compressed_elf(void **state)
{
	static uint8_t elf[ELF_SIZE], xz[ELF_SIZE + 1024];
	struct extracted x;
	size_t xzlen;

	(void)state;
	make_elf(elf);
	xzlen = xz_of(elf, sizeof(elf), xz, sizeof(xz));
	assert_int_equal(extract(xz, xzlen, &x), 0);
	assert_string_equal(x.format, "xz-compressed ELF");
	assert_memory_equal(x.elf, elf, ELF_SIZE);
	free(x.owned);
}

/* A zstd bomb in a bzImage: refused once the output passes the limit, nothing kept. */
static void test_bomb(void **state)
{
	const size_t zeros = 16 * MIB, max = MIB;
	uint8_t *big = calloc(1, zeros), *z = malloc(4096), *file = malloc(8192);
	struct extracted x;
	size_t zlen, flen;

	(void)state;
	assert_non_null(big);
	assert_non_null(z);
	assert_non_null(file);
	zlen = zstd_of(big, zeros, z, 4096);
	flen = make_bzimage(file, z, zlen, 0x020f);
	memset(&x, 0, sizeof(x));
	assert_int_equal(
	    kernel_image_extract(file, flen, max, &x.owned, &x.elf, &x.size, &x.format, &x.why),
	    -EFBIG);
	assert_null(x.owned);
	assert_string_equal(x.format, "bzImage (zstd)");
	assert_non_null(strstr(x.why, "larger than the limit"));
	free(big);
	free(z);
	free(file);
}

/* A compressed ELF cut short, or with a byte changed: corrupt, not an ELF. */
static void test_corrupt_compressed(void **state)
{
	static uint8_t elf[ELF_SIZE], xz[ELF_SIZE + 1024];
	struct extracted x;
	size_t xzlen;

	(void)state;
	make_elf(elf);
	xzlen = xz_of(elf, sizeof(elf), xz, sizeof(xz));
	assert_int_equal(extract(xz, xzlen / 2, &x), -EINVAL);
	assert_null(x.owned);
	assert_non_null(strstr(x.why, "corrupt or truncated"));
	xz[xzlen / 2] ^= 0x55; /* xz checks a CRC64 of what it decompressed */
	assert_int_equal(extract(xz, xzlen, &x), -EINVAL);
	assert_null(x.owned);
	assert_string_equal(x.format, "xz-compressed ELF");
}

static void test_not_a_kernel(void **state)
{
	static uint8_t junk[ELF_SIZE], z[ELF_SIZE + 1024], file[2 * ELF_SIZE + 4096];
	struct extracted x;
	size_t zlen, flen;

	(void)state;
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(extract(junk, sizeof(junk), &x), -ENOEXEC);
	assert_non_null(strstr(x.why, "not an ELF file, a bzImage"));
	/* A compressed payload that is not an ELF. */
	zlen = zstd_of(junk, sizeof(junk), z, sizeof(z));
	flen = make_bzimage(file, z, zlen, 0x020f);
	assert_int_equal(extract(file, flen, &x), -ENOEXEC);
	assert_null(x.owned);
	assert_non_null(strstr(x.why, "not an ELF"));
	/* A payload in no format we know. */
	flen = make_bzimage(file, junk, 64, 0x020f);
	assert_int_equal(extract(file, flen, &x), -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_elf),	       cmocka_unit_test(test_bzimage_zstd),
	    cmocka_unit_test(test_compressed_elf),     cmocka_unit_test(test_bomb),
	    cmocka_unit_test(test_corrupt_compressed), cmocka_unit_test(test_not_a_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
