/* SPDX-License-Identifier: MIT */
/*
 * Hypercall dispatch and argument checks with a hostile guest.  There is
 * no KVM here: the vCPU fd is -1, so every guest pointer fails to
 * translate, which is exactly the -EFAULT path a bad pointer takes.
 */
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/test.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/hvm/params.h>
#include <xen/features.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

/*
 * A guest with RAM: its vCPU fd is IDENTITY_VCPU_FD, for which the
 * stand-in ioctl below translates virtual to physical one to one (as the
 * test guest's own page tables do), so arguments can be laid out in RAM.
 */
#define IDENTITY_VCPU_FD 1000
#define RAM_PAGES	 64
#define RAM_SIZE	 (RAM_PAGES * 4096ULL)
#define RES_GPA		 0x1000 /* a struct xen_memory_reservation */
#define LIST_GPA	 0x2000 /* its extent list */
#define DOMID_GPA	 0x3000 /* a domid_t for current/maximum_reservation */

int ioctl(int fd, unsigned long request, ...)
{
	struct kvm_translation *tr;
	va_list ap;

	if (fd != IDENTITY_VCPU_FD || request != KVM_TRANSLATE) {
		errno = EBADF;
		return -1;
	}
	va_start(ap, request);
	tr = va_arg(ap, struct kvm_translation *);
	va_end(ap);
	tr->physical_address = tr->linear_address;
	tr->valid = tr->linear_address < RAM_SIZE;
	tr->writeable = 1;
	return 0;
}

struct fixture {
	uint8_t *ram;
	struct vm vm;
	struct vcpu vcpu, vcpu1;
	struct vcpu *vcpus[2];
	struct xen_vcpu_state vcpu_state[2];
	struct xen_domain xd;
	struct kvm_run run;
	struct hcall h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->vm.vm_fd = -1;
	f->vm.stop_fd = -1;
	f->vm.nr_vcpus = 1;
	f->vm.vcpus = f->vcpus;
	f->vcpus[0] = &f->vcpu;
	f->vcpu.vm = &f->vm;
	f->vcpu1 = (struct vcpu){.vm = &f->vm, .index = 1, .fd = -1};
	pthread_mutex_init(&f->vcpu.attr_lock, NULL);
	pthread_mutex_init(&f->vcpu1.attr_lock, NULL);
	pthread_mutex_init(&f->vm.stop_lock, NULL);
	pthread_cond_init(&f->vm.pause_cond, NULL);
	f->xd.nr_vcpus = 1;
	f->xd.vcpus = f->vcpu_state;
	f->vcpu_state[0].initialised = true;
	f->vcpu_state[1].down = true;
	f->vcpu.fd = -1;
	f->vcpu.run = &f->run;
	f->xd.vm = &f->vm;
	f->xd.domid = 1;
	f->xd.long_mode = true;
	pthread_mutex_init(&f->xd.lock, NULL);
	evtchn_init(&f->xd.evtchn, &f->vm, 1);
	vm_set_personality(&f->vm, &xen_personality, &f->xd);
	f->h = (struct hcall){.xd = &f->xd, .vcpu = &f->vcpu, .long_mode = true};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->ram)
		munmap(f->ram, RAM_SIZE);
	free(f->xd.unpopulated);
	pthread_mutex_destroy(&f->vcpu.attr_lock);
	pthread_mutex_destroy(&f->vcpu1.attr_lock);
	pthread_mutex_destroy(&f->vm.stop_lock);
	pthread_cond_destroy(&f->vm.pause_cond);
	evtchn_destroy(&f->xd.evtchn);
	pthread_mutex_destroy(&f->xd.lock);
	free(f);
	return 0;
}

static int setup_with_ram(void **state)
{
	struct fixture *f;

	setup(state);
	f = *state;
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->ram == MAP_FAILED)
		return -1;
	f->vm.mem.base = f->ram;
	f->vm.mem.size = RAM_SIZE;
	f->vm.mem.nr_regions = 1;
	f->vm.mem.regions[0] = (struct mem_region){.gpa = 0, .size = RAM_SIZE, .hva = f->ram};
	f->vcpu.fd = IDENTITY_VCPU_FD;
	return 0;
}

static int64_t call(struct fixture *f, unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	f->h.arg[0] = a0;
	f->h.arg[1] = a1;
	f->h.arg[2] = a2;
	return xen_hypercall(&f->h, nr);
}

static void version_is_4_17(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, __HYPERVISOR_xen_version, XENVER_version, 0, 0), 0x40011);
	assert_int_equal(call(f, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0), 4096);
}

static void unknown_calls_are_enosys(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, 50, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(f, 0xffffffffU, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_xen_version, 999, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_sched_op, 99, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_hvm_op, 999, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_memory_op, 63, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_event_channel_op, 99, 0, 0), -ENOSYS);
	assert_int_equal(call(f, __HYPERVISOR_grant_table_op, 99, 0, 1), -ENOSYS);
}

static void bad_pointers_are_efault(void **state)
{
	struct fixture *f = *state;
	const uint64_t bad[] = {0, 0x1000, 0xdead000000000000ULL, ~0ULL};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call(f, __HYPERVISOR_xen_version, XENVER_extraversion, bad[i], 0),
				 -EFAULT);
		assert_int_equal(call(f, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, bad[i], 0),
				 -EFAULT);
		assert_int_equal(call(f, __HYPERVISOR_hvm_op, HVMOP_get_param, bad[i], 0), -EFAULT);
		assert_int_equal(call(f, __HYPERVISOR_event_channel_op, EVTCHNOP_send, bad[i], 0),
				 -EFAULT);
		assert_int_equal(call(f, __HYPERVISOR_sched_op, SCHEDOP_shutdown, bad[i], 0),
				 -EFAULT);
		assert_int_equal(call(f, __HYPERVISOR_console_io, CONSOLEIO_write, 16, bad[i]),
				 -EFAULT);
	}
}

static void huge_console_io_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, __HYPERVISOR_console_io, CONSOLEIO_write, 0x7fffffff, 0x1000),
			 -EINVAL);
	assert_int_equal(call(f, __HYPERVISOR_console_io, CONSOLEIO_read, 16, 0x1000), -EPERM);
	/* Zero bytes is a valid, empty write. */
	assert_int_equal(call(f, __HYPERVISOR_console_io, CONSOLEIO_write, 0, 0), 0);
}

static void memory_op_continuations_are_refused(void **state)
{
	struct fixture *f = *state;

	/* Only the reservation ops take a start extent; add_to_physmap's is 16 bits. */
	assert_int_equal(
	    call(f, __HYPERVISOR_memory_op, XENMEM_current_reservation | (1ULL << 6), 0, 0),
	    -EINVAL);
	assert_int_equal(
	    call(f, __HYPERVISOR_memory_op, XENMEM_add_to_physmap | (0x10000ULL << 6), 0, 0),
	    -EDOM);
}

/* A reservation op on the extents gfns[0..n), from extent `start`. */
static int64_t reservation(struct fixture *f, unsigned cmd, uint64_t start, const uint64_t *gfns,
			   uint64_t n, unsigned order, uint16_t domid, uint32_t flags)
{
	struct xen_memory_reservation r = {
	    .nr_extents = n, .extent_order = order, .mem_flags = flags, .domid = domid};

	set_xen_guest_handle(r.extent_start, (xen_pfn_t *)LIST_GPA);
	memcpy(f->ram + LIST_GPA, gfns, n * sizeof(*gfns));
	memcpy(f->ram + RES_GPA, &r, sizeof(r));
	return call(f, __HYPERVISOR_memory_op, cmd | (start << 6), RES_GPA, 0);
}

static int64_t decrease(struct fixture *f, const uint64_t *gfns, uint64_t n, unsigned order)
{
	return reservation(f, XENMEM_decrease_reservation, 0, gfns, n, order, DOMID_SELF, 0);
}

static int64_t populate(struct fixture *f, const uint64_t *gfns, uint64_t n, uint32_t flags)
{
	return reservation(f, XENMEM_populate_physmap, 0, gfns, n, 0, DOMID_SELF, flags);
}

static int64_t pages(struct fixture *f, unsigned cmd, domid_t domid)
{
	memcpy(f->ram + DOMID_GPA, &domid, sizeof(domid));
	return call(f, __HYPERVISOR_memory_op, cmd, DOMID_GPA, 0);
}

/* Xen stops at the first page that is not populated RAM and counts the extents done. */
static void decrease_reservation_frees_a_page_once(void **state)
{
	struct fixture *f = *state;
	const uint64_t one[] = {0x10}, three[] = {0x11, 0x10, 0x12}, pair[] = {0x20};
	const uint64_t outside[] = {RAM_PAGES, 1ULL << 60};

	assert_int_equal(pages(f, XENMEM_current_reservation, DOMID_SELF), RAM_PAGES);
	assert_int_equal(decrease(f, one, 1, 0), 1);
	assert_int_equal(pages(f, XENMEM_current_reservation, DOMID_SELF), RAM_PAGES - 1);
	assert_int_equal(decrease(f, one, 1, 0), 0); /* already given back */
	assert_int_equal(decrease(f, three, 3, 0), 1);
	assert_int_equal(decrease(f, three + 2, 1, 0), 1); /* 0x12 was not reached */
	assert_int_equal(decrease(f, pair, 1, 1), 1);	   /* order 1: 0x20 and 0x21 */
	assert_int_equal(decrease(f, pair, 1, 0), 0);
	assert_int_equal(decrease(f, outside, 1, 0), 0);
	assert_int_equal(decrease(f, outside + 1, 1, 0), 0);
	assert_int_equal(decrease(f, (const uint64_t[]){0x30}, 1, 10), 0); /* order above 9 */
	assert_int_equal(pages(f, XENMEM_current_reservation, DOMID_SELF), RAM_PAGES - 5);
	assert_int_equal(pages(f, XENMEM_maximum_reservation, DOMID_SELF), RAM_PAGES);
}

/* Xen allocates before it maps: nothing is populated beyond the maximum. */
static void populate_physmap_needs_room(void **state)
{
	struct fixture *f = *state;
	const uint64_t gfns[] = {0x10, 0x11}, far[] = {0x1000};

	assert_int_equal(populate(f, gfns, 1, 0), 0); /* full: no room, even over itself */
	f->ram[0x10 * 4096ULL] = 0xaa;
	assert_int_equal(decrease(f, gfns, 1, 0), 1);
	assert_int_equal(populate(f, gfns, 2, 0), 1);
	assert_int_equal(f->ram[0x10 * 4096ULL], 0); /* a fresh page */
	assert_int_equal(decrease(f, gfns + 1, 1, 0), 1);
	assert_int_equal(populate(f, far, 1, 0), 0); /* not RAM */
	assert_int_equal(populate(f, gfns + 1, 1, XENMEMF_populate_on_demand), 0);
	assert_int_equal(populate(f, gfns + 1, 1, 0), 1);
	assert_int_equal(pages(f, XENMEM_current_reservation, DOMID_SELF), RAM_PAGES);
}

/* Xen answers a reservation op it refuses with the extents done (none), never an errno. */
static void reservation_errors_are_counts(void **state)
{
	struct fixture *f = *state;
	const uint64_t gfns[] = {0x10, 0x11, 0x12};

	assert_int_equal(call(f, __HYPERVISOR_memory_op, XENMEM_decrease_reservation, RAM_SIZE, 0),
			 0);
	assert_int_equal(
	    reservation(f, XENMEM_decrease_reservation, 0, gfns, 1, 0, 0 /* dom0 */, 0), 0);
	assert_int_equal(reservation(f, XENMEM_decrease_reservation, 2, gfns, 1, 0, DOMID_SELF, 0),
			 2);
	/* A continuation starts at its extent: 0x10 stays. */
	assert_int_equal(reservation(f, XENMEM_decrease_reservation, 1, gfns, 3, 0, DOMID_SELF, 0),
			 3);
	assert_int_equal(decrease(f, gfns, 1, 0), 1);
	assert_int_equal(pages(f, XENMEM_current_reservation, 0), -EPERM);
	assert_int_equal(pages(f, XENMEM_current_reservation, 7), -ESRCH);
}

static void vcpu_op_checks_the_vcpu(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), -ENOENT);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, ~0ULL, 0), -ENOENT);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_up, 0, 0), 0); /* already up */
}

#define CTX_GPA 0x4000

static int64_t initialise(struct fixture *f, unsigned vcpu, const struct vcpu_hvm_context *ctx)
{
	memcpy(f->ram + CTX_GPA, ctx, sizeof(*ctx));
	return call(f, __HYPERVISOR_vcpu_op, VCPUOP_initialise, vcpu, CTX_GPA);
}

/* Secondary vCPU bring-up as Xen offers it to HVM/PVH guests. */
static void a_second_vcpu_is_initialised_brought_up_and_down(void **state)
{
	struct fixture *f = *state;
	struct vcpu_hvm_context ctx = {.mode = VCPU_HVM_MODE_64B};

	f->vm.nr_vcpus = f->xd.nr_vcpus = 2;
	f->vcpus[1] = &f->vcpu1;
	ctx.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){.rip = 0x100000,
						       .rsp = 0x8000,
						       .cr0 = 0x80000011,
						       .cr3 = 0x9000,
						       .cr4 = 0x20,
						       .efer = 0x100};
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), -EINVAL);
	assert_int_equal(initialise(f, 0, &ctx), -EEXIST);
	ctx.mode = 7;
	assert_int_equal(initialise(f, 1, &ctx), -EINVAL);
	ctx.mode = VCPU_HVM_MODE_64B;
	ctx.cpu_regs.x86_64.cr0 = 0x11; /* long mode without paging */
	assert_int_equal(initialise(f, 1, &ctx), -EINVAL);
	ctx.cpu_regs.x86_64.cr0 = 0x80000011;
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, 0x7fff0000), -EFAULT);
	assert_int_equal(initialise(f, 1, &ctx), 0);
	assert_int_equal(initialise(f, 1, &ctx), -EEXIST);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	assert_false(f->vcpu1.start_pending);

	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), 0);
	assert_true(f->vcpu1.start_pending);
	assert_int_equal(f->vcpu1.start_regs.rip, 0x100000);
	assert_int_equal(f->vcpu1.start_sregs.efer, 0x500); /* LMA joins LME */
	assert_int_equal(f->vcpu1.start_sregs.cs.l, 1);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 1);

	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0), 0);
	assert_true(f->vcpu1.parked);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), 0);
	assert_false(f->vcpu1.parked);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0), 0);
	/* The last vCPU going down is the domain powering off. */
	assert_int_equal(vm_stop_reason(&f->vm), VM_RUNNING);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_down, 0, 0), 0);
	assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_POWEROFF);
}

/* A vCPU the guest started itself (INIT/SIPI, unseen) is up once it makes a hypercall. */
static void a_vcpu_started_by_sipi_is_up(void **state)
{
	struct fixture *f = *state;

	f->vm.nr_vcpus = f->xd.nr_vcpus = 2;
	f->vcpus[1] = &f->vcpu1;
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	xen_vcpu_seen_running(&f->xd, 1);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 1);
}

static void grant_ops_take_one_element(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size, 0x1000, 0),
			 -EINVAL);
	assert_int_equal(call(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size, 0x1000, 2),
			 -EINVAL);
}

static void user_mode_hypercalls_are_eperm(void **state)
{
	struct fixture *f = *state;

	f->run.exit_reason = KVM_EXIT_XEN;
	f->run.xen.type = KVM_EXIT_XEN_HCALL;
	f->run.xen.u.hcall.longmode = 1;
	f->run.xen.u.hcall.cpl = 3;
	f->run.xen.u.hcall.input = __HYPERVISOR_xen_version;
	assert_true(xen_handle_exit(&f->vcpu));
	assert_int_equal((int64_t)f->run.xen.u.hcall.result, -EPERM);
	f->run.xen.u.hcall.cpl = 0;
	f->run.xen.u.hcall.params[0] = XENVER_version;
	assert_true(xen_handle_exit(&f->vcpu));
	assert_int_equal((int64_t)f->run.xen.u.hcall.result, 0x40011);
}

static void a_32_bit_result_is_truncated(void **state)
{
	struct fixture *f = *state;

	f->xd.long_mode = false; /* already "latched": no KVM call */
	f->run.xen.type = KVM_EXIT_XEN_HCALL;
	f->run.xen.u.hcall.longmode = 0;
	f->run.xen.u.hcall.input = 50;
	assert_true(xen_handle_exit(&f->vcpu));
	assert_int_equal(f->run.xen.u.hcall.result, (uint32_t)-ENOSYS);
}

#define ARG_GPA 0x5000

/* Lay an argument out in guest RAM at ARG_GPA, call with it as arg[1], and read it back. */
static int64_t call_with(struct fixture *f, unsigned nr, uint64_t a0, void *arg, size_t size,
			 uint64_t a2)
{
	int64_t r;

	memcpy(f->ram + ARG_GPA, arg, size);
	r = call(f, nr, a0, ARG_GPA, a2);
	memcpy(arg, f->ram + ARG_GPA, size);
	return r;
}

static void xen_version_answers_as_xen(void **state)
{
	struct fixture *f = *state;
	struct xen_feature_info fi = {.submap_idx = 1};
	char cmdline[16];

	assert_int_equal(call(f, __HYPERVISOR_xen_version, XENVER_pagesize, ARG_GPA, 0), -EINVAL);
	assert_int_equal(
	    call_with(f, __HYPERVISOR_xen_version, XENVER_get_features, &fi, sizeof(fi), 0),
	    -EINVAL);
	fi.submap_idx = 0;
	assert_int_equal(
	    call_with(f, __HYPERVISOR_xen_version, XENVER_get_features, &fi, sizeof(fi), 0), 0);
	assert_true(fi.submap & (1U << XENFEAT_hvm_callback_vector));
	assert_true(fi.submap & (1U << XENFEAT_not_direct_mapped));
	assert_false(fi.submap & (1U << XENFEAT_writable_descriptor_tables)); /* PV only */
	assert_int_equal(
	    call_with(f, __HYPERVISOR_xen_version, XENVER_commandline, cmdline, sizeof(cmdline), 0),
	    0);
	assert_string_equal(cmdline, "<denied>");
}

static void sched_and_console_ops_answer_as_xen(void **state)
{
	struct fixture *f = *state;
	struct sched_remote_shutdown rs = {.domain_id = 0, .reason = SHUTDOWN_poweroff};

	assert_int_equal(call(f, __HYPERVISOR_sched_op, SCHEDOP_shutdown_code, 0x7fff0000, 0),
			 -EFAULT);
	assert_int_equal(
	    call_with(f, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, &rs, sizeof(rs), 0),
	    -EPERM);
	rs.domain_id = 1; /* itself: only a device model may */
	assert_int_equal(
	    call_with(f, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, &rs, sizeof(rs), 0),
	    -EPERM);
	rs.domain_id = 7;
	assert_int_equal(
	    call_with(f, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, &rs, sizeof(rs), 0),
	    -ESRCH);
	assert_int_equal(vm_stop_reason(&f->vm), VM_RUNNING);
	assert_int_equal(call(f, __HYPERVISOR_sched_op, SCHEDOP_pin_override, ARG_GPA, 0), -EPERM);
	assert_int_equal(call(f, __HYPERVISOR_console_io, 99, 0, 0), -EPERM);
}

static void grant_ops_answer_as_xen(void **state)
{
	struct fixture *f = *state;
	struct gnttab_set_version v = {.version = 2};
	struct gnttab_get_version g = {.dom = 0};
	struct gnttab_query_size q = {.dom = 0};

	/* v2 is not offered (max_grant_version = 1); the version in force is written back. */
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_set_version, &v, sizeof(v), 1),
	    -ENOSYS);
	assert_int_equal(v.version, 1);
	v.version = 3;
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_set_version, &v, sizeof(v), 0),
	    -EINVAL);
	assert_int_equal(v.version, 1);
	v.version = 1; /* count is not looked at */
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_set_version, &v, sizeof(v), 0), 0);
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_get_version, &g, sizeof(g), 1),
	    -EPERM);
	g.dom = 7;
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_get_version, &g, sizeof(g), 1),
	    -ESRCH);
	assert_int_equal(
	    call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
	assert_int_equal(q.status, GNTST_permission_denied);
	q.dom = 7;
	call_with(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, sizeof(q), 1);
	assert_int_equal(q.status, GNTST_bad_domain);
	assert_int_equal(
	    call(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size | (1U << 12), ARG_GPA, 1),
	    -EINVAL);
	assert_int_equal(
	    call(f, __HYPERVISOR_grant_table_op, GNTTABOP_query_size, ARG_GPA, 0x80000000U),
	    -EINVAL);
}

static int64_t param(struct fixture *f, unsigned op, domid_t dom, uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = {.domid = dom, .index = index, .value = *value};
	int64_t r = call_with(f, __HYPERVISOR_hvm_op, op, &p, sizeof(p), 0);

	*value = p.value;
	return r;
}

static void hvm_ops_answer_as_xen(void **state)
{
	struct fixture *f = *state;
	struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 99, .vector = 5};
	struct xen_hvm_pagetable_dying pd = {.domid = DOMID_SELF};
	struct xen_hvm_get_mem_type mt = {.domid = DOMID_SELF, .pfn = 3};
	uint64_t v = 0;

	assert_int_equal(param(f, HVMOP_get_param, DOMID_SELF, HVM_PARAM_IOREQ_PFN, &v), -EPERM);
	assert_int_equal(param(f, HVMOP_get_param, DOMID_SELF, HVM_PARAM_PAE_ENABLED, &v), -EINVAL);
	assert_int_equal(param(f, HVMOP_get_param, 0, HVM_PARAM_STORE_PFN, &v), -EPERM);
	assert_int_equal(param(f, HVMOP_get_param, 7, HVM_PARAM_STORE_PFN, &v), -ESRCH);
	assert_int_equal(param(f, HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_PFN, &v), -EPERM);
	/* The guest may set its store and console event channels, and reads them back. */
	v = 42;
	assert_int_equal(param(f, HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_EVTCHN, &v), 0);
	v = 0;
	assert_int_equal(param(f, HVMOP_get_param, DOMID_SELF, HVM_PARAM_STORE_EVTCHN, &v), 0);
	assert_int_equal(v, 42);
	v = 3;
	assert_int_equal(param(f, HVMOP_set_param, DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, &v),
			 -EINVAL);
	/* The vector is checked before the vCPU. */
	assert_int_equal(
	    call_with(f, __HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, &uv, sizeof(uv), 0),
	    -EINVAL);
	assert_int_equal(
	    call_with(f, __HYPERVISOR_hvm_op, HVMOP_pagetable_dying, &pd, sizeof(pd), 0), -EINVAL);
	pd.domid = 0;
	assert_int_equal(
	    call_with(f, __HYPERVISOR_hvm_op, HVMOP_pagetable_dying, &pd, sizeof(pd), 0),
	    -EOPNOTSUPP);
	assert_int_equal(call_with(f, __HYPERVISOR_hvm_op, HVMOP_get_mem_type, &mt, sizeof(mt), 0),
			 0);
	assert_int_equal(mt.mem_type, HVMMEM_ram_rw);
	mt.pfn = 0xfee00;
	call_with(f, __HYPERVISOR_hvm_op, HVMOP_get_mem_type, &mt, sizeof(mt), 0);
	assert_int_equal(mt.mem_type, HVMMEM_mmio_dm);
	assert_int_equal(call(f, __HYPERVISOR_hvm_op, HVMOP_flush_tlbs, ARG_GPA, 0), -EINVAL);
}

/* Found by fuzz_hypercall: the user-mode refusal skipped the 32-bit truncation. */
static void a_32_bit_user_mode_refusal_is_truncated(void **state)
{
	struct fixture *f = *state;

	f->xd.long_mode = false;
	f->run.xen.type = KVM_EXIT_XEN_HCALL;
	f->run.xen.u.hcall.longmode = 0;
	f->run.xen.u.hcall.cpl = 3;
	f->run.xen.u.hcall.input = __HYPERVISOR_xen_version;
	assert_true(xen_handle_exit(&f->vcpu));
	assert_int_equal(f->run.xen.u.hcall.result, (uint32_t)-EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(version_is_4_17, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_calls_are_enosys, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_pointers_are_efault, setup, teardown),
	    cmocka_unit_test_setup_teardown(huge_console_io_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(memory_op_continuations_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(decrease_reservation_frees_a_page_once, setup_with_ram,
					    teardown),
	    cmocka_unit_test_setup_teardown(populate_physmap_needs_room, setup_with_ram, teardown),
	    cmocka_unit_test_setup_teardown(reservation_errors_are_counts, setup_with_ram,
					    teardown),
	    cmocka_unit_test_setup_teardown(vcpu_op_checks_the_vcpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_second_vcpu_is_initialised_brought_up_and_down,
					    setup_with_ram, teardown),
	    cmocka_unit_test_setup_teardown(a_vcpu_started_by_sipi_is_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(grant_ops_take_one_element, setup, teardown),
	    cmocka_unit_test_setup_teardown(xen_version_answers_as_xen, setup_with_ram, teardown),
	    cmocka_unit_test_setup_teardown(sched_and_console_ops_answer_as_xen, setup_with_ram,
					    teardown),
	    cmocka_unit_test_setup_teardown(grant_ops_answer_as_xen, setup_with_ram, teardown),
	    cmocka_unit_test_setup_teardown(hvm_ops_answer_as_xen, setup_with_ram, teardown),
	    cmocka_unit_test_setup_teardown(user_mode_hypercalls_are_eperm, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_32_bit_result_is_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_32_bit_user_mode_refusal_is_truncated, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
