/* SPDX-License-Identifier: MIT */
#include "toolstack/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int accel_parse(const char *s, enum accel_mode *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = ACCEL_AUTO;
	else if (strcmp(s, "native") == 0)
		*mode = ACCEL_NATIVE;
	else if (strcmp(s, "nested") == 0)
		*mode = ACCEL_NESTED;
	else
		return -EINVAL;
	return 0;
}

const char *accel_name(enum accel_mode mode)
{
	return mode == ACCEL_NATIVE ? "native" : mode == ACCEL_NESTED ? "nested" : "auto";
}

/* Does /proc/cpuinfo list the vmx or svm flag? */
static bool cpu_has_hw_virt(void)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
	}
	fclose(f);
	return found;
}

bool accel_native_usable(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	/* kvm-pvm provides /dev/kvm without hardware support: stock kernels fail on it. */
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(why, len, "/dev/kvm is kvm-pvm, which cannot run stock guests");
		return false;
	}
	if (!cpu_has_hw_virt()) {
		snprintf(why, len, "the CPU has no VMX or SVM");
		return false;
	}
	return true;
}

enum accel_mode accel_resolve(enum accel_mode requested)
{
	char why[128];

	if (requested != ACCEL_AUTO)
		return requested;
	return accel_native_usable(why, sizeof(why)) ? ACCEL_NATIVE : ACCEL_NESTED;
}
