/* SPDX-License-Identifier: MIT */
#include "daemon/vm_object.h"
#include "lib/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_labels(void **state)
{
	(void)state;
	assert_string_equal(vm_mode_short("pv", false), "pv");
	assert_string_equal(vm_mode_short("hvm", false), "hvm");
	assert_string_equal(vm_mode_short("hvm", true), "pvhvm");
	assert_string_equal(vm_mode_short("pv_in_pvh", true), "pv_in_pvh");
	assert_string_equal(vm_mode_short("pvh", true), "pvh");
	assert_string_equal(vm_mode_long("pv", false), "Paravirtualization (PV)");
	assert_string_equal(vm_mode_long("hvm", false), "Hardware virtualization (HVM)");
	assert_string_equal(
	    vm_mode_long("hvm", true),
	    "Hardware virtualization with paravirtualization drivers enabled (PVHVM)");
	assert_string_equal(vm_mode_long("pv_in_pvh", false),
			    "PV inside a PVH container (PV in PVH)");
	assert_string_equal(vm_mode_long("pvh", false), "pvh");
	/* pvhvm is a label, never a mode. */
	assert_null(vm_mode_short("pvhvm", false));
	assert_null(vm_mode_long("bogus", true));
	assert_null(vm_mode_short(NULL, false));
	assert_string_equal(vm_mode_for_type(GUEST_PVH), "pvh");
	assert_string_equal(vm_mode_for_type(GUEST_HVM), "hvm");
	assert_string_equal(vm_mode_for_type(GUEST_PV), "pv_in_pvh");
}

static struct vm_row sample_row(void)
{
	struct vm_row r = {0};

	snprintf(r.uuid, sizeof(r.uuid), "5f0c0000-0000-4000-8000-000000000001");
	r.name = (char *)"web1";
	r.description = (char *)"the web";
	r.tags = (char *)"[\"prod\"]";
	r.mode = (char *)"pvh";
	r.start_time = 1790000000;
	r.domid = 1;
	r.has_last_exit = true;
	r.last_exit_code = 0;
	r.last_exit_reason = (char *)"poweroff";
	r.last_exit_time = 1790000100;
	return r;
}

static void test_fields_running(void **state)
{
	static const char *const fields[] = {
	    "id",
	    "uuid",
	    "type",
	    "name_label",
	    "name_description",
	    "tags",
	    "power_state",
	    "virtualizationMode",
	    "pvDriversDetected",
	    "pvDriversVersion",
	    "CPUs",
	    "memory",
	    "VIFs",
	    "$VBDs",
	    "startTime",
	    "auto_poweron",
	    "PV_args",
	    "boot",
	    "on_poweroff",
	    "on_reboot",
	    "on_crash",
	    "domid",
	    "last_exit",
	    "cpu_time",
	};
	char img[] = "/tmp/xkvmd-vmobj-XXXXXX";
	struct disk_config disk = {.vdev = (char *)"xvda", .readonly = false};
	struct nic_config nic = {.mac = {0x00, 0x16, 0x3e, 0x12, 0x34, 0x56}};
	struct domain_config cfg = {
	    .name = (char *)"web1",
	    .type = GUEST_PVH,
	    .memory_mib = 512,
	    .vcpus = 2,
	    .kernel = (char *)"/k",
	    .cmdline = (char *)"console=hvc0",
	    .on_reboot = ACTION_RESTART,
	    .nr_disks = 1,
	    .disks = &disk,
	    .nr_nics = 1,
	    .nics = &nic,
	};
	struct vm_live live = {.state = POWER_RUNNING,
			       .pv_drivers = true,
			       .pv_driver_version = "linux 1",
			       .vcpus = 2,
			       .cpu_seconds = 12.5};
	struct vm_row r = sample_row();
	json_t *o, *vbd;
	int fd = mkstemp(img);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65536), 0);
	close(fd);
	disk.target = img;
	o = vm_object_build(&r, &cfg, &live);
	assert_non_null(o);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!json_object_get(o, fields[i]))
			fail_msg("missing field %s", fields[i]);
	assert_int_equal(json_object_size(o), sizeof(fields) / sizeof(fields[0]));
	assert_string_equal(json_string_value(json_object_get(o, "type")), "VM");
	assert_string_equal(json_string_value(json_object_get(o, "power_state")), "Running");
	assert_true(json_is_true(json_object_get(o, "pvDriversDetected")));
	assert_string_equal(json_string_value(json_object_get(o, "pvDriversVersion")), "linux 1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "memory"), "size")),
			 512 * 1024 * 1024);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "CPUs"), "max")), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(o, "VIFs"), 0), "MAC")),
			    "00:16:3e:12:34:56");
	vbd = json_array_get(json_object_get(o, "$VBDs"), 0);
	assert_string_equal(json_string_value(json_object_get(vbd, "device")), "xvda");
	assert_int_equal(json_integer_value(json_object_get(vbd, "size")), 65536);
	assert_true(json_is_false(json_object_get(vbd, "read_only")));
	assert_int_equal(json_integer_value(json_object_get(o, "startTime")), 1790000000);
	assert_int_equal(json_integer_value(json_object_get(o, "domid")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "on_reboot")), "restart");
	assert_true(json_real_value(json_object_get(o, "cpu_time")) == 12.5);
	assert_true(json_is_null(json_object_get(json_object_get(o, "boot"), "ramdisk")));
	assert_true(json_is_null(json_object_get(json_object_get(o, "boot"), "firmware")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "tags"), 0)),
			    "prod");
	json_decref(o);
	unlink(img);
}

static void test_halted_and_no_config(void **state)
{
	struct vm_row r = sample_row();
	json_t *o;

	(void)state;
	r.tags = (char *)"{\"not\":\"an array\"}";
	r.has_last_exit = false;
	o = vm_object_build(&r, NULL, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "power_state")), "Halted");
	assert_true(json_is_null(json_object_get(o, "startTime")));
	assert_true(json_is_null(json_object_get(o, "domid")));
	assert_true(json_is_null(json_object_get(o, "last_exit")));
	assert_true(json_is_null(json_object_get(o, "on_crash")));
	assert_true(json_is_false(json_object_get(o, "pvDriversDetected")));
	assert_true(json_is_null(json_object_get(o, "pvDriversVersion")));
	assert_int_equal(json_array_size(json_object_get(o, "tags")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "$VBDs")), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_fields_running),
	    cmocka_unit_test(test_halted_and_no_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
