/* SPDX-License-Identifier: MIT */
/*
 * The plain-frame helpers over a frame-per-packet fd: a SEQPACKET socket
 * pair stands in for the TAP, whose vnet_hdr side is then written and read
 * raw, as the kernel would.
 */
#include "devices/tap.h"
#include "lib/test.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HDR sizeof(struct virtio_net_hdr)

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_write_puts_an_empty_header_first(void **state)
{
	const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x16, 0x3e};
	const uint8_t zero[HDR] = {0};
	uint8_t got[HDR + sizeof(frame) + 1];
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(tap_write_frame(sv[0], true, frame, sizeof(frame)), sizeof(frame));
	assert_int_equal(read(sv[1], got, sizeof(got)), HDR + sizeof(frame));
	assert_memory_equal(got, zero, HDR);
	assert_memory_equal(got + HDR, frame, sizeof(frame));
	close(sv[0]);
	close(sv[1]);
}

static void test_read_drops_the_header(void **state)
{
	uint8_t packet[HDR + 42], buf[1514];
	int sv[2];

	(void)state;
	pair(sv);
	memset(packet, 0xaa, HDR); /* whatever the kernel put there is not the frame's */
	memset(packet + HDR, 0x5c, sizeof(packet) - HDR);
	assert_int_equal(write(sv[1], packet, sizeof(packet)), sizeof(packet));
	assert_int_equal(tap_read_frame(sv[0], true, buf, sizeof(buf)), 42);
	assert_memory_equal(buf, packet + HDR, 42);
	close(sv[0]);
	close(sv[1]);
}

static void test_read_shorter_than_a_header_is_refused(void **state)
{
	uint8_t buf[1514];
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[1], buf, HDR - 1), HDR - 1);
	errno = 0;
	assert_int_equal(tap_read_frame(sv[0], true, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EPROTO);
	close(sv[0]);
	close(sv[1]);
}

static void test_plain_fd_passes_frames_as_they_are(void **state)
{
	const uint8_t frame[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00};
	uint8_t buf[64];
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(tap_write_frame(sv[0], false, frame, sizeof(frame)), sizeof(frame));
	assert_int_equal(tap_read_frame(sv[1], false, buf, sizeof(buf)), sizeof(frame));
	assert_memory_equal(buf, frame, sizeof(frame));
	assert_int_equal(tap_vnet_hdr(sv[0]), 0); /* not a TAP: plain frames */
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_puts_an_empty_header_first),
	    cmocka_unit_test(test_read_drops_the_header),
	    cmocka_unit_test(test_read_shorter_than_a_header_is_refused),
	    cmocka_unit_test(test_plain_fd_passes_frames_as_they_are),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
