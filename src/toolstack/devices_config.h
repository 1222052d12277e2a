/* SPDX-License-Identifier: MIT */
/*
 * A guest's Xen devices as xl.cfg describes them: `disk` entries in xl's
 * disk spec syntax (parsed by Xen's libxlutil) and `vif` entries.
 */
#ifndef XKVM_TOOLSTACK_DEVICES_CONFIG_H
#define XKVM_TOOLSTACK_DEVICES_CONFIG_H

#include <libxlutil.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The IDE slot of a disk that is not emulated (PVH and PV guests). */
#define DISK_NO_IDE_SLOT (-1)

struct disk_config {
	char *target; /* the image file; NULL only for an empty CD-ROM drive */
	char *vdev;   /* xvda, hdb, sdc1 ... */
	unsigned devid;
	bool readonly; /* always true for a CD-ROM */
	bool discard;
	/*
	 * xl's trusted / untrusted (default trusted): false tells the frontend
	 * (its trusted key) to share no more of the guest's memory with the
	 * backend than it must.
	 */
	bool trusted;
	bool cdrom; /* devtype=cdrom (or vdev "hdc:cdrom"): an ATAPI CD-ROM (HVM only) */
	/*
	 * HVM: the emulated IDE position, 0-3 = primary master, primary slave,
	 * secondary master, secondary slave (channel slot / 2, unit slot % 2),
	 * from hdX, xvdX or sdX with X = a..d, as xl's device model numbers
	 * them; unique among the disks.  DISK_NO_IDE_SLOT for PVH and PV.
	 */
	int ide_slot;
};

/* The emulated NIC behind an HVM guest's vif (xl's vif model=). */
enum nic_model {
	NIC_MODEL_NONE,	   /* PVH and PV: a Xen netfront vif, no emulated NIC */
	NIC_MODEL_RTL8139, /* model=rtl8139, HVM's default */
};

struct nic_config {
	uint8_t mac[6];
	char *bridge; /* NULL: leave the TAP device unbridged */
	char *ifname; /* NULL: vif<domid>.<devid> */
	unsigned devid;
	char *model_name;     /* model= as written, NULL when absent (for messages) */
	enum nic_model model; /* resolved from model_name for HVM guests */
};

/* One disk spec.  Returns 0, or -EINVAL with a reason in err. */
int disk_config_parse(XLU_Config *xlu, const char *spec, struct disk_config *out, char *err,
		      size_t errlen);
void disk_config_free(struct disk_config *d);

/* One vif spec (comma-separated key=value).  Returns 0, or -EINVAL with a reason in err. */
int nic_config_parse(const char *spec, unsigned devid, struct nic_config *out, char *err,
		     size_t errlen);
void nic_config_free(struct nic_config *n);

/* Xen's device number for a virtual disk name (xvda = 51712), or -1. */
int vdev_to_devid(const char *vdev);

#endif
