/* SPDX-License-Identifier: MIT */
/*
 * VCPUOP_*: where a vCPU's vcpu_info, time and runstate areas live, its
 * timers, and bringing secondary vCPUs up and down the way Xen offers it
 * to HVM/PVH guests.  KVM keeps the areas up to date once told their
 * addresses.
 */
#include "core/vcpu.h"
#include "core/vm.h"
#include "xen/vcpu_attr.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/guest_access.h"
#include "xen/hypercall.h"
#include "xen/vcpu_context.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/vcpu.h>
#include <xen/foreign/x86_32.h>

#define PAGE_SIZE 4096ULL

static int set_vcpu_attr(struct vcpu *v, uint16_t type, uint64_t gpa)
{
	struct kvm_xen_vcpu_attr a = {.type = type};

	a.u.gpa = gpa;
	return xen_vcpu_set_attr(v, &a) ? -EINVAL : 0;
}

static size_t vcpu_info_size(const struct hcall *h)
{
	return h->long_mode ? sizeof(struct vcpu_info) : sizeof(struct vcpu_info_x86_32);
}

/* Where vcpu_info of vCPU i is now: registered, or its legacy slot in shared_info. */
static void *current_vcpu_info(struct xen_domain *xd, unsigned i, size_t size)
{
	uint64_t gpa = xd->vcpus[i].vcpu_info_gpa;

	if (!gpa && xd->shared_info_gfn != UINT64_MAX && i < XEN_LEGACY_MAX_VCPUS)
		gpa = (xd->shared_info_gfn << 12) + i * size;
	return gpa ? gpa_to_hva(&xd->vm->mem, gpa, size) : NULL;
}

bool xen_vcpu0_upcall_pending(struct xen_domain *xd)
{
	/* evtchn_upcall_pending is the first byte of vcpu_info in both ABI widths. */
	const uint8_t *vi =
	    xd->nr_vcpus ? current_vcpu_info(xd, 0, sizeof(struct vcpu_info)) : NULL;

	return vi && __atomic_load_n(vi, __ATOMIC_ACQUIRE);
}

static int64_t register_vcpu_info(struct hcall *h, struct vcpu *v, uint64_t arg)
{
	struct vcpu_register_vcpu_info r;
	struct xen_domain *xd = h->xd;
	size_t size = vcpu_info_size(h);
	void *old, *new;
	uint64_t gpa;

	if (hcall_read(h, arg, &r, sizeof(r)))
		return -EFAULT;
	if (r.offset > PAGE_SIZE - size || r.mfn >= (1ULL << 52))
		return -EINVAL;
	gpa = (r.mfn << 12) + r.offset;
	new = gpa_to_hva(&xd->vm->mem, gpa, size);
	if (!new)
		return -EINVAL;
	pthread_mutex_lock(&xd->lock);
	/* Xen carries the current contents (pending selector, mask) to the new place. */
	old = current_vcpu_info(xd, v->index, size);
	if (old && old != new)
		memcpy(new, old, size);
	pthread_mutex_unlock(&xd->lock);
	if (set_vcpu_attr(v, KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO, gpa))
		return -EINVAL;
	pthread_mutex_lock(&xd->lock);
	xd->vcpus[v->index].vcpu_info_gpa = gpa;
	pthread_mutex_unlock(&xd->lock);
	return 0;
}

/* Time and runstate areas are given as guest-virtual addresses of the caller. */
static int64_t register_area(struct hcall *h, struct vcpu *v, uint64_t arg, uint16_t type,
			     size_t size)
{
	uint64_t gva, gpa;

	if (hcall_read(h, arg, &gva, sizeof(gva)))
		return -EFAULT;
	if (!h->long_mode)
		gva = (uint32_t)gva;
	if (gva == 0)
		return set_vcpu_attr(v, type, ~0ULL); /* unregister (KVM_XEN_INVALID_GPA) */
	if (guest_virt_to_phys(h->vcpu, gva, &gpa))
		return -EFAULT;
	/* KVM keeps each area in one page. */
	if ((gpa & (PAGE_SIZE - 1)) + size > PAGE_SIZE || !gpa_to_hva(&h->xd->vm->mem, gpa, size))
		return -EINVAL;
	return set_vcpu_attr(v, type, gpa);
}

static int64_t singleshot_timer(struct hcall *h, struct vcpu *v, uint64_t arg)
{
	struct vcpu_set_singleshot_timer t;
	struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_TIMER};

	if (v != h->vcpu)
		return -EINVAL; /* as on Xen: a vCPU sets only its own timer */
	if (hcall_read(h, arg, &t, sizeof(t)))
		return -EFAULT;
	/* KVM runs the timer in the kernel once VIRQ_TIMER is bound; else it has nowhere to go. */
	if (ioctl(v->fd, KVM_XEN_VCPU_GET_ATTR, &a) < 0 || a.u.timer.port == 0)
		return 0;
	a.u.timer.expires_ns = t.timeout_abs_ns;
	return ioctl(v->fd, KVM_XEN_VCPU_SET_ATTR, &a) < 0 ? -EINVAL : 0;
}

void xen_vcpu_seen_running(struct xen_domain *xd, unsigned index)
{
	struct xen_vcpu_state *s;

	if (!xd->vcpus || index >= xd->nr_vcpus)
		return;
	s = &xd->vcpus[index];
	/* Nearly always initialised already: look before locking. */
	if (__atomic_load_n(&s->initialised, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&xd->lock);
	/* As Xen's INIT/SIPI handling (hvm_vcpu_reset_state): initialised and up. */
	__atomic_store_n(&s->down, false, __ATOMIC_RELAXED);
	__atomic_store_n(&s->initialised, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&xd->lock);
}

/* VCPUOP_initialise (HVM/PVH): a vcpu_hvm_context for a vCPU never started; it stays down. */
static int64_t vcpu_initialise(struct hcall *h, struct vcpu *v, uint64_t arg)
{
	struct xen_vcpu_state *s = &h->xd->vcpus[v->index];
	struct vcpu_hvm_context ctx;
	struct kvm_sregs sregs = {0};
	struct kvm_regs regs;
	int r;

	/* Above the legacy slots a vCPU has no vcpu_info until it registers one. */
	if (v->index >= XEN_LEGACY_MAX_VCPUS && !s->vcpu_info_gpa)
		return -EINVAL;
	if (hcall_read(h, arg, &ctx, sizeof(ctx)))
		return -EFAULT;
	pthread_mutex_lock(&h->xd->lock);
	r = s->initialised ? -EEXIST : vcpu_hvm_context_to_kvm(&ctx, &regs, &sregs);
	if (!r) {
		s->start_regs = regs;
		s->start_sregs = sregs;
		s->start_pending = true;
		__atomic_store_n(&s->down, true, __ATOMIC_RELAXED);
		__atomic_store_n(&s->initialised, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&h->xd->lock);
	return r;
}

static int64_t vcpu_up(struct hcall *h, struct vcpu *v)
{
	struct xen_vcpu_state *s = &h->xd->vcpus[v->index];
	bool wake = false, start = false;
	int r = 0;

	pthread_mutex_lock(&h->xd->lock);
	if (!s->initialised) {
		r = -EINVAL;
	} else {
		wake = s->down;
		start = s->start_pending;
		s->start_pending = false;
		__atomic_store_n(&s->down, false, __ATOMIC_RELAXED);
	}
	if (start)
		vcpu_start_at(v, &s->start_regs, &s->start_sregs);
	pthread_mutex_unlock(&h->xd->lock);
	if (wake)
		vcpu_set_parked(v, false);
	return r;
}

/* The last vCPU to go down shuts the domain down, as on Xen. */
static int64_t vcpu_down(struct hcall *h, struct vcpu *v)
{
	struct xen_domain *xd = h->xd;
	bool others_up = false, was_down;

	pthread_mutex_lock(&xd->lock);
	for (unsigned i = 0; i < xd->nr_vcpus; i++)
		others_up |= i != v->index && !xd->vcpus[i].down;
	was_down = xd->vcpus[v->index].down;
	if (others_up)
		__atomic_store_n(&xd->vcpus[v->index].down, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&xd->lock);
	if (!others_up)
		vm_request_stop(xd->vm, VM_STOP_POWEROFF,
				"guest shut down (VCPUOP_down of its last vCPU)");
	else if (!was_down)
		vcpu_set_parked(v, true);
	return 0;
}

int64_t hcall_vcpu_op(struct hcall *h)
{
	unsigned cmd = (unsigned)h->arg[0];
	uint64_t id = h->arg[1], arg = h->arg[2];
	struct vm *vm = h->xd->vm;
	struct vcpu *v;

	if (id >= vm->nr_vcpus || !vm->vcpus[id])
		return -ENOENT;
	v = vm->vcpus[id];
	switch (cmd) {
	case VCPUOP_initialise:
		return vcpu_initialise(h, v, arg);
	case VCPUOP_up:
		return vcpu_up(h, v);
	case VCPUOP_down:
		return vcpu_down(h, v);
	case VCPUOP_is_up:
		return !__atomic_load_n(&h->xd->vcpus[id].down, __ATOMIC_RELAXED);
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(h, v, arg);
	case VCPUOP_register_vcpu_time_memory_area:
		return register_area(h, v, arg, KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO,
				     sizeof(struct vcpu_time_info));
	case VCPUOP_register_runstate_memory_area:
		return register_area(h, v, arg, KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR,
				     h->long_mode ? sizeof(struct vcpu_runstate_info) : 44);
	case VCPUOP_set_singleshot_timer:
		return singleshot_timer(h, v, arg);
	case VCPUOP_stop_singleshot_timer:
	case VCPUOP_stop_periodic_timer:
		/* Linux stops the periodic timer it never started; nothing runs until asked. */
		return 0;
	default:
		hcall_warn_once(h, __HYPERVISOR_vcpu_op, cmd, "vcpu_op");
		return -ENOSYS;
	}
}
