/* SPDX-License-Identifier: MIT */
/*
 * The wedge report through QEMU's monitor, against a fake monitor that
 * answers as QEMU 7.2 does (banner, echoed command, registers, prompt).
 */
#include "toolstack/testhost_monitor.h"
#include "lib/test.h"
#include "lib/unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BANNER "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) "
/* The start of a real reply; QEMU echoes the command with line-editing escapes first. */
#define REGISTERS                                                                                  \
	"info registers\x1b[K\r\n\r\nCPU#0\r\n"                                                    \
	"RAX=0000000000000001 RBX=ffff8f06c1a89c50 RCX=0000000000000001 RDX=0000608ec3000300\r\n"  \
	"RIP=ffffffff81cf5e9e RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"             \
	"CR0=80050033 CR2=00007f91a1cbbd74 CR3=000000001a9a4000 CR4=00350ef0\r\n"                  \
	"FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\r\n"                                       \
	"YMM00=0000000000000000 0000000000000000 0000000000000000 0000000000000000\r\n(qemu) "

struct fake_monitor {
	char path[PATH_MAX];
	int listen_fd;
	unsigned answers; /* replies before it hangs up */
	unsigned commands;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct fake_monitor *f = arg;
	int fd = accept(f->listen_fd, NULL, NULL);
	char c;

	if (fd < 0)
		return NULL;
	fcntl(fd, F_SETFL, 0);
	if (write(fd, BANNER, strlen(BANNER)) < 0)
		goto out;
	while (f->commands < f->answers && read(fd, &c, 1) == 1) {
		if (c != '\n')
			continue;
		f->commands++;
		if (write(fd, REGISTERS, strlen(REGISTERS)) < 0)
			break;
	}
out:
	close(fd);
	return NULL;
}

static int setup(void **state)
{
	static struct fake_monitor f;
	char dir[] = "/dev/shm/xkvm-monitor-test-XXXXXX";

	memset(&f, 0, sizeof(f));
	if (!mkdtemp(dir))
		return -1;
	snprintf(f.path, sizeof(f.path), "%s/monitor", dir);
	f.listen_fd = unix_socket_listen(f.path, 0600, 1, 0);
	*state = &f;
	return f.listen_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fake_monitor *f = *state;
	char *slash = strrchr(f->path, '/');

	close(f->listen_fd);
	unlink(f->path);
	*slash = '\0';
	return rmdir(f->path);
}

/* Run the report with stderr (where pr_err writes) captured in out. */
static int report(struct fake_monitor *f, unsigned samples, char *out, size_t len)
{
	FILE *capture = tmpfile();
	int saved = dup(STDERR_FILENO), r;
	size_t n;

	assert_non_null(capture);
	fflush(stderr);
	dup2(fileno(capture), STDERR_FILENO);
	pthread_create(&f->thread, NULL, serve, f);
	r = testhost_monitor_report(f->path, samples);
	pthread_join(f->thread, NULL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(capture);
	n = fread(out, 1, len - 1, capture);
	out[n] = '\0';
	fclose(capture);
	return r;
}

static void samples_name_where_the_cpu_is(void **state)
{
	struct fake_monitor *f = *state;
	char out[8192];

	f->answers = 3;
	assert_int_equal(report(f, 3, out, sizeof(out)), 0);
	assert_int_equal(f->commands, 3);
	assert_non_null(
	    strstr(out, "sample 0: RIP=ffffffff81cf5e9e CPL=0 HLT=0 CR3=000000001a9a4000"));
	assert_non_null(strstr(out, "sample 2: RIP=ffffffff81cf5e9e"));
	assert_null(strstr(out, "sample 3:"));
	/* The last sample in full, without the echoed command and its escapes. */
	assert_non_null(strstr(out, "test host CPU: RAX=0000000000000001"));
	assert_null(strstr(out, "\x1b"));
	/* Nor the FPU and vector registers: of no use in saying where it is stuck. */
	assert_non_null(strstr(out, "test host CPU: CR0=80050033"));
	assert_null(strstr(out, "YMM00"));
}

static void a_monitor_that_hangs_up_is_an_error(void **state)
{
	struct fake_monitor *f = *state;
	char out[8192];

	f->answers = 1;
	/* EPIPE or ECONNRESET, whichever the next command meets. */
	assert_true(report(f, 3, out, sizeof(out)) < 0);
	assert_non_null(strstr(out, "sample 0: RIP=ffffffff81cf5e9e"));
	assert_null(strstr(out, "sample 1:"));
}

static void no_monitor_is_an_error(void **state)
{
	(void)state;
	assert_true(testhost_monitor_report("/nonexistent/xkvm-monitor", 3) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(samples_name_where_the_cpu_is, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_monitor_that_hangs_up_is_an_error, setup, teardown),
	    cmocka_unit_test(no_monitor_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
