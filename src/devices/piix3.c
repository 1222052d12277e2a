/* SPDX-License-Identifier: MIT */
#include "devices/piix3.h"

#include <string.h>

#define PIIX3_VENDOR	  0x8086
#define PIIX3_DEVICE	  0x7000
#define PIIX3_CLASS	  0x060100 /* ISA bridge */
#define PIIX3_ROUTE_OFF	  0x80	   /* IRQEN#: routing disabled */
#define PIIX3_ROUTE_IRQ	  0x0f
#define PIIX3_ROUTE_WMASK (PIIX3_ROUTE_OFF | PIIX3_ROUTE_IRQ)
/* ISA IRQs a PIRQ may be steered to, and whose trigger mode the ELCR may set. */
#define PIIX3_IRQ_ROUTABLE  0xdef8u /* not 0, 1, 2, 8, 13 */
#define PIIX3_RCR_SYS_RESET 0x02    /* 1: hard reset, 0: soft */
#define PIIX3_RCR_RESET_CPU 0x04    /* writing 1 starts the reset */

int piix3_pirq_of(uint8_t devfn, unsigned pin)
{
	unsigned slot = devfn >> 3;

	if (pin < 1 || pin > 4)
		return -1;
	/* Slot 1 (the PIIX3 itself) takes INTA on PIRQA; each slot rotates by one. */
	return (int)((pin - 1 + slot - 1) & 3);
}

static int route_irq(uint8_t route)
{
	unsigned irq = route & PIIX3_ROUTE_IRQ;

	if ((route & PIIX3_ROUTE_OFF) || !(PIIX3_IRQ_ROUTABLE & (1u << irq)))
		return -1;
	return (int)irq;
}

int piix3_pirq_irq(struct piix3 *p, unsigned pirq)
{
	int irq;

	if (pirq >= PIIX3_NR_PIRQ)
		return -1;
	pthread_mutex_lock(&p->lock);
	irq = route_irq(p->route[pirq]);
	pthread_mutex_unlock(&p->lock);
	return irq;
}

/* Bring each ISA IRQ to the OR of the PIRQs routed to it (p->lock held). */
static void sync_irqs(struct piix3 *p)
{
	bool want[PIIX3_NR_IRQ] = {false};

	for (unsigned i = 0; i < PIIX3_NR_PIRQ; i++) {
		int irq = route_irq(p->route[i]);

		if (irq >= 0 && p->pirq_count[i])
			want[irq] = true;
	}
	/* Lower first, so a moved line is never up on two IRQs at once. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned irq = 0; irq < PIIX3_NR_IRQ; irq++)
			if (want[irq] != p->irq_driven[irq] && want[irq] == (pass == 1)) {
				p->irq_driven[irq] = want[irq];
				p->ops->set_irq(p->opaque, irq, want[irq]);
			}
}

void piix3_set_intx(struct piix3 *p, uint8_t devfn, unsigned pin, bool level)
{
	int pirq = piix3_pirq_of(devfn, pin);
	uint8_t bit;

	if (pirq < 0)
		return;
	bit = (uint8_t)(1u << (pin - 1));
	pthread_mutex_lock(&p->lock);
	if (level != !!(p->intx[devfn] & bit)) {
		p->intx[devfn] ^= bit;
		if (level)
			p->pirq_count[pirq]++;
		else
			p->pirq_count[pirq]--;
		sync_irqs(p);
	}
	pthread_mutex_unlock(&p->lock);
}

/* The guest rewrote some of 0x60-0x63: the INTx path follows the new routes. */
static void piix3_config_write(struct pci_function *fn, unsigned offset, unsigned len)
{
	struct piix3 *p = fn->opaque;

	if (offset >= PIIX3_PIRQ_ROUTE + PIIX3_NR_PIRQ || offset + len <= PIIX3_PIRQ_ROUTE)
		return;
	pthread_mutex_lock(&p->lock);
	memcpy(p->route, &fn->config[PIIX3_PIRQ_ROUTE], PIIX3_NR_PIRQ);
	sync_irqs(p);
	pthread_mutex_unlock(&p->lock);
}

void piix3_reset(struct piix3 *p)
{
	struct pci_function *fn = &p->fn;

	pthread_mutex_lock(&p->lock);
	/* A bridge to ISA always decodes: I/O, memory and bus mastering on. */
	pci_config_set16(fn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (unsigned i = 0; i < PIIX3_NR_PIRQ; i++) {
		pci_config_set8(fn, PIIX3_PIRQ_ROUTE + i, PIIX3_ROUTE_OFF);
		fn->wmask[PIIX3_PIRQ_ROUTE + i] = PIIX3_ROUTE_WMASK;
		p->route[i] = PIIX3_ROUTE_OFF;
	}
	memset(p->elcr, 0, sizeof(p->elcr));
	p->rcr = 0;
	sync_irqs(p); /* every route is off: whatever we drove goes low */
	pthread_mutex_unlock(&p->lock);
}

int piix3_init(struct piix3 *p, const struct piix3_ops *ops, void *opaque)
{
	struct pci_function *fn = &p->fn;
	int err;

	memset(p, 0, sizeof(*p));
	err = pthread_mutex_init(&p->lock, NULL);
	if (err)
		return -err;
	p->ops = ops;
	p->opaque = opaque;
	pci_function_init(fn, "piix3", PIIX3_VENDOR, PIIX3_DEVICE, PIIX3_CLASS, 0, 0);
	/* A bridge to ISA always decodes: I/O, memory and bus mastering on. */
	pci_config_set16(fn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	fn->config_write = piix3_config_write;
	fn->opaque = p;
	piix3_reset(p);
	return 0;
}

void piix3_destroy(struct piix3 *p)
{
	pthread_mutex_destroy(&p->lock);
}

void piix3_elcr_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct piix3 *p = opaque;

	if (offset >= 2 || len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (is_write)
		p->elcr[offset] = data[0] & (uint8_t)(PIIX3_IRQ_ROUTABLE >> (8 * offset));
	else
		data[0] = p->elcr[offset];
	pthread_mutex_unlock(&p->lock);
}

static void rcr_io(struct piix3 *p, uint8_t *data, bool is_write)
{
	bool reset = false, hard = false;

	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		data[0] = p->rcr;
	} else {
		p->rcr = data[0] & PIIX3_RCR_SYS_RESET;
		reset = data[0] & PIIX3_RCR_RESET_CPU;
		hard = data[0] & PIIX3_RCR_SYS_RESET;
	}
	pthread_mutex_unlock(&p->lock);
	if (reset)
		p->ops->reset(p->opaque, hard);
}

void piix3_cf8_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct piix3 *p = opaque;

	if (offset == PIIX3_RCR_PORT - 0xcf8 && len == 1)
		rcr_io(p, data, is_write);
	else if (p->fn.bus)
		pci_config_io(p->fn.bus, offset, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}
