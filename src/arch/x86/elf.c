/* SPDX-License-Identifier: MIT */
#include "arch/x86/elf.h"
#include "lib/util.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <xen/elfnote.h>

/* A program header in the width-independent form we work with. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_view {
	const uint8_t *img;
	size_t size;
	bool is_64bit;
	uint64_t phoff;
	unsigned phnum, phentsize;
};

static int open_view(const uint8_t *img, size_t size, struct elf_view *v, const char **why)
{
	if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	v->img = img;
	v->size = size;
	v->is_64bit = img[EI_CLASS] == ELFCLASS64;
	if ((img[EI_CLASS] != ELFCLASS32 && !v->is_64bit) || img[EI_DATA] != ELFDATA2LSB) {
		*why = "not a little-endian 32- or 64-bit ELF file";
		return -ENOEXEC;
	}
	if (v->is_64bit) {
		Elf64_Ehdr eh;

		if (size < sizeof(eh)) {
			*why = "truncated ELF header";
			return -EINVAL;
		}
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_X86_64) {
			*why = "not an x86-64 ELF file";
			return -ENOEXEC;
		}
		v->phoff = eh.e_phoff;
		v->phnum = eh.e_phnum;
		v->phentsize = eh.e_phentsize;
		if (v->phentsize < sizeof(Elf64_Phdr))
			goto bad_ph;
	} else {
		Elf32_Ehdr eh;

		if (size < sizeof(eh)) {
			*why = "truncated ELF header";
			return -EINVAL;
		}
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_386) {
			*why = "not an x86 ELF file";
			return -ENOEXEC;
		}
		v->phoff = eh.e_phoff;
		v->phnum = eh.e_phnum;
		v->phentsize = eh.e_phentsize;
		if (v->phentsize < sizeof(Elf32_Phdr))
			goto bad_ph;
	}
	if (!v->phnum || !range_ok(v->phoff, (uint64_t)v->phnum * v->phentsize, size))
		goto bad_ph;
	return 0;
bad_ph:
	*why = "truncated or malformed program headers";
	return -EINVAL;
}

static struct phdr get_phdr(const struct elf_view *v, unsigned i)
{
	const uint8_t *p = v->img + v->phoff + (uint64_t)i * v->phentsize;
	struct phdr ph;

	if (v->is_64bit) {
		Elf64_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph = (struct phdr){h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz};
	} else {
		Elf32_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph = (struct phdr){h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz};
	}
	return ph;
}

static uint64_t read_le(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Walk one PT_NOTE segment looking for Xen's PHYS32_ENTRY note. */
static int scan_notes(const uint8_t *p, uint64_t len, struct elf_kernel *out)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = (uint32_t)read_le(p + off, 4);
		uint32_t descsz = (uint32_t)read_le(p + off + 4, 4);
		uint32_t type = (uint32_t)read_le(p + off + 8, 4);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);
		uint64_t next = desc_off + ALIGN_UP((uint64_t)descsz, 4);

		if (!range_ok(name_off, namesz, len) || !range_ok(desc_off, descsz, len))
			return -EINVAL;
		if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
			out->has_phys32_entry = true;
			out->phys32_entry = read_le(p + desc_off, descsz);
		}
		if (next > len)
			break;
		off = next;
	}
	return 0;
}

int elf_parse(const uint8_t *img, size_t size, struct elf_kernel *out, const char **why)
{
	struct elf_view v;
	bool any_load = false;
	int r;

	memset(out, 0, sizeof(*out));
	r = open_view(img, size, &v, why);
	if (r)
		return r;
	out->is_64bit = v.is_64bit;
	out->load_start = UINT64_MAX;
	for (unsigned i = 0; i < v.phnum; i++) {
		struct phdr ph = get_phdr(&v, i);

		if (ph.type != PT_LOAD && ph.type != PT_NOTE)
			continue;
		if (!range_ok(ph.offset, ph.filesz, size)) {
			*why = "truncated ELF file (a segment extends past its end)";
			return -EINVAL;
		}
		if (ph.type == PT_NOTE) {
			if (scan_notes(img + ph.offset, ph.filesz, out)) {
				*why = "malformed ELF note";
				return -EINVAL;
			}
			continue;
		}
		if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr) {
			*why = "malformed PT_LOAD segment";
			return -EINVAL;
		}
		any_load = true;
		out->load_start = MIN(out->load_start, ph.paddr);
		out->load_end = MAX(out->load_end, ph.paddr + ph.memsz);
	}
	if (!any_load) {
		*why = "no loadable segments";
		return -EINVAL;
	}
	if (!out->has_phys32_entry) {
		*why = "no PVH entry point (Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY); "
		       "is this a kernel built with CONFIG_PVH?";
		return -ENOENT;
	}
	return 0;
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

		if (ph.type != PT_LOAD)
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
