/* SPDX-License-Identifier: MIT */
#include "arch/x86/board_desc.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>

static void test_boards_check(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(board_desc_check(&board_pvh, &why), 0);
	assert_int_equal(board_desc_check(&board_pc, &why), 0);
}

static int check(const struct board_device *devs, size_t n, const char **why)
{
	struct board_desc b = {.name = "t", .devices = devs, .nr_devices = n};

	*why = NULL;
	return board_desc_check(&b, why);
}

static void test_check_rejects(void **state)
{
	static const struct board_device overlap[] = {
	    {.name = "A", .ranges = {{0x3F8, 8}}, .irq = 4},
	    {.name = "B", .ranges = {{0x100, 1}, {0x3FF, 1}}, .irq = BOARD_NO_IRQ},
	};
	static const struct board_device nested_ok[] = {
	    {.name = "A", .ranges = {{0xCF8, 8}}, .irq = BOARD_NO_IRQ},
	    {.name = "B", .ranges = {{0xCF9, 1}}, .irq = BOARD_NO_IRQ, .nested = true},
	};
	static const struct board_device bad_irq[] = {
	    {.name = "A", .ranges = {{0x70, 2}}, .irq = 16}};
	static const struct board_device bad_name[] = {{.name = "ABCDE", .irq = BOARD_NO_IRQ}};
	static const struct board_device past_io[] = {
	    {.name = "A", .ranges = {{0xFFFF, 2}}, .irq = BOARD_NO_IRQ}};
	static const struct board_device mmio_hid[] = {
	    {.name = "A", .space = BOARD_MMIO, .ranges = {{0xFED00000, 0x400}}, .hid = "PNP0103"}};
	const char *why;

	(void)state;
	assert_int_equal(check(overlap, ARRAY_SIZE(overlap), &why), -EINVAL);
	assert_string_equal(why, "B");
	assert_int_equal(check(nested_ok, ARRAY_SIZE(nested_ok), &why), 0);
	assert_int_equal(check(bad_irq, ARRAY_SIZE(bad_irq), &why), -EINVAL);
	assert_int_equal(check(bad_name, ARRAY_SIZE(bad_name), &why), -EINVAL);
	assert_int_equal(check(past_io, ARRAY_SIZE(past_io), &why), -EINVAL);
	assert_int_equal(check(mmio_hid, ARRAY_SIZE(mmio_hid), &why), -EINVAL);
}

static void test_find(void **state)
{
	const struct board_device *ide1 = board_find(&board_pc, BOARD_DEV_IDE, 1);

	(void)state;
	assert_non_null(ide1);
	assert_int_equal(ide1->ranges[0].base, 0x170);
	assert_int_equal(ide1->irq, 15);
	assert_int_equal(board_find(&board_pc, BOARD_DEV_SERIAL, 0)->ranges[0].base, 0x3F8);
	assert_null(board_find(&board_pc, BOARD_DEV_IDE, 2));
	assert_null(board_find(&board_pvh, BOARD_DEV_I8042, 0));
}

/* SeaBIOS's swizzle: slot s pin p raises PIRQ (s + p - 2) mod 4, PIRQA-D -> 10, 10, 11, 11. */
static void test_pci_irq(void **state)
{
	(void)state;
	assert_int_equal(board_pci_irq(&board_pc, 1, 1), 10);  /* PIRQA */
	assert_int_equal(board_pci_irq(&board_pc, 1, 2), 10);  /* PIRQB */
	assert_int_equal(board_pci_irq(&board_pc, 1, 3), 11);  /* PIRQC */
	assert_int_equal(board_pci_irq(&board_pc, 2, 1), 10);  /* PIRQB */
	assert_int_equal(board_pci_irq(&board_pc, 3, 1), 11);  /* PIRQC */
	assert_int_equal(board_pci_irq(&board_pc, 0, 1), 11);  /* PIRQD */
	assert_int_equal(board_pci_irq(&board_pc, 31, 4), 10); /* (31 + 4 - 2) mod 4 = 1: PIRQB */
	assert_int_equal(board_pci_irq(&board_pc, 0, 0), -1);
	assert_int_equal(board_pci_irq(&board_pc, 0, 5), -1);
	assert_int_equal(board_pci_irq(&board_pc, 32, 1), -1);
	assert_int_equal(board_pci_irq(&board_pvh, 1, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_boards_check),
	    cmocka_unit_test(test_check_rejects),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_pci_irq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
