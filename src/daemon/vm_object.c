/* SPDX-License-Identifier: MIT */
#include "daemon/vm_object.h"
#include "lib/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The tags column holds a JSON array of strings; anything else shows as []. */
static json_t *tags_array(const char *text)
{
	json_t *tags = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	size_t i;
	json_t *t;

	if (!json_is_array(tags)) {
		json_decref(tags);
		return json_array();
	}
	json_array_foreach(tags, i, t)
	{
		if (!json_is_string(t)) {
			json_decref(tags);
			return json_array();
		}
	}
	return tags;
}

/* A disk's size in bytes (files and block devices), or null when it cannot be read. */
static json_t *disk_size(const char *path)
{
	struct stat st;
	off_t end;
	int fd;

	if (!path || stat(path, &st))
		return json_null();
	if (S_ISREG(st.st_mode))
		return json_integer(st.st_size);
	if (!S_ISBLK(st.st_mode))
		return json_null();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return json_null();
	end = lseek(fd, 0, SEEK_END);
	close(fd);
	return end < 0 ? json_null() : json_integer(end);
}

static json_t *vbds(const struct domain_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; cfg && a && i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:b}", "device",
						   string_or_null(d->vdev), "target",
						   string_or_null(d->target), "size",
						   disk_size(d->target), "read_only", d->readonly));
	}
	return a;
}

static json_t *vifs(const struct domain_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; cfg && a && i < cfg->nr_nics; i++) {
		const struct nic_config *n = &cfg->nics[i];
		const uint8_t *m = n->mac;
		char dev[16], mac[18];

		snprintf(dev, sizeof(dev), "%u", n->devid);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "device", dev, "MAC", mac,
						   "bridge", n->bridge ? n->bridge : ""));
	}
	return a;
}

static json_t *last_exit(const struct vm_row *row)
{
	if (!row->has_last_exit)
		return json_null();
	return json_pack("{s:I, s:o, s:I}", "code", (json_int_t)row->last_exit_code, "reason",
			 string_or_null(row->last_exit_reason), "time",
			 (json_int_t)row->last_exit_time);
}

static json_t *action_name(const struct domain_config *cfg, enum lifecycle_action a)
{
	return cfg ? json_string(lifecycle_action_name(a)) : json_null();
}

/* The fields that come from the config (null when it is unreadable). */
static int add_config_fields(json_t *o, const struct domain_config *cfg, const struct vm_live *live)
{
	unsigned max = cfg ? cfg->vcpus : 0;
	unsigned number = live && live->vcpus ? live->vcpus : max;
	uint64_t mib = live && live->memory_mib ? live->memory_mib : cfg ? cfg->memory_mib : 0;
	int r = 0;

	r |= json_object_set_new(
	    o, "CPUs",
	    json_pack("{s:I, s:I}", "number", (json_int_t)number, "max", (json_int_t)max));
	r |= json_object_set_new(o, "memory", json_pack("{s:I}", "size", (json_int_t)(mib * MIB)));
	r |= json_object_set_new(o, "VIFs", vifs(cfg));
	r |= json_object_set_new(o, "$VBDs", vbds(cfg));
	r |= json_object_set_new(o, "PV_args",
				 cfg ? json_string(cfg->cmdline ? cfg->cmdline : "") : json_null());
	r |= json_object_set_new(
	    o, "boot",
	    json_pack("{s:o, s:o, s:n, s:n}", "kernel", string_or_null(cfg ? cfg->kernel : NULL),
		      "ramdisk", string_or_null(cfg ? cfg->ramdisk : NULL), "firmware", "order"));
	r |= json_object_set_new(o, "on_poweroff", action_name(cfg, cfg ? cfg->on_poweroff : 0));
	r |= json_object_set_new(o, "on_reboot", action_name(cfg, cfg ? cfg->on_reboot : 0));
	r |= json_object_set_new(o, "on_crash", action_name(cfg, cfg ? cfg->on_crash : 0));
	return r;
}

json_t *vm_object_build(const struct vm_row *row, const struct domain_config *cfg,
			const struct vm_live *live)
{
	enum power_state state = live ? live->state : POWER_HALTED;
	bool running = state != POWER_HALTED;
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= json_object_set_new(o, "id", json_string(row->uuid));
	r |= json_object_set_new(o, "uuid", json_string(row->uuid));
	r |= json_object_set_new(o, "type", json_string("VM"));
	r |= json_object_set_new(o, "name_label", string_or_null(row->name));
	r |= json_object_set_new(o, "name_description",
				 json_string(row->description ? row->description : ""));
	r |= json_object_set_new(o, "tags", tags_array(row->tags));
	r |= json_object_set_new(o, "power_state", json_string(power_state_name(state)));
	r |= json_object_set_new(o, "virtualizationMode", string_or_null(row->mode));
	r |= json_object_set_new(o, "pvDriversDetected", json_boolean(live && live->pv_drivers));
	r |= json_object_set_new(o, "pvDriversVersion",
				 live && live->pv_driver_version[0]
				     ? json_string(live->pv_driver_version)
				     : json_null());
	r |= add_config_fields(o, cfg, live);
	r |= json_object_set_new(o, "startTime",
				 running && row->start_time ? json_integer(row->start_time)
							    : json_null());
	r |= json_object_set_new(o, "auto_poweron", json_boolean(row->auto_poweron));
	r |= json_object_set_new(
	    o, "domid", running && row->domid > 0 ? json_integer(row->domid) : json_null());
	r |= json_object_set_new(o, "last_exit", last_exit(row));
	/* Not an XO field: xl list's Time(s) column, the VMM's CPU seconds. */
	r |= json_object_set_new(o, "cpu_time", json_real(live ? live->cpu_seconds : 0.0));
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}
