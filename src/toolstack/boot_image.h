/* SPDX-License-Identifier: MIT */
/*
 * What the VMM boots for a domain's config.  A PVH guest: its kernel,
 * command line and initrd.  A PV guest: Xen's own PV shim (a PVH kernel)
 * with the PV kernel and its command line as module 0 and the initrd as
 * module 1, the way xl boots PV-in-PVH; the shim audits the PV kernel's
 * page tables and forwards its I/O to us.
 */
#ifndef XKVM_TOOLSTACK_BOOT_IMAGE_H
#define XKVM_TOOLSTACK_BOOT_IMAGE_H

#include "arch/x86/pvh.h"
#include "toolstack/config.h"

/* The image for cfg; its strings point into cfg. */
void boot_image_for(const struct domain_config *cfg, struct pvh_image *img);

/* Check, before any VM exists, that it will load (files, sizes); errors logged. */
int boot_image_preflight(const struct domain_config *cfg);

#endif
