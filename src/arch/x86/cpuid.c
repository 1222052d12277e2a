/* SPDX-License-Identifier: MIT */
#include "arch/x86/cpuid.h"
#include "lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT        (1U << 28)

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, unsigned function, unsigned index)
{
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

/*
 * Give each vCPU its own APIC id (= its index, as the MADT says) in every
 * leaf that reports one, and tell the guest it runs under a hypervisor.
 */
static void patch_entry(struct kvm_cpuid_entry2 *e, unsigned index, unsigned nr_vcpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffffU) | ((nr_vcpus & 0xffU) << 16) | (index << 24);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (nr_vcpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		break;
	case 0xb:
	case 0x1f:
		e->edx = index; /* x2APIC id */
		break;
	case 0x8000001e:
		e->eax = index; /* extended APIC id */
		break;
	default:
		break;
	}
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index,
				  unsigned nr_vcpus)
{
	size_t bytes = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(bytes);

	if (!c)
		return NULL;
	memcpy(c, supported, bytes);
	for (unsigned i = 0; i < c->nent; i++)
		patch_entry(&c->entries[i], index, nr_vcpus);
	return c;
}

int cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0) {
		pr_err("KVM_SET_CPUID2: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
