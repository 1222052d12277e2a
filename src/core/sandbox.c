/* SPDX-License-Identifier: MIT */
#include "core/sandbox.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Landlock rights by ABI version (Debian 12's headers stop at version 2). */
#define LL_FS_V1       ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER    (1ULL << 13)	  /* version 2 */
#define LL_FS_TRUNCATE (1ULL << 14)	  /* version 3 */
#define LL_FS_IOCTL    (1ULL << 15)	  /* version 5 */

/*
 * What the SIGSYS handler needs.  A signal handler gets no argument, so
 * these are per process (there is one sandbox per process) and per thread.
 */
static volatile int report_fd = -1;
static __thread volatile int thread_kind = -1;

/* Decimal digits of v into buf (async-signal-safe); returns the length. */
static size_t fmt_uint(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

static size_t append(char *buf, size_t len, const char *s)
{
	while (*s && len < 120)
		buf[len++] = *s++;
	return len;
}

/*
 * A forbidden call trapped: record which, then die of SIGSYS.  The record
 * is written here because the kernel's own kill (SECCOMP_RET_KILL_PROCESS)
 * tells the parent only the signal, not the call.  Dying is left to the
 * kernel too: SIGSYS is blocked while this runs, so the next forbidden call
 * makes the kernel reset it to its default action and kill the process.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	const char *kind = thread_kind >= 0 ? sandbox_thread_name(thread_kind) : "other";
	char line[160];
	size_t len = fmt_uint(line, (unsigned long)si->si_syscall);

	(void)sig;
	(void)uc;
	len = append(line, len, " ");
	len = append(line, len, kind);
	len = append(line, len, "\n");
	if (report_fd >= 0 && write(report_fd, line, len) < 0)
		report_fd = -1;
	if (write(STDERR_FILENO, "xkvm: seccomp: forbidden system call ", 37) > 0 &&
	    write(STDERR_FILENO, line, len) > 0) {
		/* only what can be said */
	}
	syscall(SYS_reboot, 0, 0, 0, 0);
	_exit(128 + SIGSYS); /* not reached while the filter is in force */
}

static int install_sigsys_handler(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	sigfillset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

/* The filter for the threads in mask: the rules any of them may use. */
static int load_filter(unsigned mask, bool all_threads)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r = ctx ? 0 : -ENOMEM;

	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r && all_threads)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; !r && i < seccomp_nr_rules; i++) {
		int nr;

		if (!(seccomp_rules[i].threads & mask))
			continue;
		nr = seccomp_syscall_resolve_name(seccomp_rules[i].name);
		if (nr == __NR_SCMP_ERROR) {
			pr_err("seccomp policy: unknown system call '%s'", seccomp_rules[i].name);
			r = -EINVAL;
		} else if (seccomp_rules[i].own_pid) {
			/* VMMs may share a uid: never signal another one.  (Spelt out: clang
			 * warns about the field SCMP_A0 leaves out.) */
			struct scmp_arg_cmp own = {.arg = 0,
						   .op = SCMP_CMP_EQ,
						   .datum_a = (scmp_datum_t)getpid(),
						   .datum_b = 0};

			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, own);
		} else {
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		}
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* Emptying the bounding set needs CAP_SETPCAP: done while still root. */
static int drop_bounding_and_ambient(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EPERM)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/* Effective, permitted and inheritable: after the uid change, which needed them. */
static int clear_capability_sets(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int change_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;

	if (setgroups(1, &gid) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	/* Leaving uid 0 clears the permitted and effective sets; check it took. */
	if (getresuid(&ru, &eu, &su) || ru != uid || eu != uid || su != uid)
		return -EPERM;
	return 0;
}

/* A ruleset that handles every file-system right, with own_dir left usable. */
static int landlock_ruleset(const char *own_dir)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr = {.handled_access_fs = LL_FS_V1};
	struct landlock_path_beneath_attr beneath = {0};
	int fd, r = 0;

	if (abi < 1)
		return -EOPNOTSUPP;
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= LL_FS_IOCTL;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	if (own_dir) {
		beneath.allowed_access =
		    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE;
		if (abi >= 3)
			beneath.allowed_access |= LL_FS_TRUNCATE;
		beneath.parent_fd = open(own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (beneath.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0))
			r = -errno;
		if (beneath.parent_fd >= 0)
			close(beneath.parent_fd);
	}
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* Steps in order: each needs what the one before still had. */
static int confine(const struct sandbox_config *c, int ll_fd)
{
	int r = install_sigsys_handler();

	if (!r && c->change_ids && c->own_dir && chown(c->own_dir, c->uid, c->gid))
		r = -errno;
	if (!r)
		r = drop_bounding_and_ambient();
	if (!r && c->change_ids)
		r = change_ids(c->uid, c->gid);
	if (!r)
		r = clear_capability_sets();
	if (!r && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		r = -errno;
	if (!r && ll_fd >= 0 && syscall(SYS_landlock_restrict_self, ll_fd, 0))
		r = -errno;
	if (!r)
		r = load_filter(SANDBOX_ALL | SANDBOX_SETUP, true);
	return r;
}

int sandbox_enter(const struct sandbox_config *c)
{
	int ll_fd = landlock_ruleset(c->own_dir), r;

	if (ll_fd == -EOPNOTSUPP || ll_fd == -ENOSYS)
		pr_warn("this kernel has no Landlock: the VMM keeps the file system view of "
			"its user");
	else if (ll_fd < 0)
		pr_warn("Landlock: %s", strerror(-ll_fd));
	report_fd = c->report_fd;
	/* Libraries that open a file on first use, opened now, while they can:
	 * localtime_r (the RTC) reads /etc/localtime, jansson (the control
	 * thread's replies) seeds its hash tables from /dev/urandom. */
	tzset();
	json_object_seed(0);
	r = confine(c, ll_fd);
	if (ll_fd >= 0)
		close(ll_fd);
	if (r)
		pr_err("cannot confine the VMM: %s", strerror(-r));
	else
		pr_debug("confined: %s, no capabilities, seccomp",
			 c->change_ids ? "an unprivileged user" : "the same user");
	return r;
}

bool sandbox_confine_thread(enum sandbox_thread kind)
{
	const char *test = getenv(SANDBOX_TEST_ENV);
	int r;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return false; /* not confined */
	thread_kind = (int)kind;
	r = load_filter(1u << kind, false);
	if (r) {
		/* The process-wide filter still holds; this thread is only less narrow. */
		pr_warn("seccomp: %s thread keeps the process-wide list: %s",
			sandbox_thread_name(kind), strerror(-r));
	}
	if (test && strcmp(test, sandbox_thread_name(kind)) == 0)
		syscall(SYS_sysinfo, NULL); /* never allowed: must kill the VMM */
	return true;
}

int sandbox_report_parse(const char *text, char *thread, size_t thread_len)
{
	char *end;
	unsigned long nr = strtoul(text, &end, 10);
	size_t len;

	if (end == text || *end != ' ' || nr > 4095)
		return -1;
	len = strspn(end + 1, "abcdefghijklmnopqrstuvwxyz");
	if (len == 0 || len >= thread_len)
		return -1;
	snprintf(thread, thread_len, "%.*s", (int)len, end + 1);
	return (int)nr;
}

int sandbox_resolve_user(const char *spec, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;
	unsigned long u, g;
	char *end;

	if (!spec || !*spec) {
		pw = getpwnam(SANDBOX_DEFAULT_USER);
		if (!pw)
			pw = getpwnam(SANDBOX_FALLBACK_USER);
	} else if (spec[0] >= '0' && spec[0] <= '9') {
		u = strtoul(spec, &end, 10);
		g = *end == ':' ? strtoul(end + 1, &end, 10) : u;
		if (*end || u == 0 || g == 0 || u > 0xfffffffeUL || g > 0xfffffffeUL)
			return -EINVAL;
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	} else {
		pw = getpwnam(spec);
	}
	if (!pw)
		return -ENOENT;
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return -EPERM;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}
