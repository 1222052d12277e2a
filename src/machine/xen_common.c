/* SPDX-License-Identifier: MIT */
#include "machine/xen_common.h"
#include "devices/xen_blkback.h"
#include "devices/xen_netback.h"
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

static int create_disks(struct xen_backends *b, struct xen_domain *xd,
			const struct domain_config *cfg, const struct xen_backend_source *src)
{
	b->disks = calloc(cfg->nr_disks + 1, sizeof(struct xen_blkback *));
	if (!b->disks)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];
		struct xen_disk_spec spec = {.target = dc->target,
					     .vdev = dc->vdev,
					     .devid = dc->devid,
					     .readonly = dc->readonly,
					     .discard = dc->discard,
					     .untrusted = !dc->trusted,
					     .persistent = cfg->persistent_grants};

		if (src && src->skip_cdroms && dc->cdrom)
			continue;
		if (src) {
			spec.unpublished = src->unpublished;
			spec.share = src->disk_image ? src->disk_image(src->opaque, i) : NULL;
		}
		b->disks[i] = xen_blkback_create(xd, &spec);
		if (!b->disks[i])
			return -EIO;
	}
	return 0;
}

static int create_nics(struct xen_backends *b, struct xen_domain *xd,
		       const struct domain_config *cfg, const struct xen_backend_source *src)
{
	b->nics = calloc(cfg->nr_nics + 1, sizeof(struct xen_netback *));
	if (!b->nics)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->nr_nics; i++) {
		const struct nic_config *nc = &cfg->nics[i];
		struct xen_nic_spec spec = {
		    .bridge = nc->bridge, .ifname = nc->ifname, .devid = nc->devid, .fd = -1};

		if (src) {
			spec.unpublished = src->unpublished;
			spec.fd = src->nic_fd ? src->nic_fd(src->opaque, i) : -1;
		}
		memcpy(spec.mac, nc->mac, sizeof(spec.mac));
		b->nics[i] = xen_netback_create(xd, &spec);
		if (!b->nics[i])
			return -EIO;
		pr_info("domain '%s': vif %u is %s", cfg->name, i, xen_netback_ifname(b->nics[i]));
	}
	return 0;
}

int xen_backends_create(struct xen_backends *b, struct xen_domain *xd,
			const struct domain_config *cfg, const struct xen_backend_source *src)
{
	int r = create_disks(b, xd, cfg, src);

	return r ? r : create_nics(b, xd, cfg, src);
}

void xen_backends_destroy(struct xen_backends *b, const struct domain_config *cfg)
{
	for (unsigned i = 0; b->disks && i < cfg->nr_disks; i++)
		xen_blkback_destroy(b->disks[i]);
	for (unsigned i = 0; b->nics && i < cfg->nr_nics; i++)
		xen_netback_destroy(b->nics[i]);
	free(b->disks);
	free(b->nics);
	b->disks = NULL;
	b->nics = NULL;
}
