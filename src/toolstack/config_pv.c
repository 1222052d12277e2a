/* SPDX-License-Identifier: MIT */
/*
 * The PV keys of xl.cfg.  A PV guest runs inside Xen's PV shim here
 * (pvshim, pvshim_path, pvshim_cmdline, pvshim_extra, as xl spells them),
 * and its bootloader never runs in the host: xl's pygrub parses the
 * guest's file system in dom0, the source of a long run of Xen security
 * advisories.  bootloader = "pygrub" (or "pvgrub") boots Debian's PV GRUB
 * as the PV kernel instead, which reads the guest's own grub.cfg through
 * blkfront inside the guest and loads the kernel it names.
 */
#include "toolstack/config_loader.h"

#include <stdlib.h>
#include <string.h>

/* The command line xl gives the shim; pvshim_cmdline overrides it, as in xl. */
#define DEFAULT_PVSHIM_CMDLINE "pv-shim console=xen,pv"

/* A PV guest runs inside Xen's PV shim: which shim, and its command line. */
static void get_pvshim(struct loader *ld)
{
	struct domain_config *cfg = ld->cfg;
	char *cmdline = get_string(ld, "pvshim_cmdline");
	char *extra = get_string(ld, "pvshim_extra");
	long pvshim = 1;

	if (get_number(ld, "pvshim", 0, 1, &pvshim) && !pvshim)
		config_error(ld, "pvshim",
			     "pvshim = 0: a PV guest runs only inside Xen's PV shim "
			     "here (the host has no Xen to run it directly)");
	cfg->pvshim_path = get_string(ld, "pvshim_path");
	if (!cfg->pvshim_path)
		cfg->pvshim_path = strdup(CONFIG_PVSHIM_PATH);
	if (asprintf(&cfg->pvshim_cmdline, "%s%s%s", cmdline ? cmdline : DEFAULT_PVSHIM_CMDLINE,
		     extra ? " " : "", extra ? extra : "") < 0)
		cfg->pvshim_cmdline = NULL;
	if (!cfg->pvshim_path || !cfg->pvshim_cmdline)
		config_error(ld, NULL, "out of memory");
	free(cmdline);
	free(extra);
}

/* The last path component of a bootloader setting ("/usr/bin/pygrub" is pygrub). */
static const char *program_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * With a bootloader, kernel and ramdisk name files inside the guest (xl
 * hands them to pygrub); PV GRUB follows the guest's grub.cfg instead.
 */
static void drop_guest_paths(struct loader *ld)
{
	struct domain_config *cfg = ld->cfg;

	if (cfg->kernel)
		config_warning(ld, "kernel",
			       "kernel = \"%s\" is ignored with a bootloader: the guest's "
			       "own grub.cfg names its kernel",
			       cfg->kernel);
	if (cfg->ramdisk)
		config_warning(ld, "ramdisk",
			       "ramdisk = \"%s\" is ignored with a bootloader: the guest's "
			       "own grub.cfg names its initrd",
			       cfg->ramdisk);
	if (config_has_key(ld, "bootloader_args"))
		config_warning(ld, "bootloader_args",
			       "bootloader_args is ignored: PV GRUB takes its choices from "
			       "the guest's own grub.cfg");
	free(cfg->kernel);
	free(cfg->ramdisk);
	cfg->kernel = cfg->ramdisk = NULL;
}

/* bootloader = "pygrub" | "pvgrub": PV GRUB becomes the PV kernel. */
static void get_bootloader(struct loader *ld)
{
	struct domain_config *cfg = ld->cfg;
	char *bootloader = get_string(ld, "bootloader");
	const char *name;

	if (!bootloader)
		return;
	name = program_name(bootloader);
	if (cfg->type != GUEST_PV) {
		config_error(ld, "bootloader",
			     "bootloader = \"%s\": only a PV guest takes a bootloader (%s "
			     "guest boots its kernel or its disk directly)",
			     bootloader, cfg->type == GUEST_HVM ? "an HVM" : "a PVH");
	} else if (strcmp(name, "pygrub") != 0 && strcmp(name, "pvgrub") != 0) {
		config_error(ld, "bootloader",
			     "bootloader = \"%s\": expected \"pvgrub\" or \"pygrub\" (both "
			     "boot PV GRUB, %s, which reads the guest's own grub.cfg)",
			     bootloader, CONFIG_PVGRUB_PATH);
	} else {
		if (strcmp(name, "pygrub") == 0)
			config_warning(ld, "bootloader",
				       "bootloader = \"%s\": pygrub would read the guest's "
				       "file system in the host; booting PV GRUB (%s) "
				       "instead, which reads the guest's own grub.cfg "
				       "inside the guest",
				       bootloader, CONFIG_PVGRUB_PATH);
		drop_guest_paths(ld);
		cfg->kernel = strdup(CONFIG_PVGRUB_PATH);
		cfg->bootloader = strdup(name);
		if (!cfg->kernel || !cfg->bootloader)
			config_error(ld, NULL, "out of memory");
	}
	free(bootloader);
}

void load_pv_keys(struct loader *ld)
{
	if (ld->cfg->type == GUEST_PV)
		get_pvshim(ld);
	get_bootloader(ld);
}
