/* SPDX-License-Identifier: MIT */
/*
 * The i440FX host bridge (PCI 00:00.0, 8086:1237): the identity SeaBIOS
 * looks for (its qemu_detect() wants subsystem 1af4:1100 before it trusts
 * fw_cfg) and the PAM and SMRAM registers it programs.  The PAM registers
 * are a plain register file: the machine keeps 0xC0000-0xFFFFF as RAM that
 * holds the BIOS copy, so shadowing needs no remapping (a "read-only"
 * setting does not write-protect that RAM).  There is no SMM, so SMRAM is
 * stored, with its lock bit honoured, and has no effect.
 */
#ifndef XKVM_DEVICES_I440FX_H
#define XKVM_DEVICES_I440FX_H

#include "devices/pci.h"

#define I440FX_PAM0	    0x59 /* PAM0-PAM6: 0x59-0x5f */
#define I440FX_NR_PAM	    7
#define I440FX_SMRAM	    0x72
#define I440FX_SMRAM_D_LCK  0x10
#define I440FX_SMRAM_D_OPEN 0x40

struct i440fx {
	struct pci_function fn;
};

/* Fill the function; the machine then places it with pci_bus_add(bus, &h->fn, 0, 0). */
void i440fx_init(struct i440fx *h);
/* Power-on values of the chipset registers (a machine reset, vCPUs stopped). */
void i440fx_reset(struct i440fx *h);
/* PAM register n (0-6) as the guest last wrote it. */
uint8_t i440fx_pam(const struct i440fx *h, unsigned n);

#endif
