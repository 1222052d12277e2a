/* SPDX-License-Identifier: MIT */
/*
 * Hypercall arguments are guest-virtual addresses in the calling vCPU's
 * address space.  These helpers translate page by page with
 * KVM_TRANSLATE and bounds-check every physical range against guest RAM.
 */
#ifndef XKVM_XEN_GUEST_ACCESS_H
#define XKVM_XEN_GUEST_ACCESS_H

#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* Return 0, or -EFAULT when any byte is unmapped, not RAM, or (for writes) read-only. */
int guest_virt_read(struct vcpu *vcpu, uint64_t gva, void *dst, size_t len);
int guest_virt_write(struct vcpu *vcpu, uint64_t gva, const void *src, size_t len);
/* Translate one guest-virtual address; -EFAULT when unmapped. */
int guest_virt_to_phys(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa);

#endif
