/* SPDX-License-Identifier: MIT */
#include "toolstack/testhost.h"
#include "toolstack/testhost_monitor.h"
#include "lib/log.h"
#include "lib/util.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define QEMU_BINARY   "qemu-system-x86_64"
#define MAX_QEMU_ARGS 64

int testhost_assets_dir(char *buf, size_t len)
{
	const char *assets = getenv("XKVM_ASSETS");
	const char *cache = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (assets && *assets)
		n = snprintf(buf, len, "%s/current", assets);
	else if (cache && *cache)
		n = snprintf(buf, len, "%s/xkvm/assets/current", cache);
	else
		n = snprintf(buf, len, "%s/.cache/xkvm/assets/current", home ? home : "/root");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	bool found = false;

	copy = strdup(path && *path ? path : "/usr/bin:/bin");
	for (char *dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		found = access(out, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* The job directory: what the agent inside needs to run the command as if here. */
struct job {
	char dir[64];
	char cwd[PATH_MAX];
	char rw_tags[8][16];
	const char *rw_paths[8];
	unsigned nr_rw;
	bool tmp_rw;
};

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, r;

	if (path_join(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	close(fd);
	return r;
}

/* NUL-separated list of strings, as /proc/self/environ is. */
static int write_strings(const char *dir, const char *name, char *const strs[])
{
	size_t total = 0, off = 0;
	char *buf;
	int r;

	for (int i = 0; strs[i]; i++)
		total += strlen(strs[i]) + 1;
	buf = malloc(total ? total : 1);
	if (!buf)
		return -ENOMEM;
	for (int i = 0; strs[i]; i++) {
		size_t l = strlen(strs[i]) + 1;

		memcpy(buf + off, strs[i], l);
		off += l;
	}
	r = write_file(dir, name, buf, total);
	free(buf);
	return r;
}

static bool is_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	return strncmp(path, dir, l) == 0 && (path[l] == '/' || path[l] == '\0');
}

static void add_rw(struct job *job, const char *path)
{
	if (is_under(path, "/tmp")) {
		job->tmp_rw = true;
		return;
	}
	for (unsigned i = 0; i < job->nr_rw; i++)
		if (strcmp(job->rw_paths[i], path) == 0)
			return;
	if (job->nr_rw == ARRAY_SIZE(job->rw_paths) || strcmp(path, "/") == 0) {
		pr_warn("test host: '%s' stays read-only inside", path);
		return;
	}
	snprintf(job->rw_tags[job->nr_rw], sizeof(job->rw_tags[0]), "rw%u", job->nr_rw);
	job->rw_paths[job->nr_rw++] = path;
}

static int write_job(struct job *job, char *const argv[], const struct testhost_opts *opts)
{
	char exe[PATH_MAX], flags[64], mounts[8 * (PATH_MAX + 24)] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t used = 0;
	int r = 0;

	if (n < 0 || !getcwd(job->cwd, sizeof(job->cwd)))
		return -errno;
	exe[n] = '\0';
	add_rw(job, job->cwd);
	add_rw(job, "/tmp");
	for (unsigned i = 0; i < opts->nr_rw_dirs; i++)
		add_rw(job, opts->rw_dirs[i]);
	for (unsigned i = 0; i < job->nr_rw; i++)
		used += (size_t)snprintf(mounts + used, sizeof(mounts) - used, "%s %s\n",
					 job->rw_tags[i], job->rw_paths[i]);
	snprintf(flags, sizeof(flags), "stdin_tty=%d\nstdout_tty=%d\n", isatty(0), isatty(1));
	r = r ? r : write_file(job->dir, "exe", exe, strlen(exe));
	r = r ? r : write_file(job->dir, "cwd", job->cwd, strlen(job->cwd));
	r = r ? r : write_file(job->dir, "tty", flags, strlen(flags));
	r = r ? r : write_file(job->dir, "rw-mounts", mounts, used);
	r = r ? r : write_strings(job->dir, "argv", argv);
	r = r ? r : write_strings(job->dir, "env", environ);
	if (!r && job->tmp_rw)
		r = write_file(job->dir, "rw-tmp", "", 0);
	if (!r && opts->forward_port)
		r = write_file(job->dir, "net", TESTHOST_NET_ADDR "\n",
			       strlen(TESTHOST_NET_ADDR) + 1);
	return r;
}

struct argv_builder {
	char *argv[MAX_QEMU_ARGS];
	char store[MAX_QEMU_ARGS][PATH_MAX + 128];
	unsigned n;
};

__attribute__((format(printf, 2, 3))) static void arg(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->n + 1 >= MAX_QEMU_ARGS)
		return;
	va_start(ap, fmt);
	vsnprintf(b->store[b->n], sizeof(b->store[0]), fmt, ap);
	va_end(ap);
	b->argv[b->n] = b->store[b->n];
	b->argv[++b->n] = NULL;
}

static void virtfs(struct argv_builder *b, const char *path, const char *tag, bool ro)
{
	arg(b, "-virtfs");
	arg(b, "local,path=%s,mount_tag=%s,security_model=none,multidevs=remap%s", path, tag,
	    ro ? ",readonly=on" : "");
}

static void build_qemu_argv(struct argv_builder *b, const char *qemu, const char *assets,
			    const struct job *job, const struct testhost_opts *opts)
{
	arg(b, "%s", qemu);
	arg(b, "-M");
	arg(b, "q35,accel=tcg");
	arg(b, "-cpu");
	/*
	 * No CMPXCHG16B: QEMU 7.2's TCG sometimes leaves RFLAGS after it with
	 * bits no CPU sets (4 in 3 million in a user program of the test host,
	 * tools/testhost/cx16-flags.c), which crashed nested guests in SLUB's
	 * fast path (docs/testhost-wedge.md).  Linux and Xen fall back.
	 */
	arg(b, "EPYC,+svm,+npt,-cx16");
	arg(b, "-smp");
	arg(b, "%u", opts->cpus);
	arg(b, "-m");
	arg(b, "%llu", (unsigned long long)MAX(opts->memory_mib, TESTHOST_MIN_MIB));
	arg(b, "-nodefaults");
	arg(b, "-no-user-config");
	arg(b, "-display");
	arg(b, "none");
	arg(b, "-no-reboot");
	arg(b, "-kernel");
	arg(b, "%s/vmlinuz", assets);
	arg(b, "-initrd");
	arg(b, "%s/testhost-initrd.cpio.gz", assets);
	/*
	 * COM1 is the command's terminal; the kernel's own messages go to COM2,
	 * a file in the job directory, so lockups and oopses of the test host
	 * are on record without reaching the caller's console.
	 * no_timer_check: under emulation on a loaded machine the kernel's
	 * check that the PIT reaches the IO-APIC can time out and panic the
	 * test host at boot ("IO-APIC + timer doesn't work"); the check proves
	 * nothing about an emulated board.
	 * sysrq_always_enabled: a wedged test host is asked for its backtraces
	 * (report_wedge); Debian's default kernel.sysrq leaves them off.
	 */
	arg(b, "-append");
	arg(b, "console=ttyS1 loglevel=5 panic=-1 8250.nr_uarts=2 no_timer_check "
	       "sysrq_always_enabled");
	arg(b, "-chardev");
	arg(b, "stdio,id=console,signal=off");
	arg(b, "-serial");
	arg(b, "chardev:console");
	arg(b, "-serial");
	arg(b, "file:%s/kernel.log", job->dir);
	/* QEMU's monitor, to see where a test host that stopped responding is stuck. */
	arg(b, "-monitor");
	arg(b, "unix:%s/monitor,server=on,wait=off", job->dir);
	virtfs(b, "/", "host", true);
	virtfs(b, job->dir, "job", false);
	if (job->tmp_rw)
		virtfs(b, "/tmp", "tmp", false);
	for (unsigned i = 0; i < job->nr_rw; i++)
		virtfs(b, job->rw_paths[i], job->rw_tags[i], false);
	if (opts->forward_port) {
		/* restrict=on: nothing inside reaches out; only the forwarded port reaches in. */
		arg(b, "-netdev");
		arg(b, "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%u-:%u",
		    (unsigned)opts->forward_port, (unsigned)opts->forward_port);
		arg(b, "-device");
		arg(b, "virtio-net-pci,netdev=net0,romfile=");
	}
}

static int check_assets(const char *assets, char *qemu, size_t qemu_len)
{
	static const char *const files[] = {"vmlinuz", "testhost-initrd.cpio.gz"};
	char path[PATH_MAX];

	if (!find_in_path(QEMU_BINARY, qemu, qemu_len)) {
		pr_err("this machine cannot run guests on /dev/kvm, and the KVM test host needs "
		       "%s: install the Debian package qemu-system-x86",
		       QEMU_BINARY);
		return -ENOENT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (path_join(path, sizeof(path), assets, files[i]))
			return -ENAMETOOLONG;
		if (access(path, R_OK) != 0) {
			pr_err("the KVM test host needs %s (%s): run tools/guest-assets to fetch "
			       "Debian's kernel and build it",
			       path, strerror(errno));
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * Seconds since the agent inside last showed it runs (or since we started
 * QEMU); *seen says whether it has shown it at all.
 */
static long seconds_without_heartbeat(const struct job *job, time_t started, bool *seen)
{
	char path[PATH_MAX];
	struct stat st;
	time_t last = started;

	*seen = false;
	if (path_join(path, sizeof(path), job->dir, "heartbeat") == 0 && stat(path, &st) == 0 &&
	    st.st_mtime > last) {
		last = st.st_mtime;
		*seen = true;
	}
	return (long)(time(NULL) - last);
}

static unsigned wedge_seconds(void)
{
	const char *s = getenv("XKVM_TESTHOST_WEDGE_SECONDS");
	unsigned long v = s ? strtoul(s, NULL, 10) : 0;

	return v > 0 && v < 86400 ? (unsigned)v : TESTHOST_WEDGE_SECONDS;
}

/*
 * What a test host that stopped responding is doing, through QEMU's
 * monitor: its CPU's registers (testhost_monitor.c), then SysRq l (the
 * backtrace of what the test host kernel was running when the keyboard
 * interrupt came) and w (its blocked tasks), which reach kernel.log if it
 * still takes interrupts.
 */
static void report_wedge(const struct job *job)
{
	static const char *const sysrq[] = {"sendkey alt-sysrq-l\n", "sendkey alt-sysrq-w\n"};
	char path[PATH_MAX];
	int r;

	if (path_join(path, sizeof(path), job->dir, "monitor"))
		return;
	r = testhost_monitor_report(path, 10);
	for (size_t i = 0; !r && i < ARRAY_SIZE(sysrq); i++)
		r = testhost_monitor_command(path, sysrq[i]);
	if (r)
		pr_err("test host: QEMU's monitor did not answer: %s", strerror(-r));
}

/*
 * The wedge seen with a report (docs/testhost-wedge.md): the test host's
 * CPU idle in HLT with interrupts on and its timer armed, its timer
 * interrupt lost by the emulator, any other interrupt waking it at once.
 * So a test host whose heartbeat is NUDGE_SECONDS late gets a key press
 * (Shift: no input for anything reading the keyboard), again every
 * NUDGE_SECONDS; one that stays silent is still declared wedged at
 * wedge_seconds().  Only after the first heartbeat: never during boot.
 */
#define NUDGE_SECONDS	     (3L * TESTHOST_HEARTBEAT_SECONDS)
#define WEDGE_REPORT_SECONDS 10

struct heartbeat_watch {
	time_t started, last_nudge, kill_at;
	unsigned limit, nudges;
	bool wedged;
};

static void nudge(const struct job *job, struct heartbeat_watch *w, long late)
{
	char path[PATH_MAX];

	w->last_nudge = time(NULL);
	if (path_join(path, sizeof(path), job->dir, "monitor") ||
	    testhost_monitor_command(path, "sendkey shift\n"))
		return;
	w->nudges++;
	pr_warn("test host: no heartbeat for %ld s, sent a key press (%u so far; "
		"a lost timer interrupt, docs/testhost-wedge.md)",
		late, w->nudges);
}

/* Once per tick while QEMU runs: nudge a late test host, stop a wedged one. */
static void watch_heartbeat(pid_t pid, const struct job *job, struct heartbeat_watch *w)
{
	bool seen;
	long late;

	if (w->wedged) {
		if (time(NULL) >= w->kill_at)
			kill(pid, SIGKILL);
		return;
	}
	late = seconds_without_heartbeat(job, w->started, &seen);
	if (late > w->limit) {
		pr_err("the KVM test host stopped responding (no heartbeat for %u s); "
		       "stopping it",
		       w->limit);
		w->wedged = true;
		report_wedge(job);
		w->kill_at = time(NULL) + WEDGE_REPORT_SECONDS;
	} else if (seen && late >= NUDGE_SECONDS && time(NULL) - w->last_nudge >= NUDGE_SECONDS) {
		nudge(job, w, late);
	}
}

/*
 * Wait for QEMU, passing SIGINT/SIGTERM on to it so the test host stops
 * with us.  Emulated test hosts have been seen to stop making progress
 * altogether (even the time limits of the commands inside never fire):
 * see watch_heartbeat.  A test host declared wedged is reported
 * (report_wedge), given WEDGE_REPORT_SECONDS to write its SysRq dumps,
 * then stopped.
 */

static int wait_for_qemu(pid_t pid, const struct job *job, bool *wedged)
{
	const struct timespec tick = {.tv_sec = 5};
	struct heartbeat_watch w = {.started = time(NULL), .limit = wedge_seconds()};
	sigset_t set, old;
	int status = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig > 0 && sig != SIGCHLD)
			kill(pid, SIGTERM);
		else if (sig < 0)
			watch_heartbeat(pid, job, &w);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	*wedged = w.wedged;
	return status;
}

/* A number 0-255 followed by a newline or nothing; -1 otherwise. */
static int parse_code(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n') || v < 0 || v > 255)
		return -1;
	return (int)v;
}

static int read_status(const struct job *job)
{
	char path[PATH_MAX], buf[64] = "";
	FILE *f;
	int code;

	if (path_join(path, sizeof(path), job->dir, "status"))
		return -ENAMETOOLONG;
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* "exit N" or "signal N", as testhost_agent.c writes it. */
	if (strncmp(buf, "exit ", 5) == 0)
		code = parse_code(buf + 5);
	else if (strncmp(buf, "signal ", 7) == 0)
		code = parse_code(buf + 7);
	else
		return -1;
	return code < 0 ? -1 : (strncmp(buf, "signal ", 7) == 0 ? 128 + code : code);
}

/*
 * The last max_lines lines of a file in the job directory, as errors, less
 * QEMU's warnings about the CPU model's features TCG lacks (always there).
 */
static bool is_noise(const char *line)
{
	return strstr(line, "TCG doesn't support requested feature") != NULL;
}

static void show_job_file(const struct job *job, const char *name, unsigned max_lines)
{
	char path[PATH_MAX], line[512];
	unsigned total = 0, skip, n = 0;
	FILE *f;

	if (path_join(path, sizeof(path), job->dir, name))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		total += !is_noise(line);
	skip = total > max_lines ? total - max_lines : 0;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (!is_noise(line) && n++ >= skip)
			pr_err("test host %s: %s", name, line);
	fclose(f);
}

static void remove_job(const struct job *job)
{
	DIR *d = opendir(job->dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(job->dir);
}

static pid_t spawn_qemu(struct argv_builder *qargv, const struct job *job)
{
	char log_path[PATH_MAX];
	pid_t pid;

	if (path_join(log_path, sizeof(log_path), job->dir, "qemu.log"))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* QEMU's own warnings go to the log; the terminal shows only the guest. */
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execv(qargv->argv[0], qargv->argv);
		_exit(127);
	}
	return pid;
}

int testhost_run(char *const argv[], const struct testhost_opts *opts)
{
	static struct argv_builder qargv; /* large; only one test host per process at a time */
	char assets[PATH_MAX], qemu[PATH_MAX];
	struct job job = {.dir = "/tmp/xkvm-testhost.XXXXXX"};
	bool wedged;
	int status, code;
	pid_t pid;

	if (testhost_assets_dir(assets, sizeof(assets)) || check_assets(assets, qemu, sizeof(qemu)))
		return -1;
	if (!mkdtemp(job.dir)) {
		pr_err("test host job directory: %s", strerror(errno));
		return -1;
	}
	if (write_job(&job, argv, opts)) {
		pr_err("writing the test host job: %s", strerror(errno));
		remove_job(&job);
		return -1;
	}
	qargv.n = 0;
	build_qemu_argv(&qargv, qemu, assets, &job, opts);
	pid = spawn_qemu(&qargv, &job);
	if (pid < 0) {
		pr_err("cannot start %s: %s", qemu, strerror(errno));
		remove_job(&job);
		return -1;
	}
	status = wait_for_qemu(pid, &job, &wedged);
	code = wedged ? -1 : read_status(&job);
	if (code < 0) {
		pr_err("the KVM test host stopped before the command finished (QEMU %s %d)",
		       WIFEXITED(status) ? "exit status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		show_job_file(&job, "qemu.log", 40);
		show_job_file(&job, "kernel.log", wedged ? 150 : 60);
	}
	if (wedged)
		pr_err("test host: its job directory (kernel.log whole) is kept in %s", job.dir);
	else
		remove_job(&job);
	return code;
}
