/* SPDX-License-Identifier: MIT */
/*
 * What the machines with a Xen personality share (xen_pvh.c, xen_hvm.c):
 * XenStore's socket for Debian's clients, and whether the guest's PV
 * frontends are connected.
 */
#ifndef XKVM_MACHINE_XEN_COMMON_H
#define XKVM_MACHINE_XEN_COMMON_H

#include "toolstack/config.h"

#include <stdbool.h>
#include <stddef.h>

struct xen_domain;
struct xs_socket;
struct disk_image;
struct xen_blkback;
struct xen_netback;

/* The config's PV backends: one per disk (NULL where it has none) and per vif. */
struct xen_backends {
	struct xen_blkback **disks;
	struct xen_netback **nics;
};

/*
 * Where the backends' devices come from when a machine already holds them
 * (the Xen HVM machine's emulated disks and NICs); NULL: each backend
 * opens its own and appears in XenStore at once.
 */
struct xen_backend_source {
	bool unpublished; /* kept out of XenStore until xen_blkback/netback_publish */
	bool skip_cdroms; /* CD-ROMs get no backend (HVM: PV drivers ignore them) */
	/* The open image disk i shares, or NULL to open the target. */
	const struct disk_image *(*disk_image)(void *opaque, unsigned i);
	/* A TAP fd the netback of vif i takes over, or -1 to open one. */
	int (*nic_fd)(void *opaque, unsigned i);
	void *opaque;
};

/*
 * Open the domain's XenStore socket in the run directory (or a per-user
 * one in /tmp); path receives where.  NULL (logged) if it cannot be made:
 * the guest runs without it.
 */
struct xs_socket *xen_machine_open_xs_socket(struct xen_domain *xd, const char *name, char *path,
					     size_t path_len);
/* Create the config's backends.  0 or -errno; xen_backends_destroy either way. */
int xen_backends_create(struct xen_backends *b, struct xen_domain *xd,
			const struct domain_config *cfg, const struct xen_backend_source *src);
void xen_backends_destroy(struct xen_backends *b, const struct domain_config *cfg);

/* Some vbd or vif frontend of the config's devices is Connected (XenbusStateConnected). */
bool xen_machine_frontends_connected(struct xen_domain *xd, const struct domain_config *cfg);

#endif
