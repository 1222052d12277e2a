/* SPDX-License-Identifier: MIT */
/* `xkvm create`: check a domain's config, then run it here or in the test host. */
#include "arch/x86/pvh.h"
#include "core/kvm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/cli.h"
#include "toolstack/config.h"
#include "toolstack/domain.h"
#include "toolstack/testhost.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The MADT describes CPUs with 8-bit xAPIC ids. */
#define MAX_VCPUS_XAPIC 255

static const char create_help[] =
    "Usage: xkvm create [-F] [-c] [-n] <config file> [key=value ...]\n"
    "\n"
    "Create a domain from an xl.cfg configuration file, as `xl create` does.\n"
    "key=value arguments are applied after the file, as if appended to it.\n"
    "\n"
    "Options:\n"
    "  -F, --foreground  run the domain in this process; it ends when the domain\n"
    "                    is destroyed (required until xkvmd exists)\n"
    "  -c, --console     attach the console (always on with -F: the guest's\n"
    "                    serial line is this terminal; Ctrl-] stops the domain)\n"
    "  -n, --dry-run     check the configuration and print it; run nothing\n"
    "  -h, --help        this text\n"
    "\n"
    "Configuration keys understood now:\n"
    "  name, type = \"pvh\", memory (MiB, default 128), vcpus (default 1),\n"
    "  kernel (an ELF kernel with a PVH entry note), ramdisk, cmdline (or root\n"
    "  and extra), on_poweroff / on_reboot / on_crash = \"destroy\" | \"restart\"\n"
    "  (defaults destroy / restart / destroy).  Other keys are warned about.\n"
    "\n"
    "Exit status with -F:\n"
    "  0  the guest powered off\n"
    "  1  the VMM failed (KVM error, internal error, the test host failed)\n"
    "  2  bad usage or configuration; nothing was started\n"
    "  3  the guest crashed (panic or triple fault) and on_crash is destroy\n"
    "  4  the guest rebooted and on_reboot is destroy\n"
    "  5  stopped from the host (signal, or Ctrl-] on the console)\n"
    "\n"
    "Where /dev/kvm cannot run stock guests (no VMX/SVM), the domain runs inside\n"
    "the KVM test host; `xkvm --accel=native|nested` chooses explicitly.\n";

struct create_opts {
	bool foreground, dry_run;
	const char *config;
	int nr_overrides;
	char **overrides;
};

static int parse_opts(int argc, char **argv, struct create_opts *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'F'},
	    {"console", no_argument, NULL, 'c'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+Fcnh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			o->foreground = true;
			break;
		case 'c':
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'h':
			fputs(create_help, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'xkvm create --help'.\n");
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"xkvm create: a config file is required\nTry 'xkvm create --help'.\n");
		return -1;
	}
	o->config = argv[optind];
	o->overrides = argv + optind + 1;
	o->nr_overrides = argc - optind - 1;
	for (int i = 0; i < o->nr_overrides; i++) {
		if (!strchr(o->overrides[i], '=')) {
			fprintf(stderr, "xkvm create: '%s' is not key=value\n", o->overrides[i]);
			return -1;
		}
	}
	return 0;
}

static struct host_limits host_limits(enum accel_mode accel)
{
	struct host_limits l = {
	    .memory_mib =
		((uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE)) >> 20,
	    .max_vcpus = MAX_VCPUS_XAPIC,
	};
	int fd;

	if (accel == ACCEL_NESTED) {
		/* The test host needs its own share of this machine's memory. */
		l.memory_mib = l.memory_mib > TESTHOST_OVERHEAD_MIB * 2ULL
				   ? l.memory_mib - TESTHOST_OVERHEAD_MIB * 2ULL
				   : 0;
		return l;
	}
	fd = kvm_open("/dev/kvm");
	if (fd >= 0) {
		int max = kvm_check_cap(fd, KVM_CAP_MAX_VCPUS);

		if (max > 0 && (unsigned)max < l.max_vcpus)
			l.max_vcpus = (unsigned)max;
		close(fd);
	}
	return l;
}

static void print_config(const struct domain_config *cfg)
{
	printf("name:        %s\n", cfg->name);
	printf("type:        %s\n", guest_type_name(cfg->type));
	printf("memory:      %llu MiB\n", (unsigned long long)cfg->memory_mib);
	printf("vcpus:       %u\n", cfg->vcpus);
	printf("kernel:      %s\n", cfg->kernel);
	printf("ramdisk:     %s\n", cfg->ramdisk ? cfg->ramdisk : "(none)");
	printf("cmdline:     %s\n", cfg->cmdline ? cfg->cmdline : "");
	printf("on_poweroff: %s\n", lifecycle_action_name(cfg->on_poweroff));
	printf("on_reboot:   %s\n", lifecycle_action_name(cfg->on_reboot));
	printf("on_crash:    %s\n", lifecycle_action_name(cfg->on_crash));
}

static int run_nested(const struct cli *cli, const struct domain_config *cfg)
{
	struct testhost_opts opts = {
	    .cpus = TESTHOST_DEFAULT_CPUS,
	    .memory_mib = cfg->memory_mib + TESTHOST_OVERHEAD_MIB,
	};
	char **argv = cli_nested_argv(cli);
	int code;

	if (!argv)
		return EXIT_VMM_ERROR;
	code = testhost_run(argv, &opts);
	free(argv);
	return code < 0 ? EXIT_VMM_ERROR : code;
}

int cmd_create(const struct cli *cli)
{
	enum accel_mode accel = accel_resolve(cli->accel);
	struct host_limits limits = host_limits(accel);
	struct create_opts o = {0};
	struct domain_config cfg;
	int code;

	if (parse_opts(cli_verb_argc(cli), cli_verb_argv(cli), &o))
		return EXIT_USAGE;
	if (domain_config_load(&cfg, o.config, o.nr_overrides, o.overrides, &limits, stderr)) {
		domain_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (pvh_preflight(&(struct pvh_image){cfg.kernel, cfg.ramdisk, cfg.cmdline},
			  cfg.memory_mib << 20)) {
		domain_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (o.dry_run) {
		print_config(&cfg);
		code = 0;
	} else if (!o.foreground) {
		pr_err("running a domain in the background needs the xkvmd daemon, which this "
		       "version does not have yet: use 'xkvm create -F'");
		code = EXIT_USAGE;
	} else if (accel == ACCEL_NESTED) {
		code = run_nested(cli, &cfg);
	} else {
		code = domain_run(&cfg, &(struct domain_io){.console_in = STDIN_FILENO,
							    .console_out = STDOUT_FILENO});
	}
	domain_config_free(&cfg);
	return code;
}
