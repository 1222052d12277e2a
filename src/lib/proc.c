/* SPDX-License-Identifier: MIT */
#include "lib/proc.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * /proc/PID/stat: the fields after the command (which may hold spaces and
 * parentheses, hence the last ')').  utime and stime are fields 14 and 15,
 * starttime 22.
 */
int proc_stat_read(pid_t pid, uint64_t *starttime, uint64_t *cpu_ticks)
{
	char path[64], buf[1024];
	unsigned long long v[20];
	char *p, *end;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	/* Field 3 is the state letter: a zombie has ended already. */
	if (*p == 'Z' || *p == 'X')
		return -ESRCH;
	while (*p && *p != ' ')
		p++;
	for (i = 0; i < 19; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EBADMSG;
		p = end;
	}
	/* v[0] is field 4; field N is v[N - 4]. */
	if (starttime)
		*starttime = v[18];
	if (cpu_ticks)
		*cpu_ticks = v[10] + v[11];
	return 0;
}
