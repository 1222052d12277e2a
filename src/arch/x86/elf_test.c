/* SPDX-License-Identifier: MIT */
#include "arch/x86/elf.h"
#include "arch/x86/elf_note_test.h"
#include "lib/test.h"
#include "lib/util.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xen/elfnote.h>

#define LOAD_PADDR 0x100000
#define ENTRY	   0x100040
#define PV_ENTRY   0xffffffff81000000ULL

/* A minimal 64-bit kernel: header, a PT_LOAD and a PT_NOTE, then payload. */
struct image {
	uint8_t bytes[1024];
	size_t size;
};

static void build64(struct image *img, bool with_note, uint32_t entry_size)
{
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[2] = {{0}};
	uint64_t entry = ENTRY;
	size_t note_off = sizeof(eh) + sizeof(ph), note_len;
	uint8_t guest_version[8] = "xen-3.0";

	memset(img, 0, sizeof(*img));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(eh);
	eh.e_phnum = 2;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	note_len = put_note(img->bytes + note_off, XEN_ELFNOTE_GUEST_VERSION, guest_version, 8);
	if (with_note)
		note_len += put_note(img->bytes + note_off + note_len, XEN_ELFNOTE_PHYS32_ENTRY,
				     &entry, entry_size);
	ph[0] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = note_off, .p_filesz = note_len};
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_X,
			     .p_offset = 512,
			     .p_paddr = LOAD_PADDR,
			     .p_filesz = 256,
			     .p_memsz = 4096};
	memcpy(img->bytes, &eh, sizeof(eh));
	memcpy(img->bytes + sizeof(eh), ph, sizeof(ph));
	memset(img->bytes + 512, 0xcc, 256);
	img->size = 768;
}

static void build32(struct image *img, uint16_t machine)
{
	Elf32_Ehdr eh = {0};
	Elf32_Phdr ph[2] = {{0}};
	uint32_t entry = ENTRY;
	size_t note_off = sizeof(eh) + sizeof(ph);
	size_t note_len;

	memset(img, 0, sizeof(*img));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_machine = machine;
	eh.e_phoff = sizeof(eh);
	eh.e_phnum = 2;
	eh.e_phentsize = sizeof(Elf32_Phdr);
	note_len = put_note(img->bytes + note_off, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
	ph[0] = (Elf32_Phdr){.p_type = PT_NOTE, .p_offset = note_off, .p_filesz = note_len};
	ph[1] = (Elf32_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_W | PF_X,
			     .p_offset = 512,
			     .p_paddr = LOAD_PADDR,
			     .p_filesz = 16,
			     .p_memsz = 32};
	memcpy(img->bytes, &eh, sizeof(eh));
	memcpy(img->bytes + sizeof(eh), ph, sizeof(ph));
	img->size = 528;
}

/* A PV kernel's notes for build_pv (NULL: the note is left out). */
struct pv_notes {
	const char *guest_os, *loader, *xen_version;
};

static size_t put_string_note(uint8_t *p, uint32_t type, const char *text)
{
	return text ? put_note(p, type, text, (uint32_t)strlen(text) + 1) : 0;
}

/* build64's image with Xen's PV notes (and a PV entry) instead of its own. */
static void build_pv(struct image *img, struct pv_notes n)
{
	uint64_t entry = PV_ENTRY;
	Elf64_Phdr *ph;
	uint8_t *p;
	size_t len;

	build64(img, false, 8);
	ph = (Elf64_Phdr *)(void *)(img->bytes + sizeof(Elf64_Ehdr));
	p = img->bytes + ph[0].p_offset;
	memset(p, 0, 512 - ph[0].p_offset);
	len = put_note(p, XEN_ELFNOTE_ENTRY, &entry, sizeof(entry));
	len += put_string_note(p + len, XEN_ELFNOTE_GUEST_OS, n.guest_os);
	len += put_string_note(p + len, XEN_ELFNOTE_LOADER, n.loader);
	len += put_string_note(p + len, XEN_ELFNOTE_XEN_VERSION, n.xen_version);
	ph[0].p_filesz = len;
}

static void test_valid_64(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	for (uint32_t sz = 4; sz <= 8; sz += 4) {
		build64(&img, true, sz);
		assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), 0);
		assert_true(k.is_64bit);
		assert_true(k.has_phys32_entry);
		assert_int_equal(k.phys32_entry, ENTRY);
		assert_int_equal(k.load_start, LOAD_PADDR);
		assert_int_equal(k.load_end, LOAD_PADDR + 4096);
	}
}

static void test_valid_32(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	build32(&img, EM_386);
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), 0);
	assert_false(k.is_64bit);
	assert_int_equal(k.phys32_entry, ENTRY);
}

/* elf32-x86-64 (class 32, machine x86-64) is what Xen's test framework builds. */
static void test_valid_32_x86_64(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	build32(&img, EM_X86_64);
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), 0);
	assert_int_equal(k.phys32_entry, ENTRY);
	assert_int_equal(k.load_start, LOAD_PADDR);
}

static void test_foreign_machine(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	build32(&img, EM_ARM);
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -ENOEXEC);
	assert_non_null(strstr(why, "not an x86 ELF"));
	build64(&img, true, 8);
	((Elf64_Ehdr *)(void *)img.bytes)->e_machine = EM_AARCH64;
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -ENOEXEC);
}

/* A PT_LOAD without R, W or X is neither counted nor loaded, as in Xen. */
static void test_flagless_segment_skipped(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(Elf64_Ehdr));

	(void)state;
	build64(&img, true, 8);
	ph[1].p_flags = 0;
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);
	assert_non_null(strstr(why, "no loadable"));
}

/* Without a PT_NOTE segment, Xen finds its notes in SHT_NOTE sections. */
static void test_notes_in_section(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img.bytes;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(*eh));
	Elf64_Shdr sh[2] = {{0}};

	(void)state;
	build64(&img, true, 8);
	sh[1] = (Elf64_Shdr){
	    .sh_type = SHT_NOTE, .sh_offset = ph[0].p_offset, .sh_size = ph[0].p_filesz};
	ph[0].p_type = PT_NULL;
	eh->e_shoff = 768;
	eh->e_shnum = 2;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	memcpy(img.bytes + 768, sh, sizeof(sh));
	img.size = 768 + sizeof(sh);
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), 0);
	assert_int_equal(k.phys32_entry, ENTRY);

	sh[1].sh_size = 4096; /* a note section past the end of the file */
	memcpy(img.bytes + 768, sh, sizeof(sh));
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);
}

static void expect_no_pvh_entry(const struct image *img)
{
	struct elf_kernel k;
	const char *why = NULL;

	assert_int_equal(elf_parse(img->bytes, img->size, ELF_BOOT_PVH, &k, &why), -ENOENT);
	assert_non_null(strstr(why, "PHYS32_ENTRY"));
}

static void test_no_pvh_note(void **state)
{
	struct image img;

	(void)state;
	build64(&img, false, 8);
	expect_no_pvh_entry(&img);
}

/* What Xen's PV loader asks: Xen notes, for Linux or the generic loader, for Xen 3.0. */
static void test_pv_linux(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	build_pv(&img, (struct pv_notes){"linux", NULL, "xen-3.0"});
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), 0);
	assert_int_equal(k.nr_xen_notes, 3);
	assert_true(k.has_pv_entry);
	assert_int_equal(k.pv_entry, PV_ENTRY);
	assert_string_equal(k.guest_os, "linux");
	assert_string_equal(k.xen_version, "xen-3.0");
	assert_string_equal(k.loader, "");
	/* A PV-only kernel has no PVH entry. */
	expect_no_pvh_entry(&img);
}

/* Debian's PV GRUB: GUEST_OS "GRUB", for the generic loader. */
static void test_pv_generic_loader(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	build_pv(&img, (struct pv_notes){"GRUB", "generic", "xen-3.0"});
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), 0);
	assert_string_equal(k.loader, "generic");
	/* A longer string is kept to its first 15 characters. */
	build_pv(&img, (struct pv_notes){"linux, a longer name than Xen keeps", NULL, "xen-3.0"});
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), 0);
	assert_string_equal(k.guest_os, "linux, a longer");
}

static void expect_not_pv(struct image *img, const char *reason)
{
	struct elf_kernel k;
	const char *why = NULL;

	assert_int_equal(elf_parse(img->bytes, img->size, ELF_BOOT_XEN_PV, &k, &why), -ENOENT);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_not_pv(void **state)
{
	struct image img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(Elf64_Ehdr));

	(void)state;
	build_pv(&img, (struct pv_notes){"linux", NULL, "xen-3.0"});
	ph[0].p_type = PT_NULL; /* an ELF with no notes, like /bin/true's */
	expect_not_pv(&img, "no Xen ELF notes");
	build_pv(&img, (struct pv_notes){"NetBSD", NULL, "xen-3.0"});
	expect_not_pv(&img, "neither the generic loader");
	build_pv(&img, (struct pv_notes){NULL, "special", "xen-3.0"});
	expect_not_pv(&img, "neither the generic loader");
	build_pv(&img, (struct pv_notes){"linux", NULL, "xen-2.0"});
	expect_not_pv(&img, "xen-3.0");
	build_pv(&img, (struct pv_notes){"linux", NULL, NULL});
	expect_not_pv(&img, "xen-3.0");
	/* A PVH-only kernel: Xen notes, but not the PV ones. */
	build32(&img, EM_386);
	expect_not_pv(&img, "a PVH kernel's");
}

/*
 * A last note whose description the end of the file cuts short is read as
 * far as it goes (Debian's 32-bit PV GRUB ends so); a name cut short is
 * malformed.
 */
static void test_note_cut_by_end_of_file(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(Elf64_Ehdr));
	static const char yes[12] = "yes";
	size_t len;

	(void)state;
	build_pv(&img, (struct pv_notes){"GRUB", "generic", "xen-3.0"});
	len = ph[0].p_filesz;
	memmove(img.bytes + 768, img.bytes + ph[0].p_offset, len);
	len += put_note(img.bytes + 768 + len, XEN_ELFNOTE_PAE_MODE, yes, sizeof(yes));
	ph[0].p_offset = 768;
	ph[0].p_filesz = len - 8; /* "yes\0" is in the file, the other 8 bytes are not */
	img.size = 768 + len - 8;
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), 0);
	assert_string_equal(k.guest_os, "GRUB");
	ph[0].p_filesz = len - 14; /* now the name is cut */
	img.size = 768 + len - 14;
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), -EINVAL);
}

/* Like Xen, SHT_NOTE sections are read when no note segment has a Xen note. */
static void test_section_notes_after_foreign_segment(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why = NULL;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img.bytes;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(*eh));
	Elf64_Shdr sh[2] = {{0}};

	(void)state;
	build_pv(&img, (struct pv_notes){"linux", NULL, "xen-3.0"});
	sh[1] = (Elf64_Shdr){
	    .sh_type = SHT_NOTE, .sh_offset = ph[0].p_offset, .sh_size = ph[0].p_filesz};
	memcpy(img.bytes + ph[0].p_offset + ph[0].p_filesz, "\4\0\0\0\0\0\0\0\1\0\0\0GNU", 16);
	ph[0].p_offset += ph[0].p_filesz; /* the segment: one GNU note */
	ph[0].p_filesz = 16;
	eh->e_shoff = 768;
	eh->e_shnum = 2;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	memcpy(img.bytes + 768, sh, sizeof(sh));
	img.size = 768 + sizeof(sh);
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_XEN_PV, &k, &why), 0);
	assert_string_equal(k.guest_os, "linux");
}

static void test_not_elf(void **state)
{
	static const uint8_t bz[] = "MZ\x00\x00 this is a bzImage, not an ELF file";
	struct elf_kernel k;
	const char *why = NULL;

	(void)state;
	assert_int_equal(elf_parse(bz, sizeof(bz), ELF_BOOT_PVH, &k, &why), -ENOEXEC);
	assert_int_equal(elf_parse(bz, 0, ELF_BOOT_PVH, &k, &why), -ENOEXEC);
}

/* Every truncation of a valid image is rejected, never read past. */
static void test_every_truncation(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why;

	(void)state;
	build64(&img, true, 8);
	for (size_t len = 0; len < img.size; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size so ASan sees overreads */

		memcpy(copy, img.bytes, len);
		why = NULL;
		assert_int_not_equal(elf_parse(copy, len, ELF_BOOT_PVH, &k, &why), 0);
		assert_non_null(why);
		why = NULL;
		assert_int_not_equal(elf_parse(copy, len, ELF_BOOT_XEN_PV, &k, &why), 0);
		assert_non_null(why);
		free(copy);
	}
}

static void test_hostile_headers(void **state)
{
	struct image img;
	struct elf_kernel k;
	const char *why;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img.bytes;
	Elf64_Phdr *ph;

	(void)state;
	build64(&img, true, 8);
	eh->e_phnum = 0xffff; /* program headers past the end */
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);

	build64(&img, true, 8);
	eh->e_phentsize = 4; /* smaller than a program header */
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);

	build64(&img, true, 8);
	ph = (Elf64_Phdr *)(void *)(img.bytes + sizeof(*eh));
	ph[1].p_offset = UINT64_MAX - 8; /* offset + size wraps */
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);

	build64(&img, true, 8);
	ph[1].p_filesz = ph[1].p_memsz + 1;
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);

	build64(&img, true, 8);
	ph[1].p_paddr = UINT64_MAX - 100; /* paddr + memsz wraps */
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);

	build64(&img, true, 8);
	memcpy(img.bytes + ph[0].p_offset, &(uint32_t){0xfffffff0}, 4); /* huge namesz */
	assert_int_equal(elf_parse(img.bytes, img.size, ELF_BOOT_PVH, &k, &why), -EINVAL);
}

static void test_load(void **state)
{
	struct image img;
	struct guest_memory mem;
	uint8_t *p;

	(void)state;
	build64(&img, true, 8);
	assert_int_equal(guest_memory_map(&mem, 2 * MIB), 0);
	memset(gpa_to_hva(&mem, LOAD_PADDR, 4096), 0x11, 4096);
	assert_int_equal(elf_load(img.bytes, img.size, &mem), 0);
	p = gpa_to_hva(&mem, LOAD_PADDR, 4096);
	assert_int_equal(p[0], 0xcc);
	assert_int_equal(p[255], 0xcc);
	assert_int_equal(p[256], 0); /* bss is zeroed */
	assert_int_equal(p[4095], 0);
	guest_memory_unmap(&mem);

	/* A segment that does not fit in guest RAM is refused. */
	assert_int_equal(guest_memory_map(&mem, LOAD_PADDR + 1024), 0);
	assert_int_equal(elf_load(img.bytes, img.size, &mem), -EFAULT);
	guest_memory_unmap(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_64),
	    cmocka_unit_test(test_valid_32),
	    cmocka_unit_test(test_valid_32_x86_64),
	    cmocka_unit_test(test_foreign_machine),
	    cmocka_unit_test(test_flagless_segment_skipped),
	    cmocka_unit_test(test_notes_in_section),
	    cmocka_unit_test(test_no_pvh_note),
	    cmocka_unit_test(test_pv_linux),
	    cmocka_unit_test(test_pv_generic_loader),
	    cmocka_unit_test(test_not_pv),
	    cmocka_unit_test(test_note_cut_by_end_of_file),
	    cmocka_unit_test(test_section_notes_after_foreign_segment),
	    cmocka_unit_test(test_not_elf),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_hostile_headers),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
