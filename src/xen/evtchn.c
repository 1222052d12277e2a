/* SPDX-License-Identifier: MIT */
#include "xen/evtchn.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "xen/vcpu_attr.h"
#include "lib/log.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <xen/foreign/x86_32.h> /* 32-bit guests' layout; ours is the native one */

/* Ports whose event is per vCPU rather than global (Xen's virq_is_global()). */
static bool virq_is_per_vcpu(unsigned virq)
{
	return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF ||
	       virq == VIRQ_XENPMU;
}

static int kvm_send(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu);
static void kick_vcpu(struct evtchn_table *t, uint32_t vcpu);
static int kvm_set_attr(struct evtchn_table *t, const struct kvm_xen_hvm_attr *a);
static void deliver_held(struct evtchn_table *t);
static void route_deferred(struct evtchn_table *t);

static const struct evtchn_kvm_ops kvm_ops = {
    .send = kvm_send, .wake = kick_vcpu, .set_attr = kvm_set_attr};

void evtchn_init(struct evtchn_table *t, struct vm *vm, uint16_t domid)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->vm = vm;
	t->domid = domid;
	t->long_mode = true;
	t->next_backend_port = 1;
	t->ops = &kvm_ops;
	for (unsigned i = 0; i < EVTCHN_MAX_PORTS; i++)
		t->ports[i].backend_fd = -1;
}

void evtchn_destroy(struct evtchn_table *t)
{
	pthread_mutex_destroy(&t->lock);
}

unsigned evtchn_nr_ports(const struct evtchn_table *t)
{
	/* 2-level: as many ports as bits in a word, squared. */
	return t->long_mode ? 64 * 64 : 32 * 32;
}

void evtchn_set_shared_info(struct evtchn_table *t, void *page, bool long_mode)
{
	pthread_mutex_lock(&t->lock);
	t->shared_info = page;
	t->long_mode = long_mode;
	if (page) {
		route_deferred(t);
		deliver_held(t);
	}
	pthread_mutex_unlock(&t->lock);
}

void evtchn_set_long_mode(struct evtchn_table *t, bool long_mode)
{
	pthread_mutex_lock(&t->lock);
	t->long_mode = long_mode;
	pthread_mutex_unlock(&t->lock);
}

static bool port_valid(const struct evtchn_table *t, uint64_t port)
{
	/* Port 0 is never valid: Xen reserves it so 0 can mean "none". */
	return port > 0 && port < evtchn_nr_ports(t);
}

static struct evtchn_port *port_at(struct evtchn_table *t, uint64_t port)
{
	return port_valid(t, port) ? &t->ports[port] : NULL;
}

static bool is_self(const struct evtchn_table *t, domid_t dom)
{
	return dom == DOMID_SELF || dom == t->domid;
}

/* An op on another domain's ports: domain 0 exists but is not the guest's; nothing else exists. */
static int other_domain(domid_t dom)
{
	return dom == 0 ? -EPERM : -ESRCH;
}

static int kvm_set_attr(struct evtchn_table *t, const struct kvm_xen_hvm_attr *a)
{
	return ioctl(t->vm->vm_fd, KVM_XEN_HVM_SET_ATTR, a) < 0 ? -errno : 0;
}

static int kvm_send(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu)
{
	struct kvm_irq_routing_xen_evtchn e = {
	    .port = port,
	    .vcpu = vcpu,
	    .priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL,
	};

	if (ioctl(t->vm->vm_fd, KVM_XEN_HVM_EVTCHN_SEND, &e) < 0)
		return -errno;
	return 0;
}

/* Byte offsets of the pending and mask bitmaps in shared_info for this ABI width. */
static size_t pending_offset(const struct evtchn_table *t)
{
	return t->long_mode ? offsetof(struct shared_info, evtchn_pending)
			    : offsetof(struct shared_info_x86_32, evtchn_pending);
}

static size_t mask_offset(const struct evtchn_table *t)
{
	return t->long_mode ? offsetof(struct shared_info, evtchn_mask)
			    : offsetof(struct shared_info_x86_32, evtchn_mask);
}

/* A port's bit in a shared_info bitmap; the bitmaps are little-endian words of either width. */
static bool port_bit(const struct evtchn_table *t, size_t bitmap_offset, evtchn_port_t port)
{
	const uint8_t *byte = t->shared_info + bitmap_offset + port / 8;

	return (__atomic_load_n(byte, __ATOMIC_SEQ_CST) >> (port % 8)) & 1;
}

static void kick_vcpu(struct evtchn_table *t, uint32_t vcpu)
{
	if (vcpu < t->vm->nr_vcpus && t->vm->vcpus[vcpu])
		vcpu_kick(t->vm->vcpus[vcpu]);
}

/*
 * Raise a port as Xen would, which includes waking a vCPU that polls it
 * (SCHEDOP_poll).  KVM runs the poll in the kernel but wakes the poller
 * only for a masked port (kvm_xen_check_poller) or when the vCPU's
 * selector bit goes from 0 to 1 without a per-vCPU upcall vector; with the
 * bit left set, or with a vector while interrupts are off, the poller
 * sleeps on.  So an event that newly became pending on an unmasked port
 * also kicks its vCPU: a poller then returns 0 (Xen's poll may return
 * early; callers check their ports), a running vCPU re-enters at once.
 */
static int raise_port(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu)
{
	bool was_pending, masked;
	int r;

	/*
	 * Xen keeps a domain's shared_info from its creation, so an event
	 * raised before the guest maps the page is pending when it does.  KVM
	 * has nowhere to put it (and warns in the host's kernel log when asked
	 * to): keep it until the guest places the page.
	 */
	if (!t->shared_info) {
		t->held[port / 64] |= 1ULL << (port % 64);
		return 0;
	}
	was_pending = port_bit(t, pending_offset(t), port);
	masked = port_bit(t, mask_offset(t), port);
	r = t->ops->send(t, port, vcpu);
	if (!r && !was_pending && !masked)
		t->ops->wake(t, vcpu);
	if (!r && t->raised)
		t->raised(t->raised_opaque);
	return r;
}

/* Raise what was held for want of shared_info, each port to its vCPU as bound now. */
static void deliver_held(struct evtchn_table *t)
{
	for (evtchn_port_t port = 1; port < EVTCHN_MAX_PORTS; port++) {
		uint64_t bit = 1ULL << (port % 64);

		if (!(t->held[port / 64] & bit))
			continue;
		t->held[port / 64] &= ~bit;
		if (port_valid(t, port) && t->ports[port].state != EVTCHNSTAT_closed)
			raise_port(t, port, t->ports[port].vcpu);
	}
}

uint64_t evtchn_vcpus_with_events(struct evtchn_table *t)
{
	uint64_t vcpus = 0;

	pthread_mutex_lock(&t->lock);
	/* A byte at a time: the bitmaps are little-endian words of either width. */
	for (unsigned i = 0; t->shared_info && i < evtchn_nr_ports(t) / 8; i++) {
		uint8_t ready =
		    __atomic_load_n(t->shared_info + pending_offset(t) + i, __ATOMIC_RELAXED) &
		    (uint8_t)~__atomic_load_n(t->shared_info + mask_offset(t) + i,
					      __ATOMIC_RELAXED);

		for (; ready; ready &= (uint8_t)(ready - 1)) {
			const struct evtchn_port *p = &t->ports[i * 8 + __builtin_ctz(ready)];

			if (p->state != EVTCHNSTAT_closed && p->vcpu < 64)
				vcpus |= 1ULL << p->vcpu;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return vcpus;
}

/* A send on this port raises a port of the guest (an IPI, a loopback), not a backend's eventfd. */
static bool delivers_to_guest(const struct evtchn_port *p)
{
	return p->state == EVTCHNSTAT_ipi ||
	       (p->state == EVTCHNSTAT_interdomain && p->backend_fd < 0);
}

/*
 * Let KVM handle the guest's EVTCHNOP_send on this port without an exit:
 * to a backend's eventfd, or looped back to a port of the guest itself.
 * The latter only once shared_info is placed: KVM has nowhere to deliver
 * before (it warns in the host's kernel log), so until then such sends
 * exit to us and are held (raise_port); route_deferred hands them over.
 */
static void kvm_assign(struct evtchn_table *t, evtchn_port_t port, uint32_t flags)
{
	struct evtchn_port *p = &t->ports[port];
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_EVTCHN};
	int r;

	if (!t->shared_info && delivers_to_guest(p)) {
		p->in_kernel = false;
		return;
	}

	a.u.evtchn.send_port = port;
	a.u.evtchn.flags = flags;
	if (p->state == EVTCHNSTAT_ipi) {
		a.u.evtchn.type = EVTCHNSTAT_ipi;
		a.u.evtchn.deliver.port.port = port;
		a.u.evtchn.deliver.port.vcpu = p->vcpu;
		a.u.evtchn.deliver.port.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	} else if (p->backend_fd >= 0) {
		a.u.evtchn.type = EVTCHNSTAT_interdomain;
		a.u.evtchn.deliver.eventfd.port = 0;
		a.u.evtchn.deliver.eventfd.fd = p->backend_fd;
	} else {
		const struct evtchn_port *peer = &t->ports[p->remote_port];

		a.u.evtchn.type = EVTCHNSTAT_interdomain;
		a.u.evtchn.deliver.port.port = p->remote_port;
		a.u.evtchn.deliver.port.vcpu = peer->vcpu;
		a.u.evtchn.deliver.port.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	}
	r = t->ops->set_attr(t, &a);
	p->in_kernel = r == 0;
	/* Not fatal: the send then exits to us and evtchn_op delivers it. */
	if (r)
		pr_debug("evtchn: KVM would not take port %u: %s", port, strerror(-r));
}

/* shared_info is placed: hand KVM the guest-to-guest ports kvm_assign kept back. */
static void route_deferred(struct evtchn_table *t)
{
	for (evtchn_port_t port = 1; port < evtchn_nr_ports(t); port++)
		if (delivers_to_guest(&t->ports[port]) && !t->ports[port].in_kernel)
			kvm_assign(t, port, 0);
}

static void kvm_deassign(struct evtchn_table *t, evtchn_port_t port)
{
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_EVTCHN};

	if (!t->ports[port].in_kernel)
		return;
	a.u.evtchn.send_port = port;
	a.u.evtchn.flags = KVM_XEN_EVTCHN_DEASSIGN;
	t->ops->set_attr(t, &a);
	t->ports[port].in_kernel = false;
}

/* Route (or, with port 0, stop routing) a vCPU's Xen timer to a port: KVM then runs the timer. */
static int kvm_set_timer_port(struct evtchn_table *t, uint32_t vcpu, evtchn_port_t port)
{
	struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_TIMER};
	struct vcpu *v = vcpu < t->vm->nr_vcpus ? t->vm->vcpus[vcpu] : NULL;

	a.u.timer.port = port;
	a.u.timer.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	a.u.timer.expires_ns = 0;
	return v ? xen_vcpu_set_attr(v, &a) : -ENOENT;
}

static int alloc_port(struct evtchn_table *t)
{
	for (unsigned i = 1; i < evtchn_nr_ports(t); i++)
		if (t->ports[i].state == EVTCHNSTAT_closed)
			return (int)i;
	return -ENOSPC;
}

static void reset_port(struct evtchn_port *p)
{
	memset(p, 0, sizeof(*p));
	p->backend_fd = -1;
}

/* Close a port from the guest's side; an interdomain peer falls back to unbound. */
static void close_port(struct evtchn_table *t, evtchn_port_t port)
{
	struct evtchn_port *p = &t->ports[port];

	kvm_deassign(t, port);
	t->held[port / 64] &= ~(1ULL << (port % 64));
	if (p->state == EVTCHNSTAT_virq && p->virq == VIRQ_TIMER)
		kvm_set_timer_port(t, p->vcpu, 0);
	if (p->state == EVTCHNSTAT_interdomain && p->backend_fd < 0 &&
	    port_valid(t, p->remote_port) && p->remote_port != port) {
		struct evtchn_port *peer = &t->ports[p->remote_port];

		kvm_deassign(t, p->remote_port);
		peer->state = EVTCHNSTAT_unbound;
		peer->remote_domid = t->domid;
		peer->remote_port = 0;
	}
	reset_port(p);
}

/* ---- Backends ---- */

int evtchn_alloc_backend_port(struct evtchn_table *t, int efd)
{
	int port;

	pthread_mutex_lock(&t->lock);
	port = alloc_port(t);
	if (port > 0) {
		struct evtchn_port *p = &t->ports[port];

		p->state = EVTCHNSTAT_interdomain;
		p->remote_domid = 0;
		p->remote_port = t->next_backend_port++;
		p->backend_fd = efd;
		kvm_assign(t, (evtchn_port_t)port, 0);
	}
	pthread_mutex_unlock(&t->lock);
	return port;
}

int evtchn_bind_backend(struct evtchn_table *t, evtchn_port_t port, int efd)
{
	struct evtchn_port *p;
	int r = -EINVAL;

	pthread_mutex_lock(&t->lock);
	p = port_at(t, port);
	if (p && p->state == EVTCHNSTAT_unbound && p->remote_domid == 0) {
		p->state = EVTCHNSTAT_interdomain;
		p->remote_port = t->next_backend_port++;
		p->backend_fd = efd;
		kvm_assign(t, port, 0);
		r = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void evtchn_unbind_backend(struct evtchn_table *t, evtchn_port_t port)
{
	struct evtchn_port *p;

	pthread_mutex_lock(&t->lock);
	p = port_at(t, port);
	if (p && p->state == EVTCHNSTAT_interdomain && p->backend_fd >= 0) {
		kvm_deassign(t, port);
		p->state = EVTCHNSTAT_unbound;
		p->backend_fd = -1;
		p->remote_port = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

int evtchn_notify_guest(struct evtchn_table *t, evtchn_port_t port)
{
	struct evtchn_port *p;
	int r = -EINVAL;

	pthread_mutex_lock(&t->lock);
	p = port_at(t, port);
	if (p && p->state == EVTCHNSTAT_interdomain && p->backend_fd >= 0)
		r = raise_port(t, port, p->vcpu);
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* ---- EVTCHNOP_* from the guest ---- */

static int op_alloc_unbound(struct evtchn_table *t, struct evtchn_alloc_unbound *a)
{
	int port;

	if (!is_self(t, a->dom))
		return other_domain(a->dom);
	port = alloc_port(t);
	if (port < 0)
		return port;
	/* Xen does not look the remote domain up: any id may bind later, if it exists. */
	t->ports[port].state = EVTCHNSTAT_unbound;
	t->ports[port].remote_domid = a->remote_dom == DOMID_SELF ? t->domid : a->remote_dom;
	a->port = (evtchn_port_t)port;
	return 0;
}

static int op_bind_interdomain(struct evtchn_table *t, struct evtchn_bind_interdomain *b)
{
	struct evtchn_port *remote;
	int port;

	if (b->remote_dom == 0)
		return -EINVAL; /* the VMM never offers unbound ports of its own */
	if (!is_self(t, b->remote_dom))
		return -ESRCH;
	remote = port_at(t, b->remote_port);
	if (!remote || remote->state != EVTCHNSTAT_unbound || remote->remote_domid != t->domid)
		return -EINVAL;
	port = alloc_port(t);
	if (port < 0)
		return port;
	t->ports[port].state = EVTCHNSTAT_interdomain;
	t->ports[port].remote_domid = t->domid;
	t->ports[port].remote_port = b->remote_port;
	remote->state = EVTCHNSTAT_interdomain;
	remote->remote_port = (evtchn_port_t)port;
	kvm_assign(t, (evtchn_port_t)port, 0);
	kvm_assign(t, b->remote_port, 0);
	b->local_port = (evtchn_port_t)port;
	return 0;
}

static bool virq_bound(const struct evtchn_table *t, unsigned virq, uint32_t vcpu)
{
	for (unsigned i = 1; i < evtchn_nr_ports(t); i++)
		if (t->ports[i].state == EVTCHNSTAT_virq && t->ports[i].virq == virq &&
		    t->ports[i].vcpu == vcpu)
			return true;
	return false;
}

static int op_bind_virq(struct evtchn_table *t, struct evtchn_bind_virq *b)
{
	int port;

	if (b->virq >= NR_VIRQS)
		return -EINVAL;
	if (b->vcpu >= t->vm->nr_vcpus)
		return -ENOENT;
	if (!virq_is_per_vcpu(b->virq) && b->vcpu != 0)
		return -EINVAL;
	if (virq_bound(t, b->virq, b->vcpu))
		return -EEXIST;
	port = alloc_port(t);
	if (port < 0)
		return port;
	if (b->virq == VIRQ_TIMER) {
		int r = kvm_set_timer_port(t, b->vcpu, (evtchn_port_t)port);

		if (r)
			return r;
	}
	t->ports[port].state = EVTCHNSTAT_virq;
	t->ports[port].virq = (uint16_t)b->virq;
	t->ports[port].vcpu = b->vcpu;
	b->port = (evtchn_port_t)port;
	return 0;
}

static int op_bind_ipi(struct evtchn_table *t, struct evtchn_bind_ipi *b)
{
	int port;

	if (b->vcpu >= t->vm->nr_vcpus)
		return -ENOENT;
	port = alloc_port(t);
	if (port < 0)
		return port;
	t->ports[port].state = EVTCHNSTAT_ipi;
	t->ports[port].vcpu = b->vcpu;
	kvm_assign(t, (evtchn_port_t)port, 0);
	b->port = (evtchn_port_t)port;
	return 0;
}

static int op_close(struct evtchn_table *t, const struct evtchn_close *c)
{
	struct evtchn_port *p = port_at(t, c->port);

	if (!p || p->state == EVTCHNSTAT_closed)
		return -EINVAL;
	close_port(t, c->port);
	return 0;
}

/* A send that KVM did not handle in the kernel. */
static int op_send(struct evtchn_table *t, const struct evtchn_send *s)
{
	struct evtchn_port *p = port_at(t, s->port);

	if (!p)
		return -EINVAL;
	switch (p->state) {
	case EVTCHNSTAT_interdomain:
		if (p->backend_fd >= 0) {
			uint64_t one = 1;

			return write(p->backend_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -EIO;
		}
		return raise_port(t, p->remote_port, t->ports[p->remote_port].vcpu);
	case EVTCHNSTAT_ipi:
		return raise_port(t, s->port, p->vcpu);
	case EVTCHNSTAT_unbound:
		return 0; /* nobody listening yet: dropped, as on Xen */
	default:
		return -EINVAL;
	}
}

static int op_status(struct evtchn_table *t, struct evtchn_status *st)
{
	const struct evtchn_port *p;

	if (!is_self(t, st->dom))
		return other_domain(st->dom);
	p = port_at(t, st->port);
	if (!p)
		return -EINVAL;
	st->status = p->state;
	st->vcpu = p->vcpu;
	memset(&st->u, 0, sizeof(st->u));
	if (p->state == EVTCHNSTAT_unbound) {
		st->u.unbound.dom = p->remote_domid;
	} else if (p->state == EVTCHNSTAT_interdomain) {
		st->u.interdomain.dom = p->remote_domid;
		st->u.interdomain.port = p->remote_port;
	} else if (p->state == EVTCHNSTAT_virq) {
		st->u.virq = p->virq;
	}
	return 0;
}

/* Re-point KVM's loopback routes that deliver to `port` after it moved vCPU. */
static void refresh_routes_to(struct evtchn_table *t, evtchn_port_t port)
{
	for (unsigned i = 1; i < evtchn_nr_ports(t); i++) {
		const struct evtchn_port *p = &t->ports[i];

		if (p->in_kernel && p->state == EVTCHNSTAT_interdomain && p->backend_fd < 0 &&
		    p->remote_port == port)
			kvm_assign(t, i, KVM_XEN_EVTCHN_UPDATE);
	}
}

static int op_bind_vcpu(struct evtchn_table *t, const struct evtchn_bind_vcpu *b)
{
	struct evtchn_port *p = port_at(t, b->port);

	if (!p)
		return -EINVAL;
	if (b->vcpu >= t->vm->nr_vcpus)
		return -ENOENT;
	if (p->state == EVTCHNSTAT_virq
		? virq_is_per_vcpu(p->virq)
		: (p->state != EVTCHNSTAT_unbound && p->state != EVTCHNSTAT_interdomain))
		return -EINVAL;
	p->vcpu = b->vcpu;
	refresh_routes_to(t, b->port);
	return 0;
}

static int op_unmask(struct evtchn_table *t, const struct evtchn_unmask *u)
{
	const struct evtchn_port *p = port_at(t, u->port);
	uint8_t *pending, *mask, bit = (uint8_t)(1u << (u->port % 8));

	if (!p)
		return -EINVAL;
	if (!t->shared_info)
		return 0;
	/* Bitmaps are little-endian words, so a bit's byte is the same for both widths. */
	pending = t->shared_info + pending_offset(t) + u->port / 8;
	mask = t->shared_info + mask_offset(t) + u->port / 8;
	__atomic_fetch_and(mask, (uint8_t)~bit, __ATOMIC_SEQ_CST);
	/*
	 * A pending event must now reach the guest.  Clear the bit and send
	 * again: KVM then sets the selector and injects the upcall itself.
	 */
	if (__atomic_fetch_and(pending, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit) {
		uint32_t vcpu = p->state == EVTCHNSTAT_closed ? 0 : p->vcpu;

		return raise_port(t, u->port, vcpu);
	}
	return 0;
}

/*
 * The FIFO ABI cannot be offered: KVM delivers 2-level events only.  Xen
 * 4.17's argument checks run first, with its errnos; a control block that
 * passes them gets what a Xen built without FIFO support answers
 * (-EOPNOTSUPP), and guests (Linux) then stay on the 2-level ABI.
 */
static int op_init_control(struct evtchn_table *t, const struct evtchn_init_control *c)
{
	uint64_t gpa = c->control_gfn << 12;

	if (c->vcpu >= t->vm->nr_vcpus)
		return -ENOENT;
	if (c->offset > 4096 - sizeof(evtchn_fifo_control_block_t) || (c->offset & 7))
		return -EINVAL;
	/* Xen maps the page: it must be the guest's RAM. */
	if (c->control_gfn >= (1ULL << 52) || !gpa_to_hva(&t->vm->mem, gpa, 4096))
		return -EINVAL;
	return -EOPNOTSUPP;
}

/* Xen checks the port, then finds no set_priority in the 2-level ABI. */
static int op_set_priority(struct evtchn_table *t, const struct evtchn_set_priority *s)
{
	return s->port < evtchn_nr_ports(t) ? -ENOSYS : -EINVAL;
}

void evtchn_reset(struct evtchn_table *t)
{
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 1; i < EVTCHN_MAX_PORTS; i++) {
		/* Everything closes, backend bindings included, as on Xen. */
		if (t->ports[i].state != EVTCHNSTAT_closed)
			close_port(t, i);
	}
	pthread_mutex_unlock(&t->lock);
}

size_t evtchn_op_arg_size(unsigned cmd)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		return sizeof(struct evtchn_alloc_unbound);
	case EVTCHNOP_bind_interdomain:
		return sizeof(struct evtchn_bind_interdomain);
	case EVTCHNOP_bind_virq:
		return sizeof(struct evtchn_bind_virq);
	case EVTCHNOP_bind_ipi:
		return sizeof(struct evtchn_bind_ipi);
	case EVTCHNOP_close:
		return sizeof(struct evtchn_close);
	case EVTCHNOP_send:
		return sizeof(struct evtchn_send);
	case EVTCHNOP_status:
		return sizeof(struct evtchn_status);
	case EVTCHNOP_bind_vcpu:
		return sizeof(struct evtchn_bind_vcpu);
	case EVTCHNOP_unmask:
		return sizeof(struct evtchn_unmask);
	case EVTCHNOP_reset:
		return sizeof(struct evtchn_reset);
	case EVTCHNOP_init_control:
		return sizeof(struct evtchn_init_control);
	case EVTCHNOP_expand_array:
		return sizeof(struct evtchn_expand_array);
	case EVTCHNOP_set_priority:
		return sizeof(struct evtchn_set_priority);
	default:
		return 0;
	}
}

static int dispatch(struct evtchn_table *t, unsigned cmd, void *arg)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		return op_alloc_unbound(t, arg);
	case EVTCHNOP_bind_interdomain:
		return op_bind_interdomain(t, arg);
	case EVTCHNOP_bind_virq:
		return op_bind_virq(t, arg);
	case EVTCHNOP_bind_ipi:
		return op_bind_ipi(t, arg);
	case EVTCHNOP_close:
		return op_close(t, arg);
	case EVTCHNOP_send:
		return op_send(t, arg);
	case EVTCHNOP_status:
		return op_status(t, arg);
	case EVTCHNOP_bind_vcpu:
		return op_bind_vcpu(t, arg);
	case EVTCHNOP_unmask:
		return op_unmask(t, arg);
	case EVTCHNOP_init_control:
		return op_init_control(t, arg);
	case EVTCHNOP_expand_array:
		return -EOPNOTSUPP; /* no FIFO event array was ever set up */
	case EVTCHNOP_set_priority:
		return op_set_priority(t, arg);
	default:
		return -ENOSYS;
	}
}

int evtchn_op(struct evtchn_table *t, unsigned cmd, void *arg, unsigned calling_vcpu)
{
	int r;

	(void)calling_vcpu;
	if (cmd == EVTCHNOP_reset) {
		const struct evtchn_reset *rs = arg;

		if (!is_self(t, rs->dom))
			return other_domain(rs->dom);
		evtchn_reset(t);
		return 0;
	}
	pthread_mutex_lock(&t->lock);
	r = dispatch(t, cmd, arg);
	pthread_mutex_unlock(&t->lock);
	return r;
}
