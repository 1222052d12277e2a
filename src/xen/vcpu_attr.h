/* SPDX-License-Identifier: MIT */
/*
 * Xen vCPU attributes (KVM_XEN_VCPU_SET_ATTR: vcpu_info, runstate, timer,
 * upcall vector) set from any thread: core runs them on the vCPU's own
 * thread, which KVM_RUN would otherwise block.
 */
#ifndef XKVM_XEN_VCPU_ATTR_H
#define XKVM_XEN_VCPU_ATTR_H

#include "core/vcpu.h"

#include <linux/kvm.h>

/* 0 or -errno (see vcpu_ioctl_deferred). */
static inline int xen_vcpu_set_attr(struct vcpu *vcpu, const struct kvm_xen_vcpu_attr *attr)
{
	return vcpu_ioctl_deferred(vcpu, KVM_XEN_VCPU_SET_ATTR, attr, sizeof(*attr));
}

#endif
