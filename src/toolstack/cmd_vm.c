/* SPDX-License-Identifier: MIT */
/*
 * The verbs that act on one VM through xkvmd (shutdown, reboot, destroy,
 * pause, unpause, start, vm-set, vm-delete) and the read-only ones (uptime,
 * info).  Each parses, calls the API and prints as `xl` would.
 */
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/cli.h"
#include "toolstack/client.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ?sync=true waits up to 120 s for the end state (docs/toolstack.md); allow for the answer. */
#define SYNC_TIMEOUT_S 150

/* A verb on one VM: a POST to one of its actions, or (action NULL) its DELETE. */
struct vm_verb {
	const char *name;
	const char *action; /* the API's action name, as XO names it */
	const char *what;
	bool can_wait; /* -w: ?sync=true */
};

enum {
	VERB_SHUTDOWN,
	VERB_REBOOT,
	VERB_DESTROY,
	VERB_PAUSE,
	VERB_UNPAUSE,
	VERB_START,
	VERB_DELETE
};

static const struct vm_verb vm_verbs[] = {
    [VERB_SHUTDOWN] = {"shutdown", "clean_shutdown",
		       "Ask a VM's guest to power off (through Xen's control/shutdown; a guest\n"
		       "without PV shutdown support gets an error: use destroy).\n  -w, --wait   "
		       "wait until the VM has halted (at most 120 s)\n",
		       true},
    [VERB_REBOOT] = {"reboot", "clean_reboot", "Ask a VM's guest to reboot.\n", false},
    [VERB_DESTROY] = {"destroy", "hard_shutdown", "Stop a VM now, as pulling its plug would.\n",
		      false},
    [VERB_PAUSE] = {"pause", "pause", "Stop running a VM's vCPUs.\n", false},
    [VERB_UNPAUSE] = {"unpause", "unpause", "Run a paused VM's vCPUs again.\n", false},
    [VERB_START] = {"start", "start", "Start a halted VM.\n", false},
    [VERB_DELETE] = {"vm-delete", NULL, "Forget a halted VM: its definition and its config.\n",
		     false},
};

static void vm_verb_usage(FILE *out, const struct vm_verb *v)
{
	fprintf(out, "Usage: xkvm %s %sNAME\n", v->name, v->can_wait ? "[-w] " : "");
}

/* Returns 0 with *vm set; 1 after --help; -1 after a usage error. */
static int parse_vm_verb(const struct cli *cli, const struct vm_verb *v, bool *wait,
			 const char **vm)
{
	static const struct option longopts[] = {
	    {"wait", no_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int argc = cli_verb_argc(cli), c;
	char **argv = cli_verb_argv(cli);

	optind = 1;
	while ((c = getopt_long(argc, argv, v->can_wait ? "+wh" : "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (!v->can_wait)
				goto bad;
			*wait = true;
			break;
		case 'h':
			vm_verb_usage(stdout, v);
			printf("\n%s", v->what);
			return 1;
		default:
			goto bad;
		}
	}
	if (argc - optind != 1)
		goto bad;
	*vm = argv[optind];
	return 0;
bad:
	vm_verb_usage(stderr, v);
	return -1;
}

static int run_vm_verb(const struct cli *cli, const struct vm_verb *v)
{
	char suffix[64] = "";
	struct client client;
	const char *vm = NULL;
	bool wait = false;
	char *path;
	int code;

	code = parse_vm_verb(cli, v, &wait, &vm);
	if (code)
		return code < 0 ? 2 : 0;
	if (v->action)
		snprintf(suffix, sizeof(suffix), "/actions/%s%s", v->action,
			 wait ? "?sync=true" : "");
	path = client_vm_path(vm, suffix);
	if (!path) {
		pr_err("out of memory");
		return 1;
	}
	if (client_open(&client)) {
		free(path);
		return 1;
	}
	if (wait)
		client.timeout_s = SYNC_TIMEOUT_S;
	code = client_call(&client, v->action ? "POST" : "DELETE", path, NULL, NULL);
	client_close(&client);
	free(path);
	return code;
}

int cmd_shutdown(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_SHUTDOWN]);
}

int cmd_reboot(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_REBOOT]);
}

int cmd_destroy(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_DESTROY]);
}

int cmd_pause(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_PAUSE]);
}

int cmd_unpause(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_UNPAUSE]);
}

int cmd_start(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_START]);
}

int cmd_vm_delete(const struct cli *cli)
{
	return run_vm_verb(cli, &vm_verbs[VERB_DELETE]);
}

/* "a,b" as a JSON array of strings; "" is no tags. */
static json_t *tags_array(const char *list)
{
	json_t *tags = json_array();

	while (tags && *list) {
		size_t n = strcspn(list, ",");

		if (n && json_array_append_new(tags, json_stringn(list, n))) {
			json_decref(tags);
			return NULL;
		}
		list += n;
		if (*list)
			list++;
	}
	return tags;
}

/* One vm-set assignment into the PATCH body.  Returns 0 or -1 (message printed). */
static int vm_set_field(json_t *patch, const char *arg)
{
	const char *eq = strchr(arg, '='), *val;
	size_t klen;
	json_t *v;

	if (!eq) {
		fprintf(stderr, "xkvm vm-set: '%s' is not key=value\n", arg);
		return -1;
	}
	klen = (size_t)(eq - arg);
	val = eq + 1;
	if (klen == 11 && strncmp(arg, "description", klen) == 0) {
		v = json_string(val);
		if (!v) {
			fprintf(stderr, "xkvm vm-set: description is not UTF-8 text\n");
			return -1;
		}
		return json_object_set_new(patch, "name_description", v);
	}
	if (klen == 4 && strncmp(arg, "tags", klen) == 0) {
		v = tags_array(val);
		if (!v) {
			fprintf(stderr, "xkvm vm-set: tags are not UTF-8 text\n");
			return -1;
		}
		return json_object_set_new(patch, "tags", v);
	}
	if (klen == 12 && strncmp(arg, "auto_poweron", klen) == 0) {
		if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
			fprintf(stderr, "xkvm vm-set: auto_poweron is 0 or 1\n");
			return -1;
		}
		return json_object_set_new(patch, "auto_poweron", json_boolean(val[0] == '1'));
	}
	fprintf(stderr, "xkvm vm-set: unknown key '%.*s' (description, tags, auto_poweron)\n",
		(int)klen, arg);
	return -1;
}

int cmd_vm_set(const struct cli *cli)
{
	static const char usage[] =
	    "Usage: xkvm vm-set NAME description=TEXT|tags=a,b|auto_poweron=0|1 ...\n";
	static const char help[] = "\nChange a VM's description, tags (comma-separated; "
				   "tags= clears them) or\nwhether xkvmd starts it on boot.\n";
	int argc = cli_verb_argc(cli), code;
	char **argv = cli_verb_argv(cli);
	struct client client;
	json_t *patch;
	char *path;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s%s", usage, help);
		return 0;
	}
	if (argc < 3 || argv[1][0] == '-') {
		fputs(usage, stderr);
		return 2;
	}
	patch = json_object();
	if (!patch)
		return 1;
	for (int i = 2; i < argc; i++) {
		if (vm_set_field(patch, argv[i])) {
			json_decref(patch);
			fputs(usage, stderr);
			return 2;
		}
	}
	path = client_vm_path(argv[1], "");
	code = 1;
	if (path && !client_open(&client)) {
		code = client_call(&client, "PATCH", path, patch, NULL);
		client_close(&client);
	} else if (!path) {
		pr_err("out of memory");
	}
	free(path);
	json_decref(patch);
	return code;
}

void uptime_format(unsigned long secs, char *buf, size_t len)
{
	unsigned long days = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

	if (days > 1)
		snprintf(buf, len, "%lu days, %2lu:%02lu:%02lu", days, h, m, s);
	else if (days == 1)
		snprintf(buf, len, "%lu day, %2lu:%02lu:%02lu", days, h, m, s);
	else
		snprintf(buf, len, "%2lu:%02lu:%02lu", h, m, s);
}

void uptime_print_header(FILE *out)
{
	fprintf(out, "%-33s %4s %s\n", "Name", "ID", "Uptime");
}

void uptime_print_row(FILE *out, const json_t *vm, long long now)
{
	const json_t *start = json_object_get(vm, "startTime");
	const json_t *domid = json_object_get(vm, "domid");
	const char *name = json_string_value(json_object_get(vm, "name_label"));
	long long since;
	char up[64];

	/* xl leaves out domains without a start time; here, VMs that are not running. */
	if (!json_is_number(start))
		return;
	since = now - (long long)json_number_value(start);
	uptime_format(since > 0 ? (unsigned long)since : 0, up, sizeof(up));
	fprintf(out, "%-33s %4lld %s\n", name ? name : "",
		json_is_integer(domid) ? (long long)json_integer_value(domid) : -1LL, up);
}

int cmd_uptime(const struct cli *cli)
{
	static const char usage[] = "Usage: xkvm uptime [NAME ...]\n";
	int argc = cli_verb_argc(cli), code = 0;
	char **argv = cli_verb_argv(cli);
	long long now = (long long)time(NULL);
	struct client client;
	json_t *vms = NULL;

	if (argc >= 2 && argv[1][0] == '-') {
		bool help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");

		fprintf(help ? stdout : stderr, "%s%s", usage,
			help ? "\nHow long each running VM (or each VM named) has run.\n" : "");
		return help ? 0 : 2;
	}
	if (client_open(&client))
		return 1;
	if (argc == 1) {
		code = client_call(&client, "GET", "/rest/v0/vms?fields=name_label,domid,startTime",
				   NULL, &vms);
		if (!code) {
			uptime_print_header(stdout);
			for (size_t i = 0; i < json_array_size(vms); i++)
				uptime_print_row(stdout, json_array_get(vms, i), now);
		}
		json_decref(vms);
	}
	for (int i = 1; i < argc && !code; i++) {
		char *path = client_vm_path(argv[i], "");
		json_t *vm = NULL;

		code = path ? client_call(&client, "GET", path, NULL, &vm) : 1;
		if (!code && i == 1)
			uptime_print_header(stdout);
		if (!code)
			uptime_print_row(stdout, vm, now);
		json_decref(vm);
		free(path);
	}
	client_close(&client);
	return code;
}

/* One "key                    : value" line of a scalar, as `xl info` aligns them. */
static void info_line(FILE *out, const char *key, const json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		fprintf(out, "%-23s: %s\n", key, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	fprintf(out, "%-23s: %s\n", key, text ? text : "?");
	free(text);
}

void info_print(FILE *out, const json_t *host)
{
	const json_t *mem = json_object_get(host, "memory");
	void *it;

	/* xl's names and units (MiB) for what xl info also has; the rest as xkvmd names it. */
	if (json_object_get(host, "hostname"))
		info_line(out, "host", json_object_get(host, "hostname"));
	/* jansson's iterators take a non-const object; nothing here modifies it. */
	for (it = json_object_iter((json_t *)host); it;
	     it = json_object_iter_next((json_t *)host, it)) {
		const char *key = json_object_iter_key(it);
		const json_t *v = json_object_iter_value(it);

		if (!strcmp(key, "hostname"))
			continue;
		if (!strcmp(key, "memory") && json_is_object(mem)) {
			const json_t *size = json_object_get(mem, "size");
			const json_t *free_ = json_object_get(mem, "free");

			if (json_is_number(size))
				fprintf(out, "%-23s: %llu\n", "total_memory",
					(unsigned long long)(json_number_value(size) / MIB));
			if (json_is_number(free_))
				fprintf(out, "%-23s: %llu\n", "free_memory",
					(unsigned long long)(json_number_value(free_) / MIB));
			continue;
		}
		info_line(out, key, v);
	}
}

int cmd_info(const struct cli *cli)
{
	static const char usage[] = "Usage: xkvm info\n";
	struct client client;
	json_t *host = NULL;
	int code;

	if (cli_verb_argc(cli) > 1) {
		bool help = !strcmp(cli_verb_argv(cli)[1], "-h") ||
			    !strcmp(cli_verb_argv(cli)[1], "--help");

		fprintf(help ? stdout : stderr, "%s%s", usage,
			help ? "\nThis host as xkvmd sees it: CPUs, memory, KVM, VMs running.\n"
			     : "");
		return help ? 0 : 2;
	}
	if (client_open(&client))
		return 1;
	code = client_call(&client, "GET", "/rest/v0/host", NULL, &host);
	if (!code)
		info_print(stdout, host);
	json_decref(host);
	client_close(&client);
	return code;
}
