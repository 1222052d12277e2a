/* SPDX-License-Identifier: MIT */
#include "arch/x86/elf.h"
#include "lib/util.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <xen/elfnote.h>

/* A program header in the width-independent form we work with. */
struct phdr {
	uint32_t type, flags;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_view {
	const uint8_t *img;
	size_t size;
	bool is_64bit;
	uint64_t phoff, shoff;
	unsigned phnum, phentsize, shnum, shentsize;
};

/*
 * Xen's PVH loader takes either class with either x86 machine: a 32-bit
 * class with EM_X86_64 is what `elf32-x86-64` links (Xen's own test
 * framework builds its 64-bit HVM tests that way), and the entry point is
 * 32-bit protected mode whatever the class.
 */
static bool is_x86_machine(uint16_t machine)
{
	return machine == EM_386 || machine == EM_X86_64;
}

/* The two classes' file headers differ only in field widths. */
#define READ_EHDR(type)                                                                            \
	do {                                                                                       \
		type eh;                                                                           \
                                                                                                   \
		if (v->size < sizeof(eh))                                                          \
			return -EINVAL;                                                            \
		memcpy(&eh, v->img, sizeof(eh));                                                   \
		*machine = eh.e_machine;                                                           \
		v->phoff = eh.e_phoff;                                                             \
		v->shoff = eh.e_shoff;                                                             \
		v->phnum = eh.e_phnum;                                                             \
		v->phentsize = eh.e_phentsize;                                                     \
		v->shnum = eh.e_shnum;                                                             \
		v->shentsize = eh.e_shentsize;                                                     \
	} while (0)

/* Copy the class-specific file header into the view; returns e_machine. */
static int read_ehdr(struct elf_view *v, uint16_t *machine)
{
	if (v->is_64bit)
		READ_EHDR(Elf64_Ehdr);
	else
		READ_EHDR(Elf32_Ehdr);
	return 0;
}

/* Section headers are optional: an unusable table is treated as absent. */
static void check_shdrs(struct elf_view *v)
{
	size_t min = v->is_64bit ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	if (v->shentsize < min || !range_ok(v->shoff, (uint64_t)v->shnum * v->shentsize, v->size))
		v->shnum = 0;
}

static int open_view(const uint8_t *img, size_t size, struct elf_view *v, const char **why)
{
	uint16_t machine;

	if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	*v = (struct elf_view){.img = img, .size = size, .is_64bit = img[EI_CLASS] == ELFCLASS64};
	if ((img[EI_CLASS] != ELFCLASS32 && !v->is_64bit) || img[EI_DATA] != ELFDATA2LSB) {
		*why = "not a little-endian 32- or 64-bit ELF file";
		return -ENOEXEC;
	}
	if (read_ehdr(v, &machine)) {
		*why = "truncated ELF header";
		return -EINVAL;
	}
	if (!is_x86_machine(machine)) {
		*why = "not an x86 ELF file (machine is neither EM_386 nor EM_X86_64)";
		return -ENOEXEC;
	}
	if (v->phentsize < (v->is_64bit ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || !v->phnum ||
	    !range_ok(v->phoff, (uint64_t)v->phnum * v->phentsize, size)) {
		*why = "truncated or malformed program headers";
		return -EINVAL;
	}
	check_shdrs(v);
	return 0;
}

/* Program headers of the two classes also differ only in field widths. */
#define READ_PHDR(phdr_type)                                                                       \
	do {                                                                                       \
		phdr_type h;                                                                       \
                                                                                                   \
		memcpy(&h, p, sizeof(h));                                                          \
		ph = (struct phdr){.type = h.p_type,                                               \
				   .flags = h.p_flags,                                             \
				   .offset = h.p_offset,                                           \
				   .paddr = h.p_paddr,                                             \
				   .filesz = h.p_filesz,                                           \
				   .memsz = h.p_memsz};                                            \
	} while (0)

static struct phdr get_phdr(const struct elf_view *v, unsigned i)
{
	const uint8_t *p = v->img + v->phoff + (uint64_t)i * v->phentsize;
	struct phdr ph;

	if (v->is_64bit)
		READ_PHDR(Elf64_Phdr);
	else
		READ_PHDR(Elf32_Phdr);
	return ph;
}

/* A PT_LOAD with no access flags is skipped, as Xen's loader skips it. */
static bool is_loadable(const struct phdr *ph)
{
	return ph->type == PT_LOAD && (ph->flags & (PF_R | PF_W | PF_X));
}

/* A note section's file range, or len 0 for any other section. */
static void get_note_section(const struct elf_view *v, unsigned i, uint64_t *off, uint64_t *len)
{
	const uint8_t *p = v->img + v->shoff + (uint64_t)i * v->shentsize;

	*len = 0;
	if (v->is_64bit) {
		Elf64_Shdr h;

		memcpy(&h, p, sizeof(h));
		if (h.sh_type == SHT_NOTE) {
			*off = h.sh_offset;
			*len = h.sh_size;
		}
	} else {
		Elf32_Shdr h;

		memcpy(&h, p, sizeof(h));
		if (h.sh_type == SHT_NOTE) {
			*off = h.sh_offset;
			*len = h.sh_size;
		}
	}
}

static uint64_t read_le(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A string note's text, cut at its NUL or at ELF_XEN_STRING_MAX - 1 characters. */
static void copy_note_string(char *dst, const uint8_t *desc, uint32_t descsz)
{
	size_t n = 0;

	while (n < descsz && n < ELF_XEN_STRING_MAX - 1 && desc[n])
		n++;
	memcpy(dst, desc, n);
	dst[n] = '\0';
}

/* Keep what one note named "Xen" says; types we do not use are only counted. */
static void record_xen_note(struct elf_kernel *out, uint32_t type, const uint8_t *desc,
			    uint32_t descsz)
{
	bool number = descsz == 4 || descsz == 8;

	out->nr_xen_notes++;
	if (type == XEN_ELFNOTE_PHYS32_ENTRY && number) {
		out->has_phys32_entry = true;
		out->phys32_entry = read_le(desc, descsz);
	} else if (type == XEN_ELFNOTE_ENTRY && number) {
		out->has_pv_entry = true;
		out->pv_entry = read_le(desc, descsz);
	} else if (type == XEN_ELFNOTE_GUEST_OS) {
		copy_note_string(out->guest_os, desc, descsz);
	} else if (type == XEN_ELFNOTE_XEN_VERSION) {
		copy_note_string(out->xen_version, desc, descsz);
	} else if (type == XEN_ELFNOTE_LOADER) {
		copy_note_string(out->loader, desc, descsz);
	}
}

/*
 * Walk one note segment or section of len bytes at p, keeping what Xen's
 * notes say.  A note's header and name must lie in the file (avail bytes
 * from p); a description that the end of the file cuts short is read as
 * far as it goes, as Xen reads it: Debian's 32-bit PV GRUB ends so.
 */
static int scan_notes(const uint8_t *p, uint64_t len, uint64_t avail, struct elf_kernel *out)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = (uint32_t)read_le(p + off, 4);
		uint32_t descsz = (uint32_t)read_le(p + off + 4, 4);
		uint32_t type = (uint32_t)read_le(p + off + 8, 4);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);
		uint64_t next = desc_off + ALIGN_UP((uint64_t)descsz, 4);

		if (!range_ok(name_off, namesz, avail) || desc_off > avail)
			return -EINVAL;
		if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0)
			record_xen_note(out, type, p + desc_off,
					(uint32_t)MIN((uint64_t)descsz, avail - desc_off));
		if (next > len)
			break;
		off = next;
	}
	return 0;
}

/* Check every segment, note the load range and scan PT_NOTE segments. */
static int scan_segments(const struct elf_view *v, struct elf_kernel *out, const char **why)
{
	for (unsigned i = 0; i < v->phnum; i++) {
		struct phdr ph = get_phdr(v, i);

		if (!is_loadable(&ph) && ph.type != PT_NOTE)
			continue;
		if (!range_ok(ph.offset, ph.filesz, v->size)) {
			*why = "truncated ELF file (a segment extends past its end)";
			return -EINVAL;
		}
		if (ph.type == PT_NOTE) {
			if (scan_notes(v->img + ph.offset, ph.filesz, v->size - ph.offset, out)) {
				*why = "malformed ELF note";
				return -EINVAL;
			}
			continue;
		}
		if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr) {
			*why = "malformed PT_LOAD segment";
			return -EINVAL;
		}
		out->load_start = MIN(out->load_start, ph.paddr);
		out->load_end = MAX(out->load_end, ph.paddr + ph.memsz);
	}
	return 0;
}

/* Like Xen, look in SHT_NOTE sections when no note segment has a Xen note. */
static int scan_note_sections(const struct elf_view *v, struct elf_kernel *out, const char **why)
{
	for (unsigned i = 0; i < v->shnum; i++) {
		uint64_t off = 0, len;

		get_note_section(v, i, &off, &len);
		if (!len)
			continue;
		if (!range_ok(off, len, v->size) ||
		    scan_notes(v->img + off, len, v->size - off, out)) {
			*why = "malformed ELF note section";
			return -EINVAL;
		}
	}
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * What Xen's PV loader (libelf, which the PV shim runs) asks of a kernel:
 * Xen notes, made for the generic loader or for Linux, and for Xen 3.0's
 * interface (which every Xen since implements).
 */
static int check_xen_pv(const struct elf_kernel *k, const char **why)
{
	if (!k->nr_xen_notes) {
		*why = "not a Xen PV kernel: it has no Xen ELF notes (a Linux kernel needs "
		       "CONFIG_XEN_PV)";
		return -ENOENT;
	}
	if (!starts_with(k->loader, "generic") && !starts_with(k->guest_os, "linux")) {
		*why = k->has_phys32_entry && !k->has_pv_entry
			   ? "not a Xen PV kernel: its Xen ELF notes are a PVH kernel's "
			     "(type = \"pvh\" boots it)"
			   : "not a PV kernel Xen will load: its Xen ELF notes name neither the "
			     "generic loader (XEN_ELFNOTE_LOADER) nor Linux (XEN_ELFNOTE_GUEST_OS)";
		return -ENOENT;
	}
	if (!starts_with(k->xen_version, "xen-3.0")) {
		*why = "not a PV kernel Xen will load: its Xen ELF note XEN_ELFNOTE_XEN_VERSION "
		       "is not \"xen-3.0\"";
		return -ENOENT;
	}
	return 0;
}

static int check_boot_notes(const struct elf_kernel *k, enum elf_boot boot, const char **why)
{
	if (boot == ELF_BOOT_XEN_PV)
		return check_xen_pv(k, why);
	if (!k->has_phys32_entry) {
		*why = "no PVH entry point (Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY); "
		       "is this a kernel built with CONFIG_PVH?";
		return -ENOENT;
	}
	return 0;
}

int elf_parse(const uint8_t *img, size_t size, enum elf_boot boot, struct elf_kernel *out,
	      const char **why)
{
	struct elf_view v;
	int r;

	memset(out, 0, sizeof(*out));
	r = open_view(img, size, &v, why);
	if (r)
		return r;
	out->is_64bit = v.is_64bit;
	out->load_start = UINT64_MAX;
	r = scan_segments(&v, out, why);
	if (!r && !out->nr_xen_notes)
		r = scan_note_sections(&v, out, why);
	if (r)
		return r;
	if (out->load_start == UINT64_MAX) {
		*why = "no loadable segments";
		return -EINVAL;
	}
	return check_boot_notes(out, boot, why);
}

int elf_load(const uint8_t *img, size_t size, const struct guest_memory *mem)
{
	const char *why;
	struct elf_view v;

	if (open_view(img, size, &v, &why))
		return -EINVAL;
	for (unsigned i = 0; i < v.phnum; i++) {
		struct phdr ph = get_phdr(&v, i);
		uint8_t *dst;

		if (!is_loadable(&ph))
			continue;
		if (!range_ok(ph.offset, ph.filesz, size) || ph.filesz > ph.memsz)
			return -EINVAL;
		dst = gpa_to_hva(mem, ph.paddr, ph.memsz);
		if (!dst)
			return -EFAULT;
		memcpy(dst, img + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}
	return 0;
}
