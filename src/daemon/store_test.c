/* SPDX-License-Identifier: MIT */
#include "daemon/store.h"
#include "lib/test.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char uuid1[] = "11111111-2222-4333-8444-555555555555";
static const char uuid2[] = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

static struct vm_row row(const char *uuid, const char *name)
{
	struct vm_row r = {0};

	memcpy(r.uuid, uuid, UUID_LEN + 1);
	r.name = (char *)name;
	r.config_text = (char *)"name='x'\n";
	r.mode = (char *)"pvh";
	r.created = 1790000000;
	return r;
}

/* A temporary database file, removed (with its WAL) by drop(). */
static void temp_db(char path[64])
{
	int fd;

	snprintf(path, 64, "/tmp/xkvmd-store-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
}

static void drop(const char *path)
{
	char p[96];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void test_create_and_get(void **state)
{
	struct vm_row a = row(uuid1, "web1"), got;
	struct store *st;

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_int_equal(store_vm_get(st, uuid1, &got), 0);
	assert_string_equal(got.name, "web1");
	assert_string_equal(got.description, "");
	assert_string_equal(got.tags, "[]");
	assert_string_equal(got.mode, "pvh");
	assert_int_equal(got.power_state, POWER_HALTED);
	assert_false(got.has_last_exit);
	vm_row_free(&got);
	/* By name too; unknown ids are -ENOENT. */
	assert_int_equal(store_vm_find(st, "web1", &got), 0);
	assert_string_equal(got.uuid, uuid1);
	vm_row_free(&got);
	assert_int_equal(store_vm_find(st, "nope", &got), -ENOENT);
	assert_int_equal(store_vm_get(st, uuid2, &got), -ENOENT);
	store_close(st);
}

static void test_duplicates_refused(void **state)
{
	struct vm_row a = row(uuid1, "web1"), b = row(uuid2, "web1"), c = row(uuid1, "other");
	struct store *st;

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_true(store_vm_name_taken(st, "web1"));
	assert_false(store_vm_name_taken(st, "web2"));
	assert_int_equal(store_vm_insert(st, &b), -EEXIST);
	assert_int_equal(store_vm_insert(st, &c), -EEXIST);
	store_close(st);
}

static void test_updates(void **state)
{
	struct vm_row a = row(uuid1, "web1"), got;
	struct store *st;

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_int_equal(store_vm_update_meta(st, uuid1, "desc", "[\"a\"]", 1), 0);
	/* NULL and -1 leave fields alone. */
	assert_int_equal(store_vm_update_meta(st, uuid1, NULL, NULL, -1), 0);
	assert_int_equal(store_vm_set_running(st, uuid1, POWER_RUNNING, 1234, 99, 1790000001, 3),
			 0);
	assert_int_equal(store_vm_get(st, uuid1, &got), 0);
	assert_string_equal(got.description, "desc");
	assert_string_equal(got.tags, "[\"a\"]");
	assert_true(got.auto_poweron);
	assert_int_equal(got.power_state, POWER_RUNNING);
	assert_int_equal(got.pid, 1234);
	assert_int_equal(got.pid_starttime, 99);
	assert_int_equal(got.domid, 3);
	vm_row_free(&got);
	assert_int_equal(store_vm_set_power(st, uuid1, POWER_PAUSED), 0);
	assert_int_equal(store_vm_set_halted(st, uuid1, 3, "crash", 1790000100), 0);
	assert_int_equal(store_vm_get(st, uuid1, &got), 0);
	assert_int_equal(got.power_state, POWER_HALTED);
	assert_int_equal(got.pid, 0);
	assert_int_equal(got.domid, 0);
	assert_true(got.has_last_exit);
	assert_int_equal(got.last_exit_code, 3);
	assert_string_equal(got.last_exit_reason, "crash");
	vm_row_free(&got);
	assert_int_equal(store_vm_update_meta(st, uuid2, "x", NULL, -1), -ENOENT);
	assert_int_equal(store_vm_delete(st, uuid1), 0);
	assert_int_equal(store_vm_delete(st, uuid1), -ENOENT);
	store_close(st);
}

static void test_list_ordered_by_name(void **state)
{
	struct vm_row a = row(uuid1, "zeta"), b = row(uuid2, "alpha"), *rows;
	struct store *st;
	size_t n;

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(store_vm_list(st, &rows, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_int_equal(store_vm_insert(st, &b), 0);
	assert_int_equal(store_vm_list(st, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].name, "alpha");
	assert_string_equal(rows[1].name, "zeta");
	vm_rows_free(rows, n);
	store_close(st);
}

static void test_transaction_rollback(void **state)
{
	struct vm_row a = row(uuid1, "web1"), got;
	struct store *st;

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	store_rollback(st);
	assert_int_equal(store_vm_get(st, uuid1, &got), -ENOENT);
	store_close(st);
}

static void test_reopen_keeps_rows(void **state)
{
	struct vm_row a = row(uuid1, "web1"), got;
	struct store *st;
	char path[64];

	(void)state;
	temp_db(path);
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_int_equal(store_vm_set_running(st, uuid1, POWER_RUNNING, 42, 7, 1, 1), 0);
	store_close(st);
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_vm_get(st, uuid1, &got), 0);
	assert_string_equal(got.name, "web1");
	assert_int_equal(got.power_state, POWER_RUNNING);
	assert_int_equal(got.pid, 42);
	vm_row_free(&got);
	store_close(st);
	drop(path);
}

/* An empty file and a database made before schema_version existed both migrate. */
static void test_migration_from_empty(void **state)
{
	struct store *st;
	sqlite3 *db;
	char path[64];

	(void)state;
	temp_db(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE unrelated (x INTEGER)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	store_close(st);
	/* Opening again applies nothing twice. */
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	store_close(st);
	drop(path);
}

static void test_newer_schema_refused(void **state)
{
	struct store *st;
	sqlite3 *db;
	char path[64];

	(void)state;
	temp_db(path);
	assert_int_equal(store_open(&st, path), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 999", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&st, path), -EPROTO);
	drop(path);
}

/* Rows edited behind the daemon's back are data like any other. */
static void test_malformed_row_skipped(void **state)
{
	struct vm_row a = row(uuid1, "web1"), b = row(uuid2, "web2"), *rows, got;
	struct store *st;
	sqlite3 *db;
	char path[64];
	size_t n;

	(void)state;
	temp_db(path);
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_vm_insert(st, &a), 0);
	assert_int_equal(store_vm_insert(st, &b), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE vms SET name = printf('%.*c', 100, 'x')"
				      " WHERE name = 'web2'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_vm_list(st, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].name, "web1");
	vm_rows_free(rows, n);
	assert_int_equal(store_vm_get(st, uuid2, &got), -EBADMSG);
	store_close(st);
	drop(path);
}

static void test_power_state_names(void **state)
{
	enum power_state s;

	(void)state;
	assert_string_equal(power_state_name(POWER_RUNNING), "Running");
	assert_int_equal(power_state_parse("Paused", &s), 0);
	assert_int_equal(s, POWER_PAUSED);
	assert_int_equal(power_state_parse("paused", &s), -EINVAL);
	assert_int_equal(power_state_parse(NULL, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_and_get),
	    cmocka_unit_test(test_duplicates_refused),
	    cmocka_unit_test(test_updates),
	    cmocka_unit_test(test_list_ordered_by_name),
	    cmocka_unit_test(test_transaction_rollback),
	    cmocka_unit_test(test_reopen_keeps_rows),
	    cmocka_unit_test(test_migration_from_empty),
	    cmocka_unit_test(test_newer_schema_refused),
	    cmocka_unit_test(test_malformed_row_skipped),
	    cmocka_unit_test(test_power_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
