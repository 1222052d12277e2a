/* SPDX-License-Identifier: MIT */
/* HVMOP_*: HVM parameters (where the store and console are) and upcall vectors. */
#include "core/vcpu.h"
#include "core/vm.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

/* Vectors below 0x10 are exceptions and reserved ones. */
#define MIN_UPCALL_VECTOR 0x10

static int get_param(struct xen_domain *xd, uint32_t index, uint64_t *value)
{
	switch (index) {
	case HVM_PARAM_STORE_PFN:
		*value = XEN_STORE_PFN;
		return 0;
	case HVM_PARAM_STORE_EVTCHN:
		*value = (uint64_t)xd->store_port;
		return 0;
	case HVM_PARAM_CONSOLE_PFN:
		*value = XEN_CONSOLE_PFN;
		return 0;
	case HVM_PARAM_CONSOLE_EVTCHN:
		*value = (uint64_t)xd->console_port;
		return 0;
	case HVM_PARAM_CALLBACK_IRQ:
		*value = xd->callback_via;
		return 0;
	default:
		return -EINVAL;
	}
}

static int set_vm_upcall_vector(struct xen_domain *xd, uint8_t vector)
{
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_UPCALL_VECTOR};

	a.u.vector = vector;
	return ioctl(xd->vm->vm_fd, KVM_XEN_HVM_SET_ATTR, &a) < 0 ? -EINVAL : 0;
}

/* HVM_PARAM_CALLBACK_IRQ: how events reach the guest when no per-vCPU vector is set. */
static int set_callback(struct hcall *h, uint64_t via)
{
	unsigned type = (unsigned)(via >> 56);
	int r;

	if (type == HVM_PARAM_CALLBACK_TYPE_VECTOR) {
		uint8_t vector = (uint8_t)via;

		if (vector < MIN_UPCALL_VECTOR)
			return -EINVAL;
		r = set_vm_upcall_vector(h->xd, vector);
	} else if (via == 0) {
		r = set_vm_upcall_vector(h->xd, 0); /* delivery off */
	} else if (type == HVM_PARAM_CALLBACK_TYPE_GSI && via == 1) {
		/*
		 * Linux writes GSI 1 once it uses per-vCPU upcall vectors, only so
		 * a toolstack sees an enlightened guest.  Recorded, not delivered.
		 */
		r = 0;
	} else {
		/* GSI and PCI INTx delivery come with the platform device (HVM guests). */
		hcall_warn_once(h, __HYPERVISOR_hvm_op, 0,
				"HVM_PARAM_CALLBACK_IRQ via GSI or PCI INTx");
		return -ENOSYS;
	}
	if (!r)
		h->xd->callback_via = via;
	return r;
}

static int64_t param_op(struct hcall *h, bool set)
{
	struct xen_hvm_param p;
	int r;

	if (hcall_read(h, h->arg[1], &p, sizeof(p)))
		return -EFAULT;
	if (p.domid != DOMID_SELF && p.domid != h->xd->domid)
		return -ESRCH;
	if (p.index >= HVM_NR_PARAMS)
		return -EINVAL;
	if (set) {
		if (p.index == HVM_PARAM_CALLBACK_IRQ)
			return set_callback(h, p.value);
		/* The toolstack's parameters (store, console) are read-only to the guest. */
		return -EPERM;
	}
	r = get_param(h->xd, p.index, &p.value);
	if (!r && hcall_write(h, h->arg[1], &p, sizeof(p)))
		return -EFAULT;
	return r;
}

static int64_t set_upcall_vector(struct hcall *h)
{
	struct xen_hvm_evtchn_upcall_vector u;
	struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR};
	struct vm *vm = h->xd->vm;

	if (hcall_read(h, h->arg[1], &u, sizeof(u)))
		return -EFAULT;
	if (u.vcpu >= vm->nr_vcpus || !vm->vcpus[u.vcpu])
		return -ENOENT;
	if (u.vector < MIN_UPCALL_VECTOR)
		return -EINVAL;
	a.u.vector = u.vector;
	return vcpu_set_xen_attr(vm->vcpus[u.vcpu], &a) ? -EINVAL : 0;
}

int64_t hcall_hvm_op(struct hcall *h)
{
	switch (h->arg[0]) {
	case HVMOP_set_param:
		return param_op(h, true);
	case HVMOP_get_param:
		return param_op(h, false);
	case HVMOP_set_evtchn_upcall_vector:
		return set_upcall_vector(h);
	case HVMOP_pagetable_dying:
	case HVMOP_flush_tlbs:
		/* Optional on Xen too: guests fall back to their own shootdowns. */
		return -ENOSYS;
	default:
		hcall_warn_once(h, __HYPERVISOR_hvm_op, (unsigned)h->arg[0], "hvm_op");
		return -ENOSYS;
	}
}
