/* SPDX-License-Identifier: MIT */
#include "toolstack/devices_config.h"
#include "lib/util.h"

#include <errno.h>
#include <libxl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Block major numbers Xen uses for emulated and PV disk names. */
#define XEN_XVD_MAJOR 202
#define XEN_SD_MAJOR  8

/* "xvda" → disk 0; "xvdaa" → 26 (letters count in base 26 like spreadsheet columns). */
static int disk_index(const char **p)
{
	int index = -1;

	while (**p >= 'a' && **p <= 'z') {
		index = (index + 1) * 26 + (**p - 'a');
		if (index > (1 << 20))
			return -1;
		(*p)++;
	}
	return index;
}

static int partition(const char *p)
{
	int part = 0;

	for (; *p; p++) {
		if (*p < '0' || *p > '9' || part > 255)
			return -1;
		part = part * 10 + (*p - '0');
	}
	return part;
}

int vdev_to_devid(const char *vdev)
{
	const char *p = vdev;
	int disk, part;

	if (!strncmp(p, "xvd", 3)) {
		p += 3;
		disk = disk_index(&p);
		part = partition(p);
		if (disk < 0 || part < 0)
			return -1;
		/* Xen's extended numbering takes over beyond 16 disks or 15 partitions. */
		if (disk < 16 && part < 16)
			return (XEN_XVD_MAJOR << 8) | (disk << 4) | part;
		return (1 << 28) | (disk << 8) | part;
	}
	if (!strncmp(p, "hd", 2) || !strncmp(p, "sd", 2)) {
		bool ide = p[0] == 'h';

		p += 2;
		disk = disk_index(&p);
		part = partition(p);
		if (disk < 0 || part < 0 || part > 15 || disk > (ide ? 3 : 15))
			return -1;
		if (ide) /* hda/hdb on major 3, hdc/hdd on 22 */
			return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
		return (XEN_SD_MAJOR << 8) | (disk << 4) | part;
	}
	return -1;
}

/*
 * xl's flags trusted and untrusted (default trusted; the last one given
 * wins).  Debian 12's libxlutil (4.17) has the field in libxl_device_disk
 * but its scanner does not know the flags: it takes either for a
 * positional parameter, the target path even.  So they are taken out of
 * the spec here and the rest goes to xlu_disk_parse.  target= takes the
 * rest of the spec whatever it holds, so the scan stops there.  Returns
 * the spec without them (malloc'ed) or NULL.
 */
static char *take_trust_flags(const char *spec, bool *trusted)
{
	char *rest = malloc(strlen(spec) + 1), *out = rest;
	const char *p = spec;

	*trusted = true;
	while (rest && *p) {
		const char *item = p + strspn(p, " \t\n");
		size_t n = strcspn(item, ",");
		const char *next = item[n] ? item + n + 1 : item + n;

		if (!strncmp(item, "target=", 7))
			next = item + strlen(item);
		if (n == 7 && !strncmp(item, "trusted", n))
			*trusted = true;
		else if (n == 9 && !strncmp(item, "untrusted", n))
			*trusted = false;
		else
			out = mempcpy(out, p, (size_t)(next - p));
		p = next;
	}
	if (rest)
		*out = '\0';
	return rest;
}

int disk_config_parse(XLU_Config *xlu, const char *spec, struct disk_config *out, char *err,
		      size_t errlen)
{
	libxl_device_disk disk;
	bool trusted;
	char *rest = take_trust_flags(spec, &trusted);
	const char *parsed = rest;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!rest) {
		snprintf(err, errlen, "disk '%s': out of memory", spec);
		return -ENOMEM;
	}
	libxl_device_disk_init(&disk);
	if (xlu_disk_parse(xlu, 1, &parsed, &disk)) {
		snprintf(err, errlen, "cannot parse disk spec '%s'", spec);
	} else if (disk.format != LIBXL_DISK_FORMAT_RAW &&
		   disk.format != LIBXL_DISK_FORMAT_UNKNOWN &&
		   disk.format != LIBXL_DISK_FORMAT_EMPTY) {
		snprintf(err, errlen, "disk '%s': format=%s is not supported (only raw images)",
			 spec, libxl_disk_format_to_string(disk.format));
	} else if (!disk.is_cdrom && (!disk.pdev_path || !*disk.pdev_path)) {
		snprintf(err, errlen, "disk '%s' has no target (target=/path/to/image)", spec);
	} else if (!disk.vdev || vdev_to_devid(disk.vdev) < 0) {
		snprintf(err, errlen,
			 "disk '%s': vdev '%s' is not a Xen disk name (xvda, hda, sda...)", spec,
			 disk.vdev ? disk.vdev : "");
	} else {
		bool empty = !disk.pdev_path || !*disk.pdev_path;

		out->target = empty ? NULL : strdup(disk.pdev_path);
		out->vdev = strdup(disk.vdev);
		out->devid = (unsigned)vdev_to_devid(disk.vdev);
		out->cdrom = disk.is_cdrom;
		out->readonly = !disk.readwrite || disk.is_cdrom;
		out->ide_slot = DISK_NO_IDE_SLOT;
		out->discard = !libxl_defbool_is_default(disk.discard_enable)
				   ? libxl_defbool_val(disk.discard_enable)
				   : true;
		out->trusted = trusted;
		r = (out->target || empty) && out->vdev ? 0 : -ENOMEM;
		if (r) {
			snprintf(err, errlen, "disk '%s': out of memory", spec);
			disk_config_free(out);
		}
	}
	libxl_device_disk_dispose(&disk);
	free(rest);
	return r;
}

void disk_config_free(struct disk_config *d)
{
	free(d->target);
	free(d->vdev);
	memset(d, 0, sizeof(*d));
}

/* Exactly six pairs of hex digits separated by colons. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hex_digit_value(s[0]), lo = hi < 0 ? -1 : hex_digit_value(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A multicast address cannot be a NIC's own. */
	return mac[0] & 1 ? -EINVAL : 0;
}

/* Xen's OUI, with three random bytes, as xl picks when the spec has no mac. */
static void random_mac(uint8_t mac[6])
{
	uint8_t r[3] = {0};

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		r[2] = (uint8_t)rand();
	mac[0] = 0x00, mac[1] = 0x16, mac[2] = 0x3e;
	mac[3] = r[0] & 0x7f, mac[4] = r[1], mac[5] = r[2];
}

static int nic_key(struct nic_config *out, const char *key, const char *value, char *err,
		   size_t errlen)
{
	if (!strcmp(key, "mac")) {
		if (parse_mac(value, out->mac)) {
			snprintf(err, errlen, "vif: mac=%s is not a unicast MAC address", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "bridge")) {
		free(out->bridge);
		out->bridge = strdup(value);
	} else if (!strcmp(key, "vifname")) {
		if (strlen(value) >= 16) {
			snprintf(err, errlen, "vif: vifname=%s is longer than 15 characters",
				 value);
			return -EINVAL;
		}
		free(out->ifname);
		out->ifname = strdup(value);
	} else if (!strcmp(key, "model")) {
		/* Which emulated NIC depends on the guest type: config_hvm.c decides. */
		free(out->model_name);
		out->model_name = strdup(value);
	} else if (!strcmp(key, "type") || !strcmp(key, "script") || !strcmp(key, "ip") ||
		   !strcmp(key, "backend") || !strcmp(key, "rate")) {
		/* Accepted for compatibility; we run no scripts. */
	} else {
		snprintf(err, errlen, "vif: unknown key '%s'", key);
		return -EINVAL;
	}
	return 0;
}

int nic_config_parse(const char *spec, unsigned devid, struct nic_config *out, char *err,
		     size_t errlen)
{
	char *copy = strdup(spec), *save = NULL;
	bool have_mac = false;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->devid = devid;
	if (!copy)
		return -ENOMEM;
	for (char *item = strtok_r(copy, ",", &save); item && !r;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq;

		while (*item == ' ')
			item++;
		if (!*item)
			continue;
		eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, "vif: '%s' is not key=value", item);
			r = -EINVAL;
			break;
		}
		*eq = '\0';
		have_mac |= !strcmp(item, "mac");
		r = nic_key(out, item, eq + 1, err, errlen);
	}
	free(copy);
	if (!r && !have_mac)
		random_mac(out->mac);
	if (r)
		nic_config_free(out);
	return r;
}

void nic_config_free(struct nic_config *n)
{
	free(n->bridge);
	free(n->ifname);
	free(n->model_name);
	memset(n, 0, sizeof(*n));
}
