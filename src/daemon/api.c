/* SPDX-License-Identifier: MIT */
#include "daemon/api.h"
#include "daemon/console.h"
#include "daemon/vm_object.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/complex_matcher.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef XKVM_VERSION
#define XKVM_VERSION "unknown"
#endif

#define ID_ECHO_MAX	  128 /* how much of a client's id is quoted back */
#define OVERRIDES_MAX	  256
#define OVERRIDE_LEN_MAX  4096
#define PATH_LEN_MAX	  1024
#define TAGS_MAX	  64
#define TAG_LEN_MAX	  128
#define LIST_LIMIT_MAX	  1000000
#define MAX_PATH_SEGMENTS 6

/* ---- small helpers ---- */

void api_new_uuid(char out[UUID_LEN + 1])
{
	uint8_t b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();	     /* no randomness: nothing sensible to do */
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

bool api_name_valid(const char *name)
{
	return store_name_valid(name);
}

/* A client's id, shortened for messages. */
static const char *echo_id(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", ID_ECHO_MAX, id);
	return buf;
}

static void reply_json(struct http_reply *reply, unsigned status, json_t *json)
{
	reply->status = status;
	reply->json = json;
	if (!json)
		http_reply_error(reply, 500, "out of memory");
}

/* The status for a negative errno from the supervisor. */
static unsigned status_for(int err)
{
	switch (err) {
	case -ENOENT:
		return 404;
	case -EBUSY:
	case -EEXIST:
		return 409;
	case -ETIMEDOUT:
		return 504;
	case -EINVAL:
		return 400;
	}
	return 500;
}

/* The body as a JSON object; replies 400 itself when it is not one. */
static json_t *body_object(const struct http_request *req, struct http_reply *reply)
{
	json_error_t jerr;
	json_t *o;

	if (!req->body || !req->body_len) {
		http_reply_error(reply, 400, "a JSON object is expected as the body");
		return NULL;
	}
	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		http_reply_error(reply, 400, "invalid JSON at position %d: %s", jerr.position,
				 jerr.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		http_reply_error(reply, 400, "a JSON object is expected as the body");
		return NULL;
	}
	return o;
}

/* Refuse keys not in allowed (NULL-terminated). */
static bool only_keys(json_t *o, const char *const allowed[], struct http_reply *reply)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		bool ok = false;

		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			http_reply_error(reply, 400, "unknown field '%.64s'", key);
			return false;
		}
	}
	return true;
}

/* ---- VM objects ---- */

/* With the lock held. */
static json_t *object_for(struct api *api, const struct vm_row *row)
{
	struct vm_rt *vm = sup_vm(api->sup, row->uuid);
	struct vm_live live;

	return vm_object_build(row, vm && vm->has_cfg ? &vm->cfg : NULL,
			       vm ? sup_live(vm, &live) : NULL);
}

/* With the lock held: the VM by uuid or name, or a 404 reply. */
static int find_vm(struct api *api, const char *id, struct vm_row *row, struct http_reply *reply)
{
	char buf[ID_ECHO_MAX + 1];
	int r = store_vm_find(api->sup->store, id, row);

	if (r == -ENOENT)
		http_reply_error(reply, 404, "no VM named or numbered '%s'",
				 echo_id(id, buf, sizeof(buf)));
	else if (r)
		http_reply_error(reply, 500, "database error");
	return r;
}

/* Just the fields asked for ("a,b,c"); "*" is all of them. */
static json_t *project(json_t *obj, const char *fields)
{
	json_t *out;
	char name[64];

	if (strcmp(fields, "*") == 0)
		return json_incref(obj);
	out = json_object();
	for (const char *p = fields; out && *p;) {
		size_t l = strcspn(p, ",");
		json_t *v;

		if (l && l < sizeof(name)) {
			memcpy(name, p, l);
			name[l] = '\0';
			v = json_object_get(obj, name);
			if (v)
				json_object_set(out, name, v);
		}
		p += l + (p[l] == ',');
	}
	return out;
}

static bool parse_limit(const char *s, size_t *out)
{
	char *end;
	unsigned long v;

	if (!s) {
		*out = SIZE_MAX;
		return true;
	}
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > LIST_LIMIT_MAX)
		return false;
	*out = v;
	return true;
}

static void list_vms(struct api *api, const struct http_request *req, struct http_reply *reply)
{
	const char *fields = http_query(req, "fields"), *filter = http_query(req, "filter");
	struct cm_node *matcher = NULL;
	struct vm_row *rows;
	json_t *out;
	size_t n, limit;
	char err[256];

	if (!parse_limit(http_query(req, "limit"), &limit)) {
		http_reply_error(reply, 400, "limit must be a number from 0 to %d", LIST_LIMIT_MAX);
		return;
	}
	if (filter && *filter) {
		matcher = cm_parse(filter, err, sizeof(err));
		if (!matcher) {
			http_reply_error(reply, 400, "%s", err);
			return;
		}
	}
	out = json_array();
	sup_lock(api->sup);
	if (store_vm_list(api->sup->store, &rows, &n)) {
		sup_unlock(api->sup);
		cm_free(matcher);
		json_decref(out);
		http_reply_error(reply, 500, "database error");
		return;
	}
	for (size_t i = 0; i < n && out && json_array_size(out) < limit; i++) {
		json_t *obj = object_for(api, &rows[i]);
		char url[64];

		if (!obj || (matcher && !cm_match(matcher, obj))) {
			json_decref(obj);
			continue;
		}
		snprintf(url, sizeof(url), "/rest/v0/vms/%s", rows[i].uuid);
		json_array_append_new(out, fields ? project(obj, fields) : json_string(url));
		json_decref(obj);
	}
	sup_unlock(api->sup);
	vm_rows_free(rows, n);
	cm_free(matcher);
	reply_json(reply, 200, out);
}

/* With the lock held. */
static void reply_vm(struct api *api, const char *id, unsigned status, struct http_reply *reply)
{
	struct vm_row row;

	if (!find_vm(api, id, &row, reply)) {
		reply_json(reply, status, object_for(api, &row));
		vm_row_free(&row);
	}
}

static void get_vm(struct api *api, const char *id, struct http_reply *reply)
{
	sup_lock(api->sup);
	reply_vm(api, id, 200, reply);
	sup_unlock(api->sup);
}

/* ---- create ---- */

struct create_req {
	const char *config;
	const char *path;
	int nr_overrides;
	char *overrides[OVERRIDES_MAX];
	bool start;
};

static bool string_ok(json_t *v, size_t max)
{
	/* Embedded NULs would cut the text short unseen. */
	return json_is_string(v) && json_string_length(v) <= max &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

static bool parse_create(json_t *o, struct create_req *c, struct http_reply *reply)
{
	static const char *const keys[] = {"config", "path", "overrides", "start", NULL};
	json_t *cfg = json_object_get(o, "config"), *path = json_object_get(o, "path");
	json_t *ov = json_object_get(o, "overrides"), *start = json_object_get(o, "start");
	size_t i;
	json_t *v;

	if (!only_keys(o, keys, reply))
		return false;
	if (!string_ok(cfg, CONFIG_MAX_SIZE)) {
		http_reply_error(reply, 400, "config must be the xl.cfg text (at most %d bytes)",
				 CONFIG_MAX_SIZE);
		return false;
	}
	if (path && (!string_ok(path, PATH_LEN_MAX) || !store_printable(json_string_value(path)))) {
		http_reply_error(reply, 400, "path must be a one-line string");
		return false;
	}
	if (ov && (!json_is_array(ov) || json_array_size(ov) > OVERRIDES_MAX)) {
		http_reply_error(reply, 400, "overrides must be an array of at most %d strings",
				 OVERRIDES_MAX);
		return false;
	}
	if (start && !json_is_boolean(start)) {
		http_reply_error(reply, 400, "start must be true or false");
		return false;
	}
	json_array_foreach(ov, i, v)
	{
		/* One statement each, as on xl's command line. */
		if (!string_ok(v, OVERRIDE_LEN_MAX) || !store_printable(json_string_value(v)) ||
		    !strchr(json_string_value(v), '=')) {
			http_reply_error(reply, 400, "overrides[%zu] must be one key=value line",
					 i);
			return false;
		}
		c->overrides[c->nr_overrides++] = (char *)json_string_value(v);
	}
	c->config = json_string_value(cfg);
	c->path = path ? json_string_value(path) : "config";
	c->start = json_is_true(start);
	return true;
}

/*
 * The parser's messages as the error, one "file:line: ..." per line (the
 * CLI prints each), and as a details array for the UI.
 */
static void config_errors(struct http_reply *reply, const char *msgs)
{
	json_t *details = json_array();
	char line[1024];
	size_t len = msgs ? strlen(msgs) : 0;

	for (const char *p = msgs ? msgs : ""; *p;) {
		size_t l = strcspn(p, "\n");

		if (l) {
			snprintf(line, sizeof(line), "%.*s", (int)MIN(l, sizeof(line) - 1), p);
			json_array_append_new(details, json_string(line));
		}
		p += l + (p[l] == '\n');
	}
	/* Without the last newline; bounded like any error text. */
	while (len && msgs[len - 1] == '\n')
		len--;
	if (!len || !json_array_size(details)) {
		json_decref(details);
		http_reply_error(reply, 400, "the configuration is not valid");
		return;
	}
	json_decref(reply->json);
	reply->status = 400;
	reply->json =
	    json_pack("{s:s%, s:o}", "error", msgs, MIN(len, (size_t)16384), "details", details);
	if (!reply->json)
		http_reply_error(reply, 400, "the configuration is not valid");
}

/*
 * xl reads relative paths from its own directory; xkvmd has none of the
 * client's, so a relative path would name some other file: refuse it.
 */
static const char *relative_path(const struct domain_config *cfg, const char **what)
{
	*what = "kernel";
	if (cfg->kernel && cfg->kernel[0] != '/')
		return cfg->kernel;
	*what = "ramdisk";
	if (cfg->ramdisk && cfg->ramdisk[0] != '/')
		return cfg->ramdisk;
	*what = "disk";
	for (unsigned i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].target && cfg->disks[i].target[0] != '/')
			return cfg->disks[i].target;
	return NULL;
}

/* Parse and check the config: fills cfg and the composed text, or replies 400. */
static char *check_config(struct api *api, const struct create_req *c, struct domain_config *cfg,
			  struct http_reply *reply)
{
	char *text =
	    config_compose_text(c->config, strlen(c->config), c->nr_overrides, c->overrides);
	char *msgs = NULL;
	const char *rel, *what;
	size_t len = 0;
	FILE *err = open_memstream(&msgs, &len);
	int r = -ENOMEM;

	if (text && err)
		r = domain_config_load_text(cfg, text, c->path, &api->limits, err);
	if (err)
		fclose(err);
	if (r) {
		if (r == -ENOMEM)
			http_reply_error(reply, 500, "out of memory");
		else
			config_errors(reply, msgs);
		free(text);
		text = NULL;
	} else if (!api_name_valid(cfg->name)) {
		http_reply_error(reply, 400,
				 "%s: name must be 1 to %d printable characters, no '/', and "
				 "not shaped like a uuid",
				 c->path, STORE_NAME_MAX);
		free(text);
		text = NULL;
	} else if ((rel = relative_path(cfg, &what))) {
		http_reply_error(reply, 400,
				 "%s: %s '%s' is a relative path: give xkvmd an absolute one",
				 c->path, what, rel);
		free(text);
		text = NULL;
	} else if (api->paths && (rel = path_policy_check(api->paths, cfg, &what))) {
		http_reply_error(reply, 403,
				 "%s: %s '%s' is not allowed: xkvmd takes files beneath "
				 "%s and its --allow-dir directories only, bridges %s and its "
				 "--allow-bridge ones only",
				 c->path, what, rel, PATH_POLICY_DEFAULT_DIR,
				 PATH_POLICY_DEFAULT_BRIDGE);
		free(text);
		text = NULL;
	} else if (msgs && *msgs) {
		pr_info("%s", msgs);
	}
	free(msgs);
	return text;
}

/* With the lock held: the row and its cfg file, all or nothing. */
static int store_new_vm(struct api *api, const struct vm_row *row, struct http_reply *reply)
{
	struct store *st = api->sup->store;
	char path[4096];
	int r;

	if (store_vm_name_taken(st, row->name)) {
		http_reply_error(reply, 409, "a VM named '%s' already exists", row->name);
		return -EEXIST;
	}
	r = store_begin(st);
	if (!r)
		r = store_vm_insert(st, row);
	if (!r)
		r = sup_write_cfg(api->sup, row->uuid, row->config_text);
	if (!r)
		r = sup_add(api->sup, row);
	if (!r && store_commit(st)) {
		sup_remove(api->sup, row->uuid);
		r = -EIO;
	}
	if (r) {
		store_rollback(st);
		if (!sup_cfg_path(api->sup, row->uuid, path, sizeof(path)))
			unlink(path);
		if (r == -EEXIST)
			http_reply_error(reply, 409, "a VM named '%s' already exists", row->name);
		else
			http_reply_error(reply, 500, "cannot store the VM: %s", strerror(-r));
	}
	return r;
}

/* A create whose start failed leaves nothing behind. */
static void undo_create(struct api *api, const char *uuid)
{
	struct vm_rt *vm;

	sup_lock(api->sup);
	vm = sup_vm(api->sup, uuid);
	if (vm && vm->state == RUN_HALTED && !store_vm_delete(api->sup->store, uuid))
		sup_remove(api->sup, uuid);
	sup_unlock(api->sup);
}

static void start_new_vm(struct api *api, const char *uuid, struct http_reply *reply)
{
	enum power_state end;
	char err[1024];
	int r = sup_action(api->sup, uuid, ACT_START, true, &end, err, sizeof(err));

	if (!r)
		return;
	json_decref(reply->json);
	reply->json = NULL;
	undo_create(api, uuid);
	http_reply_error(reply, r == -EINVAL ? 400 : 500, "%s", err[0] ? err : "start failed");
}

static void create_vm(struct api *api, const struct http_request *req, struct http_reply *reply)
{
	struct domain_config cfg;
	struct create_req c = {0};
	struct vm_row row = {0};
	json_t *body = body_object(req, reply);
	char *text = NULL;

	memset(&cfg, 0, sizeof(cfg));
	if (!body || !parse_create(body, &c, reply))
		goto out;
	text = check_config(api, &c, &cfg, reply);
	if (!text)
		goto out;
	api_new_uuid(row.uuid);
	row.name = cfg.name;
	row.description = (char *)"";
	row.tags = (char *)"[]";
	row.config_text = text;
	row.mode = (char *)vm_mode_for_type(cfg.type);
	row.created = time(NULL);
	sup_lock(api->sup);
	if (store_new_vm(api, &row, reply)) {
		sup_unlock(api->sup);
		goto out;
	}
	sup_unlock(api->sup);
	pr_info("VM %s (%s) created", row.uuid, row.name);
	if (c.start) {
		start_new_vm(api, row.uuid, reply);
		if (reply->json)
			goto out;
	}
	sup_lock(api->sup);
	reply_vm(api, row.uuid, 201, reply);
	sup_unlock(api->sup);
out:
	free(text);
	domain_config_free(&cfg);
	json_decref(body);
}

/* ---- update, delete ---- */

/* tags: an array of up to 64 short strings, as JSON text for the store. */
static char *tags_text(json_t *tags, struct http_reply *reply)
{
	size_t i;
	json_t *t;

	if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX) {
		http_reply_error(reply, 400, "tags must be an array of at most %d strings",
				 TAGS_MAX);
		return NULL;
	}
	json_array_foreach(tags, i, t)
	{
		if (!string_ok(t, TAG_LEN_MAX) || !json_string_length(t) ||
		    !store_printable(json_string_value(t))) {
			http_reply_error(reply, 400,
					 "tags[%zu] must be 1 to %d printable characters", i,
					 TAG_LEN_MAX);
			return NULL;
		}
	}
	return json_dumps(tags, JSON_COMPACT);
}

static void patch_vm(struct api *api, const char *id, const struct http_request *req,
		     struct http_reply *reply)
{
	static const char *const keys[] = {"name_description", "tags", "auto_poweron", NULL};
	json_t *body = body_object(req, reply), *desc, *tags, *ap;
	char *tags_json = NULL;
	struct vm_row row;

	if (!body || !only_keys(body, keys, reply))
		goto out;
	desc = json_object_get(body, "name_description");
	tags = json_object_get(body, "tags");
	ap = json_object_get(body, "auto_poweron");
	if (desc && !string_ok(desc, STORE_DESCRIPTION_MAX)) {
		http_reply_error(reply, 400,
				 "name_description must be a string of at most %d bytes",
				 STORE_DESCRIPTION_MAX);
		goto out;
	}
	if (ap && !json_is_boolean(ap)) {
		http_reply_error(reply, 400, "auto_poweron must be true or false");
		goto out;
	}
	if (tags && !(tags_json = tags_text(tags, reply)))
		goto out;
	sup_lock(api->sup);
	if (!find_vm(api, id, &row, reply)) {
		if (store_vm_update_meta(api->sup->store, row.uuid, json_string_value(desc),
					 tags_json, ap ? json_is_true(ap) : -1))
			http_reply_error(reply, 500, "database error");
		else
			reply_vm(api, row.uuid, 200, reply);
		vm_row_free(&row);
	}
	sup_unlock(api->sup);
out:
	free(tags_json);
	json_decref(body);
}

static void delete_vm(struct api *api, const char *id, struct http_reply *reply)
{
	struct vm_row row;
	struct vm_rt *vm;

	sup_lock(api->sup);
	if (!find_vm(api, id, &row, reply)) {
		vm = sup_vm(api->sup, row.uuid);
		if (vm && vm->state != RUN_HALTED) {
			http_reply_error(reply, 409, "the VM is not halted; shut it down first");
		} else if (store_vm_delete(api->sup->store, row.uuid)) {
			http_reply_error(reply, 500, "database error");
		} else {
			sup_remove(api->sup, row.uuid);
			pr_info("VM %s (%s) deleted", row.uuid, row.name);
			reply_json(reply, 200, json_object());
		}
		vm_row_free(&row);
	}
	sup_unlock(api->sup);
}

/* ---- actions, stats, console ---- */

/* The uuid for an id, or a 404 reply. */
static bool resolve(struct api *api, const char *id, char uuid[UUID_LEN + 1],
		    struct http_reply *reply)
{
	struct vm_row row;
	bool found;

	sup_lock(api->sup);
	found = !find_vm(api, id, &row, reply);
	if (found) {
		memcpy(uuid, row.uuid, UUID_LEN + 1);
		vm_row_free(&row);
	}
	sup_unlock(api->sup);
	return found;
}

static void vm_action(struct api *api, const char *id, const char *name,
		      const struct http_request *req, struct http_reply *reply)
{
	const char *sync = http_query(req, "sync");
	char uuid[UUID_LEN + 1], err[1024];
	enum vm_action action;
	enum power_state end;
	int r;

	if (vm_action_parse(name, &action)) {
		http_reply_error(reply, 404, "no action '%.64s'", name);
		return;
	}
	if (!resolve(api, id, uuid, reply))
		return;
	r = sup_action(api->sup, uuid, action, sync && strcmp(sync, "true") == 0, &end, err,
		       sizeof(err));
	if (r)
		http_reply_error(reply, status_for(r), "%s", err[0] ? err : strerror(-r));
	else
		reply_json(reply, 200, json_pack("{s:s}", "power_state", power_state_name(end)));
}

static void vm_stats(struct api *api, const char *id, struct http_reply *reply)
{
	char uuid[UUID_LEN + 1];
	struct vm_rt *vm;

	if (!resolve(api, id, uuid, reply))
		return;
	sup_lock(api->sup);
	vm = sup_vm(api->sup, uuid);
	if (vm)
		reply_json(reply, 200, sup_stats(vm));
	else
		http_reply_error(reply, 404, "the VM was deleted");
	sup_unlock(api->sup);
}

static void console_upgrade(void *arg, int fd, const uint8_t *extra, size_t extra_len, int stop_fd)
{
	console_pump(fd, extra, extra_len, arg, stop_fd);
}

static void vm_console(struct api *api, const char *id, struct http_reply *reply)
{
	char uuid[UUID_LEN + 1], path[4096];
	struct vm_rt *vm;

	if (!resolve(api, id, uuid, reply))
		return;
	sup_lock(api->sup);
	vm = sup_vm(api->sup, uuid);
	if (!vm || vm->state == RUN_HALTED || vm->state == RUN_STARTING)
		http_reply_error(reply, 409, "the VM is not running");
	else if (sup_vm_path(api->sup, uuid, "console.sock", path, sizeof(path)))
		http_reply_error(reply, 500, "run directory path too long");
	else if (!(reply->upgrade_arg = strdup(path)))
		http_reply_error(reply, 500, "out of memory");
	else {
		reply->upgrade = console_upgrade;
		reply->upgrade_free = free;
	}
	sup_unlock(api->sup);
}

/* ---- host ---- */

static json_t *meminfo(void)
{
	unsigned long long total = 0, avail = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "MemTotal:", 9) == 0)
			total = strtoull(line + 9, NULL, 10);
		else if (strncmp(line, "MemAvailable:", 13) == 0)
			avail = strtoull(line + 13, NULL, 10);
	}
	if (f)
		fclose(f);
	return json_pack("{s:I, s:I}", "size", (json_int_t)(total * 1024), "free",
			 (json_int_t)(avail * 1024));
}

static void host_info(struct api *api, struct http_reply *reply)
{
	char host[256] = "";
	unsigned running;

	gethostname(host, sizeof(host) - 1);
	sup_lock(api->sup);
	running = sup_running_count(api->sup);
	sup_unlock(api->sup);
	reply_json(reply, 200,
		   json_pack("{s:s, s:s, s:i, s:o, s:s, s:i}", "hostname", host, "xkvm_version",
			     XKVM_VERSION, "nr_cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "memory",
			     meminfo(), "kvm", api->kvm_mode, "vms_running", (int)running));
}

/* ---- routing ---- */

static bool method_is(const struct http_request *req, const char *m, struct http_reply *reply)
{
	if (strcmp(req->method, m) == 0)
		return true;
	http_reply_error(reply, 405, "method %.16s not allowed here", req->method);
	return false;
}

/* /rest/v0/vms/<id>/... */
static void route_vm(struct api *api, const struct http_request *req, char **seg, int n,
		     struct http_reply *reply)
{
	const char *m = req->method;

	if (n == 2) {
		if (strcmp(m, "GET") == 0)
			get_vm(api, seg[1], reply);
		else if (strcmp(m, "PATCH") == 0)
			patch_vm(api, seg[1], req, reply);
		else if (method_is(req, "DELETE", reply))
			delete_vm(api, seg[1], reply);
	} else if (n == 4 && strcmp(seg[2], "actions") == 0) {
		if (method_is(req, "POST", reply))
			vm_action(api, seg[1], seg[3], req, reply);
	} else if (n == 3 && strcmp(seg[2], "stats") == 0) {
		if (method_is(req, "GET", reply))
			vm_stats(api, seg[1], reply);
	} else if (n == 3 && strcmp(seg[2], "console") == 0) {
		if (method_is(req, "GET", reply))
			vm_console(api, seg[1], reply);
	} else {
		http_reply_error(reply, 404, "not found");
	}
}

void api_handle(void *ctx, const struct http_request *req, struct http_reply *reply)
{
	struct api *api = ctx;
	char path[2048], *seg[MAX_PATH_SEGMENTS], *save = NULL;
	int n = 0;

	if (strncmp(req->path, "/rest/v0/", 9) != 0 || strlen(req->path) >= sizeof(path)) {
		http_reply_error(reply, 404, "not found");
		return;
	}
	memcpy(path, req->path + 9, strlen(req->path + 9) + 1);
	for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == MAX_PATH_SEGMENTS) {
			http_reply_error(reply, 404, "not found");
			return;
		}
		seg[n++] = s;
	}
	if (n == 1 && strcmp(seg[0], "host") == 0) {
		if (method_is(req, "GET", reply))
			host_info(api, reply);
	} else if (n == 1 && strcmp(seg[0], "vms") == 0) {
		if (strcmp(req->method, "GET") == 0)
			list_vms(api, req, reply);
		else if (method_is(req, "POST", reply))
			create_vm(api, req, reply);
	} else if (n >= 2 && strcmp(seg[0], "vms") == 0) {
		route_vm(api, req, seg, n, reply);
	} else {
		http_reply_error(reply, 404, "not found");
	}
}
