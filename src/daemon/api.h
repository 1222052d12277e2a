/* SPDX-License-Identifier: MIT */
/* The REST API of docs/toolstack.md (/rest/v0/...), on top of the HTTP layer. */
#ifndef XKVM_DAEMON_API_H
#define XKVM_DAEMON_API_H

#include "daemon/http.h"
#include "daemon/path_policy.h"
#include "daemon/supervisor.h"
#include "toolstack/config.h"

struct api {
	struct supervisor *sup;
	const char *kvm_mode; /* "native" or "nested", for /host */
	struct host_limits limits;
	const struct path_policy *paths; /* what configs may use; NULL: anything (tests) */
};

/* The http_handler_fn for /rest/...; ctx is a struct api. */
void api_handle(void *ctx, const struct http_request *req, struct http_reply *reply);

/* Helpers, exposed for tests. */
void api_new_uuid(char out[UUID_LEN + 1]);
/* A name as a VM's name_label: 1 to 64 printable characters, not uuid-shaped. */
bool api_name_valid(const char *name);

#endif
