/* SPDX-License-Identifier: MIT */
#include "machine/machine.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/msr.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>

const struct machine_ops *machine_for_config(const struct domain_config *cfg)
{
	switch (cfg->type) {
	case GUEST_PVH:
		return &machine_xen_pvh_ops;
	case GUEST_PV:
		return &machine_xen_pv_ops;
	case GUEST_HVM:
		/* xl's xen_platform_pci: the Xen personality and its platform device, or a plain
		 * PC. */
		return cfg->xen_platform_pci ? &machine_xen_hvm_ops : &machine_hvm_ops;
	}
	return NULL;
}

int machine_setup_vcpu_cpu(struct vm *vm, struct vcpu *vcpu, bool xen_leaves)
{
	struct kvm_cpuid2 *cpuid =
	    cpuid_for_vcpu(vm->supported_cpuid, vcpu->index, vm->nr_vcpus,
			   kvm_check_cap(vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	int r;

	if (cpuid && xen_leaves) {
		int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

		cpuid = cpuid_add_xen_leaves(cpuid, vcpu->index, khz > 0 ? (uint32_t)khz : 0);
	}
	if (!cpuid)
		return -ENOMEM;
	/* CPUID first: KVM refuses some register states until it is set. */
	r = cpuid_set(vcpu->fd, cpuid);
	free(cpuid);
	if (!r)
		r = msr_setup_vcpu(vcpu->fd);
	return r;
}
