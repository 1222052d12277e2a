/* SPDX-License-Identifier: MIT */
#include "arch/x86/aml.h"

#include <string.h>

/* Encodings from the ACPI 6.x specification, chapter 20 (AML grammar). */
#define AML_ZERO_OP	      0x00
#define AML_ONE_OP	      0x01
#define AML_NAME_OP	      0x08
#define AML_BYTE_PREFIX	      0x0A
#define AML_WORD_PREFIX	      0x0B
#define AML_DWORD_PREFIX      0x0C
#define AML_STRING_PREFIX     0x0D
#define AML_QWORD_PREFIX      0x0E
#define AML_DUAL_NAME_PREFIX  0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX     0x5B
#define AML_ROOT_CHAR	      0x5C
#define AML_PARENT_PREFIX     0x5E

/* Small resource descriptor tags (section 6.4.2): type << 3 | length. */
#define RES_IRQ_NO_FLAGS 0x22 /* type 0x04, 2 bytes: the IRQ mask */
#define RES_IO		 0x47 /* type 0x08, 7 bytes */
#define RES_END_TAG	 0x79 /* type 0x0F, 1 byte: checksum */
#define RES_IO_DECODE16	 0x01
/* Large resource descriptors (section 6.4.3): tag, 16-bit length of what follows. */
#define RES_DWORD_ADDRESS 0x87
#define RES_WORD_ADDRESS  0x88
#define RES_TYPE_MEMORY	  0
#define RES_TYPE_IO	  1
#define RES_TYPE_BUS	  2
/* General flags: MaxFixed | MinFixed, positive decode, producer. */
#define RES_FLAGS_FIXED	    0x0C
#define RES_IO_ENTIRE_RANGE 0x03
#define RES_MEM_READ_WRITE  0x01

#define NAME_SEG_LEN  4
#define PKGLEN_MAX    4 /* bytes reserved by aml_open() */
#define BUF_SIZE_LEN  3 /* WordPrefix + 16-bit BufferSize, see aml_buffer_open() */
#define PKGLEN_LIMIT  0x0FFFFFFFU
#define EISA_ID_CHARS 7

void aml_init(struct aml *a, uint8_t *buf, size_t size)
{
	a->buf = buf;
	a->size = size;
	a->len = 0;
	a->overflow = false;
}

bool aml_error(const struct aml *a)
{
	return a->overflow;
}

/* Once anything failed, write nothing more: a later small write could fit and hide the gap. */
static void aml_put(struct aml *a, const void *data, size_t n)
{
	if (a->overflow || n > a->size - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_put(a, &b, 1);
}

/* Little-endian, whatever the host. */
static void aml_le(struct aml *a, uint64_t v, size_t bytes)
{
	uint8_t le[8];
	size_t i;

	for (i = 0; i < bytes; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	aml_put(a, le, bytes);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		/* Only meaningful in a table of revision 2 or later (64-bit integers). */
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

static bool name_char_ok(char c, bool lead)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !lead && c >= '0' && c <= '9';
}

/* One NameSeg from the first n characters of seg. */
static void aml_seg(struct aml *a, const char *seg, size_t n)
{
	char out[NAME_SEG_LEN];
	size_t i;

	if (n == 0 || n > NAME_SEG_LEN) {
		a->overflow = true;
		return;
	}
	for (i = 0; i < NAME_SEG_LEN; i++) {
		out[i] = i < n ? seg[i] : '_';
		if (!name_char_ok(out[i], i == 0)) {
			a->overflow = true;
			return;
		}
	}
	aml_put(a, out, sizeof(out));
}

void aml_name_seg(struct aml *a, const char *seg)
{
	aml_seg(a, seg, strlen(seg));
}

void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, seg);
}

/* Dot-separated segments in path; empty ones are caught later by aml_seg(). */
static size_t count_segs(const char *path)
{
	size_t n = 1;

	if (*path == '\0')
		return 0;
	for (; *path; path++)
		n += *path == '.';
	return n;
}

void aml_name_path(struct aml *a, const char *path)
{
	size_t nr_segs;

	/* A root prefix or parent prefixes, never both. */
	if (*path == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	} else {
		for (; *path == '^'; path++)
			aml_byte(a, AML_PARENT_PREFIX);
	}

	nr_segs = count_segs(path);
	if (nr_segs == 0) {
		aml_byte(a, AML_ZERO_OP); /* NullName, e.g. "\" alone */
		return;
	}
	if (nr_segs > UINT8_MAX) {
		a->overflow = true;
		return;
	}
	if (nr_segs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nr_segs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nr_segs);
	}
	while (nr_segs--) {
		size_t n = strcspn(path, ".");

		aml_seg(a, path, n);
		path += n + (path[n] == '.');
	}
}

void aml_string(struct aml *a, const char *s)
{
	size_t i, n = strlen(s);

	/* AsciiCharList: 0x01-0x7F only. */
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] > 0x7F) {
			a->overflow = true;
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_put(a, s, n + 1);
}

static bool eisa_hex_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static unsigned eisa_hex(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'A' + 10);
}

/*
 * Three letters of 5 bits each ('A' = 1) then four hex digits, packed
 * big-endian into 4 bytes which AML then stores as a little-endian DWord.
 */
void aml_eisa_id(struct aml *a, const char *id)
{
	unsigned i, vendor = 0, product = 0;
	uint8_t bytes[4];

	if (strlen(id) != EISA_ID_CHARS) {
		a->overflow = true;
		return;
	}
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			a->overflow = true;
			return;
		}
		vendor = vendor << 5 | (unsigned)(id[i] - 'A' + 1);
	}
	for (i = 3; i < EISA_ID_CHARS; i++) {
		if (!eisa_hex_ok(id[i])) {
			a->overflow = true;
			return;
		}
		product = product << 4 | eisa_hex(id[i]);
	}
	bytes[0] = (uint8_t)(vendor >> 8);
	bytes[1] = (uint8_t)vendor;
	bytes[2] = (uint8_t)(product >> 8);
	bytes[3] = (uint8_t)product;
	/* Always a DWordConst, as ASL's EisaId() produces, even when it would fit a Word. */
	aml_byte(a, AML_DWORD_PREFIX);
	aml_put(a, bytes, sizeof(bytes));
}

static size_t pkg_length_size(uint32_t len)
{
	if (len <= 0x3F)
		return 1;
	if (len <= 0xFFF)
		return 2;
	if (len <= 0xFFFFF)
		return 3;
	return len <= PKGLEN_LIMIT ? 4 : 0;
}

/*
 * One byte holds 6 bits.  Otherwise bits 7:6 of the lead byte count the
 * bytes that follow, its low nibble holds bits 3:0 and each following
 * byte the next 8 bits.
 */
size_t aml_pkg_length_encode(uint32_t len, uint8_t out[4])
{
	size_t i, n = pkg_length_size(len);

	if (n <= 1) {
		if (n == 1)
			out[0] = (uint8_t)len;
		return n;
	}
	out[0] = (uint8_t)((n - 1) << 6 | (len & 0x0F));
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(len >> (4 + 8 * (i - 1)));
	return n;
}

size_t aml_open(struct aml *a, uint8_t opcode, bool extended)
{
	static const uint8_t reserve[PKGLEN_MAX];
	size_t mark;

	if (extended)
		aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, opcode);
	mark = a->len;
	aml_put(a, reserve, sizeof(reserve));
	return mark;
}

void aml_close(struct aml *a, size_t mark)
{
	uint8_t enc[PKGLEN_MAX];
	size_t body, n;

	if (a->overflow)
		return;
	if (mark > a->len || a->len - mark < PKGLEN_MAX || a->len - mark > PKGLEN_LIMIT) {
		a->overflow = true;
		return;
	}
	body = a->len - mark - PKGLEN_MAX;
	/* The PkgLength counts itself: take the first size that holds body + size. */
	for (n = 1; n < PKGLEN_MAX; n++)
		if (pkg_length_size((uint32_t)(body + n)) == n)
			break;
	aml_pkg_length_encode((uint32_t)(body + n), enc);
	memmove(a->buf + mark + n, a->buf + mark + PKGLEN_MAX, body);
	memcpy(a->buf + mark, enc, n);
	a->len -= PKGLEN_MAX - n;
}

size_t aml_scope_open(struct aml *a, const char *path)
{
	size_t mark = aml_open(a, AML_SCOPE_OP, false);

	aml_name_path(a, path);
	return mark;
}

size_t aml_device_open(struct aml *a, const char *seg)
{
	size_t mark = aml_open(a, AML_DEVICE_OP, true);

	aml_name_seg(a, seg);
	return mark;
}

size_t aml_package_open(struct aml *a, uint8_t nr_elements)
{
	size_t mark = aml_open(a, AML_PACKAGE_OP, false);

	aml_byte(a, nr_elements);
	return mark;
}

/*
 * BufferSize is a TermArg written before the bytes it counts, so reserve
 * a WordConst (always valid, if not the shortest) and patch it on close.
 */
size_t aml_buffer_open(struct aml *a)
{
	size_t mark = aml_open(a, AML_BUFFER_OP, false);

	aml_byte(a, AML_WORD_PREFIX);
	aml_le(a, 0, 2);
	return mark;
}

void aml_buffer_close(struct aml *a, size_t mark)
{
	size_t data = mark + PKGLEN_MAX + BUF_SIZE_LEN, n;

	if (a->overflow)
		return;
	if (data > a->len || a->len - data > UINT16_MAX) {
		a->overflow = true;
		return;
	}
	n = a->len - data;
	a->buf[data - 2] = (uint8_t)n;
	a->buf[data - 1] = (uint8_t)(n >> 8);
	aml_close(a, mark);
}

size_t aml_resource_template_open(struct aml *a)
{
	return aml_buffer_open(a);
}

void aml_resource_template_close(struct aml *a, size_t mark)
{
	/* A zero checksum means "the template is valid" (section 6.4.2.9). */
	aml_byte(a, RES_END_TAG);
	aml_byte(a, 0);
	aml_buffer_close(a, mark);
}

void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, RES_IO_DECODE16);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* A Word or DWord Address Space Descriptor: no granularity, no translation. */
static void address_space(struct aml *a, uint8_t type, uint8_t type_flags, size_t width,
			  uint32_t min, uint32_t max)
{
	uint64_t len = (uint64_t)max - min + 1;

	/* _LEN must be representable too: 0..0xFFFF as a Word is not. */
	if (max < min || len >> (8 * width)) {
		a->overflow = true;
		return;
	}
	aml_byte(a, width == 2 ? RES_WORD_ADDRESS : RES_DWORD_ADDRESS);
	aml_le(a, 3 + 5 * width, 2);
	aml_byte(a, type);
	aml_byte(a, RES_FLAGS_FIXED);
	aml_byte(a, type_flags);
	aml_le(a, 0, width);
	aml_le(a, min, width);
	aml_le(a, max, width);
	aml_le(a, 0, width);
	aml_le(a, len, width);
}

void aml_word_bus_number(struct aml *a, uint16_t min, uint16_t max)
{
	address_space(a, RES_TYPE_BUS, 0, 2, min, max);
}

void aml_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	address_space(a, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 2, min, max);
}

void aml_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	address_space(a, RES_TYPE_MEMORY, RES_MEM_READ_WRITE, 4, min, max);
}

void aml_irq_no_flags(struct aml *a, unsigned irq)
{
	if (irq >= 16) {
		a->overflow = true;
		return;
	}
	aml_byte(a, RES_IRQ_NO_FLAGS);
	aml_le(a, 1U << irq, 2);
}
