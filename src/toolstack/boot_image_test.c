/* SPDX-License-Identifier: MIT */
/* What is booted for each guest type: PVH directly, PV inside Xen's shim. */
#include "toolstack/boot_image.h"
#include "arch/x86/elf_note_test.h"
#include "lib/test.h"
#include "lib/util.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/elfnote.h>
#include <zstd.h>

#define LOAD_PADDR 0x100000
#define ELF_BYTES  1024

/* Files in a directory of their own: the PVH shim and PV kernels, good and bad. */
struct files {
	char dir[32];
	char shim[64], pv[64], plain[64], bomb[64], cut[64], none[64];
};

/* A 64-bit ELF: a PT_LOAD of 256 bytes at 1 MiB and a PT_NOTE of these notes. */
static void make_elf(uint8_t *img, const uint8_t *notes, size_t notes_len)
{
	Elf64_Ehdr eh = {.e_machine = EM_X86_64,
			 .e_phoff = sizeof(Elf64_Ehdr),
			 .e_phnum = 2,
			 .e_phentsize = sizeof(Elf64_Phdr)};
	Elf64_Phdr ph[2] = {
	    {.p_type = PT_NOTE, .p_offset = 256, .p_filesz = notes_len},
	    {.p_type = PT_LOAD,
	     .p_flags = PF_R | PF_X,
	     .p_offset = 512,
	     .p_paddr = LOAD_PADDR,
	     .p_filesz = 256,
	     .p_memsz = 4096},
	};

	memset(img, 0, ELF_BYTES);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	memcpy(img + 256, notes, notes_len);
	memset(img + 512, 0xcc, 256);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_zstd(const char *path, const void *data, size_t len, size_t keep)
{
	size_t cap = ZSTD_compressBound(len), n;
	uint8_t *z = malloc(cap);

	assert_non_null(z);
	n = ZSTD_compress(z, cap, data, len, 3);
	assert_false(ZSTD_isError(n));
	write_file(path, z, keep ? keep : n);
	free(z);
}

static void make_files(struct files *f)
{
	uint8_t notes[128], img[ELF_BYTES];
	uint32_t entry = LOAD_PADDR;
	uint8_t *zeros = calloc(1, 32 * MIB);
	size_t n;

	assert_non_null(zeros);
	memcpy(f->dir, "/tmp/boot_image_test.XXXXXX", 28);
	assert_non_null(mkdtemp(f->dir));
#define PATH(field, name) snprintf(f->field, sizeof(f->field), "%s/" name, f->dir)
	PATH(shim, "shim");
	PATH(pv, "pv.zst");
	PATH(plain, "plain");
	PATH(bomb, "bomb.zst");
	PATH(cut, "cut.zst");
	PATH(none, "none");
#undef PATH
	make_elf(img, notes, put_note(notes, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4));
	write_file(f->shim, img, ELF_BYTES);
	n = put_note(notes, XEN_ELFNOTE_GUEST_OS, "linux", 6);
	n += put_note(notes + n, XEN_ELFNOTE_XEN_VERSION, "xen-3.0", 8);
	make_elf(img, notes, n);
	write_zstd(f->pv, img, ELF_BYTES, 0);
	write_zstd(f->cut, img, ELF_BYTES, 40);
	make_elf(img, notes, 0);
	write_file(f->plain, img, ELF_BYTES);
	write_zstd(f->bomb, zeros, 32 * MIB, 0);
	free(zeros);
}

static void remove_files(struct files *f)
{
	unlink(f->shim);
	unlink(f->pv);
	unlink(f->plain);
	unlink(f->bomb);
	unlink(f->cut);
	assert_int_equal(rmdir(f->dir), 0);
}

static void test_pvh_boots_its_kernel(void **state)
{
	struct domain_config cfg = {.type = GUEST_PVH,
				    .kernel = (char *)"/vmlinux",
				    .ramdisk = (char *)"/initrd",
				    .cmdline = (char *)"console=hvc0"};
	struct pvh_image img;

	(void)state;
	boot_image_for(&cfg, &img);
	assert_string_equal(img.kernel_path, "/vmlinux");
	assert_string_equal(img.cmdline, "console=hvc0");
	assert_int_equal(img.nr_modules, 1);
	assert_string_equal(img.modules[0].path, "/initrd");
	assert_null(img.modules[0].cmdline);
	cfg.ramdisk = NULL;
	boot_image_for(&cfg, &img);
	assert_int_equal(img.nr_modules, 0);
}

/* Module 0 is the PV kernel with its command line, module 1 its initrd. */
static void test_pv_boots_the_shim(void **state)
{
	struct domain_config cfg = {.type = GUEST_PV,
				    .kernel = (char *)"/vmlinuz",
				    .ramdisk = (char *)"/initrd",
				    .cmdline = (char *)"root=/dev/xvda1",
				    .pvshim_path = (char *)"/shim",
				    .pvshim_cmdline = (char *)"pv-shim console=xen,pv"};
	struct pvh_image img;

	(void)state;
	boot_image_for(&cfg, &img);
	assert_string_equal(img.kernel_path, "/shim");
	assert_string_equal(img.cmdline, "pv-shim console=xen,pv");
	assert_int_equal(img.nr_modules, 2);
	assert_string_equal(img.modules[0].path, "/vmlinuz");
	assert_string_equal(img.modules[0].cmdline, "root=/dev/xvda1");
	assert_string_equal(img.modules[1].path, "/initrd");
	assert_null(img.modules[1].cmdline);
	cfg.cmdline = NULL;
	cfg.ramdisk = NULL;
	boot_image_for(&cfg, &img);
	assert_int_equal(img.nr_modules, 1);
	assert_string_equal(img.modules[0].cmdline, "");
}

/* A PV kernel is unpacked and its Xen notes checked before anything starts. */
static void test_pv_preflight(void **state)
{
	struct files f;
	struct domain_config cfg = {.type = GUEST_PV, .path = (char *)"test.cfg", .memory_mib = 16};

	(void)state;
	make_files(&f);
	cfg.pvshim_path = f.shim;
	cfg.kernel = f.pv;
	assert_int_equal(boot_image_preflight(&cfg), 0);
	cfg.kernel = f.plain; /* an ELF with no Xen notes */
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	cfg.kernel = f.shim; /* a PVH kernel without the PV notes */
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	cfg.kernel = f.bomb; /* 32 MiB of zeros in a 16 MiB guest */
	assert_int_equal(boot_image_preflight(&cfg), -EFBIG);
	cfg.kernel = f.cut; /* a compressed kernel cut short */
	assert_int_equal(boot_image_preflight(&cfg), -EINVAL);
	cfg.kernel = f.none;
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	cfg.kernel = f.none; /* bootloader = "pvgrub" without grub-xen-host */
	cfg.bootloader = (char *)"pvgrub";
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	cfg.bootloader = NULL;
	cfg.kernel = f.pv;
	cfg.pvshim_path = f.none; /* no shim */
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	/* The same files as a PVH guest: only the shim (a PVH kernel) boots. */
	cfg = (struct domain_config){
	    .type = GUEST_PVH, .path = (char *)"test.cfg", .memory_mib = 16, .kernel = f.shim};
	assert_int_equal(boot_image_preflight(&cfg), 0);
	cfg.kernel = f.pv;
	assert_int_equal(boot_image_preflight(&cfg), -ENOENT);
	remove_files(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pvh_boots_its_kernel),
	    cmocka_unit_test(test_pv_boots_the_shim),
	    cmocka_unit_test(test_pv_preflight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
