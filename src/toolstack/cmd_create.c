/* SPDX-License-Identifier: MIT */
/*
 * `xkvm create`: send a domain's config to xkvmd, or with -F check it, then
 * run it here or in the test host.
 */
#include "toolstack/boot_image.h"
#include "core/kvm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/cli.h"
#include "toolstack/client.h"
#include "toolstack/config.h"
#include "toolstack/confined.h"
#include "vm/domain.h"
#include "vm/managed.h"
#include "toolstack/testhost.h"

#include <errno.h>
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
    "  -F, --foreground  run the domain in this process, without xkvmd; it ends\n"
    "                    when the domain is destroyed.  Without -F, the config is\n"
    "                    sent to xkvmd, which checks, keeps and starts it.\n"
    "  -c, --console     attach the console once created (Ctrl-] detaches); with\n"
    "                    -F always on: the guest's serial line is this terminal\n"
    "                    and Ctrl-] stops the domain\n"
    "  -n, --dry-run     check the configuration here and print it; run nothing\n"
    "  --user USER       with -F as root: the user the VMM becomes once the VM is\n"
    "                    built (a name, UID or UID:GID; default: the system user\n"
    "                    'xkvm', else 'nobody')\n"
    "  --no-sandbox      with -F: do not confine the VMM (for debugging)\n"
    "  -h, --help        this text\n"
    "\n"
    "Configuration keys understood now:\n"
    "  name, type = \"pvh\", memory (MiB, default 128), vcpus (default 1),\n"
    "  kernel (an ELF kernel with a PVH entry note), ramdisk, cmdline (or root\n"
    "  and extra), on_poweroff / on_reboot / on_crash = \"destroy\" | \"restart\"\n"
    "  (defaults destroy / restart / destroy), and\n"
    "  disk = [ 'format=raw, vdev=xvda, access=rw, target=/path/disk.img' ]\n"
    "         (xl's disk spec; raw images; '/path/b.img,raw,xvdb,r' too)\n"
    "  vif  = [ 'mac=00:16:3e:12:34:56,bridge=br0' ]\n"
    "         (a TAP device per vif, vif<domid>.<n> or vifname=; needs root)\n"
    "  Other keys are warned about.  Paths must be absolute when xkvmd runs it.\n"
    "\n"
    "Exit status without -F: 0 created and started, 1 refused by xkvmd (its\n"
    "message is printed) or xkvmd unreachable, 2 bad usage; with -c, the\n"
    "console's: 0 when detached or when the VM's console closed.\n"
    "\n"
    "Exit status with -F:\n"
    "  0  the guest powered off\n"
    "  1  the VMM failed (KVM error, internal error, the test host failed)\n"
    "  2  bad usage or configuration; nothing was started\n"
    "  3  the guest crashed (panic or triple fault) and on_crash is destroy\n"
    "  4  the guest rebooted and on_reboot is destroy\n"
    "  5  stopped from the host (signal, or Ctrl-] on the console)\n"
    "\n"
    "With -F the VMM is confined once the VM is built: it drops to --user and\n"
    "every capability, and a seccomp allow-list and Landlock leave it only what\n"
    "running the VM needs; each boot is then one VMM process.\n"
    "\n"
    "Where /dev/kvm cannot run stock guests (no VMX/SVM), the domain runs inside\n"
    "the KVM test host; `xkvm --accel=native|nested` chooses explicitly.\n";

struct create_opts {
	bool foreground, dry_run, console;
	const char *managed_dir; /* --managed: run for xkvmd (vm/managed.h) */
	struct confine_opts confine;
	const char *config;
	int nr_overrides;
	char **overrides;
};

static int parse_opts(int argc, char **argv, struct create_opts *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'F'}, {"console", no_argument, NULL, 'c'},
	    {"dry-run", no_argument, NULL, 'n'},    {"managed", required_argument, NULL, 'M'},
	    {"user", required_argument, NULL, 'U'}, {"no-sandbox", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+Fcnh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			o->foreground = true;
			break;
		case 'c':
			o->console = true;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'M':
			o->managed_dir = optarg;
			break;
		case 'U':
			o->confine.user = optarg;
			break;
		case 'S':
			o->confine.off = true;
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

/* For xkvmd: the console and the controls are sockets in dir, not this terminal. */
static int run_managed(const struct domain_config *config, const char *dir,
		       const struct confine_opts *confine)
{
	struct domain_control control;
	struct domain_io io = {.console_no_escape = true, .control = &control};
	struct sandbox_config sb;
	/*
	 * A crash ends the VMM: xkvmd applies on_crash, and stops restarting a
	 * guest that crashes again and again, which a loop in here could not.
	 * A confined VMM ends at every stop: xkvmd applies the other actions too.
	 */
	struct domain_config once = *config;
	const struct domain_config *cfg = &once;
	struct managed *m;
	int code;

	once.on_crash = ACTION_DESTROY;
	if (!confine->off) {
		if (confined_prepare(confine, dir, &sb))
			return EXIT_VMM_ERROR;
		confined_one_boot(&once, config);
		io.sandbox = &sb;
	}
	domain_control_init(&control);
	m = managed_start(dir, cfg, &control, &io.console_in, &io.console_out);
	if (!m) {
		domain_control_destroy(&control);
		return EXIT_VMM_ERROR;
	}
	code = domain_run(cfg, &io);
	managed_finish(m, code);
	domain_control_destroy(&control);
	return code;
}

/* In the foreground, on this terminal. */
static int run_here(const struct domain_config *cfg, const struct confine_opts *confine)
{
	struct domain_io io = {.console_in = STDIN_FILENO, .console_out = STDOUT_FILENO};
	struct sandbox_config sb;

	if (confine->off)
		return domain_run(cfg, &io);
	if (confined_prepare(confine, NULL, &sb))
		return EXIT_VMM_ERROR;
	io.sandbox = &sb;
	return confined_run(cfg, &io);
}

/* The config file's text and the overrides, as POST /rest/v0/vms takes them. */
static json_t *create_request(const struct create_opts *o)
{
	json_t *overrides = json_array();
	size_t len;
	char *text = client_read_file(o->config, CONFIG_MAX_SIZE, &len);
	json_t *req = NULL;

	if (!text) {
		pr_err("%s: cannot open config file: %s", o->config, strerror(errno));
		json_decref(overrides);
		return NULL;
	}
	for (int i = 0; overrides && i < o->nr_overrides; i++)
		if (json_array_append_new(overrides, json_string(o->overrides[i])))
			break;
	if (overrides && json_array_size(overrides) == (size_t)o->nr_overrides)
		req = json_pack("{s:s%, s:s, s:O, s:b}", "config", text, len, "path", o->config,
				"overrides", overrides, "start", 1);
	if (!req)
		pr_err("%s: the config and key=value arguments must be UTF-8 text", o->config);
	json_decref(overrides);
	free(text);
	return req;
}

/* Without -F: xkvmd parses, keeps and starts the config; nothing runs here. */
static int create_via_xkvmd(const struct create_opts *o)
{
	json_t *req = create_request(o), *vm = NULL;
	struct client client;
	int code;

	if (!req)
		return EXIT_FAILURE;
	if (client_open(&client)) {
		json_decref(req);
		return EXIT_FAILURE;
	}
	code = client_call(&client, "POST", "/rest/v0/vms", req, &vm);
	if (!code && o->console) {
		const char *id = json_string_value(json_object_get(vm, "id"));

		if (!id)
			id = json_string_value(json_object_get(vm, "name_label"));
		code = id ? client_console(&client, id) : EXIT_FAILURE;
		if (!id)
			pr_err("xkvmd's answer names no VM to attach to");
	}
	json_decref(vm);
	json_decref(req);
	client_close(&client);
	return code;
}

int cmd_create(const struct cli *cli)
{
	enum accel_mode accel;
	struct host_limits limits;
	struct create_opts o = {0};
	struct domain_config cfg;
	int code;

	if (parse_opts(cli_verb_argc(cli), cli_verb_argv(cli), &o))
		return EXIT_USAGE;
	if (!o.foreground && !o.dry_run)
		return create_via_xkvmd(&o);
	accel = accel_resolve(cli->accel);
	limits = host_limits(accel);
	if (domain_config_load(&cfg, o.config, o.nr_overrides, o.overrides, &limits, stderr)) {
		domain_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (boot_image_preflight(&cfg)) {
		domain_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (o.dry_run) {
		print_config(&cfg);
		code = 0;
	} else if (o.managed_dir && accel == ACCEL_NESTED) {
		pr_err("--managed runs where KVM runs guests: start xkvmd, which starts the KVM "
		       "test host itself where this machine needs it");
		code = EXIT_USAGE;
	} else if (o.managed_dir) {
		code = run_managed(&cfg, o.managed_dir, &o.confine);
	} else if (accel == ACCEL_NESTED) {
		code = run_nested(cli, &cfg);
	} else {
		code = run_here(&cfg, &o.confine);
	}
	domain_config_free(&cfg);
	return code;
}
