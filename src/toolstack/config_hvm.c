/* SPDX-License-Identifier: MIT */
/*
 * The HVM keys of xl.cfg (firmware, bios, boot, serial, vnc, sdl, acpi,
 * apic, xen_platform_pci, viridian) read as xl reads them, and the checks
 * that an HVM config's disks and vifs fit the emulated PC: four IDE slots,
 * RTL8139 NICs, a boot order that names a device.  What the machine cannot
 * do yet is refused here, with the file and line, before anything starts.
 */
#include "toolstack/config_loader.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keys xl reads only for HVM guests: a PVH or PV config gets a warning for each. */
static const char *const hvm_only_keys[] = {
    "firmware", "bios", "boot", "serial",	    "vnc",
    "sdl",	"acpi", "apic", "xen_platform_pci", "viridian",
};

#define IDE_SLOTS 4

static const char *const ide_slot_names[IDE_SLOTS] = {
    "primary master",
    "primary slave",
    "secondary master",
    "secondary slave",
};

/* A firmware name xl knows but the machine has no image for: the reason, else NULL. */
static const char *unavailable_firmware(const char *name)
{
	if (!strcmp(name, "ovmf") || !strcmp(name, "uefi"))
		return "UEFI (OVMF) is not available";
	if (!strcmp(name, "rombios"))
		return "ROMBIOS is not available";
	return NULL;
}

/* The image that a firmware or bios key names, or NULL after an error. */
static char *firmware_path(struct loader *ld, const char *key, const char *value)
{
	const char *why = unavailable_firmware(value);

	if (!strcmp(value, "seabios") || !strcmp(value, "bios"))
		return strdup(CONFIG_SEABIOS_PATH);
	if (why)
		config_error(ld, key, "%s = \"%s\": %s; use \"seabios\"", key, value, why);
	else if (value[0] == '/' && !strcmp(key, "firmware"))
		return strdup(value);
	else
		config_error(ld, key, "%s = \"%s\": expected \"seabios\"%s", key, value,
			     strcmp(key, "firmware") ? ""
						     : " or the absolute path of a BIOS image");
	return NULL;
}

static void check_firmware_file(struct loader *ld, const char *key, const char *path)
{
	struct stat st;
	int e = 0;

	if (stat(path, &st) || (S_ISREG(st.st_mode) && access(path, R_OK)))
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EISDIR;
	if (!e)
		return;
	if (key)
		config_error(ld, key, "%s: cannot read firmware %s: %s", key, path, strerror(e));
	else
		config_error(ld, NULL, "cannot read the default firmware %s: %s (Debian's seabios)",
			     path, strerror(e));
}

/* firmware = "seabios" | "/path" (xl's newer key) wins over bios = "seabios". */
static void get_firmware(struct loader *ld)
{
	const char *key = config_has_key(ld, "firmware") ? "firmware" : "bios";
	char *value = get_string(ld, key);
	char *path;

	if (config_has_key(ld, "firmware") && config_has_key(ld, "bios"))
		config_warning(ld, "bios", "bios is ignored: firmware is set");
	if (!value && config_has_key(ld, key))
		return; /* not a string: reported */
	path = value ? firmware_path(ld, key, value) : strdup(CONFIG_SEABIOS_PATH);
	if (path)
		check_firmware_file(ld, value ? key : NULL, path);
	ld->cfg->firmware = path;
	free(value);
}

/* The classes of device boot letters stand for, as the machine picks them. */
static bool has_boot_device(const struct domain_config *cfg, char letter)
{
	if (letter == 'n')
		return cfg->nr_nics > 0;
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];

		if (letter == 'c' ? !d->cdrom : d->cdrom && d->target)
			return true;
	}
	return false;
}

static bool parse_boot_order(struct loader *ld, const char *order)
{
	size_t n = strlen(order);

	if (n == 0) {
		config_error(ld, "boot",
			     "boot = \"\": expected letters from c (hard disk), "
			     "d (CD-ROM) and n (network)");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strchr("cdn", order[i])) {
			config_error(ld, "boot",
				     "boot = \"%s\": '%c' is not a boot device (c hard disk, "
				     "d CD-ROM, n network)",
				     order, order[i]);
			return false;
		}
		if (memchr(order, order[i], i)) {
			config_error(ld, "boot", "boot = \"%s\": '%c' is given twice", order,
				     order[i]);
			return false;
		}
	}
	memcpy(ld->cfg->boot_order, order, n + 1); /* at most "cdn": fits */
	return true;
}

/* boot = "cd" by default; an order none of whose devices exists boots nothing. */
static void get_boot(struct loader *ld)
{
	static const char *const missing[] = {"no hard disk", "no CD-ROM with media", "no vif"};
	struct domain_config *cfg = ld->cfg;
	char *boot = get_string(ld, "boot");
	char why[80] = "";

	if (!parse_boot_order(ld, boot ? boot : "cd") || ld->errors) {
		free(boot);
		return;
	}
	for (const char *p = cfg->boot_order; *p; p++) {
		if (has_boot_device(cfg, *p)) {
			free(boot);
			return;
		}
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s", *why ? ", " : "",
			 missing[strchr("cdn", *p) - "cdn"]);
	}
	config_error(ld, "boot", "boot = \"%s\"%s: no bootable disk (%s)", cfg->boot_order,
		     boot ? "" : " (the default)", why);
	free(boot);
}

/* serial = "pty" | "none", or a list of one of them (xl takes both forms). */
static void get_serial(struct loader *ld)
{
	XLU_ConfigList *list = NULL;
	const char *v = NULL;
	int count = 0;

	ld->cfg->serial = SERIAL_PTY;
	if (!xlu_cfg_get_list(ld->xlu, "serial", &list, &count, 1)) {
		if (count > 1)
			config_error(ld, "serial", "serial: %d ports given; only COM1 is emulated",
				     count);
		v = count ? xlu_cfg_get_listitem(list, 0) : "none";
	} else if (xlu_cfg_get_string(ld->xlu, "serial", &v, 1)) {
		return; /* absent */
	}
	if (v && !strcmp(v, "none"))
		ld->cfg->serial = SERIAL_NONE;
	else if (!v || strcmp(v, "pty") != 0)
		config_error(ld, "serial",
			     "serial = \"%s\": expected \"pty\" (COM1 is the console) or \"none\"",
			     v ? v : "");
}

static void refuse_display(struct loader *ld, const char *key)
{
	if (get_bool(ld, key, false))
		config_error(ld, key,
			     "%s = 1: no display: vnc/sdl are not supported; the console is COM1 "
			     "(xkvm console)",
			     key);
}

/* viridian = 0 or [] asks for nothing; anything else is warned about and dropped. */
static void warn_viridian(struct loader *ld)
{
	XLU_ConfigList *list = NULL;
	long v = 1;
	int count = 1;

	if (!config_has_key(ld, "viridian"))
		return;
	if (!xlu_cfg_get_list(ld->xlu, "viridian", &list, &count, 1) && count == 0)
		return;
	if (!xlu_cfg_get_long(ld->xlu, "viridian", &v, 1) && v == 0)
		return;
	config_warning(ld, "viridian",
		       "viridian: Hyper-V enlightenments are not provided; the guest runs "
		       "without them");
}

/* hdX, xvdX or sdX with X in a..d -> 0..3 (xl numbers emulated disks alike). */
static int ide_slot(const char *vdev)
{
	const char *x = vdev;

	if (!strncmp(vdev, "xvd", 3))
		x += 3;
	else if (!strncmp(vdev, "hd", 2) || !strncmp(vdev, "sd", 2))
		x += 2;
	if (x == vdev || *x < 'a' || *x >= 'a' + IDE_SLOTS || x[1])
		return DISK_NO_IDE_SLOT;
	return *x - 'a';
}

/* Each disk on its own IDE slot; two names for one slot is an error naming both. */
static void place_disks(struct loader *ld)
{
	struct domain_config *cfg = ld->cfg;

	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		struct disk_config *d = &cfg->disks[i];

		d->ide_slot = ide_slot(d->vdev);
		if (d->ide_slot == DISK_NO_IDE_SLOT) {
			config_error_at(ld, ld->disk_line[i],
					"disk %s: an HVM guest has four IDE slots: hda to hdd "
					"(xvda to xvdd and sda to sdd name the same slots)",
					d->vdev);
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			if (cfg->disks[j].ide_slot == d->ide_slot)
				config_error_at(ld, ld->disk_line[i],
						"disk %s and disk %s (line %d) are both IDE slot "
						"%d (%s)",
						d->vdev, cfg->disks[j].vdev, ld->disk_line[j],
						d->ide_slot, ide_slot_names[d->ide_slot]);
	}
}

/* vif model=: rtl8139 is the emulated NIC (and xl's HVM default). */
static void pick_nic_models(struct loader *ld)
{
	for (unsigned i = 0; i < ld->cfg->nr_nics; i++) {
		struct nic_config *n = &ld->cfg->nics[i];

		if (!n->model_name || !strcmp(n->model_name, "rtl8139"))
			n->model = NIC_MODEL_RTL8139;
		else if (!strcmp(n->model_name, "e1000"))
			config_error_at(ld, ld->nic_line[i],
					"vif: model=e1000 is not emulated yet (model=rtl8139 is)");
		else
			config_error_at(ld, ld->nic_line[i],
					"vif: model=%s is not an emulated NIC (model=rtl8139 is)",
					n->model_name);
	}
}

/* PVH and PV: HVM keys and NIC models are ignored as xl ignores them; CD-ROMs are refused. */
static void ignore_hvm_keys(struct loader *ld)
{
	const char *type = guest_type_name(ld->cfg->type);

	for (size_t k = 0; k < ARRAY_SIZE(hvm_only_keys); k++)
		if (config_has_key(ld, hvm_only_keys[k]))
			config_warning(ld, hvm_only_keys[k],
				       "%s applies to HVM guests only; ignored for a %s guest",
				       hvm_only_keys[k], type);
	for (unsigned i = 0; i < ld->cfg->nr_nics; i++)
		if (ld->cfg->nics[i].model_name)
			fprintf(ld->err,
				"%s:%d: warning: vif: model=%s applies to HVM guests' emulated "
				"NICs; ignored for a %s guest\n",
				ld->cfg->path, ld->nic_line[i], ld->cfg->nics[i].model_name, type);
	for (unsigned i = 0; i < ld->cfg->nr_disks; i++)
		if (ld->cfg->disks[i].cdrom)
			config_error_at(ld, ld->disk_line[i],
					"disk %s: a CD-ROM is emulated for HVM guests only",
					ld->cfg->disks[i].vdev);
}

void load_hvm_keys(struct loader *ld)
{
	struct domain_config *cfg = ld->cfg;

	cfg->acpi = true;
	cfg->apic = true;
	cfg->serial = SERIAL_PTY;
	if (cfg->type != GUEST_HVM) {
		ignore_hvm_keys(ld);
		return;
	}
	if (cfg->kernel)
		config_warning(ld, "kernel",
			       "kernel is ignored: an HVM guest boots from its disks through "
			       "the firmware");
	get_firmware(ld);
	refuse_display(ld, "vnc");
	refuse_display(ld, "sdl");
	get_serial(ld);
	cfg->acpi = get_bool(ld, "acpi", true);
	cfg->apic = get_bool(ld, "apic", true);
	/* As in xl: on unless the config says 0 (a plain PC, no Xen in sight). */
	cfg->xen_platform_pci = get_bool(ld, "xen_platform_pci", true);
	warn_viridian(ld);
	place_disks(ld);
	pick_nic_models(ld);
	get_boot(ld);
}
