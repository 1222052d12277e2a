/* SPDX-License-Identifier: MIT */
/* Thin wrappers over the /dev/kvm system ioctls. */
#ifndef XKVM_CORE_KVM_H
#define XKVM_CORE_KVM_H

#include <linux/kvm.h>

/* Open /dev/kvm (or path) and check the API version.  Returns fd or -errno. */
int kvm_open(const char *path);
/* KVM_CHECK_EXTENSION on a system or VM fd: >0 when present. */
int kvm_check_cap(int fd, long cap);
/* KVM_GET_SUPPORTED_CPUID into a malloc'd buffer, or NULL (message logged). */
struct kvm_cpuid2 *kvm_get_supported_cpuid(int kvm_fd);

#endif
