/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xkvmd's REST handlers (api.c, vm_object.c) over a
 * real SQLite store and state directory in a temporary directory; no VMM
 * is ever started.  The input is a sequence of requests separated by NUL
 * bytes, each "METHOD /path?key=value&...\n" then the body:
 *
 *   PATCH /rest/v0/vms/fuzz-vm\n{"tags":["a"]}
 *
 * Every input starts from an empty store holding one VM, "fuzz-vm",
 * created through the API.  Requests that would start a VMM (the start
 * action, a create with "start": true) are left out.  The query string
 * reaches the handlers through MHD_lookup_connection_value, which this
 * file replaces (the executable's definition wins over libmicrohttpd's).
 */
#include "daemon/api.h"
#include "daemon/store.h"
#include "daemon/supervisor.h"
#include "lib/log.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_ARGS     16
#define MAX_REQUESTS 32

/* What MHD would have parsed out of the request line. */
struct fake_conn {
	unsigned nr_args;
	const char *key[MAX_ARGS];
	const char *value[MAX_ARGS];
};

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
					const char *key)
{
	const struct fake_conn *c = (const struct fake_conn *)connection;

	if (kind != MHD_GET_ARGUMENT_KIND || !key)
		return NULL;
	for (unsigned i = 0; i < c->nr_args; i++)
		if (strcmp(c->key[i], key) == 0)
			return c->value[i];
	return NULL;
}

/*
 * One temporary directory and one store per process, opened once: opening
 * SQLite costs more than a request.  Each input empties the store again.
 * tmpfs when there is one: the store syncs its writes.
 */
static char tmpdir[] = "/dev/shm/fuzz-api.XXXXXX";
static struct store *store;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmpdir(void)
{
	store_close(store);
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	if (access("/dev/shm", W_OK))
		memcpy(tmpdir, "/tmp/fuzz-api.XXXXXX", sizeof("/tmp/fuzz-api.XXXXXX"));
	if (!mkdtemp(tmpdir))
		abort();
	atexit(remove_tmpdir);
	snprintf(path, sizeof(path), "%s/xkvmd.db", tmpdir);
	if (store_open(&store, path))
		abort();
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	if (mkdir(path, 0700))
		abort();
	snprintf(path, sizeof(path), "%s/run", tmpdir);
	if (mkdir(path, 0700))
		abort();
	return 0;
}

/* "key=value&..." in place into c (no percent-decoding: the handlers get raw bytes). */
static void parse_query(char *q, struct fake_conn *c)
{
	char *save = NULL;

	for (char *a = strtok_r(q, "&", &save); a && c->nr_args < MAX_ARGS;
	     a = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(a, '=');

		c->key[c->nr_args] = a;
		c->value[c->nr_args] = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		c->nr_args++;
	}
}

/* Would this request start a VMM? */
static bool starts_a_vm(const char *method, const char *path, const char *body)
{
	const char *act = strstr(path, "/actions/");
	enum vm_action a;
	json_t *o, *start;
	bool yes;

	if (strcmp(method, "POST") != 0)
		return false;
	if (act && vm_action_parse(act + 9, &a) == 0 && a == ACT_START)
		return true;
	if (!body)
		return false;
	o = json_loads(body, JSON_DECODE_ANY, NULL);
	start = json_is_object(o) ? json_object_get(o, "start") : NULL;
	yes = start && !json_is_false(start);
	json_decref(o);
	return yes;
}

static unsigned handle(struct api *api, const char *method, char *url, const char *body)
{
	struct fake_conn conn = {0};
	struct http_reply reply = {0};
	struct http_request req = {.method = method, .path = url, .body = body};
	char *q = strchr(url, '?');

	if (q) {
		*q = '\0';
		parse_query(q + 1, &conn);
	}
	if (starts_a_vm(method, url, body))
		return 0;
	req.conn = (struct MHD_Connection *)&conn;
	req.body_len = body ? strlen(body) : 0;
	api_handle(api, &req, &reply);
	if (reply.status < 200 || reply.status > 599)
		abort();
	if (reply.json && !json_is_object(reply.json) && !json_is_array(reply.json))
		abort();
	/* A refusal always says why, as the CLI and the web UI show it. */
	if (reply.status >= 400 && !json_is_string(json_object_get(reply.json, "error")))
		abort();
	/* As the HTTP layer does with the reply. */
	free(json_dumps(reply.json, JSON_COMPACT));
	json_decref(reply.json);
	if (reply.upgrade_free)
		reply.upgrade_free(reply.upgrade_arg);
	return reply.status;
}

/* One record: "METHOD URL\nBODY". */
static void one_request(struct api *api, char *rec)
{
	char *nl = strchr(rec, '\n'), *sp, *body = NULL;

	if (nl) {
		*nl = '\0';
		body = *(nl + 1) ? nl + 1 : NULL;
	}
	sp = strchr(rec, ' ');
	if (!sp)
		return;
	*sp = '\0';
	handle(api, rec, sp + 1, body);
}

static void delete_all(struct supervisor *sup)
{
	struct vm_row *rows;
	size_t n;

	sup_lock(sup);
	if (store_vm_list(sup->store, &rows, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (store_vm_delete(sup->store, rows[i].uuid) == 0)
				sup_remove(sup, rows[i].uuid);
		vm_rows_free(rows, n);
	}
	sup_unlock(sup);
}

static void run(struct api *api, const uint8_t *data, size_t size)
{
	char seed_url[] = "/rest/v0/vms";
	char *text = malloc(size + 1), *rec = text;

	if (!text)
		abort();
	/* The VM every input can refer to. */
	if (handle(api, "POST", seed_url,
		   "{\"config\": \"name='fuzz-vm'\\nkernel='/dev/null'\\nmemory=256\\n\"}") != 201)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (unsigned i = 0; i < MAX_REQUESTS && rec < text + size; i++) {
		size_t len = strlen(rec);

		one_request(api, rec);
		rec += len + 1;
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supervisor sup;
	struct api api = {.sup = &sup, .kvm_mode = "native"};
	char state[PATH_MAX], rundir[PATH_MAX];

	log_set_level(LOG_ERROR);
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	snprintf(rundir, sizeof(rundir), "%s/run", tmpdir);
	api.limits = (struct host_limits){.memory_mib = 4096, .max_vcpus = 8};
	if (sup_init(&sup, store, state, rundir, "/nonexistent/xkvm"))
		abort();
	run(&api, data, size);
	delete_all(&sup);
	sup_fini(&sup);
	return 0;
}
