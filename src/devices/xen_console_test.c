/* SPDX-License-Identifier: MIT */
/*
 * The hvc0 backend against a host console whose reader does not read: the
 * service thread (here, the test's own) must go on serving; what the
 * console cannot take stays in the guest's ring, and arrives in order and
 * once when the reader reads again, with the guest notified as its ring
 * drains.
 */
#include "core/vm.h"
#include "devices/console.h"
#include "devices/xen_console.h"
#include "lib/log.h"
#include "lib/test.h"
#include "lib/util.h"
#include "xen/domain.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PIPE_SIZE 4096

struct fixture {
	struct vm vm;
	struct xen_domain xd;
	struct xen_console xc;
	struct console con;
	struct xencons_interface *ring;
	uint8_t shared_info[4096];
	int pipe[2];
	size_t written; /* bytes of the pattern the guest has put in its ring */
	unsigned sends; /* notifications the guest got */
};

static int fake_send(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu)
{
	struct fixture *f = (struct fixture *)((uint8_t *)t - offsetof(struct fixture, xd.evtchn));

	(void)port;
	(void)vcpu;
	__atomic_add_fetch(&f->sends, 1, __ATOMIC_RELAXED);
	return 0;
}

static void fake_wake(struct evtchn_table *t, uint32_t vcpu)
{
	(void)t;
	(void)vcpu;
}

static int fake_set_attr(struct evtchn_table *t, const struct kvm_xen_hvm_attr *a)
{
	(void)t;
	(void)a;
	return -ENOSYS;
}

static const struct evtchn_kvm_ops fake_kvm = {
    .send = fake_send, .wake = fake_wake, .set_attr = fake_set_attr};

static size_t offer(void *opaque, const uint8_t *buf, size_t len)
{
	return console_offer(opaque, buf, len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	log_set_level(LOG_ERROR);
	assert_non_null(f);
	f->ring = aligned_alloc(4096, 4096);
	assert_non_null(f->ring);
	memset(f->ring, 0, 4096);
	f->vm.vm_fd = -1;
	f->xd.vm = &f->vm;
	f->xd.domid = XEN_GUEST_DOMID;
	evtchn_init(&f->xd.evtchn, &f->vm, f->xd.domid);
	f->xd.evtchn.ops = &fake_kvm;
	evtchn_set_shared_info(&f->xd.evtchn, f->shared_info, true);
	f->xd.console_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(f->xd.console_efd >= 0);
	f->xd.console_port = evtchn_alloc_backend_port(&f->xd.evtchn, f->xd.console_efd);
	assert_true(f->xd.console_port > 0);
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC), 0);
	assert_true(fcntl(f->pipe[1], F_SETPIPE_SZ, PIPE_SIZE) >= PIPE_SIZE);
	assert_int_equal(console_init(&f->con, &f->vm, -1, f->pipe[1]), 0);
	f->con.stall_ms = 50;
	xen_console_init(&f->xc, &f->xd, f->ring);
	/* Wired as the PVH machine wires them (machine/xen_pvh.c). */
	f->xd.console_offer = offer;
	f->xd.console_opaque = &f->con;
	console_set_room(&f->con, xen_console_room, &f->xc);
	assert_int_equal(console_start(&f->con, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	console_destroy(&f->con);
	xen_console_destroy(&f->xc);
	evtchn_destroy(&f->xd.evtchn);
	close(f->xd.console_efd);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f->ring);
	free(f);
	return 0;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i % 251);
}

static XENCONS_RING_IDX ring_used(struct fixture *f)
{
	return __atomic_load_n(&f->ring->out_prod, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&f->ring->out_cons, __ATOMIC_ACQUIRE);
}

/*
 * The guest as a frontend: as much of the pattern as fits, up to limit in
 * all, then a send on its port (which KVM turns into a signal of console_efd).
 */
static void frontend_write(struct fixture *f, size_t limit)
{
	struct xencons_interface *r = f->ring;
	XENCONS_RING_IDX prod = r->out_prod;

	while (f->written < limit && ring_used(f) + (prod - r->out_prod) < sizeof(r->out)) {
		r->out[MASK_XENCONS_IDX(prod, r->out)] = (char)pattern(f->written++);
		prod++;
	}
	if (prod == r->out_prod)
		return;
	__atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
	assert_int_equal(write(f->xd.console_efd, &(uint64_t){1}, sizeof(uint64_t)),
			 sizeof(uint64_t));
}

/* The service thread's round: wait for the console's room call (or timeout_ms), then kick. */
static bool service_round(struct fixture *f, int timeout_ms)
{
	struct pollfd p = {.fd = f->xd.console_efd, .events = POLLIN};
	uint64_t count;
	bool signalled = poll(&p, 1, timeout_ms) == 1;

	if (signalled)
		assert_int_equal(read(f->xd.console_efd, &count, sizeof(count)), sizeof(count));
	xen_console_kick(&f->xc);
	return signalled;
}

/* The ring, the console's buffer and the pipe (poll says it takes no more) are full. */
static bool all_full(struct fixture *f)
{
	struct pollfd p = {.fd = f->pipe[1], .events = POLLOUT};
	size_t buffered;

	pthread_mutex_lock(&f->con.out_lock);
	buffered = f->con.out_len;
	pthread_mutex_unlock(&f->con.out_lock);
	return ring_used(f) == sizeof(f->ring->out) && buffered == CONSOLE_OUT_BUF &&
	       poll(&p, 1, 0) == 0;
}

/* Write and kick until the pipe, the console's buffer and the guest's ring are all full. */
static void fill_everything(struct fixture *f)
{
	for (int i = 0; i < 1000 && !all_full(f); i++) {
		frontend_write(f, SIZE_MAX);
		service_round(f, 5);
	}
	assert_true(all_full(f));
}

static void stalled_reader_does_not_block_the_service(void **state)
{
	struct fixture *f = *state;
	XENCONS_RING_IDX cons;
	long long start = monotonic_ms();
	uint8_t key = 'k';

	fill_everything(f);
	/* Nobody reads: the ring stays full, and every call on the service thread returns. */
	assert_true(f->written >= CONSOLE_OUT_BUF + sizeof(f->ring->out));
	cons = f->ring->out_cons;
	for (int i = 0; i < 10; i++)
		xen_console_kick(&f->xc);
	assert_int_equal(f->ring->out_cons, cons);
	assert_int_equal(xen_console_receive(&f->xc, &key, 1), 1);
	assert_true(monotonic_ms() - start < 5000);
	assert_int_equal(f->con.dropped, 0);
}

struct reader {
	int fd;
	size_t want, got;
	bool in_order;
};

static void *read_all(void *arg)
{
	struct reader *rd = arg;
	uint8_t buf[4096];

	rd->in_order = true;
	while (rd->got < rd->want) {
		ssize_t n = read(rd->fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			rd->in_order &= buf[i] == pattern(rd->got + (size_t)i);
		rd->got += (size_t)n;
	}
	return NULL;
}

static void ring_output_arrives_in_order_once_read(void **state)
{
	struct fixture *f = *state;
	struct reader rd = {.fd = f->pipe[0], .want = (size_t)512 * 1024};
	pthread_t t;

	fill_everything(f);
	/* The reader comes back; the guest goes on writing until want bytes are through. */
	assert_int_equal(pthread_create(&t, NULL, read_all, &rd), 0);
	for (int i = 0; i < 100000 && (f->written < rd.want || ring_used(f)); i++) {
		frontend_write(f, rd.want);
		service_round(f, 100);
	}
	pthread_join(t, NULL);
	assert_int_equal(f->written, rd.want);
	assert_int_equal(ring_used(f), 0);
	assert_int_equal(rd.got, rd.want); /* nothing lost, nothing twice */
	assert_true(rd.in_order);
	assert_int_equal(f->con.dropped, 0);
}

static void guest_notified_when_its_ring_drains(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[PIPE_SIZE];
	unsigned sends;
	bool room = false;

	fill_everything(f);
	sends = __atomic_load_n(&f->sends, __ATOMIC_RELAXED);
	/* Nothing moves while nobody reads: no notification either. */
	service_round(f, 20);
	assert_int_equal(__atomic_load_n(&f->sends, __ATOMIC_RELAXED), sends);
	/* The reader takes what the pipe holds: a room call, a kick that drains and notifies. */
	assert_true(read(f->pipe[0], buf, sizeof(buf)) > 0);
	for (int i = 0; i < 100 && !room; i++)
		room = service_round(f, 50);
	assert_true(room);
	assert_true(ring_used(f) < sizeof(f->ring->out));
	assert_true(__atomic_load_n(&f->sends, __ATOMIC_RELAXED) > sends);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(stalled_reader_does_not_block_the_service, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(ring_output_arrives_in_order_once_read, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(guest_notified_when_its_ring_drains, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
