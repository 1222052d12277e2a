/* SPDX-License-Identifier: MIT */
/*
 * A budget for the TCP connections that have not shown the token yet.
 *
 * Every TCP client on loopback has the same address, so a per-address cap
 * lets a few idle connections (a port scanner, a hostile local page) lock
 * out the real user.  Instead, connections that have not authenticated are
 * kept oldest first, and when there are more than the budget the oldest
 * is shut down: a real client sends its request within milliseconds of
 * connecting, so it is never the oldest for long, and an authenticated
 * connection leaves the budget altogether.
 */
#ifndef XKVM_DAEMON_CONN_BUDGET_H
#define XKVM_DAEMON_CONN_BUDGET_H

#include <pthread.h>
#include <stdbool.h>

struct budget_entry {
	struct budget_entry *prev, *next;
	int fd;
	bool listed; /* counted against the budget */
};

struct conn_budget {
	pthread_mutex_t lock;
	struct budget_entry *oldest, *newest;
	unsigned pending, max_pending;
};

void budget_init(struct conn_budget *b, unsigned max_pending);
void budget_fini(struct conn_budget *b);
/* A new connection on fd: listed; the oldest listed ones beyond the budget are shut down. */
void budget_add(struct conn_budget *b, struct budget_entry *e, int fd);
/* The connection showed the token: it no longer counts. */
void budget_authenticated(struct conn_budget *b, struct budget_entry *e);
/* The connection is closing (its fd is still open): forget it. */
void budget_remove(struct conn_budget *b, struct budget_entry *e);
/* How many unauthenticated connections are counted now. */
unsigned budget_pending(struct conn_budget *b);

#endif
