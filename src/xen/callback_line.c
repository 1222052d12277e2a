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
	l->chosen.kind = l->driven.kind = CALLBACK_LINE_NONE;
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
static void drive(struct xen_callback_line *l, const struct xen_callback_target *t, bool level)
{
	if (t->kind == CALLBACK_LINE_GSI)
		l->ops->set_gsi(l->opaque, t->gsi, level);
	else if (t->kind == CALLBACK_LINE_PCI_INTX)
		l->ops->set_pci_intx(l->opaque, t->devfn, t->pin, level);
}

/* Lower what is driven high, if anything (lock held). */
static void lower(struct xen_callback_line *l)
{
	if (l->ops && l->driven.kind != CALLBACK_LINE_NONE)
		drive(l, &l->driven, false);
	__atomic_store_n(&l->driven.kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
}

/* The chosen line exists: any PCI slot's INTx does (as on Xen), a GSI if the machine has it. */
static bool line_exists(struct xen_callback_line *l)
{
	return l->chosen.kind == CALLBACK_LINE_PCI_INTX ||
	       l->ops->gsi_exists(l->opaque, l->chosen.gsi);
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
	__atomic_store_n(&l->chosen.kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
	if (type == HVM_PARAM_CALLBACK_TYPE_GSI && (uint8_t)via) {
		/* Xen takes the low byte as the GSI. */
		l->chosen.gsi = (uint8_t)via;
		__atomic_store_n(&l->chosen.kind, CALLBACK_LINE_GSI, __ATOMIC_RELAXED);
	} else if (type == HVM_PARAM_CALLBACK_TYPE_PCI_INTX) {
		/*
		 * DevFn in bits 8-15 (the slot's line: the function does not
		 * matter), the pin in 0-1 (0 = INTA); bus and segment, bits
		 * 16-47, are 0 on this machine's one bus.
		 */
		l->chosen.devfn = (uint8_t)((via >> 8) & 0xf8);
		l->chosen.pin = (unsigned)(via & 3) + 1;
		if (!((via >> 16) & 0xffffffffULL))
			__atomic_store_n(&l->chosen.kind, CALLBACK_LINE_PCI_INTX, __ATOMIC_RELAXED);
	}
	if (l->chosen.kind != CALLBACK_LINE_NONE && !line_exists(l)) {
		pr_debug("xen: callback line 0x%llx does not exist: no callback",
			 (unsigned long long)via);
		__atomic_store_n(&l->chosen.kind, CALLBACK_LINE_NONE, __ATOMIC_RELAXED);
	} else if (l->chosen.kind == CALLBACK_LINE_GSI) {
		pr_info("xen: event callback via GSI %u", l->chosen.gsi);
	} else if (l->chosen.kind == CALLBACK_LINE_PCI_INTX) {
		pr_info("xen: event callback via PCI %02x.%u INT%c", l->chosen.devfn >> 3,
			l->chosen.devfn & 7, 'A' + l->chosen.pin - 1);
	}
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

bool xen_callback_line_chosen(struct xen_callback_line *l)
{
	/* Unlocked: asked on every event the VMM raises; a stale answer is caught by the next sync.
	 */
	return __atomic_load_n(&l->chosen.kind, __ATOMIC_RELAXED) != CALLBACK_LINE_NONE ||
	       xen_callback_line_high(l);
}

bool xen_callback_line_high(struct xen_callback_line *l)
{
	return __atomic_load_n(&l->driven.kind, __ATOMIC_RELAXED) != CALLBACK_LINE_NONE;
}

bool xen_callback_line_sync(struct xen_callback_line *l, bool level)
{
	bool high;

	pthread_mutex_lock(&l->lock);
	if (!level || l->chosen.kind == CALLBACK_LINE_NONE) {
		lower(l);
	} else if (l->driven.kind == CALLBACK_LINE_NONE && l->ops) {
		drive(l, &l->chosen, true);
		l->driven.gsi = l->chosen.gsi;
		l->driven.devfn = l->chosen.devfn;
		l->driven.pin = l->chosen.pin;
		/* Last: the unlocked readers take a kind as the sign of a whole target. */
		__atomic_store_n(&l->driven.kind, l->chosen.kind, __ATOMIC_RELAXED);
	}
	high = l->driven.kind != CALLBACK_LINE_NONE;
	pthread_mutex_unlock(&l->lock);
	return high;
}
