/* SPDX-License-Identifier: MIT */
#include "lib/websocket.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <sys/random.h>

/* RFC 6455 1.3: the GUID appended to the client's key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool opcode_valid(uint8_t op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

static bool opcode_is_control(uint8_t op)
{
	return op & 0x8;
}

/* Fill buf with random bytes; getrandom only fails before the pool is ready or on EINTR. */
static void random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0)
			continue;
		p += n;
		len -= (size_t)n;
	}
}

/* The payload length and the header size, once enough header bytes are there. */
static ssize_t parse_length(const uint8_t *buf, size_t len, bool masked, uint64_t *plen)
{
	uint8_t len7 = buf[1] & 0x7f;
	size_t hdr = 2 + (masked ? 4 : 0);

	if (len7 < 126) {
		*plen = len7;
	} else if (len7 == 126) {
		hdr += 2;
		if (len < hdr)
			return 0;
		*plen = (uint64_t)buf[2] << 8 | buf[3];
		/* The minimal encoding is required (5.2). */
		if (*plen < 126)
			return -EPROTO;
	} else {
		hdr += 8;
		if (len < hdr)
			return 0;
		*plen = 0;
		for (int i = 0; i < 8; i++)
			*plen = *plen << 8 | buf[2 + i];
		if (*plen >> 63 || *plen <= 0xffff)
			return -EPROTO;
	}
	if (len < hdr)
		return 0;
	return (ssize_t)hdr;
}

ssize_t ws_parse_frame(uint8_t *buf, size_t len, size_t max_payload, bool require_mask,
		       struct ws_frame *out)
{
	uint8_t opcode;
	uint64_t plen;
	ssize_t hdr;
	bool masked;

	if (len < 2)
		return 0;
	opcode = buf[0] & 0x0f;
	masked = buf[1] & 0x80;
	if ((buf[0] & 0x70) || !opcode_valid(opcode))
		return -EPROTO;
	if (require_mask && !masked)
		return -EPROTO;
	if (opcode_is_control(opcode) && (!(buf[0] & 0x80) || (buf[1] & 0x7f) > 125))
		return -EPROTO;
	hdr = parse_length(buf, len, masked, &plen);
	if (hdr <= 0)
		return hdr;
	/* Refuse an oversized frame before waiting for its payload. */
	if (plen > max_payload)
		return -E2BIG;
	if (plen > len - (size_t)hdr)
		return 0;
	out->opcode = opcode;
	out->fin = buf[0] & 0x80;
	out->payload = buf + hdr;
	out->len = (size_t)plen;
	if (masked) {
		const uint8_t *key = buf + hdr - 4;

		for (size_t i = 0; i < out->len; i++)
			out->payload[i] ^= key[i & 3];
	}
	return hdr + (ssize_t)plen;
}

ssize_t ws_encode_frame(uint8_t *out, size_t cap, uint8_t opcode, const void *payload, size_t len,
			bool mask)
{
	size_t hdr = 2 + (len < 126 ? 0 : len <= 0xffff ? 2 : 8) + (mask ? 4 : 0);
	uint8_t key[4];

	if (!opcode_valid(opcode) || (opcode_is_control(opcode) && len > WS_MAX_CONTROL_PAYLOAD))
		return -EINVAL;
	if (cap < hdr || len > cap - hdr || len > (size_t)SSIZE_MAX - hdr)
		return -ENOSPC;
	out[0] = 0x80 | opcode;
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (len)
		memcpy(out + hdr, payload, len);
	if (mask) {
		out[1] |= 0x80;
		random_bytes(key, sizeof(key));
		memcpy(out + hdr - 4, key, sizeof(key));
		for (size_t i = 0; i < len; i++)
			out[hdr + i] ^= key[i & 3];
	}
	return (ssize_t)(hdr + len);
}

/* A handshake key is the base64 of 16 bytes: 22 base64 characters and "==". */
static bool client_key_valid(const char *key)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (!key || strnlen(key, 25) != 24 || strcmp(key + 22, "==") != 0)
		return false;
	for (int i = 0; i < 22; i++)
		if (!key[i] || !strchr(b64, key[i]))
			return false;
	return true;
}

int ws_accept_key(const char *client_key, char out[29])
{
	unsigned char digest[SHA_DIGEST_LENGTH];
	char buf[24 + sizeof(ws_guid)];

	if (!client_key_valid(client_key))
		return -EINVAL;
	memcpy(buf, client_key, 24);
	memcpy(buf + 24, ws_guid, sizeof(ws_guid));
	SHA1((const unsigned char *)buf, strlen(buf), digest);
	/* 20 bytes encode to 28 characters plus the NUL EVP_EncodeBlock writes. */
	EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
	return 0;
}

void ws_client_key(char out[25])
{
	unsigned char raw[16];

	random_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
}
