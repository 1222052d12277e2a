/* SPDX-License-Identifier: MIT */
#include "lib/unix_socket.h"
#include "lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory per test; unix sockets need a local file system (not 9p). */
static int setup(void **state)
{
	char *dir = strdup("/dev/shm/xkvm-unix-test-XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(void **state, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", (char *)*state, name);
}

static void test_listen_connect_and_mode(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	int l, c, a;

	path_in(state, "s.sock", path);
	l = unix_socket_listen(path, 0600, 4, SOCK_NONBLOCK);
	assert_true(l >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	c = unix_socket_connect(path);
	assert_true(c >= 0);
	assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(write(c, "x", 1), 1);
	close(a);
	close(c);
	close(l);
}

/* A socket left by an earlier run is replaced; a file that is not a socket never is. */
static void test_replaces_only_stale_sockets(void **state)
{
	char path[PATH_MAX], file[PATH_MAX];
	int l, fd;

	path_in(state, "stale.sock", path);
	l = unix_socket_listen(path, 0660, 4, 0);
	assert_true(l >= 0);
	close(l); /* the file stays behind, as after a crash */
	l = unix_socket_listen(path, 0660, 4, 0);
	assert_true(l >= 0);
	close(l);

	path_in(state, "precious", file);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unix_socket_listen(file, 0600, 4, 0), -EEXIST);
	assert_int_equal(access(file, F_OK), 0);
}

static void test_bad_paths(void **state)
{
	char path[PATH_MAX], longname[200];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	path_in(state, longname, path);
	assert_int_equal(unix_socket_listen(path, 0600, 4, 0), -ENAMETOOLONG);
	assert_int_equal(unix_socket_connect(path), -ENAMETOOLONG);
	path_in(state, "nobody-listens", path);
	assert_int_equal(unix_socket_connect(path), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_listen_connect_and_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replaces_only_stale_sockets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
