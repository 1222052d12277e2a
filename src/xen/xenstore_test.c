/* SPDX-License-Identifier: MIT */
#include "xen/xenstore.h"
#include "xen/xs_ring.h"
#include "xen/xs_socket.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define GUEST 5
#define OTHER 6

struct reply {
	struct xsd_sockmsg hdr;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

static struct xs_store *new_store(void)
{
	struct xs_quota q = {.max_nodes = 50,
			     .max_watches = 4,
			     .max_transactions = 2,
			     .max_value_len = 100,
			     .max_output_msgs = 64};
	struct xs_store *s = xs_store_new(&q);

	assert_non_null(s);
	return s;
}

/* A store with /local/domain/5 owned by domain 5, as the toolstack makes it. */
static struct xs_store *guest_store(void)
{
	static const char *const perms[] = {"n5"};
	struct xs_store *s = new_store();

	assert_int_equal(xs_mkdir(s, "/local/domain/5"), 0);
	assert_int_equal(xs_set_perms(s, "/local/domain/5", perms, 1), 0);
	return s;
}

static void send_raw(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		     const void *payload, size_t len)
{
	uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	assert_int_equal(xs_conn_feed(c, buf, sizeof(hdr) + len), 0);
}

static bool take_reply(struct xs_conn *c, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	if (!xs_conn_has_output(c))
		return false;
	assert_int_equal(xs_conn_take_output(c, &r->hdr, sizeof(r->hdr)), sizeof(r->hdr));
	assert_true(r->hdr.len <= XENSTORE_PAYLOAD_MAX);
	assert_int_equal(xs_conn_take_output(c, r->body, r->hdr.len), r->hdr.len);
	return true;
}

/* Send one request and return its reply; payload is given as raw bytes. */
static struct reply *call_raw(struct xs_conn *c, uint32_t type, uint32_t tx, const void *payload,
			      size_t len)
{
	static struct reply r;

	send_raw(c, type, 77, tx, payload, len);
	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.req_id, 77);
	assert_int_equal(r.hdr.tx_id, tx);
	return &r;
}

/* Payload of NUL-terminated strings a, b (b may be NULL). */
static struct reply *call(struct xs_conn *c, uint32_t type, uint32_t tx, const char *a,
			  const char *b)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

	memcpy(buf, a, la);
	if (b)
		memcpy(buf + la, b, lb);
	return call_raw(c, type, tx, buf, la + lb);
}

static struct reply *call_write(struct xs_conn *c, uint32_t tx, const char *path, const char *val)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	size_t lp = strlen(path) + 1, lv = strlen(val);

	memcpy(buf, path, lp);
	memcpy(buf + lp, val, lv + 1); /* the NUL is not sent */
	return call_raw(c, XS_WRITE, tx, buf, lp + lv);
}

static void assert_ok(const struct reply *r, uint32_t type)
{
	if (r->hdr.type == XS_ERROR)
		fail_msg("got error %s", r->body);
	assert_int_equal(r->hdr.type, type);
	assert_int_equal(r->hdr.len, 3);
	assert_memory_equal(r->body, "OK", 3);
}

static void assert_error(const struct reply *r, const char *name)
{
	assert_int_equal(r->hdr.type, XS_ERROR);
	assert_int_equal(r->hdr.len, strlen(name) + 1);
	assert_string_equal(r->body, name);
}

static void assert_value(const struct reply *r, const char *value)
{
	if (r->hdr.type == XS_ERROR)
		fail_msg("got error %s", r->body);
	assert_int_equal(r->hdr.type, XS_READ);
	assert_int_equal(r->hdr.len, strlen(value));
	assert_memory_equal(r->body, value, strlen(value));
}

static void assert_event(struct xs_conn *c, const char *path, const char *token)
{
	struct reply r;

	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.type, XS_WATCH_EVENT);
	assert_int_equal(r.hdr.req_id, 0);
	assert_int_equal(r.hdr.len, strlen(path) + strlen(token) + 2);
	assert_string_equal(r.body, path);
	assert_string_equal(r.body + strlen(path) + 1, token);
}

static int notified;

static void count_notify(void *opaque)
{
	(void)opaque;
	notified++;
}

/* ---- Store API ---- */

static void test_api_write_read_rm(void **state)
{
	struct xs_store *s = new_store();
	uint64_t v = 0;
	char *val;

	(void)state;
	assert_int_equal(xs_write(s, "/a/b/c", "hello"), 0);
	val = xs_read(s, "/a/b/c");
	assert_string_equal(val, "hello");
	free(val);
	val = xs_read(s, "/a/b");
	assert_string_equal(val, "");
	free(val);
	assert_int_equal(xs_printf(s, "/a/n", "%d", 1234), 0);
	assert_int_equal(xs_read_u64(s, "/a/n", &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(xs_read_u64(s, "/a/b/c", &v), -EINVAL);
	assert_int_equal(xs_read_u64(s, "/a/none", &v), -ENOENT);
	assert_int_equal(xs_mkdir(s, "/a/d"), 0);
	assert_int_equal(xs_mkdir(s, "/a/d"), 0);
	assert_int_equal(xs_rm(s, "/a/b"), 0);
	assert_null(xs_read(s, "/a/b/c"));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(xs_rm(s, "/a/b"), 0);	     /* gone, parent exists: fine */
	assert_int_equal(xs_rm(s, "/x/y"), -ENOENT); /* parent missing */
	assert_int_equal(xs_write(s, "/bad//p", "x"), -EINVAL);
	assert_int_equal(xs_write(s, "/bad/", "x"), -EINVAL);
	assert_int_equal(xs_write(s, "/b a", "x"), -EINVAL);
	assert_int_equal(xs_rm(s, "/"), -EINVAL);
	val = xs_read(s, "/local/domain");
	assert_non_null(val);
	free(val);
	xs_store_free(s);
}

/* ---- Protocol basics ---- */

static void test_proto_write_read_dir_rm(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	static const char bin[] = {'a', 0, 'b'};
	struct reply *r;

	(void)state;
	assert_ok(call_write(c, 0, "/a/b", "hello"), XS_WRITE);
	assert_value(call(c, XS_READ, 0, "/a/b", NULL), "hello");
	assert_ok(call_write(c, 0, "/a/c", ""), XS_WRITE);
	r = call(c, XS_DIRECTORY, 0, "/a", NULL);
	assert_int_equal(r->hdr.type, XS_DIRECTORY);
	assert_int_equal(r->hdr.len, 4);
	assert_memory_equal(r->body, "b\0c\0", 4);
	r = call(c, XS_DIRECTORY, 0, "/a/b", NULL);
	assert_int_equal(r->hdr.type, XS_DIRECTORY);
	assert_int_equal(r->hdr.len, 0);

	/* Values are bytes, NULs included. */
	{
		char buf[16] = "/a/bin";

		memcpy(buf + 7, bin, sizeof(bin));
		assert_ok(call_raw(c, XS_WRITE, 0, buf, 7 + sizeof(bin)), XS_WRITE);
		r = call(c, XS_READ, 0, "/a/bin", NULL);
		assert_int_equal(r->hdr.len, 3);
		assert_memory_equal(r->body, bin, 3);
	}

	r = call(c, XS_GET_PERMS, 0, "/a/b", NULL);
	assert_int_equal(r->hdr.type, XS_GET_PERMS);
	assert_int_equal(r->hdr.len, 3);
	assert_memory_equal(r->body, "n0\0", 3);

	assert_ok(call(c, XS_MKDIR, 0, "/m/n", NULL), XS_MKDIR);
	assert_value(call(c, XS_READ, 0, "/m/n", NULL), "");
	assert_ok(call(c, XS_RM, 0, "/a", NULL), XS_RM);
	assert_error(call(c, XS_READ, 0, "/a/b", NULL), "ENOENT");
	assert_ok(call(c, XS_RM, 0, "/a", NULL), XS_RM);
	assert_error(call(c, XS_RM, 0, "/a/b", NULL), "ENOENT");
	assert_error(call(c, XS_RM, 0, "/", NULL), "EINVAL");
	assert_false(xs_conn_has_output(c));
	xs_conn_free(c);
	xs_store_free(s);
}

static void test_proto_misc_requests(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *d0 = xs_conn_new(s, XS_DOM0, NULL, NULL);
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	struct reply *r;

	(void)state;
	r = call(g, XS_GET_DOMAIN_PATH, 0, "7", NULL);
	assert_int_equal(r->hdr.type, XS_GET_DOMAIN_PATH);
	assert_int_equal(r->hdr.len, strlen("/local/domain/7") + 1);
	assert_string_equal(r->body, "/local/domain/7");
	assert_error(call(g, XS_GET_DOMAIN_PATH, 0, "x7", NULL), "EINVAL");
	r = call(g, XS_IS_DOMAIN_INTRODUCED, 0, "5", NULL);
	assert_int_equal(r->hdr.type, XS_IS_DOMAIN_INTRODUCED);
	assert_memory_equal(r->body, "T", 2);
	assert_error(call(g, XS_INTRODUCE, 0, "9", "1"), "EACCES");
	assert_error(call(g, XS_RELEASE, 0, "9", NULL), "EACCES");
	assert_error(call(g, XS_SET_TARGET, 0, "9", "1"), "EACCES");
	assert_error(call(g, XS_CONTROL, 0, "print", NULL), "EACCES");
	assert_ok(call(d0, XS_INTRODUCE, 0, "9", "1"), XS_INTRODUCE);
	assert_ok(call(d0, XS_RELEASE, 0, "9", NULL), XS_RELEASE);
	assert_ok(call(d0, XS_RESUME, 0, "9", NULL), XS_RESUME);
	assert_ok(call(d0, XS_SET_TARGET, 0, "9", "1"), XS_SET_TARGET);
	assert_error(call(d0, XS_CONTROL, 0, "print", NULL), "ENOSYS");
	xs_conn_free(g);
	xs_conn_free(d0);
	xs_store_free(s);
}

/* ---- Permissions ---- */

static void test_perms(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	struct xs_conn *o = xs_conn_new(s, OTHER, NULL, NULL);
	struct xs_conn *d0 = xs_conn_new(s, XS_DOM0, NULL, NULL);
	struct reply *r;
	char buf[64];

	(void)state;
	/* The owner writes relative to its home; the new node inherits "n5". */
	assert_ok(call_write(g, 0, "data/x", "v"), XS_WRITE);
	r = call(g, XS_GET_PERMS, 0, "data/x", NULL);
	assert_int_equal(r->hdr.len, 3);
	assert_memory_equal(r->body, "n5\0", 3);
	assert_value(call(g, XS_READ, 0, "/local/domain/5/data/x", NULL), "v");

	/* Another guest may neither read, nor learn what does not exist. */
	assert_error(call(o, XS_READ, 0, "/local/domain/5/data/x", NULL), "EACCES");
	assert_error(call(o, XS_READ, 0, "/local/domain/5/nope", NULL), "EACCES");
	assert_error(call_write(o, 0, "/local/domain/5/data/x", "w"), "EACCES");
	assert_error(call(o, XS_DIRECTORY, 0, "/local/domain/5", NULL), "EACCES");
	assert_error(call_write(g, 0, "/top", "x"), "EACCES");
	assert_error(call(g, XS_READ, 0, "/local/domain/6/x", NULL), "EACCES");

	/* Grant read to 6: it reads but still cannot write. */
	memcpy(buf, "data/x\0n5\0r6", 13);
	assert_ok(call_raw(g, XS_SET_PERMS, 0, buf, 13), XS_SET_PERMS);
	assert_value(call(o, XS_READ, 0, "/local/domain/5/data/x", NULL), "v");
	assert_error(call_write(o, 0, "/local/domain/5/data/x", "w"), "EACCES");
	r = call(o, XS_GET_PERMS, 0, "/local/domain/5/data/x", NULL);
	assert_int_equal(r->hdr.len, 6);
	assert_memory_equal(r->body, "n5\0r6\0", 6);
	/* Only the owner may set perms, and a guest may not give a node away. */
	assert_error(call(o, XS_SET_PERMS, 0, "/local/domain/5/data/x", "b6"), "EACCES");
	assert_error(call(g, XS_SET_PERMS, 0, "data/x", "n6"), "EPERM");
	assert_error(call(g, XS_SET_PERMS, 0, "data/x", "q5"), "EINVAL");
	assert_error(call(g, XS_SET_PERMS, 0, "data/x", "r99999"), "EINVAL");
	assert_error(call(g, XS_SET_PERMS, 0, "data/x", NULL), "EINVAL");

	/* Domain 0 bypasses everything; what it creates keeps the inherited owner. */
	assert_value(call(d0, XS_READ, 0, "/local/domain/5/data/x", NULL), "v");
	assert_ok(call_write(d0, 0, "/local/domain/5/dev/y", "z"), XS_WRITE);
	r = call(d0, XS_GET_PERMS, 0, "/local/domain/5/dev/y", NULL);
	assert_memory_equal(r->body, "n5\0", 3);
	/* ... so the guest, as owner, can remove it. */
	assert_ok(call(g, XS_RM, 0, "dev", NULL), XS_RM);
	assert_int_equal(xs_set_perms(s, "/local/domain/5", (const char *const[]){"n0", "r5"}, 2),
			 0);
	assert_error(call_write(g, 0, "new", "x"), "EACCES");
	assert_value(call(g, XS_READ, 0, "data/x", NULL), "v");

	xs_conn_free(d0);
	xs_conn_free(o);
	xs_conn_free(g);
	xs_store_free(s);
}

/* ---- Transactions ---- */

static uint32_t tx_start(struct xs_conn *c)
{
	struct reply *r = call(c, XS_TRANSACTION_START, 0, "", NULL);
	unsigned long id;
	char *end;

	assert_int_equal(r->hdr.type, XS_TRANSACTION_START);
	assert_int_equal(r->body[r->hdr.len - 1], '\0');
	id = strtoul(r->body, &end, 10);
	assert_ptr_equal(end, r->body + r->hdr.len - 1);
	assert_true(id > 0 && id <= UINT32_MAX);
	return (uint32_t)id;
}

static void test_tx_commit_and_isolation(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	struct reply *r;
	uint32_t tx;
	char *v;

	(void)state;
	assert_int_equal(xs_write(s, "/t/old", "1"), 0);
	tx = tx_start(c);
	assert_ok(call_write(c, tx, "/t/new/deep", "2"), XS_WRITE);
	assert_ok(call(c, XS_RM, tx, "/t/old", NULL), XS_RM);
	/* Inside: own writes visible.  Outside: nothing yet. */
	assert_value(call(c, XS_READ, tx, "/t/new/deep", NULL), "2");
	assert_error(call(c, XS_READ, tx, "/t/old", NULL), "ENOENT");
	r = call(c, XS_DIRECTORY, tx, "/t", NULL);
	assert_int_equal(r->hdr.len, 4);
	assert_memory_equal(r->body, "new\0", 4);
	assert_value(call(c, XS_READ, 0, "/t/old", NULL), "1");
	assert_error(call(c, XS_READ, 0, "/t/new/deep", NULL), "ENOENT");

	assert_ok(call(c, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);
	v = xs_read(s, "/t/new/deep");
	assert_string_equal(v, "2");
	free(v);
	assert_null(xs_read(s, "/t/old"));
	/* The transaction is gone. */
	assert_error(call(c, XS_READ, tx, "/t/new/deep", NULL), "ENOENT");
	assert_error(call(c, XS_TRANSACTION_END, tx, "T", NULL), "ENOENT");
	assert_error(call(c, XS_TRANSACTION_END, 0, "T", NULL), "ENOENT");
	assert_error(call(c, XS_READ, 4242, "/t", NULL), "ENOENT");
	xs_conn_free(c);
	xs_store_free(s);
}

static void test_tx_conflict_and_abort(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	uint32_t tx, tx2;
	char *v;

	(void)state;
	assert_int_equal(xs_write(s, "/k", "1"), 0);
	/* Read in the transaction, changed outside: commit fails. */
	tx = tx_start(c);
	assert_value(call(c, XS_READ, tx, "/k", NULL), "1");
	assert_ok(call_write(c, tx, "/other", "x"), XS_WRITE);
	assert_int_equal(xs_write(s, "/k", "2"), 0);
	assert_error(call(c, XS_TRANSACTION_END, tx, "T", NULL), "EAGAIN");
	assert_null(xs_read(s, "/other"));

	/* Untouched nodes may change meanwhile (new siblings would: they change the parent). */
	assert_int_equal(xs_write(s, "/mine", ""), 0);
	assert_int_equal(xs_write(s, "/unrelated", ""), 0);
	tx = tx_start(c);
	assert_ok(call_write(c, tx, "/mine", "m"), XS_WRITE);
	assert_int_equal(xs_write(s, "/unrelated", "u"), 0);
	assert_ok(call(c, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);
	v = xs_read(s, "/mine");
	assert_string_equal(v, "m");
	free(v);

	/* A node read as absent that appears meanwhile conflicts too. */
	tx = tx_start(c);
	assert_error(call(c, XS_READ, tx, "/ghost", NULL), "ENOENT");
	assert_int_equal(xs_write(s, "/ghost", "boo"), 0);
	assert_error(call(c, XS_TRANSACTION_END, tx, "T", NULL), "EAGAIN");

	/* Two transactions writing the same node: the second loses. */
	tx = tx_start(c);
	tx2 = tx_start(c);
	assert_ok(call_write(c, tx, "/k", "a"), XS_WRITE);
	assert_ok(call_write(c, tx2, "/k", "b"), XS_WRITE);
	assert_ok(call(c, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);
	assert_error(call(c, XS_TRANSACTION_END, tx2, "T", NULL), "EAGAIN");
	v = xs_read(s, "/k");
	assert_string_equal(v, "a");
	free(v);

	/* Abort discards. */
	tx = tx_start(c);
	assert_ok(call_write(c, tx, "/k", "zzz"), XS_WRITE);
	assert_error(call(c, XS_TRANSACTION_END, tx, "X", NULL), "EINVAL");
	assert_ok(call(c, XS_TRANSACTION_END, tx, "F", NULL), XS_TRANSACTION_END);
	v = xs_read(s, "/k");
	assert_string_equal(v, "a");
	free(v);
	/* No nesting. */
	tx = tx_start(c);
	assert_error(call(c, XS_TRANSACTION_START, tx, "", NULL), "EBUSY");
	xs_conn_free(c); /* frees the open transaction */
	xs_store_free(s);
}

static void test_tx_fires_watches_on_commit(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	struct xs_conn *w = xs_conn_new(s, XS_DOM0, count_notify, NULL);
	uint32_t tx;

	(void)state;
	assert_ok(call(w, XS_WATCH, 0, "/w", "t"), XS_WATCH);
	assert_event(w, "/w", "t");
	tx = tx_start(c);
	assert_ok(call_write(c, tx, "/w/a", "1"), XS_WRITE);
	assert_false(xs_conn_has_output(w));
	notified = 0;
	assert_ok(call(c, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);
	assert_int_equal(notified, 1);
	assert_event(w, "/w/a", "t");
	xs_conn_free(w);
	xs_conn_free(c);
	xs_store_free(s);
}

/* ---- Watches ---- */

static void test_watch_fire_relative_unwatch(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, count_notify, NULL);
	struct reply r;

	(void)state;
	notified = 0;
	/* The ack comes first, then the registration event, with the relative path. */
	send_raw(g, XS_WATCH, 3, 0, "data\0tok", 9);
	assert_true(take_reply(g, &r));
	assert_int_equal(r.hdr.type, XS_WATCH);
	assert_int_equal(r.hdr.req_id, 3);
	assert_event(g, "data", "tok");
	assert_false(xs_conn_has_output(g));
	assert_int_equal(notified, 0); /* its own request: no async notification */

	/* A change below, made by someone else. */
	assert_int_equal(xs_write(s, "/local/domain/5/data/x", "1"), 0);
	assert_int_equal(notified, 1);
	assert_event(g, "data/x", "tok");
	/* Outside the watched subtree: nothing. */
	assert_int_equal(xs_write(s, "/local/domain/5/datax", "1"), 0);
	assert_false(xs_conn_has_output(g));
	/* Removal of an ancestor fires with the watch's own path. */
	assert_int_equal(xs_rm(s, "/local/domain/5"), 0);
	assert_event(g, "data", "tok");

	assert_error(call(g, XS_WATCH, 0, "data", "tok"), "EEXIST");
	assert_ok(call(g, XS_UNWATCH, 0, "data", "tok"), XS_UNWATCH);
	assert_error(call(g, XS_UNWATCH, 0, "data", "tok"), "ENOENT");
	assert_int_equal(xs_write(s, "/local/domain/5/data/y", "1"), 0);
	assert_false(xs_conn_has_output(g));
	xs_conn_free(g);
	xs_store_free(s);
}

static void test_watch_absolute_perms_special(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	struct xs_conn *d0 = xs_conn_new(s, XS_DOM0, NULL, NULL);

	(void)state;
	assert_ok(call(g, XS_WATCH, 0, "/local", "abs"), XS_WATCH);
	assert_event(g, "/local", "abs");
	/* Changes it may not read are not reported. */
	assert_int_equal(xs_write(s, "/local/domain/7/secret", "1"), 0);
	assert_false(xs_conn_has_output(g));
	assert_int_equal(xs_write(s, "/local/domain/5/mine", "1"), 0);
	assert_event(g, "/local/domain/5/mine", "abs");

	/* Special watches fire only when triggered. */
	assert_ok(call(g, XS_WATCH, 0, "@releaseDomain", "rel"), XS_WATCH);
	assert_event(g, "@releaseDomain", "rel");
	assert_int_equal(xs_write(s, "/local/domain/5/more", "1"), 0);
	assert_event(g, "/local/domain/5/more", "abs");
	assert_false(xs_conn_has_output(g));
	assert_ok(call(d0, XS_RELEASE, 0, "9", NULL), XS_RELEASE);
	assert_event(g, "@releaseDomain", "rel");
	assert_false(xs_conn_has_output(g));
	assert_error(call(g, XS_WATCH, 0, "@bad/name", "x"), "EINVAL");

	/* Domain reset drops the watches. */
	xs_domain_reset(s, GUEST);
	assert_int_equal(xs_write(s, "/local/domain/5/again", "1"), 0);
	assert_false(xs_conn_has_output(g));
	assert_error(call(g, XS_UNWATCH, 0, "/local", "abs"), "ENOENT");
	xs_conn_free(d0);
	xs_conn_free(g);
	xs_store_free(s);
}

struct iwatch_log {
	struct xs_store *s;
	int handle;
	unsigned calls;
	char last[128];
	bool remove_self;
};

static void iwatch_cb(void *opaque, const char *path)
{
	struct iwatch_log *log = opaque;

	log->calls++;
	snprintf(log->last, sizeof(log->last), "%s", path);
	/* Re-entrancy: the callback may use the store, and drop itself. */
	if (strcmp(path, "/iw/trigger") == 0)
		assert_int_equal(xs_write(log->s, "/iw/echo", "1"), 0);
	if (log->remove_self)
		xs_watch_remove(log->s, log->handle);
}

static void test_internal_watch(void **state)
{
	struct xs_store *s = new_store();
	struct iwatch_log log = {.s = s};

	(void)state;
	log.handle = xs_watch_add(s, "/iw", iwatch_cb, &log);
	assert_true(log.handle > 0);
	assert_int_equal(log.calls, 1);
	assert_string_equal(log.last, "/iw");
	assert_int_equal(xs_write(s, "/iw/a", "1"), 0);
	assert_int_equal(log.calls, 2);
	assert_string_equal(log.last, "/iw/a");
	assert_int_equal(xs_write(s, "/other", "1"), 0);
	assert_int_equal(log.calls, 2);
	/* The callback writes /iw/echo: that fires again, after it returned. */
	assert_int_equal(xs_write(s, "/iw/trigger", "1"), 0);
	assert_int_equal(log.calls, 4);
	assert_string_equal(log.last, "/iw/echo");
	log.remove_self = true;
	assert_int_equal(xs_write(s, "/iw/b", "1"), 0);
	assert_int_equal(log.calls, 5);
	assert_int_equal(xs_write(s, "/iw/c", "1"), 0);
	assert_int_equal(log.calls, 5);
	assert_int_equal(xs_watch_add(s, "bad//", iwatch_cb, &log), -EINVAL);
	xs_store_free(s);
}

/* ---- Quotas ---- */

static void test_quotas(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	struct xs_conn *d0 = xs_conn_new(s, XS_DOM0, NULL, NULL);
	char big[200], name[32];
	struct reply *r;
	unsigned i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_error(call_write(g, 0, "big", big), "E2BIG");
	assert_ok(call_write(d0, 0, "/local/domain/5/big", big), XS_WRITE); /* dom0: no limit */

	/* 50 nodes: the home dir and dom0's big node count; fill up the rest. */
	for (i = 0;; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		r = call_write(g, 0, name, "v");
		if (r->hdr.type == XS_ERROR)
			break;
	}
	assert_error(r, "ENOSPC");
	assert_int_equal(i, 48);
	/* Removing frees quota. */
	assert_ok(call(g, XS_RM, 0, "n0", NULL), XS_RM);
	assert_ok(call_write(g, 0, "again", "v"), XS_WRITE);
	assert_error(call_write(g, 0, "again2", "v"), "ENOSPC");

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		assert_ok(call(g, XS_WATCH, 0, "n1", name), XS_WATCH);
		assert_event(g, "n1", name);
	}
	assert_error(call(g, XS_WATCH, 0, "n1", "t4"), "ENOSPC");
	assert_ok(call(d0, XS_WATCH, 0, "/a", "1"), XS_WATCH);

	tx_start(g);
	tx_start(g);
	assert_error(call(g, XS_TRANSACTION_START, 0, "", NULL), "ENOSPC");
	xs_conn_free(d0);
	xs_conn_free(g);
	xs_store_free(s);
}

static void test_output_overflow_breaks(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, GUEST, NULL, NULL);
	unsigned i;

	(void)state;
	/* A client that never reads its replies. */
	for (i = 0; i < 64; i++)
		send_raw(c, XS_GET_DOMAIN_PATH, i, 0, "1", 2);
	assert_false(xs_conn_broken(c));
	{
		uint8_t msg[sizeof(struct xsd_sockmsg) + 2];
		struct xsd_sockmsg hdr = {.type = XS_GET_DOMAIN_PATH, .len = 2};

		memcpy(msg, &hdr, sizeof(hdr));
		memcpy(msg + sizeof(hdr), "1", 2);
		assert_int_equal(xs_conn_feed(c, msg, sizeof(msg)), -EPROTO);
	}
	assert_true(xs_conn_broken(c));
	xs_conn_free(c);
	xs_store_free(s);
}

/* ---- Hostile input ---- */

static void test_split_and_batched_feeds(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	uint8_t buf[256];
	struct xsd_sockmsg h1 = {.type = XS_WRITE, .req_id = 1, .len = 8};
	struct xsd_sockmsg h2 = {.type = XS_READ, .req_id = 2, .len = 5};
	struct reply r;
	size_t len = 0, i;

	(void)state;
	memcpy(buf, &h1, sizeof(h1));
	memcpy(buf + sizeof(h1), "/a/b\0val", 9); /* the final NUL is overwritten */
	len = sizeof(h1) + 8;
	memcpy(buf + len, &h2, sizeof(h2));
	memcpy(buf + len + sizeof(h2), "/a/b", 5);
	len += sizeof(h2) + 5;

	/* Byte by byte. */
	for (i = 0; i < len; i++) {
		assert_int_equal(xs_conn_feed(c, buf + i, 1), 0);
		if (i + 1 < sizeof(h1) + 8)
			assert_false(xs_conn_has_output(c));
	}
	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.req_id, 1);
	assert_ok(&r, XS_WRITE);
	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.req_id, 2);
	assert_int_equal(r.hdr.len, 3);
	assert_memory_equal(r.body, "val", 3);

	/* All at once. */
	assert_int_equal(xs_conn_feed(c, buf, len), 0);
	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.req_id, 1);
	assert_true(take_reply(c, &r));
	assert_int_equal(r.hdr.req_id, 2);
	assert_false(take_reply(c, &r));

	/* Output may be taken in pieces, too. */
	send_raw(c, XS_READ, 9, 0, "/a/b", 5);
	for (i = 0; i < sizeof(r.hdr) + 3; i++)
		assert_int_equal(xs_conn_take_output(c, buf + i, 1), 1);
	assert_int_equal(xs_conn_take_output(c, buf, 1), 0);
	assert_memory_equal(buf + sizeof(r.hdr), "val", 3);
	xs_conn_free(c);
	xs_store_free(s);
}

static void test_bad_requests(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, GUEST, NULL, NULL);
	char longpath[XENSTORE_ABS_PATH_MAX + 10];
	struct reply *r;

	(void)state;
	assert_error(call_raw(c, XS_READ, 0, "/a/b", 4), "EINVAL");   /* no NUL */
	assert_error(call_raw(c, XS_READ, 0, "/a\0/b", 6), "EINVAL"); /* two strings */
	assert_error(call_raw(c, XS_READ, 0, "", 0), "EINVAL");
	assert_error(call_raw(c, XS_WRITE, 0, "/a/b", 4), "EINVAL");
	assert_error(call_raw(c, XS_WATCH, 0, "/a\0tok", 6), "EINVAL");
	assert_error(call_raw(c, 999, 0, "", 0), "EINVAL");
	assert_error(call_raw(c, XS_ERROR, 0, "", 0), "EINVAL");
	assert_error(call_raw(c, XS_WATCH_EVENT, 0, "/a\0t", 5), "EINVAL");
	assert_error(call(c, XS_READ, 0, "/a//b", NULL), "EINVAL");
	assert_error(call(c, XS_READ, 0, "/a/b/", NULL), "EINVAL");
	assert_error(call(c, XS_READ, 0, "/a/b c", NULL), "EINVAL");
	assert_error(call(c, XS_READ, 0, "/a/b\xff", NULL), "EINVAL");
	assert_error(call(c, XS_READ, 0, "", NULL), "EINVAL");
	assert_error(call_write(c, 0, "/a.b", "x"), "EINVAL");
	assert_error(call(c, XS_DIRECTORY_PART, 0, "/local", "x"), "EINVAL");
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	assert_error(call(c, XS_READ, 0, longpath, NULL), "EINVAL");
	longpath[XENSTORE_REL_PATH_MAX + 2] = '\0'; /* one char too many */
	assert_error(call(c, XS_READ, 0, longpath + 1, NULL), "EINVAL");
	/* The connection still works. */
	r = call(c, XS_GET_DOMAIN_PATH, 0, "1", NULL);
	assert_int_equal(r->hdr.type, XS_GET_DOMAIN_PATH);
	assert_false(xs_conn_broken(c));
	xs_conn_free(c);
	xs_store_free(s);
}

static void test_oversized_header_breaks(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, GUEST, NULL, NULL);
	struct xsd_sockmsg hdr = {.type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1};
	struct xsd_sockmsg ok = {.type = XS_GET_DOMAIN_PATH, .len = 2};

	(void)state;
	assert_int_equal(xs_conn_feed(c, &hdr, sizeof(hdr) - 1), 0);
	assert_int_equal(xs_conn_feed(c, (char *)&hdr + sizeof(hdr) - 1, 1), -EPROTO);
	assert_true(xs_conn_broken(c));
	assert_int_equal(xs_conn_feed(c, &ok, sizeof(ok)), -EPROTO);
	assert_false(xs_conn_has_output(c));
	xs_conn_free(c);
	xs_store_free(s);
}

static void test_directory_part(void **state)
{
	struct xs_store *s = new_store();
	struct xs_conn *c = xs_conn_new(s, XS_DOM0, NULL, NULL);
	char path[64], all[16384], off[16], gen[32] = "";
	size_t total = 0, got = 0;
	struct reply *r;
	unsigned i, parts = 0;

	(void)state;
	/* 300 names of 20 chars: 6300 bytes, more than one message. */
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/dir/child-%014u", i);
		assert_int_equal(xs_write(s, path, ""), 0);
		total += strlen(path) - strlen("/dir/") + 1;
	}
	assert_error(call(c, XS_DIRECTORY, 0, "/dir", NULL), "E2BIG");
	for (;;) {
		size_t genlen;

		snprintf(off, sizeof(off), "%zu", got);
		r = call(c, XS_DIRECTORY_PART, 0, "/dir", off);
		assert_int_equal(r->hdr.type, XS_DIRECTORY_PART);
		genlen = strlen(r->body) + 1;
		if (parts++)
			assert_string_equal(gen, r->body);
		else
			memcpy(gen, r->body, MIN(genlen, sizeof(gen) - 1));
		assert_true(got + r->hdr.len - genlen <= sizeof(all));
		memcpy(all + got, r->body + genlen, r->hdr.len - genlen);
		got += r->hdr.len - genlen;
		if (got <= 1 || all[got - 2] == '\0')
			break;
	}
	assert_true(parts >= 2);
	assert_int_equal(got, total + 1); /* the final empty string */
	assert_memory_equal(all, "child-00000000000000\0child-00000000000001\0", 42);
	/* Past the end: just the generation and an empty string. */
	r = call(c, XS_DIRECTORY_PART, 0, "/dir", "99999");
	assert_int_equal(r->hdr.len, strlen(gen) + 2);
	xs_conn_free(c);
	xs_store_free(s);
}

/* ---- Ring ---- */

static int guest_notified;

static void guest_notify(void *opaque)
{
	(void)opaque;
	guest_notified++;
}

static void ring_put(struct xenstore_domain_interface *page, const void *data, size_t len)
{
	uint32_t off = MASK_XENSTORE_IDX(page->req_prod);
	size_t first = MIN(len, XENSTORE_RING_SIZE - off);

	memcpy(page->req + off, data, first);
	memcpy(page->req, (const char *)data + first, len - first);
	page->req_prod += (uint32_t)len;
}

static void ring_put_msg(struct xenstore_domain_interface *page, uint32_t type, uint32_t req_id,
			 const void *payload, size_t len)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .len = len};

	ring_put(page, &hdr, sizeof(hdr));
	ring_put(page, payload, len);
}

static size_t ring_get(struct xenstore_domain_interface *page, void *buf, size_t max)
{
	uint8_t *p = buf;
	size_t n = 0;

	while (n < max && page->rsp_cons != page->rsp_prod) {
		p[n++] = (uint8_t)page->rsp[MASK_XENSTORE_IDX(page->rsp_cons)];
		page->rsp_cons++;
	}
	return n;
}

static void test_ring_roundtrip(void **state)
{
	struct xs_store *s = guest_store();
	struct xenstore_domain_interface *page = calloc(1, sizeof(*page));
	struct xs_ring *r;
	struct reply rep;
	char big[1500];
	uint8_t out[4096];
	size_t n;

	(void)state;
	/* Start near the index wrap-around. */
	page->req_cons = page->req_prod = 0xfffffff0u;
	page->rsp_cons = page->rsp_prod = 0xfffffff8u;
	r = xs_ring_new(s, GUEST, page, guest_notify, NULL);
	assert_non_null(r);
	assert_int_equal(page->server_features,
			 XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
	guest_notified = 0;
	ring_put_msg(page, XS_WRITE, 1, "x\0hello", 7);
	ring_put_msg(page, XS_READ, 2, "x", 2);
	xs_ring_kick(r);
	assert_true(guest_notified > 0);
	assert_int_equal(page->req_cons, page->req_prod);
	n = ring_get(page, out, sizeof(out));
	assert_int_equal(n, 2 * sizeof(struct xsd_sockmsg) + 3 + 5);
	memcpy(&rep.hdr, out, sizeof(rep.hdr));
	assert_int_equal(rep.hdr.type, XS_WRITE);
	assert_int_equal(rep.hdr.req_id, 1);
	memcpy(&rep.hdr, out + sizeof(rep.hdr) + 3, sizeof(rep.hdr));
	assert_int_equal(rep.hdr.type, XS_READ);
	assert_int_equal(rep.hdr.len, 5);
	assert_memory_equal(out + 2 * sizeof(rep.hdr) + 3, "hello", 5);

	/* A reply bigger than the ring: the rest follows on the next kick. */
	memset(big, 'b', sizeof(big));
	assert_int_equal(xs_write(s, "/local/domain/5/big", ""), 0);
	{
		struct xs_conn *d0 = xs_conn_new(s, XS_DOM0, NULL, NULL);
		char msg[sizeof(big) + 32];

		memcpy(msg, "/local/domain/5/big", 20);
		memcpy(msg + 20, big, sizeof(big));
		send_raw(d0, XS_WRITE, 1, 0, msg, 20 + sizeof(big));
		xs_conn_free(d0);
	}
	ring_put_msg(page, XS_READ, 3, "big", 4);
	xs_ring_kick(r);
	n = ring_get(page, out, sizeof(out));
	assert_int_equal(n, XENSTORE_RING_SIZE);
	guest_notified = 0;
	xs_ring_kick(r);
	assert_int_equal(guest_notified, 1);
	n += ring_get(page, out + n, sizeof(out) - n);
	assert_int_equal(n, sizeof(struct xsd_sockmsg) + sizeof(big));
	assert_memory_equal(out + sizeof(struct xsd_sockmsg), big, sizeof(big));

	/* Watch events fired by another writer reach the ring by themselves. */
	ring_put_msg(page, XS_WATCH, 4, "w\0t", 4);
	xs_ring_kick(r);
	n = ring_get(page, out, sizeof(out));
	assert_int_equal(n, 2 * sizeof(struct xsd_sockmsg) + 3 + 4);
	guest_notified = 0;
	assert_int_equal(xs_write(s, "/local/domain/5/w", "1"), 0);
	assert_int_equal(guest_notified, 1);
	n = ring_get(page, out, sizeof(out));
	assert_int_equal(n, sizeof(struct xsd_sockmsg) + 4);
	memcpy(&rep.hdr, out, sizeof(rep.hdr));
	assert_int_equal(rep.hdr.type, XS_WATCH_EVENT);
	assert_memory_equal(out + sizeof(rep.hdr), "w\0t", 4);
	assert_int_equal(page->error, XENSTORE_ERROR_NONE);

	xs_ring_free(r);
	free(page);
	xs_store_free(s);
}

static void test_ring_corrupt_and_reconnect(void **state)
{
	struct xs_store *s = guest_store();
	struct xenstore_domain_interface *page = calloc(1, sizeof(*page));
	struct xs_ring *r = xs_ring_new(s, GUEST, page, guest_notify, NULL);
	uint8_t out[256] = {0};

	(void)state;
	/* prod runs more than a ring ahead of cons. */
	page->req_prod = XENSTORE_RING_SIZE + 1;
	xs_ring_kick(r);
	assert_int_equal(page->error, XENSTORE_ERROR_RINGIDX);
	assert_int_equal(page->rsp_prod, 0);
	/* Ignored from now on. */
	page->req_prod = 0;
	ring_put_msg(page, XS_READ, 1, "x", 2);
	xs_ring_kick(r);
	assert_int_equal(page->req_cons, 0);

	/* Reconnection resets it. */
	assert_int_equal(xs_write(s, "/local/domain/5/x", "v"), 0);
	page->req_prod = 77;
	page->connection = XENSTORE_RECONNECT;
	guest_notified = 0;
	xs_ring_kick(r);
	assert_int_equal(guest_notified, 1);
	assert_int_equal(page->connection, XENSTORE_CONNECTED);
	assert_int_equal(page->error, XENSTORE_ERROR_NONE);
	assert_int_equal(page->req_prod, 0);
	assert_int_equal(page->req_cons, 0);
	ring_put_msg(page, XS_READ, 1, "x", 2);
	xs_ring_kick(r);
	assert_int_equal(ring_get(page, out, sizeof(out)), sizeof(struct xsd_sockmsg) + 1);
	assert_int_equal(out[sizeof(struct xsd_sockmsg)], 'v');

	/* A bad response index. */
	page->rsp_cons = page->rsp_prod + 5;
	ring_put_msg(page, XS_READ, 1, "x", 2);
	xs_ring_kick(r);
	assert_int_equal(page->error, XENSTORE_ERROR_RINGIDX);

	/* Oversized message header: protocol error. */
	page->connection = XENSTORE_RECONNECT;
	xs_ring_kick(r);
	{
		struct xsd_sockmsg hdr = {.type = XS_READ, .len = 5000};

		ring_put(page, &hdr, sizeof(hdr));
	}
	xs_ring_kick(r);
	assert_int_equal(page->error, XENSTORE_ERROR_PROTO);
	xs_ring_free(r);
	free(page);
	xs_store_free(s);
}

/* ---- Memory bounds (a guest must not make the VMM allocate without bound) ---- */

/* Every byte bound small, so a hostile guest hits each one quickly. */
static struct xs_store *bounded_store(void)
{
	static const char *const perms[] = {"n5"};
	struct xs_quota q = {.max_nodes = 50,
			     .max_watches = 4,
			     .max_transactions = 2,
			     .max_value_len = 100,
			     .max_output_msgs = 64,
			     .max_node_bytes = 16 << 10,
			     .max_tx_records = 200,
			     .max_tx_bytes = 64 << 10,
			     .max_watch_bytes = 8 << 10,
			     .max_output_bytes = 16 << 10};
	struct xs_store *s = xs_store_new(&q);

	assert_non_null(s);
	assert_int_equal(xs_mkdir(s, "/local/domain/5"), 0);
	assert_int_equal(xs_set_perms(s, "/local/domain/5", perms, 1), 0);
	return s;
}

/*
 * Far above the sum of bounded_store's byte bounds (2 * 64K of transactions,
 * 16K of nodes, 8K of watches, 16K of output, one connection) and far below
 * what the attacks below allocate without bounds (tens of megabytes).
 */
#define MEM_CEILING (512u << 10)

/* Bytes malloc has handed out now, or 0 where the allocator cannot tell (ASan's). */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* Both the store's own count for the guest and the real heap stay under the ceiling. */
static void assert_bounded(struct xs_store *s, size_t heap_before)
{
	size_t heap = heap_in_use();

	if (heap_before && heap > heap_before && heap - heap_before > MEM_CEILING)
		fail_msg("heap grew by %zu bytes", heap - heap_before);
	if (xs_domain_bytes(s, GUEST) > MEM_CEILING)
		fail_msg("the store holds %zu bytes for the guest", xs_domain_bytes(s, GUEST));
}

/* "/local/domain/5/" followed by len characters and a number: a long distinct path. */
static void long_path_n(char *buf, size_t size, char fill, size_t len, unsigned i)
{
	size_t n = (size_t)snprintf(buf, size, "/local/domain/5/");

	memset(buf + n, fill, len);
	snprintf(buf + n + len, size - n - len, "-%u", i);
}

static void long_path(char *buf, size_t size, char fill, unsigned i)
{
	long_path_n(buf, size, fill, 3000, i);
}

/* 5000 reads of distinct missing paths per transaction: each is logged, so the log is bounded. */
static void test_tx_read_log_bounded(void **state)
{
	struct xs_store *s = bounded_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	size_t heap = heap_in_use();
	char path[3100];
	unsigned t, i, refused = 0;

	(void)state;
	for (t = 0; t < 2; t++) {
		uint32_t tx = tx_start(g);

		for (i = 0; i < 5000; i++) {
			struct reply *r;

			long_path(path, sizeof(path), 'm', i);
			r = call(g, XS_READ, tx, path, NULL);
			assert_int_equal(r->hdr.type, XS_ERROR);
			if (strcmp(r->body, "ENOSPC") == 0)
				refused++;
			else
				assert_string_equal(r->body, "ENOENT");
		}
	}
	assert_bounded(s, heap);
	assert_true(refused > 0);
	xs_conn_free(g);
	xs_store_free(s);
}

/* Each other per-domain structure, filled by a hostile guest, stays bounded. */
static void test_each_quota_bounded(void **state)
{
	struct xs_store *s = bounded_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	size_t heap = heap_in_use();
	char path[3100], token[900];
	struct reply *r = NULL;
	uint32_t tx;
	unsigned i;

	(void)state;
	/* Nodes with long names: the byte quota stops them before the count does. */
	for (i = 0; i < 50; i++) {
		long_path(path, sizeof(path), 'n', i);
		r = call_write(g, 0, path, "v");
		if (r->hdr.type == XS_ERROR)
			break;
	}
	assert_error(r, "ENOSPC");
	assert_true(i < 10);
	assert_bounded(s, heap);

	/* Nodes made in a transaction: bounded inside it, too. */
	tx = tx_start(g);
	for (i = 0; i < 1000; i++) {
		long_path(path, sizeof(path), 't', i);
		r = call_write(g, tx, path, "v");
		if (r->hdr.type == XS_ERROR)
			break;
	}
	assert_error(r, "ENOSPC");
	assert_bounded(s, heap);
	assert_ok(call(g, XS_TRANSACTION_END, tx, "F", NULL), XS_TRANSACTION_END);

	/* Watches on long paths with long tokens: the byte quota stops them. */
	memset(token, 'k', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	for (i = 0; i < 4; i++) {
		long_path(path, sizeof(path), 'w', i);
		token[0] = (char)('a' + i);
		r = call(g, XS_WATCH, 0, path, token);
		if (r->hdr.type == XS_ERROR)
			break;
		assert_true(take_reply(g, &(struct reply){0})); /* the registration event */
	}
	assert_error(r, "ENOSPC");
	assert_true(i < 4);
	assert_bounded(s, heap);

	/* Replies never read: the connection is cut off before they pile up. */
	for (i = 0; i < 1000 && !xs_conn_broken(g); i++) {
		struct xsd_sockmsg hdr = {.type = XS_READ, .len = 16};
		char msg[sizeof(hdr) + 16];

		memcpy(msg, &hdr, sizeof(hdr));
		memcpy(msg + sizeof(hdr), "/local/domain/5", 16);
		xs_conn_feed(g, msg, sizeof(msg));
	}
	assert_true(xs_conn_broken(g));
	assert_bounded(s, heap);
	xs_conn_free(g);
	assert_int_equal(xs_domain_bytes(s, GUEST) < 16 << 10, true);
	xs_store_free(s);
}

/* The guest side of a ring: one request, then its reply, whatever the ring's position. */
static void ring_call(struct xs_ring *r, struct xenstore_domain_interface *page, uint32_t type,
		      uint32_t tx, const void *payload, size_t len, struct reply *rep)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = 1, .tx_id = tx, .len = len};

	memset(rep, 0, sizeof(*rep));
	ring_put(page, &hdr, sizeof(hdr));
	ring_put(page, payload, len);
	xs_ring_kick(r);
	assert_int_equal(ring_get(page, &rep->hdr, sizeof(rep->hdr)), sizeof(rep->hdr));
	assert_true(rep->hdr.len < sizeof(rep->body));
	assert_int_equal(ring_get(page, rep->body, rep->hdr.len), rep->hdr.len);
	rep->body[rep->hdr.len] = '\0';
}

/* The same read-log attack as a guest makes it: through the shared ring. */
static void test_tx_read_log_bounded_ring(void **state)
{
	struct xs_store *s = bounded_store();
	struct xenstore_domain_interface *page = calloc(1, sizeof(*page));
	struct xs_ring *r = xs_ring_new(s, GUEST, page, guest_notify, NULL);
	size_t heap = heap_in_use();
	struct reply rep;
	char path[3100];
	unsigned i, refused = 0;
	uint32_t tx;

	(void)state;
	assert_non_null(r);
	ring_call(r, page, XS_TRANSACTION_START, 0, "", 1, &rep);
	assert_int_equal(rep.hdr.type, XS_TRANSACTION_START);
	tx = (uint32_t)strtoul(rep.body, NULL, 10);
	for (i = 0; i < 3000; i++) {
		/* The ring holds 1 KiB: requests that fit it whole. */
		long_path_n(path, sizeof(path), 'r', 900, i);
		ring_call(r, page, XS_READ, tx, path, strlen(path) + 1, &rep);
		assert_int_equal(rep.hdr.type, XS_ERROR);
		refused += strcmp(rep.body, "ENOSPC") == 0;
	}
	assert_bounded(s, heap);
	assert_true(refused > 0);
	assert_int_equal(page->error, XENSTORE_ERROR_NONE);
	xs_ring_free(r);
	free(page);
	xs_store_free(s);
}

/* ---- Transactions against quotas and tree size ---- */

/* Concurrent transactions each fit the node quota; together they must not. */
static void test_tx_quota_at_commit(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	uint32_t tx[2];
	char name[32];
	unsigned t, i;

	(void)state;
	/* Home dir and two subdirs (the guest's) are 3 nodes of 50: each transaction adds 30. */
	assert_int_equal(xs_mkdir(s, "/local/domain/5/t0"), 0);
	assert_int_equal(xs_mkdir(s, "/local/domain/5/t1"), 0);
	for (t = 0; t < 2; t++) {
		tx[t] = tx_start(g);
		for (i = 0; i < 30; i++) {
			snprintf(name, sizeof(name), "t%u/n%u", t, i);
			assert_ok(call_write(g, tx[t], name, "v"), XS_WRITE);
		}
	}
	assert_ok(call(g, XS_TRANSACTION_END, tx[0], "T", NULL), XS_TRANSACTION_END);
	assert_error(call(g, XS_TRANSACTION_END, tx[1], "T", NULL), "ENOSPC");
	/* Nothing of the refused one was applied; the first one all was. */
	assert_error(call(g, XS_READ, 0, "t1/n0", NULL), "ENOENT");
	assert_value(call(g, XS_READ, 0, "t0/n29", NULL), "v");
	xs_conn_free(g);
	xs_store_free(s);
}

/* Starting a transaction, and reading in it, costs what it touches, not the tree's size. */
static void test_tx_cost_independent_of_tree(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	size_t heap, bytes;
	char path[64];
	uint32_t tx;
	unsigned i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), "/big/%u/some-longer-node-name", i);
		assert_int_equal(xs_write(s, path, "a value of some size"), 0);
	}
	heap = heap_in_use();
	bytes = xs_domain_bytes(s, GUEST);
	tx = tx_start(g);
	assert_ok(call_write(g, tx, "x", "1"), XS_WRITE);
	assert_value(call(g, XS_READ, tx, "x", NULL), "1");
	/* A copy of the tree would be hundreds of kilobytes. */
	if (heap && heap_in_use() > heap)
		assert_true(heap_in_use() - heap < (16u << 10));
	assert_true(xs_domain_bytes(s, GUEST) - bytes < (8u << 10));
	assert_ok(call(g, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);
	xs_conn_free(g);
	xs_store_free(s);
}

/* The overlay keeps a transaction's view whole: removal, re-creation, listing, perms. */
static void test_tx_overlay_semantics(void **state)
{
	struct xs_store *s = guest_store();
	struct xs_conn *g = xs_conn_new(s, GUEST, NULL, NULL);
	struct xs_conn *w = xs_conn_new(s, GUEST, NULL, NULL);
	struct reply *r;
	uint32_t tx;
	char *v;

	(void)state;
	assert_int_equal(xs_write(s, "/local/domain/5/d/a", "1"), 0);
	assert_int_equal(xs_write(s, "/local/domain/5/d/b/c", "2"), 0);
	assert_ok(call(w, XS_WATCH, 0, "d", "tok"), XS_WATCH);
	assert_event(w, "d", "tok");

	tx = tx_start(g);
	/* Remove a subtree, then make part of it again. */
	assert_ok(call(g, XS_RM, tx, "d/b", NULL), XS_RM);
	assert_error(call(g, XS_READ, tx, "d/b/c", NULL), "ENOENT");
	assert_ok(call_write(g, tx, "d/b/new", "3"), XS_WRITE);
	assert_error(call(g, XS_READ, tx, "d/b/c", NULL), "ENOENT");
	r = call(g, XS_DIRECTORY, tx, "d/b", NULL);
	assert_int_equal(r->hdr.len, 4);
	assert_memory_equal(r->body, "new\0", 4);
	r = call(g, XS_DIRECTORY, tx, "d", NULL);
	assert_int_equal(r->hdr.len, 4);
	assert_memory_equal(r->body, "a\0b\0", 4);
	/* Perms changed in the transaction are seen in it only. */
	assert_ok(call_raw(g, XS_SET_PERMS, tx, "d/a\0n5\0r6", 10), XS_SET_PERMS);
	r = call(g, XS_GET_PERMS, tx, "d/a", NULL);
	assert_int_equal(r->hdr.len, 6);
	assert_memory_equal(r->body, "n5\0r6\0", 6);
	r = call(g, XS_GET_PERMS, 0, "d/a", NULL);
	assert_int_equal(r->hdr.len, 3);
	/* Outside, nothing changed yet, and no event. */
	assert_value(call(g, XS_READ, 0, "d/b/c", NULL), "2");
	assert_false(xs_conn_has_output(w));
	assert_ok(call(g, XS_TRANSACTION_END, tx, "T", NULL), XS_TRANSACTION_END);

	assert_null(xs_read(s, "/local/domain/5/d/b/c"));
	v = xs_read(s, "/local/domain/5/d/b/new");
	assert_string_equal(v, "3");
	free(v);
	/* Replayed parents first, then in the order the transaction made them. */
	assert_event(w, "d/b", "tok");
	assert_event(w, "d/a", "tok");
	assert_event(w, "d/b/new", "tok");
	assert_false(xs_conn_has_output(w));

	/* A new sibling made outside changes the parent: a transaction that listed it fails. */
	tx = tx_start(g);
	r = call(g, XS_DIRECTORY, tx, "d", NULL);
	assert_int_equal(r->hdr.type, XS_DIRECTORY);
	assert_ok(call_write(g, tx, "d/a", "x"), XS_WRITE);
	assert_int_equal(xs_write(s, "/local/domain/5/d/z", ""), 0);
	assert_error(call(g, XS_TRANSACTION_END, tx, "T", NULL), "EAGAIN");
	v = xs_read(s, "/local/domain/5/d/a");
	assert_string_equal(v, "1");
	free(v);
	xs_conn_free(w);
	xs_conn_free(g);
	xs_store_free(s);
}

/* ---- Socket ---- */

static void sock_send(int fd, uint32_t type, const void *payload, size_t len)
{
	uint8_t buf[256];
	struct xsd_sockmsg hdr = {.type = type, .req_id = 5, .len = len};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	assert_int_equal(write(fd, buf, sizeof(hdr) + len), (ssize_t)(sizeof(hdr) + len));
}

static void sock_recv(int fd, struct reply *r)
{
	size_t got = 0;

	memset(r, 0, sizeof(*r));
	while (got < sizeof(r->hdr)) {
		ssize_t n = read(fd, (char *)&r->hdr + got, sizeof(r->hdr) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	got = 0;
	while (got < r->hdr.len) {
		ssize_t n = read(fd, r->body + got, r->hdr.len - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
}

static void test_socket_roundtrip(void **state)
{
	struct xs_store *s = new_store();
	char dir[] = "/tmp/xs_test.XXXXXX", path[64];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct xs_socket *sock;
	struct reply r;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/xs.sock", dir);
	/* A stale socket file is replaced. */
	sock = xs_socket_open(s, path);
	assert_non_null(sock);
	xs_socket_close(sock);
	assert_int_equal(access(path, F_OK), -1);
	sock = xs_socket_open(s, path);
	assert_non_null(sock);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	sock_send(fd, XS_WRITE, "/s/k\0value", 10);
	sock_recv(fd, &r);
	assert_ok(&r, XS_WRITE);
	sock_send(fd, XS_READ, "/s/k", 5);
	sock_recv(fd, &r);
	assert_value(&r, "value");
	/* Asynchronous output: a watch fired by another writer. */
	sock_send(fd, XS_WATCH, "/s\0tk", 6);
	sock_recv(fd, &r);
	assert_ok(&r, XS_WATCH);
	sock_recv(fd, &r);
	assert_int_equal(r.hdr.type, XS_WATCH_EVENT);
	assert_int_equal(xs_write(s, "/s/k2", "x"), 0);
	sock_recv(fd, &r);
	assert_int_equal(r.hdr.type, XS_WATCH_EVENT);
	assert_string_equal(r.body, "/s/k2");
	close(fd);

	xs_socket_close(sock);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
	xs_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_api_write_read_rm),
	    cmocka_unit_test(test_proto_write_read_dir_rm),
	    cmocka_unit_test(test_proto_misc_requests),
	    cmocka_unit_test(test_perms),
	    cmocka_unit_test(test_tx_commit_and_isolation),
	    cmocka_unit_test(test_tx_conflict_and_abort),
	    cmocka_unit_test(test_tx_fires_watches_on_commit),
	    cmocka_unit_test(test_watch_fire_relative_unwatch),
	    cmocka_unit_test(test_watch_absolute_perms_special),
	    cmocka_unit_test(test_internal_watch),
	    cmocka_unit_test(test_quotas),
	    cmocka_unit_test(test_output_overflow_breaks),
	    cmocka_unit_test(test_split_and_batched_feeds),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_oversized_header_breaks),
	    cmocka_unit_test(test_directory_part),
	    cmocka_unit_test(test_ring_roundtrip),
	    cmocka_unit_test(test_ring_corrupt_and_reconnect),
	    cmocka_unit_test(test_socket_roundtrip),
	    cmocka_unit_test(test_tx_read_log_bounded),
	    cmocka_unit_test(test_each_quota_bounded),
	    cmocka_unit_test(test_tx_read_log_bounded_ring),
	    cmocka_unit_test(test_tx_quota_at_commit),
	    cmocka_unit_test(test_tx_cost_independent_of_tree),
	    cmocka_unit_test(test_tx_overlay_semantics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
