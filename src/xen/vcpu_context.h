/* SPDX-License-Identifier: MIT */
/*
 * VCPUOP_initialise for HVM/PVH guests: the vcpu_hvm_context a guest gives
 * for a secondary vCPU, checked as Xen 4.17 checks it
 * (arch_set_info_hvm_guest) and turned into KVM register state.
 */
#ifndef XKVM_XEN_VCPU_CONTEXT_H
#define XKVM_XEN_VCPU_CONTEXT_H

#include <linux/kvm.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/hvm_vcpu.h>

/*
 * Fill regs and, in sregs, cs ds es ss tr, cr0 cr3 cr4 and efer (the rest
 * of sregs is the vCPU's own).  Returns 0 or -EINVAL for a context Xen
 * refuses.
 */
int vcpu_hvm_context_to_kvm(const struct vcpu_hvm_context *ctx, struct kvm_regs *regs,
			    struct kvm_sregs *sregs);

#endif
