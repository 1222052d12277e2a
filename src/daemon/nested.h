/* SPDX-License-Identifier: MIT */
/*
 * xkvmd where this machine's /dev/kvm cannot run stock guests: the daemon
 * runs inside the KVM test host, which is started in the background with a
 * forwarded loopback port, so host-side clients (the CLI, a browser) reach
 * it at http://127.0.0.1:PORT as they would a local daemon.  The state
 * directory is shared with the test host (writable), so the database, the
 * token and the endpoint file are the same on both sides.  Stopping the
 * test host is powering the host off: its VMs stop with it.
 */
#ifndef XKVM_DAEMON_NESTED_H
#define XKVM_DAEMON_NESTED_H

#include <stdbool.h>
#include <stdint.h>

struct nested_opts {
	const char *exe_dir;   /* where xkvm and xkvmd are (built side by side) */
	const char *state_dir; /* exists already */
	uint16_t port;	       /* forwarded, and where xkvmd listens inside */
	uint64_t memory_mib;   /* the test host's RAM */
	unsigned cpus;
	const char *web_dir;	    /* NULL: xkvmd's default */
	const char *const *pass_on; /* more xkvmd options, NULL-terminated; NULL: none */
};

#define NESTED_DEFAULT_PORT	  8007
#define NESTED_DEFAULT_MEMORY_MIB 4096

/* Whether xkvmd must run inside the test host (and is not inside it already). */
bool nested_needed(void);

/*
 * Start the test host in the background running `xkvmd --foreground
 * --listen 0.0.0.0:PORT` inside, and wait (bounded) until the API answers
 * on 127.0.0.1:PORT.  Its output goes to <state>/testhost.log.  Returns 0,
 * or -1 with the reason logged.
 */
int nested_start(const struct nested_opts *opts);

#endif
