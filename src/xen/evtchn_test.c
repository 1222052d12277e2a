/* SPDX-License-Identifier: MIT */
/*
 * Event channel table operations as a hostile guest would drive them.
 * There is no KVM here (vm_fd = -1): routing into the kernel fails and the
 * table falls back to delivering sends itself, which is what is checked.
 */
#include "core/vm.h"
#include "lib/test.h"
#include "xen/evtchn.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	struct vm vm;
	struct vcpu *vcpus[2];
	struct evtchn_table t;
	uint8_t shared_info[4096];
	uint8_t ram[2 * 4096];
	/* What the stand-in for KVM saw. */
	unsigned sends, wakes[2];
	bool routed[EVTCHN_MAX_PORTS]; /* ports whose sends KVM was given */
};

/*
 * A stand-in for KVM's 2-level delivery (kvm_xen_set_evtchn_fast): set the
 * pending bit; the caller's job is to wake what KVM would not.
 */
static int fake_send(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu)
{
	struct fixture *f = (struct fixture *)((uint8_t *)t - offsetof(struct fixture, t));

	(void)vcpu;
	f->sends++;
	f->shared_info[offsetof(struct shared_info, evtchn_pending) + port / 8] |=
	    (uint8_t)(1u << (port % 8));
	return 0;
}

static void fake_wake(struct evtchn_table *t, uint32_t vcpu)
{
	struct fixture *f = (struct fixture *)((uint8_t *)t - offsetof(struct fixture, t));

	if (vcpu < 2)
		f->wakes[vcpu]++;
}

static int fake_set_attr(struct evtchn_table *t, const struct kvm_xen_hvm_attr *a)
{
	struct fixture *f = (struct fixture *)((uint8_t *)t - offsetof(struct fixture, t));
	uint32_t port = a->u.evtchn.send_port;

	if (a->type != KVM_XEN_ATTR_TYPE_EVTCHN || port >= EVTCHN_MAX_PORTS)
		return -EINVAL;
	f->routed[port] = !(a->u.evtchn.flags & KVM_XEN_EVTCHN_DEASSIGN);
	return 0;
}

static const struct evtchn_kvm_ops fake_kvm = {
    .send = fake_send, .wake = fake_wake, .set_attr = fake_set_attr};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->vm.vm_fd = -1;
	f->vm.nr_vcpus = 2;
	f->vm.vcpus = f->vcpus;
	evtchn_init(&f->t, &f->vm, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	evtchn_destroy(&f->t);
	free(f);
	return 0;
}

static int alloc_unbound(struct fixture *f, domid_t remote)
{
	struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};
	int r = evtchn_op(&f->t, EVTCHNOP_alloc_unbound, &a, 0);

	return r ? r : (int)a.port;
}

static void alloc_unbound_gives_ports_from_1(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(alloc_unbound(f, 0), 1);
	assert_int_equal(alloc_unbound(f, DOMID_SELF), 2);
}

static void alloc_unbound_refuses_other_domains(void **state)
{
	struct fixture *f = *state;
	struct evtchn_alloc_unbound a = {.dom = 7, .remote_dom = 0};

	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_alloc_unbound, &a, 0), -ESRCH);
	a.dom = 0;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_alloc_unbound, &a, 0), -EPERM);
	/* As on Xen the remote domain is not looked up: the port waits for it. */
	assert_int_equal(alloc_unbound(f, 5), 1);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_status, &(struct evtchn_status){.dom = 0}, 0),
			 -EPERM);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_status, &(struct evtchn_status){.dom = 7}, 0),
			 -ESRCH);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_reset, &(struct evtchn_reset){.dom = 7}, 0),
			 -ESRCH);
}

static void loopback_interdomain_binds_both_ends(void **state)
{
	struct fixture *f = *state;
	int a = alloc_unbound(f, DOMID_SELF);
	struct evtchn_bind_interdomain b = {.remote_dom = DOMID_SELF, .remote_port = (uint32_t)a};
	struct evtchn_status st = {.dom = DOMID_SELF, .port = (uint32_t)a};

	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_interdomain, &b, 0), 0);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_status, &st, 0), 0);
	assert_int_equal(st.status, EVTCHNSTAT_interdomain);
	assert_int_equal(st.u.interdomain.port, b.local_port);
	/* Binding the same port twice: it is no longer unbound. */
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_interdomain, &b, 0), -EINVAL);
}

static void bind_interdomain_to_vmm_is_refused(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_interdomain b = {.remote_dom = 0, .remote_port = 1};

	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_interdomain, &b, 0), -EINVAL);
}

static void bad_ports_are_refused(void **state)
{
	struct fixture *f = *state;
	const uint32_t bad[] = {0, 4096, 0xffffffffU, 1 /* closed */};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct evtchn_send s = {.port = bad[i]};
		struct evtchn_close c = {.port = bad[i]};
		struct evtchn_unmask u = {.port = bad[i]};

		assert_int_equal(evtchn_op(&f->t, EVTCHNOP_send, &s, 0), -EINVAL);
		assert_int_equal(evtchn_op(&f->t, EVTCHNOP_close, &c, 0), -EINVAL);
		if (bad[i] != 1)
			assert_int_equal(evtchn_op(&f->t, EVTCHNOP_unmask, &u, 0), -EINVAL);
	}
}

static void a_32_bit_guest_has_1024_ports(void **state)
{
	struct fixture *f = *state;
	struct evtchn_send s = {.port = 1024};

	evtchn_set_shared_info(&f->t, NULL, false);
	assert_int_equal(evtchn_nr_ports(&f->t), 1024);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_send, &s, 0), -EINVAL);
}

static void virq_binding_is_checked(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_virq v = {.virq = NR_VIRQS, .vcpu = 0};

	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_virq, &v, 0), -EINVAL);
	v.virq = VIRQ_DEBUG;
	v.vcpu = 2;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_virq, &v, 0), -ENOENT);
	v.vcpu = 1;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_virq, &v, 0), 0);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_virq, &v, 0), -EEXIST);
	/* A global VIRQ lives on vCPU 0 only. */
	v.virq = VIRQ_CONSOLE;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_virq, &v, 0), -EINVAL);
}

static void ipi_to_missing_vcpu_is_refused(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_ipi b = {.vcpu = 99};

	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &b, 0), -ENOENT);
}

static void backend_binds_only_ports_offered_to_domain_0(void **state)
{
	struct fixture *f = *state;
	int self = alloc_unbound(f, DOMID_SELF), to_vmm = alloc_unbound(f, 0);

	assert_int_equal(evtchn_bind_backend(&f->t, (evtchn_port_t)self, 3), -EINVAL);
	assert_int_equal(evtchn_bind_backend(&f->t, 4000, 3), -EINVAL);
	assert_int_equal(evtchn_bind_backend(&f->t, (evtchn_port_t)to_vmm, 3), 0);
	/* Already bound. */
	assert_int_equal(evtchn_bind_backend(&f->t, (evtchn_port_t)to_vmm, 3), -EINVAL);
	evtchn_unbind_backend(&f->t, (evtchn_port_t)to_vmm);
	assert_int_equal(evtchn_bind_backend(&f->t, (evtchn_port_t)to_vmm, 3), 0);
}

static void unmask_clears_the_mask_bit(void **state)
{
	struct fixture *f = *state;
	int port = alloc_unbound(f, 0);
	struct evtchn_unmask u = {.port = (uint32_t)port};
	size_t mask = offsetof(struct shared_info, evtchn_mask);

	evtchn_set_shared_info(&f->t, f->shared_info, true);
	f->shared_info[mask] = 0xff;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_unmask, &u, 0), 0);
	assert_int_equal(f->shared_info[mask], 0xff & ~(1u << port));
}

static void unknown_ops_are_enosys(void **state)
{
	struct fixture *f = *state;
	uint8_t arg[64] = {0};

	assert_int_equal(evtchn_op_arg_size(99), 0);
	assert_int_equal(evtchn_op(&f->t, 99, arg, 0), -ENOSYS);
}

static int init_control(struct fixture *f, uint32_t vcpu, uint64_t gfn, uint32_t offset)
{
	struct evtchn_init_control c = {.control_gfn = gfn, .offset = offset, .vcpu = vcpu};

	return evtchn_op(&f->t, EVTCHNOP_init_control, &c, 0);
}

/* Xen 4.17's checks with its errnos; a good block: FIFO is not built (2-level only). */
static void fifo_ops_answer_as_xen(void **state)
{
	struct fixture *f = *state;
	struct evtchn_expand_array e = {.array_gfn = 0};
	struct evtchn_set_priority p = {.port = 5, .priority = 1};

	f->vm.mem.nr_regions = 1;
	f->vm.mem.size = sizeof(f->ram);
	f->vm.mem.base = f->ram;
	f->vm.mem.regions[0] = (struct mem_region){.gpa = 0, .size = sizeof(f->ram), .hva = f->ram};
	assert_int_equal(evtchn_op_arg_size(EVTCHNOP_init_control),
			 sizeof(struct evtchn_init_control));
	assert_int_equal(init_control(f, 2, 1, 0), -ENOENT);
	assert_int_equal(init_control(f, 0, 1, 4096 - 72 + 8), -EINVAL); /* crosses the page */
	assert_int_equal(init_control(f, 0, 1, 4), -EINVAL);		 /* not 8-byte aligned */
	assert_int_equal(init_control(f, 0, 2, 0), -EINVAL);		 /* not RAM */
	assert_int_equal(init_control(f, 0, 1ULL << 60, 0), -EINVAL);
	assert_int_equal(init_control(f, 1, 1, 4096 - 72), -EOPNOTSUPP);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_expand_array, &e, 0), -EOPNOTSUPP);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_set_priority, &p, 0), -ENOSYS);
	p.port = 4096;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_set_priority, &p, 0), -EINVAL);
}

static void set_bit8(uint8_t *bitmap, unsigned bit, bool on)
{
	if (on)
		bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		bitmap[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

/*
 * SCHEDOP_poll: KVM wakes a poller only for masked ports or a selector
 * that goes 0 -> 1, so every event the VMM raises newly on an unmasked
 * port wakes the port's vCPU itself (and only then).
 */
static void a_newly_pending_port_wakes_its_vcpu(void **state)
{
	struct fixture *f = *state;
	uint8_t *pending = f->shared_info + offsetof(struct shared_info, evtchn_pending);
	uint8_t *mask = f->shared_info + offsetof(struct shared_info, evtchn_mask);
	int port = evtchn_alloc_backend_port(&f->t, 3);
	struct evtchn_bind_vcpu bv = {.port = (uint32_t)port, .vcpu = 1};

	f->t.ops = &fake_kvm;
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_true(port > 0);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_vcpu, &bv, 0), 0);
	assert_int_equal(evtchn_notify_guest(&f->t, (evtchn_port_t)port), 0);
	assert_int_equal(f->wakes[1], 1);
	assert_int_equal(f->wakes[0], 0);
	/* Already pending: a poller of it returned at once, nothing to wake. */
	assert_int_equal(evtchn_notify_guest(&f->t, (evtchn_port_t)port), 0);
	assert_int_equal(f->wakes[1], 1);
	/* Masked: KVM wakes its pollers itself. */
	set_bit8(pending, (unsigned)port, false);
	set_bit8(mask, (unsigned)port, true);
	assert_int_equal(evtchn_notify_guest(&f->t, (evtchn_port_t)port), 0);
	assert_int_equal(f->wakes[1], 1);
	assert_int_equal(f->sends, 3);
}

/* Sends KVM left to us (a port it would not take) wake as well. */
static void an_ipi_sent_by_the_vmm_wakes_its_vcpu(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_ipi b = {.vcpu = 1};
	struct evtchn_send s;

	f->t.ops = &fake_kvm;
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &b, 0), 0);
	s.port = b.port;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_send, &s, 0), 0);
	assert_int_equal(f->wakes[1], 1);
}

static void vcpus_with_events_are_found(void **state)
{
	struct fixture *f = *state;
	uint8_t *pending = f->shared_info + offsetof(struct shared_info, evtchn_pending);
	uint8_t *mask = f->shared_info + offsetof(struct shared_info, evtchn_mask);
	struct evtchn_bind_ipi on0 = {.vcpu = 0}, on1 = {.vcpu = 1};

	assert_int_equal(evtchn_vcpus_with_events(&f->t), 0); /* no shared_info yet */
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &on0, 0), 0);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &on1, 0), 0);
	assert_int_equal(evtchn_vcpus_with_events(&f->t), 0);
	set_bit8(pending, on1.port, true);
	assert_int_equal(evtchn_vcpus_with_events(&f->t), 2);
	set_bit8(mask, on1.port, true);
	assert_int_equal(evtchn_vcpus_with_events(&f->t), 0);
	set_bit8(pending, on0.port, true);
	set_bit8(pending, 700, true); /* closed: nobody's */
	assert_int_equal(evtchn_vcpus_with_events(&f->t), 1);
}

/*
 * An event raised before the guest placed shared_info (the PV shim writes
 * its console first) is pending once it does, as on Xen; KVM is not asked
 * to deliver into a page it does not have.
 */
static void an_event_before_shared_info_waits_for_it(void **state)
{
	struct fixture *f = *state;
	int port = evtchn_alloc_backend_port(&f->t, 3);

	f->t.ops = &fake_kvm;
	assert_true(port > 0);
	assert_int_equal(evtchn_notify_guest(&f->t, (evtchn_port_t)port), 0);
	assert_int_equal(f->sends, 0);
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_int_equal(f->sends, 1);
	assert_int_equal(f->wakes[0], 1);
	assert_true(f->shared_info[offsetof(struct shared_info, evtchn_pending) + port / 8] &
		    (1u << (port % 8)));
	/* Delivered once: placing the page again raises nothing more. */
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_int_equal(f->sends, 1);
}

/*
 * KVM delivers an IPI or a loopback send itself, into shared_info: it gets
 * such a port only once the page is there (before, the send exits to the
 * VMM, which holds it).  A backend's port (an eventfd) it gets at once.
 */
static void guest_to_guest_ports_reach_kvm_with_shared_info(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_ipi b = {.vcpu = 1};
	struct evtchn_send s;
	int backend;

	f->t.ops = &fake_kvm;
	backend = evtchn_alloc_backend_port(&f->t, 3);
	assert_true(backend > 0);
	assert_true(f->routed[backend]);
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &b, 0), 0);
	assert_false(f->routed[b.port]);
	s.port = b.port;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_send, &s, 0), 0);
	assert_int_equal(f->sends, 0);
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_true(f->routed[b.port]);
	assert_int_equal(f->sends, 1);
	assert_int_equal(f->wakes[1], 1);
}

/* A port closed while its event waited for shared_info takes the event with it. */
static void a_closed_port_drops_its_held_event(void **state)
{
	struct fixture *f = *state;
	struct evtchn_bind_ipi b = {.vcpu = 0};
	struct evtchn_send s;
	struct evtchn_close c;

	f->t.ops = &fake_kvm;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_bind_ipi, &b, 0), 0);
	s.port = b.port;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_send, &s, 0), 0);
	c.port = b.port;
	assert_int_equal(evtchn_op(&f->t, EVTCHNOP_close, &c, 0), 0);
	evtchn_set_shared_info(&f->t, f->shared_info, true);
	assert_int_equal(f->sends, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(alloc_unbound_gives_ports_from_1, setup, teardown),
	    cmocka_unit_test_setup_teardown(alloc_unbound_refuses_other_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(loopback_interdomain_binds_both_ends, setup, teardown),
	    cmocka_unit_test_setup_teardown(bind_interdomain_to_vmm_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_ports_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_32_bit_guest_has_1024_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(virq_binding_is_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(ipi_to_missing_vcpu_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(backend_binds_only_ports_offered_to_domain_0, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unmask_clears_the_mask_bit, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_ops_are_enosys, setup, teardown),
	    cmocka_unit_test_setup_teardown(fifo_ops_answer_as_xen, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_newly_pending_port_wakes_its_vcpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(an_ipi_sent_by_the_vmm_wakes_its_vcpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(vcpus_with_events_are_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(an_event_before_shared_info_waits_for_it, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(guest_to_guest_ports_reach_kvm_with_shared_info, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(a_closed_port_drops_its_held_event, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
