/* SPDX-License-Identifier: MIT */
#include "arch/x86/cpuid.h"
#include "lib/log.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/arch-x86/cpuid.h>

#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_AVX		 (1U << 28)
#define CPUID_1_ECX_HYPERVISOR	 (1U << 31)
#define CPUID_1_EDX_HTT		 (1U << 28)
#define CPUID_7_EBX_MPX		 (1U << 14)
#define CPUID_7_EBX_AVX512F	 (1U << 16)
#define CPUID_7_ECX_PKU		 (1U << 3)

#define XSAVE_LEGACY_AND_HEADER_SIZE 576 /* x87/SSE area + XSAVE header */

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
static void patch_entry(struct kvm_cpuid_entry2 *e, unsigned index, unsigned nr_vcpus,
			bool tsc_deadline)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffffU) | ((nr_vcpus & 0xffU) << 16) | (index << 24);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* KVM emulates the TSC-deadline timer whatever the host has
		 * (KVM_CAP_TSC_DEADLINE_TIMER). */
		if (tsc_deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
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

static uint32_t reg_of(struct kvm_cpuid2 *c, unsigned function, unsigned index, int reg)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, function, index);

	if (!e)
		return 0;
	return reg == 'b' ? e->ebx : reg == 'c' ? e->ecx : e->edx;
}

/*
 * Offer an XSAVE state component only when its feature is offered too.
 * Where they disagree (seen in emulated CPUs), Linux finds the XSAVE sizes
 * inconsistent with the features it enables and warns at boot.
 */
static void sanitize_xsave(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *leaf0 = cpuid_find(c, 0xd, 0);
	uint64_t allowed = ~0ULL;
	uint32_t max_size = XSAVE_LEGACY_AND_HEADER_SIZE;
	uint64_t user_features;

	if (!leaf0)
		return;
	if (!(reg_of(c, 1, 0, 'c') & CPUID_1_ECX_AVX))
		allowed &= ~(1ULL << 2);
	if (!(reg_of(c, 7, 0, 'b') & CPUID_7_EBX_MPX))
		allowed &= ~(3ULL << 3);
	if (!(reg_of(c, 7, 0, 'b') & CPUID_7_EBX_AVX512F))
		allowed &= ~(7ULL << 5);
	if (!(reg_of(c, 7, 0, 'c') & CPUID_7_ECX_PKU))
		allowed &= ~(1ULL << 9);
	leaf0->eax &= (uint32_t)allowed;
	leaf0->edx &= (uint32_t)(allowed >> 32);
	user_features = leaf0->eax | (uint64_t)leaf0->edx << 32;
	for (unsigned i = 2; i < 64; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xd, i);

		if (!e || e->index != i)
			continue;
		if (!(allowed >> i & 1))
			e->eax = e->ebx = e->ecx = e->edx = 0;
		else if ((user_features >> i & 1) && e->eax + e->ebx > max_size)
			max_size = e->eax + e->ebx; /* size + offset of the component */
	}
	leaf0->ecx = max_size;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index,
				  unsigned nr_vcpus, bool tsc_deadline)
{
	size_t bytes = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(bytes);

	if (!c)
		return NULL;
	memcpy(c, supported, bytes);
	for (unsigned i = 0; i < c->nent; i++)
		patch_entry(&c->entries[i], index, nr_vcpus, tsc_deadline);
	sanitize_xsave(c);
	return c;
}

/* The MSR through which a guest asks for the hypercall page (as Xen's CPUID leaf 2 reports). */
#define XEN_HYPERCALL_MSR	    0x40000000U
#define XEN_VERSION_4_17	    ((4U << 16) | 17U)
#define XEN_CPUID_TSC_STABLE	    (1U << 1)
#define CPUID_APM_LEAF		    0x80000007U
#define CPUID_APM_EDX_INVARIANT_TSC (1U << 8)

static struct kvm_cpuid_entry2 leaf(uint32_t fn, uint32_t idx, uint32_t a, uint32_t b, uint32_t c,
				    uint32_t d)
{
	return (struct kvm_cpuid_entry2){
	    .function = fn, .index = idx, .eax = a, .ebx = b, .ecx = c, .edx = d};
}

/*
 * Xen's leaf 3 tells the guest its TSC is reliable, and KVM keeps the
 * vCPUs' TSCs in step; leaf 0x80000007 must say so too (invariant TSC).
 * Without it Xen (the PV shim) takes each vCPU's TSC for unsynchronised
 * and writes it (a writability probe at boot, then every AP it brings up
 * set to the BSP's value).  KVM applies a guest's TSC write without
 * rewriting the pvclock in that vCPU's vcpu_info (Xen does, in
 * hvm_set_guest_tsc_msr), so the shim then reads a tsc_timestamp ahead of
 * the TSC: the difference wraps to 2^64 cycles and its clock leaps by
 * centuries, which stops the PV guest's timers on its second vCPU.
 */
static void offer_invariant_tsc(struct kvm_cpuid2 *c, unsigned *nent)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, CPUID_APM_LEAF, 0);
	const struct kvm_cpuid_entry2 *max = cpuid_find(c, 0x80000000, 0);

	if (!e && max && max->eax >= CPUID_APM_LEAF) {
		e = &c->entries[(*nent)++];
		*e = (struct kvm_cpuid_entry2){.function = CPUID_APM_LEAF};
	}
	if (e)
		e->edx |= CPUID_APM_EDX_INVARIANT_TSC;
}

struct kvm_cpuid2 *cpuid_add_xen_leaves(struct kvm_cpuid2 *c, unsigned vcpu_id, uint32_t tsc_khz)
{
	enum { NR_XEN_LEAVES = 7, NR_ADDED = NR_XEN_LEAVES + 1 };
	struct kvm_cpuid2 *n;
	unsigned kept = 0;

	/* Drop every hypervisor leaf KVM offered (its own signature must not be seen). */
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function < XEN_CPUID_FIRST_LEAF ||
		    c->entries[i].function >= XEN_CPUID_FIRST_LEAF + 0x10000)
			c->entries[kept++] = c->entries[i];
	n = realloc(c, sizeof(*c) + (kept + NR_ADDED) * sizeof(c->entries[0]));
	if (!n) {
		free(c);
		return NULL;
	}
	n->nent = kept;
	offer_invariant_tsc(n, &kept);
	n->entries[kept++] = leaf(XEN_CPUID_LEAF(0), 0, XEN_CPUID_LEAF(4), XEN_CPUID_SIGNATURE_EBX,
				  XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX);
	n->entries[kept++] = leaf(XEN_CPUID_LEAF(1), 0, XEN_VERSION_4_17, 0, 0, 0);
	n->entries[kept++] = leaf(XEN_CPUID_LEAF(2), 0, 1, XEN_HYPERCALL_MSR, 0, 0);
	/* Leaf 3 has sub-leaves; KVM fills 1 and 2 (TSC scaling) itself. */
	for (uint32_t sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 e =
		    leaf(XEN_CPUID_LEAF(3), sub, sub ? 0 : XEN_CPUID_TSC_STABLE, 0,
			 sub ? 0 : tsc_khz, 0);

		e.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		n->entries[kept++] = e;
	}
	n->entries[kept++] = leaf(XEN_CPUID_LEAF(4), 0,
				  XEN_HVM_CPUID_APIC_ACCESS_VIRT | XEN_HVM_CPUID_X2APIC_VIRT |
				      XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_UPCALL_VECTOR,
				  vcpu_id, 0, 0);
	n->nent = kept;
	return n;
}

int cpuid_set(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0) {
		pr_err("KVM_SET_CPUID2: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
