/* SPDX-License-Identifier: MIT */
/*
 * The loader script is run here by a firmware model of our own, stricter
 * than SeaBIOS's (every command must be well formed, every file allocated
 * once before use), placing the files at addresses of its choosing; the
 * tables are then read back through the patched pointers only.
 */
#include "arch/x86/acpi_test_bytes.h"
#include "arch/x86/acpi_loader.h"
#include "arch/x86/board_desc.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOW_RAM_END 0x7FFE0000ULL
#define TABLES_ADDR 0x7FFC0000ULL /* where the model puts "etc/acpi/tables" */
#define RSDP_ADDR   0xF5A50ULL	  /* and "etc/acpi/rsdp": in the F segment */
#define FSEG_START  0xF0000ULL
#define FSEG_END    0x100000ULL

struct fw_file {
	const char *name;
	const struct acpi_blob *blob;
	uint8_t *data; /* the copy "in guest memory" once allocated */
	uint64_t addr;
	uint32_t align;
	uint8_t zone;
};

/*
 * require: cmocka's assertions stop the test with a long jump that clang's
 * analyzer cannot see; this one ends in abort(), which it can, so the
 * checks below are not read as "may continue with a null pointer".
 */
#define require(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			print_error("requirement failed: %s\n", #c);                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct firmware {
	struct fw_file files[2];
	unsigned nr_pointers, nr_checksums;
};

/* A file name field: NUL-terminated inside its 56 bytes, naming one of ours. */
static struct fw_file *file_named(struct firmware *fw, const uint8_t *field)
{
	require(memchr(field, 0, ACPI_LOADER_FILE_SIZE));
	for (unsigned i = 0; i < 2; i++)
		if (!strcmp((const char *)field, fw->files[i].name))
			return &fw->files[i];
	fail_msg("unknown file '%s'", (const char *)field);
	return NULL;
}

static void do_allocate(struct firmware *fw, const uint8_t *e)
{
	struct fw_file *f = file_named(fw, e);

	require(!f->data);
	f->align = get32(e + ACPI_LOADER_FILE_SIZE);
	f->zone = e[ACPI_LOADER_FILE_SIZE + 4];
	require(f->align && !(f->align & (f->align - 1)));
	f->addr = f->zone == ACPI_LOADER_ZONE_FSEG ? RSDP_ADDR : TABLES_ADDR;
	assert_int_equal(f->addr % f->align, 0);
	f->data = malloc(f->blob->len);
	require(f->data);
	memcpy(f->data, f->blob->data, f->blob->len);
}

static void do_add_pointer(struct firmware *fw, const uint8_t *e)
{
	struct fw_file *dest = file_named(fw, e);
	struct fw_file *src = file_named(fw, e + ACPI_LOADER_FILE_SIZE);
	uint32_t offset = get32(e + (size_t)2 * ACPI_LOADER_FILE_SIZE);
	uint8_t size = e[(size_t)2 * ACPI_LOADER_FILE_SIZE + 4];
	uint64_t v = 0;

	require(dest->data);
	require(src->data);
	require(size == 4 || size == 8);
	require((uint64_t)offset + size <= dest->blob->len);
	memcpy(&v, dest->data + offset, size);
	/* Before relocation a pointer is an offset inside the source file. */
	require(v < src->blob->len);
	v += src->addr;
	memcpy(dest->data + offset, &v, size);
	fw->nr_pointers++;
}

static void do_add_checksum(struct firmware *fw, const uint8_t *e)
{
	struct fw_file *f = file_named(fw, e);
	uint32_t offset = get32(e + ACPI_LOADER_FILE_SIZE);
	uint32_t start = get32(e + ACPI_LOADER_FILE_SIZE + 4);
	uint32_t len = get32(e + ACPI_LOADER_FILE_SIZE + 8);

	require(f->data);
	require(offset < f->blob->len);
	require((uint64_t)start + len <= f->blob->len);
	require(offset >= start && offset < start + len);
	f->data[offset] = (uint8_t)(f->data[offset] - sum(f->data + start, len));
	fw->nr_checksums++;
}

static void run_script(struct firmware *fw, const struct acpi_loader_blobs *b)
{
	const struct acpi_blob *script = &b->script;

	memset(fw, 0, sizeof(*fw));
	fw->files[0] = (struct fw_file){.name = ACPI_LOADER_TABLES_FILE, .blob = &b->tables};
	fw->files[1] = (struct fw_file){.name = ACPI_LOADER_RSDP_FILE, .blob = &b->rsdp};
	assert_int_equal(script->len % ACPI_LOADER_ENTRY_SIZE, 0);
	for (size_t off = 0; off < script->len; off += ACPI_LOADER_ENTRY_SIZE) {
		const uint8_t *e = script->data + off;

		switch (get32(e)) {
		case ACPI_LOADER_ALLOCATE:
			do_allocate(fw, e + 4);
			break;
		case ACPI_LOADER_ADD_POINTER:
			do_add_pointer(fw, e + 4);
			break;
		case ACPI_LOADER_ADD_CHECKSUM:
			do_add_checksum(fw, e + 4);
			break;
		default:
			fail_msg("unknown loader command %u", get32(e));
		}
	}
	require(fw->files[0].data);
	require(fw->files[1].data);
}

static void fw_free(struct firmware *fw)
{
	free(fw->files[0].data);
	free(fw->files[1].data);
}

/* The table at guest address addr after loading: inside the tables file, its length too. */
static const uint8_t *table_at(struct firmware *fw, uint64_t addr, const char *sig)
{
	struct fw_file *f = &fw->files[0];
	uint64_t off;

	require(addr >= f->addr && addr + 36 <= f->addr + f->blob->len);
	off = addr - f->addr;
	assert_memory_equal(f->data + off, sig, 4);
	if (strcmp(sig, "FACS") != 0) {
		require(off + get32(f->data + off + 4) <= f->blob->len);
		assert_int_equal(sum(f->data + off, get32(f->data + off + 4)), 0);
	}
	return f->data + off;
}

static struct acpi_loader_blobs build_pc(unsigned nr_vcpus)
{
	struct acpi_config cfg = {
	    .board = &board_pc, .nr_vcpus = nr_vcpus, .ioapic_id = 0, .pci_mem_start = LOW_RAM_END};
	struct acpi_loader_blobs b;

	assert_int_equal(acpi_loader_build(&cfg, &b), 0);
	return b;
}

/* RSDP -> RSDT and XSDT -> FADT, MADT; FADT -> FACS, DSDT.  Returns the FADT. */
static const uint8_t *walk(struct firmware *fw, const uint8_t **madt)
{
	const uint8_t *rsdp = fw->files[1].data, *rsdt, *xsdt, *fadt, *facs;

	assert_int_equal(fw->files[1].zone, ACPI_LOADER_ZONE_FSEG);
	assert_int_equal(fw->files[0].zone, ACPI_LOADER_ZONE_HIGH);
	require(fw->files[0].align >= 64); /* the FACS inside must be 64-byte aligned */
	require(RSDP_ADDR >= FSEG_START && RSDP_ADDR + 36 <= FSEG_END);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	rsdt = table_at(fw, get32(rsdp + 16), "RSDT");
	xsdt = table_at(fw, get64(rsdp + 24), "XSDT");
	assert_int_equal(get32(rsdt + 4), 36 + 2 * 4);
	assert_int_equal(get32(xsdt + 4), 36 + 2 * 8);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(get32(rsdt + 36 + (size_t)4 * i),
				 get64(xsdt + 36 + (size_t)8 * i));
	fadt = table_at(fw, get64(xsdt + 36), "FACP");
	*madt = table_at(fw, get64(xsdt + 44), "APIC");
	facs = table_at(fw, get32(fadt + 36), "FACS");
	assert_int_equal((facs - fw->files[0].data + TABLES_ADDR) % 64, 0);
	assert_int_equal(get32(fadt + 40), get64(fadt + 140));
	table_at(fw, get32(fadt + 40), "DSDT");
	return fadt;
}

static void test_script_and_tables(void **state)
{
	static const unsigned counts[] = {1, 2, 64, 255};

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct acpi_loader_blobs b = build_pc(counts[i]);
		struct firmware fw;
		const uint8_t *madt;

		run_script(&fw, &b);
		walk(&fw, &madt);
		/* FACS, DSDT, X_DSDT, 2 RSDT, 2 XSDT entries, 2 in the RSDP. */
		assert_int_equal(fw.nr_pointers, 9);
		/* DSDT, FADT, MADT, RSDT, XSDT, the RSDP's two. */
		assert_int_equal(fw.nr_checksums, 7);
		fw_free(&fw);
		acpi_loader_free(&b);
	}
}

/* The PC board's fixed hardware: PIIX4-style PM block at 0x600, the PIIX3's 0xCF9. */
static void test_fadt(void **state)
{
	struct acpi_loader_blobs b = build_pc(2);
	struct firmware fw;
	const uint8_t *fadt, *madt;

	(void)state;
	run_script(&fw, &b);
	fadt = walk(&fw, &madt);
	assert_int_equal(get16(fadt + 46), 9);		/* SCI_INT */
	assert_int_equal(get32(fadt + 56), 0x600);	/* PM1a_EVT_BLK */
	assert_int_equal(get32(fadt + 64), 0x604);	/* PM1a_CNT_BLK */
	assert_int_equal(get32(fadt + 76), 0x608);	/* PM_TMR_BLK */
	assert_int_equal(fadt[91], 4);			/* PM_TMR_LEN */
	assert_int_equal(get64(fadt + 208 + 4), 0x608); /* X_PM_TMR_BLK */
	assert_int_equal(fadt[208 + 1], 32);
	assert_int_equal(get16(fadt + 109), (1U << 1) | (1U << 2)); /* 8042, no VGA */
	require(get32(fadt + 112) & (1U << 10));		    /* RESET_REG_SUP */
	assert_int_equal(fadt[116], 1);				    /* SystemIO */
	assert_int_equal(get64(fadt + 116 + 4), 0xCF9);
	assert_int_equal(fadt[128], 0x06);
	fw_free(&fw);
	acpi_loader_free(&b);
}

static void test_madt(void **state)
{
	/* IRQ 0 -> GSI 2 (conforming); SCI and the PIRQ IRQs level, active high. */
	static const uint8_t want_iso[4][2] = {{0, 2}, {9, 9}, {10, 10}, {11, 11}};
	struct acpi_loader_blobs b = build_pc(3);
	struct firmware fw;
	const uint8_t *madt;
	unsigned nr_lapic = 0, nr_ioapic = 0, nr_iso = 0;
	uint32_t off, len;

	(void)state;
	run_script(&fw, &b);
	walk(&fw, &madt);
	len = get32(madt + 4);
	for (off = 44; off < len; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		require(e[1] >= 2 && off + e[1] <= len);
		if (e[0] == 0) {
			assert_int_equal(e[3], nr_lapic++);
		} else if (e[0] == 1) {
			assert_int_equal(get32(e + 4), 0xFEC00000);
			nr_ioapic++;
		} else if (e[0] == 2) {
			require(nr_iso < 4);
			assert_int_equal(e[3], want_iso[nr_iso][0]);
			assert_int_equal(get32(e + 4), want_iso[nr_iso][1]);
			assert_int_equal(get16(e + 8), nr_iso ? 0x000D : 0);
			nr_iso++;
		} else {
			fail_msg("MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(nr_lapic, 3);
	assert_int_equal(nr_ioapic, 1);
	assert_int_equal(nr_iso, 4);
	fw_free(&fw);
	acpi_loader_free(&b);
}

/* An AML integer (Zero, One, Byte/Word/DWord/QWordConst) at *p, which moves past it. */
static uint64_t aml_int(const uint8_t **p)
{
	static const unsigned sizes[] = {[0x0A] = 1, [0x0B] = 2, [0x0C] = 4, [0x0E] = 8};
	uint8_t op = *(*p)++;
	uint64_t v = 0;

	if (op == 0x00 || op == 0x01)
		return op;
	require(op < sizeof(sizes) / sizeof(sizes[0]) && sizes[op]);
	for (unsigned i = 0; i < sizes[op]; i++)
		v |= (uint64_t) * (*p)++ << (8 * i);
	return v;
}

static size_t pkg_length_bytes(const uint8_t *p)
{
	return 1 + (p[0] >> 6);
}

static const uint8_t *dsdt_of(struct firmware *fw, uint32_t *len)
{
	const uint8_t *madt, *fadt = walk(fw, &madt);
	const uint8_t *dsdt = table_at(fw, get32(fadt + 40), "DSDT");

	*len = get32(dsdt + 4);
	return dsdt;
}

/* 32 slots x 4 pins, each to the IRQ SeaBIOS's PIRQ routing (10, 10, 11, 11) gives it. */
static void test_dsdt_prt(void **state)
{
	static const unsigned pirq_irq[4] = {10, 10, 11, 11};
	struct acpi_loader_blobs b = build_pc(1);
	struct firmware fw;
	const uint8_t *dsdt, *p;
	uint32_t len;

	(void)state;
	run_script(&fw, &b);
	dsdt = dsdt_of(&fw, &len);
	p = memmem(dsdt + 36, len - 36, "\x08_PRT\x12", 6);
	require(p);
	p += 6;
	p += pkg_length_bytes(p);
	assert_int_equal(*p++, 128);
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			assert_int_equal(*p++, 0x12);
			p += pkg_length_bytes(p);
			assert_int_equal(*p++, 4);
			assert_int_equal(aml_int(&p), (uint64_t)slot << 16 | 0xFFFF);
			assert_int_equal(aml_int(&p), pin);
			assert_int_equal(aml_int(&p), 0);
			assert_int_equal(aml_int(&p), pirq_irq[(slot + pin + 3) % 4]);
		}
	}
	require(p <= dsdt + len);
	fw_free(&fw);
	acpi_loader_free(&b);
}

/* PCI0's windows: I/O around the config ports, memory from low RAM's end to the I/O APIC. */
static void test_dsdt_pci0(void **state)
{
	/* clang-format off */
	static const uint8_t io_lo[] = {0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0, 0,
					0x00, 0x00, 0xF7, 0x0C, 0, 0, 0xF8, 0x0C};
	static const uint8_t io_hi[] = {0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0, 0,
					0x00, 0x0D, 0xFF, 0xFF, 0, 0, 0x00, 0xF3};
	static const uint8_t mem[] = {0x87, 0x17, 0x00, 0x00, 0x0C, 0x01, 0, 0, 0, 0,
				      0x00, 0x00, 0xFE, 0x7F, 0xFF, 0xFF, 0xBF, 0xFE,
				      0, 0, 0, 0, 0x00, 0x00, 0xC2, 0x7E};
	static const uint8_t hid[] = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03};
	/* clang-format on */
	struct acpi_loader_blobs b = build_pc(1);
	struct firmware fw;
	const uint8_t *dsdt;
	uint32_t len;

	(void)state;
	run_script(&fw, &b);
	dsdt = dsdt_of(&fw, &len);
	require(memmem(dsdt, len, io_lo, sizeof(io_lo)));
	require(memmem(dsdt, len, io_hi, sizeof(io_hi)));
	require(memmem(dsdt, len, mem, sizeof(mem)));
	require(memmem(dsdt, len, hid, sizeof(hid)));
	/* Device (ISA) with _ADR 0x00010000: the PIIX3 at 00:01.0. */
	require(memmem(dsdt, len, "ISA_\x08_ADR\x0C\x00\x00\x01\x00", 14));
	fw_free(&fw);
	acpi_loader_free(&b);
}

/* Every device of the PC table with a _HID is in the DSDT, inside ISA; the others are not. */
static void test_dsdt_devices(void **state)
{
	static const char *const want[] = {"PCI0", "ISA_", "COM1", "RTC_", "KBD_", "PEVT"};
	struct acpi_loader_blobs b = build_pc(1);
	struct firmware fw;
	const uint8_t *dsdt;
	uint32_t len;
	size_t n = 0;

	(void)state;
	run_script(&fw, &b);
	dsdt = dsdt_of(&fw, &len);
	for (uint32_t i = 36; i + 7 < len; i++) {
		if (dsdt[i] != 0x5B || dsdt[i + 1] != 0x82)
			continue;
		require(n < sizeof(want) / sizeof(want[0]));
		assert_memory_equal(dsdt + i + 2 + pkg_length_bytes(dsdt + i + 2), want[n], 4);
		n++;
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	/* KBD: IO 0x60, IO 0x64, IRQNoFlags {1} */
	require(memmem(dsdt, len,
		       "\x47\x01\x60\x00\x60\x00\x01\x01\x47\x01\x64\x00\x64\x00\x01\x01"
		       "\x22\x02\x00",
		       19));
	fw_free(&fw);
	acpi_loader_free(&b);
}

static void test_bad_config(void **state)
{
	struct acpi_config cfg = {.board = &board_pc, .nr_vcpus = 1, .pci_mem_start = 0};
	struct acpi_loader_blobs b;

	(void)state;
	assert_int_equal(acpi_loader_build(&cfg, &b), -EINVAL);
	assert_null(b.tables.data);
	cfg.pci_mem_start = 0xFEC00000;
	assert_int_equal(acpi_loader_build(&cfg, &b), -EINVAL);
	cfg.pci_mem_start = LOW_RAM_END;
	cfg.nr_vcpus = 0;
	assert_int_equal(acpi_loader_build(&cfg, &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_script_and_tables),
	    cmocka_unit_test(test_fadt),
	    cmocka_unit_test(test_madt),
	    cmocka_unit_test(test_dsdt_prt),
	    cmocka_unit_test(test_dsdt_pci0),
	    cmocka_unit_test(test_dsdt_devices),
	    cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
