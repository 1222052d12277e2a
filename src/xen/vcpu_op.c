/* SPDX-License-Identifier: MIT */
/*
 * VCPUOP_*: where a vCPU's vcpu_info, time and runstate areas live, and
 * its timers.  KVM keeps the areas up to date once told their addresses.
 */
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/guest_access.h"
#include "xen/hypercall.h"

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
	return vcpu_set_xen_attr(v, &a) ? -EINVAL : 0;
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
	case VCPUOP_is_up:
		return 1;
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
		/* up/down/initialise: PVH vCPUs start through the local APIC (INIT/SIPI). */
		hcall_warn_once(h, __HYPERVISOR_vcpu_op, cmd, "vcpu_op");
		return -ENOSYS;
	}
}
