/* SPDX-License-Identifier: MIT */
#include "daemon/nested.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/accel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The test host boots in seconds, but a loaded machine makes TCG slow. */
#define NESTED_START_TIMEOUT_S 180

bool nested_needed(void)
{
	return accel_resolve(ACCEL_AUTO) == ACCEL_NESTED;
}

/* Whether something accepts TCP connections on 127.0.0.1:port. */
static bool port_answers(uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * QEMU's user network accepts the forwarded port at once and only then
 * connects inside; an HTTP answer is the sign that xkvmd itself is there.
 */
static bool api_answers(uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	static const char req[] = "GET /rest/v0/host HTTP/1.0\r\n\r\n";
	struct timeval tv = {.tv_sec = 5};
	char buf[16] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    write_all(fd, req, sizeof(req) - 1) == 0 && recv(fd, buf, sizeof(buf) - 1, 0) > 0)
		ok = strncmp(buf, "HTTP/1.", 7) == 0;
	close(fd);
	return ok;
}

static void exec_testhost(const struct nested_opts *o, const char *xkvm, const char *xkvmd)
{
	char port[16], memory[24], cpus[16], listen[32], log[PATH_MAX];
	const char *argv[96];
	int n = 0, fd;

	snprintf(port, sizeof(port), "%u", (unsigned)o->port);
	snprintf(memory, sizeof(memory), "%llu", (unsigned long long)o->memory_mib);
	snprintf(cpus, sizeof(cpus), "%u", o->cpus);
	snprintf(listen, sizeof(listen), "0.0.0.0:%u", (unsigned)o->port);
	/* Detached: the test host outlives the command that started it. */
	setsid();
	/* Passed on inside (the test host copies our environment): xkvmd reports "nested". */
	setenv("XKVM_IN_TESTHOST", "1", 1);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	if (path_join(log, sizeof(log), o->state_dir, "testhost.log") == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
	}
	argv[n++] = xkvm;
	argv[n++] = "testhost";
	argv[n++] = "run";
	argv[n++] = "--forward";
	argv[n++] = port;
	argv[n++] = "--memory";
	argv[n++] = memory;
	argv[n++] = "--cpus";
	argv[n++] = cpus;
	argv[n++] = "--rw";
	argv[n++] = o->state_dir;
	argv[n++] = "--";
	argv[n++] = xkvmd;
	argv[n++] = "--foreground";
	argv[n++] = "--listen";
	argv[n++] = listen;
	/* Inside the test host: only QEMU's forward from 127.0.0.1 outside reaches it. */
	argv[n++] = "--allow-remote";
	argv[n++] = "--state-dir";
	argv[n++] = o->state_dir;
	if (o->web_dir) {
		argv[n++] = "--web-dir";
		argv[n++] = o->web_dir;
	}
	for (int i = 0; o->pass_on && o->pass_on[i] && n < (int)ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = o->pass_on[i];
	argv[n] = NULL;
	execv(xkvm, (char *const *)argv);
	fprintf(stderr, "xkvmd: cannot run %s: %s\n", xkvm, strerror(errno));
	_exit(127);
}

static int wait_for_api(pid_t pid, uint16_t port, const char *state_dir)
{
	time_t deadline = time(NULL) + NESTED_START_TIMEOUT_S;
	int status;

	while (time(NULL) < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pr_err(
			    "the KVM test host stopped while starting xkvmd: see %s/testhost.log",
			    state_dir);
			return -1;
		}
		if (api_answers(port))
			return 0;
		sleep(1);
	}
	pr_err("xkvmd in the KVM test host did not answer on 127.0.0.1:%u within %d s: see "
	       "%s/testhost.log",
	       (unsigned)port, NESTED_START_TIMEOUT_S, state_dir);
	kill(pid, SIGTERM);
	return -1;
}

/* For `xkvmd --stop`: the process to signal to stop the test host. */
static void record_testhost(const char *state_dir, pid_t pid)
{
	char path[PATH_MAX], text[32];

	snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (path_join(path, sizeof(path), state_dir, "testhost.pid") ||
	    write_file_atomic(path, text, 0600))
		pr_warn("%s/testhost.pid: cannot record the test host's pid", state_dir);
}

int nested_start(const struct nested_opts *o)
{
	char xkvm[PATH_MAX], xkvmd[PATH_MAX];
	pid_t pid;

	if (path_join(xkvm, sizeof(xkvm), o->exe_dir, "xkvm") ||
	    path_join(xkvmd, sizeof(xkvmd), o->exe_dir, "xkvmd")) {
		pr_err("%s: path too long", o->exe_dir);
		return -1;
	}
	if (port_answers(o->port)) {
		pr_err("127.0.0.1:%u is already in use (another xkvmd?): choose one with --listen",
		       (unsigned)o->port);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		pr_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_testhost(o, xkvm, xkvmd);
	record_testhost(o->state_dir, pid);
	pr_info("starting the KVM test host for xkvmd (this machine's /dev/kvm cannot run stock "
		"guests); its log: %s/testhost.log",
		o->state_dir);
	return wait_for_api(pid, o->port, o->state_dir);
}
