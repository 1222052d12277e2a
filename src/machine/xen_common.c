/* SPDX-License-Identifier: MIT */
#include "machine/xen_common.h"
#include "lib/log.h"
#include "toolstack/paths.h"
#include "xen/domain.h"
#include "xen/xenstore.h"
#include "xen/xs_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct xs_socket *xen_machine_open_xs_socket(struct xen_domain *xd, const char *name, char *path,
					     size_t path_len)
{
	char dir[200];
	struct xs_socket *s;

	if (xkvm_run_dir(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "/tmp/xkvm-%u", (unsigned)geteuid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_warn("domain '%s': no XenStore socket: %s: %s", name, dir, strerror(errno));
		return NULL;
	}
	snprintf(path, path_len, "%s/%s.xenstored", dir, name);
	s = xs_socket_open(xd->xs, path);
	if (s)
		pr_info("domain '%s': XenStore at XENSTORED_PATH=%s", name, path);
	return s;
}

/* The frontend of device devid of type ("vbd", "vif") says Connected. */
static bool frontend_connected(struct xen_domain *xd, const char *type, unsigned devid)
{
	char path[96], *v;
	bool connected;

	snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%u/state", xd->domid, type, devid);
	v = xs_read(xd->xs, path);
	connected = v && strcmp(v, "4") == 0;
	free(v);
	return connected;
}

bool xen_machine_frontends_connected(struct xen_domain *xd, const struct domain_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		if (frontend_connected(xd, "vbd", cfg->disks[i].devid))
			return true;
	for (unsigned i = 0; i < cfg->nr_nics; i++)
		if (frontend_connected(xd, "vif", cfg->nics[i].devid))
			return true;
	return false;
}
