/* SPDX-License-Identifier: MIT */
/* The budget of unauthenticated connections, on socket pairs. */
#include "daemon/conn_budget.h"
#include "lib/test.h"

#include <sys/socket.h>
#include <unistd.h>

struct pair {
	int server, client;
	struct budget_entry e;
};

static void open_pair(struct pair *p)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->server = sv[0];
	p->client = sv[1];
}

/* Shut down by the budget: the client reads EOF at once. */
static bool shut_down(const struct pair *p)
{
	char c;

	return recv(p->client, &c, 1, MSG_DONTWAIT) == 0;
}

static void test_oldest_unauthenticated_goes(void **state)
{
	struct conn_budget b;
	struct pair p[4];

	(void)state;
	budget_init(&b, 2);
	for (int i = 0; i < 4; i++)
		open_pair(&p[i]);
	budget_add(&b, &p[0].e, p[0].server);
	budget_add(&b, &p[1].e, p[1].server);
	/* The first shows the token: it no longer counts, and is never shut down. */
	budget_authenticated(&b, &p[0].e);
	budget_add(&b, &p[2].e, p[2].server);
	assert_int_equal(budget_pending(&b), 2);
	assert_false(shut_down(&p[0]) || shut_down(&p[1]) || shut_down(&p[2]));
	/* One more than the budget: the oldest unauthenticated one goes. */
	budget_add(&b, &p[3].e, p[3].server);
	assert_int_equal(budget_pending(&b), 2);
	assert_true(shut_down(&p[1]));
	assert_false(shut_down(&p[0]) || shut_down(&p[2]) || shut_down(&p[3]));
	/* Closing ones leave; removing twice (shut down, then closed) is harmless. */
	budget_remove(&b, &p[1].e);
	budget_remove(&b, &p[2].e);
	budget_remove(&b, &p[0].e);
	assert_int_equal(budget_pending(&b), 1);
	budget_remove(&b, &p[3].e);
	assert_int_equal(budget_pending(&b), 0);
	for (int i = 0; i < 4; i++) {
		close(p[i].server);
		close(p[i].client);
	}
	budget_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oldest_unauthenticated_goes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
