/* SPDX-License-Identifier: MIT */
/*
 * The host console against readers that do not read: a pipe nobody
 * drains must not make console_offer wait, console_write waits a bounded
 * time and counts what it drops, the descriptor out_fd shares with others
 * stays blocking, and what is taken arrives in order, once.
 */
#include "devices/console.h"
#include "lib/log.h"
#include "lib/test.h"
#include "lib/util.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIPE_SIZE 4096

struct fixture {
	struct console con;
	int pipe[2];
	unsigned rooms; /* room calls seen */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	log_set_level(LOG_ERROR);
	assert_non_null(f);
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC), 0);
	/* A small pipe: the reader's side fills after a page. */
	assert_true(fcntl(f->pipe[1], F_SETPIPE_SZ, PIPE_SIZE) >= PIPE_SIZE);
	assert_int_equal(console_init(&f->con, NULL, -1, f->pipe[1]), 0);
	f->con.stall_ms = 50;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	console_destroy(&f->con);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f);
	return 0;
}

static void pattern(uint8_t *buf, size_t len, size_t from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((from + i) % 251);
}

static void room(void *opaque)
{
	struct fixture *f = opaque;

	__atomic_add_fetch(&f->rooms, 1, __ATOMIC_RELAXED);
}

/* Read len bytes from the pipe and check they continue the pattern at from. */
static void expect_read(struct fixture *f, size_t from, size_t len)
{
	uint8_t want[4096], got[4096];

	while (len) {
		struct pollfd p = {.fd = f->pipe[0], .events = POLLIN};
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(f->pipe[0], got, MIN(len, sizeof(got)));
		assert_true(n > 0);
		pattern(want, (size_t)n, from);
		assert_memory_equal(got, want, (size_t)n);
		from += (size_t)n;
		len -= (size_t)n;
	}
}

/* Offer until the console is full; returns the bytes it took. */
static size_t fill(struct fixture *f)
{
	uint8_t buf[1000];
	size_t total = 0, n;

	do {
		pattern(buf, sizeof(buf), total);
		n = console_offer(&f->con, buf, sizeof(buf));
		total += n;
		if (n == sizeof(buf) || total < CONSOLE_OUT_BUF)
			continue;
		/* Give the thread a moment to move more into the pipe. */
		usleep(20 * 1000);
		pattern(buf, sizeof(buf), total);
		n = console_offer(&f->con, buf, sizeof(buf));
		total += n;
	} while (n == sizeof(buf));
	return total;
}

static void shared_description_stays_blocking(void **state)
{
	struct fixture *f = *state;

	assert_false(fcntl(f->pipe[1], F_GETFL) & O_NONBLOCK);
	assert_true(f->con.write_fd_owned);
	assert_true(fcntl(f->con.write_fd, F_GETFL) & O_NONBLOCK);
}

static void offer_takes_what_fits_then_room(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[100];
	size_t total;

	console_set_room(&f->con, room, f);
	assert_int_equal(console_start(&f->con, NULL, NULL), 0);
	total = fill(f);
	/* Nobody reads: the pipe and the buffer hold it all, and no more. */
	assert_true(total >= CONSOLE_OUT_BUF && total <= CONSOLE_OUT_BUF + PIPE_SIZE);
	/* Full, and nothing moves: no room call, however long we wait. */
	__atomic_store_n(&f->rooms, 0, __ATOMIC_RELAXED);
	pattern(buf, sizeof(buf), total);
	assert_int_equal(console_offer(&f->con, buf, sizeof(buf)), 0);
	usleep(50 * 1000);
	assert_int_equal(__atomic_load_n(&f->rooms, __ATOMIC_RELAXED), 0);
	/* The reader comes back: every byte, in order, once, and a room call. */
	expect_read(f, 0, total);
	assert_true(__atomic_load_n(&f->rooms, __ATOMIC_RELAXED) >= 1);
	assert_int_equal(console_offer(&f->con, buf, sizeof(buf)), sizeof(buf));
	expect_read(f, total, sizeof(buf));
	assert_int_equal(f->con.dropped, 0);
}

/* Wait until the thread wrote something after a stall: the reader took some. */
static void wait_flowing(struct fixture *f)
{
	bool stalled = true;

	for (int i = 0; i < 500 && stalled; i++) {
		pthread_mutex_lock(&f->con.out_lock);
		stalled = f->con.stalled;
		pthread_mutex_unlock(&f->con.out_lock);
		if (stalled)
			usleep(10 * 1000);
	}
	assert_false(stalled);
}

static void write_drops_after_a_stall(void **state)
{
	struct fixture *f = *state;
	size_t len = CONSOLE_OUT_BUF + 2U * PIPE_SIZE;
	uint8_t *buf = malloc(len);
	long long start = monotonic_ms();
	uint64_t dropped;

	assert_non_null(buf);
	pattern(buf, len, 0);
	f->con.stall_ms = 200; /* well above what an immediate drop takes on a busy host */
	assert_int_equal(console_start(&f->con, NULL, NULL), 0);
	console_write(&f->con, buf, len);
	/* One stall_ms, not for ever; what did not fit is counted. */
	assert_true(monotonic_ms() - start < 2000);
	assert_true(f->con.stalled);
	dropped = f->con.dropped;
	assert_true(dropped > 0 && dropped <= (uint64_t)2 * PIPE_SIZE);
	/* Stalled: later output is dropped at once, not after another wait. */
	start = monotonic_ms();
	console_write(&f->con, buf, 10);
	assert_true(monotonic_ms() - start < 100);
	assert_int_equal(f->con.dropped, dropped + 10);
	/* What was taken arrives whole; once the reader reads, output flows again. */
	expect_read(f, 0, len - (size_t)dropped);
	wait_flowing(f);
	console_write(&f->con, buf, 10);
	expect_read(f, 0, 10);
	assert_int_equal(f->con.dropped, dropped + 10);
	free(buf);
}

static void destroy_does_not_wait_for_a_stalled_reader(void **state)
{
	struct fixture *f = *state;
	long long start;

	assert_int_equal(console_start(&f->con, NULL, NULL), 0);
	fill(f);
	start = monotonic_ms();
	console_destroy(&f->con);
	assert_true(monotonic_ms() - start < 2000);
	assert_true(f->con.dropped >= CONSOLE_OUT_BUF - PIPE_SIZE);
	/* teardown destroys again: leave it something to destroy. */
	assert_int_equal(console_init(&f->con, NULL, -1, f->pipe[1]), 0);
}

static void regular_file_gets_everything(void **state)
{
	struct fixture *f = *state;
	FILE *tmp = tmpfile();
	uint8_t buf[3000], got[3000];

	assert_non_null(tmp);
	console_destroy(&f->con);
	assert_int_equal(console_init(&f->con, NULL, -1, fileno(tmp)), 0);
	assert_false(f->con.write_fd_owned);
	assert_int_equal(console_start(&f->con, NULL, NULL), 0);
	pattern(buf, sizeof(buf), 0);
	for (size_t i = 0; i < sizeof(buf); i += 100)
		console_write(&f->con, buf + i, 100);
	console_destroy(&f->con); /* writes out what is left */
	assert_int_equal(pread(fileno(tmp), got, sizeof(got), 0), sizeof(got));
	assert_memory_equal(got, buf, sizeof(buf));
	fclose(tmp);
	assert_int_equal(console_init(&f->con, NULL, -1, f->pipe[1]), 0);
}

struct sink {
	pthread_mutex_t lock;
	uint8_t got[16];
	size_t n;
	unsigned refusals; /* calls that take nothing, as a guest with a full ring */
};

static size_t take_one(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	if (s->refusals)
		s->refusals--;
	else if (len && s->n < sizeof(s->got))
		s->got[s->n++] = buf[n++];
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void input_reaches_the_guest_while_output_is_stuck(void **state)
{
	struct fixture *f = *state;
	struct sink s = {.refusals = 3};
	int in[2];
	size_t n = 0;

	pthread_mutex_init(&s.lock, NULL);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	console_destroy(&f->con);
	assert_int_equal(console_init(&f->con, NULL, in[0], f->pipe[1]), 0);
	assert_int_equal(console_start(&f->con, take_one, &s), 0);
	fill(f);
	assert_int_equal(write(in[1], "abc", 3), 3);
	for (int i = 0; i < 500 && n < 3; i++) {
		usleep(10 * 1000);
		pthread_mutex_lock(&s.lock);
		n = s.n;
		pthread_mutex_unlock(&s.lock);
	}
	assert_int_equal(n, 3);
	assert_memory_equal(s.got, "abc", 3);
	console_destroy(&f->con);
	close(in[0]);
	close(in[1]);
	pthread_mutex_destroy(&s.lock);
	assert_int_equal(console_init(&f->con, NULL, -1, f->pipe[1]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(shared_description_stays_blocking, setup, teardown),
	    cmocka_unit_test_setup_teardown(offer_takes_what_fits_then_room, setup, teardown),
	    cmocka_unit_test_setup_teardown(write_drops_after_a_stall, setup, teardown),
	    cmocka_unit_test_setup_teardown(destroy_does_not_wait_for_a_stalled_reader, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(regular_file_gets_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(input_reaches_the_guest_while_output_is_stuck, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
