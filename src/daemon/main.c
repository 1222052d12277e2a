/* SPDX-License-Identifier: MIT */
/*
 * xkvmd: the per-host daemon of docs/toolstack.md.  It keeps the VMs in
 * SQLite, runs one VMM process per running VM and serves the API and the
 * web UI.  Stopping xkvmd never stops a VM: a new xkvmd re-attaches.
 */
#include "daemon/api.h"
#include "daemon/nested.h"
#include "daemon/path_policy.h"
#include "core/sandbox.h"
#include "daemon/http.h"
#include "daemon/store.h"
#include "daemon/supervisor.h"
#include "lib/log.h"
#include "lib/util.h"
#include "toolstack/accel.h"
#include "toolstack/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOKEN_BYTES 32
#define TOKEN_HEX   ((size_t)TOKEN_BYTES * 2)

struct options {
	bool foreground, stop;
	bool allow_remote; /* --listen may be a non-loopback address */
	const char *listen, *state_dir, *run_dir, *web_dir;
	bool verbose;
	struct path_policy paths;		      /* --allow-dir, --allow-bridge */
	const char *vmm_user;			      /* --vmm-user */
	const char *pass_on[4 * PATH_POLICY_MAX + 3]; /* those options, for a nested xkvmd */
	int nr_pass_on;
};

/* Everything one daemon process holds. */
struct daemon {
	struct options opt;
	char state_dir[PATH_MAX], run_dir[PATH_MAX], exe_dir[PATH_MAX];
	char web_dir[PATH_MAX], vmm_path[PATH_MAX], sock_path[PATH_MAX];
	char token[TOKEN_HEX + 1];
	int pid_fd;
	int ready_fd; /* to the waiting parent, when daemonized */
	struct store *store;
	struct supervisor sup;
	bool sup_ready;
	struct api api;
	struct http_server *http;
	char endpoints[2048]; /* what is printed when ready */
};

static const char usage[] =
    "Usage: xkvmd [--foreground] [--listen HOST:PORT [--allow-remote]] [--state-dir DIR]\n"
    "             [--run-dir DIR] [--web-dir DIR] [--allow-dir DIR]... [--allow-bridge NAME]...\n"
    "             [--vmm-user USER] [--verbose]\n"
    "       xkvmd --stop [--state-dir DIR] [--run-dir DIR]\n"
    "       xkvmd --version\n"
    "\n"
    "The xkvm daemon: keeps this host's VMs, runs a VMM process for each running\n"
    "VM and serves the API (and the web UI) on <run>/xkvmd.sock and, with\n"
    "--listen, on TCP with the token from <state>/token.  Stopping it leaves\n"
    "the VMs running; a new xkvmd finds them again.\n"
    "\n"
    "--listen takes a loopback address (127.0.0.1:8007, [::1]:8007): the API is\n"
    "plain HTTP, so the token would cross the network in clear.  --allow-remote\n"
    "accepts any address anyway (put TLS in front of it).\n"
    "\n"
    "Where this machine's /dev/kvm cannot run stock guests, xkvmd runs inside\n"
    "the KVM test host, started in the background, and listens on the forwarded\n"
    "port 127.0.0.1:PORT (--listen, default 8007); the CLI finds it there.\n"
    "Stopping that test host (--stop) is powering the host off: its VMs stop.\n"
    "\n"
    "A VM's kernel, ramdisk and disks must be files beneath " PATH_POLICY_DEFAULT_DIR "\n"
    "or an --allow-dir, its bridges " PATH_POLICY_DEFAULT_BRIDGE " or an --allow-bridge;\n"
    "the API refuses others (403).  Each VMM drops to --vmm-user (default: the\n"
    "system user '" SANDBOX_DEFAULT_USER "', else '" SANDBOX_FALLBACK_USER
    "') once its VM is built.\n";

/* An option that also goes to the xkvmd inside the test host. */
static int pass_on(struct options *o, const char *name, const char *value)
{
	if (o->nr_pass_on + 2 >= (int)ARRAY_SIZE(o->pass_on))
		return -ENOSPC;
	o->pass_on[o->nr_pass_on++] = name;
	o->pass_on[o->nr_pass_on++] = value;
	return 0;
}

/* A plain-HTTP listener off loopback sends the token in clear: only when asked for. */
static int check_listen(const struct options *o)
{
	int r;

	if (!o->listen)
		return 0;
	r = http_listen_is_loopback(o->listen);
	if (r < 0) {
		fprintf(stderr, "xkvmd: --listen %s: expected HOST:PORT\n", o->listen);
		return -1;
	}
	if (r == 0 && !o->allow_remote) {
		fprintf(stderr,
			"xkvmd: --listen %s is not a loopback address: the API is plain HTTP and "
			"the token would cross the network in clear; add --allow-remote to "
			"listen there anyway\n",
			o->listen);
		return -1;
	}
	if (r == 0)
		fprintf(stderr,
			"xkvmd: warning: listening on %s: the API token crosses the network in "
			"clear (plain HTTP); use it only on a trusted network or behind TLS\n",
			o->listen);
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"listen", required_argument, NULL, 'l'},
	    {"allow-remote", no_argument, NULL, 'R'},
	    {"version", no_argument, NULL, 'V'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"run-dir", required_argument, NULL, 'r'},
	    {"web-dir", required_argument, NULL, 'w'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"stop", no_argument, NULL, 'S'},
	    {"allow-dir", required_argument, NULL, 'D'},
	    {"allow-bridge", required_argument, NULL, 'B'},
	    {"vmm-user", required_argument, NULL, 'U'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	path_policy_init(&o->paths);
	while ((c = getopt_long(argc, argv, "fl:s:r:w:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 'w':
			o->web_dir = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'S':
			o->stop = true;
			break;
		case 'D':
			if (optarg[0] != '/' || path_policy_add_dir(&o->paths, optarg) ||
			    pass_on(o, "--allow-dir", optarg)) {
				fprintf(stderr,
					"xkvmd: --allow-dir %s: an absolute path, at most %d\n",
					optarg, PATH_POLICY_MAX - 1);
				return -1;
			}
			break;
		case 'B':
			if (path_policy_add_bridge(&o->paths, optarg) ||
			    pass_on(o, "--allow-bridge", optarg)) {
				fprintf(stderr, "xkvmd: --allow-bridge: at most %d\n",
					PATH_POLICY_MAX - 1);
				return -1;
			}
			break;
		case 'U':
			o->vmm_user = optarg;
			pass_on(o, "--vmm-user", optarg);
			break;
		case 'R':
			o->allow_remote = true;
			break;
		case 'V':
			printf("xkvmd %s\n", XKVM_VERSION);
			exit(0);
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return -1;
	}
	return check_listen(o);
}

/* ---- directories ---- */

static int copy_path(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s%s", a, b ? b : "");

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* mkdir -p; the last component gets mode. */
static int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (copy_path(buf, path, NULL))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int setup_paths(struct daemon *d)
{
	const char *vmm = getenv("XKVM_VMM"), *web = d->opt.web_dir;
	char exe[PATH_MAX], cand[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int r;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	copy_path(d->exe_dir, dirname(exe), NULL);
	r = d->opt.state_dir ? copy_path(d->state_dir, d->opt.state_dir, NULL)
			     : xkvm_state_dir(d->state_dir, sizeof(d->state_dir));
	if (r) {
		pr_err("no state directory: set XKVM_STATE_DIR or use --state-dir");
		return r;
	}
	r = d->opt.run_dir ? copy_path(d->run_dir, d->opt.run_dir, NULL)
			   : xkvm_run_dir(d->run_dir, sizeof(d->run_dir));
	if (r) {
		pr_err("no run directory: set XKVM_RUN_DIR or XDG_RUNTIME_DIR, or use --run-dir");
		return r;
	}
	if (!web)
		web = getenv("XKVM_WEB_DIR");
	if (!web && !copy_path(cand, d->exe_dir, "/../share/xkvm/web") && is_dir(cand))
		web = cand;
	if (!web && !copy_path(cand, d->exe_dir, "/../web/dist") && is_dir(cand))
		web = cand;
	if (web && copy_path(d->web_dir, web, NULL))
		return -ENAMETOOLONG;
	if (vmm && *vmm)
		r = copy_path(d->vmm_path, vmm, NULL);
	else
		r = copy_path(d->vmm_path, d->exe_dir, "/xkvm");
	if (!r)
		r = copy_path(d->sock_path, d->run_dir, "/xkvmd.sock");
	if (r)
		return r;
	/* The state holds the token and the database: the daemon's user only. */
	r = make_dirs(d->state_dir, 0700);
	if (!r)
		r = make_dirs(d->run_dir, 0755);
	if (r)
		pr_err("cannot create %s or %s: %s", d->state_dir, d->run_dir, strerror(-r));
	return r;
}

/* ---- pid file, token, boot marker ---- */

static int lock_pid_file(struct daemon *d)
{
	char path[PATH_MAX], buf[32] = "";
	ssize_t n;

	if (copy_path(path, d->run_dir, "/xkvmd.pid"))
		return -ENAMETOOLONG;
	d->pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (d->pid_fd < 0) {
		pr_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(d->pid_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	n = pread(d->pid_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pr_err("another xkvmd is running (pid %s, %s)", buf[0] ? buf : "?", path);
	return -EBUSY;
}

static void write_pid(struct daemon *d)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(d->pid_fd, 0) || pwrite(d->pid_fd, buf, (size_t)n, 0) != n)
		pr_warn("cannot write the pid file: %s", strerror(errno));
}

static bool token_valid(const char *t)
{
	return strlen(t) == TOKEN_HEX && strspn(t, "0123456789abcdef") == TOKEN_HEX;
}

static int read_token(struct daemon *d, const char *path)
{
	char buf[TOKEN_HEX + 2];
	ssize_t n = read_small_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if (!token_valid(buf)) {
		pr_err("%s: not a token (64 hex digits); remove it to make a new one", path);
		return -EINVAL;
	}
	memcpy(d->token, buf, sizeof(d->token));
	return 0;
}

/*
 * <state>/token: 32 random bytes in hex, 0600, made on the first start.
 * Written whole and synced under a temporary name, then linked in place (a
 * crash leaves no half token; link fails if another start made one first).
 */
static int load_token(struct daemon *d)
{
	unsigned char raw[TOKEN_BYTES];
	char path[PATH_MAX], tmp[PATH_MAX], buf[TOKEN_HEX + 2];
	int r;

	if (copy_path(path, d->state_dir, "/token") || copy_path(tmp, d->state_dir, "/token.new"))
		return -ENAMETOOLONG;
	r = read_token(d, path);
	if (r != -ENOENT)
		return r;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (int i = 0; i < TOKEN_BYTES; i++)
		snprintf(buf + (size_t)i * 2, 3, "%02x", raw[i]);
	buf[TOKEN_HEX] = '\n';
	buf[TOKEN_HEX + 1] = '\0';
	r = write_file_atomic(tmp, buf, 0600);
	if (!r && link(tmp, path) && errno != EEXIST)
		r = -errno;
	unlink(tmp);
	if (!r)
		r = fsync_parent_dir(path);
	if (r) {
		pr_err("%s: %s", path, strerror(-r));
		return r;
	}
	return read_token(d, path);
}

/*
 * Is this the first start since the host booted?  The run directory is
 * usually a tmpfs, but not always: the marker holds the kernel's boot id.
 */
static bool first_since_boot(struct daemon *d)
{
	char path[PATH_MAX], boot[64] = "", seen[64] = "";
	FILE *f;
	int fd;

	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
	}
	if (copy_path(path, d->run_dir, "/booted"))
		return false;
	f = fopen(path, "re");
	if (f) {
		if (!fgets(seen, sizeof(seen), f))
			seen[0] = '\0';
		fclose(f);
		if (strcmp(seen, boot) == 0)
			return false;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		if (write_all(fd, boot, strlen(boot)))
			pr_warn("%s: cannot write", path);
		close(fd);
	}
	return true;
}

/* ---- daemonizing ---- */

/*
 * Double fork and setsid; the original process waits on a pipe until the
 * daemon is serving (or failed), so its exit status and output tell.
 */
static int daemonize(struct daemon *d)
{
	char buf[4096];
	int p[2], status = 1;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		waitpid(pid, NULL, 0);
		while ((n = read(p[0], buf, sizeof(buf))) > 0) {
			/* The first byte is the status; the rest is for the terminal. */
			if (status == 1 && buf[0] == '0') {
				status = 0;
				fwrite(buf + 1, 1, (size_t)n - 1, stdout);
			} else if (status == 0) {
				fwrite(buf, 1, (size_t)n, stdout);
			}
		}
		exit(status);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	d->ready_fd = p[1];
	if (chdir("/"))
		return -errno;
	return 0;
}

/* Daemonized: stdin from /dev/null, stdout and stderr to <state>/xkvmd.log. */
static int redirect_output(struct daemon *d)
{
	char path[PATH_MAX];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC), log;

	if (copy_path(path, d->state_dir, "/xkvmd.log"))
		return -ENAMETOOLONG;
	log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) {
		pr_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	close(null);
	close(log);
	return 0;
}

static void report_ready(struct daemon *d)
{
	if (d->ready_fd < 0) {
		fputs(d->endpoints, stdout);
		fflush(stdout);
		return;
	}
	if (write_all(d->ready_fd, "0", 1) ||
	    write_all(d->ready_fd, d->endpoints, strlen(d->endpoints)))
		pr_warn("cannot report readiness");
	close(d->ready_fd);
	d->ready_fd = -1;
}

/* ---- serving ---- */

/* The URL clients use for a listen address: a wildcard means this host's loopback. */
static void tcp_url(const struct daemon *d, char *out, size_t len)
{
	char host[256], port[8];

	if (http_parse_listen(d->opt.listen, host, sizeof(host), port, sizeof(port)))
		host[0] = '\0';
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, sizeof(host), "::1");
	snprintf(out, len, strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host,
		 http_tcp_port(d->http));
}

static void write_endpoint(struct daemon *d)
{
	char path[PATH_MAX], url[512], line[600];
	int n = 0;

	if (copy_path(path, d->state_dir, "/endpoint"))
		return;
	n = snprintf(d->endpoints, sizeof(d->endpoints), "xkvmd: API on unix:%s\n", d->sock_path);
	if (!d->opt.listen) {
		/* A stale endpoint would send clients to a port nobody serves. */
		unlink(path);
		return;
	}
	tcp_url(d, url, sizeof(url));
	snprintf(d->endpoints + n, sizeof(d->endpoints) - (size_t)n,
		 "xkvmd: API on %s\nxkvmd: web UI at %s/?token=%s\n", url, url, d->token);
	snprintf(line, sizeof(line), "%s\n", url);
	if (write_file_atomic(path, line, 0644))
		pr_warn("%s: cannot write", path);
}

static const char *kvm_mode(void)
{
	char why[128];

	if (getenv("XKVM_IN_TESTHOST"))
		return "nested";
	return accel_native_usable(why, sizeof(why)) ? "native" : "nested";
}

static int start(struct daemon *d)
{
	char db[PATH_MAX];
	struct http_config hc = {0};
	bool fresh_boot = first_since_boot(d);
	int r;

	if (copy_path(db, d->state_dir, "/xkvm.db"))
		return -ENAMETOOLONG;
	r = store_open(&d->store, db);
	if (r)
		return r;
	r = sup_init(&d->sup, d->store, d->state_dir, d->run_dir, d->vmm_path);
	d->sup.vmm_user = d->opt.vmm_user;
	d->sup_ready = true;
	if (!r)
		r = sup_recover(&d->sup, fresh_boot);
	if (r)
		return r;
	d->api.sup = &d->sup;
	d->api.kvm_mode = kvm_mode();
	d->api.paths = &d->opt.paths;
	d->api.limits.memory_mib =
	    ((uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE)) >> 20;
	d->api.limits.max_vcpus = 255;
	hc.unix_path = d->sock_path;
	hc.listen = d->opt.listen;
	hc.token = d->token;
	hc.web_dir = d->web_dir[0] ? d->web_dir : NULL;
	hc.api = api_handle;
	hc.api_ctx = &d->api;
	r = http_start(&d->http, &hc);
	if (!r)
		r = sup_run(&d->sup);
	if (!r)
		write_endpoint(d);
	return r;
}

static void stop(struct daemon *d)
{
	char path[PATH_MAX];

	if (d->sup_ready)
		sup_begin_stop(&d->sup);
	http_stop(d->http);
	if (d->sup_ready)
		sup_fini(&d->sup);
	store_close(d->store);
	if (d->opt.listen && !copy_path(path, d->state_dir, "/endpoint"))
		unlink(path);
	if (d->pid_fd >= 0 && ftruncate(d->pid_fd, 0))
		pr_warn("cannot clear the pid file");
}

/* Until SIGTERM or SIGINT; the VMs keep running. */
static void wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (sigwait(&set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	pr_info("signal %d: stopping (the VMs keep running)", sig);
}

/* ---- the KVM test host, and --stop ---- */

static int read_pid_file(const char *dir, const char *name, pid_t *pid)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	long v;

	if (copy_path(path, dir, name))
		return -ENAMETOOLONG;
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	v = strtol(buf, NULL, 10);
	if (v <= 1)
		return -ENOENT;
	*pid = (pid_t)v;
	return 0;
}

/* SIGTERM, then wait (bounded) for the process to be gone. */
static int terminate(pid_t pid, const char *what)
{
	if (kill(pid, SIGTERM)) {
		pr_err("%s (pid %d) is not running", what, (int)pid);
		return -ESRCH;
	}
	for (int i = 0; i < 600; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return 0;
		usleep(100 * 1000);
	}
	pr_err("%s (pid %d) did not stop within 60 s", what, (int)pid);
	return -ETIMEDOUT;
}

/* Whether pid is still the process we recorded (pids are reused). */
static bool cmdline_has(pid_t pid, const char *word)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small_file(path, buf, sizeof(buf)); /* NUL-separated, and NUL-terminated */
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strcmp(buf + i, word) == 0)
			return true;
	return false;
}

/* An xkvmd runs when the pid file is locked. */
static bool daemon_running(const struct daemon *d)
{
	char path[PATH_MAX];
	bool locked;
	int fd;

	if (copy_path(path, d->run_dir, "/xkvmd.pid"))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	locked = flock(fd, LOCK_SH | LOCK_NB) != 0;
	close(fd);
	return locked;
}

static int stop_running(struct daemon *d)
{
	char path[PATH_MAX];
	pid_t pid = 0;

	if (read_pid_file(d->state_dir, "/testhost.pid", &pid) == 0 &&
	    cmdline_has(pid, "testhost")) {
		int r = terminate(pid, "the KVM test host of xkvmd");

		if (!copy_path(path, d->state_dir, "/testhost.pid"))
			unlink(path);
		if (!copy_path(path, d->state_dir, "/endpoint"))
			unlink(path);
		return r ? 1 : 0;
	}
	if (!daemon_running(d) || read_pid_file(d->run_dir, "/xkvmd.pid", &pid)) {
		pr_err("no xkvmd is running (%s/xkvmd.pid is not held)", d->run_dir);
		return 1;
	}
	return terminate(pid, "xkvmd") ? 1 : 0;
}

static int run_nested(struct daemon *d)
{
	char host[256], port[8], web[PATH_MAX];
	struct nested_opts n = {.exe_dir = d->exe_dir,
				.state_dir = d->state_dir,
				.port = NESTED_DEFAULT_PORT,
				.memory_mib = NESTED_DEFAULT_MEMORY_MIB,
				.cpus = 1,
				.pass_on = d->opt.pass_on};

	if (d->opt.listen) {
		if (http_parse_listen(d->opt.listen, host, sizeof(host), port, sizeof(port)) ||
		    (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0) ||
		    strtoul(port, NULL, 10) - 1 >= 65535) {
			pr_err("--listen %s: in the KVM test host xkvmd is reached through a "
			       "forwarded port on 127.0.0.1 (--listen 127.0.0.1:PORT)",
			       d->opt.listen);
			return 2;
		}
		n.port = (uint16_t)strtoul(port, NULL, 10);
	}
	if (d->web_dir[0] && realpath(d->web_dir, web))
		n.web_dir = web;
	if (nested_start(&n))
		return 1;
	printf("xkvmd: running in the KVM test host (this machine's /dev/kvm cannot run stock "
	       "guests)\n"
	       "xkvmd: API on http://127.0.0.1:%u\n"
	       "xkvmd: web UI at http://127.0.0.1:%u/?token=%s\n",
	       (unsigned)n.port, (unsigned)n.port, d->token);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {.pid_fd = -1, .ready_fd = -1};
	sigset_t set;
	int r;

	if (parse_options(argc, argv, &d.opt))
		return 2;
	log_set_level(d.opt.verbose ? LOG_DEBUG : LOG_INFO);
	umask(022);
	if (setup_paths(&d))
		return 1;
	if (d.opt.stop)
		return stop_running(&d);
	if (!d.opt.foreground && nested_needed())
		return load_token(&d) ? 1 : run_nested(&d);
	if (lock_pid_file(&d) || load_token(&d))
		return 1;
	if (!d.opt.foreground && daemonize(&d))
		return 1;
	write_pid(&d);
	/* Every thread inherits this mask: the signals are taken by sigwait only. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	r = start(&d);
	if (!r && !d.opt.foreground)
		r = redirect_output(&d);
	if (r) {
		pr_err("xkvmd could not start: %s", strerror(-r));
		stop(&d);
		return 1;
	}
	pr_info("xkvmd serving on %s", d.sock_path);
	report_ready(&d);
	wait_for_signal();
	stop(&d);
	return 0;
}
