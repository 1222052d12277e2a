/* SPDX-License-Identifier: MIT */
#include "daemon/store.h"
#include "lib/log.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct store {
	sqlite3 *db;
};

/*
 * Schema migrations, in order: migrations[i] takes the schema from version
 * i to i + 1.  Append only; never edit a released step.
 */
static const char *const migrations[] = {
    "CREATE TABLE vms ("
    " uuid TEXT PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL DEFAULT '',"
    " tags TEXT NOT NULL DEFAULT '[]',"
    " auto_poweron INTEGER NOT NULL DEFAULT 0,"
    " config_text TEXT NOT NULL,"
    " mode TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " power_state TEXT NOT NULL DEFAULT 'Halted'"
    "  CHECK (power_state IN ('Halted', 'Running', 'Paused', 'Suspended')),"
    " pid INTEGER, pid_starttime INTEGER, start_time INTEGER, domid INTEGER,"
    " last_exit_code INTEGER, last_exit_reason TEXT, last_exit_time INTEGER);",
};

static const char *const power_names[] = {"Halted", "Running", "Paused", "Suspended"};

const char *power_state_name(enum power_state s)
{
	return (unsigned)s < ARRAY_SIZE(power_names) ? power_names[s] : "Halted";
}

int power_state_parse(const char *name, enum power_state *out)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(power_names); i++) {
		if (strcmp(name, power_names[i]) == 0) {
			*out = (enum power_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

int store_schema_latest(void)
{
	return (int)ARRAY_SIZE(migrations);
}

static int db_error(struct store *st, const char *what)
{
	pr_err("database: %s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

static int exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		pr_err("database: %s: %s", sql, msg ? msg : "error");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		return NULL;
	}
	return stmt;
}

/* Bind text; SQLITE_TRANSIENT makes SQLite copy it, so callers keep ownership. */
static int bind_text(sqlite3_stmt *stmt, int idx, const char *v)
{
	return v ? sqlite3_bind_text(stmt, idx, v, -1, SQLITE_TRANSIENT)
		 : sqlite3_bind_null(stmt, idx);
}

/* Run a statement that returns no rows; -EEXIST on a constraint violation. */
static int step_done(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	int ret = 0;

	if (rc == SQLITE_CONSTRAINT)
		ret = -EEXIST;
	else if (rc != SQLITE_DONE)
		ret = db_error(st, "step");
	sqlite3_finalize(stmt);
	return ret;
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt = prepare(st, "SELECT version FROM schema_version");
	int v = 0;

	if (!stmt)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static int set_version(struct store *st, int version)
{
	sqlite3_stmt *stmt = prepare(st, "UPDATE schema_version SET version = ?");

	if (!stmt)
		return -EIO;
	sqlite3_bind_int(stmt, 1, version);
	return step_done(st, stmt);
}

/* Bring the schema to the latest version, one step per transaction. */
static int migrate(struct store *st)
{
	int v, r;

	r = exec_sql(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
			 "INSERT INTO schema_version SELECT 0"
			 " WHERE NOT EXISTS (SELECT 1 FROM schema_version);");
	if (r)
		return r;
	v = store_schema_version(st);
	if (v < 0 || v > store_schema_latest()) {
		pr_err("database: schema version %d is newer than this xkvmd knows (%d)", v,
		       store_schema_latest());
		return -EPROTO;
	}
	for (; v < store_schema_latest(); v++) {
		r = store_begin(st);
		if (!r)
			r = exec_sql(st, migrations[v]);
		if (!r)
			r = set_version(st, v + 1);
		if (!r)
			r = store_commit(st);
		if (r) {
			store_rollback(st);
			return r;
		}
	}
	return 0;
}

/*
 * Exclusive locking before WAL: SQLite then keeps the WAL index in heap
 * memory instead of a shared mapping, which 9p cannot provide; one daemon
 * per host owns the database anyway.
 */
static int configure(struct store *st)
{
	sqlite3_busy_timeout(st->db, 5000);
	return exec_sql(st, "PRAGMA locking_mode=EXCLUSIVE;"
			    "PRAGMA journal_mode=WAL;"
			    "PRAGMA synchronous=FULL;");
}

int store_open(struct store **out, const char *path)
{
	struct store *st = calloc(1, sizeof(*st));
	int r;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		pr_err("database '%s': %s", path, st->db ? sqlite3_errmsg(st->db) : "no memory");
		sqlite3_close(st->db);
		free(st);
		return -EIO;
	}
	r = configure(st);
	if (!r)
		r = migrate(st);
	if (r) {
		store_close(st);
		return r;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

int store_begin(struct store *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return exec_sql(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec_sql(st, "ROLLBACK");
}

void vm_row_free(struct vm_row *row)
{
	free(row->name);
	free(row->description);
	free(row->tags);
	free(row->config_text);
	free(row->mode);
	free(row->last_exit_reason);
	memset(row, 0, sizeof(*row));
}

void vm_rows_free(struct vm_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_row_free(&rows[i]);
	free(rows);
}

#define VM_COLUMNS                                                                                 \
	"uuid, name, description, tags, auto_poweron, config_text, mode, created, power_state,"    \
	" pid, pid_starttime, start_time, domid, last_exit_code, last_exit_reason,"                \
	" last_exit_time"

/* A text column as a new string, NULL when absent or longer than max. */
static char *column_text(sqlite3_stmt *stmt, int col, size_t max, bool *bad)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	int len = sqlite3_column_bytes(stmt, col);

	if (!t)
		return NULL;
	if (len < 0 || (size_t)len > max || strlen((const char *)t) != (size_t)len) {
		*bad = true;
		return NULL;
	}
	return strdup((const char *)t);
}

static int64_t column_int(sqlite3_stmt *stmt, int col)
{
	return sqlite3_column_type(stmt, col) == SQLITE_NULL ? 0 : sqlite3_column_int64(stmt, col);
}

/* One row into out; the file is data like any other, so each field is checked. */
bool store_uuid_shaped(const char *s)
{
	if (strlen(s) != UUID_LEN)
		return false;
	for (int i = 0; i < UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool store_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

bool store_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	return len >= 1 && len <= STORE_NAME_MAX && store_printable(name) && !strchr(name, '/') &&
	       !store_uuid_shaped(name);
}

static int read_row(sqlite3_stmt *stmt, struct vm_row *out)
{
	const unsigned char *uuid = sqlite3_column_text(stmt, 0);
	char *state;
	bool bad = false;

	memset(out, 0, sizeof(*out));
	/* The uuid and name end up in paths: a tampered database must not redirect them. */
	if (!uuid || !store_uuid_shaped((const char *)uuid))
		return -EBADMSG;
	memcpy(out->uuid, uuid, UUID_LEN + 1);
	out->name = column_text(stmt, 1, STORE_NAME_MAX, &bad);
	out->description = column_text(stmt, 2, STORE_DESCRIPTION_MAX, &bad);
	out->tags = column_text(stmt, 3, STORE_TAGS_MAX, &bad);
	out->auto_poweron = sqlite3_column_int(stmt, 4) != 0;
	out->config_text = column_text(stmt, 5, STORE_CONFIG_MAX, &bad);
	out->mode = column_text(stmt, 6, 16, &bad);
	out->created = column_int(stmt, 7);
	state = column_text(stmt, 8, 16, &bad);
	if (power_state_parse(state, &out->power_state))
		bad = true;
	free(state);
	out->pid = column_int(stmt, 9);
	out->pid_starttime = (uint64_t)column_int(stmt, 10);
	out->start_time = column_int(stmt, 11);
	out->domid = column_int(stmt, 12);
	out->has_last_exit = sqlite3_column_type(stmt, 13) != SQLITE_NULL;
	out->last_exit_code = column_int(stmt, 13);
	out->last_exit_reason = column_text(stmt, 14, 16, &bad);
	out->last_exit_time = column_int(stmt, 15);
	if (bad || !out->name || !store_name_valid(out->name) || !out->config_text || !out->mode ||
	    !out->description || !out->tags) {
		pr_warn("database: VM %s has a malformed row", out->uuid);
		vm_row_free(out);
		return -EBADMSG;
	}
	return 0;
}

static int get_one(struct store *st, const char *sql, const char *key, struct vm_row *out)
{
	sqlite3_stmt *stmt = prepare(st, sql);
	int rc, r = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		r = read_row(stmt, out);
	else if (rc != SQLITE_DONE)
		r = db_error(st, "select");
	sqlite3_finalize(stmt);
	return r;
}

int store_vm_get(struct store *st, const char *uuid, struct vm_row *out)
{
	return get_one(st, "SELECT " VM_COLUMNS " FROM vms WHERE uuid = ?", uuid, out);
}

int store_vm_find(struct store *st, const char *id, struct vm_row *out)
{
	int r = store_vm_get(st, id, out);

	if (r == -ENOENT)
		r = get_one(st, "SELECT " VM_COLUMNS " FROM vms WHERE name = ?", id, out);
	return r;
}

bool store_vm_name_taken(struct store *st, const char *name)
{
	sqlite3_stmt *stmt = prepare(st, "SELECT 1 FROM vms WHERE name = ?");
	bool taken;

	if (!stmt)
		return true;
	bind_text(stmt, 1, name);
	taken = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return taken;
}

int store_vm_list(struct store *st, struct vm_row **rows, size_t *n)
{
	sqlite3_stmt *stmt = prepare(st, "SELECT " VM_COLUMNS " FROM vms ORDER BY name, uuid");
	struct vm_row *v = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (!stmt)
		return -EIO;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct vm_row *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				sqlite3_finalize(stmt);
				vm_rows_free(v, count);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		/* A malformed row is skipped (and logged), not fatal to the listing. */
		if (read_row(stmt, &v[count]) == 0)
			count++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		vm_rows_free(v, count);
		return db_error(st, "list");
	}
	*rows = v;
	*n = count;
	return 0;
}

int store_vm_insert(struct store *st, const struct vm_row *row)
{
	sqlite3_stmt *stmt = prepare(st, "INSERT INTO vms (uuid, name, description, tags,"
					 " auto_poweron, config_text, mode, created, power_state)"
					 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Halted')");

	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, row->uuid);
	bind_text(stmt, 2, row->name);
	bind_text(stmt, 3, row->description ? row->description : "");
	bind_text(stmt, 4, row->tags ? row->tags : "[]");
	sqlite3_bind_int(stmt, 5, row->auto_poweron);
	bind_text(stmt, 6, row->config_text);
	bind_text(stmt, 7, row->mode);
	sqlite3_bind_int64(stmt, 8, row->created);
	return step_done(st, stmt);
}

/* -ENOENT when a statement on one VM touched no row. */
static int step_one(struct store *st, sqlite3_stmt *stmt)
{
	int r = step_done(st, stmt);

	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

int store_vm_update_meta(struct store *st, const char *uuid, const char *description,
			 const char *tags, int auto_poweron)
{
	sqlite3_stmt *stmt =
	    prepare(st, "UPDATE vms SET description = COALESCE(?, description),"
			" tags = COALESCE(?, tags),"
			" auto_poweron = CASE WHEN ? < 0 THEN auto_poweron ELSE ? END"
			" WHERE uuid = ?");

	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, description);
	bind_text(stmt, 2, tags);
	sqlite3_bind_int(stmt, 3, auto_poweron);
	sqlite3_bind_int(stmt, 4, auto_poweron > 0);
	bind_text(stmt, 5, uuid);
	return step_one(st, stmt);
}

int store_vm_set_running(struct store *st, const char *uuid, enum power_state state, int64_t pid,
			 uint64_t pid_starttime, int64_t start_time, int64_t domid)
{
	sqlite3_stmt *stmt = prepare(st, "UPDATE vms SET power_state = ?, pid = ?,"
					 " pid_starttime = ?, start_time = ?, domid = ?"
					 " WHERE uuid = ?");

	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, power_state_name(state));
	sqlite3_bind_int64(stmt, 2, pid);
	sqlite3_bind_int64(stmt, 3, (int64_t)pid_starttime);
	sqlite3_bind_int64(stmt, 4, start_time);
	sqlite3_bind_int64(stmt, 5, domid);
	bind_text(stmt, 6, uuid);
	return step_one(st, stmt);
}

int store_vm_set_power(struct store *st, const char *uuid, enum power_state state)
{
	sqlite3_stmt *stmt = prepare(st, "UPDATE vms SET power_state = ? WHERE uuid = ?");

	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, power_state_name(state));
	bind_text(stmt, 2, uuid);
	return step_one(st, stmt);
}

int store_vm_set_halted(struct store *st, const char *uuid, int64_t code, const char *reason,
			int64_t when)
{
	sqlite3_stmt *stmt =
	    prepare(st, "UPDATE vms SET power_state = 'Halted', pid = NULL,"
			" pid_starttime = NULL, start_time = NULL, domid = NULL,"
			" last_exit_code = ?, last_exit_reason = ?, last_exit_time = ?"
			" WHERE uuid = ?");

	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, code);
	bind_text(stmt, 2, reason);
	sqlite3_bind_int64(stmt, 3, when);
	bind_text(stmt, 4, uuid);
	return step_one(st, stmt);
}

int store_vm_delete(struct store *st, const char *uuid)
{
	sqlite3_stmt *stmt = prepare(st, "DELETE FROM vms WHERE uuid = ?");

	if (!stmt)
		return -EIO;
	bind_text(stmt, 1, uuid);
	return step_one(st, stmt);
}
