/* SPDX-License-Identifier: MIT */
/*
 * The plain-frame helpers over a frame-per-packet fd: a SEQPACKET socket
 * pair stands in for the TAP, whose vnet_hdr side is then written and read
 * raw, as the kernel would.  Multi-queue TAPs are real ones, in a network
 * namespace of the test's own (root only; skipped otherwise).
 */
#include "devices/tap.h"
#include "lib/test.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* A network namespace of our own: TAPs made here never touch the host's. */
static bool private_netns(void)
{
	return !access("/dev/net/tun", R_OK | W_OK) && !unshare(CLONE_NEWNET);
}

/*
 * Detach and attach fd as a confined VMM would, with no capabilities and
 * another uid (in a child: that cannot be undone).  True when both work.
 */
static bool set_queue_unprivileged(int fd)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid) {
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(tap_set_queue(fd, false) || tap_set_queue(fd, true) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Three queues, each its own fd; one detached and attached again
 * (TUNSETQUEUE), also once the capabilities are gone.
 */
static void test_multi_queue(void **state)
{
	char name[IFNAMSIZ];
	int fds[3];

	(void)state;
	if (!private_netns())
		skip();
	assert_int_equal(tap_open_queues("mq0", NULL, true, 3, fds, name), 3);
	assert_string_equal(name, "mq0");
	assert_true(fds[0] != fds[1] && fds[1] != fds[2]);
	assert_int_equal(tap_vnet_hdr(fds[2]), 1);
	assert_int_equal(tap_set_queue(fds[1], false), 0);
	assert_int_equal(tap_set_queue(fds[1], false), -EINVAL); /* already detached */
	assert_int_equal(tap_set_queue(fds[1], true), 0);
	assert_int_equal(tap_set_queue(fds[1], true), -EINVAL);
	assert_true(set_queue_unprivileged(fds[2]));
	for (unsigned i = 0; i < 3; i++)
		tap_close(fds[i]);
}

/*
 * An existing single-queue TAP of that name (persistent, made elsewhere)
 * cannot become multi-queue: it is taken as one queue, which then cannot
 * be detached.  One queue asked for is a plain TAP, as tap_open's.
 */
static void test_multi_queue_falls_back_to_one(void **state)
{
	char name[IFNAMSIZ];
	int fds[4], fd;

	(void)state;
	if (!private_netns())
		skip();
	fd = tap_open("sq0", NULL, false, name);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	tap_close(fd);
	assert_int_equal(tap_open_queues("sq0", NULL, false, 4, fds, name), 1);
	assert_int_equal(tap_set_queue(fds[0], false), -EINVAL);
	assert_int_equal(ioctl(fds[0], TUNSETPERSIST, 0), 0);
	tap_close(fds[0]);
	assert_int_equal(tap_open_queues("one0", NULL, false, 1, fds, name), 1);
	assert_int_equal(tap_set_queue(fds[0], false), -EINVAL); /* not multi-queue */
	tap_close(fds[0]);
	assert_true(tap_set_queue(STDIN_FILENO, false) < 0); /* not a TAP at all */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_puts_an_empty_header_first),
	    cmocka_unit_test(test_read_drops_the_header),
	    cmocka_unit_test(test_read_shorter_than_a_header_is_refused),
	    cmocka_unit_test(test_plain_fd_passes_frames_as_they_are),
	    cmocka_unit_test(test_multi_queue),
	    cmocka_unit_test(test_multi_queue_falls_back_to_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
