/* SPDX-License-Identifier: MIT */
#include "xen/callback_line.h"
#include "lib/log.h"

#include <errno.h>
#include <xen/hvm/params.h>

void xen_callback_line_init(struct xen_callback_line *l)
{
	pthread_mutex_init(&l->lock, NULL);
	l->ops = NULL;
	l->opaque = NULL;
	l->kind = l->driven_kind = CALLBACK_LINE_NONE;
}

void xen_callback_line_destroy(struct xen_callback_line *l)
{
	pthread_mutex_destroy(&l->lock);
}

void xen_callback_line_set_ops(struct xen_callback_line *l, const struct xen_callback_line_ops *ops,
			       void *opaque)
{
	pthread_mutex_lock(&l->lock);
	l->ops = ops;
	l->opaque = opaque;
	pthread_mutex_unlock(&l->lock);
}

/* Drive a line of the machine's (l->ops set). */
static void drive(struct xen_callback_line *l, enum xen_callback_line_kind kind, unsigned gsi,
		  uint8_t devfn, unsigned pin, bool level)
{
	if (kind == CALLBACK_LINE_GSI)
		l->ops->set_gsi(l->opaque, gsi, level);
	else if (kind == CALLBACK_LINE_PCI_INTX)
		l->ops->set_pci_intx(l->opaque, devfn, pin, level);
}

/* Lower what is driven high, if anything (lock held). */
static void lower(struct xen_callback_line *l)
{
	if (l->ops && l->driven_kind != CALLBACK_LINE_NONE)
		drive(l, l->driven_kind, l->driven_gsi, l->driven_devfn, l->driven_pin, false);
	__atomic_store_n(&l->driven_kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
}

/* The chosen line exists: any PCI slot's INTx does (as on Xen), a GSI if the machine has it. */
static bool line_exists(struct xen_callback_line *l)
{
	return l->kind == CALLBACK_LINE_PCI_INTX || l->ops->gsi_exists(l->opaque, l->gsi);
}

int xen_callback_line_choose(struct xen_callback_line *l, uint64_t via)
{
	unsigned type = (unsigned)(via >> 56);
	int r = 0;

	pthread_mutex_lock(&l->lock);
	/*
	 * No lines (PVH): GSI 1 is what Linux writes beside its per-vCPU
	 * vectors (recorded, never raised); any other line is refused.
	 */
	if (!l->ops &&
	    (type == HVM_PARAM_CALLBACK_TYPE_GSI || type == HVM_PARAM_CALLBACK_TYPE_PCI_INTX)) {
		r = via == 1 ? 0 : -ENOSYS;
		goto out;
	}
	lower(l);
	__atomic_store_n(&l->kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
	if (type == HVM_PARAM_CALLBACK_TYPE_GSI && (uint8_t)via) {
		/* Xen takes the low byte as the GSI. */
		l->gsi = (uint8_t)via;
		__atomic_store_n(&l->kind, CALLBACK_LINE_GSI, __ATOMIC_RELAXED);
	} else if (type == HVM_PARAM_CALLBACK_TYPE_PCI_INTX) {
		/*
		 * DevFn in bits 8-15 (the slot's line: the function does not
		 * matter), the pin in 0-1 (0 = INTA); bus and segment, bits
		 * 16-47, are 0 on this machine's one bus.
		 */
		l->devfn = (uint8_t)((via >> 8) & 0xf8);
		l->pin = (unsigned)(via & 3) + 1;
		if (!((via >> 16) & 0xffffffffULL))
			__atomic_store_n(&l->kind, CALLBACK_LINE_PCI_INTX, __ATOMIC_RELAXED);
	}
	if (l->kind != CALLBACK_LINE_NONE && !line_exists(l)) {
		pr_debug("xen: callback line 0x%llx does not exist: no callback",
			 (unsigned long long)via);
		__atomic_store_n(&l->kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
	} else if (l->kind == CALLBACK_LINE_GSI) {
		pr_info("xen: event callback via GSI %u", l->gsi);
	} else if (l->kind == CALLBACK_LINE_PCI_INTX) {
		pr_info("xen: event callback via PCI %02x.%u INT%c", l->devfn >> 3, l->devfn & 7,
			'A' + l->pin - 1);
	}
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

bool xen_callback_line_chosen(struct xen_callback_line *l)
{
	/* Unlocked: asked on every event the VMM raises; a stale answer is caught by the next sync.
	 */
	return __atomic_load_n(&l->kind, __ATOMIC_RELAXED) != CALLBACK_LINE_NONE ||
	       __atomic_load_n(&l->driven_kind, __ATOMIC_RELAXED) != CALLBACK_LINE_NONE;
}

bool xen_callback_line_high(struct xen_callback_line *l)
{
	return __atomic_load_n(&l->driven_kind, __ATOMIC_RELAXED) != CALLBACK_LINE_NONE;
}

bool xen_callback_line_sync(struct xen_callback_line *l, bool level)
{
	bool high;

	pthread_mutex_lock(&l->lock);
	if (!level || l->kind == CALLBACK_LINE_NONE) {
		lower(l);
	} else if (l->driven_kind == CALLBACK_LINE_NONE && l->ops) {
		drive(l, l->kind, l->gsi, l->devfn, l->pin, true);
		l->driven_gsi = l->gsi;
		l->driven_devfn = l->devfn;
		l->driven_pin = l->pin;
		__atomic_store_n(&l->driven_kind, l->kind, __ATOMIC_RELAXED);
	}
	high = l->driven_kind != CALLBACK_LINE_NONE;
	pthread_mutex_unlock(&l->lock);
	return high;
}
