/* SPDX-License-Identifier: MIT */
/*
 * The VMM's seccomp allow-list, as data: which system calls each kind of
 * thread may make once the VMM is confined (core/sandbox.h applies it).
 * Anything else kills the VMM.
 */
#ifndef XKVM_CORE_SECCOMP_POLICY_H
#define XKVM_CORE_SECCOMP_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_thread {
	SANDBOX_MAIN,	 /* waits for the VM to stop, tears it down, writes the exit file */
	SANDBOX_VCPU,	 /* KVM_RUN and the exits it handles: port I/O, MMIO, hypercalls */
	SANDBOX_IO,	 /* a PV backend's worker: disk image or TAP I/O, event channels */
	SANDBOX_CONTROL, /* console and control sockets, terminal input */
	SANDBOX_XEN,	 /* Xen's event service and XenStore socket (they start backends) */
	SANDBOX_NR_THREADS,
};

#define SANDBOX_ALL ((1u << SANDBOX_NR_THREADS) - 1)
/* Calls a thread makes only while it narrows itself: in the process-wide filter only. */
#define SANDBOX_SETUP (1u << SANDBOX_NR_THREADS)

struct seccomp_rule {
	const char *name; /* as libseccomp names it */
	unsigned threads; /* bit (1 << enum sandbox_thread) per kind allowed */
	bool own_pid;	  /* only with the VMM's own pid as first argument */
};

extern const struct seccomp_rule seccomp_rules[];
extern const size_t seccomp_nr_rules;

/* "main", "vcpu", "io", "control", "xen". */
const char *sandbox_thread_name(enum sandbox_thread kind);

#endif
