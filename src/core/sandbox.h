/* SPDX-License-Identifier: MIT */
/*
 * Confining a VMM once it has opened what it needs (KVM, disk images, TAP
 * devices, its sockets): an unprivileged uid/gid, no capabilities in any
 * set, no new privileges, a Landlock ruleset that leaves it only its own
 * run directory, and a seccomp allow-list per kind of thread
 * (core/seccomp_policy.c).  A system call outside the list kills the VMM
 * with SIGSYS, after it has written the call's number to its report file,
 * so that whoever started it can say which call it was.
 */
#ifndef XKVM_CORE_SANDBOX_H
#define XKVM_CORE_SANDBOX_H

#include "core/seccomp_policy.h"

#include <stdbool.h>
#include <sys/types.h>

/* Who a VMM runs as when nobody says: this system user, else nobody. */
#define SANDBOX_DEFAULT_USER  "xkvm"
#define SANDBOX_FALLBACK_USER "nobody"
/* The report file a confined VMM writes when a system call kills it. */
#define SANDBOX_REPORT_FILE "seccomp"
/* For tests: name a thread kind here and that thread makes a forbidden call. */
#define SANDBOX_TEST_ENV "XKVM_TEST_SECCOMP_VIOLATION"

struct sandbox_config {
	bool change_ids; /* switch to uid/gid (only root can) */
	uid_t uid;
	gid_t gid;
	const char *own_dir; /* stays writable (a managed VMM's directory); NULL: none */
	int report_fd;	     /* SANDBOX_REPORT_FILE, opened beforehand; -1: stderr only */
};

/*
 * spec is a user name, "UID" or "UID:GID"; NULL or "" picks
 * SANDBOX_DEFAULT_USER, else SANDBOX_FALLBACK_USER.  Root (uid 0) is refused.
 */
int sandbox_resolve_user(const char *spec, uid_t *uid, gid_t *gid);

/*
 * Confine the whole process (every thread that exists now gets the union
 * of the per-thread lists).  Call from the main thread once the VM is
 * built.  Returns 0 or -errno; on failure the process must not go on.
 */
int sandbox_enter(const struct sandbox_config *c);

/*
 * Narrow the calling thread to its own list.  Does nothing in a process
 * that is not confined (and returns false), so threads call it
 * unconditionally as they start.
 */
bool sandbox_confine_thread(enum sandbox_thread kind);

/* The syscall number in a report file's text ("<nr> <thread>\n"), or -1. */
int sandbox_report_parse(const char *text, char *thread, size_t thread_len);

#endif
