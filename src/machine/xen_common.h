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

/*
 * Open the domain's XenStore socket in the run directory (or a per-user
 * one in /tmp); path receives where.  NULL (logged) if it cannot be made:
 * the guest runs without it.
 */
struct xs_socket *xen_machine_open_xs_socket(struct xen_domain *xd, const char *name, char *path,
					     size_t path_len);
/* Some vbd or vif frontend of the config's devices is Connected (XenbusStateConnected). */
bool xen_machine_frontends_connected(struct xen_domain *xd, const struct domain_config *cfg);

#endif
