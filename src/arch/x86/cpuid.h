/* SPDX-License-Identifier: MIT */
/* The CPUID a vCPU sees: what KVM supports, with this vCPU's topology. */
#ifndef XKVM_ARCH_X86_CPUID_H
#define XKVM_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/* A copy of supported, patched for vCPU index of nr_vcpus (malloc'd; NULL on ENOMEM). */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index,
				  unsigned nr_vcpus, bool tsc_deadline);
/*
 * Replace KVM's own hypervisor leaves (0x40000000...) with Xen's, so the
 * guest finds Xen: signature, version, hypercall MSR, TSC info and the HVM
 * leaf with this vCPU's Xen id.  Returns the (possibly moved) table or
 * NULL on ENOMEM (the old table is then freed).
 */
struct kvm_cpuid2 *cpuid_add_xen_leaves(struct kvm_cpuid2 *c, unsigned vcpu_id, uint32_t tsc_khz);

/* KVM_SET_CPUID2 on the vCPU.  Returns 0 or -errno. */
int cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *cpuid);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, unsigned function, unsigned index);

#endif
