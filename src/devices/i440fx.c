/* SPDX-License-Identifier: MIT */
#include "devices/i440fx.h"

#define I440FX_VENDOR	   0x8086
#define I440FX_DEVICE	   0x1237
#define I440FX_REVISION	   0x02
#define I440FX_CLASS	   0x060000 /* host bridge */
#define I440FX_SUBSYS_VEND 0x1af4   /* what SeaBIOS's qemu_detect() checks */
#define I440FX_SUBSYS_ID   0x1100
#define I440FX_SMRAM_RESET 0x02 /* C_BASE_SEG: SMRAM at 0xA0000 */
#define I440FX_SMRAM_WMASK 0x78 /* D_OPEN, D_CLS, D_LCK, G_SMRAME */
#define I440FX_PAM_WMASK   0x33 /* read/write enable of both halves */
#define I440FX_PAM0_WMASK  0x30 /* PAM0 only has the 0xF0000 half */

void i440fx_reset(struct i440fx *h)
{
	struct pci_function *fn = &h->fn;

	for (unsigned i = 0; i < I440FX_NR_PAM; i++) {
		pci_config_set8(fn, I440FX_PAM0 + i, 0);
		fn->wmask[I440FX_PAM0 + i] = i ? I440FX_PAM_WMASK : I440FX_PAM0_WMASK;
	}
	pci_config_set8(fn, I440FX_SMRAM, I440FX_SMRAM_RESET);
	fn->wmask[I440FX_SMRAM] = I440FX_SMRAM_WMASK;
}

/* Setting D_LCK closes SMRAM and freezes the register until reset, as on the chip. */
static void i440fx_config_write(struct pci_function *fn, unsigned offset, unsigned len)
{
	uint8_t smram = fn->config[I440FX_SMRAM];

	if (offset > I440FX_SMRAM || offset + len <= I440FX_SMRAM)
		return;
	if (smram & I440FX_SMRAM_D_LCK) {
		fn->config[I440FX_SMRAM] = smram & (uint8_t)~I440FX_SMRAM_D_OPEN;
		fn->wmask[I440FX_SMRAM] = 0;
	}
}

void i440fx_init(struct i440fx *h)
{
	struct pci_function *fn = &h->fn;

	pci_function_init(fn, "i440fx", I440FX_VENDOR, I440FX_DEVICE, I440FX_CLASS, I440FX_REVISION,
			  0);
	pci_config_set16(fn, PCI_SUBSYSTEM_VENDOR_ID, I440FX_SUBSYS_VEND);
	pci_config_set16(fn, PCI_SUBSYSTEM_ID, I440FX_SUBSYS_ID);
	fn->config_write = i440fx_config_write;
	fn->opaque = h;
	i440fx_reset(h);
}

uint8_t i440fx_pam(const struct i440fx *h, unsigned n)
{
	return n < I440FX_NR_PAM ? h->fn.config[I440FX_PAM0 + n] : 0;
}
