/* SPDX-License-Identifier: MIT */
/*
 * A VM's Xen personality: what KVM's Xen support does not do for us.
 * One struct xen_domain per VM hangs off struct vm; the VMM plays
 * domain 0 (backends and XenStore), the guest is `domid`.
 */
#ifndef XKVM_XEN_DOMAIN_H
#define XKVM_XEN_DOMAIN_H

#include "xen/callback_line.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

#include <linux/kvm.h>
#include <xen/xen.h>
#include <xen/hvm/params.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct xen_console;

/* Xen 4.17, as reported by XENVER_version and CPUID. */
#define XEN_EMU_MAJOR	4
#define XEN_EMU_MINOR	17
#define XEN_GUEST_DOMID 1

/* Console and XenStore rings: VMM pages at the conventional frames in the MMIO hole. */
#define XEN_SPECIAL_PAGES_GPA 0xFEFF8000ULL
#define XEN_CONSOLE_PFN	      (XEN_SPECIAL_PAGES_GPA >> 12)
#define XEN_STORE_PFN	      (XEN_CONSOLE_PFN + 1)
#define XEN_NR_SPECIAL_PAGES  2

struct xen_vcpu_state {
	uint64_t vcpu_info_gpa; /* 0: the default slot in shared_info */
	uint8_t upcall_vector;	/* HVMOP_set_evtchn_upcall_vector's, 0: none */
	bool timer_bound;
	/*
	 * Xen's is_initialised and _VPF_down (vcpu_op.c, under the domain
	 * lock): vCPU 0 starts initialised and up, the others neither, until
	 * VCPUOP_initialise/up or, for a vCPU the guest starts by INIT/SIPI
	 * (which KVM runs unseen), its first hypercall.
	 */
	bool initialised, down;
	/* VCPUOP_initialise's registers, loaded at VCPUOP_up. */
	bool start_pending;
	struct kvm_regs start_regs;
	struct kvm_sregs start_sregs;
	/* Poll watch (xen.c): an event was pending for it when last looked, at this KVM_RUN count.
	 */
	bool event_seen;
	uint64_t runs_seen;
};

struct xen_domain {
	struct vm *vm;
	uint16_t domid;
	const char *name;
	pthread_mutex_t lock; /* guards the fields below that hypercalls change */

	bool long_mode;
	uint64_t shared_info_gfn;	    /* UINT64_MAX until the guest places it */
	uint64_t hvm_params[HVM_NR_PARAMS]; /* what get_param reads (hvm_op.c) */
	unsigned nr_vcpus;
	struct xen_vcpu_state *vcpus;

	/*
	 * The reservation (memory_op.c): pages the domain holds against its
	 * maximum, both in pages (0 until the first reservation op), and the
	 * RAM pages given back by decrease_reservation (a bit per page of
	 * guest RAM, NULL while there are none).
	 */
	uint64_t tot_pages, max_pages;
	uint8_t *unpopulated;

	/* VMM-owned special pages (console, XenStore rings), in their own memslot. */
	uint8_t *special_pages;
	int console_port;
	int store_port;
	int console_efd; /* guest → console backend */
	int store_efd;	 /* guest → XenStore ring server */

	pthread_t service_thread; /* serves the store and console rings */
	bool service_started;
	int stop_efd;
	struct xen_console *console;

	struct evtchn_table evtchn;
	/* HVM_PARAM_CALLBACK_IRQ on a GSI or PCI INTx line (the machine's, if it has lines). */
	struct xen_callback_line callback;
	struct gnttab gnttab;
	struct xs_store *xs;
	struct xs_ring *xs_ring;

	/*
	 * Where the guest's console output goes.  console_out (console_io, on
	 * the vCPU) takes it all, waiting a bounded time for room if it must;
	 * console_offer (the hvc0 ring, on the service thread) takes what fits
	 * without waiting and returns how much, the rest staying in the ring.
	 * Either may be NULL.
	 */
	void (*console_out)(void *opaque, const uint8_t *buf, size_t len);
	size_t (*console_offer)(void *opaque, const uint8_t *buf, size_t len);
	void *console_opaque;

	/* Log each refused or unknown hypercall type once. */
	uint64_t warned[4];
};

struct xen_domain_params {
	uint16_t domid;
	const char *name;
	unsigned nr_vcpus;
	uint64_t memory_kib;
};

/*
 * Give the VM its Xen personality: KVM's Xen support, the special pages,
 * event channels, grant table, XenStore with the guest's initial nodes,
 * and the console backend.  Call before the vCPUs are created.
 */
struct xen_domain *xen_domain_create(struct vm *vm, const struct xen_domain_params *p);
/* Per vCPU, once created: its Xen vCPU id (KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID). */
int xen_vcpu_setup(struct xen_domain *xd, struct vcpu *vcpu);
/* Start serving the rings. */
int xen_domain_start(struct xen_domain *xd);
/*
 * Stop serving the rings (the service thread): before the host console the
 * hvc0 ring writes to goes away.  xen_domain_destroy does it too.
 */
void xen_domain_stop(struct xen_domain *xd);
void xen_domain_destroy(struct xen_domain *xd);
/* Host view of guest frame gfn: RAM, or a VMM page placed there in a hole (NULL: cannot). */
void *xen_place_page(void *xd, uint64_t gfn);
/*
 * vCPU 0's evtchn_upcall_pending, where its vcpu_info is now (false
 * while it has none).
 */
bool xen_vcpu0_upcall_pending(struct xen_domain *xd);
/* Bring the callback line, if the guest chose one, in step with vCPU 0's upcall_pending. */
void xen_callback_update(struct xen_domain *xd);
/* Ask the guest to shut down cleanly (control/shutdown); false if it never said it can. */
bool xen_request_shutdown(struct xen_domain *xd, const char *how);

#endif
