/* SPDX-License-Identifier: MIT */
/*
 * A guest's event channels, 2-level ABI.  The port table lives here; the
 * pending/mask bitmaps live in the guest's shared_info page, which KVM
 * updates when we ask it to deliver (KVM_XEN_HVM_EVTCHN_SEND).
 *
 * The VMM's backends are "domain 0".  A backend owns a guest port that is
 * interdomain-bound to it; the guest's EVTCHNOP_send on that port signals
 * the backend's eventfd directly in KVM (no exit), and the backend raises
 * the port in the guest with evtchn_notify_guest().
 */
#ifndef XKVM_XEN_EVTCHN_H
#define XKVM_XEN_EVTCHN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

struct vm;
struct evtchn_table;
struct kvm_xen_hvm_attr;

/* 2-level ABI: 64 x 64 ports for a 64-bit guest (32 x 32 for a 32-bit one). */
#define EVTCHN_MAX_PORTS 4096

struct evtchn_port {
	uint8_t state; /* EVTCHNSTAT_* */
	uint32_t vcpu; /* Xen vCPU that is notified */
	uint16_t virq; /* EVTCHNSTAT_virq */
	uint16_t remote_domid;
	evtchn_port_t remote_port; /* interdomain: peer port (loopback) or backend's number */
	int backend_fd; /* interdomain to the VMM: eventfd signalled on guest send, else -1 */
	bool in_kernel; /* registered with KVM_XEN_ATTR_TYPE_EVTCHN */
};

/*
 * How an event reaches KVM, how a vCPU is woken and how a port's sends are
 * handed to KVM: KVM_XEN_HVM_EVTCHN_SEND, a kick of the vCPU thread and
 * KVM_XEN_HVM_SET_ATTR, unless a test puts its own in.
 */
struct evtchn_kvm_ops {
	int (*send)(struct evtchn_table *t, evtchn_port_t port, uint32_t vcpu);
	void (*wake)(struct evtchn_table *t, uint32_t vcpu);
	int (*set_attr)(struct evtchn_table *t, const struct kvm_xen_hvm_attr *a);
};

struct evtchn_table {
	pthread_mutex_t lock;
	struct vm *vm;
	uint16_t domid;
	bool long_mode;	      /* guest ABI width: selects how many ports exist */
	uint8_t *shared_info; /* host view of the guest's shared_info page, NULL until placed */
	evtchn_port_t next_backend_port;
	const struct evtchn_kvm_ops *ops;
	/* After each event the VMM raised (the callback line follows upcall_pending); optional. */
	void (*raised)(void *opaque);
	void *raised_opaque;
	struct evtchn_port ports[EVTCHN_MAX_PORTS];
	/* Ports raised before the guest placed shared_info, delivered once it does. */
	uint64_t held[EVTCHN_MAX_PORTS / 64];
};

void evtchn_init(struct evtchn_table *t, struct vm *vm, uint16_t domid);
void evtchn_destroy(struct evtchn_table *t);
unsigned evtchn_nr_ports(const struct evtchn_table *t);

/* ---- For the VMM's backends (domain 0) ---- */

/*
 * Allocate a fresh guest port already bound to the VMM (console, XenStore:
 * the guest learns it from an HVM param).  Guest sends signal efd.
 * Returns the port (> 0) or -errno.
 */
int evtchn_alloc_backend_port(struct evtchn_table *t, int efd);
/*
 * Bind the guest's unbound port (allocated by the frontend with
 * EVTCHNOP_alloc_unbound, remote domain 0) to the VMM: guest sends signal
 * efd.  Returns 0, -EINVAL (no such port / not unbound for domain 0).
 */
int evtchn_bind_backend(struct evtchn_table *t, evtchn_port_t port, int efd);
/* Close a backend binding: the guest sees the port as closed by the remote end (unbound). */
void evtchn_unbind_backend(struct evtchn_table *t, evtchn_port_t port);
/* Raise `port` in the guest (backend → frontend notification). */
int evtchn_notify_guest(struct evtchn_table *t, evtchn_port_t port);

/*
 * vCPUs (bit i = Xen vCPU i, the first 64) that have an unmasked event
 * pending on a port bound to them.  KVM raises some events in the kernel
 * (guest sends on IPI and loopback ports, its Xen timer) without waking a
 * vCPU that polls with its selector bit already set; the caller kicks
 * vCPUs that stay in this set without leaving KVM_RUN.
 */
uint64_t evtchn_vcpus_with_events(struct evtchn_table *t);

/* ---- For the hypercall layer (EVTCHNOP_*) ---- */

/* Run an EVTCHNOP with its argument already copied in; writes results back into arg. */
int evtchn_op(struct evtchn_table *t, unsigned cmd, void *arg, unsigned calling_vcpu);
/* Argument size of an EVTCHNOP, or 0 for an unknown one. */
size_t evtchn_op_arg_size(unsigned cmd);
void evtchn_reset(struct evtchn_table *t);
/* The guest placed shared_info (hva of the page) or changed ABI width. */
void evtchn_set_shared_info(struct evtchn_table *t, void *page, bool long_mode);
/* The guest changed ABI width (which selects how many ports exist). */
void evtchn_set_long_mode(struct evtchn_table *t, bool long_mode);

#endif
