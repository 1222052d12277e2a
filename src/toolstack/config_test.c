/* SPDX-License-Identifier: MIT */
#include "toolstack/config.h"
#include "lib/test.h"
#include "toolstack/vm_mode.h"

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
	assert_false(r.cfg.persistent_grants);
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

/* xkvm's own key for the block backends' persistent grants: known, a boolean. */
static void test_persistent_grants_key(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nkernel='/k'\nxkvm_persistent_grants = 1\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_true(r.cfg.persistent_grants);
	assert_int_equal(r.err_len, 0);
	done(&r);
	check_error("name='a'\nkernel='/k'\nxkvm_persistent_grants = 'yes'\n",
		    ":3: xkvm_persistent_grants must be a number");
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

/*
 * bootloader = "pygrub" never runs pygrub: PV GRUB becomes the PV kernel,
 * with a notice; "pvgrub" says so without one.  The kernel and ramdisk a
 * pygrub config names are paths inside the guest, so they go, with a
 * warning each.
 */
static void test_pv_bootloader(void **state)
{
	struct result r;

	(void)state;
	load(&r, "name='a'\nbootloader='/usr/bin/pygrub'\nkernel='/boot/vmlinuz'\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.type, GUEST_PV);
	assert_string_equal(r.cfg.kernel, CONFIG_PVGRUB_PATH);
	assert_string_equal(r.cfg.bootloader, "pygrub");
	assert_non_null(strstr(r.err, ":2: warning: bootloader = \"/usr/bin/pygrub\": pygrub would "
				      "read the guest's file system in the host; booting PV GRUB"));
	assert_non_null(strstr(r.err, ":3: warning: kernel = \"/boot/vmlinuz\" is ignored"));
	done(&r);
	load(&r, "name='a'\ntype='pv'\nbootloader='pvgrub'\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.kernel, CONFIG_PVGRUB_PATH);
	assert_string_equal(r.cfg.bootloader, "pvgrub");
	assert_null(r.cfg.ramdisk);
	assert_int_equal(r.err_len, 0);
	done(&r);
	load(&r,
	     "name='a'\nbootloader='pvgrub'\nramdisk='/boot/initrd.img'\nbootloader_args=['-q']\n",
	     0, NULL);
	assert_int_equal(r.rc, 0);
	assert_null(r.cfg.ramdisk);
	assert_non_null(strstr(r.err, ":3: warning: ramdisk = \"/boot/initrd.img\" is ignored"));
	assert_non_null(strstr(r.err, ":4: warning: bootloader_args is ignored"));
	done(&r);
	/* An explicit PV GRUB kernel needs no bootloader key. */
	load(&r, "name='a'\nkernel='" CONFIG_PVGRUB_PATH "'\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_null(r.cfg.bootloader);
	done(&r);
	check_error("name='a'\nbootloader='/usr/lib/xen/bin/pvgrub-legacy'\n",
		    ":2: bootloader = \"/usr/lib/xen/bin/pvgrub-legacy\": expected \"pvgrub\" or "
		    "\"pygrub\"");
	check_error("name='a'\ntype='pvh'\nkernel='/k'\nbootloader='pygrub'\n",
		    ":4: bootloader = \"pygrub\": only a PV guest takes a bootloader (a PVH guest");
	check_error("name='a'\ntype='hvm'\nbootloader='pvgrub'\n", "(an HVM guest");
	check_error("name='a'\n", "kernel is required for a PV guest (or bootloader = \"pvgrub\"");
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

/* Files an HVM config points at: a firmware image, a disk image, an ISO. */
struct fixture {
	char fw[40], img[40], iso[40];
};

static int make_file(char *path, size_t size)
{
	int fd;

	snprintf(path, size, "/tmp/xkvm-hvm-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int hvm_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || make_file(fx->fw, sizeof(fx->fw)) || make_file(fx->img, sizeof(fx->img)) ||
	    make_file(fx->iso, sizeof(fx->iso))) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int hvm_teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->fw);
	unlink(fx->img);
	unlink(fx->iso);
	free(fx);
	return 0;
}

/*
 * An HVM config: three lines (name, type, firmware = the fixture's), then
 * body from line 4, where FW, IMG and ISO stand for the fixture's files.
 */
static char *hvm_text(const struct fixture *fx, const char *body)
{
	const char *names[] = {"FW", "IMG", "ISO"};
	const char *paths[] = {fx->fw, fx->img, fx->iso};
	size_t len = 0, cap = strlen(body) * 4 + 256;
	char *out = malloc(cap);

	assert_non_null(out);
	len = (size_t)snprintf(out, cap, "name='h'\ntype='hvm'\nfirmware='%s'\n", fx->fw);
	while (*body) {
		size_t k = 0;

		while (k < 3 && strncmp(body, names[k], strlen(names[k])) != 0)
			k++;
		if (k < 3) {
			len += (size_t)snprintf(out + len, cap - len, "%s", paths[k]);
			body += strlen(names[k]);
		} else {
			out[len++] = *body++;
		}
	}
	out[len] = '\0';
	return out;
}

static void load_hvm(struct result *r, const struct fixture *fx, const char *body)
{
	char *text = hvm_text(fx, body);

	load(r, text, 0, NULL);
	free(text);
}

/* body loads with no message at all. */
static void check_hvm_ok(const struct fixture *fx, const char *body)
{
	struct result r;

	load_hvm(&r, fx, body);
	if (r.rc || r.err_len)
		fail_msg("'%s': rc %d: %s", body, r.rc, r.err);
	done(&r);
}

static void check_hvm_error(const struct fixture *fx, const char *body, const char *expect)
{
	struct result r;

	load_hvm(&r, fx, body);
	assert_int_equal(r.rc, -EINVAL);
	if (!strstr(r.err, expect))
		fail_msg("expected '%s' in: %s", expect, r.err);
	done(&r);
}

/* A warning, and the config still loads. */
static void check_hvm_warning(const struct fixture *fx, const char *body, const char *expect)
{
	struct result r;

	load_hvm(&r, fx, body);
	assert_int_equal(r.rc, 0);
	if (!strstr(r.err, expect) || !strstr(r.err, "warning: "))
		fail_msg("expected a warning '%s' in: %s", expect, r.err);
	done(&r);
}

static void test_hvm_defaults(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw' ]\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.err_len, 0);
	assert_int_equal(r.cfg.type, GUEST_HVM);
	assert_string_equal(vm_mode_for_type(r.cfg.type), "hvm");
	assert_null(r.cfg.kernel); /* the firmware boots the disk */
	assert_string_equal(r.cfg.firmware, fx->fw);
	assert_string_equal(r.cfg.boot_order, "cd");
	assert_int_equal(r.cfg.serial, SERIAL_PTY);
	assert_true(r.cfg.acpi);
	assert_true(r.cfg.apic);
	assert_true(r.cfg.xen_platform_pci); /* xl's default */
	assert_int_equal(r.cfg.nr_disks, 1);
	assert_int_equal(r.cfg.disks[0].ide_slot, 0);
	assert_false(r.cfg.disks[0].cdrom);
	assert_false(r.cfg.disks[0].readonly);
	done(&r);
	/* The older spelling; no firmware key is Debian's SeaBIOS. */
	load(&r, "name='h'\nbuilder='hvm'\n", 0, NULL);
	assert_int_equal(r.cfg.type, GUEST_HVM);
	assert_string_equal(vm_mode_for_type(r.cfg.type), "hvm");
	assert_string_equal(r.cfg.firmware, CONFIG_SEABIOS_PATH);
	if (access(CONFIG_SEABIOS_PATH, R_OK))
		assert_non_null(strstr(r.err, "cannot read the default firmware"));
	/* No disk at all: nothing to boot. */
	assert_non_null(strstr(r.err, "boot = \"cd\" (the default): no bootable disk "
				      "(no hard disk, no CD-ROM with media)"));
	done(&r);
}

static void test_hvm_firmware(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load(&r, "name='h'\ntype='hvm'\nfirmware='seabios'\n", 0, NULL);
	assert_string_equal(r.cfg.firmware, CONFIG_SEABIOS_PATH);
	done(&r);
	load(&r, "name='h'\ntype='hvm'\nbios='seabios'\n", 0, NULL);
	assert_string_equal(r.cfg.firmware, CONFIG_SEABIOS_PATH);
	assert_null(strstr(r.err, "bios"));
	done(&r);
	check_hvm_error(fx, "firmware='ovmf'\n",
			":4: firmware = \"ovmf\": UEFI (OVMF) is not available");
	check_hvm_error(fx, "firmware='uefi'\n", ":4: firmware = \"uefi\": UEFI (OVMF) is not");
	check_hvm_error(fx, "firmware='rombios'\n", ":4: firmware = \"rombios\": ROMBIOS is not");
	check_hvm_error(fx, "firmware='pvgrub64'\n",
			":4: firmware = \"pvgrub64\": expected \"seabios\" or the absolute path");
	check_hvm_error(fx, "firmware='bios.bin'\n", ":4: firmware = \"bios.bin\": expected");
	check_hvm_error(fx, "firmware='/nonexistent/bios.bin'\n",
			":4: firmware: cannot read firmware /nonexistent/bios.bin: No such file");
	check_hvm_error(fx, "firmware='/tmp'\n", ":4: firmware: cannot read firmware /tmp: Is a");
	check_error("name='h'\ntype='hvm'\n\nbios='ovmf'\n", ":4: bios = \"ovmf\": UEFI (OVMF)");
	check_error("name='h'\ntype='hvm'\nbios='/x/bios.bin'\n",
		    ":3: bios = \"/x/bios.bin\": expected \"seabios\"\n");
	/* firmware, xl's newer key, wins. */
	check_hvm_warning(fx, "disk = [ 'IMG,raw,hda,rw' ]\nbios='ovmf'\n",
			  ":5: warning: bios is ignored: firmware is set");
}

static void test_hvm_boot(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw', 'ISO,raw,hdc:cdrom,r' ]\nboot = 'dc'\n");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.boot_order, "dc");
	done(&r);
	check_hvm_ok(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot='c'\n");
	check_hvm_ok(fx,
		     "disk = [ 'IMG,raw,hda,rw' ]\nboot='dcn'\n"); /* a letter without a device */
	check_hvm_ok(fx, "vif = [ '' ]\nboot='n'\n");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot='cx'\n",
			":5: boot = \"cx\": 'x' is not a boot device (c hard disk, d CD-ROM, n "
			"network)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot='a'\n", ":5: boot = \"a\": 'a'");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot='cc'\n",
			":5: boot = \"cc\": 'c' is given twice");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot=''\n", ":5: boot = \"\": expected");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot=['c']\n",
			":5: boot must be a string");
	/* boot = "d" with no CD-ROM, or only an empty drive: nothing boots. */
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nboot='d'\n",
			":5: boot = \"d\": no bootable disk (no CD-ROM with media)");
	check_hvm_error(fx, "disk = [ ',raw,hdc:cdrom,r' ]\nboot='dn'\n",
			":5: boot = \"dn\": no bootable disk (no CD-ROM with media, no vif)");
}

static void test_hvm_disks(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx,
		 "disk = [ 'IMG,raw,xvda,rw',\n"
		 "         'format=raw, vdev=hdb, access=rw, target=IMG',\n"
		 "         'ISO,raw,hdc:cdrom,r',\n"
		 "         'vdev=sdd, devtype=cdrom, target=ISO' ]\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.nr_disks, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r.cfg.disks[i].ide_slot, i);
	assert_false(r.cfg.disks[1].cdrom);
	assert_true(r.cfg.disks[2].cdrom);
	assert_true(r.cfg.disks[2].readonly);
	assert_string_equal(r.cfg.disks[2].target, fx->iso);
	assert_true(r.cfg.disks[3].cdrom);
	assert_true(r.cfg.disks[3].readonly); /* a CD-ROM is read-only whatever access says */
	done(&r);
	/* An empty CD-ROM drive has no target. */
	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw', ',raw,hdc:cdrom,r' ]\n");
	assert_int_equal(r.rc, 0);
	assert_true(r.cfg.disks[1].cdrom);
	assert_null(r.cfg.disks[1].target);
	done(&r);
	/* Two names for one slot: both disks and both lines. */
	check_hvm_error(fx,
			"disk = [\n"
			"  'IMG,raw,hda,rw',\n"
			"  # the same slot under its PV name\n"
			"  'IMG,raw,xvda,rw',\n"
			"]\n",
			":7: disk xvda and disk hda (line 5) are both IDE slot 0 (primary master)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hdc,rw', 'ISO,raw,sdc:cdrom,r' ]\n",
			":4: disk sdc and disk hdc (line 4) are both IDE slot 2 (secondary "
			"master)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw',\n 'IMG,raw,xvde,rw' ]\n",
			":5: disk xvde: an HVM guest has four IDE slots: hda to hdd");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda1,rw' ]\n", ":4: disk hda1: an HVM guest has");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw',\n '/nonexistent.iso,raw,hdc:cdrom,r' ]\n",
			":5: disk hdc: cannot read /nonexistent.iso");
	/* A CD-ROM is emulated hardware: PVH and PV guests have none. */
	check_error("name='a'\ntype='pvh'\nkernel='/k'\ndisk = [ ',raw,xvdc:cdrom,r' ]\n",
		    ":4: disk xvdc: a CD-ROM is emulated for HVM guests only");
}

/* xl's disk flags trusted / untrusted: trusted by default, the last one wins, anywhere. */
static void test_disk_trust(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx,
		 "disk = [ 'IMG,raw,xvda,rw',\n"
		 "         'IMG,raw,hdb,rw,untrusted',\n"
		 "         ' untrusted, format=raw, vdev=hdc, access=ro, trusted, target=IMG',\n"
		 "         'untrusted,format=raw,vdev=hdd,access=ro,target=IMG' ]\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.err_len, 0);
	assert_int_equal(r.cfg.nr_disks, 4);
	assert_true(r.cfg.disks[0].trusted);
	assert_false(r.cfg.disks[1].trusted);
	assert_string_equal(r.cfg.disks[1].target, fx->img);
	assert_string_equal(r.cfg.disks[1].vdev, "hdb");
	assert_false(r.cfg.disks[1].readonly);
	assert_true(r.cfg.disks[2].trusted);
	assert_true(r.cfg.disks[2].readonly);
	assert_false(r.cfg.disks[3].trusted);
	assert_string_equal(r.cfg.disks[3].target, fx->img);
	done(&r);
	/* target= takes the rest of the spec: there, untrusted is part of the path. */
	check_hvm_error(fx, "disk = [ 'vdev=hda, target=IMG,untrusted' ]\n",
			",untrusted: No such file or directory");
}

static void test_hvm_vif_model(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw' ]\nvif = [ '', 'model=rtl8139,bridge=br0' ]\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.nr_nics, 2);
	assert_int_equal(r.cfg.nics[0].model, NIC_MODEL_RTL8139);
	assert_int_equal(r.cfg.nics[1].model, NIC_MODEL_RTL8139);
	done(&r);
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nvif = [ '',\n 'model=e1000' ]\n",
			":6: vif: model=e1000 is not emulated yet (model=rtl8139 is)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nvif = [ 'model=virtio-net' ]\n",
			":5: vif: model=virtio-net is not an emulated NIC (model=rtl8139 is)");
	/* A PVH guest's vif is netfront: the model is ignored, as xl does, with a warning. */
	load(&r, "name='a'\ntype='pvh'\nkernel='/k'\nvif = [ 'model=e1000' ]\n", 0, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.nics[0].model, NIC_MODEL_NONE);
	assert_non_null(strstr(r.err, ":4: warning: vif: model=e1000 applies to HVM guests'"));
	done(&r);
}

static void test_hvm_serial_and_display(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	check_hvm_ok(fx, "disk = [ 'IMG,raw,hda,rw' ]\nserial='pty'\nvnc=0\nsdl=0\n");
	check_hvm_ok(fx, "disk = [ 'IMG,raw,hda,rw' ]\nserial=['pty']\n");
	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw' ]\nserial='none'\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.serial, SERIAL_NONE);
	done(&r);
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nserial='file:/tmp/x'\n",
			":5: serial = \"file:/tmp/x\": expected \"pty\" (COM1 is the console)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nserial=['pty', 'pty']\n",
			":5: serial: 2 ports given; only COM1 is emulated");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nvnc=1\n",
			":5: vnc = 1: no display: vnc/sdl are not supported; the console is "
			"COM1 (xkvm console)");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\n\nsdl=1\n", ":6: sdl = 1: no display");
}

static void test_hvm_platform_keys(void **state)
{
	const struct fixture *fx = *state;
	struct result r;

	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw' ]\nacpi=0\napic=0\nxen_platform_pci=0\n");
	assert_int_equal(r.rc, 0);
	assert_false(r.cfg.acpi);
	assert_false(r.cfg.apic);
	assert_false(r.cfg.xen_platform_pci);
	done(&r);
	check_hvm_ok(fx, "disk = [ 'IMG,raw,hda,rw' ]\nacpi=1\napic=1\nviridian=0\n");
	check_hvm_ok(fx, "disk = [ 'IMG,raw,hda,rw' ]\nviridian=[]\n");
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nacpi='yes'\n",
			":5: acpi must be a number");
	load_hvm(&r, fx, "disk = [ 'IMG,raw,hda,rw' ]\nxen_platform_pci=1\n");
	assert_int_equal(r.rc, 0);
	assert_true(r.cfg.xen_platform_pci);
	done(&r);
	check_hvm_error(fx, "disk = [ 'IMG,raw,hda,rw' ]\nxen_platform_pci='on'\n",
			":5: xen_platform_pci must be a number");
	check_hvm_warning(fx, "disk = [ 'IMG,raw,hda,rw' ]\nviridian=1\n",
			  ":5: warning: viridian: Hyper-V enlightenments are not provided");
	check_hvm_warning(fx, "disk = [ 'IMG,raw,hda,rw' ]\nviridian=['base', 'freq']\n",
			  ":5: warning: viridian:");
	check_hvm_warning(fx, "disk = [ 'IMG,raw,hda,rw' ]\nkernel='/k'\n",
			  ":5: warning: kernel is ignored");
}

/* xl ignores the HVM keys for other guest types: a warning each, and the defaults. */
static void test_hvm_keys_ignored_for_pvh(void **state)
{
	struct result r;

	(void)state;
	load(&r,
	     "name='a'\ntype='pvh'\nkernel='/k'\nboot='x'\nvnc=1\nfirmware='ovmf'\n"
	     "xen_platform_pci=1\nserial='file:/x'\n",
	     0, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, ":4: warning: boot applies to HVM guests only; ignored "
				      "for a pvh guest"));
	assert_non_null(strstr(r.err, ":5: warning: vnc applies to HVM guests only"));
	assert_non_null(strstr(r.err, ":6: warning: firmware applies"));
	assert_non_null(strstr(r.err, ":7: warning: xen_platform_pci applies"));
	assert_non_null(strstr(r.err, ":8: warning: serial applies"));
	assert_null(r.cfg.firmware);
	assert_string_equal(r.cfg.boot_order, "");
	assert_false(r.cfg.xen_platform_pci);
	done(&r);
	load(&r, "name='a'\nkernel='/k'\nacpi=0\n", 0, NULL);
	assert_non_null(strstr(r.err, ":3: warning: acpi applies to HVM guests only; ignored "
				      "for a pv guest"));
	assert_true(r.cfg.acpi);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),
	    cmocka_unit_test(test_defaults_and_root_extra),
	    cmocka_unit_test(test_persistent_grants_key),
	    cmocka_unit_test(test_overrides_win),
	    cmocka_unit_test(test_syntax_error_names_file_and_line),
	    cmocka_unit_test(test_unknown_key_warned),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_pv_and_its_shim),
	    cmocka_unit_test(test_pv_bootloader),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test_setup_teardown(test_hvm_defaults, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_firmware, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_boot, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_disks, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_disk_trust, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_vif_model, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_serial_and_display, hvm_setup, hvm_teardown),
	    cmocka_unit_test_setup_teardown(test_hvm_platform_keys, hvm_setup, hvm_teardown),
	    cmocka_unit_test(test_hvm_keys_ignored_for_pvh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
