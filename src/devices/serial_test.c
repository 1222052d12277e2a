/* SPDX-License-Identifier: MIT */
#include "devices/serial.h"
#include "lib/test.h"

#include <string.h>

struct sink {
	uint8_t out[64];
	size_t n;
	bool irq;
	int irq_changes;
};

static void set_irq(void *opaque, bool level)
{
	struct sink *s = opaque;

	s->irq = level;
	s->irq_changes++;
}

static void transmit(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	memcpy(s->out + s->n, buf, len);
	s->n += len;
}

static const struct serial_ops ops = {set_irq, transmit};

static uint8_t rd(struct serial *u, unsigned reg)
{
	uint8_t v = 0;

	serial_io(u, reg, &v, 1, false);
	return v;
}

static void wr(struct serial *u, unsigned reg, uint8_t v)
{
	serial_io(u, reg, &v, 1, true);
}

static void test_transmit(void **state)
{
	struct serial u;
	struct sink s = {0};

	(void)state;
	serial_init(&u, &ops, &s);
	assert_true(rd(&u, 5) & 0x20); /* THR empty */
	wr(&u, 0, 'h');
	wr(&u, 0, 'i');
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.out, "hi", 2);
	serial_destroy(&u);
}

/* What Linux's 8250 autoconfig checks to call the port a 16550A. */
static void test_probe_like_linux(void **state)
{
	struct serial u;
	struct sink s = {0};

	(void)state;
	serial_init(&u, &ops, &s);
	wr(&u, 7, 0xa5);
	assert_int_equal(rd(&u, 7), 0xa5);
	wr(&u, 1, 0);
	assert_int_equal(rd(&u, 1) & 0x0f, 0);
	wr(&u, 1, 0x0f);
	assert_int_equal(rd(&u, 1) & 0x0f, 0x0f);
	wr(&u, 1, 0);
	wr(&u, 4, 0x10 | 0x0a); /* loopback with RTS and OUT2 */
	assert_int_equal(rd(&u, 6) & 0xf0, 0x90);
	wr(&u, 0, 'x'); /* looped back, not transmitted */
	assert_int_equal(s.n, 0);
	assert_true(rd(&u, 5) & 0x01);
	assert_int_equal(rd(&u, 0), 'x');
	wr(&u, 4, 0);
	wr(&u, 2, 0x01); /* enable FIFOs */
	assert_int_equal(rd(&u, 2) & 0xc0, 0xc0);
	/* Divisor latch. */
	wr(&u, 3, 0x80);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x00);
	assert_int_equal(rd(&u, 0), 0x01);
	wr(&u, 3, 0x03);
	serial_destroy(&u);
}

static void test_interrupts(void **state)
{
	struct serial u;
	struct sink s = {0};
	uint8_t in[] = "ab";

	(void)state;
	serial_init(&u, &ops, &s);
	wr(&u, 1, 0x02); /* THRI: raised at once since the THR is empty */
	assert_true(s.irq);
	assert_int_equal(rd(&u, 2) & 0x0f, 0x02);
	assert_false(s.irq); /* reading IIR acknowledged it */
	wr(&u, 1, 0x01);     /* RDI */
	assert_int_equal(serial_receive(&u, in, 2), 2);
	assert_true(s.irq);
	assert_int_equal(rd(&u, 2) & 0x0f, 0x04);
	assert_int_equal(rd(&u, 0), 'a');
	assert_true(s.irq);
	assert_int_equal(rd(&u, 0), 'b');
	assert_false(s.irq);
	assert_int_equal(rd(&u, 2) & 0x01, 0x01);
	serial_destroy(&u);
}

static void test_rx_full_and_bad_offsets(void **state)
{
	static uint8_t big[SERIAL_RX_BUF + 100];
	struct serial u;
	struct sink s = {0};
	uint8_t v = 0x55;

	(void)state;
	serial_init(&u, &ops, &s);
	assert_int_equal(serial_receive(&u, big, sizeof(big)), SERIAL_RX_BUF);
	assert_int_equal(serial_receive(&u, big, 1), 0);
	serial_io(&u, 8, &v, 1, true); /* out of range: ignored */
	serial_io(&u, 99, &v, 1, false);
	assert_int_equal(v, 0x55);
	serial_destroy(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transmit),
	    cmocka_unit_test(test_probe_like_linux),
	    cmocka_unit_test(test_interrupts),
	    cmocka_unit_test(test_rx_full_and_bad_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
