/* SPDX-License-Identifier: MIT */
/* What is booted for each guest type: PVH directly, PV inside Xen's shim. */
#include "toolstack/boot_image.h"
#include "lib/test.h"

static void test_pvh_boots_its_kernel(void **state)
{
	struct domain_config cfg = {.type = GUEST_PVH,
				    .kernel = (char *)"/vmlinux",
				    .ramdisk = (char *)"/initrd",
				    .cmdline = (char *)"console=hvc0"};
	struct pvh_image img;

	(void)state;
	boot_image_for(&cfg, &img);
	assert_string_equal(img.kernel_path, "/vmlinux");
	assert_string_equal(img.cmdline, "console=hvc0");
	assert_int_equal(img.nr_modules, 1);
	assert_string_equal(img.modules[0].path, "/initrd");
	assert_null(img.modules[0].cmdline);
	cfg.ramdisk = NULL;
	boot_image_for(&cfg, &img);
	assert_int_equal(img.nr_modules, 0);
}

/* Module 0 is the PV kernel with its command line, module 1 its initrd. */
static void test_pv_boots_the_shim(void **state)
{
	struct domain_config cfg = {.type = GUEST_PV,
				    .kernel = (char *)"/vmlinuz",
				    .ramdisk = (char *)"/initrd",
				    .cmdline = (char *)"root=/dev/xvda1",
				    .pvshim_path = (char *)"/shim",
				    .pvshim_cmdline = (char *)"pv-shim console=xen,pv"};
	struct pvh_image img;

	(void)state;
	boot_image_for(&cfg, &img);
	assert_string_equal(img.kernel_path, "/shim");
	assert_string_equal(img.cmdline, "pv-shim console=xen,pv");
	assert_int_equal(img.nr_modules, 2);
	assert_string_equal(img.modules[0].path, "/vmlinuz");
	assert_string_equal(img.modules[0].cmdline, "root=/dev/xvda1");
	assert_string_equal(img.modules[1].path, "/initrd");
	assert_null(img.modules[1].cmdline);
	cfg.cmdline = NULL;
	cfg.ramdisk = NULL;
	boot_image_for(&cfg, &img);
	assert_int_equal(img.nr_modules, 1);
	assert_string_equal(img.modules[0].cmdline, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pvh_boots_its_kernel),
	    cmocka_unit_test(test_pv_boots_the_shim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
