/* SPDX-License-Identifier: MIT */
/*
 * The tables are read back through their own pointers (RSDP -> XSDT ->
 * FADT/MADT -> DSDT/FACS) at spec offsets, independently of acpi.c's
 * structs, so a layout mistake there shows up here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/x86/acpi_test_bytes.h"
#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"
#include "arch/x86/board_desc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TEST_GPA 0xE0000ULL
#define CANARY	 0xA5
/* What the PVH board promises its guests (tests/guests/xentest writes 0x604 itself). */
#define ACPI_SCI_IRQ	   9
#define ACPI_PM1A_EVT_PORT 0x600
#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_RESET_PORT	   0x608
#define PVPANIC_PORT	   0x505
#define SLACK		   64 /* canary bytes checked past the allowed size */

static uint8_t tables[0x10000];

static long build(unsigned nr_vcpus)
{
	struct acpi_config cfg = {.board = &board_pvh, .nr_vcpus = nr_vcpus, .ioapic_id = 0};
	long len;

	memset(tables, CANARY, sizeof(tables));
	len = acpi_build_tables(tables, sizeof(tables), TEST_GPA, &cfg);
	assert_true(len > 0);
	return len;
}

/* The table at gpa, after checking it lies within the len bytes built. */
static const uint8_t *table_at(uint64_t gpa, long len)
{
	uint64_t off;

	assert_true(gpa >= TEST_GPA);
	off = gpa - TEST_GPA;
	assert_true(off + 36 <= (uint64_t)len);
	assert_true(off + get32(tables + off + 4) <= (uint64_t)len);
	assert_int_equal(off % 16, 0);
	return tables + off;
}

static const uint8_t *xsdt_of(long len)
{
	return table_at(get64(tables + 24), len);
}

/* The XSDT entry with signature sig; fails the test when there is none. */
static const uint8_t *find_table(const char *sig, long len)
{
	const uint8_t *xsdt = xsdt_of(len);
	uint32_t i, n = (get32(xsdt + 4) - 36) / 8;

	for (i = 0; i < n; i++) {
		const uint8_t *t = table_at(get64(xsdt + 36 + 8 * (size_t)i), len);

		if (!memcmp(t, sig, 4))
			return t;
	}
	fail_msg("no %s in the XSDT", sig);
	return NULL;
}

static const uint8_t *dsdt_of(long len)
{
	const uint8_t *fadt = find_table("FACP", len);
	const uint8_t *dsdt = table_at(get64(fadt + 140), len);

	assert_int_equal(get32(fadt + 40), get64(fadt + 140));
	assert_memory_equal(dsdt, "DSDT", 4);
	return dsdt;
}

static void check_header(const uint8_t *t, const char *sig)
{
	assert_memory_equal(t, sig, 4);
	assert_memory_equal(t + 10, "XKVM  ", 6);
	assert_memory_equal(t + 16, "XKVMVM  ", 8);
	assert_memory_equal(t + 28, "XKVM", 4);
	assert_int_equal(sum(t, get32(t + 4)), 0);
}

static bool contains(const uint8_t *hay, size_t hay_len, const void *needle, size_t len)
{
	return memmem(hay, hay_len, needle, len) != NULL;
}

static void test_checksum(void **state)
{
	static const uint8_t data[] = {1, 2, 3, 0xFF};
	uint8_t buf[5];

	(void)state;
	assert_int_equal(acpi_checksum(data, 0), 0);
	memcpy(buf, data, sizeof(data));
	buf[4] = acpi_checksum(data, sizeof(data));
	assert_int_equal(buf[4], 0xFB);
	assert_int_equal(sum(buf, sizeof(buf)), 0);
}

static void test_rsdp(void **state)
{
	long len = build(1);

	(void)state;
	assert_memory_equal(tables, "RSD PTR ", 8);
	assert_memory_equal(tables + 9, "XKVM  ", 6);
	assert_int_equal(tables[15], 2);
	assert_int_equal(get32(tables + 20), 36);
	assert_int_equal(sum(tables, 20), 0);
	assert_int_equal(sum(tables, 36), 0);
	check_header(xsdt_of(len), "XSDT");
}

static void test_xsdt_entries(void **state)
{
	long len = build(2);
	const uint8_t *xsdt = xsdt_of(len);

	(void)state;
	check_header(xsdt, "XSDT");
	assert_int_equal(get32(xsdt + 4), 36 + 2 * 8);
	assert_memory_equal(table_at(get64(xsdt + 36), len), "FACP", 4);
	assert_memory_equal(table_at(get64(xsdt + 44), len), "APIC", 4);
}

static void test_all_checksums(void **state)
{
	long len = build(3);
	const uint8_t *fadt = find_table("FACP", len);
	const uint8_t *facs = tables + (get32(fadt + 36) - TEST_GPA);

	(void)state;
	check_header(xsdt_of(len), "XSDT");
	check_header(fadt, "FACP");
	check_header(find_table("APIC", len), "APIC");
	check_header(dsdt_of(len), "DSDT");
	/* The FACS has no checksum, but must be 64-byte aligned. */
	assert_int_equal(get32(fadt + 36) % 64, 0);
	assert_int_equal(get64(fadt + 132), 0);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get32(facs + 4), 64);
}

/* A SystemIO Generic Address Structure. */
static void check_gas_io(const uint8_t *gas, uint16_t port, unsigned bits)
{
	assert_int_equal(gas[0], 1);
	assert_int_equal(gas[1], bits);
	assert_int_equal(gas[2], 0);
	assert_int_equal(get64(gas + 4), port);
}

static void test_fadt(void **state)
{
	long len = build(1);
	const uint8_t *fadt = find_table("FACP", len);
	uint32_t flags = get32(fadt + 112);

	(void)state;
	assert_int_equal(get32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(get16(fadt + 46), ACPI_SCI_IRQ);
	assert_int_equal(get32(fadt + 48), 0); /* SMI_CMD */
	assert_int_equal(get32(fadt + 56), ACPI_PM1A_EVT_PORT);
	assert_int_equal(get32(fadt + 64), ACPI_PM1A_CNT_PORT);
	assert_int_equal(get32(fadt + 76), 0); /* PM_TMR_BLK */
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 0);		      /* PM_TMR_LEN */
	assert_int_equal(get16(fadt + 109), 1U << 2); /* VGA not present only */
	assert_int_equal(flags & (1U << 20), 0);      /* not hardware-reduced */
	assert_int_equal(flags, (1U << 0) | (1U << 2) | (1U << 5) | (1U << 10));
	check_gas_io(fadt + 116, ACPI_RESET_PORT, 8);
	assert_int_equal(fadt[128], ACPI_RESET_VALUE);
	check_gas_io(fadt + 148, ACPI_PM1A_EVT_PORT, 32);
	check_gas_io(fadt + 172, ACPI_PM1A_CNT_PORT, 16);
	dsdt_of(len);
}

/* Walk the MADT; returns the number of local APIC entries, checking each. */
static unsigned check_madt(const uint8_t *madt, unsigned ioapic_id)
{
	uint32_t off, len = get32(madt + 4);
	unsigned nr_lapics = 0, nr_ioapics = 0, nr_isos = 0;

	check_header(madt, "APIC");
	assert_int_equal(get32(madt + 36), LAPIC_GPA);
	assert_int_equal(get32(madt + 40), 1);
	for (off = 44; off < len; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], nr_lapics); /* processor UID */
			assert_int_equal(e[3], nr_lapics); /* APIC id */
			assert_int_equal(get32(e + 4), 1);
			nr_lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], ioapic_id);
			assert_int_equal(get32(e + 4), IOAPIC_GPA);
			assert_int_equal(get32(e + 8), 0);
			nr_ioapics++;
			break;
		case 2:
			/* Only the SCI's: IRQ 0 must keep KVM's default GSI 0. */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);
			assert_int_equal(e[3], ACPI_SCI_IRQ);
			assert_int_equal(get32(e + 4), ACPI_SCI_IRQ);
			assert_int_equal(get16(e + 8), 0x000D); /* level, active high */
			nr_isos++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(nr_ioapics, 1);
	assert_int_equal(nr_isos, 1);
	return nr_lapics;
}

static void test_madt(void **state)
{
	static const unsigned counts[] = {1, 2, 64, 255};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		long len = build(counts[i]);

		assert_int_equal(check_madt(find_table("APIC", len), 0), counts[i]);
	}
}

static void test_madt_ioapic_id(void **state)
{
	struct acpi_config cfg = {.board = &board_pvh, .nr_vcpus = 4, .ioapic_id = 4};
	long len = acpi_build_tables(tables, sizeof(tables), TEST_GPA, &cfg);

	(void)state;
	assert_true(len > 0);
	assert_int_equal(check_madt(find_table("APIC", len), 4), 4);
}

static void test_einval(void **state)
{
	struct acpi_config cfg = {.board = &board_pvh, .nr_vcpus = 0};

	(void)state;
	assert_int_equal(acpi_build_tables(tables, sizeof(tables), TEST_GPA, &cfg), -EINVAL);
	cfg.nr_vcpus = 256;
	assert_int_equal(acpi_build_tables(tables, sizeof(tables), TEST_GPA, &cfg), -EINVAL);
	cfg.nr_vcpus = 1;
	cfg.ioapic_id = 256;
	assert_int_equal(acpi_build_tables(tables, sizeof(tables), TEST_GPA, &cfg), -EINVAL);
}

/* Every size below the need fails, writing nothing at or past size. */
static void check_enospc(unsigned nr_vcpus)
{
	struct acpi_config cfg = {.board = &board_pvh, .nr_vcpus = nr_vcpus};
	long need = build(nr_vcpus);
	uint8_t *buf = malloc((size_t)need + SLACK);
	size_t size, i;

	assert_non_null(buf);
	for (size = 0; size < (size_t)need; size++) {
		memset(buf, CANARY, (size_t)need + SLACK);
		assert_int_equal(acpi_build_tables(buf, size, TEST_GPA, &cfg), -ENOSPC);
		for (i = size; i < (size_t)need + SLACK; i++)
			assert_int_equal(buf[i], CANARY);
	}
	memset(buf, CANARY, (size_t)need + SLACK);
	assert_int_equal(acpi_build_tables(buf, (size_t)need, TEST_GPA, &cfg), need);
	assert_memory_equal(buf, tables, (size_t)need);
	for (i = (size_t)need; i < (size_t)need + SLACK; i++)
		assert_int_equal(buf[i], CANARY);
	free(buf);
}

static void test_enospc(void **state)
{
	(void)state;
	check_enospc(1);
	check_enospc(2);
	check_enospc(64);
}

/* An exactly sized heap buffer, so the sanitizers see any overrun too. */
static void test_enospc_exact_alloc(void **state)
{
	struct acpi_config cfg = {.board = &board_pvh, .nr_vcpus = 8};
	long need = build(8);
	size_t size;

	(void)state;
	for (size = 0; size <= (size_t)need; size += 7) {
		uint8_t *buf = malloc(size ? size : 1);

		assert_non_null(buf);
		assert_int_equal(acpi_build_tables(buf, size, TEST_GPA, &cfg), -ENOSPC);
		free(buf);
	}
}

_Static_assert(ACPI_S5_SLP_TYP > 1 && ACPI_S5_SLP_TYP <= 0xFF, "encoded as a ByteConst below");

static void test_dsdt_s5(void **state)
{
	/* clang-format off */
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', /* NameOp "_S5_" */
		0x12, 0x08, 0x04,         /* PackageOp, PkgLength, NumElements */
		0x0A, ACPI_S5_SLP_TYP,    /* ByteConst */
		0x0A, ACPI_S5_SLP_TYP,    /* ByteConst */
		0x00, 0x00,               /* Zero, Zero */
	};
	/* clang-format on */
	long len = build(1);
	const uint8_t *dsdt = dsdt_of(len);

	(void)state;
	assert_int_equal(dsdt[8], 2); /* revision 2: 64-bit integers */
	assert_true(contains(dsdt + 36, get32(dsdt + 4) - 36, s5, sizeof(s5)));
}

static void test_dsdt_pvpanic(void **state)
{
	static const uint8_t sb[] = {0x5C, '_', 'S', 'B', '_'};
	static const uint8_t hid[] = "\x08_HID\x0DQEMU0001";
	/* IO (Decode16, PVPANIC_PORT, PVPANIC_PORT, 1, 1), EndTag */
	static const uint8_t crs[] = {0x47,
				      0x01,
				      PVPANIC_PORT & 0xFF,
				      PVPANIC_PORT >> 8,
				      PVPANIC_PORT & 0xFF,
				      PVPANIC_PORT >> 8,
				      0x01,
				      0x01,
				      0x79,
				      0x00};
	static const uint8_t com1_hid[] = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x05, 0x01};
	long len = build(1);
	const uint8_t *dsdt = dsdt_of(len);
	size_t aml_len = get32(dsdt + 4) - 36;
	const uint8_t *scope = dsdt + 36 + 14; /* after the 14-byte \_S5 */

	(void)state;
	/* ScopeOp, a PkgLength of 1 + (bits 7:6 of its lead byte) bytes, \_SB */
	assert_int_equal(scope[0], AML_SCOPE_OP);
	assert_memory_equal(scope + 1 + 1 + (scope[1] >> 6), sb, sizeof(sb));
	assert_true(contains(dsdt + 36, aml_len, "\x5B\x82", 2));
	assert_true(contains(dsdt + 36, aml_len, "PEVT", 4));
	assert_true(contains(dsdt + 36, aml_len, hid, sizeof(hid))); /* with its NUL */
	assert_true(contains(dsdt + 36, aml_len, crs, sizeof(crs)));
	assert_true(contains(dsdt + 36, aml_len, com1_hid, sizeof(com1_hid)));
}

/* PkgLength at p: its value, and in *n the bytes it takes. */
static uint32_t pkg_length(const uint8_t *p, size_t *n)
{
	uint32_t len = p[0] & 0x3F;
	size_t extra = p[0] >> 6;

	if (extra)
		len = p[0] & 0x0F;
	for (size_t i = 0; i < extra; i++)
		len |= (uint32_t)p[1 + i] << (4 + 8 * i);
	*n = 1 + extra;
	return len;
}

/*
 * The NameSegs of every Device() in the AML, in order (a byte scan: the
 * DSDTs here hold no data that looks like DeviceOp).  Returns the count.
 */
static size_t device_names(const uint8_t *aml, size_t len, char names[][5], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i + 7 < len; i++) {
		size_t pl;

		if (aml[i] != 0x5B || aml[i + 1] != 0x82)
			continue;
		pkg_length(aml + i + 2, &pl);
		assert_true(n < max);
		memcpy(names[n], aml + i + 2 + pl, 4);
		names[n][4] = 0;
		n++;
	}
	return n;
}

/* "COM1" is written COM1, "RTC" as RTC_ (NameSegs are padded with '_'). */
static void seg_of(const char *name, char out[5])
{
	memset(out, '_', 4);
	memcpy(out, name, strlen(name));
	out[4] = 0;
}

/* The devices the DSDT lists are exactly the table's entries with a _HID, then extra. */
static void check_dsdt_devices(const uint8_t *dsdt, const struct board_desc *b,
			       const char *const *extra, size_t nr_extra)
{
	char names[64][5], want[5];
	size_t n = device_names(dsdt + 36, get32(dsdt + 4) - 36, names, 64), k = 0;

	for (size_t i = 0; i < nr_extra; i++) {
		seg_of(extra[i], want);
		assert_true(k < n);
		assert_string_equal(names[k++], want);
	}
	for (size_t i = 0; i < b->nr_devices; i++) {
		if (!b->devices[i].hid)
			continue;
		seg_of(b->devices[i].name, want);
		assert_true(k < n);
		assert_string_equal(names[k++], want);
	}
	assert_int_equal(k, n);
}

static void test_dsdt_lists_table(void **state)
{
	long len = build(1);

	(void)state;
	check_dsdt_devices(dsdt_of(len), &board_pvh, NULL, 0);
}

/* aml writer */

static void check_pkglen(uint32_t len, const uint8_t *want, size_t n)
{
	uint8_t out[4];

	assert_int_equal(aml_pkg_length_encode(len, out), n);
	assert_memory_equal(out, want, n);
}

static void test_aml_pkg_length_encode(void **state)
{
	uint8_t out[4];

	(void)state;
	check_pkglen(0x00, (const uint8_t[]){0x00}, 1);
	check_pkglen(0x3F, (const uint8_t[]){0x3F}, 1);
	check_pkglen(0x40, (const uint8_t[]){0x40, 0x04}, 2);
	check_pkglen(0x123, (const uint8_t[]){0x43, 0x12}, 2);
	check_pkglen(0xFFF, (const uint8_t[]){0x4F, 0xFF}, 2);
	check_pkglen(0x1000, (const uint8_t[]){0x80, 0x00, 0x01}, 3);
	check_pkglen(0xFFFFF, (const uint8_t[]){0x8F, 0xFF, 0xFF}, 3);
	check_pkglen(0x100000, (const uint8_t[]){0xC0, 0x00, 0x00, 0x01}, 4);
	check_pkglen(0xFFFFFFF, (const uint8_t[]){0xCF, 0xFF, 0xFF, 0xFF}, 4);
	assert_int_equal(aml_pkg_length_encode(0x10000000, out), 0);
}

/* Open a Package, write body bytes, close: the PkgLength must be the shortest that fits. */
static void check_close(size_t body, const uint8_t *want, size_t n)
{
	size_t size = body + 8, i, mark;
	uint8_t *buf = malloc(size);
	struct aml a;

	assert_non_null(buf);
	aml_init(&a, buf, size);
	mark = aml_open(&a, AML_PACKAGE_OP, false);
	for (i = 0; i < body; i++)
		aml_byte(&a, (uint8_t)(i * 7));
	aml_close(&a, mark);
	assert_false(aml_error(&a));
	assert_int_equal(a.len, 1 + n + body);
	assert_int_equal(buf[0], AML_PACKAGE_OP);
	assert_memory_equal(buf + 1, want, n);
	for (i = 0; i < body; i++)
		assert_int_equal(buf[1 + n + i], (uint8_t)(i * 7));
	free(buf);
}

static void test_aml_close(void **state)
{
	(void)state;
	check_close(0, (const uint8_t[]){0x01}, 1);
	check_close(0x3E, (const uint8_t[]){0x3F}, 1);
	check_close(0x3F, (const uint8_t[]){0x41, 0x04}, 2);		    /* 0x40 needs 2 bytes */
	check_close(0xFFD, (const uint8_t[]){0x4F, 0xFF}, 2);		    /* 0xFFF */
	check_close(0xFFE, (const uint8_t[]){0x81, 0x00, 0x01}, 3);	    /* 0x1001 */
	check_close(0xFFFFC, (const uint8_t[]){0x8F, 0xFF, 0xFF}, 3);	    /* 0xFFFFF */
	check_close(0xFFFFD, (const uint8_t[]){0xC1, 0x00, 0x00, 0x01}, 4); /* 0x100001 */
}

static void test_aml_nested(void **state)
{
	static const uint8_t want[] = {0x12, 0x06, 0x12, 0x04, 0x0A, 0x05, 0x00};
	uint8_t buf[32];
	struct aml a;
	size_t outer, inner;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	outer = aml_open(&a, AML_PACKAGE_OP, false);
	inner = aml_open(&a, AML_PACKAGE_OP, false);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a, inner);
	aml_close(&a, outer);
	assert_false(aml_error(&a));
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void check_integer(uint64_t v, const uint8_t *want, size_t n)
{
	uint8_t buf[16];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_integer(&a, v);
	assert_false(aml_error(&a));
	assert_int_equal(a.len, n);
	assert_memory_equal(buf, want, n);
}

static void test_aml_integer(void **state)
{
	(void)state;
	check_integer(0, (const uint8_t[]){0x00}, 1);
	check_integer(1, (const uint8_t[]){0x01}, 1);
	check_integer(2, (const uint8_t[]){0x0A, 0x02}, 2);
	check_integer(0xFF, (const uint8_t[]){0x0A, 0xFF}, 2);
	check_integer(0x100, (const uint8_t[]){0x0B, 0x00, 0x01}, 3);
	check_integer(0xFFFF, (const uint8_t[]){0x0B, 0xFF, 0xFF}, 3);
	check_integer(0x10000, (const uint8_t[]){0x0C, 0x00, 0x00, 0x01, 0x00}, 5);
	check_integer(0xFFFFFFFF, (const uint8_t[]){0x0C, 0xFF, 0xFF, 0xFF, 0xFF}, 5);
	check_integer(0x100000000ULL,
		      (const uint8_t[]){0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, 9);
	check_integer(UINT64_MAX,
		      (const uint8_t[]){0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9);
}

static void test_aml_names(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		'P', 'E', 'V', 'T',                                 /* PEVT */
		'S', 'B', '_', '_',                                 /* SB */
		0x08, '_', 'S', '5', '_',                           /* NameOp _S5_ */
		0x5C, '_', 'S', 'B', '_',                           /* \_SB */
		0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', /* \_SB.PCI0 */
		0x5E, 0x2F, 0x03,                                   /* ^A.B.C1 */
		'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '1', '_', '_',
		0x5C, 0x00,                                         /* \ */
	};
	/* clang-format on */
	uint8_t buf[64];
	struct aml a;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_name_seg(&a, "PEVT");
	aml_name_seg(&a, "SB");
	aml_name(&a, "_S5");
	aml_name_path(&a, "\\_SB");
	aml_name_path(&a, "\\_SB.PCI0");
	aml_name_path(&a, "^A.B.C1");
	aml_name_path(&a, "\\");
	assert_false(aml_error(&a));
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_aml_bad_names(void **state)
{
	static const char *const bad_segs[] = {"", "ABCDE", "1ABC", "ab", "A-B", "A.B"};
	static const char *const bad_paths[] = {"ABCDE", "A..B", "A.",	".A",
						"\\\\A", "^\\A", "\\^A"};
	uint8_t buf[16];
	struct aml a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_segs) / sizeof(bad_segs[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name_seg(&a, bad_segs[i]);
		assert_true(aml_error(&a));
	}
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name_path(&a, bad_paths[i]);
		assert_true(aml_error(&a));
	}
	aml_init(&a, buf, sizeof(buf));
	aml_string(&a, "\xC3\xA9");
	assert_true(aml_error(&a));
	aml_init(&a, buf, sizeof(buf));
	aml_eisa_id(&a, "pnp0501");
	assert_true(aml_error(&a));
	aml_init(&a, buf, sizeof(buf));
	aml_irq_no_flags(&a, 16);
	assert_true(aml_error(&a));
}

static void test_aml_string_eisa(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0x0D, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00, /* "QEMU0001" */
		0x0D, 0x00,                                         /* "" */
		0x0C, 0x41, 0xD0, 0x05, 0x01,                       /* EisaId ("PNP0501") */
		0x0C, 0x41, 0xD0, 0x0B, 0x00,                       /* EisaId ("PNP0B00") */
	};
	/* clang-format on */
	uint8_t buf[32];
	struct aml a;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_string(&a, "QEMU0001");
	aml_string(&a, "");
	aml_eisa_id(&a, "PNP0501");
	aml_eisa_id(&a, "PNP0B00");
	assert_false(aml_error(&a));
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_aml_resource_template(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0x11, 0x11,                                     /* BufferOp, PkgLength */
		0x0B, 0x0D, 0x00,                               /* BufferSize: WordConst 13 */
		0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, /* IO 0x3F8-0x3F8, align 1, len 8 */
		0x22, 0x10, 0x00,                               /* IRQNoFlags () {4} */
		0x79, 0x00,                                     /* EndTag */
	};
	/* clang-format on */
	uint8_t buf[32];
	struct aml a;
	size_t mark;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	mark = aml_resource_template_open(&a);
	aml_io(&a, 0x3F8, 0x3F8, 1, 8);
	aml_irq_no_flags(&a, 4);
	aml_resource_template_close(&a, mark);
	assert_false(aml_error(&a));
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* Overflow is sticky, and nothing is written past the buffer. */
static void test_aml_overflow(void **state)
{
	uint8_t buf[8];
	struct aml a;
	size_t mark, len;

	(void)state;
	memset(buf, CANARY, sizeof(buf));
	aml_init(&a, buf, 5);
	aml_integer(&a, 0x1234); /* 3 bytes */
	aml_integer(&a, 0x1234); /* does not fit */
	assert_true(aml_error(&a));
	len = a.len;
	assert_true(len <= 5);
	aml_byte(&a, 0); /* would fit, but the error is sticky */
	assert_int_equal(a.len, len);
	assert_int_equal(buf[5], CANARY);

	/* Opening reserves the 4-byte PkgLength even when less is needed in the end. */
	aml_init(&a, buf, 5);
	mark = aml_open(&a, AML_PACKAGE_OP, false);
	aml_close(&a, mark);
	assert_false(aml_error(&a));
	assert_int_equal(a.len, 2);
	memset(buf, CANARY, sizeof(buf));
	aml_init(&a, buf, 4);
	mark = aml_open(&a, AML_PACKAGE_OP, false);
	aml_close(&a, mark);
	assert_true(aml_error(&a));
	assert_int_equal(buf[4], CANARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum),
	    cmocka_unit_test(test_rsdp),
	    cmocka_unit_test(test_xsdt_entries),
	    cmocka_unit_test(test_all_checksums),
	    cmocka_unit_test(test_fadt),
	    cmocka_unit_test(test_madt),
	    cmocka_unit_test(test_madt_ioapic_id),
	    cmocka_unit_test(test_einval),
	    cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_enospc_exact_alloc),
	    cmocka_unit_test(test_dsdt_s5),
	    cmocka_unit_test(test_dsdt_pvpanic),
	    cmocka_unit_test(test_dsdt_lists_table),
	    cmocka_unit_test(test_aml_pkg_length_encode),
	    cmocka_unit_test(test_aml_close),
	    cmocka_unit_test(test_aml_nested),
	    cmocka_unit_test(test_aml_integer),
	    cmocka_unit_test(test_aml_names),
	    cmocka_unit_test(test_aml_bad_names),
	    cmocka_unit_test(test_aml_string_eisa),
	    cmocka_unit_test(test_aml_resource_template),
	    cmocka_unit_test(test_aml_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
