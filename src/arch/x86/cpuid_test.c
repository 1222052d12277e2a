/* SPDX-License-Identifier: MIT */
#include "arch/x86/cpuid.h"
#include "lib/test.h"

#include <stdlib.h>

static struct kvm_cpuid2 *fake_supported(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 4 * sizeof(c->entries[0]));

	c->nent = 4;
	c->entries[0] = (struct kvm_cpuid_entry2){.function = 1, .ebx = 0x00000800, .edx = 0};
	c->entries[1] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX};
	c->entries[2] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX};
	c->entries[3] = (struct kvm_cpuid_entry2){.function = 0x40000000, .eax = 0x40000001};
	return c;
}

static void test_apic_ids(void **state)
{
	struct kvm_cpuid2 *sup = fake_supported();

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, i, 3, true);

		assert_non_null(c);
		assert_int_equal(cpuid_find(c, 1, 0)->ebx >> 24, i);
		assert_int_equal((cpuid_find(c, 1, 0)->ebx >> 16) & 0xff, 3);
		assert_int_equal(cpuid_find(c, 1, 0)->ebx & 0xffff, 0x0800); /* CLFLUSH size kept */
		assert_true(cpuid_find(c, 1, 0)->ecx & (1U << 31));
		assert_true(cpuid_find(c, 1, 0)->ecx & (1U << 24)); /* TSC deadline */
		assert_int_equal(cpuid_find(c, 0xb, 0)->edx, i);
		assert_int_equal(cpuid_find(c, 0xb, 1)->edx, i);
		free(c);
	}
	/* The input is not modified. */
	assert_int_equal(sup->entries[0].ebx, 0x00000800);
	free(sup);
}

static void test_find_index(void **state)
{
	struct kvm_cpuid2 *sup = fake_supported();

	(void)state;
	assert_ptr_equal(cpuid_find(sup, 0xb, 1), &sup->entries[2]);
	assert_null(cpuid_find(sup, 0xb, 2));
	/* Leaves without a significant index match any index. */
	assert_ptr_equal(cpuid_find(sup, 1, 7), &sup->entries[0]);
	assert_null(cpuid_find(sup, 0x80000000, 0));
	free(sup);
}

/* An emulated CPU may offer AVX state in leaf 0xD without the AVX flag. */
static void test_xsave_follows_features(void **state)
{
	struct kvm_cpuid2 *sup = calloc(1, sizeof(*sup) + 4 * sizeof(sup->entries[0]));
	struct kvm_cpuid2 *c;

	(void)state;
	sup->nent = 4;
	sup->entries[0] = (struct kvm_cpuid_entry2){.function = 1, .ecx = 0};
	sup->entries[1] = (struct kvm_cpuid_entry2){.function = 0xd,
						    .index = 0,
						    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						    .eax = 0x7,
						    .ebx = 832,
						    .ecx = 832};
	sup->entries[2] = (struct kvm_cpuid_entry2){
	    .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0xf};
	sup->entries[3] = (struct kvm_cpuid_entry2){.function = 0xd,
						    .index = 2,
						    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						    .eax = 256,
						    .ebx = 576};
	c = cpuid_for_vcpu(sup, 0, 1, false);
	assert_int_equal(cpuid_find(c, 0xd, 0)->eax, 0x3);
	assert_int_equal(cpuid_find(c, 0xd, 0)->ecx, 576);
	assert_int_equal(cpuid_find(c, 0xd, 2)->eax, 0);
	assert_int_equal(cpuid_find(c, 0xd, 1)->eax, 0xf); /* XSAVEOPT etc. untouched */
	assert_false(cpuid_find(c, 1, 0)->ecx & (1U << 24));
	free(c);

	sup->entries[0].ecx = 1U << 28; /* with AVX the component stays */
	c = cpuid_for_vcpu(sup, 0, 1, false);
	assert_int_equal(cpuid_find(c, 0xd, 0)->eax, 0x7);
	assert_int_equal(cpuid_find(c, 0xd, 0)->ecx, 832);
	free(c);
	free(sup);
}

#define INVARIANT_TSC (1U << 8)

/* A CPUID set with the extended leaves up to max_ext, and leaf 0x80000007 if apm. */
static struct kvm_cpuid2 *fake_extended(uint32_t max_ext, bool apm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 3 * sizeof(c->entries[0]));

	c->entries[c->nent++] = (struct kvm_cpuid_entry2){.function = 1};
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){.function = 0x80000000, .eax = max_ext};
	if (apm)
		c->entries[c->nent++] =
		    (struct kvm_cpuid_entry2){.function = 0x80000007, .edx = 1U << 9};
	return c;
}

/*
 * Xen guests are told their TSC is invariant (leaf 0x80000007), as Xen's
 * own leaf 3 says it is reliable: otherwise Xen's PV shim writes the TSCs,
 * and KVM leaves the pvclock in vcpu_info stale behind such a write.
 */
static void test_xen_leaves_invariant_tsc(void **state)
{
	struct kvm_cpuid2 *c = cpuid_add_xen_leaves(fake_extended(0x80000008, true), 1, 2600000);
	struct kvm_cpuid2 *v;

	(void)state;
	assert_non_null(c);
	assert_int_equal(cpuid_find(c, 0x80000007, 0)->edx, INVARIANT_TSC | (1U << 9));
	assert_int_equal(cpuid_find(c, 0x40000003, 0)->eax & 2, 2); /* Xen: TSC reliable */
	assert_int_equal(cpuid_find(c, 0x40000004, 0)->ebx, 1);	    /* vcpu id */
	free(c);

	/* KVM left the leaf out although the range covers it: added. */
	c = cpuid_add_xen_leaves(fake_extended(0x80000008, false), 0, 0);
	assert_non_null(c);
	assert_int_equal(cpuid_find(c, 0x80000007, 0)->edx, INVARIANT_TSC);
	assert_non_null(cpuid_find(c, 0x40000004, 0)); /* room for every Xen leaf too */
	free(c);

	/* A CPU whose extended range stops below it gets no leaf beyond its range. */
	c = cpuid_add_xen_leaves(fake_extended(0x80000004, false), 0, 0);
	assert_non_null(c);
	assert_null(cpuid_find(c, 0x80000007, 0));
	free(c);

	/* Other guests keep what KVM offers. */
	c = fake_extended(0x80000008, true);
	v = cpuid_for_vcpu(c, 0, 1, false);
	assert_int_equal(cpuid_find(v, 0x80000007, 0)->edx, 1U << 9);
	free(v);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apic_ids),
	    cmocka_unit_test(test_find_index),
	    cmocka_unit_test(test_xsave_follows_features),
	    cmocka_unit_test(test_xen_leaves_invariant_tsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
