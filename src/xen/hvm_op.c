/* SPDX-License-Identifier: MIT */
/* HVMOP_*: HVM parameters (where the store and console are) and upcall vectors. */
#include "core/vcpu.h"
#include "core/vm.h"
#include "xen/vcpu_attr.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

/* Vectors below 0x10 are exceptions and reserved ones. */
#define MIN_UPCALL_VECTOR 0x10

/* What an HVM guest may do with its own parameter (Xen 4.17's hvm_allow_{get,set}_param). */
enum param_access { PARAM_HIDDEN, PARAM_DEPRECATED, PARAM_READ, PARAM_READ_WRITE };

static enum param_access param_access(uint32_t index)
{
	switch (index) {
	case HVM_PARAM_CALLBACK_IRQ:
	case HVM_PARAM_VM86_TSS:
	case HVM_PARAM_VM86_TSS_SIZED:
	case HVM_PARAM_ACPI_IOPORTS_LOCATION:
	case HVM_PARAM_VM_GENERATION_ID_ADDR:
	case HVM_PARAM_STORE_EVTCHN:
	case HVM_PARAM_CONSOLE_EVTCHN:
	case HVM_PARAM_X87_FIP_WIDTH:
		return PARAM_READ_WRITE;
	case HVM_PARAM_STORE_PFN:
	case HVM_PARAM_CONSOLE_PFN:
	case HVM_PARAM_ALTP2M:
		return PARAM_READ;
	case HVM_PARAM_PAE_ENABLED:
	case HVM_PARAM_DM_DOMAIN:
	case HVM_PARAM_MEMORY_EVENT_CR0:
	case HVM_PARAM_MEMORY_EVENT_CR3:
	case HVM_PARAM_MEMORY_EVENT_CR4:
	case HVM_PARAM_MEMORY_EVENT_INT3:
	case HVM_PARAM_NESTEDHVM:
	case HVM_PARAM_MEMORY_EVENT_SINGLE_STEP:
	case HVM_PARAM_BUFIOREQ_EVTCHN:
	case HVM_PARAM_MEMORY_EVENT_MSR:
		return PARAM_DEPRECATED;
	default:
		return PARAM_HIDDEN; /* the toolstack's and device model's */
	}
}

/* 0, or what Xen answers a guest that may not use the parameter this way. */
static int param_allowed(uint32_t index, bool set)
{
	enum param_access a = param_access(index);

	if (a == PARAM_DEPRECATED)
		return -EINVAL;
	if (a == PARAM_HIDDEN || (set && a == PARAM_READ))
		return -EPERM;
	return 0;
}

static int set_vm_upcall_vector(struct xen_domain *xd, uint8_t vector)
{
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_UPCALL_VECTOR};

	a.u.vector = vector;
	return ioctl(xd->vm->vm_fd, KVM_XEN_HVM_SET_ATTR, &a) < 0 ? -EINVAL : 0;
}

/* HVM_PARAM_CALLBACK_IRQ via a line of the machine's (HVM guests), driven by the Xen service. */
static int set_callback_line(struct hcall *h, uint64_t via)
{
	int r = set_vm_upcall_vector(h->xd, 0);

	if (!r)
		r = xen_callback_line_choose(&h->xd->callback, via);
	if (r == -ENOSYS)
		hcall_warn_once(h, __HYPERVISOR_hvm_op, 0,
				"HVM_PARAM_CALLBACK_IRQ via GSI or PCI INTx (no lines)");
	if (!r)
		xen_callback_update(h->xd);
	return r;
}

/*
 * HVM_PARAM_CALLBACK_IRQ: how events reach the guest when no per-vCPU
 * vector is set.  Linux writes GSI 1 once it uses per-vCPU upcall
 * vectors, so a toolstack sees an enlightened guest: as on Xen, a vCPU 0
 * with its own vector never raises the line.
 */
static int set_callback(struct hcall *h, uint64_t via)
{
	unsigned type = (unsigned)(via >> 56);
	int r;

	if (via &&
	    (type == HVM_PARAM_CALLBACK_TYPE_GSI || type == HVM_PARAM_CALLBACK_TYPE_PCI_INTX)) {
		r = set_callback_line(h, via);
	} else if (type == HVM_PARAM_CALLBACK_TYPE_VECTOR) {
		uint8_t vector = (uint8_t)via;

		if (vector < MIN_UPCALL_VECTOR)
			return -EINVAL;
		r = set_vm_upcall_vector(h->xd, vector);
		if (!r)
			xen_callback_line_choose(&h->xd->callback, 0);
	} else {
		/* 0, or a type Xen does not know: no callback. */
		r = set_vm_upcall_vector(h->xd, 0);
		xen_callback_line_choose(&h->xd->callback, 0);
	}
	if (!r)
		h->xd->hvm_params[HVM_PARAM_CALLBACK_IRQ] = via;
	return r;
}

/* A parameter Xen only stores for the guest (X87_FIP_WIDTH: one of the widths it knows). */
static int set_plain_param(struct xen_domain *xd, uint32_t index, uint64_t value)
{
	if (index == HVM_PARAM_X87_FIP_WIDTH && value != 0 && value != 2 && value != 4 &&
	    value != 8)
		return -EINVAL;
	pthread_mutex_lock(&xd->lock);
	xd->hvm_params[index] = value;
	pthread_mutex_unlock(&xd->lock);
	return 0;
}

static int64_t param_op(struct hcall *h, bool set)
{
	struct xen_domain *xd = h->xd;
	struct xen_hvm_param p;
	int r;

	if (hcall_read(h, h->arg[1], &p, sizeof(p)))
		return -EFAULT;
	if (p.index >= HVM_NR_PARAMS)
		return -EINVAL;
	/* Domain 0 exists but is not the guest's to look at; no other domain exists. */
	if (p.domid != DOMID_SELF && p.domid != xd->domid)
		return p.domid == 0 ? -EPERM : -ESRCH;
	r = param_allowed(p.index, set);
	if (r)
		return r;
	if (set)
		return p.index == HVM_PARAM_CALLBACK_IRQ ? set_callback(h, p.value)
							 : set_plain_param(xd, p.index, p.value);
	pthread_mutex_lock(&xd->lock);
	p.value = xd->hvm_params[p.index];
	pthread_mutex_unlock(&xd->lock);
	return hcall_write(h, h->arg[1], &p, sizeof(p)) ? -EFAULT : 0;
}

static int64_t set_upcall_vector(struct hcall *h)
{
	struct xen_hvm_evtchn_upcall_vector u;
	struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR};
	struct vm *vm = h->xd->vm;

	if (hcall_read(h, h->arg[1], &u, sizeof(u)))
		return -EFAULT;
	if (u.vector < MIN_UPCALL_VECTOR)
		return -EINVAL;
	if (u.vcpu >= vm->nr_vcpus || !vm->vcpus[u.vcpu])
		return -ENOENT;
	a.u.vector = u.vector;
	if (xen_vcpu_set_attr(vm->vcpus[u.vcpu], &a))
		return -EINVAL;
	if (u.vcpu < h->xd->nr_vcpus)
		h->xd->vcpus[u.vcpu].upcall_vector = u.vector;
	return 0;
}

/* Xen's clock: the pvclock system time, which KVM keeps as kvmclock. */
static int64_t get_time(struct hcall *h)
{
	struct kvm_clock_data clock = {0};
	struct xen_hvm_get_time t;

	if (ioctl(h->xd->vm->vm_fd, KVM_GET_CLOCK, &clock) < 0)
		return -EIO;
	t.now = clock.clock;
	return hcall_write(h, h->arg[1], &t, sizeof(t));
}

/* RAM (the guest's, or a page Xen placed for it) is ram_rw; anything else the device model's. */
static int64_t get_mem_type(struct hcall *h)
{
	struct xen_hvm_get_mem_type m;
	struct vm *vm = h->xd->vm;
	uint64_t gpa;

	if (hcall_read(h, h->arg[1], &m, sizeof(m)))
		return -EFAULT;
	if (m.domid != DOMID_SELF && m.domid != h->xd->domid)
		return m.domid == 0 ? -EPERM : -ESRCH;
	gpa = m.pfn < (1ULL << 52) ? m.pfn << 12 : 0;
	m.mem_type = m.pfn < (1ULL << 52) &&
			     (gpa_to_hva(&vm->mem, gpa, 4096) || vm_overlay_hva(vm, gpa, 4096))
			 ? HVMMEM_ram_rw
			 : HVMMEM_mmio_dm;
	return hcall_write(h, h->arg[1], &m, sizeof(m));
}

/* Only a shadow-paging Xen does anything with it: with hardware paging (ours) -EINVAL. */
static int64_t pagetable_dying(struct hcall *h)
{
	struct xen_hvm_pagetable_dying d;

	if (hcall_read(h, h->arg[1], &d, sizeof(d)))
		return -EFAULT;
	if (d.domid != DOMID_SELF && d.domid != h->xd->domid)
		return d.domid == 0 ? -EOPNOTSUPP : -ESRCH;
	return -EINVAL;
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
	case HVMOP_get_time:
		return get_time(h);
	case HVMOP_get_mem_type:
		return get_mem_type(h);
	case HVMOP_pagetable_dying:
		return pagetable_dying(h);
	case HVMOP_flush_tlbs:
		/*
		 * Xen flushes every vCPU's TLB; the VMM has no way to make KVM do
		 * that, so the guest is told it is not offered and shoots down
		 * itself.  An argument is an error on Xen too.
		 */
		return h->arg[1] ? -EINVAL : -ENOSYS;
	default:
		hcall_warn_once(h, __HYPERVISOR_hvm_op, (unsigned)h->arg[0], "hvm_op");
		return -ENOSYS;
	}
}
