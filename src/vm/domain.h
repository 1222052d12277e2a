/* SPDX-License-Identifier: MIT */
/*
 * Running one domain in this process, in the foreground: build the VM
 * from its config, run it, and apply the on_poweroff / on_reboot /
 * on_crash actions until it is destroyed.
 */
#ifndef XKVM_VM_DOMAIN_H
#define XKVM_VM_DOMAIN_H

#include "core/sandbox.h"
#include "toolstack/config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Process exit codes of `xkvm create -F`, documented in its --help. */
enum domain_exit {
	EXIT_GUEST_POWEROFF = 0,
	EXIT_VMM_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_CRASH = 3,
	EXIT_GUEST_REBOOT = 4,
	EXIT_HOST_STOP = 5,
};

struct domain_instance;

/*
 * What another thread (a managed VMM's control socket) may ask of the
 * running domain.  The domain in force changes at each restart; requests
 * between two boots find none and get -EAGAIN.
 */
enum domain_request {
	DOMAIN_PAUSE,
	DOMAIN_UNPAUSE,
	DOMAIN_SHUTDOWN, /* clean: the guest is asked to power off */
	DOMAIN_REBOOT,	 /* clean: the guest is asked to reboot */
	DOMAIN_DESTROY,	 /* now */
};

struct domain_status {
	bool paused;
	bool pv_drivers;	    /* a Xen PV frontend is connected, or PV shutdown enabled */
	char pv_driver_version[48]; /* what the drivers said of themselves; "" if nothing */
};

struct domain_control {
	pthread_mutex_t lock;
	struct domain_instance *current; /* under lock */
};

void domain_control_init(struct domain_control *c);
void domain_control_destroy(struct domain_control *c);
void domain_control_status(struct domain_control *c, struct domain_status *st);
/* Returns 0, or -errno with a one-line reason in why. */
int domain_control_request(struct domain_control *c, enum domain_request req, char *why,
			   size_t why_len);

struct domain_io {
	int console_in; /* -1: no console input */
	int console_out;
	bool console_no_escape;		/* Ctrl-] is data (managed VMMs), not "stop the domain" */
	struct domain_control *control; /* NULL: none */
	/*
	 * Confine the VMM once the VM is built (core/sandbox.h); NULL: not.
	 * A confined VMM cannot build the VM again: it ends at the first stop
	 * and whoever started it applies a "restart".
	 */
	const struct sandbox_config *sandbox;
};

/* Returns one of enum domain_exit. */
int domain_run(const struct domain_config *cfg, const struct domain_io *io);

#endif
