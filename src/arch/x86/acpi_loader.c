/* SPDX-License-Identifier: MIT */
#include "arch/x86/acpi_loader.h"
#include "arch/x86/acpi_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The FACS must be 64-byte aligned, so the whole blob is. */
#define TABLES_ALIGN 64
#define RSDP_ALIGN   16 /* an OS scans the F segment in 16-byte steps */
#define TABLES_START ((size_t)16 * 1024)
#define TABLES_MAX   ((size_t)1024 * 1024)

/* RSDP fields the loader patches (ACPI 6.0, table 5-27). */
#define RSDP_CHECKSUM	  8
#define RSDP_RSDT	  16
#define RSDP_XSDT	  24
#define RSDP_EXT_CHECKSUM 32
#define RSDP_V1_LEN	  20
#define ACPI_CHECKSUM_AT  9 /* in a table header */

/* One 128-byte command; the layouts follow the command word. */
struct script {
	uint8_t *buf;
	size_t len, size;
};

static uint8_t *next_entry(struct script *s, enum acpi_loader_command command)
{
	uint8_t *e = s->buf + s->len;

	if (s->len + ACPI_LOADER_ENTRY_SIZE > s->size)
		return NULL;
	s->len += ACPI_LOADER_ENTRY_SIZE;
	memset(e, 0, ACPI_LOADER_ENTRY_SIZE);
	memcpy(e, &(uint32_t){command}, 4);
	return e + 4;
}

/* Names are ours and shorter than the field: strncpy-free copy with its NUL. */
static void put_name(uint8_t *field, const char *name)
{
	memcpy(field, name, strlen(name) + 1);
}

static void allocate(struct script *s, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e = next_entry(s, ACPI_LOADER_ALLOCATE);

	if (!e)
		return;
	put_name(e, file);
	memcpy(e + ACPI_LOADER_FILE_SIZE, &align, 4);
	e[ACPI_LOADER_FILE_SIZE + 4] = zone;
}

static void add_pointer(struct script *s, const char *dest, const char *src, uint32_t offset,
			uint8_t size)
{
	uint8_t *e = next_entry(s, ACPI_LOADER_ADD_POINTER);

	if (!e)
		return;
	put_name(e, dest);
	put_name(e + ACPI_LOADER_FILE_SIZE, src);
	memcpy(e + (size_t)2 * ACPI_LOADER_FILE_SIZE, &offset, 4);
	e[2 * ACPI_LOADER_FILE_SIZE + 4] = size;
}

static void add_checksum(struct script *s, const char *file, uint32_t offset, uint32_t start,
			 uint32_t len)
{
	uint8_t *e = next_entry(s, ACPI_LOADER_ADD_CHECKSUM);

	if (!e)
		return;
	put_name(e, file);
	memcpy(e + ACPI_LOADER_FILE_SIZE, &offset, 4);
	memcpy(e + ACPI_LOADER_FILE_SIZE + 4, &start, 4);
	memcpy(e + ACPI_LOADER_FILE_SIZE + 8, &len, 4);
}

/*
 * Allocate both files, relocate every pointer, then fix each checksum once
 * the bytes it covers are final: the tables', then the RSDP's 20-byte one
 * before the extended one that covers it.
 */
static void write_script(struct script *s, const struct acpi_layout *l)
{
	allocate(s, ACPI_LOADER_TABLES_FILE, TABLES_ALIGN, ACPI_LOADER_ZONE_HIGH);
	allocate(s, ACPI_LOADER_RSDP_FILE, RSDP_ALIGN, ACPI_LOADER_ZONE_FSEG);
	for (unsigned i = 0; i < l->nr_pointers; i++)
		add_pointer(s, ACPI_LOADER_TABLES_FILE, ACPI_LOADER_TABLES_FILE,
			    l->pointers[i].offset, l->pointers[i].size);
	for (unsigned i = 0; i < l->nr_tables; i++)
		add_checksum(s, ACPI_LOADER_TABLES_FILE, l->tables[i].start + ACPI_CHECKSUM_AT,
			     l->tables[i].start, l->tables[i].len);
	add_pointer(s, ACPI_LOADER_RSDP_FILE, ACPI_LOADER_TABLES_FILE, RSDP_RSDT, 4);
	add_pointer(s, ACPI_LOADER_RSDP_FILE, ACPI_LOADER_TABLES_FILE, RSDP_XSDT, 8);
	add_checksum(s, ACPI_LOADER_RSDP_FILE, RSDP_CHECKSUM, 0, RSDP_V1_LEN);
	add_checksum(s, ACPI_LOADER_RSDP_FILE, RSDP_EXT_CHECKSUM, 0, ACPI_RSDP_SIZE);
}

/* The tables at address 0 of a buffer grown until they fit. */
static long build_tables(const struct acpi_config *cfg, struct acpi_blob *out,
			 struct acpi_layout *layout)
{
	for (size_t size = TABLES_START; size <= TABLES_MAX; size *= 2) {
		uint8_t *buf = malloc(size);
		long used;

		if (!buf)
			return -ENOMEM;
		used = acpi_build_without_rsdp(buf, size, 0, cfg, layout);
		if (used >= 0) {
			out->data = buf;
			out->len = (size_t)used;
			return used;
		}
		free(buf);
		if (used != -ENOSPC)
			return used;
	}
	return -ENOSPC;
}

int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_blobs *out)
{
	struct acpi_layout layout;
	struct script s;
	long r;

	memset(out, 0, sizeof(*out));
	r = build_tables(cfg, &out->tables, &layout);
	if (r < 0)
		return (int)r;
	/* Two allocations, the tables' pointers and checksums, the RSDP's two of each. */
	s.size = (size_t)(2 + layout.nr_pointers + layout.nr_tables + 4) * ACPI_LOADER_ENTRY_SIZE;
	s.len = 0;
	s.buf = malloc(s.size);
	out->rsdp.data = malloc(ACPI_RSDP_SIZE);
	if (!s.buf || !out->rsdp.data) {
		free(s.buf);
		acpi_loader_free(out);
		return -ENOMEM;
	}
	/* Offsets into the tables blob: the loader adds its address. */
	acpi_build_rsdp(out->rsdp.data, layout.rsdt, layout.xsdt);
	out->rsdp.len = ACPI_RSDP_SIZE;
	write_script(&s, &layout);
	out->script.data = s.buf;
	out->script.len = s.len;
	return 0;
}

void acpi_loader_free(struct acpi_loader_blobs *blobs)
{
	free(blobs->tables.data);
	free(blobs->rsdp.data);
	free(blobs->script.data);
	memset(blobs, 0, sizeof(*blobs));
}
