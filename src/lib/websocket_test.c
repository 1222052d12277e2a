/* SPDX-License-Identifier: MIT */
#include "lib/websocket.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const size_t big = 1 << 20;

/* RFC 6455 5.7: the examples, each parsed whole. */
static void test_rfc_examples(void **state)
{
	uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
	uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	uint8_t frag1[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
	uint8_t frag2[] = {0x80, 0x02, 0x6c, 0x6f};
	uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
	uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_frame f;

	(void)state;
	assert_int_equal(ws_parse_frame(unmasked, sizeof(unmasked), big, false, &f), 7);
	assert_int_equal(f.opcode, WS_OP_TEXT);
	assert_true(f.fin);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.payload, "Hello", 5);

	assert_int_equal(ws_parse_frame(masked, sizeof(masked), big, true, &f), 11);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.payload, "Hello", 5);

	assert_int_equal(ws_parse_frame(frag1, sizeof(frag1), big, false, &f), 5);
	assert_false(f.fin);
	assert_int_equal(f.opcode, WS_OP_TEXT);
	assert_memory_equal(f.payload, "Hel", 3);
	assert_int_equal(ws_parse_frame(frag2, sizeof(frag2), big, false, &f), 4);
	assert_true(f.fin);
	assert_int_equal(f.opcode, WS_OP_CONT);
	assert_memory_equal(f.payload, "lo", 2);

	assert_int_equal(ws_parse_frame(ping, sizeof(ping), big, false, &f), 7);
	assert_int_equal(f.opcode, WS_OP_PING);
	assert_int_equal(ws_parse_frame(pong, sizeof(pong), big, true, &f), 11);
	assert_int_equal(f.opcode, WS_OP_PONG);
	assert_memory_equal(f.payload, "Hello", 5);
}

/* The RFC's 256-byte and 64 KiB binary headers (16- and 64-bit lengths). */
static void test_extended_lengths(void **state)
{
	size_t sizes[] = {125, 126, 256, 65535, 65536, 70000};
	uint8_t *buf = malloc(80000), *payload = malloc(70000);
	struct ws_frame f;

	(void)state;
	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		ssize_t w = ws_encode_frame(buf, 80000, WS_OP_BINARY, payload, n, false);
		size_t hdr = n < 126 ? 2 : n <= 0xffff ? 4 : 10;

		assert_int_equal(w, (ssize_t)(hdr + n));
		assert_int_equal(ws_parse_frame(buf, (size_t)w, big, false, &f), w);
		assert_int_equal(f.len, n);
		assert_memory_equal(f.payload, payload, n);
	}
	ws_encode_frame(buf, 80000, WS_OP_BINARY, payload, 256, false);
	assert_memory_equal(buf, ((uint8_t[]){0x82, 0x7e, 0x01, 0x00}), 4);
	ws_encode_frame(buf, 80000, WS_OP_BINARY, payload, 65536, false);
	assert_memory_equal(buf, ((uint8_t[]){0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}), 10);
	free(buf);
	free(payload);
}

/* A client's masked frame: the server unmasks it to the original. */
static void test_masking_round_trip(void **state)
{
	const char msg[] = "console input \x01\x02\xff";
	uint8_t buf[64];
	struct ws_frame f;
	ssize_t n;

	(void)state;
	n = ws_encode_frame(buf, sizeof(buf), WS_OP_BINARY, msg, sizeof(msg), true);
	assert_int_equal(n, 2 + 4 + (ssize_t)sizeof(msg));
	assert_true(buf[1] & 0x80);
	assert_int_equal(ws_parse_frame(buf, (size_t)n, big, true, &f), n);
	assert_int_equal(f.len, sizeof(msg));
	assert_memory_equal(f.payload, msg, sizeof(msg));
	/* A server's unmasked frame is refused where a mask is required. */
	n = ws_encode_frame(buf, sizeof(buf), WS_OP_BINARY, msg, sizeof(msg), false);
	assert_int_equal(ws_parse_frame(buf, (size_t)n, big, true, &f), -EPROTO);
}

/* Every prefix of a valid frame asks for more bytes. */
static void test_truncations(void **state)
{
	size_t sizes[] = {0, 5, 125, 300, 70000};
	uint8_t *buf = malloc(80000), *payload = calloc(1, 70000);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int mask = 0; mask < 2; mask++) {
			ssize_t n =
			    ws_encode_frame(buf, 80000, WS_OP_BINARY, payload, sizes[i], mask);
			struct ws_frame f;

			assert_true(n > 0);
			for (size_t len = 0; len < (size_t)n; len++)
				assert_int_equal(ws_parse_frame(buf, len, big, false, &f), 0);
		}
	}
	free(buf);
	free(payload);
}

static void expect_proto(const uint8_t *frame, size_t len, bool require_mask)
{
	uint8_t buf[32];
	struct ws_frame f;

	memcpy(buf, frame, len);
	assert_int_equal(ws_parse_frame(buf, len, big, require_mask, &f), -EPROTO);
}

static void test_malformed(void **state)
{
	(void)state;
	/* Reserved bits. */
	expect_proto((uint8_t[]){0xc1, 0x00}, 2, false);
	expect_proto((uint8_t[]){0x91, 0x00}, 2, false);
	/* Reserved opcodes. */
	expect_proto((uint8_t[]){0x83, 0x00}, 2, false);
	expect_proto((uint8_t[]){0x8b, 0x00}, 2, false);
	/* Fragmented or long control frames. */
	expect_proto((uint8_t[]){0x09, 0x00}, 2, false);
	expect_proto((uint8_t[]){0x88, 0x7e, 0x00, 0x80}, 4, false);
	/* Non-minimal lengths, and the 64-bit length's top bit. */
	expect_proto((uint8_t[]){0x82, 0x7e, 0x00, 0x05}, 4, false);
	expect_proto((uint8_t[]){0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 10, false);
	expect_proto((uint8_t[]){0x82, 0x7f, 0x80, 0, 0, 0, 0, 1, 0, 0}, 10, false);
	/* Unmasked from a client. */
	expect_proto((uint8_t[]){0x82, 0x00}, 2, true);
}

static void test_oversize(void **state)
{
	uint8_t huge[] = {0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t medium[] = {0x82, 0xfe, 0x10, 0x00, 1, 2, 3, 4};
	struct ws_frame f;

	(void)state;
	/* Refused from the header alone, before the payload arrives. */
	assert_int_equal(ws_parse_frame(huge, sizeof(huge), big, false, &f), -E2BIG);
	assert_int_equal(ws_parse_frame(huge, sizeof(huge), SIZE_MAX, false, &f), 0);
	assert_int_equal(ws_parse_frame(medium, sizeof(medium), 4095, true, &f), -E2BIG);
}

static void test_encode_limits(void **state)
{
	uint8_t buf[200], payload[130] = {0};

	(void)state;
	assert_int_equal(ws_encode_frame(buf, 6, WS_OP_TEXT, "hello", 5, false), -ENOSPC);
	assert_int_equal(ws_encode_frame(buf, 7, WS_OP_TEXT, "hello", 5, false), 7);
	assert_int_equal(ws_encode_frame(buf, 10, WS_OP_TEXT, "hello", 5, true), -ENOSPC);
	assert_int_equal(ws_encode_frame(buf, 1, WS_OP_TEXT, "", 0, false), -ENOSPC);
	assert_int_equal(ws_encode_frame(buf, sizeof(buf), WS_OP_PING, payload, 126, false),
			 -EINVAL);
	assert_int_equal(ws_encode_frame(buf, sizeof(buf), 3, payload, 1, false), -EINVAL);
	assert_int_equal(ws_encode_frame(buf, sizeof(buf), WS_OP_CLOSE, NULL, 0, false), 2);
	assert_memory_equal(buf, ((uint8_t[]){0x88, 0x00}), 2);
}

static void test_accept_key(void **state)
{
	char out[29], key[25];

	(void)state;
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	/* RFC 6455 1.3 (the brief quoted another value; the RFC and SHA-1 agree on this one). */
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(ws_accept_key(NULL, out), -EINVAL);
	assert_int_equal(ws_accept_key("", out), -EINVAL);
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", out), -EINVAL);
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ===", out), -EINVAL);
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25j\r\n==", out), -EINVAL);
	ws_client_key(key);
	assert_int_equal(strlen(key), 24);
	assert_int_equal(ws_accept_key(key, out), 0);
	assert_int_equal(strlen(out), 28);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_examples),       cmocka_unit_test(test_extended_lengths),
	    cmocka_unit_test(test_masking_round_trip), cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_malformed),	       cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_encode_limits),      cmocka_unit_test(test_accept_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
