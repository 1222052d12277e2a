/* SPDX-License-Identifier: MIT */
/*
 * A managed VMM (`xkvm create -F --managed DIR`): the process xkvmd starts
 * for each running VM.  Instead of a terminal it serves, in DIR, the
 * guest console to any number of clients (console.sock) and a control
 * socket of one-line JSON requests (control.sock), records its pid and,
 * when it ends, its exit code (see docs/toolstack.md).  Sockets are served
 * by one thread of their own, so neither a client nor the daemon can stall
 * a vCPU.
 */
#ifndef XKVM_VM_MANAGED_H
#define XKVM_VM_MANAGED_H

#include "vm/domain.h"

/* Console output kept for clients that connect later. */
#define MANAGED_BACKLOG ((size_t)64 * 1024)
/* A client further behind than this is dropped rather than waited for. */
#define MANAGED_CLIENT_QUEUE ((size_t)256 * 1024)
#define MANAGED_MAX_LINE     4096

struct managed;

/*
 * Create DIR and start serving it.  *console_in and *console_out receive
 * the descriptors the domain's console uses.  Returns NULL with a message
 * logged on failure.
 */
struct managed *managed_start(const char *dir, const struct domain_config *cfg,
			      struct domain_control *control, int *console_in, int *console_out);

/* Record the exit code (enum domain_exit), stop serving and remove the sockets. */
void managed_finish(struct managed *m, int exit_code);

/* The `exit` file's reason word for an exit code. */
const char *managed_exit_reason(int exit_code);

#endif
