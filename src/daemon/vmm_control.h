/* SPDX-License-Identifier: MIT */
/*
 * Client of a managed VMM's control.sock: one JSON object per line each
 * way (docs/toolstack.md).  Every exchange is bounded in time and size.
 */
#ifndef XKVM_DAEMON_VMM_CONTROL_H
#define XKVM_DAEMON_VMM_CONTROL_H

#include <jansson.h>
#include <stddef.h>

/* The VMM closes a connection on a line over 4 KiB; we read no more either. */
#define VMM_CONTROL_LINE_MAX 4096

/*
 * Send {"cmd":cmd} to the socket at path and read the answer line.
 * Returns 0 with *reply (an object the caller frees) when the VMM said
 * ok:true; -EREMOTEIO with the VMM's error in err when it said ok:false;
 * another -errno (with a reason in err) when it could not be asked.
 */
int vmm_control(const char *path, const char *cmd, int timeout_ms, json_t **reply, char *err,
		size_t errlen);

#endif
