/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the WebSocket codec.  Byte 0 picks the side
 * (bit 0: a server, which requires masked frames) and the payload cap
 * (bits 1-2: 0, 125, 4096 or 1 MiB); the rest is a byte stream parsed
 * frame by frame as the console pump does, with the stream cut where
 * byte 0's bits 3-7 say so that "need more bytes" is exercised too.
 * Every frame parsed is encoded again and must parse back to itself; the
 * first 24 bytes also go through the handshake key check.
 */
#include "lib/websocket.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 65536

static const size_t caps[4] = {0, WS_MAX_CONTROL_PAYLOAD, 4096, 1024 * 1024};

/* Encode the frame unmasked (masking draws a random key) and parse it back. */
static void round_trip(const struct ws_frame *f)
{
	size_t cap = f->len + WS_MAX_HEADER;
	uint8_t *out = malloc(cap);
	struct ws_frame back;
	ssize_t n, m;

	if (!out)
		abort();
	n = ws_encode_frame(out, cap, f->opcode, f->payload, f->len, false);
	/* A non-final or continuation frame is re-encoded as final: fine for text and binary. */
	if (n > 0) {
		m = ws_parse_frame(out, (size_t)n, f->len, false, &back);
		if (m != n || back.opcode != f->opcode || back.len != f->len ||
		    (f->len && memcmp(back.payload, f->payload, f->len)))
			abort();
	} else if (n != -EINVAL || (f->opcode & 8) == 0) {
		abort(); /* only an oversized control frame may be refused, and parse refuses it */
	}
	free(out);
}

static void accept_key(const uint8_t *data, size_t size)
{
	char key[25] = {0}, out[29];

	memcpy(key, data, size < 24 ? size : 24);
	if (ws_accept_key(key, out) == 0 && strlen(out) != 28)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool server;
	size_t max, cut, pos = 0;
	uint8_t *buf;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	server = data[0] & 1;
	max = caps[(data[0] >> 1) & 3];
	cut = (size_t)(data[0] >> 3);
	data++;
	size--;
	accept_key(data, size);
	/* A private, writable copy: the parser unmasks in place. */
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	while (pos < size) {
		struct ws_frame f;
		size_t avail = size - pos;
		ssize_t n;

		/*
		 * First offer a cut-off stream: a frame that fits is taken as is; else
		 * the parser must ask for more, or refuse the header as the whole does.
		 */
		n = 0;
		if (cut && cut < avail) {
			n = ws_parse_frame(buf + pos, cut, max, server, &f);
			if (n > 0 && (size_t)n > cut)
				abort();
			if (n < 0 && ws_parse_frame(buf + pos, avail, max, server, &f) != n)
				abort();
		}
		if (n == 0)
			n = ws_parse_frame(buf + pos, avail, max, server, &f);
		if (n <= 0)
			break;
		if ((size_t)n > avail || f.len > max || f.payload + f.len > buf + pos + n)
			abort();
		round_trip(&f);
		pos += (size_t)n;
	}
	free(buf);
	return 0;
}
