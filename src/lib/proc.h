/* SPDX-License-Identifier: MIT */
/* What /proc says of a process. */
#ifndef XKVM_LIB_PROC_H
#define XKVM_LIB_PROC_H

#include <stdint.h>
#include <sys/types.h>

/*
 * From /proc/PID/stat: its start time (clock ticks after boot; with the pid
 * it names one process, whatever pids are reused) and its CPU time (user +
 * system ticks); either pointer may be NULL.  Returns 0, -ESRCH for a
 * process gone (or a zombie), -EBADMSG for a file that does not parse.
 */
int proc_stat_read(pid_t pid, uint64_t *starttime, uint64_t *cpu_ticks);

#endif
