/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the hvc0 console ring backend.  The input is a
 * sequence of operations, each an opcode byte and its operands: the guest
 * writes output or consumes input as a frontend does, or sets any of the
 * four indexes to a value of its choosing; the VMM kicks the backend or
 * offers terminal input.  Whatever the indexes, the backend must only
 * touch the ring page, and while they are sane it must pass the guest's
 * output on exactly, in order.
 */
#include "core/vm.h"
#include "devices/xen_console.h"
#include "lib/log.h"
#include "xen/domain.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum op {
	GUEST_WRITE, /* n bytes into out[], out_prod advanced */
	GUEST_READ,  /* in_cons advanced by n, at most to in_prod */
	SET_INDEX,   /* one of the four indexes := a 32-bit value */
	KICK,	     /* xen_console_kick */
	HOST_INPUT,  /* xen_console_receive of n bytes */
	NR_OPS,
};

struct fixture {
	struct vm vm;
	struct xen_domain xd;
	struct xen_console con;
	struct xencons_interface *ring;
	/* What the guest wrote while the indexes were its own, not yet seen by the host. */
	uint8_t expect[4096];
	size_t nexpect;
	bool tampered; /* an index was set by hand: the output is no longer predictable */
};

static void console_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;

	if (len > sizeof(f->ring->out))
		abort();
	if (f->tampered)
		return;
	if (len > f->nexpect || memcmp(buf, f->expect, len))
		abort(); /* lost, reordered or invented output */
	memmove(f->expect, f->expect + len, f->nexpect - len);
	f->nexpect -= len;
}

static void frontend_write(struct fixture *f, const uint8_t *p, size_t n)
{
	struct xencons_interface *r = f->ring;
	XENCONS_RING_IDX prod = r->out_prod;

	for (size_t i = 0; i < n && prod - r->out_cons < sizeof(r->out); i++, prod++) {
		r->out[MASK_XENCONS_IDX(prod, r->out)] = (char)p[i];
		if (!f->tampered && f->nexpect < sizeof(f->expect))
			f->expect[f->nexpect++] = p[i];
	}
	r->out_prod = prod;
}

static void set_index(struct fixture *f, uint8_t which, uint32_t v)
{
	XENCONS_RING_IDX *idx[4] = {&f->ring->in_cons, &f->ring->in_prod, &f->ring->out_cons,
				    &f->ring->out_prod};

	*idx[which & 3] = v;
	f->tampered = true;
}

/* One operation at data; returns the bytes it used (0: input exhausted). */
static size_t one_op(struct fixture *f, const uint8_t *data, size_t size)
{
	struct xencons_interface *r = f->ring;
	size_t n;
	uint32_t v;

	if (size < 2)
		return 0;
	n = data[1];
	switch (data[0] % NR_OPS) {
	case GUEST_WRITE:
		n = n < size - 2 ? n : size - 2;
		frontend_write(f, data + 2, n);
		return 2 + n;
	case GUEST_READ:
		if ((XENCONS_RING_IDX)(r->in_prod - r->in_cons) <= sizeof(r->in))
			r->in_cons += (XENCONS_RING_IDX)n < r->in_prod - r->in_cons
					  ? (XENCONS_RING_IDX)n
					  : r->in_prod - r->in_cons;
		return 2;
	case SET_INDEX:
		if (size < 6)
			return 0;
		memcpy(&v, data + 2, sizeof(v));
		set_index(f, data[1], v);
		return 6;
	case KICK:
		xen_console_kick(&f->con);
		if (!f->tampered && (r->out_cons != r->out_prod || f->nexpect))
			abort(); /* a sane ring is drained whole */
		return 1;
	default:
		n = n < size - 2 ? n : size - 2;
		if (xen_console_receive(&f->con, data + 2, n) > n)
			abort();
		return 2 + n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* On the stack: its pages stay mapped, where a fresh heap table would fault in each time.
	 */
	struct fixture fixture, *f = &fixture;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	size_t used;

	if (efd < 0)
		abort();
	memset(f, 0, sizeof(*f));
	log_set_level(LOG_ERROR);
	f->ring = aligned_alloc(4096, 4096);
	if (!f->ring)
		abort();
	memset(f->ring, 0, 4096);
	f->vm.vm_fd = -1; /* no KVM: notifying the guest fails, as it may */
	f->xd.vm = &f->vm;
	f->xd.domid = XEN_GUEST_DOMID;
	evtchn_init(&f->xd.evtchn, &f->vm, f->xd.domid);
	f->xd.console_port = evtchn_alloc_backend_port(&f->xd.evtchn, efd);
	f->xd.console_out = console_out;
	f->xd.console_opaque = f;
	xen_console_init(&f->con, &f->xd, f->ring);
	while ((used = one_op(f, data, size)) != 0) {
		data += used;
		size -= used;
	}
	xen_console_destroy(&f->con);
	evtchn_destroy(&f->xd.evtchn);
	close(efd);
	free(f->ring);
	return 0;
}
