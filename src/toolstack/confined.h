/* SPDX-License-Identifier: MIT */
/*
 * Running a domain with its VMM confined (core/sandbox.h).  A confined
 * VMM cannot open anything again, so it cannot rebuild its VM: each boot
 * is one confined process.  For `xkvm create -F` that process is a child
 * and this one, which holds nothing of the VM, starts the next boot when
 * the domain's on_* action says "restart"; a managed VMM simply ends and
 * xkvmd restarts it.
 */
#ifndef XKVM_TOOLSTACK_CONFINED_H
#define XKVM_TOOLSTACK_CONFINED_H

#include "vm/domain.h"

struct confine_opts {
	bool off;	  /* --no-sandbox */
	const char *user; /* --user: NAME, UID or UID:GID; NULL: the default */
};

/*
 * Fill sb for a VMM whose own directory is own_dir (NULL: none).  Only
 * root changes its uid and gid.  Returns 0, or -errno with a message logged.
 */
int confined_prepare(const struct confine_opts *o, const char *own_dir, struct sandbox_config *sb);

/* The domain with each boot in a confined child (io->sandbox set); enum domain_exit. */
int confined_run(const struct domain_config *cfg, const struct domain_io *io);

/* A copy of cfg whose on_* actions all end the VMM (its starter applies them). */
void confined_one_boot(struct domain_config *once, const struct domain_config *cfg);

#endif
