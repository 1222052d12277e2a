/* SPDX-License-Identifier: MIT */
/*
 * The PIIX3 PCI-to-ISA bridge (function 0 of its slot, 8086:7000; the IDE
 * controller is function 1): it routes the four PCI interrupt lines PIRQA-D
 * to ISA IRQs through config registers 0x60-0x63, holds the ELCR
 * (edge/level per ISA IRQ, ports 0x4D0/0x4D1) and the reset control
 * register at 0xCF9.
 *
 * INTx: the board wires a device's pin to a PIRQ by its slot (the swizzle
 * piix3_pirq_of computes, the same as SeaBIOS and QEMU, and what the DSDT's
 * _PRT must say).  The machine's pci_host_ops.set_intx forwards to
 * piix3_set_intx, which keeps each PIRQ's level and drives the ISA IRQ the
 * PIRQ is routed to now through ops->set_irq: a route the guest changes
 * while the line is up lowers the old IRQ and raises the new one, and two
 * PIRQs sharing an IRQ keep it up while either is.
 */
#ifndef XKVM_DEVICES_PIIX3_H
#define XKVM_DEVICES_PIIX3_H

#include "devices/pci.h"

#include <pthread.h>

#define PIIX3_PIRQ_ROUTE 0x60 /* PIRQA-D route control: 0x60-0x63 */
#define PIIX3_NR_PIRQ	 4
#define PIIX3_NR_IRQ	 16
#define PIIX3_ELCR_PORT	 0x4d0 /* and 0x4d1 */
#define PIIX3_RCR_PORT	 0xcf9

struct piix3_ops {
	/* Drive ISA IRQ (0-15; the same GSI on the IOAPIC) to level. */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	/* The guest asked for a reset through 0xCF9: hard (bit 1 set) or soft. */
	void (*reset)(void *opaque, bool hard);
};

struct piix3 {
	struct pci_function fn;
	const struct piix3_ops *ops;
	void *opaque;

	pthread_mutex_t lock;			   /* everything below */
	uint8_t route[PIIX3_NR_PIRQ];		   /* copy of 0x60-0x63 the INTx path reads */
	uint8_t intx[PCI_NR_SLOTS * PCI_NR_FUNCS]; /* asserted pins: bit pin-1, by devfn */
	unsigned pirq_count[PIIX3_NR_PIRQ];	   /* asserted pins on each PIRQ */
	bool irq_driven[PIIX3_NR_IRQ];		   /* what set_irq was last told */
	uint8_t elcr[2];
	uint8_t rcr;
};

int piix3_init(struct piix3 *p, const struct piix3_ops *ops, void *opaque);
void piix3_destroy(struct piix3 *p);
/* Power-on values (a machine reset after pci_bus_reset, vCPUs stopped); lowers any IRQ it drove. */
void piix3_reset(struct piix3 *p);

/* PIRQ (0 = A .. 3 = D) that pin (1 = INTA .. 4 = INTD) of devfn drives; -1 for a bad pin. */
int piix3_pirq_of(uint8_t devfn, unsigned pin);
/* ISA IRQ a PIRQ is routed to now, or -1 (routing off, a reserved IRQ, a bad PIRQ). */
int piix3_pirq_irq(struct piix3 *p, unsigned pirq);
/* pci_host_ops.set_intx goes here. */
void piix3_set_intx(struct piix3 *p, uint8_t devfn, unsigned pin, bool level);

/*
 * Bus handler for ports 0x4D0-0x4D1 (offset 0-1).  KVM's in-kernel PIC
 * (KVM_CREATE_IRQCHIP) claims these two ports itself, so with it the
 * accesses never leave the kernel: register this only with a PIC in
 * userspace (split irqchip).
 */
void piix3_elcr_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/*
 * Bus handler for ports 0xCF8-0xCFF (offset 0-7), in place of pci_config_io
 * on a board with a PIIX3: a byte at 0xCF9 is the reset control register,
 * everything else goes to the PCI bus the function sits on.
 */
void piix3_cf8_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
