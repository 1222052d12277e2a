/* SPDX-License-Identifier: MIT */
/*
 * What files and bridges a VM created through the API may use: the API
 * must not be a way to make the (root) VMM open any file on the host or
 * join any bridge.  Paths must resolve (symbolic links and "..") to a file
 * beneath one of the allowed directories; bridges must be named.
 */
#ifndef XKVM_DAEMON_PATH_POLICY_H
#define XKVM_DAEMON_PATH_POLICY_H

#include "toolstack/config.h"

#include <stdbool.h>
#include <stddef.h>

/* Allowed by default, besides what xkvmd's options add. */
#define PATH_POLICY_DEFAULT_DIR	   "/var/lib/xkvm/images"
#define PATH_POLICY_DEFAULT_BRIDGE "xenbr0"
#define PATH_POLICY_MAX		   16

struct path_policy {
	const char *dirs[PATH_POLICY_MAX];
	size_t nr_dirs;
	const char *bridges[PATH_POLICY_MAX];
	size_t nr_bridges;
};

/* The defaults. */
void path_policy_init(struct path_policy *p);
/* Returns 0, or -ENOSPC when full. */
int path_policy_add_dir(struct path_policy *p, const char *dir);
int path_policy_add_bridge(struct path_policy *p, const char *bridge);

/* Does path resolve to an existing file beneath an allowed directory? */
bool path_policy_allows_path(const struct path_policy *p, const char *path);

/*
 * The first kernel, ramdisk, disk or bridge of cfg the policy refuses:
 * returns it, with *what naming its kind; NULL when all are allowed.
 */
const char *path_policy_check(const struct path_policy *p, const struct domain_config *cfg,
			      const char **what);

#endif
