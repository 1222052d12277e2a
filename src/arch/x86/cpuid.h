/* SPDX-License-Identifier: MIT */
/* The CPUID a vCPU sees: what KVM supports, with this vCPU's topology. */
#ifndef XKVM_ARCH_X86_CPUID_H
#define XKVM_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

/* A copy of supported, patched for vCPU index of nr_vcpus (malloc'd; NULL on ENOMEM). */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index,
				  unsigned nr_vcpus, bool tsc_deadline);
/* KVM_SET_CPUID2 on the vCPU.  Returns 0 or -errno. */
int cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *cpuid);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, unsigned function, unsigned index);

#endif
