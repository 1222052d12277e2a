/* SPDX-License-Identifier: MIT */
/*
 * XENMEM_*: placing Xen's pages in the guest's physical address space,
 * the memory map, and reservation changes (ballooning).
 */
#include "arch/x86/e820.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>
#include <xen/xen.h>
#include <xen/memory.h>

/* memory_op's command is the low 6 bits; above them Xen encodes a continuation's start extent. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK	   ((1U << MEMOP_EXTENT_SHIFT) - 1)

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ULL << PAGE_SHIFT)
/* Bound one batch or reservation call (Xen preempts; we just refuse huge ones). */
#define MAX_EXTENTS	 (1U << 20)
#define MAX_EXTENT_ORDER 18

/* xen_add_to_physmap in the guest's ABI width (32-bit guests have 32-bit idx and gpfn). */
struct add_to_physmap {
	uint16_t domid;
	uint16_t size;
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

static int read_add_to_physmap(struct hcall *h, uint64_t gva, struct add_to_physmap *a)
{
	if (h->long_mode) {
		struct xen_add_to_physmap x;

		if (hcall_read(h, gva, &x, sizeof(x)))
			return -EFAULT;
		*a = (struct add_to_physmap){x.domid, x.size, x.space, x.idx, x.gpfn};
		return 0;
	}
	struct {
		uint16_t domid, size;
		uint32_t space, idx, gpfn;
	} c;
	if (hcall_read(h, gva, &c, sizeof(c)))
		return -EFAULT;
	*a = (struct add_to_physmap){c.domid, c.size, c.space, c.idx, c.gpfn};
	return 0;
}

static bool is_self(const struct xen_domain *xd, uint16_t domid)
{
	return domid == DOMID_SELF || domid == xd->domid;
}

/* Host view of the page at gfn: guest RAM, or a fresh VMM page placed in the hole. */
static void *page_at(struct xen_domain *xd, uint64_t gfn)
{
	uint64_t gpa = gfn << PAGE_SHIFT;
	void *hva;

	if (gfn >= (1ULL << (64 - PAGE_SHIFT)))
		return NULL;
	hva = gpa_to_hva(&xd->vm->mem, gpa, PAGE_SIZE);
	if (!hva)
		hva = vm_overlay_hva(xd->vm, gpa, PAGE_SIZE);
	if (!hva)
		hva = vm_map_overlay(xd->vm, gpa, PAGE_SIZE, NULL);
	return hva;
}

/*
 * vCPUs that never registered a vcpu_info of their own use their legacy
 * slot in shared_info; KVM has to be told where that is.
 */
static void point_vcpu_info_at_shared_info(struct xen_domain *xd, uint64_t gfn)
{
	for (unsigned i = 0; i < xd->nr_vcpus && i < XEN_LEGACY_MAX_VCPUS; i++) {
		struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO};
		struct vcpu *v = xd->vm->vcpus[i];

		if (!v || xd->vcpus[i].vcpu_info_gpa)
			continue;
		/* Both ABI widths lay out vcpu_info in 64 bytes. */
		a.u.gpa = (gfn << PAGE_SHIFT) + i * sizeof(struct vcpu_info);
		if (vcpu_set_xen_attr(v, &a))
			pr_warn("xen: vCPU %u: cannot place its vcpu_info", i);
	}
}

void *xen_place_page(void *opaque, uint64_t gfn)
{
	return page_at(opaque, gfn);
}

static int place_shared_info(struct xen_domain *xd, uint64_t gfn)
{
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_SHARED_INFO};
	void *page = page_at(xd, gfn);

	if (!page)
		return -EINVAL;
	/* A fresh shared_info: KVM then fills in the wall clock and vCPU times. */
	memset(page, 0, PAGE_SIZE);
	a.u.shared_info.gfn = gfn;
	if (ioctl(xd->vm->vm_fd, KVM_XEN_HVM_SET_ATTR, &a) < 0) {
		pr_warn("xen: KVM refused shared_info at gfn 0x%llx: %s", (unsigned long long)gfn,
			strerror(errno));
		return -EINVAL;
	}
	pthread_mutex_lock(&xd->lock);
	xd->shared_info_gfn = gfn;
	pthread_mutex_unlock(&xd->lock);
	evtchn_set_shared_info(&xd->evtchn, page, xd->long_mode);
	point_vcpu_info_at_shared_info(xd, gfn);
	return 0;
}

static int add_one(struct hcall *h, unsigned space, uint64_t idx, uint64_t gfn)
{
	switch (space) {
	case XENMAPSPACE_shared_info:
		return idx == 0 ? place_shared_info(h->xd, gfn) : -EINVAL;
	case XENMAPSPACE_grant_table:
		/* Status frames only exist in grant table v2. */
		if (idx & XENMAPIDX_grant_table_status)
			return -EINVAL;
		return gnttab_set_frame(&h->xd->gnttab,
					(unsigned)(idx > UINT32_MAX ? UINT32_MAX : idx), gfn);
	case XENMAPSPACE_gmfn:
	case XENMAPSPACE_gmfn_range:
	case XENMAPSPACE_gmfn_foreign:
	case XENMAPSPACE_dev_mmio:
		hcall_warn_once(h, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, "map space");
		return -ENOSYS;
	default:
		return -EINVAL;
	}
}

static int64_t add_to_physmap(struct hcall *h, uint64_t gva)
{
	struct add_to_physmap a;

	if (read_add_to_physmap(h, gva, &a))
		return -EFAULT;
	if (!is_self(h->xd, a.domid))
		return -ESRCH;
	return add_one(h, a.space, a.idx, a.gpfn);
}

/* xen_add_to_physmap_batch: idxs[], gpfns[] and errs[] are guest arrays. */
static int64_t add_to_physmap_batch(struct hcall *h, uint64_t gva)
{
	uint16_t hdr[4]; /* domid, space, size, foreign domid */
	uint64_t idxs, gpfns, errs;
	uint64_t w = h->long_mode ? 8 : 4;

	if (hcall_read(h, gva, hdr, sizeof(hdr)) || hcall_read_ulong(h, gva + 8, 0, &idxs) ||
	    hcall_read_ulong(h, gva + 8 + w, 0, &gpfns) ||
	    hcall_read_ulong(h, gva + 8 + 2 * w, 0, &errs))
		return -EFAULT;
	if (!is_self(h->xd, hdr[0]))
		return -ESRCH;
	for (unsigned i = 0; i < hdr[2]; i++) {
		uint64_t idx, gfn;
		int32_t err;

		if (hcall_read_ulong(h, idxs, i, &idx) || hcall_read_ulong(h, gpfns, i, &gfn))
			return -EFAULT;
		err = add_one(h, hdr[1], idx, gfn);
		if (hcall_write(h, errs + 4ULL * i, &err, sizeof(err)))
			return -EFAULT;
	}
	return 0;
}

static int64_t memory_map(struct hcall *h, uint64_t gva)
{
	struct e820_entry e820[E820_MAX_ENTRIES];
	unsigned n = e820_build(&h->xd->vm->mem, e820);
	uint32_t nr_entries;
	uint64_t buffer;
	uint64_t w = h->long_mode ? 8 : 4;

	/* struct xen_memory_map: unsigned nr_entries, then a handle aligned to its width. */
	if (hcall_read(h, gva, &nr_entries, sizeof(nr_entries)) ||
	    hcall_read_ulong(h, gva + w, 0, &buffer))
		return -EFAULT;
	if (nr_entries < n)
		n = nr_entries;
	for (unsigned i = 0; i < n; i++) {
		struct __attribute__((packed)) {
			uint64_t addr, size;
			uint32_t type;
		} out = {e820[i].addr, e820[i].size, e820[i].type};

		if (hcall_write(h, buffer + i * sizeof(out), &out, sizeof(out)))
			return -EFAULT;
	}
	nr_entries = n;
	return hcall_write(h, gva, &nr_entries, sizeof(nr_entries));
}

/* struct xen_memory_reservation in the guest's width. */
struct reservation {
	uint64_t extent_start;
	uint64_t nr_extents;
	uint32_t extent_order;
	uint16_t domid;
};

static int read_reservation(struct hcall *h, uint64_t gva, struct reservation *r)
{
	uint64_t w = h->long_mode ? 8 : 4;
	uint32_t order_flags[2];

	if (hcall_read_ulong(h, gva, 0, &r->extent_start) ||
	    hcall_read_ulong(h, gva, 1, &r->nr_extents) ||
	    hcall_read(h, gva + 2 * w, order_flags, sizeof(order_flags)) ||
	    hcall_read(h, gva + 2 * w + 8, &r->domid, sizeof(r->domid)))
		return -EFAULT;
	r->extent_order = order_flags[0];
	return 0;
}

/*
 * Populate or release extents of guest RAM.  RAM is always populated here,
 * so populate only checks; release gives the host memory back.  Returns
 * the number of extents done, as Xen does.
 */
static int64_t change_reservation(struct hcall *h, uint64_t gva, bool release)
{
	struct reservation r;
	uint64_t done = 0;

	if (read_reservation(h, gva, &r))
		return -EFAULT;
	if (!is_self(h->xd, r.domid))
		return -ESRCH;
	if (r.extent_order > MAX_EXTENT_ORDER || r.nr_extents > MAX_EXTENTS)
		return -EINVAL;
	for (; done < r.nr_extents; done++) {
		uint64_t gfn, bytes = PAGE_SIZE << r.extent_order;
		void *hva;

		if (hcall_read_ulong(h, r.extent_start, done, &gfn) ||
		    gfn >= (1ULL << (64 - PAGE_SHIFT)) - (1ULL << r.extent_order))
			break;
		hva = gpa_to_hva(&h->xd->vm->mem, gfn << PAGE_SHIFT, bytes);
		if (!hva || ((uintptr_t)hva & (PAGE_SIZE - 1)))
			break;
		if (release)
			madvise(hva, bytes, MADV_DONTNEED);
	}
	return (int64_t)done;
}

static int64_t reservation_size(struct hcall *h, uint64_t gva)
{
	uint16_t domid;

	if (hcall_read(h, gva, &domid, sizeof(domid)))
		return -EFAULT;
	if (!is_self(h->xd, domid))
		return -ESRCH;
	return (int64_t)(h->xd->vm->mem.size >> PAGE_SHIFT);
}

int64_t hcall_memory_op(struct hcall *h)
{
	unsigned cmd = (unsigned)(h->arg[0] & MEMOP_CMD_MASK);
	uint64_t arg = h->arg[1];

	/* A continuation start extent in the upper bits is never produced by us. */
	if (h->arg[0] >> MEMOP_EXTENT_SHIFT)
		return -EINVAL;
	switch (cmd) {
	case XENMEM_add_to_physmap:
		return add_to_physmap(h, arg);
	case XENMEM_add_to_physmap_batch:
		return add_to_physmap_batch(h, arg);
	case XENMEM_memory_map:
		return memory_map(h, arg);
	case XENMEM_increase_reservation:
	case XENMEM_populate_physmap:
		return change_reservation(h, arg, false);
	case XENMEM_decrease_reservation:
		return change_reservation(h, arg, true);
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		return reservation_size(h, arg);
	default:
		hcall_warn_once(h, __HYPERVISOR_memory_op, cmd, "memory_op");
		return -ENOSYS;
	}
}
