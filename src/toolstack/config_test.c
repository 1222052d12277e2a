/* SPDX-License-Identifier: MIT */
#include "toolstack/config.h"
#include "lib/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct host_limits limits = {.memory_mib = 4096, .max_vcpus = 8};

struct result {
	struct domain_config cfg;
	int rc;
	char *err;
	size_t err_len;
};

/* Load text as a config file; overrides as on the command line. */
static void load(struct result *res, const char *text, int n, char *const overrides[])
{
	char path[] = "/tmp/xkvm-config-test-XXXXXX";
	int fd = mkstemp(path);
	FILE *err = open_memstream(&res->err, &res->err_len);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	res->rc = domain_config_load(&res->cfg, path, n, overrides, &limits, err);
	fclose(err);
	unlink(path);
}

static void done(struct result *res)
{
	domain_config_free(&res->cfg);
	free(res->err);
}

static void test_full_config(void **state)
{
	struct result r;

	(void)state;
	load(&r,
	     "# a PVH guest\n"
	     "name = \"vm1\"\ntype = 'pvh'\nmemory = 0x200\nvcpus = 2\n"
	     "kernel = \"/k\"; ramdisk = \"/r\"\n"
	     "cmdline = \"console=ttyS0 quiet\"\n"
	     "on_reboot = \"destroy\"\non_crash = 'restart'\n",
	     0, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.name, "vm1");
	assert_int_equal(r.cfg.type, GUEST_PVH);
	assert_int_equal(r.cfg.memory_mib, 512);
	assert_int_equal(r.cfg.vcpus, 2);
	assert_string_equal(r.cfg.kernel, "/k");
	assert_string_equal(r.cfg.ramdisk, "/r");
	assert_string_equal(r.cfg.cmdline, "console=ttyS0 quiet");
	assert_int_equal(r.cfg.on_poweroff, ACTION_DESTROY);
	assert_int_equal(r.cfg.on_reboot, ACTION_DESTROY);
	assert_int_equal(r.cfg.on_crash, ACTION_RESTART);
	assert_int_equal(r.err_len, 0);
	done(&r);
}

static void test_defaults_and_root_extra(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\nroot='/dev/xvda1 ro'\nextra=\"console=hvc0\"\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.memory_mib, 128);
	assert_int_equal(r.cfg.vcpus, 1);
	assert_string_equal(r.cfg.cmdline, "root=/dev/xvda1 ro console=hvc0");
	assert_int_equal(r.cfg.on_reboot, ACTION_RESTART);
	done(&r);
}

static void test_overrides_win(void **state)
{
	char *ov[] = {"memory=256", "name=\"other\""};
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\nmemory=64\n", 2, ov);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.memory_mib, 256);
	assert_string_equal(r.cfg.name, "other");
	done(&r);
}

static void test_syntax_error_names_file_and_line(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\nmemory = = 3\n", 0, NULL);
	assert_int_equal(r.rc, -EINVAL);
	assert_non_null(strstr(r.err, ":3: config parsing error near"));
	done(&r);
}

static void test_unknown_key_warned(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\n\nfrobnicate = [ 'x',\n 'y' ]\nvcpus=1\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, ":4: warning: unknown key 'frobnicate' ignored"));
	/* Keys inside strings and lists are not statements. */
	assert_null(strstr(r.err, "'y'"));
	done(&r);
}

static void check_error(const char *text, const char *expect)
{
	struct result r;

	load(&r, text, 0, NULL);
	assert_int_equal(r.rc, -EINVAL);
	if (!strstr(r.err, expect))
		fail_msg("expected '%s' in: %s", expect, r.err);
	done(&r);
}

static void test_bad_values(void **state)
{
	(void)state;
	check_error("name='a'\nkernel='/k'\nvcpus = 0\n", ":3: vcpus = 0 is out of range (1 to 8)");
	check_error("name='a'\nkernel='/k'\nvcpus = 9\n", "vcpus = 9 is out of range");
	check_error("name='a'\nkernel='/k'\nmemory = 8\n", ":3: memory = 8 is out of range");
	check_error("name='a'\nkernel='/k'\nmemory = 99999\n", "memory = 99999 is out of range");
	check_error("name='a'\nkernel='/k'\nmemory = 'lots'\n", "memory must be a number");
	check_error("kernel='/k'\n", "name is required");
	check_error("name='a'\n", "kernel is required");
	check_error("name='a'\nkernel='/k'\ntype='xyz'\n", ":3: type = \"xyz\"");
	check_error("name='a'\nkernel='/k'\ntype='hvm'\n", "not supported yet");
	check_error("name='a'\nkernel='/k'\non_crash='explode'\n", ":3: on_crash = \"explode\"");
	check_error("name=['a']\nkernel='/k'\n", ":1: name must be a string");
}

/* No type names a PV guest, as in xl; it runs in Xen's PV shim. */
static void test_pv_and_its_shim(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\nextra='console=hvc0'\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.type, GUEST_PV);
	assert_string_equal(r.cfg.pvshim_path, "/usr/lib/xen-4.17/boot/xen-shim");
	assert_string_equal(r.cfg.pvshim_cmdline, "pv-shim console=xen,pv");
	done(&r);
	load(&r,
	     "name='a'\ntype='pv'\nkernel='/k'\npvshim_path='/s'\npvshim_cmdline='pv-shim'\n"
	     "pvshim_extra='loglvl=all'\n",
	     0, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.pvshim_path, "/s");
	assert_string_equal(r.cfg.pvshim_cmdline, "pv-shim loglvl=all");
	assert_int_equal(r.err_len, 0); /* the pvshim keys are known ones */
	done(&r);
	load(&r, "name='a'\ntype='pvh'\nkernel='/k'\n", 0, NULL);
	assert_null(r.cfg.pvshim_path); /* a PVH guest has no shim */
	done(&r);
	check_error("name='a'\nkernel='/k'\npvshim=0\n", ":3: pvshim = 0: a PV guest runs only");
	check_error("name='a'\ntype='pv'\n", "kernel is required for a PV guest");
}

static void test_missing_file(void **state)
{
	struct domain_config cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(domain_config_load(&cfg, "/nonexistent/x.cfg", 0, NULL, &limits, err),
			 -ENOENT);
	fclose(err);
	assert_non_null(strstr(buf, "/nonexistent/x.cfg: cannot open config file"));
	domain_config_free(&cfg);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),
	    cmocka_unit_test(test_defaults_and_root_extra),
	    cmocka_unit_test(test_overrides_win),
	    cmocka_unit_test(test_syntax_error_names_file_and_line),
	    cmocka_unit_test(test_unknown_key_warned),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_pv_and_its_shim),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
