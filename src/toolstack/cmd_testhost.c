/* SPDX-License-Identifier: MIT */
/* `xkvm testhost`: run commands inside the KVM test host (tests, benchmarks). */
#include "lib/util.h"
#include "toolstack/cli.h"
#include "toolstack/testhost.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char testhost_help[] =
    "Usage: xkvm testhost run [--cpus N] [--memory MiB] [--rw DIR]... [--forward PORT]\n"
    "                         -- COMMAND [ARG...]\n"
    "       xkvm testhost status\n"
    "\n"
    "The KVM test host is a QEMU (TCG) machine with an AMD CPU with SVM, running\n"
    "Debian's kernel with kvm-amd, and this machine's root file system mounted\n"
    "read-only.  xkvm uses it by itself wherever /dev/kvm cannot run stock guests.\n"
    "\n"
    "run     run COMMAND inside it, in the current directory, with this\n"
    "        environment and terminal; exit with COMMAND's status.  The current\n"
    "        directory, /tmp and each --rw DIR are writable inside.\n"
    "        --cpus N      vCPUs of the test host (default 1: with more, QEMU's\n"
    "                      multi-threaded TCG can crash the test host kernel)\n"
    "        --memory MiB  its RAM (default 2048)\n"
    "        --forward PORT  connections to 127.0.0.1:PORT here reach PORT inside\n"
    "status  say whether this machine runs guests natively or nested, and where\n"
    "        the test host's kernel and initramfs are.\n";

static int testhost_status(const struct cli *cli)
{
	char why[160] = "", assets[PATH_MAX];
	bool native = accel_native_usable(why, sizeof(why));

	printf("native KVM:  %s%s%s\n", native ? "usable" : "not usable (", native ? "" : why,
	       native ? "" : ")");
	printf("accel:       %s\n", accel_name(accel_resolve(cli->accel)));
	if (testhost_assets_dir(assets, sizeof(assets)) == 0)
		printf("test host:   %s\n", assets);
	return 0;
}

static int testhost_run_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"cpus", required_argument, NULL, 'c'}, {"memory", required_argument, NULL, 'm'},
	    {"rw", required_argument, NULL, 'w'},   {"forward", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	const char *rw[8];
	struct testhost_opts opts = {
	    .cpus = TESTHOST_DEFAULT_CPUS, .memory_mib = 2048, .rw_dirs = rw};
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:m:w:f:h", longopts, NULL)) != -1) {
		if (c == 'c') {
			opts.cpus = (unsigned)strtoul(optarg, NULL, 0);
		} else if (c == 'm') {
			opts.memory_mib = strtoull(optarg, NULL, 0);
		} else if (c == 'f' && strtoul(optarg, NULL, 10) - 1 < 65535) {
			opts.forward_port = (uint16_t)strtoul(optarg, NULL, 10);
		} else if (c == 'w' && opts.nr_rw_dirs < ARRAY_SIZE(rw)) {
			rw[opts.nr_rw_dirs++] = optarg;
		} else {
			fputs(testhost_help, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || opts.cpus == 0 || opts.cpus > 64) {
		fputs(testhost_help, stderr);
		return 2;
	}
	code = testhost_run(argv + optind, &opts);
	return code < 0 ? 1 : code;
}

int cmd_testhost(const struct cli *cli)
{
	int argc = cli_verb_argc(cli);
	char **argv = cli_verb_argv(cli);

	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return testhost_run_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return testhost_status(cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(testhost_help, stdout);
		return 0;
	}
	fputs(testhost_help, stderr);
	return 2;
}
