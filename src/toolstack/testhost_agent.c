/* SPDX-License-Identifier: MIT */
/*
 * Inside the KVM test host, as PID 1 in the chroot of the host's root:
 * run the job's command with the caller's directory, environment and
 * terminal behaviour, record its exit status in the job directory (a 9p
 * export the caller reads), and power the test host off.
 */
#include "toolstack/testhost.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define JOB_FILE_MAX (1 << 20)

struct agent_job {
	char *argv_buf, *env_buf;
	char **argv, **envp;
	char cwd[PATH_MAX];
	bool stdin_tty, stdout_tty;
};

static char *read_job_file(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct file_buf fb;
	char *copy;

	if (path_join(path, sizeof(path), dir, name))
		return NULL;
	if (file_buf_open(&fb, path, JOB_FILE_MAX, "test host job"))
		return NULL;
	copy = malloc(fb.size + 1);
	if (copy) {
		memcpy(copy, fb.data, fb.size);
		copy[fb.size] = '\0';
		*len = fb.size;
	}
	file_buf_close(&fb);
	return copy;
}

/* Split a NUL-separated buffer into a NULL-terminated vector. */
static char **split_strings(char *buf, size_t len)
{
	size_t n = 0, i = 0;
	char **v;

	for (size_t off = 0; off < len; off++)
		n += buf[off] == '\0';
	v = calloc(n + 1, sizeof(*v));
	for (size_t off = 0; v && off < len; off += strlen(buf + off) + 1)
		v[i++] = buf + off;
	return v;
}

static int load_job(const char *dir, struct agent_job *job)
{
	size_t len = 0;
	char *cwd, *tty;

	job->argv_buf = read_job_file(dir, "argv", &len);
	job->argv = job->argv_buf ? split_strings(job->argv_buf, len) : NULL;
	job->env_buf = read_job_file(dir, "env", &len);
	job->envp = job->env_buf ? split_strings(job->env_buf, len) : NULL;
	cwd = read_job_file(dir, "cwd", &len);
	tty = read_job_file(dir, "tty", &len);
	if (!job->argv || !job->argv[0] || !job->envp || !cwd || !tty) {
		free(cwd);
		free(tty);
		return -EINVAL;
	}
	snprintf(job->cwd, sizeof(job->cwd), "%s", cwd);
	job->stdin_tty = strstr(tty, "stdin_tty=1") != NULL;
	job->stdout_tty = strstr(tty, "stdout_tty=1") != NULL;
	free(cwd);
	free(tty);
	return 0;
}

/*
 * The console is the test host's serial line.  Make it as transparent as
 * the caller's own terminal: when the caller sits at a terminal (already
 * raw, thanks to QEMU), the serial line keeps its line discipline so an
 * interactive shell echoes; when input comes from a pipe or file, bytes
 * pass through untouched, and so does output going to a file.
 */
static void configure_console(const struct agent_job *job)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &t) != 0)
		return;
	if (!job->stdin_tty) {
		t.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ISIG | IEXTEN);
		t.c_iflag &= (tcflag_t) ~(ICRNL | IXON);
	}
	if (!job->stdout_tty)
		t.c_oflag &= (tcflag_t)~OPOST;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void run_child(const struct agent_job *job)
{
	setsid();
	ioctl(STDIN_FILENO, TIOCSCTTY, 1);
	if (chdir(job->cwd) != 0)
		fprintf(stderr, "xkvm: test host: cannot enter %s: %s\n", job->cwd,
			strerror(errno));
	execvpe(job->argv[0], job->argv, job->envp);
	fprintf(stderr, "xkvm: test host: cannot run %s: %s\n", job->argv[0], strerror(errno));
	_exit(127);
}

static void record_status(const char *dir, int status)
{
	char path[PATH_MAX], line[32];
	int fd;

	if (WIFEXITED(status))
		snprintf(line, sizeof(line), "exit %d\n", WEXITSTATUS(status));
	else
		snprintf(line, sizeof(line), "signal %d\n", WTERMSIG(status));
	if (path_join(path, sizeof(path), dir, "status"))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write_all(fd, line, strlen(line)) || fsync(fd))
		fprintf(stderr, "xkvm: test host: cannot record the exit status: %s\n",
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Show the outside that the test host still schedules processes (see testhost.h). */
static pid_t start_heartbeat(const char *dir)
{
	char path[PATH_MAX];
	pid_t pid;

	if (path_join(path, sizeof(path), dir, "heartbeat"))
		return -1;
	pid = fork();
	if (pid != 0)
		return pid;
	for (;;) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			futimens(fd, NULL); /* O_TRUNC of an empty file may not touch mtime */
			close(fd);
		}
		sleep(TESTHOST_HEARTBEAT_SECONDS);
	}
}

int testhost_agent_main(const char *job_dir)
{
	struct agent_job job = {0};
	int status = 0;
	pid_t child, pid, heartbeat = start_heartbeat(job_dir);

	if (load_job(job_dir, &job)) {
		fprintf(stderr, "xkvm: test host: the job in %s is incomplete\n", job_dir);
		status = 127 << 8;
	} else {
		configure_console(&job);
		child = fork();
		if (child == 0)
			run_child(&job);
		status = 127 << 8;
		/* As PID 1 we also reap orphans; stop when our command is done. */
		while (child > 0 && (pid = wait(&status)) != child && !(pid < 0 && errno != EINTR))
			;
	}
	if (heartbeat > 0)
		kill(heartbeat, SIGKILL);
	record_status(job_dir, status);
	free(job.argv);
	free(job.envp);
	free(job.argv_buf);
	free(job.env_buf);
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
