/* SPDX-License-Identifier: MIT */
#include "daemon/supervisor.h"
#include "core/sandbox.h"
#include "lib/proc.h"
#include "daemon/vmm_control.h"
#include "lib/log.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Timeouts of control.sock exchanges: actions, and the loop's own polling. */
#define CONTROL_TIMEOUT_MS 5000
#define PROBE_TIMEOUT_MS   1000
/* A VMM restarted on crash that crashes again this soon counts toward the limit. */
#define QUICK_CRASH_MS	  10000
#define QUICK_CRASH_LIMIT 5
#define EXIT_CODE_STOPPED 5

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int vm_action_parse(const char *name, enum vm_action *out)
{
	static const char *const names[] = {
	    [ACT_START] = "start",
	    [ACT_CLEAN_SHUTDOWN] = "clean_shutdown",
	    [ACT_CLEAN_REBOOT] = "clean_reboot",
	    [ACT_HARD_SHUTDOWN] = "hard_shutdown",
	    [ACT_HARD_REBOOT] = "hard_reboot",
	    [ACT_PAUSE] = "pause",
	    [ACT_UNPAUSE] = "unpause",
	};

	for (size_t i = 0; name && i < ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum vm_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- paths and small files ---- */

int sup_cfg_path(const struct supervisor *sup, const char *uuid, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/vms/%s.cfg", sup->state_dir, uuid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sup_vm_path(const struct supervisor *sup, const char *uuid, const char *name, char *out,
		size_t len)
{
	int n = snprintf(out, len, "%s/vms/%s%s%s", sup->run_dir, uuid, name ? "/" : "",
			 name ? name : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sup_write_cfg(struct supervisor *sup, const char *uuid, const char *text)
{
	char path[PATH_MAX];
	int r = sup_cfg_path(sup, uuid, path, sizeof(path));

	if (!r)
		r = write_file_atomic(path, text, 0600);
	if (r)
		pr_err("cannot write %s: %s", path, strerror(-r));
	return r;
}

/* A decimal number (leading blanks allowed), without overflow.  Returns 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	char *e;

	s += strspn(s, " \t");
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &e, 10);
	*end = e;
	return errno ? -EINVAL : 0;
}

static uint64_t proc_rss(pid_t pid)
{
	char path[64], buf[4096], *p;
	const char *end;
	uint64_t kb;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nVmRSS:");
	if (!p || parse_u64(p + 7, &kb, &end) || kb > UINT64_MAX / 1024)
		return 0;
	return kb * 1024;
}

static const char *const exit_reasons[] = {"poweroff", "reboot", "crash", "stopped", "error"};

/* "<code> <reason>\n" as the VMM writes it. */
int vmm_exit_parse(const char *text, int *code, const char **reason)
{
	const char *word;
	uint64_t c;
	size_t len;

	if (parse_u64(text, &c, &word) || c > 255 || *word != ' ')
		return -EBADMSG;
	word++;
	len = strcspn(word, "\n");
	if (word[len] && strcmp(word + len, "\n") != 0)
		return -EBADMSG;
	for (size_t i = 0; i < ARRAY_SIZE(exit_reasons); i++) {
		if (strlen(exit_reasons[i]) == len && strncmp(word, exit_reasons[i], len) == 0) {
			*code = (int)c;
			*reason = exit_reasons[i];
			return 0;
		}
	}
	return -EBADMSG;
}

/* The reason for an exit status without an exit file, as `xkvm create` documents codes. */
static const char *reason_for_code(int code)
{
	switch (code) {
	case 0:
		return "poweroff";
	case 3:
		return "crash";
	case 4:
		return "reboot";
	case EXIT_CODE_STOPPED:
		return "stopped";
	}
	return "error";
}

/* The last lines of DIR/vmm.log, joined on one line, printable characters only. */
static void log_tail(struct supervisor *sup, const char *uuid, char *out, size_t len)
{
	char path[PATH_MAX], buf[2048], *lines[5];
	int fd, nr = 0;
	ssize_t n;
	off_t size;

	out[0] = '\0';
	if (sup_vm_path(sup, uuid, "vmm.log", path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = size < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, size > 2047 ? size - 2047 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != '\n' && !isprint((unsigned char)buf[i]))
			buf[i] = '?';
	/* Walk backwards over the lines, keeping the last non-empty ones. */
	for (char *p = buf + n; p > buf && nr < (int)ARRAY_SIZE(lines);) {
		char *start;

		*p = '\0';
		start = p;
		while (start > buf && start[-1] != '\n')
			start--;
		if (*start)
			lines[nr++] = start;
		p = start > buf ? start - 1 : buf;
	}
	for (int i = nr - 1; i >= 0; i--) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "%s%s", used ? "; " : "", lines[i]);
	}
}

/* ---- VM list ---- */

void sup_lock(struct supervisor *sup)
{
	pthread_mutex_lock(&sup->lock);
}

void sup_unlock(struct supervisor *sup)
{
	pthread_mutex_unlock(&sup->lock);
}

struct vm_rt *sup_vm(struct supervisor *sup, const char *uuid)
{
	for (struct vm_rt *vm = sup->vms; vm; vm = vm->next)
		if (strcmp(vm->uuid, uuid) == 0)
			return vm;
	return NULL;
}

static enum power_state displayed_state(const struct vm_rt *vm)
{
	/* A VMM that is starting runs already: it shows as Running. */
	return vm->state == RUN_HALTED	 ? POWER_HALTED
	       : vm->state == RUN_PAUSED ? POWER_PAUSED
					 : POWER_RUNNING;
}

const struct vm_live *sup_live(const struct vm_rt *vm, struct vm_live *live)
{
	if (vm->state == RUN_HALTED)
		return NULL;
	live->state = displayed_state(vm);
	live->pv_drivers = vm->pv_drivers;
	snprintf(live->pv_driver_version, sizeof(live->pv_driver_version), "%s",
		 vm->pv_driver_version);
	live->vcpus = vm->vcpus;
	live->memory_mib = vm->memory_mib;
	live->cpu_seconds = vm->cpu_seconds;
	return live;
}

unsigned sup_running_count(struct supervisor *sup)
{
	unsigned n = 0;

	for (struct vm_rt *vm = sup->vms; vm; vm = vm->next)
		n += vm->state != RUN_HALTED;
	return n;
}

/* Stored configs are parsed loosely: host limits were checked when they were created. */
static void parse_cfg(struct supervisor *sup, struct vm_rt *vm, const char *text)
{
	static const struct host_limits loose = {.memory_mib = 1ULL << 40, .max_vcpus = 4096};
	char path[PATH_MAX], *msgs = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msgs, &len);
	int r;

	if (!err)
		return;
	sup_cfg_path(sup, vm->uuid, path, sizeof(path));
	r = domain_config_load_text(&vm->cfg, text, path, &loose, err);
	fclose(err);
	/* A config that no longer checks (a disk image gone) is still shown as far as it parsed. */
	vm->has_cfg = r != -ENOMEM && vm->cfg.name;
	if (r && vm->has_cfg)
		pr_warn("VM %s: %s", vm->uuid, msgs ? msgs : "config does not check");
	free(msgs);
}

static struct vm_rt *vm_new(struct supervisor *sup, const struct vm_row *row)
{
	struct vm_rt *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	memcpy(vm->uuid, row->uuid, sizeof(vm->uuid));
	vm->pidfd = -1;
	parse_cfg(sup, vm, row->config_text);
	vm->next = sup->vms;
	sup->vms = vm;
	return vm;
}

static void vm_free(struct vm_rt *vm)
{
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	domain_config_free(&vm->cfg);
	free(vm);
}

int sup_add(struct supervisor *sup, const struct vm_row *row)
{
	return sup_vm(sup, row->uuid) ? -EEXIST : vm_new(sup, row) ? 0 : -ENOMEM;
}

void sup_remove(struct supervisor *sup, const char *uuid)
{
	static const char *const files[] = {"vmm.log", "vmm.log.old",  "exit",
					    "pid",     "console.sock", "control.sock"};
	char path[PATH_MAX];

	for (struct vm_rt **p = &sup->vms; *p; p = &(*p)->next) {
		if (strcmp((*p)->uuid, uuid) == 0) {
			struct vm_rt *vm = *p;

			*p = vm->next;
			vm_free(vm);
			break;
		}
	}
	if (!sup_cfg_path(sup, uuid, path, sizeof(path)))
		unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (!sup_vm_path(sup, uuid, files[i], path, sizeof(path)))
			unlink(path);
	if (!sup_vm_path(sup, uuid, NULL, path, sizeof(path)))
		rmdir(path);
}

static void wake(struct supervisor *sup)
{
	uint64_t one = 1;

	if (write(sup->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("supervisor wake-up: %s", strerror(errno));
}

static void set_state(struct supervisor *sup, struct vm_rt *vm, enum vm_run_state state)
{
	if (vm->state == state)
		return;
	vm->state = state;
	if (state == RUN_RUNNING || state == RUN_PAUSED)
		store_vm_set_power(sup->store, vm->uuid, displayed_state(vm));
	pthread_cond_broadcast(&sup->cond);
}

/* xl numbers domains from 1; a number is free once its VM halted. */
static int64_t alloc_domid(struct supervisor *sup)
{
	for (int64_t id = 1;; id++) {
		bool used = false;

		for (struct vm_rt *vm = sup->vms; vm && !used; vm = vm->next)
			used = vm->state != RUN_HALTED && vm->domid == id;
		if (!used)
			return id;
	}
}

/* ---- starting a VMM ---- */

struct spawn_args {
	char dir[PATH_MAX];
	char cfg[PATH_MAX];
	char log[PATH_MAX];
};

static int prepare_run_dir(struct supervisor *sup, const char *uuid, struct spawn_args *a)
{
	char path[PATH_MAX], old[PATH_MAX];

	if (sup_vm_path(sup, uuid, NULL, a->dir, sizeof(a->dir)) ||
	    sup_vm_path(sup, uuid, "vmm.log", a->log, sizeof(a->log)) ||
	    sup_cfg_path(sup, uuid, a->cfg, sizeof(a->cfg)) ||
	    sup_vm_path(sup, uuid, "vmm.log.old", old, sizeof(old)))
		return -ENAMETOOLONG;
	/* The daemon opens vmm.log before exec, so it makes DIR; the VMM keeps it. */
	if (mkdir(a->dir, 0700) && errno != EEXIST)
		return -errno;
	/* Files of the previous run would be taken for this one's. */
	sup_vm_path(sup, uuid, "exit", path, sizeof(path));
	unlink(path);
	sup_vm_path(sup, uuid, "pid", path, sizeof(path));
	unlink(path);
	sup_vm_path(sup, uuid, SANDBOX_REPORT_FILE, path, sizeof(path));
	unlink(path);
	rename(a->log, old);
	return 0;
}

/*
 * The child: its own session, /dev/null in, vmm.log out; only async-signal-safe
 * calls.  It execs the VMM only once the daemon has recorded its pid (a byte
 * on gate): a daemon killed before that leaves EOF, and no VMM it does not know.
 */
static __attribute__((noreturn)) void exec_vmm(const char *vmm, char *const argv[], int nullfd,
					       int logfd, const int gate[2])
{
	static const char msg[] = "xkvmd: cannot execute the VMM\n";
	sigset_t none;
	char go;

	close(gate[1]);
	if (read(gate[0], &go, 1) != 1)
		_exit(127);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	execv(vmm, argv);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Tests kill xkvmd at a named point of a start ($XKVMD_CRASH_AT), where a
 * random kill -9 would rarely land: tests/integration/crash_test.sh.
 */
static void crash_point(const char *name)
{
	const char *at = getenv("XKVMD_CRASH_AT");

	if (at && strcmp(at, name) == 0)
		raise(SIGKILL);
}

/*
 * With the lock held: the database says the VM is starting (Running, no pid
 * yet) before anything is forked, so a daemon killed at any later point finds
 * it on restart (sup_recover) and either adopts its VMM or marks it halted.
 */
static int record_starting(struct supervisor *sup, struct vm_rt *vm, char *err, size_t errlen)
{
	int r;

	vm->domid = alloc_domid(sup);
	r = store_vm_set_running(sup->store, vm->uuid, POWER_RUNNING, 0, 0, time(NULL), vm->domid);
	if (r)
		snprintf(err, errlen, "cannot record the VM as starting: %s", strerror(-r));
	return r;
}

/* The child is ours, not yet a VMM: its pid goes to the database, then it may exec. */
static int record_pid(struct supervisor *sup, struct vm_rt *vm, pid_t pid, const int gate[2],
		      char *err, size_t errlen)
{
	int r;

	vm->starttime = 0;
	proc_stat_read(pid, &vm->starttime, NULL);
	r = store_vm_set_running(sup->store, vm->uuid, POWER_RUNNING, pid, vm->starttime,
				 time(NULL), vm->domid);
	if (r) {
		snprintf(err, errlen, "cannot record the VMM's pid: %s", strerror(-r));
		return r;
	}
	crash_point("pid-recorded");
	if (write(gate[1], "1", 1) != 1) {
		r = -errno;
		snprintf(err, errlen, "cannot start the VMM: %s", strerror(errno));
	}
	return r;
}

/* A spawn that failed after record_starting: nothing runs, the database says so. */
static void unrecord(struct supervisor *sup, struct vm_rt *vm, pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	store_vm_set_halted(sup->store, vm->uuid, 1, "error", time(NULL));
}

/* With the lock held: a new VMM runs for vm; the loop waits for its control socket. */
static void begin_run(struct supervisor *sup, struct vm_rt *vm, pid_t pid)
{
	/* Our child cannot be reaped behind our back, so this pidfd is its. */
	vm->pidfd = sys_pidfd_open(pid);
	vm->pid = pid;
	vm->is_child = true;
	vm->gen++;
	vm->start_ms = monotonic_ms();
	vm->stop_requested = false;
	vm->start_timed_out = false;
	vm->start_error[0] = '\0';
	vm->pv_drivers = false;
	vm->pv_driver_version[0] = '\0';
	vm->vcpus = 0;
	vm->memory_mib = 0;
	vm->ring_head = vm->ring_count = 0;
	vm->prev_sample_ms = 0;
	vm->cpu_seconds = 0;
	vm->state = RUN_STARTING;
	pthread_cond_broadcast(&sup->cond);
	wake(sup);
	pr_info("VM %s: VMM started, pid %d", vm->uuid, (int)pid);
}

/* With the lock held: fork and exec the VMM; the loop then waits for its control socket. */
static int spawn(struct supervisor *sup, struct vm_rt *vm, const char *config_text, char *err,
		 size_t errlen)
{
	struct spawn_args a;
	char *argv[9];
	int argc = 0;
	int nullfd, logfd, r, gate[2];
	pid_t pid;

	if (access(sup->vmm_path, X_OK)) {
		snprintf(err, errlen, "cannot execute the VMM %s: %s", sup->vmm_path,
			 strerror(errno));
		return -errno;
	}
	r = prepare_run_dir(sup, vm->uuid, &a);
	if (!r)
		r = sup_write_cfg(sup, vm->uuid, config_text);
	if (r) {
		snprintf(err, errlen, "cannot prepare the VM's files: %s", strerror(-r));
		return r;
	}
	logfd = open(a.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", a.log, strerror(errno));
		goto out;
	}
	argv[argc++] = sup->vmm_path;
	argv[argc++] = (char *)"create";
	argv[argc++] = (char *)"-F";
	argv[argc++] = (char *)"--managed";
	argv[argc++] = a.dir;
	if (sup->vmm_user) {
		argv[argc++] = (char *)"--user";
		argv[argc++] = (char *)sup->vmm_user;
	}
	argv[argc++] = a.cfg;
	argv[argc] = NULL;
	r = record_starting(sup, vm, err, errlen);
	if (r)
		goto out;
	crash_point("recorded-starting");
	if (pipe2(gate, O_CLOEXEC)) {
		r = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		unrecord(sup, vm, 0);
		goto out;
	}
	pid = fork();
	if (pid == 0)
		exec_vmm(sup->vmm_path, argv, nullfd, logfd, gate);
	r = pid < 0 ? -errno : 0;
	close(gate[0]);
	if (r) {
		snprintf(err, errlen, "fork: %s", strerror(-r));
	} else {
		crash_point("forked");
		r = record_pid(sup, vm, pid, gate, err, errlen);
	}
	close(gate[1]);
	if (r) {
		unrecord(sup, vm, pid);
		goto out;
	}
	begin_run(sup, vm, pid);
out:
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	return r;
}

/* With the lock held: spawn with the text from the store. */
static int spawn_stored(struct supervisor *sup, struct vm_rt *vm, char *err, size_t errlen)
{
	struct vm_row row;
	int r = store_vm_get(sup->store, vm->uuid, &row);

	if (r) {
		snprintf(err, errlen, "cannot read the VM from the database");
		return r;
	}
	r = spawn(sup, vm, row.config_text, err, errlen);
	vm_row_free(&row);
	return r;
}

/* ---- the end of a VMM ---- */

static void kill_vmm(struct vm_rt *vm)
{
	if (vm->pidfd >= 0)
		sys_pidfd_send_signal(vm->pidfd, SIGKILL);
	else if (vm->is_child && vm->pid > 0)
		kill(vm->pid, SIGKILL);
}

/*
 * A confined VMM killed by its seccomp filter left the call's number in
 * its report file (core/sandbox.h): a crash, logged with the call named.
 */
static bool seccomp_killed(struct supervisor *sup, struct vm_rt *vm)
{
	char path[PATH_MAX], buf[64], thread[16];
	char *name = NULL;
	int nr = -1;

	if (!sup_vm_path(sup, vm->uuid, SANDBOX_REPORT_FILE, path, sizeof(path)) &&
	    read_small_file(path, buf, sizeof(buf)) > 0)
		nr = sandbox_report_parse(buf, thread, sizeof(thread));
	if (nr < 0)
		return false;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	pr_err("VM %s: the VMM was killed by its seccomp filter: system call %s (%d) from its "
	       "%s thread",
	       vm->uuid, name ? name : "?", nr, thread);
	free(name);
	return true;
}

/* What the VMM left: its exit file, else its status (children), else a crash. */
static void exit_cause(struct supervisor *sup, struct vm_rt *vm, int wstatus, bool have_status,
		       int *code, const char **reason)
{
	char path[PATH_MAX], buf[64];

	if (seccomp_killed(sup, vm)) {
		*code = 128 + SIGSYS;
		*reason = "crash";
		return;
	}
	if (!sup_vm_path(sup, vm->uuid, "exit", path, sizeof(path)) &&
	    read_small_file(path, buf, sizeof(buf)) > 0 && !vmm_exit_parse(buf, code, reason))
		return;
	if (have_status && WIFEXITED(wstatus)) {
		*code = WEXITSTATUS(wstatus);
		*reason = reason_for_code(*code);
	} else if (vm->stop_requested) {
		*code = EXIT_CODE_STOPPED;
		*reason = "stopped";
	} else {
		/* Killed (or gone while we were away) without an exit file: a crash. */
		*code = have_status && WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 3;
		*reason = "crash";
	}
}

static bool restart_on_crash(struct vm_rt *vm, const char *reason)
{
	if (strcmp(reason, "crash") != 0 || vm->stop_requested || !vm->has_cfg ||
	    vm->cfg.on_crash != ACTION_RESTART)
		return false;
	vm->quick_crashes =
	    monotonic_ms() - vm->start_ms < QUICK_CRASH_MS ? vm->quick_crashes + 1 : 0;
	if (vm->quick_crashes >= QUICK_CRASH_LIMIT) {
		pr_err("VM %s: crashed %d times within %d s of starting; not restarting", vm->uuid,
		       QUICK_CRASH_LIMIT, QUICK_CRASH_MS / 1000);
		return false;
	}
	return true;
}

/*
 * A confined VMM ends at every stop of its guest (toolstack/confined.h):
 * a reboot or power-off whose action is "restart" starts it again.
 */
static bool restart_on_stop(struct vm_rt *vm, const char *reason)
{
	if (vm->stop_requested || !vm->has_cfg)
		return false;
	if (strcmp(reason, "reboot") == 0)
		return vm->cfg.on_reboot == ACTION_RESTART;
	if (strcmp(reason, "poweroff") == 0)
		return vm->cfg.on_poweroff == ACTION_RESTART;
	return false;
}

/* With the lock held: the VMM is gone; record it and apply the on_* actions. */
static void vmm_ended(struct supervisor *sup, struct vm_rt *vm, int wstatus, bool have_status)
{
	bool starting = vm->state == RUN_STARTING;
	const char *reason = "error";
	char err[256], tail[700];
	int code = 1;

	exit_cause(sup, vm, wstatus, have_status, &code, &reason);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->pidfd = -1;
	vm->pid = 0;
	vm->state = RUN_HALTED;
	store_vm_set_halted(sup->store, vm->uuid, code, reason, time(NULL));
	pr_info("VM %s: VMM exited: %d %s", vm->uuid, code, reason);
	if (starting) {
		vm->start_exit_code = code;
		if (vm->start_timed_out)
			snprintf(err, sizeof(err), "the VMM did not answer within %d s",
				 START_TIMEOUT_S);
		else
			snprintf(err, sizeof(err), "the VMM exited (%d %s)", code, reason);
		log_tail(sup, vm->uuid, tail, sizeof(tail));
		snprintf(vm->start_error, sizeof(vm->start_error), "%s%s%s", err,
			 tail[0] ? ": " : "", tail);
	} else if (restart_on_crash(vm, reason)) {
		pr_warn("VM %s: the VMM crashed; restarting (on_crash = \"restart\")", vm->uuid);
		if (spawn_stored(sup, vm, err, sizeof(err)))
			pr_err("VM %s: restart failed: %s", vm->uuid, err);
	} else if (restart_on_stop(vm, reason)) {
		pr_info("VM %s: the guest's %s: restarting", vm->uuid, reason);
		if (spawn_stored(sup, vm, err, sizeof(err)))
			pr_err("VM %s: restart failed: %s", vm->uuid, err);
	}
	pthread_cond_broadcast(&sup->cond);
}

/* With the lock held: has this VM's VMM ended?  Reaps our children. */
static void check_exit(struct supervisor *sup, struct vm_rt *vm)
{
	int wstatus = 0;
	pid_t r;

	if (vm->state == RUN_HALTED || vm->pid <= 0)
		return;
	if (vm->is_child) {
		r = waitpid(vm->pid, &wstatus, WNOHANG);
		if (r == vm->pid)
			vmm_ended(sup, vm, wstatus, true);
		else if (r < 0 && errno == ECHILD)
			vmm_ended(sup, vm, 0, false);
		return;
	}
	/* Re-attached: alive while the same process (pid and start time) exists. */
	{
		uint64_t st = 0;

		if (proc_stat_read(vm->pid, &st, NULL) || st != vm->starttime)
			vmm_ended(sup, vm, 0, false);
	}
}

/* ---- the loop ---- */

struct probe {
	char uuid[UUID_LEN + 1];
	unsigned gen;
	char path[PATH_MAX];
	bool sample;
};

/*
 * dst gets src (NULL: empty) cut to fit, each byte outside printable ASCII
 * replaced: the VMM relays what its guest wrote.
 */
static void printable_copy(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* Apply a status answer: the state and what the VMM reports. */
static void apply_status(struct supervisor *sup, struct vm_rt *vm, json_t *st)
{
	const char *state = json_string_value(json_object_get(st, "state"));
	json_int_t vcpus = json_integer_value(json_object_get(st, "vcpus"));
	json_int_t mem = json_integer_value(json_object_get(st, "memory_mib"));

	vm->pv_drivers = json_is_true(json_object_get(st, "pv_drivers"));
	printable_copy(vm->pv_driver_version, sizeof(vm->pv_driver_version),
		       json_string_value(json_object_get(st, "pv_driver_version")));
	vm->vcpus = vcpus > 0 && vcpus <= 4096 ? (unsigned)vcpus : 0;
	vm->memory_mib = mem > 0 && mem <= (1LL << 40) ? (uint64_t)mem : 0;
	if (state && strcmp(state, "paused") == 0)
		set_state(sup, vm, RUN_PAUSED);
	else if (state && strcmp(state, "running") == 0)
		set_state(sup, vm, RUN_RUNNING);
}

static void sample(struct supervisor *sup, struct vm_rt *vm, long long now)
{
	uint64_t st = 0, ticks = 0;
	struct vm_sample *s;

	if (proc_stat_read(vm->pid, &st, &ticks) || st != vm->starttime)
		return;
	s = &vm->ring[vm->ring_head];
	s->cpu = 0;
	if (vm->prev_sample_ms && now > vm->prev_sample_ms && ticks >= vm->prev_ticks)
		s->cpu = (float)((double)(ticks - vm->prev_ticks) / (double)sup->clk_tck *
				 100000.0 / (double)(now - vm->prev_sample_ms));
	s->rss = proc_rss(vm->pid);
	vm->prev_ticks = ticks;
	vm->prev_sample_ms = now;
	vm->cpu_seconds = (double)ticks / (double)sup->clk_tck;
	vm->ring_head = (vm->ring_head + 1) % STATS_SAMPLES;
	if (vm->ring_count < STATS_SAMPLES)
		vm->ring_count++;
}

/* With the lock held: which VMMs to ask for status now. */
static size_t collect_probes(struct supervisor *sup, bool probe, bool tick, struct probe **out)
{
	size_t n = 0, cap = 0;
	struct probe *p = NULL;

	for (struct vm_rt *vm = sup->vms; vm; vm = vm->next) {
		bool starting = vm->state == RUN_STARTING;

		if (vm->state == RUN_HALTED || (!starting && !probe))
			continue;
		if (starting && monotonic_ms() - vm->start_ms > START_TIMEOUT_S * 1000LL) {
			if (!vm->start_timed_out)
				pr_err("VM %s: no answer on control.sock in %d s; stopping it",
				       vm->uuid, START_TIMEOUT_S);
			vm->start_timed_out = true;
			kill_vmm(vm);
			continue;
		}
		if (n == cap) {
			struct probe *np = realloc(p, (cap = cap ? cap * 2 : 8) * sizeof(*p));

			if (!np)
				break;
			p = np;
		}
		memcpy(p[n].uuid, vm->uuid, sizeof(vm->uuid));
		p[n].gen = vm->gen;
		p[n].sample = tick && !starting;
		if (sup_vm_path(sup, vm->uuid, "control.sock", p[n].path, sizeof(p[n].path)))
			continue;
		n++;
	}
	*out = p;
	return n;
}

/*
 * Ask each VMM for its status without the lock; apply the answers with
 * it.  probe: the running ones too (the starting ones always); tick: take
 * a stats sample as well.
 */
static void probe_vmms(struct supervisor *sup, bool probe, bool tick)
{
	struct probe *probes;
	size_t n;
	long long now = monotonic_ms();

	sup_lock(sup);
	n = collect_probes(sup, probe || tick, tick, &probes);
	sup_unlock(sup);
	for (size_t i = 0; i < n; i++) {
		json_t *st = NULL;
		char err[256];
		struct vm_rt *vm;
		int r =
		    vmm_control(probes[i].path, "status", PROBE_TIMEOUT_MS, &st, err, sizeof(err));

		sup_lock(sup);
		vm = sup_vm(sup, probes[i].uuid);
		if (vm && vm->gen == probes[i].gen && vm->state != RUN_HALTED) {
			if (!r)
				apply_status(sup, vm, st);
			if (probes[i].sample)
				sample(sup, vm, now);
		}
		sup_unlock(sup);
		json_decref(st);
	}
	free(probes);
}

/* Children whose pidfd could not be opened: reap them by pid. */
static void reap_strays(struct supervisor *sup)
{
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (struct vm_rt *vm = sup->vms; vm; vm = vm->next) {
			if (vm->is_child && vm->pid == pid && vm->state != RUN_HALTED) {
				vmm_ended(sup, vm, wstatus, true);
				break;
			}
		}
	}
}

static bool any_starting(struct supervisor *sup)
{
	for (struct vm_rt *vm = sup->vms; vm; vm = vm->next)
		if (vm->state == RUN_STARTING)
			return true;
	return false;
}

/* With the lock held: the fds to poll (wake_fd first).  Returns the count. */
static size_t poll_set(struct supervisor *sup, struct pollfd **fds)
{
	size_t n = 1, cap = 1;

	for (struct vm_rt *vm = sup->vms; vm; vm = vm->next)
		cap += vm->pidfd >= 0;
	*fds = calloc(cap, sizeof(**fds));
	if (!*fds)
		return 0;
	(*fds)[0].fd = sup->wake_fd;
	(*fds)[0].events = POLLIN;
	for (struct vm_rt *vm = sup->vms; vm && n < cap; vm = vm->next) {
		if (vm->pidfd < 0)
			continue;
		(*fds)[n].fd = vm->pidfd;
		(*fds)[n].events = POLLIN;
		n++;
	}
	return n;
}

static void *loop(void *arg)
{
	struct supervisor *sup = arg;
	long long next_tick = monotonic_ms(), next_probe = next_tick;

	for (;;) {
		struct pollfd *fds;
		size_t n;
		int timeout;
		uint64_t v;
		bool tick, probe;

		sup_lock(sup);
		if (sup->stopping) {
			sup_unlock(sup);
			return NULL;
		}
		n = poll_set(sup, &fds);
		timeout = any_starting(sup)
			      ? 100
			      : (int)MAX(0, MIN(next_tick, next_probe) - monotonic_ms());
		sup_unlock(sup);
		if (n)
			poll(fds, n, MIN(timeout, STATUS_INTERVAL_MS));
		else
			usleep(100000);
		free(fds);
		if (read(sup->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			pr_warn("supervisor: %s", strerror(errno));
		sup_lock(sup);
		/* Any VMM may have ended: pidfds say which, check them all (cheap). */
		for (struct vm_rt *vm = sup->vms; vm; vm = vm->next)
			check_exit(sup, vm);
		reap_strays(sup);
		sup_unlock(sup);
		tick = monotonic_ms() >= next_tick;
		if (tick)
			next_tick = monotonic_ms() + STATS_INTERVAL_S * 1000LL;
		probe = monotonic_ms() >= next_probe;
		if (probe)
			next_probe = monotonic_ms() + STATUS_INTERVAL_MS;
		probe_vmms(sup, probe, tick);
	}
}

/* ---- startup ---- */

int sup_init(struct supervisor *sup, struct store *st, const char *state_dir, const char *run_dir,
	     const char *vmm_path)
{
	pthread_condattr_t ca;
	char path[PATH_MAX];

	memset(sup, 0, sizeof(*sup));
	sup->store = st;
	sup->state_dir = strdup(state_dir);
	sup->run_dir = strdup(run_dir);
	sup->vmm_path = strdup(vmm_path);
	sup->clk_tck = sysconf(_SC_CLK_TCK);
	if (sup->clk_tck <= 0)
		sup->clk_tck = 100;
	sup->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!sup->state_dir || !sup->run_dir || !sup->vmm_path || sup->wake_fd < 0)
		return -ENOMEM;
	pthread_mutex_init(&sup->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sup->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(path, sizeof(path), "%s/vms", state_dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/vms", run_dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The VMM's own pid file ("<pid> <starttime>"), else what was recorded at
 * spawn.  Returns whether the pid or exit file was there: without them the
 * VMM never ran far enough to write them (or never ran: see exec_vmm).
 */
static bool recorded_identity(struct supervisor *sup, const struct vm_row *row, pid_t *pid,
			      uint64_t *starttime)
{
	char path[PATH_MAX], buf[64];
	const char *end;
	uint64_t p, st;

	if (!sup_vm_path(sup, row->uuid, "pid", path, sizeof(path)) &&
	    read_small_file(path, buf, sizeof(buf)) > 0 && !parse_u64(buf, &p, &end) &&
	    *end == ' ' && !parse_u64(end + 1, &st, &end) && p > 1 && p <= INT_MAX) {
		*pid = (pid_t)p;
		*starttime = st;
		return true;
	}
	*pid = row->pid > 1 && row->pid <= INT_MAX ? (pid_t)row->pid : 0;
	*starttime = row->pid_starttime;
	return !sup_vm_path(sup, row->uuid, "exit", path, sizeof(path)) && access(path, F_OK) == 0;
}

/* With the lock held: a VM the database says is running. */
static void reattach(struct supervisor *sup, struct vm_rt *vm, const struct vm_row *row,
		     bool first_since_boot)
{
	uint64_t starttime, actual = 0;
	bool vmm_ran;
	pid_t pid;

	vmm_ran = recorded_identity(sup, row, &pid, &starttime);
	vm->state = row->power_state == POWER_PAUSED ? RUN_PAUSED : RUN_RUNNING;
	vm->domid = row->domid;
	vm->start_ms = monotonic_ms() - QUICK_CRASH_MS;
	if (pid > 0) {
		vm->pidfd = sys_pidfd_open(pid);
		/*
		 * Checked after opening the pidfd, so the pidfd is the process we
		 * checked.  Without pidfds (ENOSYS) the loop's /proc checks suffice.
		 */
		if ((vm->pidfd >= 0 || errno == ENOSYS) && !proc_stat_read(pid, &actual, NULL) &&
		    actual == starttime) {
			vm->pid = pid;
			vm->starttime = starttime;
			vm->is_child = false;
			pr_info("VM %s: re-attached to its VMM, pid %d", vm->uuid, (int)pid);
			return;
		}
		if (vm->pidfd >= 0)
			close(vm->pidfd);
		vm->pidfd = -1;
	}
	if (first_since_boot || !vmm_ran) {
		/*
		 * The host went down under it, or the daemon did while starting it
		 * (recorded as starting, its VMM never ran): not a crash of the guest.
		 */
		if (!vmm_ran && !first_since_boot)
			pr_info("VM %s: was starting when xkvmd stopped; no VMM runs: halted",
				vm->uuid);
		vm->state = RUN_HALTED;
		store_vm_set_halted(sup->store, vm->uuid, EXIT_CODE_STOPPED, "stopped", time(NULL));
		return;
	}
	vm->pid = pid;
	vmm_ended(sup, vm, 0, false);
}

int sup_recover(struct supervisor *sup, bool first_since_boot)
{
	struct vm_row *rows;
	size_t n;
	int r;

	sup_lock(sup);
	r = store_vm_list(sup->store, &rows, &n);
	for (size_t i = 0; !r && i < n; i++) {
		struct vm_rt *vm = sup_vm(sup, rows[i].uuid);

		if (!vm)
			vm = vm_new(sup, &rows[i]);
		if (vm && rows[i].power_state != POWER_HALTED)
			reattach(sup, vm, &rows[i], first_since_boot);
	}
	for (size_t i = 0; !r && first_since_boot && i < n; i++) {
		struct vm_rt *vm = sup_vm(sup, rows[i].uuid);
		char err[1024];

		if (!vm || !rows[i].auto_poweron || vm->state != RUN_HALTED)
			continue;
		pr_info("VM %s (%s): auto_poweron", rows[i].uuid, rows[i].name);
		if (spawn(sup, vm, rows[i].config_text, err, sizeof(err)))
			pr_err("VM %s: %s", rows[i].uuid, err);
	}
	sup_unlock(sup);
	if (!r)
		vm_rows_free(rows, n);
	return r;
}

int sup_run(struct supervisor *sup)
{
	int r = pthread_create(&sup->thread, NULL, loop, sup);

	sup->thread_started = r == 0;
	return -r;
}

void sup_begin_stop(struct supervisor *sup)
{
	sup_lock(sup);
	sup->stopping = true;
	pthread_cond_broadcast(&sup->cond);
	sup_unlock(sup);
	wake(sup);
}

void sup_fini(struct supervisor *sup)
{
	if (sup->thread_started) {
		sup_begin_stop(sup);
		pthread_join(sup->thread, NULL);
	}
	while (sup->vms) {
		struct vm_rt *vm = sup->vms;

		sup->vms = vm->next;
		vm_free(vm);
	}
	if (sup->wake_fd >= 0)
		close(sup->wake_fd);
	free(sup->state_dir);
	free(sup->run_dir);
	free(sup->vmm_path);
	pthread_mutex_destroy(&sup->lock);
	pthread_cond_destroy(&sup->cond);
}

/* ---- actions ---- */

/*
 * With the lock held: wait until done(vm) or the deadline (monotonic ms).
 * Returns true when done.  The VM may be deleted meanwhile: looked up by uuid.
 */
static bool wait_for(struct supervisor *sup, const char *uuid, unsigned gen,
		     bool (*done)(const struct vm_rt *vm, unsigned gen), long long deadline)
{
	for (;;) {
		struct vm_rt *vm = sup_vm(sup, uuid);
		struct timespec ts;
		long long left;

		if (!vm || done(vm, gen))
			return true;
		if (sup->stopping)
			return false;
		left = deadline - monotonic_ms();
		if (left <= 0)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sup->cond, &sup->lock, &ts);
	}
}

static bool is_halted(const struct vm_rt *vm, unsigned gen)
{
	return vm->state == RUN_HALTED || vm->gen != gen;
}

static bool start_settled(const struct vm_rt *vm, unsigned gen)
{
	return vm->state != RUN_STARTING || vm->gen != gen;
}

/* With the lock held: start a halted VM and wait for its control socket. */
static int do_start(struct supervisor *sup, struct vm_rt *vm, char *err, size_t errlen)
{
	char uuid[UUID_LEN + 1];
	unsigned gen;

	if (vm->state != RUN_HALTED) {
		snprintf(err, errlen, "the VM is not halted");
		return -EBUSY;
	}
	vm->quick_crashes = 0;
	/* Whatever failed here is the host's problem, not a missing VM: a 500. */
	if (spawn_stored(sup, vm, err, errlen))
		return -EIO;
	memcpy(uuid, vm->uuid, sizeof(uuid));
	gen = vm->gen;
	wait_for(sup, uuid, gen, start_settled, monotonic_ms() + (START_TIMEOUT_S + 5) * 1000LL);
	vm = sup_vm(sup, uuid);
	if (!vm || vm->gen != gen) {
		snprintf(err, errlen, "the VM was changed while it started");
		return -EBUSY;
	}
	if (vm->state == RUN_HALTED) {
		snprintf(err, errlen, "%s", vm->start_error);
		/* Exit status 2: the VMM refused the configuration; nothing ran. */
		return vm->start_exit_code == 2 ? -EINVAL : -EIO;
	}
	return 0;
}

/* Without the lock: one control.sock request. */
static int control(struct supervisor *sup, const char *uuid, const char *cmd, char *err,
		   size_t errlen)
{
	char path[PATH_MAX];

	if (sup_vm_path(sup, uuid, "control.sock", path, sizeof(path))) {
		snprintf(err, errlen, "run directory path too long");
		return -ENAMETOOLONG;
	}
	return vmm_control(path, cmd, CONTROL_TIMEOUT_MS, NULL, err, errlen);
}

/* With the lock held (dropped meanwhile): stop now; SIGKILL when the VMM does not. */
static int do_hard_stop(struct supervisor *sup, const char *uuid, char *err, size_t errlen)
{
	struct vm_rt *vm = sup_vm(sup, uuid);
	unsigned gen = vm->gen;
	int r;

	vm->stop_requested = true;
	if (vm->state == RUN_STARTING) {
		kill_vmm(vm);
	} else {
		sup_unlock(sup);
		r = control(sup, uuid, "destroy", err, errlen);
		sup_lock(sup);
		vm = sup_vm(sup, uuid);
		if (r && vm && vm->gen == gen && vm->state != RUN_HALTED)
			kill_vmm(vm);
	}
	if (!wait_for(sup, uuid, gen, is_halted, monotonic_ms() + CONTROL_TIMEOUT_MS)) {
		/*
		 * Only a VMM that ignored "destroy" is killed: when the daemon is stopping
		 * meanwhile, a SIGKILL would leave no exit file and the next xkvmd would take
		 * the destroyed VM for a crashed one (and maybe restart it).
		 */
		if (sup->stopping) {
			snprintf(err, errlen, "xkvmd is stopping");
			return -ECANCELED;
		}
		vm = sup_vm(sup, uuid);
		if (vm && vm->gen == gen)
			kill_vmm(vm);
		if (!wait_for(sup, uuid, gen, is_halted, monotonic_ms() + CONTROL_TIMEOUT_MS)) {
			snprintf(err, errlen, "the VMM did not stop");
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* With the lock held (dropped meanwhile): a request the VMM answers. */
static int do_request(struct supervisor *sup, const char *uuid, const char *cmd,
		      enum vm_run_state on_ok, char *err, size_t errlen)
{
	struct vm_rt *vm = sup_vm(sup, uuid);
	unsigned gen = vm->gen;
	int r;

	sup_unlock(sup);
	r = control(sup, uuid, cmd, err, errlen);
	sup_lock(sup);
	vm = sup_vm(sup, uuid);
	if (!r && vm && vm->gen == gen && vm->state != RUN_HALTED && on_ok != RUN_HALTED)
		set_state(sup, vm, on_ok);
	if (r == -EREMOTEIO)
		return -EBUSY;
	return r;
}

static bool action_allowed(enum vm_action a, enum vm_run_state s)
{
	switch (a) {
	case ACT_START:
		return s == RUN_HALTED;
	case ACT_CLEAN_SHUTDOWN:
	case ACT_CLEAN_REBOOT:
	case ACT_PAUSE:
		return s == RUN_RUNNING;
	case ACT_UNPAUSE:
		return s == RUN_PAUSED;
	case ACT_HARD_SHUTDOWN:
	case ACT_HARD_REBOOT:
		return s != RUN_HALTED;
	}
	return false;
}

static int wait_halted(struct supervisor *sup, const char *uuid, char *err, size_t errlen)
{
	struct vm_rt *vm = sup_vm(sup, uuid);

	if (vm && !wait_for(sup, uuid, vm->gen, is_halted,
			    monotonic_ms() + SHUTDOWN_TIMEOUT_S * 1000LL)) {
		snprintf(err, errlen, "the VM did not halt within %d s", SHUTDOWN_TIMEOUT_S);
		return -ETIMEDOUT;
	}
	return 0;
}

static int dispatch(struct supervisor *sup, struct vm_rt *vm, enum vm_action action, bool sync,
		    char *err, size_t errlen)
{
	char uuid[UUID_LEN + 1];
	bool reboot_halts = vm->has_cfg && vm->cfg.on_reboot == ACTION_DESTROY;
	int r;

	memcpy(uuid, vm->uuid, sizeof(uuid));
	switch (action) {
	case ACT_START:
		return do_start(sup, vm, err, errlen);
	case ACT_PAUSE:
		return do_request(sup, uuid, "pause", RUN_PAUSED, err, errlen);
	case ACT_UNPAUSE:
		return do_request(sup, uuid, "unpause", RUN_RUNNING, err, errlen);
	case ACT_CLEAN_SHUTDOWN:
	case ACT_CLEAN_REBOOT:
		r = do_request(sup, uuid, action == ACT_CLEAN_SHUTDOWN ? "shutdown" : "reboot",
			       RUN_HALTED, err, errlen);
		if (!r && sync && (action == ACT_CLEAN_SHUTDOWN || reboot_halts))
			r = wait_halted(sup, uuid, err, errlen);
		return r;
	case ACT_HARD_SHUTDOWN:
		return do_hard_stop(sup, uuid, err, errlen);
	case ACT_HARD_REBOOT:
		r = do_hard_stop(sup, uuid, err, errlen);
		vm = sup_vm(sup, uuid);
		if (!r && !vm) {
			snprintf(err, errlen, "the VM was deleted");
			return -ENOENT;
		}
		return r ? r : do_start(sup, vm, err, errlen);
	}
	return -EINVAL;
}

int sup_action(struct supervisor *sup, const char *uuid, enum vm_action action, bool sync,
	       enum power_state *end, char *err, size_t errlen)
{
	struct vm_rt *vm;
	int r;

	err[0] = '\0';
	sup_lock(sup);
	vm = sup_vm(sup, uuid);
	if (!vm) {
		r = -ENOENT;
		snprintf(err, errlen, "no VM numbered '%s'", uuid);
	} else if (!action_allowed(action, vm->state)) {
		r = -EBUSY;
		snprintf(err, errlen, "the VM is %s",
			 vm->state == RUN_STARTING ? "starting"
						   : power_state_name(displayed_state(vm)));
	} else {
		r = dispatch(sup, vm, action, sync, err, errlen);
	}
	vm = sup_vm(sup, uuid);
	*end = vm ? displayed_state(vm) : POWER_HALTED;
	sup_unlock(sup);
	return r;
}

json_t *sup_stats(const struct vm_rt *vm)
{
	json_t *cpu = json_array(), *mem = json_array();
	/* A halted VM has no figures: the last run's are not this one's. */
	unsigned count = vm->state == RUN_HALTED ? 0 : vm->ring_count;
	unsigned first = (vm->ring_head + STATS_SAMPLES - count) % STATS_SAMPLES;

	for (unsigned i = 0; cpu && mem && i < count; i++) {
		const struct vm_sample *s = &vm->ring[(first + i) % STATS_SAMPLES];

		json_array_append_new(cpu, json_real((double)s->cpu));
		json_array_append_new(mem, json_integer((json_int_t)s->rss));
	}
	return json_pack("{s:i, s:o, s:o}", "interval", STATS_INTERVAL_S, "cpu", cpu, "memory",
			 mem);
}
