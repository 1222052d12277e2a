/* SPDX-License-Identifier: MIT */
/* Model-specific registers a Linux guest expects at power-on. */
#ifndef XKVM_ARCH_X86_MSR_H
#define XKVM_ARCH_X86_MSR_H

int msr_setup_vcpu(int vcpu_fd);

#endif
