/* SPDX-License-Identifier: MIT */
/*
 * QEMU's monitor of the KVM test host: what its CPU is doing, for the
 * report of a test host that stopped responding.
 */
#ifndef XKVM_TOOLSTACK_TESTHOST_MONITOR_H
#define XKVM_TOOLSTACK_TESTHOST_MONITOR_H

/*
 * Sample the registers of the test host's CPU `samples` times through the
 * monitor socket, logging one line per sample (RIP, CPL, halted, CR3) and
 * the last sample in full as errors.  0 or -errno.
 */
int testhost_monitor_report(const char *socket_path, unsigned samples);

/* One monitor command ("sendkey alt-sysrq-w\n"), its reply discarded.  0 or -errno. */
int testhost_monitor_command(const char *socket_path, const char *cmd);

#endif
