/* SPDX-License-Identifier: MIT */
#include "devices/i8042.h"
#include "lib/test.h"

struct probe {
	int resets;
	int irq_raises;
	bool irq;
};

static void probe_set_irq(void *opaque, bool level)
{
	struct probe *p = opaque;

	if (level && !p->irq)
		p->irq_raises++;
	p->irq = level;
}

static void probe_reset(void *opaque)
{
	((struct probe *)opaque)->resets++;
}

static const struct i8042_ops probe_ops = {.set_irq = probe_set_irq, .reset = probe_reset};

static void command(struct i8042 *k, uint8_t cmd)
{
	i8042_command_io(k, 0, &cmd, 1, true);
}

static void write_data(struct i8042 *k, uint8_t v)
{
	i8042_data_io(k, 0, &v, 1, true);
}

static uint8_t status(struct i8042 *k)
{
	uint8_t v = 0;

	i8042_command_io(k, 0, &v, 1, false);
	return v;
}

static uint8_t read_data(struct i8042 *k)
{
	uint8_t v = 0;

	i8042_data_io(k, 0, &v, 1, false);
	return v;
}

static void test_self_tests_and_command_byte(void **state)
{
	struct probe p = {0};
	struct i8042 k;

	(void)state;
	i8042_init(&k, &probe_ops, &p);
	assert_int_equal(status(&k) & 1, 0);
	command(&k, 0xaa);
	assert_int_equal(status(&k) & 1, 1);
	assert_int_equal(read_data(&k), 0x55);
	assert_int_equal(status(&k) & 1, 0);
	command(&k, 0xab);
	assert_int_equal(read_data(&k), 0x00);
	/* No AUX port: its test reports a fault Linux recognises. */
	command(&k, 0xa9);
	assert_int_not_equal(read_data(&k), 0x00);
	command(&k, 0x60);
	write_data(&k, 0x47);
	command(&k, 0x20);
	assert_int_equal(read_data(&k), 0x47);
	assert_int_equal(p.resets, 0);
	i8042_destroy(&k);
}

static void test_keyboard_reset_and_identify(void **state)
{
	struct probe p = {0};
	struct i8042 k;

	(void)state;
	i8042_init(&k, &probe_ops, &p);
	write_data(&k, 0xff);
	assert_true(p.irq);
	assert_int_equal(read_data(&k), 0xfa);
	assert_int_equal(read_data(&k), 0xaa);
	assert_false(p.irq);
	/* Each queued byte raises its own edge. */
	assert_int_equal(p.irq_raises, 2);
	write_data(&k, 0xf2);
	assert_int_equal(read_data(&k), 0xfa);
	assert_int_equal(read_data(&k), 0xab);
	assert_int_equal(read_data(&k), 0x83);
	write_data(&k, 0xed);
	assert_int_equal(read_data(&k), 0xfa);
	write_data(&k, 0x07); /* the LED parameter, not a command */
	assert_int_equal(read_data(&k), 0xfa);
	assert_int_equal(status(&k) & 1, 0);
	write_data(&k, 0x12); /* unknown command */
	assert_int_equal(read_data(&k), 0xfe);
	i8042_destroy(&k);
}

static void test_no_irq_when_disabled_and_queue_bounded(void **state)
{
	struct probe p = {0};
	struct i8042 k;

	(void)state;
	i8042_init(&k, &probe_ops, &p);
	command(&k, 0x60);
	write_data(&k, 0x00); /* keyboard interrupt off */
	for (int i = 0; i < 100; i++)
		write_data(&k, 0xee);
	assert_int_equal(p.irq_raises, 0);
	for (int i = 0; i < I8042_QUEUE; i++)
		assert_int_equal(read_data(&k), 0xee);
	assert_int_equal(status(&k) & 1, 0);
	i8042_destroy(&k);
}

static void test_reset_line(void **state)
{
	struct probe p = {0};
	struct i8042 k;

	(void)state;
	i8042_init(&k, &probe_ops, &p);
	command(&k, 0xff); /* pulse nothing */
	command(&k, 0xfd); /* pulse bit 1 only */
	assert_int_equal(p.resets, 0);
	command(&k, 0xd1);
	write_data(&k, 0x03); /* A20 on, reset line high */
	assert_int_equal(p.resets, 0);
	command(&k, 0xd0);
	assert_int_equal(read_data(&k), 0x03);
	command(&k, 0xfe);
	assert_int_equal(p.resets, 1);
	command(&k, 0xd1);
	write_data(&k, 0x02);
	assert_int_equal(p.resets, 2);
	i8042_destroy(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self_tests_and_command_byte),
	    cmocka_unit_test(test_keyboard_reset_and_identify),
	    cmocka_unit_test(test_no_irq_when_disabled_and_queue_bounded),
	    cmocka_unit_test(test_reset_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
