/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the XenStore ring server (xs_ring.c): the guest's
 * side of the shared page.  The input is a sequence of operations, each an
 * opcode byte and its operands: the guest sends request bytes or consumes
 * replies as xenbus does (so messages split across kicks at any byte), sets
 * any index or the connection field to a value of its choosing, or asks to
 * reconnect; the VMM kicks the ring.  A ring whose indexes the guest never
 * touched must never be reported corrupt, whatever bytes it sends.
 */
#include "lib/log.h"
#include "xen/xs_ring.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum op {
	GUEST_SEND,	/* n request bytes, req_prod advanced */
	GUEST_RECV,	/* rsp_cons advanced by n, at most to rsp_prod */
	SET_INDEX,	/* one of the four indexes := a 32-bit value */
	SET_CONNECTION, /* connection := a 32-bit value */
	RECONNECT,	/* connection := XENSTORE_RECONNECT, as a frontend does */
	KICK,		/* xs_ring_kick */
	NR_OPS,
};

struct fixture {
	struct xenstore_domain_interface *page;
	struct xs_store *s;
	struct xs_ring *r;
	bool tampered; /* the guest set an index by hand since it last reconnected */
	unsigned notified;
	/* Reply bytes the guest consumed, not yet a whole message. */
	uint8_t rsp[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t nrsp;
};

static void notify(void *opaque)
{
	struct fixture *f = opaque;

	f->notified++;
}

static struct xs_store *make_store(void)
{
	struct xs_quota q = {.max_nodes = 64,
			     .max_watches = 8,
			     .max_transactions = 4,
			     .max_value_len = 256,
			     .max_output_msgs = 128};
	struct xs_store *s = xs_store_new(&q);

	if (s)
		xs_write(s, "/local/domain/1/name", "guest");
	return s;
}

static void guest_send(struct xenstore_domain_interface *p, const uint8_t *data, size_t n)
{
	XENSTORE_RING_IDX prod = p->req_prod;

	if (prod - p->req_cons > XENSTORE_RING_SIZE)
		return; /* a frontend would not write into a ring it cannot make sense of */
	for (size_t i = 0; i < n && prod - p->req_cons < XENSTORE_RING_SIZE; i++, prod++)
		p->req[MASK_XENSTORE_IDX(prod)] = (char)data[i];
	p->req_prod = prod;
}

/*
 * Whole replies and watch events, as xenbus reads them: a header the guest
 * can trust and a payload of at most XENSTORE_PAYLOAD_MAX.  Only checked
 * while the guest kept to the protocol's indexes.
 */
static void check_reply_bytes(struct fixture *f, uint8_t byte)
{
	struct xsd_sockmsg m;

	f->rsp[f->nrsp++] = byte;
	if (f->nrsp < sizeof(m))
		return;
	memcpy(&m, f->rsp, sizeof(m));
	if (m.len > XENSTORE_PAYLOAD_MAX || m.type >= XS_TYPE_COUNT)
		abort();
	if (f->nrsp == sizeof(m) + m.len)
		f->nrsp = 0;
}

static void guest_recv(struct fixture *f, size_t n)
{
	struct xenstore_domain_interface *p = f->page;
	XENSTORE_RING_IDX avail = p->rsp_prod - p->rsp_cons;

	if (avail > XENSTORE_RING_SIZE)
		return;
	if (avail > n)
		avail = (XENSTORE_RING_IDX)n;
	for (XENSTORE_RING_IDX i = 0; !f->tampered && i < avail; i++)
		check_reply_bytes(f, (uint8_t)p->rsp[MASK_XENSTORE_IDX(p->rsp_cons + i)]);
	p->rsp_cons += avail;
}

static void set_index(struct fixture *f, uint8_t which, uint32_t v)
{
	XENSTORE_RING_IDX *idx[4] = {&f->page->req_cons, &f->page->req_prod, &f->page->rsp_cons,
				     &f->page->rsp_prod};

	*idx[which & 3] = v;
	f->tampered = true;
}

static void kick(struct fixture *f)
{
	struct xenstore_domain_interface *p = f->page;
	bool reconnecting = p->connection == XENSTORE_RECONNECT;

	xs_ring_kick(f->r);
	/* A reconnect the server saw zeroes the indexes: the ring is sane again. */
	if (reconnecting && p->connection == XENSTORE_CONNECTED) {
		f->tampered = false;
		f->nrsp = 0;
	}
	if (!f->tampered && p->error == XENSTORE_ERROR_RINGIDX)
		abort(); /* sane indexes reported corrupt */
	if (!f->tampered && p->error == XENSTORE_ERROR_NONE &&
	    (p->rsp_prod - p->rsp_cons > XENSTORE_RING_SIZE ||
	     p->req_prod - p->req_cons > XENSTORE_RING_SIZE))
		abort(); /* the server broke the ring itself */
}

/* One operation at data; returns the bytes it used (0: input exhausted). */
static size_t one_op(struct fixture *f, const uint8_t *data, size_t size)
{
	size_t n;
	uint32_t v;

	if (size < 2)
		return 0;
	n = data[1];
	switch (data[0] % NR_OPS) {
	case GUEST_SEND:
		n = n < size - 2 ? n : size - 2;
		guest_send(f->page, data + 2, n);
		return 2 + n;
	case GUEST_RECV:
		guest_recv(f, n * 8);
		return 2;
	case SET_INDEX:
	case SET_CONNECTION:
		if (size < 6)
			return 0;
		memcpy(&v, data + 2, sizeof(v));
		if (data[0] % NR_OPS == SET_INDEX)
			set_index(f, data[1], v);
		else
			f->page->connection = v;
		return 6;
	case RECONNECT:
		f->page->connection = XENSTORE_RECONNECT;
		kick(f);
		return 1;
	default:
		kick(f);
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture f = {0};
	size_t used;

	log_set_level(LOG_ERROR);
	f.page = aligned_alloc(4096, 4096);
	f.s = make_store();
	if (!f.page || !f.s)
		abort();
	memset(f.page, 0, 4096);
	f.r = xs_ring_new(f.s, 1, f.page, notify, &f);
	if (!f.r)
		abort();
	while ((used = one_op(&f, data, size)) != 0) {
		data += used;
		size -= used;
	}
	xs_ring_free(f.r);
	xs_store_free(f.s);
	free(f.page);
	return 0;
}
