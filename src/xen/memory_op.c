/* SPDX-License-Identifier: MIT */
/*
 * XENMEM_*: placing Xen's pages in the guest's physical address space,
 * the memory map, and reservation changes (ballooning).
 */
#include "arch/x86/e820.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "xen/vcpu_attr.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <errno.h>
#include <stdlib.h>
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
/* Extents done in one reservation call (Xen preempts longer ones; we stop early). */
#define MAX_EXTENTS (1U << 20)
/* The largest extent an unprivileged x86 guest may ask for (Xen's domu_max_order). */
#define DOMU_MAX_ORDER 9

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
		if (xen_vcpu_set_attr(v, &a))
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
	/* vCPUs' vcpu_info first: events held until now are delivered next. */
	point_vcpu_info_at_shared_info(xd, gfn);
	evtchn_set_shared_info(&xd->evtchn, page, xd->long_mode);
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

/* xen_add_to_physmap_batch from entry `start`: idxs[], gpfns[] and errs[] are guest arrays. */
static int64_t add_to_physmap_batch(struct hcall *h, uint64_t gva, unsigned start)
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
	for (unsigned i = start; i < hdr[2]; i++) {
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
	uint32_t mem_flags;
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
	r->mem_flags = order_flags[1];
	return 0;
}

/* The domain starts with all its RAM populated, at its maximum (as a full xl domain). */
static void reservation_init(struct xen_domain *xd)
{
	if (!xd->max_pages)
		xd->tot_pages = xd->max_pages = xd->vm->mem.size >> PAGE_SHIFT;
}

/* Whether gfn is guest RAM, and if so the index of its page (its offset in the RAM mapping). */
static bool ram_page(struct xen_domain *xd, uint64_t gfn, uint64_t *page)
{
	uint8_t *hva;

	if (gfn >= (1ULL << (64 - PAGE_SHIFT)))
		return false;
	hva = gpa_to_hva(&xd->vm->mem, gfn << PAGE_SHIFT, PAGE_SIZE);
	if (!hva)
		return false;
	*page = (uint64_t)(hva - xd->vm->mem.base) >> PAGE_SHIFT;
	return true;
}

static bool is_unpopulated(const struct xen_domain *xd, uint64_t page)
{
	return xd->unpopulated && (xd->unpopulated[page / 8] >> (page % 8)) & 1;
}

static int set_unpopulated(struct xen_domain *xd, uint64_t page, bool on)
{
	uint8_t bit = (uint8_t)(1u << (page % 8));

	if (!xd->unpopulated)
		xd->unpopulated = calloc((xd->max_pages + 7) / 8, 1);
	if (!xd->unpopulated)
		return -ENOMEM;
	if (on)
		xd->unpopulated[page / 8] |= bit;
	else
		xd->unpopulated[page / 8] &= (uint8_t)~bit;
	/* Either way the page is (or will be) a fresh one: give the host memory back. */
	madvise(xd->vm->mem.base + (page << PAGE_SHIFT), PAGE_SIZE, MADV_DONTNEED);
	return 0;
}

/*
 * Xen allocates the extent first (none left above max_pages: stop), then
 * maps it over whatever the frames held; a page that was populated keeps
 * counting against the domain, as on Xen.  We can only back guest RAM
 * frames, so an extent outside RAM stops too (Xen could fill a hole).
 */
static bool populate_extent(struct xen_domain *xd, uint64_t gfn, unsigned order)
{
	uint64_t n = 1ULL << order, page;

	if (xd->tot_pages + n > xd->max_pages)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (!ram_page(xd, gfn + i, &page))
			return false;
	for (uint64_t i = 0; i < n; i++)
		if (!ram_page(xd, gfn + i, &page) || set_unpopulated(xd, page, false))
			return false;
	xd->tot_pages += n;
	return true;
}

/*
 * Xen removes the extent's pages in order and stops at the first that is
 * not populated RAM (guest_remove_page: -ENOENT); pages removed before it
 * stay removed, and the extent does not count.
 */
static bool decrease_extent(struct xen_domain *xd, uint64_t gfn, unsigned order)
{
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		uint64_t page;

		if (!ram_page(xd, gfn + i, &page) || is_unpopulated(xd, page) ||
		    set_unpopulated(xd, page, true))
			return false;
		xd->tot_pages--;
	}
	return true;
}

/* For an HVM guest Xen allocates the pages without mapping them. */
static bool increase_extent(struct xen_domain *xd, unsigned order)
{
	if (xd->tot_pages + (1ULL << order) > xd->max_pages)
		return false;
	xd->tot_pages += 1ULL << order;
	return true;
}

/* Whether Xen gets as far as the extents (construct_memop_from_reservation and its checks). */
static bool reservation_ok(struct hcall *h, unsigned cmd, const struct reservation *r)
{
	unsigned bits = XENMEMF_get_address_bits(r->mem_flags);

	if (!is_self(h->xd, r->domid) || r->extent_order > DOMU_MAX_ORDER)
		return false;
	if (bits && bits <= PAGE_SHIFT)
		return false;
	/* Populate-on-demand is for a toolstack to ask on another domain's behalf. */
	return !(cmd == XENMEM_populate_physmap && (r->mem_flags & XENMEMF_populate_on_demand));
}

/*
 * increase_reservation, decrease_reservation and populate_physmap, from
 * extent `start` (a continuation's, in the command's upper bits).  Like
 * Xen, the result is the number of extents done, and a call Xen refuses
 * outright (bad domain, order, flags or argument) does none of them.
 */
static int64_t change_reservation(struct hcall *h, unsigned cmd, uint64_t start, uint64_t gva)
{
	struct xen_domain *xd = h->xd;
	struct reservation r;
	uint64_t done = start, end;

	if (read_reservation(h, gva, &r) || r.nr_extents > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) ||
	    start >= r.nr_extents || !reservation_ok(h, cmd, &r))
		return (int64_t)start;
	/* Xen preempts long calls; we stop early instead, which the caller sees as partial. */
	end = r.nr_extents - start > MAX_EXTENTS ? start + MAX_EXTENTS : r.nr_extents;
	pthread_mutex_lock(&xd->lock);
	reservation_init(xd);
	for (; done < end; done++) {
		uint64_t gfn = 0;
		bool ok;

		if (cmd != XENMEM_increase_reservation &&
		    hcall_read_ulong(h, r.extent_start, done, &gfn))
			break;
		if (cmd == XENMEM_populate_physmap)
			ok = populate_extent(xd, gfn, r.extent_order);
		else if (cmd == XENMEM_decrease_reservation)
			ok = decrease_extent(xd, gfn, r.extent_order);
		else
			ok = increase_extent(xd, r.extent_order);
		if (!ok)
			break;
	}
	pthread_mutex_unlock(&xd->lock);
	return (int64_t)done;
}

/* XENMEM_current_reservation / maximum_reservation take a domid. */
static int64_t reservation_size(struct hcall *h, uint64_t gva, bool maximum)
{
	struct xen_domain *xd = h->xd;
	uint16_t domid;
	int64_t pages;

	if (hcall_read(h, gva, &domid, sizeof(domid)))
		return -EFAULT;
	/* Domain 0 exists but is not ours to look at; no other domain exists. */
	if (!is_self(xd, domid))
		return domid == 0 ? -EPERM : -ESRCH;
	pthread_mutex_lock(&xd->lock);
	reservation_init(xd);
	pages = (int64_t)(maximum ? xd->max_pages : xd->tot_pages);
	pthread_mutex_unlock(&xd->lock);
	return pages;
}

int64_t hcall_memory_op(struct hcall *h)
{
	unsigned cmd = (unsigned)(h->arg[0] & MEMOP_CMD_MASK);
	uint64_t start = h->arg[0] >> MEMOP_EXTENT_SHIFT, arg = h->arg[1];

	switch (cmd) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return change_reservation(h, cmd, start, arg);
	case XENMEM_add_to_physmap:
	case XENMEM_add_to_physmap_batch:
		/* Xen resumes these from a start extent that fits their 16-bit size. */
		if (start > UINT16_MAX)
			return -EDOM;
		if (cmd == XENMEM_add_to_physmap)
			return add_to_physmap(h, arg); /* only gmfn_range (not offered) resumes */
		return add_to_physmap_batch(h, arg, (unsigned)start);
	case XENMEM_memory_map:
		return memory_map(h, arg); /* Xen ignores a start extent here */
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		if (start)
			return -EINVAL;
		return reservation_size(h, arg, cmd == XENMEM_maximum_reservation);
	default:
		hcall_warn_once(h, __HYPERVISOR_memory_op, cmd, "memory_op");
		return -ENOSYS;
	}
}
