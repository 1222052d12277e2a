/* SPDX-License-Identifier: MIT */
/*
 * What the static guest-side benchmark tools share: a monotonic clock in
 * seconds and a fatal error that names the tool (TOOL_NAME, defined by
 * each tool before it includes this header).
 */
#ifndef XKVM_BENCH_TOOL_H
#define XKVM_BENCH_TOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "<tool>: <what>: <errno text>" on stderr, then exit status 1. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", TOOL_NAME, what, strerror(errno));
	exit(1);
}

#endif
