/* SPDX-License-Identifier: MIT */
#include "toolstack/config.h"
#include "lib/util.h"
#include "toolstack/config_loader.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <libxlutil.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The keys xkvm understands today; anything else is reported, not dropped silently. */
static const char *const known_keys[] = {
    "name",
    "type",
    "builder",
    "memory",
    "vcpus",
    "kernel",
    "ramdisk",
    "cmdline",
    "root",
    "extra",
    "on_poweroff",
    "on_reboot",
    "on_crash",
    "disk",
    "vif",
    "pvshim",
    "pvshim_path",
    "pvshim_cmdline",
    "pvshim_extra",
    "bootloader",
    "bootloader_args",
    "xkvm_persistent_grants",
    /* HVM (config_hvm.c) */
    "firmware",
    "bios",
    "boot",
    "serial",
    "vnc",
    "sdl",
    "acpi",
    "apic",
    "xen_platform_pci",
    "viridian",
};

const char *guest_type_name(enum guest_type type)
{
	switch (type) {
	case GUEST_PVH:
		return "pvh";
	case GUEST_HVM:
		return "hvm";
	case GUEST_PV:
		return "pv";
	}
	return "?";
}

const char *lifecycle_action_name(enum lifecycle_action action)
{
	return action == ACTION_RESTART ? "restart" : "destroy";
}

/* The text that libxlutil parses: the file, then one line per override. */
char *config_compose_text(const char *text, size_t size, int n, char *const overrides[])
{
	size_t len, total = size + 2;
	char *out;

	for (int i = 0; i < n; i++)
		total += strlen(overrides[i]) + 1;
	out = malloc(total);
	if (!out)
		return NULL;
	memcpy(out, text, size);
	len = size;
	out[len++] = '\n';
	for (int i = 0; i < n; i++) {
		size_t l = strlen(overrides[i]);

		memcpy(out + len, overrides[i], l);
		len += l;
		out[len++] = '\n';
	}
	out[len] = '\0';
	return out;
}

static char *read_config_text(const char *path, int n, char *const overrides[], FILE *err,
			      int *errno_out)
{
	struct file_buf fb;
	char *text;
	FILE *f = fopen(path, "r");

	if (!f) {
		*errno_out = errno;
		fprintf(err, "%s: cannot open config file: %s\n", path, strerror(errno));
		return NULL;
	}
	fclose(f);
	if (file_buf_open(&fb, path, CONFIG_MAX_SIZE, "config file")) {
		*errno_out = EINVAL;
		return NULL;
	}
	text = config_compose_text((const char *)fb.data, fb.size, n, overrides);
	file_buf_close(&fb);
	if (!text)
		*errno_out = ENOMEM;
	return text;
}

/*
 * Find each statement's key and its line, so unknown keys can be named
 * and validation errors can point at a line.  libxlutil has no API to list
 * keys; this scanner follows its lexical grammar (strings, comments, lists).
 */
static const char *skip_string(const char *p, int *line)
{
	char quote = *p++;

	while (*p && *p != quote) {
		if (*p == '\\' && p[1])
			p++;
		if (*p == '\n')
			(*line)++;
		p++;
	}
	return *p ? p + 1 : p;
}

static int scan_keys(const char *text, struct key_use *keys, int max)
{
	bool at_statement_start = true;
	int depth = 0, line = 1, n = 0;
	const char *p = text;

	while (*p) {
		if (*p == '\n' || *p == ';') {
			if (*p == '\n')
				line++;
			if (depth == 0)
				at_statement_start = true;
			p++;
		} else if (*p == '#') {
			while (*p && *p != '\n')
				p++;
		} else if (*p == '"' || *p == '\'') {
			p = skip_string(p, &line);
			at_statement_start = false;
		} else if (*p == '[') {
			depth++;
			p++;
		} else if (*p == ']') {
			depth -= depth > 0;
			p++;
		} else if (at_statement_start && depth == 0 && islower((unsigned char)*p)) {
			size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789._");

			if (n < max && l < sizeof(keys[n].name)) {
				memcpy(keys[n].name, p, l);
				keys[n].name[l] = '\0';
				keys[n].line = line;
				keys[n].offset = (size_t)(p - text);
				n++;
			}
			p += l;
			at_statement_start = false;
		} else {
			if (!isspace((unsigned char)*p))
				at_statement_start = false;
			p++;
		}
	}
	return n;
}

/* The line of the last assignment to key (the one libxlutil uses). */
int key_line(const struct loader *ld, const char *key)
{
	for (int i = ld->nr_keys - 1; i >= 0; i--)
		if (strcmp(ld->keys[i].name, key) == 0)
			return ld->keys[i].line;
	return 0;
}

bool config_has_key(const struct loader *ld, const char *key)
{
	return key_line(ld, key) != 0;
}

/* Past the opening '[' of the list that the statement at p assigns, or NULL. */
static const char *list_start(const char *p, int *line)
{
	for (; *p && *p != '[' && *p != ';'; p++) {
		if (*p == '\n')
			(*line)++;
		if (*p == '"' || *p == '\'' || *p == '#')
			return NULL;
	}
	return *p == '[' ? p + 1 : NULL;
}

int key_item_line(const struct loader *ld, const char *key, int index)
{
	const struct key_use *k = NULL;
	const char *p;
	int line, depth = 1, item = 0;

	for (int i = ld->nr_keys - 1; i >= 0 && !k; i--)
		if (strcmp(ld->keys[i].name, key) == 0)
			k = &ld->keys[i];
	if (!k || !ld->text)
		return k ? k->line : 0;
	line = k->line;
	p = list_start(ld->text + k->offset, &line);
	while (p && *p && depth > 0) {
		if (*p == '"' || *p == '\'') {
			if (depth == 1 && item++ == index)
				return line;
			p = skip_string(p, &line);
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == '\n')
			line++;
		else if (*p == '[' || *p == ']')
			depth += *p == '[' ? 1 : -1;
		p++;
	}
	return k->line;
}

__attribute__((format(printf, 4, 0))) static void
vreport(struct loader *ld, int line, const char *what, const char *fmt, va_list ap)
{
	if (line)
		fprintf(ld->err, "%s:%d: %s", ld->cfg->path, line, what);
	else
		fprintf(ld->err, "%s: %s", ld->cfg->path, what);
	vfprintf(ld->err, fmt, ap);
	fputc('\n', ld->err);
}

void config_error(struct loader *ld, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, key ? key_line(ld, key) : 0, "", fmt, ap);
	va_end(ap);
	ld->errors++;
}

void config_error_at(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, line, "", fmt, ap);
	va_end(ap);
	ld->errors++;
}

void config_warning(struct loader *ld, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, key ? key_line(ld, key) : 0, "warning: ", fmt, ap);
	va_end(ap);
}

static void warn_unknown_keys(struct loader *ld)
{
	for (int i = 0; i < ld->nr_keys; i++) {
		bool known = false;

		for (size_t k = 0; k < ARRAY_SIZE(known_keys) && !known; k++)
			known = strcmp(ld->keys[i].name, known_keys[k]) == 0;
		if (!known)
			fprintf(ld->err, "%s:%d: warning: unknown key '%s' ignored\n",
				ld->cfg->path, ld->keys[i].line, ld->keys[i].name);
	}
}

char *get_string(struct loader *ld, const char *key)
{
	const char *v = NULL;
	int r = xlu_cfg_get_string(ld->xlu, key, &v, 1);

	if (r == ESRCH)
		return NULL;
	if (r) {
		config_error(ld, key, "%s must be a string", key);
		return NULL;
	}
	return strdup(v);
}

bool get_number(struct loader *ld, const char *key, long min, long max, long *out)
{
	int r = xlu_cfg_get_long(ld->xlu, key, out, 1);

	if (r == ESRCH)
		return false;
	if (r) {
		config_error(ld, key, "%s must be a number", key);
		return false;
	}
	if (*out < min || *out > max) {
		config_error(ld, key, "%s = %ld is out of range (%ld to %ld)", key, *out, min, max);
		return false;
	}
	return true;
}

bool get_bool(struct loader *ld, const char *key, bool def)
{
	long v;

	return get_number(ld, key, LONG_MIN, LONG_MAX, &v) ? v != 0 : def;
}

static void get_type(struct loader *ld)
{
	char *type = get_string(ld, "type");

	if (!type)
		type = get_string(ld, "builder"); /* the older spelling: builder = "hvm" */
	if (!type || strcmp(type, "pv") == 0 || strcmp(type, "generic") == 0) {
		ld->cfg->type = GUEST_PV; /* xl's default when neither key is given */
	} else if (strcmp(type, "pvh") == 0) {
		ld->cfg->type = GUEST_PVH;
	} else if (strcmp(type, "hvm") == 0) {
		ld->cfg->type = GUEST_HVM;
	} else {
		config_error(ld, "type", "type = \"%s\": expected \"pvh\", \"hvm\" or \"pv\"",
			     type);
	}
	free(type);
}

static enum lifecycle_action get_action(struct loader *ld, const char *key,
					enum lifecycle_action def)
{
	char *v = get_string(ld, key);
	enum lifecycle_action a = def;

	if (!v)
		return def;
	if (strcmp(v, "destroy") == 0)
		a = ACTION_DESTROY;
	else if (strcmp(v, "restart") == 0)
		a = ACTION_RESTART;
	else if (!strcmp(v, "preserve") || !strcmp(v, "rename-restart") ||
		 !strncmp(v, "coredump-", 9) || !strcmp(v, "soft-reset"))
		config_error(ld, key, "%s = \"%s\" is not supported yet (use destroy or restart)",
			     key, v);
	else
		config_error(ld, key, "%s = \"%s\": expected destroy or restart", key, v);
	free(v);
	return a;
}

/* xl composes root and extra into the command line when cmdline is absent. */
static void get_cmdline(struct loader *ld)
{
	char *cmdline = get_string(ld, "cmdline");
	char *root = get_string(ld, "root");
	char *extra = get_string(ld, "extra");

	if (cmdline) {
		if (root || extra)
			fprintf(ld->err,
				"%s:%d: warning: cmdline is set, so root and extra are ignored\n",
				ld->cfg->path, key_line(ld, root ? "root" : "extra"));
		ld->cfg->cmdline = cmdline;
	} else if (root || extra) {
		size_t len = (root ? strlen(root) + 6 : 0) + (extra ? strlen(extra) : 0) + 2;

		ld->cfg->cmdline = malloc(len);
		if (ld->cfg->cmdline)
			snprintf(ld->cfg->cmdline, len, "%s%s%s%s", root ? "root=" : "",
				 root ? root : "", root && extra ? " " : "", extra ? extra : "");
	}
	free(root);
	free(extra);
}

static void get_resources(struct loader *ld, const struct host_limits *limits)
{
	long v;

	ld->cfg->memory_mib = 128; /* xl's default */
	if (get_number(ld, "memory", CONFIG_MIN_MEMORY_MIB, (long)limits->memory_mib, &v))
		ld->cfg->memory_mib = (uint64_t)v;
	ld->cfg->vcpus = 1;
	if (get_number(ld, "vcpus", 1, limits->max_vcpus, &v))
		ld->cfg->vcpus = (unsigned)v;
}

int get_list(struct loader *ld, const char *key, XLU_ConfigList **list)
{
	int count = 0, r = xlu_cfg_get_list(ld->xlu, key, list, &count, 0);

	if (r == ESRCH)
		return 0;
	if (r) {
		config_error(ld, key, "%s must be a list, e.g. %s = [ '...' ]", key, key);
		return 0;
	}
	return count;
}

static void check_image(struct loader *ld, int line, const struct disk_config *d)
{
	if (d->target && access(d->target, d->readonly ? R_OK : R_OK | W_OK))
		config_error_at(ld, line, "disk %s: cannot %s %s: %s", d->vdev,
				d->readonly ? "read" : "read and write", d->target,
				strerror(errno));
}

static void get_disks(struct loader *ld)
{
	XLU_ConfigList *list = NULL;
	int count = get_list(ld, "disk", &list);

	if (count > MAX_DISKS) {
		config_error(ld, "disk", "%d disks: at most %d are supported", count, MAX_DISKS);
		return;
	}
	ld->cfg->disks = count ? calloc((size_t)count, sizeof(*ld->cfg->disks)) : NULL;
	for (int i = 0; i < count && ld->cfg->disks; i++) {
		struct disk_config *d = &ld->cfg->disks[ld->cfg->nr_disks];
		int line = key_item_line(ld, "disk", i);
		char why[256];

		if (disk_config_parse(ld->xlu, xlu_cfg_get_listitem(list, i), d, why,
				      sizeof(why))) {
			config_error_at(ld, line, "%s", why);
			continue;
		}
		ld->disk_line[ld->cfg->nr_disks++] = line;
		check_image(ld, line, d);
		for (unsigned j = 0; j + 1 < ld->cfg->nr_disks; j++)
			if (ld->cfg->disks[j].devid == d->devid)
				config_error_at(ld, line, "two disks are both %s", d->vdev);
	}
}

static void get_nics(struct loader *ld)
{
	XLU_ConfigList *list = NULL;
	int count = get_list(ld, "vif", &list);

	if (count > MAX_NICS) {
		config_error(ld, "vif", "%d vifs: at most %d are supported", count, MAX_NICS);
		return;
	}
	ld->cfg->nics = count ? calloc((size_t)count, sizeof(*ld->cfg->nics)) : NULL;
	for (int i = 0; i < count && ld->cfg->nics; i++) {
		int line = key_item_line(ld, "vif", i);
		char why[256];

		if (nic_config_parse(xlu_cfg_get_listitem(list, i), (unsigned)i,
				     &ld->cfg->nics[ld->cfg->nr_nics], why, sizeof(why)))
			config_error_at(ld, line, "%s", why);
		else
			ld->nic_line[ld->cfg->nr_nics++] = line;
	}
}

static void load_keys(struct loader *ld, const struct host_limits *limits)
{
	struct domain_config *cfg = ld->cfg;

	warn_unknown_keys(ld);
	cfg->name = get_string(ld, "name");
	if (!cfg->name && !ld->errors)
		config_error(ld, NULL, "name is required (e.g. name = \"guest\")");
	get_type(ld);
	get_resources(ld, limits);
	cfg->kernel = get_string(ld, "kernel");
	cfg->ramdisk = get_string(ld, "ramdisk");
	load_pv_keys(ld);
	if (!cfg->kernel && cfg->type != GUEST_HVM && !ld->errors)
		config_error(ld, NULL, "kernel is required for a %s guest%s",
			     cfg->type == GUEST_PV ? "PV" : "PVH",
			     cfg->type == GUEST_PV ? " (or bootloader = \"pvgrub\" to boot the "
						     "kernel its disk's grub.cfg names)"
						   : "");
	get_cmdline(ld);
	cfg->on_poweroff = get_action(ld, "on_poweroff", ACTION_DESTROY);
	cfg->on_reboot = get_action(ld, "on_reboot", ACTION_RESTART);
	cfg->on_crash = get_action(ld, "on_crash", ACTION_DESTROY);
	get_disks(ld);
	cfg->persistent_grants = get_bool(ld, "xkvm_persistent_grants", false);
	get_nics(ld);
	load_hvm_keys(ld);
}

int domain_config_load_text(struct domain_config *cfg, const char *text, const char *path,
			    const struct host_limits *limits, FILE *err)
{
	struct loader *ld;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(path);
	ld = calloc(1, sizeof(*ld));
	if (!ld || !cfg->path) {
		free(ld);
		return -ENOMEM;
	}
	ld->cfg = cfg;
	ld->err = err;
	ld->text = text;
	ld->xlu = xlu_cfg_init(err, path);
	if (!ld->xlu) {
		free(ld);
		return -ENOMEM;
	}
	/* libxlutil reports syntax errors itself: "<file>:<line>: config parsing error near ..." */
	r = xlu_cfg_readdata(ld->xlu, text, (int)strlen(text));
	if (r) {
		r = -EINVAL;
	} else {
		ld->nr_keys = scan_keys(text, ld->keys, MAX_KEYS);
		load_keys(ld, limits);
		r = ld->errors ? -EINVAL : 0;
	}
	xlu_cfg_destroy(ld->xlu);
	free(ld);
	return r;
}

int domain_config_load(struct domain_config *cfg, const char *path, int nr_overrides,
		       char *const overrides[], const struct host_limits *limits, FILE *err)
{
	int r, e = 0;
	char *text;

	memset(cfg, 0, sizeof(*cfg));
	text = read_config_text(path, nr_overrides, overrides, err, &e);
	if (!text) {
		cfg->path = strdup(path);
		return -e;
	}
	r = domain_config_load_text(cfg, text, path, limits, err);
	free(text);
	return r;
}

void domain_config_free(struct domain_config *cfg)
{
	free(cfg->path);
	free(cfg->name);
	free(cfg->kernel);
	free(cfg->ramdisk);
	free(cfg->cmdline);
	free(cfg->pvshim_path);
	free(cfg->pvshim_cmdline);
	free(cfg->bootloader);
	free(cfg->firmware);
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		disk_config_free(&cfg->disks[i]);
	free(cfg->disks);
	for (unsigned i = 0; i < cfg->nr_nics; i++)
		nic_config_free(&cfg->nics[i]);
	free(cfg->nics);
	memset(cfg, 0, sizeof(*cfg));
}
