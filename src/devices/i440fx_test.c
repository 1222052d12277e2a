/* SPDX-License-Identifier: MIT */
#include "devices/i440fx.h"
#include "lib/test.h"

#include <string.h>

static int no_map(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	(void)host;
	(void)fn;
	(void)bar;
	(void)base;
	fail_msg("the host bridge has no BARs");
	return -1;
}

static void no_unmap(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	(void)host;
	(void)fn;
	(void)bar;
	(void)base;
	fail_msg("the host bridge has no BARs");
}

static void no_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	(void)host;
	(void)devfn;
	(void)pin;
	(void)level;
	fail_msg("the host bridge has no interrupt pin");
}

static const struct pci_host_ops ops = {no_map, no_unmap, no_intx};

struct fixture {
	struct pci_bus bus;
	struct i440fx host;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	assert_int_equal(pci_bus_init(&f->bus, &ops, NULL), 0);
	i440fx_init(&f->host);
	assert_int_equal(pci_bus_add(&f->bus, &f->host.fn, 0, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_bus_destroy(&f->bus);
	test_free(f);
	return 0;
}

/* Config cycles to 00:00.0 as SeaBIOS makes them (dword address, access at 0xCFC + reg & 3). */
static uint32_t rd(struct fixture *f, unsigned reg, unsigned len)
{
	uint32_t a = 0x80000000u | (reg & 0xfc), v = 0;

	pci_config_io(&f->bus, 0, (uint8_t *)&a, 4, true);
	pci_config_io(&f->bus, 4 + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

static void wr(struct fixture *f, unsigned reg, unsigned len, uint32_t v)
{
	uint32_t a = 0x80000000u | (reg & 0xfc);

	pci_config_io(&f->bus, 0, (uint8_t *)&a, 4, true);
	pci_config_io(&f->bus, 4 + (reg & 3), (uint8_t *)&v, len, true);
}

/* What qemu_detect() reads: without 1af4:1100 SeaBIOS ignores fw_cfg. */
static void test_identity(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x00, 2), 0x8086);
	assert_int_equal(rd(f, 0x02, 2), 0x1237);
	assert_int_equal(rd(f, 0x2c, 2), 0x1af4);
	assert_int_equal(rd(f, 0x2e, 2), 0x1100);
	assert_int_equal(rd(f, 0x08, 4), 0x06000002);
	assert_int_equal(rd(f, 0x0e, 1), 0);
	assert_int_equal(rd(f, 0x3d, 1), 0);
	wr(f, 0x2c, 4, 0);
	assert_int_equal(rd(f, 0x2c, 4), 0x11001af4);
}

/* SeaBIOS's make_bios_writable: read the two dwords holding PAM0-6, set, write back. */
static void test_pam_like_seabios(void **state)
{
	struct fixture *f = *state;
	uint32_t lo = rd(f, 0x58, 4), hi = rd(f, 0x5c, 4);

	assert_int_equal(lo, 0);
	assert_int_equal(hi, 0);
	lo = (lo & 0xff) | 0x30u << 8 | 0x33u << 16 | 0x33u << 24;
	hi = 0x33333333;
	wr(f, 0x58, 4, lo);
	wr(f, 0x5c, 4, hi);
	assert_int_equal(i440fx_pam(&f->host, 0), 0x30);
	for (unsigned i = 1; i < I440FX_NR_PAM; i++)
		assert_int_equal(i440fx_pam(&f->host, i), 0x33);
	/* Reserved bits stay clear; registers 0x58 and 0x60 are not PAM. */
	wr(f, 0x58, 4, 0xffffffff);
	wr(f, 0x5c, 4, 0xffffffff);
	wr(f, 0x60, 4, 0xffffffff);
	assert_int_equal(rd(f, 0x58, 4), 0x33333000);
	assert_int_equal(rd(f, 0x5c, 4), 0x33333333);
	assert_int_equal(rd(f, 0x60, 4), 0);
	assert_int_equal(i440fx_pam(&f->host, 7), 0);
	i440fx_reset(&f->host);
	assert_int_equal(rd(f, 0x58, 4), 0);
	assert_int_equal(rd(f, 0x5c, 4), 0);
}

static void test_smram_lock(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x02);
	wr(f, I440FX_SMRAM, 1, 0xef);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x6a);
	wr(f, I440FX_SMRAM, 1, 0x4a);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x4a);
	/* D_LCK closes SMRAM and freezes the register until reset. */
	wr(f, 0x70, 4, 0x5a << 16);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x1a);
	wr(f, I440FX_SMRAM, 1, 0x40);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x1a);
	i440fx_reset(&f->host);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x02);
	wr(f, I440FX_SMRAM, 1, 0x48);
	assert_int_equal(rd(f, I440FX_SMRAM, 1), 0x4a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pam_like_seabios, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smram_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
