/* SPDX-License-Identifier: MIT */
/* The xkvm command line: global options, then a verb, as `xl` has them. */
#ifndef XKVM_TOOLSTACK_CLI_H
#define XKVM_TOOLSTACK_CLI_H

#include "toolstack/accel.h"

struct cli {
	int argc; /* the whole command line */
	char **argv;
	int verb_index; /* argv[verb_index] is the verb */
	enum accel_mode accel;
};

/* The verb's arguments: argv[verb_index..]. */
static inline int cli_verb_argc(const struct cli *cli)
{
	return cli->argc - cli->verb_index;
}

static inline char **cli_verb_argv(const struct cli *cli)
{
	return cli->argv + cli->verb_index;
}

/*
 * The same command line for a nested run: global options kept except
 * --accel, which becomes native.  Returns a malloc'd NULL-terminated vector.
 */
char **cli_nested_argv(const struct cli *cli);

int cmd_create(const struct cli *cli);
int cmd_testhost(const struct cli *cli);
/* Clients of xkvmd's API (client.h). */
int cmd_list(const struct cli *cli);
int cmd_console(const struct cli *cli);
int cmd_shutdown(const struct cli *cli);
int cmd_reboot(const struct cli *cli);
int cmd_destroy(const struct cli *cli);
int cmd_pause(const struct cli *cli);
int cmd_unpause(const struct cli *cli);
int cmd_start(const struct cli *cli);
int cmd_uptime(const struct cli *cli);
int cmd_info(const struct cli *cli);
int cmd_vm_set(const struct cli *cli);
int cmd_vm_delete(const struct cli *cli);

#endif
