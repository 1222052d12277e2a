/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the XenStore protocol.  The input is a sequence of
 * chunks, each led by a control byte: bits 0-1 pick the connection (a
 * guest, a second guest, domain 0), bits 2-7 the chunk length.  Bytes go to
 * xs_conn_feed on a fresh store with a guest home and an internal watch, and
 * all output is drained after every chunk, so watch events, transactions and
 * permission checks across connections all get exercised.
 */
#include "xen/xenstore.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_CONNS 3

static void drain(struct xs_conn *c)
{
	uint8_t buf[512];

	while (xs_conn_take_output(c, buf, sizeof(buf)))
		;
}

static void count_cb(void *opaque, const char *path)
{
	unsigned *calls = opaque;

	(*calls)++;
	/* Touch the path so the sanitizers check it is a valid string. */
	if (strlen(path) == 0)
		__builtin_trap();
}

static struct xs_store *make_store(void)
{
	static const char *const perms[] = {"n1", "r2"};
	struct xs_quota q = {.max_nodes = 64,
			     .max_watches = 8,
			     .max_transactions = 4,
			     .max_value_len = 256,
			     .max_output_msgs = 128};
	struct xs_store *s = xs_store_new(&q);

	if (!s)
		return NULL;
	xs_write(s, "/local/domain/1/name", "guest");
	xs_set_perms(s, "/local/domain/1", perms, 2);
	xs_write(s, "/local/domain/0/backend/vbd/1/0/state", "1");
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t domids[NR_CONNS] = {1, 2, 0};
	struct xs_conn *conns[NR_CONNS] = {0};
	struct xs_store *s = make_store();
	unsigned calls = 0, i;
	int handle;

	if (!s)
		return 0;
	handle = xs_watch_add(s, "/local/domain/1", count_cb, &calls);
	for (i = 0; i < NR_CONNS; i++)
		conns[i] = xs_conn_new(s, domids[i], NULL, NULL);

	while (size > 0) {
		unsigned which = data[0] & 3, len = (data[0] >> 2) + 1;
		struct xs_conn *c = conns[which % NR_CONNS];

		data++;
		size--;
		if (len > size)
			len = (unsigned)size;
		if (c)
			xs_conn_feed(c, data, len);
		data += len;
		size -= len;
		for (i = 0; i < NR_CONNS; i++)
			if (conns[i])
				drain(conns[i]);
	}

	for (i = 0; i < NR_CONNS; i++)
		xs_conn_free(conns[i]);
	if (handle > 0)
		xs_watch_remove(s, handle);
	xs_store_free(s);
	return 0;
}
