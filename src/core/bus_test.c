/* SPDX-License-Identifier: MIT */
#include "core/bus.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	int calls;
};

static void probe_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void test_overlap_rejected(void **state)
{
	struct io_bus bus;
	struct probe p = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x100, 8, probe_io, &p, "a"), 0);
	assert_int_equal(io_bus_register(&bus, 0x104, 8, probe_io, &p, "b"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0xfc, 8, probe_io, &p, "c"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x0, 0x200, probe_io, &p, "d"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x108, 8, probe_io, &p, "e"), 0);
	assert_int_equal(io_bus_register(&bus, 0xf8, 8, probe_io, &p, "f"), 0);
	assert_int_equal(io_bus_register(&bus, 0x1000, 0, probe_io, &p, "g"), -EINVAL);
	assert_int_equal(io_bus_register(&bus, UINT64_MAX - 1, 4, probe_io, &p, "h"), -EINVAL);
	assert_int_equal(io_bus_count(&bus), 3);
	assert_int_equal(io_bus_span(&bus), 24);
	io_bus_destroy(&bus);
}

static void test_dispatch_offsets(void **state)
{
	struct io_bus bus;
	struct probe a = {0}, b = {0};
	uint8_t data[4] = {1, 2, 3, 4};

	(void)state;
	io_bus_init(&bus, "t");
	/* Registered out of order: the table must still be sorted for lookups. */
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(
		    io_bus_register(&bus, 0x1000 + (39 - i) * 0x10, 0x10, probe_io, &b, "x"), 0);
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, probe_io, &a, "com1"), 0);
	assert_true(io_bus_access(&bus, 0x3fd, data, 1, false));
	assert_int_equal(a.offset, 5);
	assert_int_equal(data[0], 0x5a);
	assert_true(io_bus_access(&bus, 0x1234, data, 4, true));
	assert_int_equal(b.offset, 4);
	assert_true(b.is_write);
	io_bus_destroy(&bus);
}

static void test_unclaimed_and_straddling(void **state)
{
	struct io_bus bus;
	struct probe p = {0};
	uint8_t data[4] = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x70, 2, probe_io, &p, "rtc"), 0);
	assert_false(io_bus_access(&bus, 0x80, data, 1, false));
	assert_int_equal(data[0], 0xff);
	/* A 4-byte access at 0x71 runs past the device: it must not reach it. */
	assert_false(io_bus_access(&bus, 0x71, data, 4, false));
	assert_int_equal(p.calls, 0);
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	io_bus_destroy(&bus);
}

static void test_unregister(void **state)
{
	struct io_bus bus;
	struct probe a = {0}, b = {0};
	uint8_t data[1] = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x100, 8, probe_io, &a, "a"), 0);
	assert_int_equal(io_bus_register(&bus, 0x200, 8, probe_io, &b, "b"), 0);
	/* Only the exact base with the same owner removes a range. */
	assert_int_equal(io_bus_unregister(&bus, 0x104, &a), -ENOENT);
	assert_int_equal(io_bus_unregister(&bus, 0x100, &b), -ENOENT);
	assert_int_equal(io_bus_unregister(&bus, 0x100, &a), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x100, &a), -ENOENT);
	assert_false(io_bus_access(&bus, 0x100, data, 1, true));
	assert_true(io_bus_access(&bus, 0x200, data, 1, true));
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 1);
	/* The freed place takes a new range; the last one leaves an empty bus. */
	assert_int_equal(io_bus_register(&bus, 0x0fc, 8, probe_io, &a, "a2"), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x0fc, &a), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x200, &b), 0);
	assert_int_equal(io_bus_count(&bus), 0);
	assert_int_equal(io_bus_span(&bus), 0);
	assert_false(io_bus_access(&bus, 0x200, data, 1, false));
	io_bus_destroy(&bus);
}

static void test_move(void **state)
{
	struct io_bus bus;
	struct probe bar = {0}, other = {0};
	uint8_t data[4] = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0xe0000000, 0x1000, probe_io, &bar, "bar"), 0);
	assert_int_equal(io_bus_register(&bus, 0xe0010000, 0x1000, probe_io, &other, "o"), 0);
	assert_int_equal(io_bus_move(&bus, 0xe0000000, 0xf0000000, &bar), 0);
	assert_false(io_bus_access(&bus, 0xe0000010, data, 4, false));
	assert_true(io_bus_access(&bus, 0xf0000010, data, 4, false));
	assert_int_equal(bar.offset, 0x10);
	/* Over another range: refused, and the range stays where it was. */
	assert_int_equal(io_bus_move(&bus, 0xf0000000, 0xe000f800, &bar), -EBUSY);
	assert_int_equal(io_bus_move(&bus, 0xf0000000, UINT64_MAX - 0x800, &bar), -EINVAL);
	assert_int_equal(io_bus_move(&bus, 0xe0000000, 0xd0000000, &bar), -ENOENT);
	assert_int_equal(io_bus_move(&bus, 0xf0000000, 0xd0000000, &other), -ENOENT);
	assert_true(io_bus_access(&bus, 0xf0000ffc, data, 4, true));
	/* Onto part of its own old place, and below the other range: the table stays sorted. */
	assert_int_equal(io_bus_move(&bus, 0xf0000000, 0xf0000800, &bar), 0);
	assert_int_equal(io_bus_move(&bus, 0xf0000800, 0x1000, &bar), 0);
	assert_true(io_bus_access(&bus, 0x1004, data, 4, true));
	assert_int_equal(bar.offset, 4);
	assert_true(io_bus_access(&bus, 0xe0010000, data, 4, true));
	assert_int_equal(other.calls, 1);
	assert_int_equal(io_bus_count(&bus), 2);
	io_bus_destroy(&bus);
}

/* A vCPU whose access moves the very range it is in (a BAR write) must not deadlock. */
struct self_mover {
	struct io_bus *bus;
	uint64_t base;
	int moves;
};

static void self_move_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct self_mover *m = opaque;

	if (!is_write)
		return;
	assert_int_equal(io_bus_move(m->bus, m->base, m->base + 0x100, m), 0);
	m->base += 0x100;
	m->moves++;
}

static void test_move_from_inside_an_access(void **state)
{
	struct io_bus bus;
	struct self_mover m = {&bus, 0x1000, 0};
	uint8_t data[4] = {0};

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x1000, 0x10, self_move_io, &m, "self"), 0);
	for (int i = 0; i < 1000; i++)
		assert_true(io_bus_access(&bus, m.base, data, 4, true));
	assert_int_equal(m.moves, 1000);
	assert_false(io_bus_access(&bus, 0x1000, data, 4, true));
	/* Each move freed the tables before it: only the one its own access held waits. */
	assert_int_equal(__atomic_load_n(&bus.nr_retired, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(io_bus_unregister(&bus, m.base, &m), 0);
	assert_int_equal(__atomic_load_n(&bus.nr_retired, __ATOMIC_SEQ_CST), 0);
	io_bus_destroy(&bus);
}

/* A reader parked inside a handler keeps its table, and only that one, until it leaves. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool inside, open;
};

static void gate_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct gate *g = opaque;

	pthread_mutex_lock(&g->lock);
	g->inside = true;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void *gate_reader(void *arg)
{
	struct io_bus *bus = arg;
	uint8_t data[1];

	io_bus_access(bus, 0x10, data, 1, false);
	return NULL;
}

static void test_frees_wait_for_readers(void **state)
{
	struct gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct io_bus bus;
	struct probe p = {0};
	uint8_t data[1];
	pthread_t t;

	(void)state;
	io_bus_init(&bus, "t");
	assert_int_equal(io_bus_register(&bus, 0x10, 1, gate_io, &g, "gate"), 0);
	assert_int_equal(io_bus_register(&bus, 0x100, 1, probe_io, &p, "bar"), 0);
	assert_int_equal(pthread_create(&t, NULL, gate_reader, &bus), 0);
	pthread_mutex_lock(&g.lock);
	while (!g.inside)
		pthread_cond_wait(&g.cond, &g.lock);
	pthread_mutex_unlock(&g.lock);
	/* Its table outlives 100 moves; every other replaced table is freed at once. */
	for (uint64_t i = 0; i < 100; i++) {
		assert_int_equal(io_bus_move(&bus, 0x100 + i, 0x101 + i, &p), 0);
		assert_int_equal(__atomic_load_n(&bus.nr_retired, __ATOMIC_SEQ_CST), 1);
	}
	pthread_mutex_lock(&g.lock);
	g.open = true;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	pthread_join(t, NULL);
	/* Once it left, the next change frees it. */
	assert_true(io_bus_access(&bus, 0x164, data, 1, false));
	assert_int_equal(io_bus_move(&bus, 0x164, 0x200, &p), 0);
	assert_int_equal(__atomic_load_n(&bus.nr_retired, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(p.calls, 1);
	io_bus_destroy(&bus);
}

/*
 * Stress: reader threads dispatch while a writer moves a range back and
 * forth and adds and removes another.  Every access must reach the right
 * device with an in-range offset, or nothing; ASan/TSan builds catch a
 * table freed under a reader.
 */
#define STRESS_READERS 3
#define STRESS_MOVES   200000

#define STRESS_MAGIC 0xb05u

struct stress_dev {
	uint32_t magic;
	uint64_t *bad;
};

struct stress {
	struct io_bus bus;
	int stop;
	struct stress_dev dev[3]; /* the mover, the churner, a fixed one */
	uint64_t claimed[STRESS_READERS];
	uint64_t bad;
};

static void stress_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	const struct stress_dev *d = opaque;

	if (d->magic != STRESS_MAGIC || offset + len > 0x100)
		__atomic_add_fetch(d->bad, 1, __ATOMIC_RELAXED);
	if (!is_write)
		memcpy(data, &d->magic, sizeof(d->magic));
}

struct stress_reader {
	struct stress *s;
	unsigned id;
};

static void *stress_reader(void *arg)
{
	struct stress_reader *sr = arg;
	struct stress *s = sr->s;
	unsigned seed = sr->id + 1;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		static const uint64_t addrs[] = {0x1000, 0x2000, 0x3000, 0x4000, 0x10fc};
		uint64_t addr = addrs[rand_r(&seed) % 5] + (rand_r(&seed) % 0x100);
		uint8_t data[4];

		if (addr % 0x1000 > 0xfc)
			addr -= 4;
		if (io_bus_access(&s->bus, addr, data, 4, false)) {
			uint32_t v;

			memcpy(&v, data, 4);
			if (v != STRESS_MAGIC)
				__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
			s->claimed[sr->id]++;
		}
	}
	return NULL;
}

/* Returns the most tables ever waiting to be freed. */
static unsigned stress_write(struct stress *s)
{
	uint64_t base = 0x1000;
	unsigned peak = 0;

	for (int i = 0; i < STRESS_MOVES; i++) {
		uint64_t next = base == 0x1000 ? 0x2000 : 0x1000;

		assert_int_equal(io_bus_move(&s->bus, base, next, &s->dev[0]), 0);
		base = next;
		peak = MAX(peak, __atomic_load_n(&s->bus.nr_retired, __ATOMIC_RELAXED));
		if (i % 16 == 0) {
			assert_int_equal(
			    io_bus_register(&s->bus, 0x3000, 0x100, stress_io, &s->dev[1], "churn"),
			    0);
			assert_int_equal(io_bus_unregister(&s->bus, 0x3000, &s->dev[1]), 0);
		}
	}
	return peak;
}

static void test_stress_readers_and_mover(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct stress_reader sr[STRESS_READERS];
	pthread_t t[STRESS_READERS];
	uint64_t total = 0;
	unsigned peak;

	(void)state;
	assert_non_null(s);
	for (unsigned i = 0; i < 3; i++)
		s->dev[i] = (struct stress_dev){STRESS_MAGIC, &s->bad};
	io_bus_init(&s->bus, "stress");
	assert_int_equal(io_bus_register(&s->bus, 0x1000, 0x100, stress_io, &s->dev[0], "bar"), 0);
	assert_int_equal(io_bus_register(&s->bus, 0x4000, 0x100, stress_io, &s->dev[2], "fix"), 0);
	for (unsigned i = 0; i < STRESS_READERS; i++) {
		sr[i] = (struct stress_reader){s, i};
		assert_int_equal(pthread_create(&t[i], NULL, stress_reader, &sr[i]), 0);
	}
	peak = stress_write(s);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < STRESS_READERS; i++) {
		pthread_join(t[i], NULL);
		total += s->claimed[i];
	}
	print_message("%d moves, %llu accesses claimed, at most %u tables waiting\n", STRESS_MOVES,
		      (unsigned long long)total, peak);
	assert_int_equal(s->bad, 0);
	assert_true(total > 0);
	/* Bounded: each reader holds at most one replaced table. */
	assert_true(peak <= STRESS_READERS);
	/* Readers gone: one more change frees everything still retired. */
	assert_int_equal(io_bus_move(&s->bus, 0x1000, 0x5000, &s->dev[0]) == 0 ||
			     io_bus_move(&s->bus, 0x2000, 0x5000, &s->dev[0]) == 0,
			 1);
	assert_int_equal(__atomic_load_n(&s->bus.nr_retired, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(io_bus_count(&s->bus), 2);
	io_bus_destroy(&s->bus);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlap_rejected),
	    cmocka_unit_test(test_dispatch_offsets),
	    cmocka_unit_test(test_unclaimed_and_straddling),
	    cmocka_unit_test(test_unregister),
	    cmocka_unit_test(test_move),
	    cmocka_unit_test(test_move_from_inside_an_access),
	    cmocka_unit_test(test_frees_wait_for_readers),
	    cmocka_unit_test(test_stress_readers_and_mover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
