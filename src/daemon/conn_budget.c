/* SPDX-License-Identifier: MIT */
#include "daemon/conn_budget.h"

#include <sys/socket.h>

void budget_init(struct conn_budget *b, unsigned max_pending)
{
	*b = (struct conn_budget){.max_pending = max_pending};
	pthread_mutex_init(&b->lock, NULL);
}

void budget_fini(struct conn_budget *b)
{
	pthread_mutex_destroy(&b->lock);
}

/* With the lock held. */
static void unlist(struct conn_budget *b, struct budget_entry *e)
{
	if (!e->listed)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		b->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		b->newest = e->prev;
	e->prev = e->next = NULL;
	e->listed = false;
	b->pending--;
}

void budget_add(struct conn_budget *b, struct budget_entry *e, int fd)
{
	pthread_mutex_lock(&b->lock);
	*e = (struct budget_entry){.prev = b->newest, .fd = fd, .listed = true};
	if (b->newest)
		b->newest->next = e;
	else
		b->oldest = e;
	b->newest = e;
	b->pending++;
	while (b->pending > b->max_pending) {
		struct budget_entry *old = b->oldest;

		/*
		 * The server closes the fd only after budget_remove (under this
		 * lock), so it is still this connection's: its thread sees EOF
		 * and ends the connection.
		 */
		shutdown(old->fd, SHUT_RDWR);
		unlist(b, old);
	}
	pthread_mutex_unlock(&b->lock);
}

void budget_authenticated(struct conn_budget *b, struct budget_entry *e)
{
	pthread_mutex_lock(&b->lock);
	unlist(b, e);
	pthread_mutex_unlock(&b->lock);
}

void budget_remove(struct conn_budget *b, struct budget_entry *e)
{
	budget_authenticated(b, e);
}

unsigned budget_pending(struct conn_budget *b)
{
	unsigned n;

	pthread_mutex_lock(&b->lock);
	n = b->pending;
	pthread_mutex_unlock(&b->lock);
	return n;
}
