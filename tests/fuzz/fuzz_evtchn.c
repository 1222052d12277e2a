/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the event channel table: every EVTCHNOP_* with
 * argument bytes from the input, mixed with what the VMM's backends and
 * the hypercall layer do to the table (backend ports bound, unbound and
 * notified; shared_info placed or not; the guest's ABI width changed).
 * KVM is the fake of fake_kvm.c, so the in-kernel routing paths run too.
 *
 * The input is a sequence of 25-byte records: an operation byte (low
 * nibble: the EVTCHNOP number, high nibble: which entry point), then 24
 * argument bytes, as much as the largest EVTCHNOP argument.
 */
#include "fake_kvm.h"

#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "xen/evtchn.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_VCPUS  2
#define ARG_BYTES 24
#define RECORD	  (1 + ARG_BYTES)

struct fixture {
	struct vm vm;
	struct vcpu vcpu[NR_VCPUS];
	struct vcpu *vcpus[NR_VCPUS];
	struct kvm_run run[NR_VCPUS];
	struct evtchn_table t;
	uint8_t shared_info[4096];
	int efd;
	bool narrowed; /* the guest went 32-bit: ports past 1024 are out of its reach */
};

enum entry {
	GUEST_OP,	 /* evtchn_op(cmd) */
	BACKEND_ALLOC,	 /* evtchn_alloc_backend_port */
	BACKEND_BIND,	 /* evtchn_bind_backend(port) */
	BACKEND_UNBIND,	 /* evtchn_unbind_backend(port) */
	BACKEND_NOTIFY,	 /* evtchn_notify_guest(port) */
	SET_SHARED_INFO, /* placed or removed, either width */
	SET_LONG_MODE,	 /* the guest switched width */
	RESET,		 /* evtchn_reset */
	NR_ENTRIES,
};

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void setup(struct fixture *f)
{
	f->vm.vm_fd = FAKE_VM_FD;
	f->vm.stop_fd = -1;
	f->vm.nr_vcpus = NR_VCPUS;
	f->vm.vcpus = f->vcpus;
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		f->vcpu[i] =
		    (struct vcpu){.vm = &f->vm, .index = i, .fd = FAKE_VCPU_FD, .run = &f->run[i]};
		pthread_mutex_init(&f->vcpu[i].attr_lock, NULL);
		f->vcpus[i] = &f->vcpu[i];
	}
	evtchn_init(&f->t, &f->vm, 1);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0)
		abort();
}

static void teardown(struct fixture *f)
{
	evtchn_destroy(&f->t);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		pthread_mutex_destroy(&f->vcpu[i].attr_lock);
	close(f->efd);
}

static void guest_op(struct fixture *f, unsigned cmd, const uint8_t *argbytes)
{
	union {
		struct evtchn_alloc_unbound alloc_unbound;
		struct evtchn_status status;
		uint8_t bytes[ARG_BYTES];
	} arg;
	size_t size = evtchn_op_arg_size(cmd);

	/* As the hypercall layer: only known commands, with exactly their argument's bytes. */
	if (size > sizeof(arg))
		abort();
	memset(&arg, 0, sizeof(arg));
	memcpy(&arg, argbytes, size);
	if (size)
		evtchn_op(&f->t, cmd, &arg, argbytes[ARG_BYTES - 1] % NR_VCPUS);
}

static void one_record(struct fixture *f, const uint8_t *r)
{
	unsigned cmd = r[0] & 0xf;
	const uint8_t *a = r + 1;

	switch ((r[0] >> 4) % NR_ENTRIES) {
	case GUEST_OP:
		guest_op(f, cmd, a);
		break;
	case BACKEND_ALLOC:
		evtchn_alloc_backend_port(&f->t, f->efd);
		break;
	case BACKEND_BIND:
		evtchn_bind_backend(&f->t, get_u32(a), f->efd);
		break;
	case BACKEND_UNBIND:
		evtchn_unbind_backend(&f->t, get_u32(a));
		break;
	case BACKEND_NOTIFY:
		evtchn_notify_guest(&f->t, get_u32(a));
		break;
	case SET_SHARED_INFO:
		evtchn_set_shared_info(&f->t, (a[0] & 1) ? f->shared_info : NULL, a[0] & 2);
		f->narrowed |= !(a[0] & 2);
		/* The guest writes its pending and mask bitmaps. */
		memcpy(f->shared_info + (a[1] % (sizeof(f->shared_info) - 16)), a + 2, 16);
		break;
	case SET_LONG_MODE:
		evtchn_set_long_mode(&f->t, a[0] & 1);
		f->narrowed |= !(a[0] & 1);
		break;
	case RESET:
		evtchn_reset(&f->t);
		break;
	}
}

/*
 * The two ends of a loopback channel name each other, and a backend's port
 * is interdomain: whatever the guest did, unless it changed ABI width.
 */
static void check_table(const struct fixture *f)
{
	for (unsigned i = 1; i < EVTCHN_MAX_PORTS && !f->narrowed; i++) {
		const struct evtchn_port *p = &f->t.ports[i];

		if (p->backend_fd >= 0 && p->state != EVTCHNSTAT_interdomain)
			abort();
		if (p->state != EVTCHNSTAT_interdomain || p->backend_fd >= 0)
			continue;
		if (p->remote_port == 0 || p->remote_port >= EVTCHN_MAX_PORTS ||
		    f->t.ports[p->remote_port].state != EVTCHNSTAT_interdomain ||
		    f->t.ports[p->remote_port].remote_port != i)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* On the stack: its pages stay mapped, where a fresh heap table would fault in each time.
	 */
	struct fixture fixture, *f = &fixture;

	memset(f, 0, sizeof(*f));
	log_set_level(LOG_ERROR);
	setup(f);
	for (; size >= RECORD; data += RECORD, size -= RECORD)
		one_record(f, data);
	check_table(f);
	teardown(f);
	return 0;
}
