/* SPDX-License-Identifier: MIT */
/* VCPUOP_initialise contexts: Xen 4.17's checks, and the KVM state they become. */
#include "lib/test.h"
#include "xen/vcpu_context.h"

#include <errno.h>
#include <string.h>

#define AR_CODE32 0xc9b /* g, db, p, s, type execute/read (accessed) */
#define AR_DATA32 0xc93 /* g, db, p, s, type read/write (accessed) */
#define AR_TSS32  0x08b /* p, busy 32-bit TSS */

static struct vcpu_hvm_context flat32(void)
{
	struct vcpu_hvm_context ctx = {.mode = VCPU_HVM_MODE_32B};
	struct vcpu_hvm_x86_32 *r = &ctx.cpu_regs.x86_32;

	r->eip = 0x100000;
	r->cr0 = 0x11; /* PE, ET */
	r->cs_limit = r->ds_limit = r->ss_limit = r->es_limit = 0xfffff;
	r->cs_ar = AR_CODE32;
	r->ds_ar = r->ss_ar = r->es_ar = AR_DATA32;
	r->tr_limit = 0x67;
	r->tr_ar = AR_TSS32;
	return ctx;
}

static int convert(const struct vcpu_hvm_context *ctx, struct kvm_regs *regs,
		   struct kvm_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	return vcpu_hvm_context_to_kvm(ctx, regs, sregs);
}

static void a_flat_32_bit_context_loads(void **state)
{
	struct vcpu_hvm_context ctx = flat32();
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	assert_int_equal(convert(&ctx, &regs, &sregs), 0);
	assert_int_equal(regs.rip, 0x100000);
	assert_int_equal(regs.rflags, 2);	      /* the always-one bit */
	assert_int_equal(sregs.cs.limit, 0xffffffff); /* page-granular, expanded */
	assert_int_equal(sregs.cs.type, 0xb);
	assert_int_equal(sregs.cs.db, 1);
	assert_int_equal(sregs.ss.type, 3);
	assert_int_equal(sregs.tr.type, 0xb);
	assert_int_equal(sregs.tr.s, 0);
	/* A null DS is allowed. */
	ctx.cpu_regs.x86_32.ds_ar = 0;
	assert_int_equal(convert(&ctx, &regs, &sregs), 0);
	assert_true(sregs.ds.unusable);
}

/* Each a context Xen refuses with -EINVAL. */
static void bad_32_bit_contexts_are_refused(void **state)
{
	struct vcpu_hvm_context ctx;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
#define REFUSED(change)                                                                            \
	do {                                                                                       \
		ctx = flat32();                                                                    \
		change;                                                                            \
		assert_int_equal(convert(&ctx, &regs, &sregs), -EINVAL);                           \
	} while (0)
	REFUSED(ctx.pad = 1);
	REFUSED(ctx.cpu_regs.x86_32.pad1 = 1);
	REFUSED(ctx.cpu_regs.x86_32.cs_ar = 0);			 /* null CS */
	REFUSED(ctx.cpu_regs.x86_32.ss_ar = 0);			 /* null SS */
	REFUSED(ctx.cpu_regs.x86_32.cs_ar = AR_DATA32);		 /* data in CS */
	REFUSED(ctx.cpu_regs.x86_32.ss_ar = AR_CODE32);		 /* code in SS */
	REFUSED(ctx.cpu_regs.x86_32.tr_ar = AR_DATA32);		 /* data in TR */
	REFUSED(ctx.cpu_regs.x86_32.ds_ar = AR_DATA32 & ~0x80);	 /* not present */
	REFUSED(ctx.cpu_regs.x86_32.cs_ar = AR_CODE32 | 0x1000); /* pad bits */
	REFUSED(ctx.cpu_regs.x86_32.ss_ar = AR_DATA32 | 0x60);	 /* SS.DPL != CS.DPL */
	REFUSED(ctx.cpu_regs.x86_32.ds_ar = AR_DATA32 | 0x60);	 /* DS.DPL > CS.DPL */
	REFUSED(ctx.cpu_regs.x86_32.cs_ar = 0x49b; ctx.cpu_regs.x86_32.cs_limit = 0xfff;
		ctx.cpu_regs.x86_32.eip = 0x1000);	/* EIP beyond a byte-granular limit */
	REFUSED(ctx.cpu_regs.x86_32.efer = 1 << 10);	/* LMA without LME */
	REFUSED(ctx.cpu_regs.x86_32.cr0 = 0x80000010);	/* paging without protection */
	REFUSED(ctx.cpu_regs.x86_32.cr4 = 1u << 31);	/* reserved CR4 bit */
	REFUSED(ctx.cpu_regs.x86_32.efer = 1ULL << 40); /* reserved EFER bit */
	REFUSED(ctx.mode = 2);
#undef REFUSED
}

static void a_64_bit_context_needs_long_mode(void **state)
{
	struct vcpu_hvm_context ctx = {.mode = VCPU_HVM_MODE_64B};
	struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	*r = (struct vcpu_hvm_x86_64){
	    .rip = 0xffffffff81000000ULL, .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x100};
	assert_int_equal(convert(&ctx, &regs, &sregs), 0);
	assert_int_equal(sregs.efer, 0x500);
	assert_int_equal(sregs.cs.l, 1);
	assert_int_equal(sregs.cs.db, 0);
	assert_int_equal(sregs.tr.limit, 0x67);
	r->rip = 0x0000800000000000ULL; /* not canonical */
	assert_int_equal(convert(&ctx, &regs, &sregs), -EINVAL);
	r->rip = 0x1000;
	r->cr4 = 0;
	assert_int_equal(convert(&ctx, &regs, &sregs), -EINVAL);
	r->cr4 = 0x20;
	r->efer = 0;
	assert_int_equal(convert(&ctx, &regs, &sregs), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_flat_32_bit_context_loads),
	    cmocka_unit_test(bad_32_bit_contexts_are_refused),
	    cmocka_unit_test(a_64_bit_context_needs_long_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
