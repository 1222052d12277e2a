/* SPDX-License-Identifier: MIT */
/*
 * The config parser's working state, shared by the files that read groups
 * of xl.cfg keys (config.c: the common keys; config_hvm.c: the HVM ones),
 * so that every message names the file and the line of its key.
 */
#ifndef XKVM_TOOLSTACK_CONFIG_LOADER_H
#define XKVM_TOOLSTACK_CONFIG_LOADER_H

#include "toolstack/config.h"

#include <libxlutil.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A statement's key, its line, and where it starts in the text. */
struct key_use {
	char name[64];
	int line;
	size_t offset;
};

#define MAX_KEYS 256
/* Bounds on device lists (Xen's own limits are higher; these keep a typo from exhausting us). */
#define MAX_DISKS 16
#define MAX_NICS  8

struct loader {
	struct domain_config *cfg;
	XLU_Config *xlu;
	FILE *err;
	const char *text; /* what libxlutil parsed, for lines of list items */
	struct key_use keys[MAX_KEYS];
	int nr_keys;
	int errors;
	/* The line of each parsed disk and vif (cfg->disks[i], cfg->nics[i]). */
	int disk_line[MAX_DISKS];
	int nic_line[MAX_NICS];
};

/* The line of the last assignment to key (the one libxlutil uses), or 0. */
int key_line(const struct loader *ld, const char *key);
/* The line of item index of list key (its quoted strings counted), else key_line(). */
int key_item_line(const struct loader *ld, const char *key, int index);

/* "<file>:<line>: message" at key's line (key NULL: no line); counts as an error. */
__attribute__((format(printf, 3, 4))) void config_error(struct loader *ld, const char *key,
							const char *fmt, ...);
/* The same at a given line (0: none). */
__attribute__((format(printf, 3, 4))) void config_error_at(struct loader *ld, int line,
							   const char *fmt, ...);
/* "<file>:<line>: warning: message"; not an error. */
__attribute__((format(printf, 3, 4))) void config_warning(struct loader *ld, const char *key,
							  const char *fmt, ...);

/* Whether the config assigns key at all. */
bool config_has_key(const struct loader *ld, const char *key);
/* A string key; absent is NULL, a list is an error. */
char *get_string(struct loader *ld, const char *key);
/* A number key within [min, max]; false when absent or wrong (an error then). */
bool get_number(struct loader *ld, const char *key, long min, long max, long *out);
/* An xl BOOLEAN: a number, any non-zero value true; def when absent. */
bool get_bool(struct loader *ld, const char *key, bool def);
/* A list key as its items; absent is an empty list. */
int get_list(struct loader *ld, const char *key, XLU_ConfigList **list);

/* The PV keys (config_pv.c): the shim, and a bootloader that makes PV GRUB the kernel. */
void load_pv_keys(struct loader *ld);
/* The HVM keys (config_hvm.c), after the type, disks and vifs are read. */
void load_hvm_keys(struct loader *ld);

#endif
