/* SPDX-License-Identifier: MIT */
#include "core/sandbox.h"
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a confined child does once it is confined, before it ends. */
typedef void (*child_fn)(int fd);

/*
 * The end of a confined child: the system call itself.  Not marked
 * noreturn: ASan precedes calls to noreturn functions with stack checks
 * (sigaltstack), which are no VMM's business and not on the lists.
 */
static void child_exit(int code)
{
	syscall(SYS_exit_group, code);
	_exit(code); /* not reached */
}

/*
 * Run fn in a child confined as kind; fd is the write end of a pipe the
 * parent reads into out (also the child's report file).  Returns the
 * child's wait status.
 */
static int run_confined(enum sandbox_thread kind, child_fn fn, char *out, size_t len)
{
	int p[2], status = 0;
	pid_t pid;
	ssize_t n, got = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_config c = {.report_fd = p[1]};

		close(p[0]);
		if (geteuid() == 0)
			c.change_ids = sandbox_resolve_user("65534:65534", &c.uid, &c.gid) == 0;
		if (sandbox_enter(&c))
			_exit(100);
		sandbox_confine_thread(kind);
		fn(p[1]);
		child_exit(0);
	}
	close(p[1]);
	while (len > 1 && (n = read(p[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void forbidden_call(int fd)
{
	(void)fd;
	syscall(SYS_sysinfo, NULL);
}

/* Signal 0 only checks: had the call run, it would have harmed nobody. */
static void signal_init(int fd)
{
	(void)fd;
	syscall(SYS_tgkill, 1, 1, 0);
}

/* What every thread may do: write to a descriptor it has, ask its pid. */
static void allowed_calls(int fd)
{
	if (write(fd, "ok", 2) != 2 || getpid() <= 0)
		child_exit(101);
}

/*
 * The control thread's first reply after confinement: jansson's first
 * object once opened /dev/urandom for its hash seed, which killed a
 * VMM whose control thread narrowed itself before it answered anything.
 */
static void first_json_reply(int fd)
{
	json_t *reply = json_pack("{s:b}", "ok", 1);
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	if (!text || write(fd, text, strlen(text)) < 0)
		child_exit(101);
	free(text);
	json_decref(reply);
}

static void test_rules_resolve(void **state)
{
	unsigned kinds = 0;

	(void)state;
	for (size_t i = 0; i < seccomp_nr_rules; i++) {
		assert_int_not_equal(seccomp_syscall_resolve_name(seccomp_rules[i].name),
				     __NR_SCMP_ERROR);
		kinds |= seccomp_rules[i].threads;
		/* The calls the tests force must stay forbidden everywhere. */
		assert_string_not_equal(seccomp_rules[i].name, "sysinfo");
		assert_string_not_equal(seccomp_rules[i].name, "reboot");
	}
	assert_int_equal(kinds, SANDBOX_ALL | SANDBOX_SETUP);
}

/* fn, confined as kind, ends normally having written expected. */
static void assert_confined_run(enum sandbox_thread kind, child_fn fn, const char *expected)
{
	char out[64];
	int status = run_confined(kind, fn, out, sizeof(out));

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, expected);
}

static void test_allowed_calls_run(void **state)
{
	(void)state;
	assert_confined_run(SANDBOX_VCPU, allowed_calls, "ok");
}

static void test_control_thread_first_json_reply(void **state)
{
	(void)state;
	assert_confined_run(SANDBOX_CONTROL, first_json_reply, "{\"ok\":true}");
}

static void test_forbidden_call_kills_and_reports(void **state)
{
	char out[128], thread[16];
	int status;

	(void)state;
	for (int kind = 0; kind < SANDBOX_NR_THREADS; kind++) {
		status = run_confined((enum sandbox_thread)kind, forbidden_call, out, sizeof(out));
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
		assert_int_equal(sandbox_report_parse(out, thread, sizeof(thread)), SYS_sysinfo);
		assert_string_equal(thread, sandbox_thread_name((enum sandbox_thread)kind));
	}
}

static void test_no_signal_to_another_process(void **state)
{
	char out[128], thread[16];
	int status = run_confined(SANDBOX_MAIN, signal_init, out, sizeof(out));

	(void)state;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	assert_int_equal(sandbox_report_parse(out, thread, sizeof(thread)), SYS_tgkill);
}

static void test_the_process_is_unprivileged(void **state)
{
	int p[2], q[2], status;
	char buf[4096], path[64];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_config c = {.report_fd = -1};

		close(p[0]);
		close(q[1]);
		if (geteuid() == 0 && sandbox_resolve_user("65534:65534", &c.uid, &c.gid) == 0)
			c.change_ids = true;
		if (sandbox_enter(&c) || write(p[1], "x", 1) != 1 || read(q[0], buf, 1) < 0)
			child_exit(100);
		child_exit(0);
	}
	close(p[1]);
	close(q[0]);
	assert_int_equal(read(p[0], buf, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	assert_true(read_small_file(path, buf, sizeof(buf)) > 0);
	close(q[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(buf, "\nSeccomp:\t2\n"));
	assert_non_null(strstr(buf, "\nNoNewPrivs:\t1\n"));
	assert_non_null(strstr(buf, "\nCapEff:\t0000000000000000\n"));
	assert_non_null(strstr(buf, "\nCapPrm:\t0000000000000000\n"));
	assert_non_null(strstr(buf, "\nCapInh:\t0000000000000000\n"));
	assert_non_null(strstr(buf, "\nCapAmb:\t0000000000000000\n"));
	if (geteuid() == 0) {
		assert_non_null(strstr(buf, "\nCapBnd:\t0000000000000000\n"));
		assert_non_null(strstr(buf, "\nUid:\t65534\t65534\t65534\t65534\n"));
		assert_non_null(strstr(buf, "\nGid:\t65534\t65534\t65534\t65534\n"));
	}
	close(p[0]);
}

/*
 * A managed VMM's directory lies in xkvmd's run directory (root, 0700):
 * once confined, the VMM writes its exit file through a descriptor of its
 * directory, as it cannot reach it by path; and nothing outside it.
 */
static void test_own_dir_by_descriptor(void **state)
{
	char top[] = "/tmp/xkvm-sandbox.XXXXXX", own[64], path[96], cmd[96];
	int status, dir_fd;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root changes ids */
	assert_non_null(mkdtemp(top));
	snprintf(own, sizeof(own), "%s/vm", top);
	assert_int_equal(mkdir(own, 0700), 0);
	dir_fd = open(own, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir_fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_config c = {.own_dir = own, .report_fd = -1, .change_ids = true};
		int by_path, by_fd;

		if (sandbox_resolve_user("65534:65534", &c.uid, &c.gid) || sandbox_enter(&c))
			child_exit(100);
		sandbox_confine_thread(SANDBOX_MAIN);
		snprintf(path, sizeof(path), "%s/by-path", own);
		by_path = write_file_atomic(path, "x\n", 0600);
		by_fd = write_file_atomic_at(dir_fd, "exit", "0 poweroff\n", 0600);
		child_exit(by_path == -EACCES && by_fd == 0 ? 0 : 101);
	}
	close(dir_fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(path, sizeof(path), "%s/exit", own);
	assert_int_equal(read_small_file(path, cmd, sizeof(cmd)), 11);
	assert_string_equal(cmd, "0 poweroff\n");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	assert_int_equal(system(cmd), 0);
}

static void test_resolve_user(void **state)
{
	uid_t uid = 0;
	gid_t gid = 0;

	(void)state;
	assert_int_equal(sandbox_resolve_user("1234", &uid, &gid), 0);
	assert_int_equal(uid, 1234);
	assert_int_equal(gid, 1234);
	assert_int_equal(sandbox_resolve_user("1234:99", &uid, &gid), 0);
	assert_int_equal(gid, 99);
	assert_int_equal(sandbox_resolve_user("0", &uid, &gid), -EINVAL);
	assert_int_equal(sandbox_resolve_user("1:0", &uid, &gid), -EINVAL);
	assert_int_equal(sandbox_resolve_user("12x", &uid, &gid), -EINVAL);
	assert_int_equal(sandbox_resolve_user("root", &uid, &gid), -EPERM);
	assert_int_equal(sandbox_resolve_user("no-such-user-xkvm", &uid, &gid), -ENOENT);
	/* The default is a user that exists here (nobody at least), never root. */
	assert_int_equal(sandbox_resolve_user(NULL, &uid, &gid), 0);
	assert_int_not_equal(uid, 0);
}

static void test_report_parse(void **state)
{
	char thread[16];

	(void)state;
	assert_int_equal(sandbox_report_parse("99 vcpu\n", thread, sizeof(thread)), 99);
	assert_string_equal(thread, "vcpu");
	assert_int_equal(sandbox_report_parse("", thread, sizeof(thread)), -1);
	assert_int_equal(sandbox_report_parse("x io", thread, sizeof(thread)), -1);
}

/*
 * One write, flush and read through an engine made before confinement,
 * used from an I/O thread after it: blkback's order of things.  Returns
 * the first step that failed (0: none).
 */
static int engine_io(struct disk_aio *a)
{
	uint8_t out[4096], in[4096];
	struct iovec wv = {.iov_base = out, .iov_len = sizeof(out)};
	struct iovec rv = {.iov_base = in, .iov_len = sizeof(in)};
	struct disk_aio_done d;

	memset(out, 0x5A, sizeof(out));
	if (disk_aio_writev(a, &wv, 1, 8192, 1) || disk_aio_submit(a))
		return 1;
	disk_aio_wait(a);
	if (disk_aio_reap(a, &d, 1) != 1 || d.result)
		return 2;
	if (disk_aio_flush(a, 2) || disk_aio_readv(a, &rv, 1, 8192, 3) || disk_aio_submit(a))
		return 3;
	for (unsigned got = 0; got < 2; got += disk_aio_reap(a, &d, 1)) {
		disk_aio_wait(a);
		if (d.result)
			return 4;
	}
	return memcmp(in, out, sizeof(in)) ? 5 : 0;
}

static void confined_engine_child(enum disk_aio_kind kind, int report_fd)
{
	struct disk_aio_options opt = {.kind = kind, .depth = 4};
	struct sandbox_config c = {.report_fd = report_fd};
	struct disk_image img;
	struct disk_aio *a;
	int fd = memfd_create("sandbox-aio", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 65536) || disk_image_from_fd(&img, fd, "sandbox-aio", false) ||
	    disk_aio_create(&a, &img, &opt))
		_exit(100);
	if (geteuid() == 0)
		c.change_ids = sandbox_resolve_user("65534:65534", &c.uid, &c.gid) == 0;
	if (sandbox_enter(&c))
		_exit(100);
	sandbox_confine_thread(SANDBOX_IO);
	child_exit(engine_io(a));
}

/*
 * The I/O thread's list covers the engines: io_uring's ring made before
 * confinement needs io_uring_enter only, and the pool's threads, started
 * before it too, narrow themselves to the I/O list and do their work.
 */
static void test_disk_engines_confined(void **state)
{
	const enum disk_aio_kind kinds[] = {DISK_AIO_URING, DISK_AIO_POOL};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
		char out[128] = "";
		int p[2], status = 0;
		ssize_t n;
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			confined_engine_child(kinds[i], p[1]);
		}
		close(p[1]);
		n = read(p[0], out, sizeof(out) - 1);
		out[n > 0 ? n : 0] = '\0';
		close(p[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("%s engine, confined: status %#x, report '%s'",
				 disk_aio_kind_name(kinds[i]), status, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_resolve),
	    cmocka_unit_test(test_disk_engines_confined),
	    cmocka_unit_test(test_allowed_calls_run),
	    cmocka_unit_test(test_control_thread_first_json_reply),
	    cmocka_unit_test(test_forbidden_call_kills_and_reports),
	    cmocka_unit_test(test_no_signal_to_another_process),
	    cmocka_unit_test(test_the_process_is_unprivileged),
	    cmocka_unit_test(test_own_dir_by_descriptor),
	    cmocka_unit_test(test_resolve_user),
	    cmocka_unit_test(test_report_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
