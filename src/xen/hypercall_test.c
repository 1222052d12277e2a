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
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

struct fixture {
	struct vm vm;
	struct vcpu vcpu;
	struct vcpu *vcpus[1];
	struct xen_domain xd;
	struct kvm_run run;
	struct hcall h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->vm.vm_fd = -1;
	f->vm.nr_vcpus = 1;
	f->vm.vcpus = f->vcpus;
	f->vcpus[0] = &f->vcpu;
	f->vcpu.vm = &f->vm;
	f->vcpu.fd = -1;
	f->vcpu.run = &f->run;
	f->xd.vm = &f->vm;
	f->xd.domid = 1;
	f->xd.long_mode = true;
	pthread_mutex_init(&f->xd.lock, NULL);
	evtchn_init(&f->xd.evtchn, &f->vm, 1);
	f->vm.xen = &f->xd;
	f->h = (struct hcall){.xd = &f->xd, .vcpu = &f->vcpu, .long_mode = true};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	evtchn_destroy(&f->xd.evtchn);
	pthread_mutex_destroy(&f->xd.lock);
	free(f);
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

	assert_int_equal(call(f, __HYPERVISOR_memory_op, XENMEM_add_to_physmap | (1ULL << 6), 0, 0),
			 -EINVAL);
}

static void vcpu_op_checks_the_vcpu(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), -ENOENT);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_is_up, ~0ULL, 0), -ENOENT);
	assert_int_equal(call(f, __HYPERVISOR_vcpu_op, VCPUOP_up, 0, 0), -ENOSYS);
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
	    cmocka_unit_test_setup_teardown(vcpu_op_checks_the_vcpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(grant_ops_take_one_element, setup, teardown),
	    cmocka_unit_test_setup_teardown(user_mode_hypercalls_are_eperm, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_32_bit_result_is_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_32_bit_user_mode_refusal_is_truncated, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
