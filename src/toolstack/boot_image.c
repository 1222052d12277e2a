/* SPDX-License-Identifier: MIT */
#include "toolstack/boot_image.h"
#include "lib/log.h"

#include <errno.h>
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

int boot_image_preflight(const struct domain_config *cfg)
{
	struct pvh_image img;

	if (cfg->type == GUEST_HVM)
		return 0; /* firmware boots it: the machine checks the firmware file */
	if (cfg->type == GUEST_PV && access(cfg->pvshim_path, R_OK) < 0) {
		int err = errno;

		pr_err("%s: pvshim_path '%s': %s: a PV guest runs inside Xen's PV shim; install "
		       "Debian's xen-utils-4.17 (apt-get install --no-install-recommends "
		       "xen-utils-4.17) or set pvshim_path",
		       cfg->path, cfg->pvshim_path, strerror(err));
		return -err;
	}
	boot_image_for(cfg, &img);
	return pvh_preflight(&img, cfg->memory_mib << 20);
}
