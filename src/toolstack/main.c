/* SPDX-License-Identifier: MIT */
/* xkvm: run Xen guests on Linux KVM.  Parses global options and dispatches a verb. */
#include "lib/log.h"
#include "toolstack/cli.h"
#include "toolstack/testhost.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verb {
	const char *name;
	int (*run)(const struct cli *cli);
	const char *summary;
};

static const struct verb verbs[] = {
    {"create", cmd_create, "create a domain from an xl.cfg file"},
    {"list", cmd_list, "list VMs (FILTER: Xen Orchestra's search syntax)"},
    {"console", cmd_console, "attach to a VM's console (Ctrl-] detaches)"},
    {"shutdown", cmd_shutdown, "ask a VM to power off (-w: wait until it has)"},
    {"reboot", cmd_reboot, "ask a VM to reboot"},
    {"destroy", cmd_destroy, "stop a VM now"},
    {"pause", cmd_pause, "pause a VM"},
    {"unpause", cmd_unpause, "unpause a VM"},
    {"start", cmd_start, "start a halted VM"},
    {"uptime", cmd_uptime, "how long VMs have run"},
    {"info", cmd_info, "information about this host"},
    {"vm-set", cmd_vm_set, "set a VM's description, tags or auto_poweron"},
    {"vm-delete", cmd_vm_delete, "forget a halted VM"},
    {"testhost", cmd_testhost, "run commands in the KVM test host"},
};

static void usage(FILE *out)
{
	fputs("Usage: xkvm [-v] [--accel=auto|native|nested] <verb> [args]\n"
	      "\n"
	      "xkvm runs Xen guests on Linux KVM.  Its verbs follow `xl`; all but\n"
	      "`create -F` and `testhost` are requests to the xkvmd daemon, found by\n"
	      "$XKVM_API (unix:/path or http://host:port), else its usual socket.\n"
	      "\n"
	      "Verbs:\n",
	      out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\n"
	      "Global options:\n"
	      "  -v, --verbose     more messages (repeat for debug output)\n"
	      "  --accel=MODE      native: use this machine's /dev/kvm; nested: run inside\n"
	      "                    the KVM test host; auto (default): native where the CPU\n"
	      "                    has VMX or SVM, else nested.  Also $XKVM_ACCEL.\n"
	      "  -h, --help        this text; `xkvm <verb> --help` for a verb\n"
	      "  --version         print the version\n",
	      out);
}

static int parse_global(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"accel", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *env_accel = getenv("XKVM_ACCEL");
	int c, level = LOG_WARN;

	if (env_accel && *env_accel && accel_parse(env_accel, &cli->accel)) {
		fprintf(stderr, "xkvm: XKVM_ACCEL='%s': expected auto, native or nested\n",
			env_accel);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			level++;
			break;
		case 'a':
			if (accel_parse(optarg, &cli->accel)) {
				fprintf(stderr,
					"xkvm: --accel=%s: expected auto, native or nested\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("xkvm %s\n", XKVM_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	log_set_level(level > LOG_DEBUG ? LOG_DEBUG : (enum log_level)level);
	cli->argc = argc;
	cli->argv = argv;
	cli->verb_index = optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const char *verb;
	int r = parse_global(argc, argv, &cli);

	if (r)
		return r;
	if (cli.verb_index >= argc) {
		usage(stderr);
		return 2;
	}
	verb = argv[cli.verb_index];
	/* Internal: what the test host's init runs (see testhost_agent.c). */
	if (strcmp(verb, "testhost-agent") == 0 && cli.verb_index + 1 < argc)
		return testhost_agent_main(argv[cli.verb_index + 1]);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].name) == 0)
			return verbs[i].run(&cli);
	if (strcmp(verb, "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "xkvm: unknown verb '%s'\nTry 'xkvm --help'.\n", verb);
	return 2;
}
