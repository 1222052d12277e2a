/* SPDX-License-Identifier: MIT */
#include "toolstack/boot_image.h"
#include "arch/x86/elf.h"
#include "arch/x86/kernel_image.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void boot_image_for(const struct domain_config *cfg, struct pvh_image *img)
{
	memset(img, 0, sizeof(*img));
	if (cfg->type != GUEST_PV) {
		img->kernel_path = cfg->kernel;
		img->cmdline = cfg->cmdline;
		if (cfg->ramdisk)
			img->modules[img->nr_modules++] =
			    (struct pvh_module){.what = "ramdisk", .path = cfg->ramdisk};
		return;
	}
	img->kernel_path = cfg->pvshim_path;
	img->cmdline = cfg->pvshim_cmdline;
	/* The shim reads its guest's command line from the module entry. */
	img->modules[img->nr_modules++] = (struct pvh_module){
	    .what = "kernel", .path = cfg->kernel, .cmdline = cfg->cmdline ? cfg->cmdline : ""};
	if (cfg->ramdisk)
		img->modules[img->nr_modules++] =
		    (struct pvh_module){.what = "ramdisk", .path = cfg->ramdisk};
}

static void pv_kernel_error(const struct domain_config *cfg, const char *format, int err,
			    size_t max, const char *why)
{
	if (err == -EFBIG)
		pr_err(
		    "%s: kernel '%s' (%s): decompresses to more than %zu MiB (the limit is the "
		    "guest's memory, at most %llu MiB): a corrupt kernel or a decompression bomb",
		    cfg->path, cfg->kernel, format, max >> 20,
		    (unsigned long long)(KERNEL_IMAGE_MAX >> 20));
	else if (format)
		pr_err("%s: kernel '%s' (%s): %s", cfg->path, cfg->kernel, format, why);
	else
		pr_err("%s: kernel '%s': %s", cfg->path, cfg->kernel, why);
}

/*
 * A PV kernel is the shim's module 0: the VMM loads the file as it is and
 * Xen's PV loader in the shim unpacks it.  Unpack it here the way the shim
 * will, bounded by the guest's memory (which must hold it), and require
 * the Xen notes that loader requires, so that a bad file is refused now
 * rather than by the shim after a boot.  The one decompression the VMM
 * does for a PV kernel.
 */
static int preflight_pv_kernel(const struct domain_config *cfg)
{
	size_t max = (size_t)MIN(cfg->memory_mib * MIB, KERNEL_IMAGE_MAX);
	const char *format = NULL, *why = NULL;
	const uint8_t *elf = NULL;
	uint8_t *owned = NULL;
	size_t elf_size = 0;
	struct elf_kernel k;
	struct file_buf fb;
	int r = file_buf_open(&fb, cfg->kernel, max, "kernel");

	if (r)
		return r;
	r = kernel_image_extract(fb.data, fb.size, max, &owned, &elf, &elf_size, &format, &why);
	if (!r)
		r = elf_parse(elf, elf_size, ELF_BOOT_XEN_PV, &k, &why);
	if (r)
		pv_kernel_error(cfg, format, r, max, why);
	free(owned);
	file_buf_close(&fb);
	return r;
}

/* The files a PV guest needs besides its kernel's contents: the shim, and PV GRUB if named. */
static int preflight_pv_files(const struct domain_config *cfg)
{
	int err;

	if (access(cfg->pvshim_path, R_OK) < 0) {
		err = errno;
		pr_err("%s: pvshim_path '%s': %s: a PV guest runs inside Xen's PV shim; install "
		       "Debian's xen-utils-4.17 (apt-get install --no-install-recommends "
		       "xen-utils-4.17) or set pvshim_path",
		       cfg->path, cfg->pvshim_path, strerror(err));
		return -err;
	}
	if (cfg->bootloader && access(cfg->kernel, R_OK) < 0) {
		err = errno;
		pr_err("%s: bootloader = \"%s\" boots PV GRUB, '%s': %s: install Debian's "
		       "grub-xen-host (apt-get install grub-xen-host)",
		       cfg->path, cfg->bootloader, cfg->kernel, strerror(err));
		return -err;
	}
	return preflight_pv_kernel(cfg);
}

int boot_image_preflight(const struct domain_config *cfg)
{
	struct pvh_image img;
	int r;

	if (cfg->type == GUEST_HVM)
		return 0; /* firmware boots it: the machine checks the firmware file */
	if (cfg->type == GUEST_PV) {
		r = preflight_pv_files(cfg);
		if (r)
			return r;
	}
	boot_image_for(cfg, &img);
	return pvh_preflight(&img, cfg->memory_mib << 20);
}
