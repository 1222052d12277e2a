/* SPDX-License-Identifier: MIT */
#include "toolstack/cli.h"

#include <stdlib.h>
#include <string.h>

char **cli_nested_argv(const struct cli *cli)
{
	char **argv = calloc((size_t)cli->argc + 2, sizeof(*argv));
	int n = 0;

	if (!argv)
		return NULL;
	argv[n++] = cli->argv[0];
	argv[n++] = "--accel=native";
	for (int i = 1; i < cli->argc; i++) {
		if (i < cli->verb_index && strncmp(cli->argv[i], "--accel", 7) == 0)
			continue;
		argv[n++] = cli->argv[i];
	}
	argv[n] = NULL;
	return argv;
}
