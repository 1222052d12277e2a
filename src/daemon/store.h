/* SPDX-License-Identifier: MIT */
/*
 * xkvmd's persistent state: one SQLite database (WAL) holding the VM
 * definitions and what the daemon last knew of each VM's VMM.  Every
 * statement is prepared with bound parameters.  Not thread-safe by itself:
 * the daemon calls it under its lock.
 */
#ifndef XKVM_DAEMON_STORE_H
#define XKVM_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define UUID_LEN 36

enum power_state { POWER_HALTED, POWER_RUNNING, POWER_PAUSED, POWER_SUSPENDED };

const char *power_state_name(enum power_state s);
/* Returns 0 and *out, or -EINVAL for a name not in the schema. */
int power_state_parse(const char *name, enum power_state *out);

/* Limits on what the store accepts (and on what it hands back from the file). */
#define STORE_NAME_MAX	      64
#define STORE_DESCRIPTION_MAX 1024
#define STORE_TAGS_MAX	      8192 /* the JSON text */
#define STORE_CONFIG_MAX      (1 << 20)

struct vm_row {
	char uuid[UUID_LEN + 1];
	char *name;
	char *description;
	char *tags; /* a JSON array of strings, as text */
	bool auto_poweron;
	char *config_text;
	char *mode; /* pvh, hvm, pv, pv_in_pvh */
	int64_t created;
	enum power_state power_state;
	/* Set while a VMM runs (0 = none). */
	int64_t pid;
	uint64_t pid_starttime;
	int64_t start_time;
	int64_t domid;
	bool has_last_exit;
	int64_t last_exit_code;
	char *last_exit_reason;
	int64_t last_exit_time;
};

void vm_row_free(struct vm_row *row);
void vm_rows_free(struct vm_row *rows, size_t n);

/* path may be ":memory:".  Creates or migrates the schema.  Returns 0 or -errno. */
int store_open(struct store **out, const char *path);
void store_close(struct store *st);
/* The schema version of an open store (the latest this build knows after a migration). */
int store_schema_version(struct store *st);
/* The latest schema version this build knows. */
int store_schema_latest(void);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* No control characters (a one-line string). */
bool store_printable(const char *s);
/* 8-4-4-4-12 hex digits. */
bool store_uuid_shaped(const char *s);
/* 1 to STORE_NAME_MAX printable characters, no '/', not shaped like a uuid. */
bool store_name_valid(const char *name);

/* Insert a new VM.  -EEXIST when the uuid or the name is taken. */
int store_vm_insert(struct store *st, const struct vm_row *row);
/* By uuid.  -ENOENT when absent. */
int store_vm_get(struct store *st, const char *uuid, struct vm_row *out);
/* By uuid, else by name.  -ENOENT when neither matches. */
int store_vm_find(struct store *st, const char *id, struct vm_row *out);
/* True when a VM has this name. */
bool store_vm_name_taken(struct store *st, const char *name);
/* Every VM, ordered by name.  *rows is NULL when n is 0. */
int store_vm_list(struct store *st, struct vm_row **rows, size_t *n);
/* The user-editable fields: NULL / negative leave a field unchanged. */
int store_vm_update_meta(struct store *st, const char *uuid, const char *description,
			 const char *tags, int auto_poweron);
/* A VMM was started: its identity and the displayed state. */
int store_vm_set_running(struct store *st, const char *uuid, enum power_state state, int64_t pid,
			 uint64_t pid_starttime, int64_t start_time, int64_t domid);
int store_vm_set_power(struct store *st, const char *uuid, enum power_state state);
/* The VMM ended: Halted, the run fields cleared, the exit recorded. */
int store_vm_set_halted(struct store *st, const char *uuid, int64_t code, const char *reason,
			int64_t when);
int store_vm_delete(struct store *st, const char *uuid);

#endif
