/* SPDX-License-Identifier: MIT */
/*
 * The HVM PC (machine/hvm.c) as a base that another machine builds on:
 * the Xen HVM machine (machine/xen_hvm.c) drives an HVM machine of its
 * own through machine_hvm_ops and adds, before build, a PCI function and
 * the handler of the board's Xen platform ports and a reserved range in
 * the firmware's memory map; after build it can take emulated disks and
 * NICs away (Xen's unplug protocol).  Nothing here is Xen-specific.
 */
#ifndef XKVM_MACHINE_HVM_H
#define XKVM_MACHINE_HVM_H

#include "core/bus.h"
#include "machine/machine.h"

#include <stdbool.h>
#include <stdint.h>

struct pci_function;
struct disk_image;

/* Before build: a PCI function placed at the first free slot, ahead of the NICs. */
int hvm_add_pci_function(struct machine *m, struct pci_function *fn);
/* Before build: who answers the board's BOARD_DEV_XEN_PLATFORM ports (none: unanswered). */
void hvm_set_platform_ports(struct machine *m, io_handler_fn fn, void *opaque);
/* Before build: a range the firmware's memory map marks reserved (e.g. VMM pages in the hole). */
int hvm_reserve_range(struct machine *m, uint64_t gpa, uint64_t size);

/*
 * Flush and detach the emulated IDE disks (never CD-ROMs), all of them or
 * all but the primary master.  Any vCPU thread.  0 or -errno (detached anyway).
 */
int hvm_unplug_disks(struct machine *m, bool keep_primary_master);
/* Take the emulated NICs off the PCI bus and stop them; their TAPs stay open.  Idempotent. */
void hvm_unplug_nics(struct machine *m);
/* The open image of the config's disk i (for a backend to share), or NULL. */
const struct disk_image *hvm_disk_image(struct machine *m, unsigned i);
/* The TAP fd of the config's NIC i (for a backend to share), or -1. */
int hvm_nic_fd(struct machine *m, unsigned i);

/*
 * Interrupt lines for a source that is not a PCI function of its own
 * (Xen's event callback).  A GSI is an input of the IOAPIC (1-23 here);
 * a slot's INTx goes through the PIIX3's PIRQ routing, wire-ORed with the
 * slot's functions (set_pci_intx drives it as a function of its own).
 */
bool hvm_gsi_exists(struct machine *m, unsigned gsi);
void hvm_set_gsi(struct machine *m, unsigned gsi, bool level);
void hvm_set_pci_intx(struct machine *m, uint8_t slot, unsigned pin, bool level);
/* The ISA IRQ a slot's INTx pin is routed to now, or -1 (routing off). */
int hvm_pci_intx_irq(struct machine *m, uint8_t slot, unsigned pin);

#endif
