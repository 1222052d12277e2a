/* SPDX-License-Identifier: MIT */
/*
 * Where the management plane keeps its files (docs/toolstack.md,
 * "Processes"): the state directory (database, configs, API token) and
 * the run directory (API socket, pid file, running VMs).  Shared by xkvmd
 * and the xkvm CLI, so both agree without talking.
 */
#ifndef XKVM_TOOLSTACK_PATHS_H
#define XKVM_TOOLSTACK_PATHS_H

#include <stddef.h>

/*
 * $XKVM_STATE_DIR, else /var/lib/xkvm for root, else $XDG_STATE_HOME/xkvm,
 * else ~/.local/state/xkvm.  Returns 0, -ENAMETOOLONG, or -ENOENT when no
 * home directory is known.
 */
int xkvm_state_dir(char *buf, size_t len);

/*
 * $XKVM_RUN_DIR, else /run/xkvm for root, else $XDG_RUNTIME_DIR/xkvm.
 * Returns 0, -ENAMETOOLONG, or -ENOENT for a user without XDG_RUNTIME_DIR.
 */
int xkvm_run_dir(char *buf, size_t len);

#endif
