/* SPDX-License-Identifier: MIT */
/*
 * A domain's configuration, read from an xl.cfg file by Xen's own parser
 * (libxlutil), plus `key=value` overrides from the command line, exactly
 * as `xl create` takes them.
 */
#ifndef XKVM_TOOLSTACK_CONFIG_H
#define XKVM_TOOLSTACK_CONFIG_H

#include "toolstack/devices_config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum guest_type { GUEST_PVH, GUEST_HVM, GUEST_PV };

/* What to do when the guest powers off, reboots or crashes (xl's on_* keys). */
enum lifecycle_action { ACTION_DESTROY, ACTION_RESTART };

#define CONFIG_MIN_MEMORY_MIB 16

/* What COM1 is in an HVM guest (xl's serial key). */
enum serial_mode {
	SERIAL_PTY,  /* serial = "pty" (the default): COM1 is the console, `xkvm console` */
	SERIAL_NONE, /* serial = "none": no COM1 at all */
};

/* Debian's seabios package: the image with Xen support built in (256 KiB). */
#define CONFIG_SEABIOS_PATH "/usr/share/seabios/bios-256k.bin"
/* Xen's PV shim as Debian installs it (xen-utils-4.17): pvshim_path's default, as in xl. */
#define CONFIG_PVSHIM_PATH "/usr/lib/xen-4.17/boot/xen-shim"
/* Debian's grub-xen-host: PV GRUB, run as the PV kernel for bootloader = "pvgrub". */
#define CONFIG_PVGRUB_PATH "/usr/lib/grub-xen/grub-x86_64-xen.bin"
/* boot = "..." holds at most c, d and n, each once. */
#define CONFIG_BOOT_MAX 3

struct domain_config {
	char *path; /* the file, for messages */
	char *name;
	enum guest_type type;
	uint64_t memory_mib;
	unsigned vcpus;
	char *kernel;
	char *ramdisk;
	char *cmdline; /* composed from root + extra when cmdline is absent */
	/* PV: Xen's PV shim, a PVH kernel that runs the PV kernel; its command line. */
	char *pvshim_path, *pvshim_cmdline;
	/*
	 * PV: "pvgrub" or "pygrub" when the config names a bootloader, which
	 * made kernel CONFIG_PVGRUB_PATH (config_pv.c); NULL otherwise.
	 */
	char *bootloader;
	enum lifecycle_action on_poweroff, on_reboot, on_crash;
	unsigned nr_disks;
	struct disk_config *disks;
	/*
	 * xkvm_persistent_grants = 1 (xkvm's own key; xl ignores it): the
	 * block backends offer feature-persistent.  Off by default: mapping
	 * a grant costs the VMM a table lookup, while Linux's blkfront copies
	 * every request through its kept pages once persistent grants are on
	 * (bench/results: sequential I/O at about half the speed).
	 */
	bool persistent_grants;
	unsigned nr_nics;
	struct nic_config *nics;
	/*
	 * HVM only (config_hvm.c).  A PVH or PV config that sets these keys
	 * gets a warning and the defaults below, as xl ignores them there.
	 * Each disk's ide_slot and each vif's model are resolved for HVM too.
	 */
	/*
	 * The BIOS image to map below 4 GiB: CONFIG_SEABIOS_PATH for firmware
	 * = "seabios" or "bios", bios = "seabios", or neither key; else the
	 * absolute path given.  A readable regular file at load time.  NULL
	 * for PVH and PV guests.
	 */
	char *firmware;
	/*
	 * boot = "cd" (the default): the device classes to try, in order, each
	 * at most once, NUL-terminated: 'c' the hard disk in the lowest IDE
	 * slot, 'd' the CD-ROM with media in the lowest IDE slot, 'n' the
	 * first vif's NIC.  The machine writes it as fw_cfg's "bootorder"
	 * file; at least one letter has its device.  "" for PVH and PV.
	 */
	char boot_order[CONFIG_BOOT_MAX + 1];
	enum serial_mode serial; /* COM1 */
	bool acpi;		 /* acpi = 1 (default): the guest gets ACPI tables */
	/* apic = 1 (default): APIC (MP) tables even for one vCPU; xl: no effect with more. */
	bool apic;
	/* The Xen platform PCI device (PVHVM): xen_platform_pci, 1 by default as in xl. */
	bool xen_platform_pci;
};

/* Host limits the config is checked against. */
struct host_limits {
	uint64_t memory_mib;
	unsigned max_vcpus;
};

/*
 * Read path and the overrides (each "key=value").  Problems are written to
 * err as "<file>:<line>: ..." lines.  Returns 0, or -EINVAL for a config
 * that is wrong, or -errno when the file cannot be read.
 */
int domain_config_load(struct domain_config *cfg, const char *path, int nr_overrides,
		       char *const overrides[], const struct host_limits *limits, FILE *err);
/*
 * The same from text already in memory (what xkvmd receives); path names it
 * in messages.  Returns 0 or -EINVAL, with messages on err.
 */
int domain_config_load_text(struct domain_config *cfg, const char *text, const char *path,
			    const struct host_limits *limits, FILE *err);

/* A config file's text with the overrides appended as xl does: one statement a line. */
char *config_compose_text(const char *text, size_t size, int nr_overrides, char *const overrides[]);

/* Largest config file read. */
#define CONFIG_MAX_SIZE (1 << 20)

void domain_config_free(struct domain_config *cfg);

const char *guest_type_name(enum guest_type type);
const char *lifecycle_action_name(enum lifecycle_action action);

#endif
