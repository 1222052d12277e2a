/* SPDX-License-Identifier: MIT */
/*
 * Running one domain in this process, in the foreground: build the VM
 * from its config, run it, and apply the on_poweroff / on_reboot /
 * on_crash actions until it is destroyed.
 */
#ifndef XKVM_TOOLSTACK_DOMAIN_H
#define XKVM_TOOLSTACK_DOMAIN_H

#include "toolstack/config.h"

/* Process exit codes of `xkvm create -F`, documented in its --help. */
enum domain_exit {
	EXIT_GUEST_POWEROFF = 0,
	EXIT_VMM_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_CRASH = 3,
	EXIT_GUEST_REBOOT = 4,
	EXIT_HOST_STOP = 5,
};

struct domain_io {
	int console_in; /* -1: no console input */
	int console_out;
};

/* Returns one of enum domain_exit. */
int domain_run(const struct domain_config *cfg, const struct domain_io *io);

#endif
