/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the XenStore quotas: a guest (domain 1) sends
 * well-formed request sequences (reads, writes, removals, watches, perms,
 * transactions opened, used and ended), with paths from short to nearly
 * XENSTORE_ABS_PATH_MAX, and sometimes never reads its replies.  After
 * every request the bytes the store holds for the guest must stay within
 * what its quotas allow, else the target aborts: an unbounded structure
 * (like a transaction's read log once was) shows up as a crash.
 *
 * Input: 5 bytes per request: opcode, flags (bits 0-1: which open
 * transaction, 0 none; bit 2: read the output; bit 3: relative path;
 * bits 4-5: send it 1, 2, 4 or 8 times, each time with the next suffix, so
 * a flood takes a few bytes), path length / 12, path suffix number, value
 * length / 16.  At most MAX_REQUESTS requests per input keep runs quick.
 */
#include "xen/xenstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST	     1
#define MAX_TXS	     2
#define MAX_REQUESTS 128

/* Small bounds, so that a structure without one overruns BOUND in a few requests. */
static const struct xs_quota quota = {
    .max_nodes = 32,
    .max_watches = 8,
    .max_transactions = MAX_TXS,
    .max_value_len = 256,
    .max_output_msgs = 64,
    .max_node_bytes = 8 << 10,
    .max_tx_records = 32,
    .max_tx_bytes = 8 << 10,
    .max_watch_bytes = 4 << 10,
    .max_output_bytes = 8 << 10,
};

/* What the quotas allow, plus the connection itself (its 4 KiB input buffer and fields). */
#define BOUND                                                                                      \
	(quota.max_node_bytes + MAX_TXS * quota.max_tx_bytes + quota.max_watch_bytes +             \
	 quota.max_output_bytes + 8192)

static const uint32_t ops[] = {
    XS_READ,
    XS_WRITE,
    XS_MKDIR,
    XS_RM,
    XS_DIRECTORY,
    XS_GET_PERMS,
    XS_SET_PERMS,
    XS_WATCH,
    XS_UNWATCH,
    XS_TRANSACTION_START,
    XS_TRANSACTION_END,
    XS_DIRECTORY_PART,
};

struct fuzz_state {
	struct xs_store *s;
	struct xs_conn *c;
	uint32_t txs[MAX_TXS];
	unsigned nr_txs;
};

/* Read all output; remember the ids of transactions it started. */
static void drain(struct fuzz_state *st)
{
	struct xsd_sockmsg hdr;
	char body[XENSTORE_PAYLOAD_MAX + 1];

	while (xs_conn_take_output(st->c, &hdr, sizeof(hdr)) == sizeof(hdr)) {
		size_t len = xs_conn_take_output(st->c, body, hdr.len);

		body[len] = '\0';
		if (hdr.type == XS_TRANSACTION_START && st->nr_txs < MAX_TXS)
			st->txs[st->nr_txs++] = (uint32_t)strtoul(body, NULL, 10);
	}
}

/* The payload of one request: a path (with a value or second argument), as a guest sends it. */
static size_t build_payload(char *buf, uint32_t op, const uint8_t *in)
{
	size_t plen = (size_t)in[2] * 12, vlen = (size_t)in[4] * 16, n;
	const char *prefix = (in[1] & 8) ? "" : "/local/domain/1/";

	n = (size_t)snprintf(buf, XENSTORE_PAYLOAD_MAX, "%sd%u/", prefix, in[3] & 7);
	if (plen > XENSTORE_ABS_PATH_MAX - 64)
		plen = XENSTORE_ABS_PATH_MAX - 64;
	memset(buf + n, 'a' + (in[3] & 3), plen);
	n += plen;
	n += (size_t)snprintf(buf + n, XENSTORE_PAYLOAD_MAX - n, "-%u", in[3] >> 3) + 1;
	if (op == XS_TRANSACTION_START || op == XS_TRANSACTION_END) {
		buf[0] = (in[4] & 1) ? 'T' : 'F';
		buf[1] = '\0';
		return op == XS_TRANSACTION_END ? 2 : 1;
	}
	if (op == XS_SET_PERMS) {
		/* The guest stays owner (it may not give nodes away); others may read. */
		int l = snprintf(buf + n, XENSTORE_PAYLOAD_MAX - n, "n1%cr%u", 0, in[4] & 3);

		return n + (size_t)l + 1;
	}
	if (op == XS_WATCH || op == XS_UNWATCH || op == XS_DIRECTORY_PART) {
		vlen = vlen > 900 ? 900 : vlen;
		memset(buf + n, '0' + (in[4] & 7), vlen + 1);
		buf[n + vlen + 1] = '\0';
		return n + vlen + 2;
	}
	if (op == XS_WRITE) {
		vlen = vlen > XENSTORE_PAYLOAD_MAX - n ? XENSTORE_PAYLOAD_MAX - n : vlen;
		memset(buf + n, 'v', vlen);
		return n + vlen;
	}
	return n;
}

static void one_request(struct fuzz_state *st, const uint8_t *in)
{
	uint8_t msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg hdr = {.type = ops[in[0] % (sizeof(ops) / sizeof(ops[0]))]};
	unsigned slot = in[1] & 3;
	size_t len = build_payload((char *)msg + sizeof(hdr), hdr.type, in);

	if (slot && slot <= st->nr_txs)
		hdr.tx_id = st->txs[slot - 1];
	hdr.len = (uint32_t)len;
	memcpy(msg, &hdr, sizeof(hdr));
	xs_conn_feed(st->c, msg, sizeof(hdr) + len);
	/* Ended, whatever the answer: forget it. */
	if (hdr.type == XS_TRANSACTION_END && hdr.tx_id)
		st->txs[slot - 1] = st->txs[--st->nr_txs];
	if ((in[1] & 4) || hdr.type == XS_TRANSACTION_START)
		drain(st);
	if (xs_domain_bytes(st->s, GUEST) > BOUND) {
		fprintf(stderr, "guest holds %zu bytes in the store, bound %zu\n",
			xs_domain_bytes(st->s, GUEST), (size_t)BOUND);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const perms[] = {"n1"};
	struct fuzz_state st = {0};
	unsigned n = 0;

	st.s = xs_store_new(&quota);
	if (!st.s)
		return 0;
	xs_mkdir(st.s, "/local/domain/1");
	xs_set_perms(st.s, "/local/domain/1", perms, 1);
	st.c = xs_conn_new(st.s, GUEST, NULL, NULL);
	for (; st.c && size >= 5 && n < MAX_REQUESTS && !xs_conn_broken(st.c);
	     data += 5, size -= 5) {
		uint8_t in[5];
		unsigned i;

		memcpy(in, data, sizeof(in));
		for (i = 0; i < 1u << ((data[1] >> 4) & 3) && n < MAX_REQUESTS; i++, in[3]++, n++)
			one_request(&st, in);
	}
	xs_conn_free(st.c);
	xs_store_free(st.s);
	return 0;
}
