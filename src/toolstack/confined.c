/* SPDX-License-Identifier: MIT */
#include "toolstack/confined.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int confined_prepare(const struct confine_opts *o, const char *own_dir, struct sandbox_config *sb)
{
	char path[4096];
	int r;

	memset(sb, 0, sizeof(*sb));
	sb->report_fd = -1;
	sb->own_dir = own_dir;
	if (geteuid() == 0) {
		r = sandbox_resolve_user(o->user, &sb->uid, &sb->gid);
		if (r) {
			pr_err("--user %s: %s", o->user ? o->user : SANDBOX_DEFAULT_USER,
			       r == -ENOENT ? "no such user" : "not a user the VMM may run as");
			return r;
		}
		sb->change_ids = true;
	}
	if (!own_dir)
		return 0;
	r = path_join(path, sizeof(path), own_dir, SANDBOX_REPORT_FILE);
	if (!r) {
		sb->report_fd =
		    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		r = sb->report_fd < 0 ? -errno : 0;
	}
	if (r)
		pr_err("%s/%s: %s", own_dir, SANDBOX_REPORT_FILE, strerror(-r));
	return r;
}

void confined_one_boot(struct domain_config *once, const struct domain_config *cfg)
{
	*once = *cfg;
	once->on_poweroff = once->on_reboot = once->on_crash = ACTION_DESTROY;
}

static enum lifecycle_action action_for(const struct domain_config *cfg, int code)
{
	switch (code) {
	case EXIT_GUEST_POWEROFF:
		return cfg->on_poweroff;
	case EXIT_GUEST_REBOOT:
		return cfg->on_reboot;
	case EXIT_GUEST_CRASH:
		return cfg->on_crash;
	default:
		return ACTION_DESTROY;
	}
}

/*
 * Wait for the boot in pid.  Signals sent to this process (kill, timeout)
 * go on to it; those from the terminal reached it already, as it is in
 * our process group.
 */
static int wait_boot(pid_t pid, int sig_fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;

	while (pidfd >= 0) {
		struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN},
					{.fd = sig_fd, .events = POLLIN}};
		struct signalfd_siginfo si;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (fds[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_code != SI_KERNEL)
			kill(pid, (int)si.ssi_signo);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (waitpid(pid, &status, 0) != pid)
		return EXIT_VMM_ERROR;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WTERMSIG(status) == SIGSYS)
		pr_err("the VMM made a system call outside its seccomp allow-list and was "
		       "killed (the call is named above)");
	else
		pr_err("the VMM was killed by signal %s", strsignal(WTERMSIG(status)));
	return EXIT_VMM_ERROR;
}

int confined_run(const struct domain_config *cfg, const struct domain_io *io)
{
	struct domain_config once;
	sigset_t set;
	int sig_fd, code = EXIT_VMM_ERROR;

	confined_one_boot(&once, cfg);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sig_fd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		return EXIT_VMM_ERROR;
	}
	for (;;) {
		pid_t pid = fork();

		if (pid < 0) {
			pr_err("fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			close(sig_fd);
			_exit(domain_run(&once, io));
		}
		code = wait_boot(pid, sig_fd);
		if (action_for(cfg, code) != ACTION_RESTART)
			break;
		pr_info("domain '%s': restarting (exit %d)", cfg->name, code);
	}
	close(sig_fd);
	return code;
}
