/* SPDX-License-Identifier: MIT */
#include "xen/vcpu_context.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define CR0_PE	   (1ULL << 0)
#define CR0_PG	   (1ULL << 31)
#define CR4_PAE	   (1ULL << 5)
#define EFER_SCE   (1ULL << 0)
#define EFER_LME   (1ULL << 8)
#define EFER_LMA   (1ULL << 10)
#define EFER_NX	   (1ULL << 11)
#define RFLAGS_MBS (1ULL << 1) /* reads as one */

/* CR4 bits a guest may set (VME..OSXMMEXCPT, UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE). */
#define CR4_GUEST_BITS                                                                             \
	0x7ffULL | (1ULL << 11) | (1ULL << 16) | (1ULL << 17) | (1ULL << 18) | (1ULL << 20) |      \
	    (1ULL << 21) | (1ULL << 22)

/* Xen's segment attribute word: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1, pad:4. */
struct seg_attr {
	unsigned type, s, dpl, p, avl, l, db, g, pad;
};

enum seg { SEG_CS, SEG_DS, SEG_SS, SEG_ES, SEG_TR };

static struct seg_attr decode(uint16_t ar)
{
	return (struct seg_attr){ar & 0xf,	 (ar >> 4) & 1,	 (ar >> 5) & 3,
				 (ar >> 7) & 1,	 (ar >> 8) & 1,	 (ar >> 9) & 1,
				 (ar >> 10) & 1, (ar >> 11) & 1, (unsigned)ar >> 12};
}

/* Xen's check_segment(), on an attribute word with the accessed/busy bit already set. */
static int check_segment(const struct seg_attr *a, bool null, enum seg seg)
{
	if (a->pad)
		return -EINVAL;
	if (null)
		return seg == SEG_DS || seg == SEG_ES ? 0 : -EINVAL;
	if (seg == SEG_TR ? a->s || a->type != 0xb /* busy 32-bit TSS */ : !a->s)
		return -EINVAL;
	if (!a->p)
		return -EINVAL;
	switch (seg) {
	case SEG_CS:
		return a->type & 0x8 ? 0 : -EINVAL;
	case SEG_SS:
		return !(a->type & 0x8) && (a->type & 0x2) ? 0 : -EINVAL;
	case SEG_DS:
	case SEG_ES:
		return (a->type & 0x8) && !(a->type & 0x2) ? -EINVAL : 0;
	default:
		return 0;
	}
}

/* One 32-bit mode segment: checked, and in KVM's form (byte-granular limit). */
static int segment32(uint32_t base, uint32_t limit, uint16_t ar, enum seg seg,
		     struct kvm_segment *out)
{
	struct seg_attr a = decode(ar);
	int r;

	if (ar && a.p)
		a.type |= seg == SEG_TR ? 2 : 1; /* Xen sets accessed (busy for TR) */
	r = check_segment(&a, ar == 0, seg);
	if (r)
		return r;
	*out = (struct kvm_segment){
	    .base = base,
	    .limit = a.g ? (limit << 12) | 0xfff : limit,
	    .type = (uint8_t)a.type,
	    .present = (uint8_t)a.p,
	    .dpl = (uint8_t)a.dpl,
	    .db = (uint8_t)a.db,
	    .s = (uint8_t)a.s,
	    .l = (uint8_t)a.l,
	    .g = (uint8_t)a.g,
	    .avl = (uint8_t)a.avl,
	    .unusable = ar == 0,
	};
	return 0;
}

static int context32(const struct vcpu_hvm_x86_32 *c, struct kvm_regs *regs,
		     struct kvm_sregs *sregs)
{
	uint64_t cs_limit;

	if (c->pad1 || c->pad2[0] || c->pad2[1] || c->pad2[2])
		return -EINVAL;
	if (segment32(c->cs_base, c->cs_limit, c->cs_ar, SEG_CS, &sregs->cs) ||
	    segment32(c->ds_base, c->ds_limit, c->ds_ar, SEG_DS, &sregs->ds) ||
	    segment32(c->ss_base, c->ss_limit, c->ss_ar, SEG_SS, &sregs->ss) ||
	    segment32(c->es_base, c->es_limit, c->es_ar, SEG_ES, &sregs->es) ||
	    segment32(c->tr_base, c->tr_limit, c->tr_ar, SEG_TR, &sregs->tr))
		return -EINVAL;
	cs_limit = sregs->cs.limit;
	if (c->eip > cs_limit || sregs->ss.dpl != sregs->cs.dpl)
		return -EINVAL;
	if ((sregs->ds.present && sregs->ds.dpl > sregs->cs.dpl) ||
	    (sregs->es.present && sregs->es.dpl > sregs->cs.dpl))
		return -EINVAL;
	if ((c->efer & EFER_LMA) && !(c->efer & EFER_LME))
		return -EINVAL;
	*regs = (struct kvm_regs){.rax = c->eax,
				  .rcx = c->ecx,
				  .rdx = c->edx,
				  .rbx = c->ebx,
				  .rsp = c->esp,
				  .rbp = c->ebp,
				  .rsi = c->esi,
				  .rdi = c->edi,
				  .rip = c->eip,
				  .rflags = c->eflags};
	sregs->cr0 = c->cr0;
	sregs->cr3 = c->cr3;
	sregs->cr4 = c->cr4;
	sregs->efer = c->efer;
	return 0;
}

static int context64(const struct vcpu_hvm_x86_64 *c, struct kvm_regs *regs,
		     struct kvm_sregs *sregs)
{
	const struct kvm_segment flat_data = {
	    .limit = 0xffffffff, .type = 3, .present = 1, .db = 1, .s = 1, .g = 1};

	if ((uint64_t)((int64_t)(c->rip << 16) >> 16) != c->rip)
		return -EINVAL; /* not canonical */
	if (!(c->cr0 & CR0_PG) || !(c->cr4 & CR4_PAE) || !(c->efer & EFER_LME))
		return -EINVAL;
	*regs = (struct kvm_regs){.rax = c->rax,
				  .rcx = c->rcx,
				  .rdx = c->rdx,
				  .rbx = c->rbx,
				  .rsp = c->rsp,
				  .rbp = c->rbp,
				  .rsi = c->rsi,
				  .rdi = c->rdi,
				  .rip = c->rip,
				  .rflags = c->rflags};
	/* Xen's fixed long-mode segments: flat 64-bit code, flat data, a busy 64-bit TSS. */
	sregs->cs = (struct kvm_segment){
	    .limit = 0xffffffff, .type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1};
	sregs->ds = sregs->es = sregs->ss = flat_data;
	sregs->tr = (struct kvm_segment){.limit = 0x67, .type = 0xb, .present = 1};
	sregs->cr0 = c->cr0;
	sregs->cr3 = c->cr3;
	sregs->cr4 = c->cr4;
	sregs->efer = c->efer;
	return 0;
}

int vcpu_hvm_context_to_kvm(const struct vcpu_hvm_context *ctx, struct kvm_regs *regs,
			    struct kvm_sregs *sregs)
{
	int r;

	if (ctx->pad)
		return -EINVAL;
	if (ctx->mode == VCPU_HVM_MODE_32B)
		r = context32(&ctx->cpu_regs.x86_32, regs, sregs);
	else if (ctx->mode == VCPU_HVM_MODE_64B)
		r = context64(&ctx->cpu_regs.x86_64, regs, sregs);
	else
		r = -EINVAL;
	if (r)
		return r;
	if (sregs->efer & EFER_LME)
		sregs->efer |= EFER_LMA;
	/* Xen's CR4 and EFER validity checks, and what KVM would refuse to load. */
	if ((sregs->cr4 & ~(uint64_t)(CR4_GUEST_BITS)) ||
	    (sregs->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)))
		return -EINVAL;
	if ((sregs->cr0 & CR0_PG) && !(sregs->cr0 & CR0_PE))
		return -EINVAL;
	if ((sregs->efer & EFER_LMA) && (!(sregs->cr0 & CR0_PG) || !(sregs->cr4 & CR4_PAE)))
		return -EINVAL;
	regs->rflags |= RFLAGS_MBS;
	return 0;
}
