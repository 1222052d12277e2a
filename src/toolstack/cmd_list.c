/* SPDX-License-Identifier: MIT */
/* `xkvm list`: xkvmd's VMs in `xl list`'s columns, plus the virtualization mode. */
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/cli.h"
#include "toolstack/client.h"
#include "toolstack/vm_mode.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char list_usage[] = "Usage: xkvm list [-l] [FILTER ...]\n";

static const char list_help[] =
    "\n"
    "List the VMs xkvmd knows, with `xl list`'s columns and the mode.\n"
    "FILTER is Xen Orchestra's search syntax, applied by xkvmd; several\n"
    "words are ANDed: power_state:Running, virtualizationMode:hvm, tags:prod,\n"
    "\"CPUs:number:>1\", !auto_poweron?, web*.\n"
    "\n"
    "Options:\n"
    "  -l, --long   print the VM objects as a JSON array\n"
    "  -h, --help   this text\n";

const char *vm_state_flags(const json_t *vm)
{
	const char *state = json_string_value(json_object_get(vm, "power_state"));
	const char *reason =
	    json_string_value(json_object_get(json_object_get(vm, "last_exit"), "reason"));

	if (!state)
		return "------";
	if (strcmp(state, "Running") == 0)
		return "r-----";
	if (strcmp(state, "Paused") == 0)
		return "--p---";
	if (strcmp(state, "Suspended") == 0)
		return "---s--";
	/* Halted: xl keeps a crashed domain around with its 'c'; we keep its last exit. */
	if (reason && strcmp(reason, "crash") == 0)
		return "----c-";
	return "------";
}

const char *vm_mode_label(const json_t *vm)
{
	const char *mode = json_string_value(json_object_get(vm, "virtualizationMode"));
	const char *label;

	if (!mode)
		return "-";
	label = vm_mode_short(mode, json_is_true(json_object_get(vm, "pvDriversDetected")));
	return label ? label : mode; /* a mode from a newer xkvmd: shown as it is */
}

/* A number field, or dflt when it is missing or null. */
static double number_or(const json_t *obj, const char *key, double dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

void list_print_header(FILE *out)
{
	fputs("Name                                        ID   Mem VCPUs\tState\tTime(s)  Mode\n",
	      out);
}

void list_print_row(FILE *out, const json_t *vm)
{
	const char *name = json_string_value(json_object_get(vm, "name_label"));
	double mem = number_or(json_object_get(vm, "memory"), "size", 0);
	double vcpus = number_or(json_object_get(vm, "CPUs"), "number", 0);
	const json_t *domid = json_object_get(vm, "domid");
	char id[24] = "-";

	if (json_is_integer(domid))
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(domid));
	fprintf(out, "%-40s %5s %5lu %5lu     %s  %8.1f  %s\n", name ? name : "", id,
		(unsigned long)(mem / MIB), (unsigned long)vcpus, vm_state_flags(vm),
		number_or(vm, "cpu_time", 0), vm_mode_label(vm));
}

/* The words after the options, joined by spaces (the matcher ANDs them), encoded. */
static char *filter_query(int argc, char **argv)
{
	size_t len = 1, pos = 0;
	char *filter, *enc;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	filter = malloc(len);
	if (!filter)
		return NULL;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			filter[pos++] = ' ';
		memcpy(filter + pos, argv[i], n);
		pos += n;
	}
	filter[pos] = '\0';
	enc = url_encode(filter);
	free(filter);
	return enc;
}

static int print_list(const json_t *vms, bool long_form)
{
	if (!json_is_array(vms)) {
		pr_err("xkvmd answered something other than a list of VMs");
		return 1;
	}
	if (long_form) {
		json_dumpf(vms, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		putchar('\n');
		return 0;
	}
	list_print_header(stdout);
	for (size_t i = 0; i < json_array_size(vms); i++)
		list_print_row(stdout, json_array_get(vms, i));
	return 0;
}

int cmd_list(const struct cli *cli)
{
	static const struct option longopts[] = {
	    {"long", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int argc = cli_verb_argc(cli), c, code;
	char **argv = cli_verb_argv(cli);
	char *filter = NULL, *path;
	struct client client;
	bool long_form = false;
	json_t *vms;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+lh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			long_form = true;
			break;
		case 'h':
			printf("%s%s", list_usage, list_help);
			return 0;
		default:
			fputs(list_usage, stderr);
			return 2;
		}
	}
	if (optind < argc && !(filter = filter_query(argc - optind, argv + optind))) {
		pr_err("out of memory");
		return 1;
	}
	if (asprintf(&path, "/rest/v0/vms?fields=*%s%s", filter ? "&filter=" : "",
		     filter ? filter : "") < 0) {
		free(filter);
		pr_err("out of memory");
		return 1;
	}
	free(filter);
	if (client_open(&client)) {
		free(path);
		return 1;
	}
	code = client_call(&client, "GET", path, NULL, &vms);
	if (!code)
		code = print_list(vms, long_form);
	json_decref(vms);
	client_close(&client);
	free(path);
	return code;
}
