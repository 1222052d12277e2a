/* SPDX-License-Identifier: MIT */
#include "toolstack/paths.h"
#include "lib/util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static int copy_dir(char *buf, size_t len, const char *dir)
{
	int n = snprintf(buf, len, "%s", dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* An environment variable holding a directory; XDG wants relative ones ignored. */
static const char *env_dir(const char *name, bool absolute)
{
	const char *v = getenv(name);

	if (!v || !*v || (absolute && *v != '/'))
		return NULL;
	return v;
}

/* $HOME, else the password database (HOME is unset under some service managers). */
static int home_dir(char *buf, size_t len)
{
	const char *home = env_dir("HOME", true);
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (home)
		return copy_dir(buf, len, home);
	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) || !res || !res->pw_dir ||
	    res->pw_dir[0] != '/')
		return -ENOENT;
	return copy_dir(buf, len, res->pw_dir);
}

int xkvm_state_dir(char *buf, size_t len)
{
	const char *dir = env_dir("XKVM_STATE_DIR", false);
	char home[4096];
	int r;

	if (dir)
		return copy_dir(buf, len, dir);
	if (geteuid() == 0)
		return copy_dir(buf, len, "/var/lib/xkvm");
	dir = env_dir("XDG_STATE_HOME", true);
	if (dir)
		return path_join(buf, len, dir, "xkvm");
	r = home_dir(home, sizeof(home));
	if (r)
		return r;
	return path_join(buf, len, home, ".local/state/xkvm");
}

int xkvm_run_dir(char *buf, size_t len)
{
	const char *dir = env_dir("XKVM_RUN_DIR", false);

	if (dir)
		return copy_dir(buf, len, dir);
	if (geteuid() == 0)
		return copy_dir(buf, len, "/run/xkvm");
	dir = env_dir("XDG_RUNTIME_DIR", true);
	if (dir)
		return path_join(buf, len, dir, "xkvm");
	return -ENOENT;
}
