/* SPDX-License-Identifier: MIT */
/*
 * RFC 6455 WebSocket frames: the codec shared by xkvmd (server side) and
 * the xkvm CLI (client side).  No I/O here: callers own their buffers.
 */
#ifndef XKVM_LIB_WEBSOCKET_H
#define XKVM_LIB_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ws_opcode {
	WS_OP_CONT = 0,
	WS_OP_TEXT = 1,
	WS_OP_BINARY = 2,
	WS_OP_CLOSE = 8,
	WS_OP_PING = 9,
	WS_OP_PONG = 10,
};

/* Largest header: 2 bytes, 8 of extended length, 4 of mask key. */
#define WS_MAX_HEADER 14
/* Control frames carry at most this much payload (RFC 6455 5.5). */
#define WS_MAX_CONTROL_PAYLOAD 125

struct ws_frame {
	uint8_t opcode;
	bool fin;
	uint8_t *payload; /* points into the parsed buffer */
	size_t len;
};

/*
 * Parse one frame at buf[0..len).  Returns bytes consumed (>0), 0 when more
 * bytes are needed, -EPROTO for a malformed frame (reserved bits, bad
 * opcode, control frame >125 or fragmented, unmasked when require_mask;
 * masked when !require_mask is accepted), -E2BIG when the payload exceeds
 * max_payload.  Unmasks the payload in place.
 */
ssize_t ws_parse_frame(uint8_t *buf, size_t len, size_t max_payload, bool require_mask,
		       struct ws_frame *out);

/*
 * Encode one final frame; masked with a random key when mask (client side).
 * Returns bytes written, -ENOSPC when out is too small, -EINVAL for a bad
 * opcode or a control frame over 125 bytes.
 */
ssize_t ws_encode_frame(uint8_t *out, size_t cap, uint8_t opcode, const void *payload, size_t len,
			bool mask);

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA1(key + RFC GUID)).
 * out must hold 29 bytes.  Returns 0, or -EINVAL for a key that is not the
 * base64 of 16 bytes.
 */
int ws_accept_key(const char *client_key, char out[29]);

/* A random 16-byte key, base64 (24 chars + NUL), for a client's handshake. */
void ws_client_key(char out[25]);

#endif
