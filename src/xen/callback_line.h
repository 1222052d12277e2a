/* SPDX-License-Identifier: MIT */
/*
 * Xen's event callback on an interrupt line: HVM_PARAM_CALLBACK_IRQ set to
 * a GSI or to a PCI device's INTx, the way Windows PV drivers and Linux
 * without a callback vector (xen_no_vector_callback) take their events.
 * The line is level-triggered and follows vCPU 0's evtchn_upcall_pending:
 * high while it is set, low once the guest has cleared it.  This module
 * keeps which line the guest chose and what it was last driven to; the
 * machine drives the line (it knows its interrupt controllers and PCI
 * routing), the Xen service decides when (xen.c).
 */
#ifndef XKVM_XEN_CALLBACK_LINE_H
#define XKVM_XEN_CALLBACK_LINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct xen_callback_line_ops {
	/* The machine has this GSI (an IOAPIC input). */
	bool (*gsi_exists)(void *opaque, unsigned gsi);
	/* Drive a GSI that exists. */
	void (*set_gsi)(void *opaque, unsigned gsi, bool level);
	/* Drive INTx pin (1 = INTA) of PCI slot devfn >> 3, wire-ORed with its devices'. */
	void (*set_pci_intx)(void *opaque, uint8_t devfn, unsigned pin, bool level);
};

enum xen_callback_line_kind { CALLBACK_LINE_NONE, CALLBACK_LINE_GSI, CALLBACK_LINE_PCI_INTX };

/* One line: a GSI, or INTx pin (1 = INTA) of the slot of devfn. */
struct xen_callback_target {
	enum xen_callback_line_kind kind;
	unsigned gsi;
	uint8_t devfn;
	unsigned pin;
};

struct xen_callback_line {
	pthread_mutex_t lock;
	const struct xen_callback_line_ops *ops; /* NULL: a machine without lines (PVH) */
	void *opaque;
	struct xen_callback_target chosen; /* what the guest chose, under lock */
	/* What is driven high now (it is lowered there even if the guest chose anew). */
	struct xen_callback_target driven;
};

void xen_callback_line_init(struct xen_callback_line *l);
void xen_callback_line_destroy(struct xen_callback_line *l);
/* The machine's lines; before the guest runs. */
void xen_callback_line_set_ops(struct xen_callback_line *l, const struct xen_callback_line_ops *ops,
			       void *opaque);
/*
 * The guest set HVM_PARAM_CALLBACK_IRQ to via, of type GSI or PCI INTx
 * (anything else turns the line off).  As Xen: GSI 0 or one the machine
 * lacks leaves no callback line, and the answer is still 0.  On a machine
 * without lines, GSI 1 (Linux's "enlightened" marker) is 0 and any other
 * line -ENOSYS.  A line the guest leaves is lowered.
 */
int xen_callback_line_choose(struct xen_callback_line *l, uint64_t via);
/* A line is chosen or still high: the Xen service keeps it in step with upcall_pending. */
bool xen_callback_line_chosen(struct xen_callback_line *l);
/* The line is driven high now. */
bool xen_callback_line_high(struct xen_callback_line *l);
/* Bring the chosen line to level (vCPU 0's upcall_pending); returns whether it is high. */
bool xen_callback_line_sync(struct xen_callback_line *l, bool level);

#endif
