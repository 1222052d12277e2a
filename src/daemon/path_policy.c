/* SPDX-License-Identifier: MIT */
#include "daemon/path_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void path_policy_init(struct path_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->dirs[p->nr_dirs++] = PATH_POLICY_DEFAULT_DIR;
	p->bridges[p->nr_bridges++] = PATH_POLICY_DEFAULT_BRIDGE;
}

int path_policy_add_dir(struct path_policy *p, const char *dir)
{
	if (p->nr_dirs >= PATH_POLICY_MAX)
		return -ENOSPC;
	p->dirs[p->nr_dirs++] = dir;
	return 0;
}

int path_policy_add_bridge(struct path_policy *p, const char *bridge)
{
	if (p->nr_bridges >= PATH_POLICY_MAX)
		return -ENOSPC;
	p->bridges[p->nr_bridges++] = bridge;
	return 0;
}

/* Is the resolved path real beneath the resolved directory dir? */
static bool beneath(const char *real, const char *dir)
{
	char real_dir[PATH_MAX];
	size_t len;

	if (!realpath(dir, real_dir))
		return false;
	len = strlen(real_dir);
	if (len == 1) /* "/": everything */
		return real[0] == '/';
	return strncmp(real, real_dir, len) == 0 && real[len] == '/';
}

bool path_policy_allows_path(const struct path_policy *p, const char *path)
{
	char real[PATH_MAX];

	if (!path || path[0] != '/' || !realpath(path, real))
		return false;
	for (size_t i = 0; i < p->nr_dirs; i++)
		if (beneath(real, p->dirs[i]))
			return true;
	return false;
}

static bool bridge_allowed(const struct path_policy *p, const char *bridge)
{
	for (size_t i = 0; i < p->nr_bridges; i++)
		if (strcmp(bridge, p->bridges[i]) == 0)
			return true;
	return false;
}

/*
 * Files loaded into the guest (kernels, the PV shim, firmware): a caller
 * must not name just any file xkvmd can read.  The one Debian file xkvm
 * uses by default for the role, or a file in an allowed directory.
 */
static bool guest_file_allowed(const struct path_policy *p, const char *path,
			       const char *debian_default)
{
	return strcmp(path, debian_default) == 0 || path_policy_allows_path(p, path);
}

const char *path_policy_check(const struct path_policy *p, const struct domain_config *cfg,
			      const char **what)
{
	*what = "kernel";
	if (cfg->kernel && !guest_file_allowed(p, cfg->kernel, CONFIG_PVGRUB_PATH))
		return cfg->kernel;
	*what = "ramdisk";
	if (cfg->ramdisk && !path_policy_allows_path(p, cfg->ramdisk))
		return cfg->ramdisk;
	*what = "pvshim_path";
	if (cfg->pvshim_path && !guest_file_allowed(p, cfg->pvshim_path, CONFIG_PVSHIM_PATH))
		return cfg->pvshim_path;
	*what = "firmware";
	if (cfg->firmware && !guest_file_allowed(p, cfg->firmware, CONFIG_SEABIOS_PATH))
		return cfg->firmware;
	*what = "disk";
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].target && !path_policy_allows_path(p, cfg->disks[i].target))
			return cfg->disks[i].target;
	*what = "bridge";
	for (unsigned i = 0; i < cfg->nr_nics; i++)
		if (cfg->nics[i].bridge && !bridge_allowed(p, cfg->nics[i].bridge))
			return cfg->nics[i].bridge;
	return NULL;
}
