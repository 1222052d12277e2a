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

struct disk_config {
	char *target; /* the image file */
	char *vdev;   /* xvda, hdb, sdc1 ... */
	unsigned devid;
	bool readonly;
	bool discard;
};

struct nic_config {
	uint8_t mac[6];
	char *bridge; /* NULL: leave the TAP device unbridged */
	char *ifname; /* NULL: vif<domid>.<devid> */
	unsigned devid;
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
