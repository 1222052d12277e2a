/* SPDX-License-Identifier: MIT */
/*
 * Xen hypercalls that KVM hands to us (KVM_EXIT_XEN): the dispatcher and
 * the context every handler gets.  Arguments are guest values: each
 * handler checks them and answers with the errno Xen would.
 */
#ifndef XKVM_XEN_HYPERCALL_H
#define XKVM_XEN_HYPERCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct xen_domain;

struct hcall {
	struct xen_domain *xd;
	struct vcpu *vcpu;
	bool long_mode;	 /* 64-bit guest ABI: selects structure layouts */
	uint64_t arg[6]; /* rdi rsi rdx r10 r8 r9 (64-bit) or ebx ecx edx esi edi ebp */
};

/*
 * What xen_domain_create attaches to the VM (opaque: the xen_domain): it
 * takes the exits core leaves to it, KVM_EXIT_XEN.
 */
extern const struct vm_personality xen_personality;

/*
 * Handle the KVM_EXIT_XEN in vcpu->run for the Xen domain attached to the
 * vCPU's VM.  Returns false when the vCPU must stop.
 */
bool xen_handle_exit(struct vcpu *vcpu);

/* Run one hypercall and return its result (exposed for tests). */
int64_t xen_hypercall(struct hcall *h, unsigned nr);

/* Per-family handlers (one file each). */
int64_t hcall_memory_op(struct hcall *h);
int64_t hcall_hvm_op(struct hcall *h);
int64_t hcall_vcpu_op(struct hcall *h);
/* A vCPU made a hypercall, so it runs: one the guest started by INIT/SIPI counts as up. */
void xen_vcpu_seen_running(struct xen_domain *xd, unsigned index);

/* Copy between the calling vCPU's virtual memory and the VMM; 0 or -EFAULT. */
int hcall_read(struct hcall *h, uint64_t gva, void *dst, size_t len);
int hcall_write(struct hcall *h, uint64_t gva, const void *src, size_t len);
/* A guest word of the ABI's width (xen_ulong_t, xen_pfn_t, handles) at gva + i * width. */
int hcall_read_ulong(struct hcall *h, uint64_t gva, uint64_t i, uint64_t *out);
int hcall_write_ulong(struct hcall *h, uint64_t gva, uint64_t i, uint64_t val);
/* Log a refused or unknown call once per (hypercall, sub-command). */
void hcall_warn_once(struct hcall *h, unsigned nr, unsigned cmd, const char *what);

#endif
