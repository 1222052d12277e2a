/* SPDX-License-Identifier: MIT */
#include "daemon/path_policy.h"
#include "lib/test.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char root[64];
	char images[PATH_MAX], other[PATH_MAX];
	struct path_policy p;
};

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static void path(char *out, const struct fixture *f, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", f->root, rel);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char p[PATH_MAX], target[PATH_MAX];

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/xkvm-policy.XXXXXX");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	path(f->images, f, "images");
	path(f->other, f, "imagesX"); /* a sibling whose name starts the same */
	mkdir(f->images, 0700);
	mkdir(f->other, 0700);
	path(p, f, "images/disk.img");
	touch(p);
	path(p, f, "imagesX/disk.img");
	touch(p);
	path(p, f, "secret");
	touch(p);
	path(target, f, "secret");
	path(p, f, "images/link");
	if (symlink(target, p)) {
		free(f);
		return -1;
	}
	path_policy_init(&f->p);
	path_policy_add_dir(&f->p, f->images);
	path_policy_add_bridge(&f->p, "br-test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void test_paths(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];

	path(p, f, "images/disk.img");
	assert_true(path_policy_allows_path(&f->p, p));
	path(p, f, "imagesX/disk.img");
	assert_false(path_policy_allows_path(&f->p, p)); /* not beneath, only alike */
	path(p, f, "images/../secret");
	assert_false(path_policy_allows_path(&f->p, p));
	path(p, f, "images/link"); /* a symbolic link out of the directory */
	assert_false(path_policy_allows_path(&f->p, p));
	path(p, f, "images/missing.img");
	assert_false(path_policy_allows_path(&f->p, p));
	assert_false(path_policy_allows_path(&f->p, f->images)); /* the directory itself */
	assert_false(path_policy_allows_path(&f->p, "images/disk.img"));
	assert_false(path_policy_allows_path(&f->p, "/etc/shadow"));
	assert_false(path_policy_allows_path(&f->p, NULL));
}

static void test_config(void **state)
{
	struct fixture *f = *state;
	char kernel[PATH_MAX], secret[PATH_MAX];
	struct disk_config disks[2] = {{.target = kernel}, {.target = secret}};
	struct nic_config nics[2] = {{.bridge = NULL}, {.bridge = (char *)"br-test"}};
	struct domain_config cfg = {
	    .kernel = kernel, .disks = disks, .nr_disks = 1, .nics = nics, .nr_nics = 2};
	const char *what = NULL;

	path(kernel, f, "images/disk.img");
	path(secret, f, "secret");
	assert_null(path_policy_check(&f->p, &cfg, &what));
	cfg.nr_disks = 2;
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), secret);
	assert_string_equal(what, "disk");
	cfg.nr_disks = 1;
	cfg.ramdisk = secret;
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), secret);
	assert_string_equal(what, "ramdisk");
	cfg.ramdisk = NULL;
	nics[0].bridge = (char *)"br-other";
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), "br-other");
	assert_string_equal(what, "bridge");
	nics[0].bridge = (char *)PATH_POLICY_DEFAULT_BRIDGE;
	assert_null(path_policy_check(&f->p, &cfg, &what));
	cfg.firmware = (char *)CONFIG_SEABIOS_PATH;
	assert_null(path_policy_check(&f->p, &cfg, &what));
	cfg.firmware = secret;
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), secret);
	assert_string_equal(what, "firmware");
	cfg.firmware = NULL;
	/* A PV guest: Debian's shim and PV GRUB, or files in an allowed directory. */
	cfg.pvshim_path = (char *)CONFIG_PVSHIM_PATH;
	cfg.kernel = (char *)CONFIG_PVGRUB_PATH;
	assert_null(path_policy_check(&f->p, &cfg, &what));
	cfg.pvshim_path = kernel;
	assert_null(path_policy_check(&f->p, &cfg, &what));
	cfg.pvshim_path = secret;
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), secret);
	assert_string_equal(what, "pvshim_path");
	cfg.pvshim_path = NULL;
	cfg.kernel = secret;
	assert_string_equal(path_policy_check(&f->p, &cfg, &what), secret);
	assert_string_equal(what, "kernel");
}

static void test_limits(void **state)
{
	struct path_policy p;
	int r = 0;

	(void)state;
	path_policy_init(&p);
	assert_int_equal(p.nr_dirs, 1);
	assert_string_equal(p.dirs[0], PATH_POLICY_DEFAULT_DIR);
	for (int i = 0; i < PATH_POLICY_MAX && !r; i++)
		r = path_policy_add_dir(&p, "/x");
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(p.nr_dirs, PATH_POLICY_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
