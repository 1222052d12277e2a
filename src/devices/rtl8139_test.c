/* SPDX-License-Identifier: MIT */
/*
 * The RTL8139 against a fake guest: RAM from guest_memory, a datagram
 * socket pair in place of the TAP, and a PCI bus whose host records the
 * INTx level.  The test plays 8139too, register by register.
 */
#include "core/memory.h"
#include "devices/eeprom93c46.h"
#include "devices/rtl8139.h"
#include "lib/test.h"
#include "lib/util.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define RAM_SIZE (512 * KIB)
#define RX_RING	 0x10000 /* 8 KiB ring + 16 + spare */
#define TX_BUF	 0x20000
#define RING_8K	 8192

/* 8139too's values. */
#define CR	    0x37
#define CR_RST	    0x10
#define CR_RE	    0x08
#define CR_TE	    0x04
#define CR_BUFE	    0x01
#define ISR_ROK	    0x0001
#define ISR_TOK	    0x0004
#define ISR_TER	    0x0008
#define ISR_RXOVW   0x0010
#define ISR_SERR    0x8000
#define TSD_OWN	    0x2000
#define TSD_TOK	    0x8000
#define TSD_TABT    0x40000000
#define RCR_AAP	    0x01
#define RCR_APM	    0x02
#define RCR_AM	    0x04
#define RCR_AB	    0x08
#define RCR_WRAP    0x80
#define CFG_UNLOCK  0xc0
#define EE_ENB	    0x88
#define EE_SHIFT    0x04
#define EE_DATA_OUT 0x02

static const uint8_t mac[6] = {0x00, 0x16, 0x3e, 0x12, 0x34, 0x56};

struct fixture {
	struct guest_memory mem;
	struct rtl8139 *nic;
	struct pci_function *fn;
	struct pci_bus bus;
	bool irq;
	int host; /* the host side of the "TAP" */
};

static void set_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	struct fixture *f = host;

	assert_int_equal(pin, 1);
	f->irq = level;
}

static int map_bar(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	return 0;
}

static void unmap_bar(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
}

static const struct pci_host_ops host_ops = {
    .map_bar = map_bar, .unmap_bar = unmap_bar, .set_intx = set_intx};

#define SLOT 3

/* A configuration cycle through 0xCF8/0xCFC, as the guest makes it. */
static uint32_t config_cycle(struct fixture *f, unsigned reg, uint32_t val, bool is_write)
{
	uint32_t addr = 0x80000000u | SLOT << 11 | reg;
	uint8_t b[4];

	memcpy(b, &addr, 4);
	pci_config_io(&f->bus, 0, b, 4, true);
	memcpy(b, &val, 4);
	pci_config_io(&f->bus, 4, b, 4, is_write);
	memcpy(&val, b, 4);
	return val;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	if (!f || guest_memory_map(&f->mem, RAM_SIZE) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return -1;
	struct rtl8139_spec spec = {.fd = sv[0], .ifname = NULL, .bridge = NULL};

	memcpy(spec.mac, mac, 6);
	f->host = sv[1];
	f->nic = rtl8139_create(&f->mem, &spec);
	if (!f->nic)
		return -1;
	f->fn = rtl8139_pci(f->nic);
	if (pci_bus_init(&f->bus, &host_ops, f) || pci_bus_add(&f->bus, f->fn, SLOT, 0))
		return -1;
	*state = f;
	/* The guest driver enables I/O, memory and bus mastering. */
	config_cycle(f, PCI_COMMAND, 0x7, true);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_bus_destroy(&f->bus); /* it still points at the function */
	rtl8139_destroy(f->nic);
	close(f->host);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, unsigned off, unsigned len)
{
	uint8_t b[8] = {0};
	uint32_t v = 0;

	rtl8139_regs_io(f->nic, off, b, len, false);
	for (unsigned i = 0; i < len && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void wr(struct fixture *f, unsigned off, uint32_t v, unsigned len)
{
	uint8_t b[8] = {0};

	for (unsigned i = 0; i < len && i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	rtl8139_regs_io(f->nic, off, b, len, true);
}

/* What 8139too's rtl8139_hw_start does, with an 8 KiB ring and the given RCR. */
static void hw_start(struct fixture *f, uint32_t rcr)
{
	wr(f, CR, CR_RST, 1);
	assert_int_equal(rd(f, CR, 1) & CR_RST, 0);
	wr(f, 0x50, CFG_UNLOCK, 1);
	wr(f, 0x30, RX_RING, 4);
	wr(f, CR, CR_RE | CR_TE, 1);
	wr(f, 0x44, rcr, 4);
	wr(f, 0x50, 0, 1);
	wr(f, 0x3c, 0xe07f, 2);
}

static void test_pci_header(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pci_config_get16(f->fn, PCI_VENDOR_ID), 0x10ec);
	assert_int_equal(pci_config_get16(f->fn, PCI_DEVICE_ID), 0x8139);
	assert_true(f->fn->config[PCI_REVISION_ID] < 0x20); /* 8139too, not 8139cp */
	assert_int_equal(pci_config_get16(f->fn, PCI_CLASS_DEVICE), 0x0200);
	assert_int_equal(f->fn->config[PCI_INTERRUPT_PIN], 1);
	assert_int_equal(f->fn->bars[0].type, PCI_BAR_IO);
	assert_int_equal(f->fn->bars[0].size, 256);
	assert_int_equal(f->fn->bars[1].type, PCI_BAR_MEM32);
	assert_int_equal(f->fn->bars[1].size, 256);
	assert_ptr_equal(f->fn->bars[1].handler, rtl8139_regs_io);
	/* Through the bus: the IDs, and BAR sizing (256 bytes of I/O, 256 of memory). */
	assert_int_equal(config_cycle(f, 0, 0, false), 0x813910ec);
	assert_int_equal(config_cycle(f, 0x2c, 0, false), 0x813910ec);
	config_cycle(f, 0x10, 0xffffffff, true);
	assert_int_equal(config_cycle(f, 0x10, 0, false), 0xffffff01);
	config_cycle(f, 0x14, 0xffffffff, true);
	assert_int_equal(config_cycle(f, 0x14, 0, false), 0xffffff00);
	assert_int_equal(config_cycle(f, 0x3c, 0, false) >> 8 & 0xff, 1); /* INTA */
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	/* RTL8139C in 8139too's table: TxConfig & HW_REVID_MASK. */
	assert_int_equal(rd(f, 0x40, 4) & 0x7cc00000, 0x74000000);
	assert_int_equal(rd(f, CR, 1), CR_BUFE);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rd(f, 0x10 + 4 * i, 4), TSD_OWN);
	assert_int_equal(rd(f, 0x60, 2), 0x000f); /* all four owned by the host */
	assert_int_equal(rd(f, 0x3e, 2), 0);
	assert_int_equal(rd(f, 0x64, 2) & 0x0024, 0x0024); /* link up, autoneg complete */
	assert_int_equal(rd(f, 0x58, 1) & 0x0c, 0);	   /* 100 Mb/s, link OK */
	assert_int_equal(rd(f, 0x68, 2) & 0x0100, 0x0100); /* partner: 100 full duplex */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd(f, i, 1), mac[i]);
}

/* 8139too's read_eeprom, bit for bit. */
static unsigned read_eeprom(struct fixture *f, unsigned location, unsigned addr_len)
{
	unsigned cmd = location | (6u << addr_len), v = 0;

	wr(f, 0x50, EE_ENB & ~0x08, 1);
	wr(f, 0x50, EE_ENB, 1);
	for (int i = 4 + (int)addr_len; i >= 0; i--) {
		unsigned d = (cmd & (1u << i)) ? EE_DATA_OUT : 0;

		wr(f, 0x50, EE_ENB | d, 1);
		wr(f, 0x50, EE_ENB | d | EE_SHIFT, 1);
	}
	wr(f, 0x50, EE_ENB, 1);
	for (int i = 16; i > 0; i--) {
		wr(f, 0x50, EE_ENB | EE_SHIFT, 1);
		v = (v << 1) | (rd(f, 0x50, 1) & 1);
		wr(f, 0x50, EE_ENB, 1);
	}
	wr(f, 0x50, 0, 1);
	return v;
}

static void test_eeprom_mac(void **state)
{
	struct fixture *f = *state;

	/* A 93C46: the 8-bit address probe does not find the 93C56 ID. */
	assert_int_not_equal(read_eeprom(f, 0, 8), 0x8129);
	assert_int_equal(read_eeprom(f, 0, 6), 0x8129);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(read_eeprom(f, 7 + (unsigned)i, 6),
				 mac[2 * i] | mac[2 * i + 1] << 8);
	/* Out of programming mode the data pin reads 0. */
	assert_int_equal(rd(f, 0x50, 1), 0);
}

static void test_eeprom_dummy_bit(void **state)
{
	struct eeprom93c46 ee = {.words = {0, 0xffff}};
	/* Start bit, READ (10), address 1. */
	const bool bits[] = {1, 1, 0, 0, 0, 0, 0, 0, 1};

	eeprom93c46_reset(&ee);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		eeprom93c46_pins(&ee, true, false, bits[i]);
		eeprom93c46_pins(&ee, true, true, bits[i]);
	}
	assert_false(ee.dout); /* the zero that precedes the data */
	eeprom93c46_pins(&ee, true, false, false);
	eeprom93c46_pins(&ee, true, true, false);
	assert_true(ee.dout);
}

static void test_eeprom_ignores_writes(void **state)
{
	struct eeprom93c46 ee = {.words = {0x1234}};

	eeprom93c46_reset(&ee);
	/* Start bit, WRITE (01), address 0, then data: ignored until CS drops. */
	const bool bits[] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		eeprom93c46_pins(&ee, true, false, bits[i]);
		eeprom93c46_pins(&ee, true, true, bits[i]);
	}
	assert_int_equal(ee.state, EEPROM_IGNORE);
	eeprom93c46_pins(&ee, false, false, false);
	assert_int_equal(ee.state, EEPROM_IDLE);
	assert_int_equal(ee.words[0], 0x1234);
}

static void test_idr_mar_widths(void **state)
{
	struct fixture *f = *state;

	wr(f, 0, 0x44332211, 4);
	wr(f, 4, 0x6655, 4);
	assert_int_equal(rd(f, 0, 4), 0x44332211);
	assert_int_equal(rd(f, 4, 2), 0x6655);
	wr(f, 8, 0xdeadbeef, 4);
	wr(f, 12, 0x01020304, 4);
	assert_int_equal(rd(f, 10, 2), 0xdead);
	assert_int_equal(rd(f, 15, 1), 0x01);
	/* An 8-byte access spanning registers, and one running off the end. */
	uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	rtl8139_regs_io(f->nic, 8, b, 8, true);
	assert_int_equal(rd(f, 12, 4), 0x08070605);
	rtl8139_regs_io(f->nic, 0xfc, b, 8, true);
	rtl8139_regs_io(f->nic, 0x100, b, 4, false);
	/* A soft reset keeps the address. */
	wr(f, CR, CR_RST, 1);
	assert_int_equal(rd(f, 0, 4), 0x44332211);
	/* The power-on reset reloads it from the EEPROM. */
	rtl8139_reset(f->nic);
	assert_int_equal(rd(f, 0, 1), mac[0]);
}

static void test_timer_and_early_rx(void **state)
{
	struct fixture *f = *state;
	uint32_t a, b;

	/* TCTR counts up from a write (no claim on how fast). */
	wr(f, 0x48, 0x12345678, 4);
	a = rd(f, 0x48, 4);
	b = rd(f, 0x48, 4);
	assert_true(b >= a);
	assert_true(a < 0x80000000u); /* restarted from 0, not stored */
	/* Early receive status is read-only zero. */
	wr(f, 0x34, 0xffffffff, 4);
	assert_int_equal(rd(f, 0x34, 4) & 0x00ffffff, 0);
}

static void test_config_lock(void **state)
{
	struct fixture *f = *state;
	uint32_t c1 = rd(f, 0x52, 1);

	wr(f, 0x52, c1 ^ 0x01, 1); /* locked: ignored */
	assert_int_equal(rd(f, 0x52, 1), c1);
	wr(f, 0x62, 0x0000, 2);
	assert_int_equal(rd(f, 0x62, 2), 0x3100);
	wr(f, 0x50, CFG_UNLOCK, 1);
	wr(f, 0x52, c1 ^ 0x01, 1);
	wr(f, 0x62, 0x8000 | 0x2100, 2); /* PHY reset completes at once */
	wr(f, 0x50, 0, 1);
	assert_int_equal(rd(f, 0x52, 1), c1 ^ 0x01);
	assert_int_equal(rd(f, 0x62, 2), 0x2100);
	/* Auto-load returns to normal mode with the EEPROM's MAC. */
	wr(f, 0, 0, 4);
	wr(f, 0x50, 0x40, 1);
	assert_int_equal(rd(f, 0x50, 1), 0);
	assert_int_equal(rd(f, 0, 1), mac[0]);
}

static void put_frame(struct fixture *f, uint64_t gpa, size_t len, uint8_t seed)
{
	uint8_t *p = gpa_to_hva(&f->mem, gpa, len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

static void test_tx(void **state)
{
	struct fixture *f = *state;
	uint8_t got[2048];

	hw_start(f, RCR_AB | RCR_APM);
	put_frame(f, TX_BUF, 100, 7);
	wr(f, 0x24, TX_BUF, 4);
	wr(f, 0x14, 0x00080000 | 100, 4); /* 8139too: tx_flag | len */
	assert_int_equal(recv(f->host, got, sizeof(got), MSG_DONTWAIT), 100);
	assert_memory_equal(got, gpa_to_hva(&f->mem, TX_BUF, 100), 100);
	assert_int_equal(rd(f, 0x14, 4) & (TSD_OWN | TSD_TOK | 0x1fff), TSD_OWN | TSD_TOK | 100);
	assert_int_equal(rd(f, 0x60, 2) & 0x2002, 0x2002); /* TOK1, OWN1 */
	assert_int_equal(rd(f, 0x3e, 2), ISR_TOK);
	assert_true(f->irq);
	wr(f, 0x3f, 0xff, 1); /* write 1 to clear: only the bytes written */
	assert_int_equal(rd(f, 0x3e, 2), ISR_TOK);
	wr(f, 0x3e, ISR_TOK, 2);
	assert_int_equal(rd(f, 0x3e, 2), 0);
	assert_false(f->irq);
}

/* A descriptor the device cannot send: aborted, TxErr, nothing on the wire. */
static void expect_abort(struct fixture *f, unsigned desc, uint32_t addr, uint32_t size)
{
	uint8_t got[16];

	wr(f, 0x20 + 4 * desc, addr, 4);
	wr(f, 0x10 + 4 * desc, size, 4);
	assert_int_equal(rd(f, 0x10 + 4 * desc, 4) & (TSD_OWN | TSD_TABT | TSD_TOK),
			 TSD_OWN | TSD_TABT);
	assert_int_equal(rd(f, 0x3e, 2) & ISR_TER, ISR_TER);
	assert_true(f->irq);
	assert_int_equal(recv(f->host, got, sizeof(got), MSG_DONTWAIT), -1);
	wr(f, 0x40, 1, 4); /* 8139too: TxClearAbt, then ack */
	wr(f, 0x3e, ISR_TER, 2);
	assert_false(f->irq);
}

static void test_tx_bad(void **state)
{
	struct fixture *f = *state;

	hw_start(f, RCR_AB | RCR_APM);
	expect_abort(f, 0, 0xfff00000, 100);	 /* not RAM */
	expect_abort(f, 1, RAM_SIZE - 50, 100);	 /* runs off the end of RAM */
	expect_abort(f, 2, TX_BUF, 0);		 /* empty */
	expect_abort(f, 3, TX_BUF, 1793);	 /* over the 1792-byte limit */
	config_cycle(f, PCI_COMMAND, 0x3, true); /* no bus master, no DMA */
	expect_abort(f, 0, TX_BUF, 100);
}

static void test_tx_waits_for_te(void **state)
{
	struct fixture *f = *state;
	uint8_t got[2048];

	hw_start(f, RCR_AB | RCR_APM);
	wr(f, CR, CR_RE, 1);
	put_frame(f, TX_BUF, 60, 1);
	wr(f, 0x20, TX_BUF, 4);
	wr(f, 0x10, 60, 4);
	assert_int_equal(rd(f, 0x10, 4) & TSD_OWN, 0);
	assert_int_equal(recv(f->host, got, sizeof(got), MSG_DONTWAIT), -1);
	wr(f, CR, CR_RE | CR_TE, 1);
	assert_int_equal(recv(f->host, got, sizeof(got), MSG_DONTWAIT), 60);
	assert_int_equal(rd(f, 0x10, 4) & (TSD_OWN | TSD_TOK), TSD_OWN | TSD_TOK);
}

static void make_frame(uint8_t *fr, const uint8_t *dst, size_t len, uint8_t seed)
{
	memcpy(fr, dst, 6);
	for (size_t i = 6; i < len; i++)
		fr[i] = (uint8_t)(seed + i);
}

static uint8_t *ring(struct fixture *f, uint32_t off)
{
	return gpa_to_hva(&f->mem, RX_RING + off, 4);
}

static void test_rx(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[1600];
	uint8_t *h;

	hw_start(f, RCR_AB | RCR_APM | RCR_WRAP);
	make_frame(fr, mac, 42, 3); /* an ARP-sized frame: padded to 60 on the wire */
	assert_false(rtl8139_receive(f->nic, fr, 42));
	assert_int_equal(rd(f, CR, 1) & CR_BUFE, 0);
	assert_int_equal(rd(f, 0x3e, 2), ISR_ROK);
	assert_true(f->irq);
	h = ring(f, 0);
	assert_int_equal(h[0] | h[1] << 8, 0x4001); /* ROK, physical address match */
	assert_int_equal(h[2] | h[3] << 8, 64);	    /* 60 + CRC */
	assert_memory_equal(h + 4, fr, 42);
	for (unsigned i = 42; i < 60; i++)
		assert_int_equal(h[4 + i], 0);
	uint32_t fcs = (uint32_t)crc32(0, h + 4, 60);

	assert_int_equal(h[64] | h[65] << 8 | h[66] << 16 | (uint32_t)h[67] << 24, fcs);
	assert_int_equal(rd(f, 0x3a, 2), 68); /* 4 + 64, 4-aligned */

	make_frame(fr, mac, 101, 9);
	rtl8139_receive(f->nic, fr, 101);
	h = ring(f, 68);
	assert_int_equal(h[2] | h[3] << 8, 105);
	assert_memory_equal(h + 4, fr, 101);
	assert_int_equal(rd(f, 0x3a, 2), 68 + ((4 + 105 + 3) & ~3u));
	/* 8139too consumes both: CAPR = cur_rx - 16. */
	wr(f, 0x38, (uint16_t)(rd(f, 0x3a, 2) - 16), 2);
	assert_int_equal(rd(f, CR, 1) & CR_BUFE, CR_BUFE);
	wr(f, 0x3e, 0x51, 2); /* RxAckBits */
	assert_false(f->irq);
}

/*
 * 8139too acks Rx OK after every frame and, when a NAPI poll used up its
 * budget, reads the ring again only if ISR still says Rx OK: frames left
 * unread keep it set (and the line up), the last one read lets it go.
 */
static void test_rx_ok_while_unread(void **state)
{
	struct fixture *f = *state;
	uint32_t cur_rx = 0;
	uint8_t fr[64];

	hw_start(f, RCR_AB | RCR_APM | RCR_WRAP);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(fr, mac, 60, i);
		assert_false(rtl8139_receive(f->nic, fr, 60));
	}
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(rd(f, CR, 1) & CR_BUFE, 0);
		cur_rx += 68;
		wr(f, 0x38, (uint16_t)(cur_rx - 16), 2);
		wr(f, 0x3e, 0x51, 2); /* RxAckBits, after each frame */
		assert_int_equal(rd(f, 0x3e, 2) & ISR_ROK, i < 2 ? ISR_ROK : 0);
		assert_int_equal(f->irq, i < 2);
	}
	assert_int_equal(rd(f, CR, 1) & CR_BUFE, CR_BUFE);
	/* A receiver that is off announces nothing, whatever the ring holds. */
	make_frame(fr, mac, 60, 7);
	assert_false(rtl8139_receive(f->nic, fr, 60));
	wr(f, CR, CR_TE, 1);
	wr(f, 0x3e, 0x51, 2);
	assert_int_equal(rd(f, 0x3e, 2) & ISR_ROK, 0);
}

static void test_rx_filter(void **state)
{
	struct fixture *f = *state;
	static const uint8_t other[6] = {0x00, 0x16, 0x3e, 0x99, 0x99, 0x99};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	uint8_t fr[64];
	uint32_t crc;
	unsigned idx;

	hw_start(f, RCR_APM);
	make_frame(fr, other, 64, 0);
	rtl8139_receive(f->nic, fr, 64);
	make_frame(fr, bcast, 64, 0);
	rtl8139_receive(f->nic, fr, 64); /* no AB */
	make_frame(fr, mcast, 64, 0);
	rtl8139_receive(f->nic, fr, 64); /* no AM */
	assert_int_equal(rd(f, 0x3a, 2), 0);

	wr(f, 0x44, RCR_APM | RCR_AB | RCR_AM, 4);
	make_frame(fr, bcast, 64, 0);
	rtl8139_receive(f->nic, fr, 64);
	assert_int_equal(ring(f, 0)[1], 0x20); /* BAR */
	/* Multicast with its hash bit clear, then set.  Linux's ether_crc is the
	 * bit-reversed CRC-32 without the final inversion. */
	crc = (uint32_t)~crc32(0, mcast, 6);
	crc = ((crc & 0x55555555) << 1) | ((crc >> 1) & 0x55555555);
	crc = ((crc & 0x33333333) << 2) | ((crc >> 2) & 0x33333333);
	crc = ((crc & 0x0f0f0f0f) << 4) | ((crc >> 4) & 0x0f0f0f0f);
	crc = __builtin_bswap32(crc);
	idx = crc >> 26;
	make_frame(fr, mcast, 64, 0);
	wr(f, 8 + (idx >> 3), (uint8_t) ~(1u << (idx & 7)), 1);
	rtl8139_receive(f->nic, fr, 64);
	assert_int_equal(rd(f, 0x3a, 2), 72);
	wr(f, 8 + (idx >> 3), 1u << (idx & 7), 1);
	rtl8139_receive(f->nic, fr, 64);
	assert_int_equal(rd(f, 0x3a, 2), 144);
	assert_int_equal(ring(f, 72)[1], 0x80); /* MAR */
	/* Promiscuous. */
	wr(f, 0x44, RCR_AAP, 4);
	make_frame(fr, other, 64, 0);
	rtl8139_receive(f->nic, fr, 64);
	assert_int_equal(rd(f, 0x3a, 2), 216);
	/* Runts and giants never reach the ring. */
	rtl8139_receive(f->nic, fr, 13);
	rtl8139_receive(f->nic, fr, 0);
	assert_int_equal(rd(f, 0x3a, 2), 216);
}

static void test_rx_overflow(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[1514], first[16];
	unsigned n = 0;

	hw_start(f, RCR_APM | RCR_WRAP);
	make_frame(fr, mac, sizeof(fr), 5);
	/* 1524 bytes each: five fit in 8 KiB, the sixth would overwrite unread data. */
	while (n < 10 && !rtl8139_receive(f->nic, fr, sizeof(fr)))
		n++;
	assert_int_equal(n, 5);
	assert_int_equal(rd(f, 0x3e, 2) & ISR_RXOVW, ISR_RXOVW);
	assert_int_equal(rd(f, 0x4c, 4), 1);
	memcpy(first, ring(f, 0), 4);
	assert_true(rtl8139_receive(f->nic, fr, sizeof(fr)));
	assert_int_equal(rd(f, 0x4c, 4), 2);
	assert_memory_equal(first, ring(f, 0), 4); /* never overwritten */
	assert_int_equal(rd(f, 0x3a, 2), 5 * 1524);
	/* The guest reads one frame: room again. */
	wr(f, 0x38, 1524 - 16, 2);
	assert_false(rtl8139_receive(f->nic, fr, sizeof(fr)));
	wr(f, 0x4c, 0, 4); /* MPC clears on write */
	assert_int_equal(rd(f, 0x4c, 4), 0);
}

static void fill_to(struct fixture *f, uint16_t cbr)
{
	/* Walk the ring to cbr with the guest keeping up. */
	uint8_t fr[60];

	make_frame(fr, mac, sizeof(fr), 0);
	while (rd(f, 0x3a, 2) != cbr) {
		rtl8139_receive(f->nic, fr, sizeof(fr));
		wr(f, 0x38, (uint16_t)(rd(f, 0x3a, 2) - 16), 2);
	}
}

static void test_rx_wrap(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[200];
	uint32_t at = RING_8K - 68 * 2; /* two 60-byte frames from the end */

	make_frame(fr, mac, sizeof(fr), 77);
	/* WRAP clear: the frame continues at the ring's start. */
	hw_start(f, RCR_APM);
	fill_to(f, (uint16_t)(68 * (RING_8K / 68 - 1)));
	at = rd(f, 0x3a, 2);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_int_equal(rd(f, 0x3a, 2), (at + 208) % RING_8K);
	assert_memory_equal(ring(f, at + 4), fr, RING_8K - at - 4);
	assert_memory_equal(ring(f, 0), fr + (RING_8K - at - 4), 8);
	/* WRAP set: it runs on past the end, into the guest's spare room. */
	hw_start(f, RCR_APM | RCR_WRAP);
	fill_to(f, (uint16_t)at);
	memset(ring(f, 0), 0, 16);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_memory_equal(gpa_to_hva(&f->mem, RX_RING + at + 4, 200), fr, 200);
	assert_int_equal(*(uint32_t *)ring(f, 0), 0);
	assert_int_equal(rd(f, 0x3a, 2), (at + 208) % RING_8K);
}

static void test_rx_bad_ring(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[60];

	make_frame(fr, mac, sizeof(fr), 0);
	hw_start(f, RCR_APM);
	wr(f, 0x30, 0xfffff000, 4); /* RBSTART changed to outside RAM while receiving */
	assert_false(rtl8139_receive(f->nic, fr, sizeof(fr)));
	assert_int_equal(rd(f, 0x3e, 2) & (ISR_SERR | ISR_ROK), ISR_SERR);
	assert_int_equal(rd(f, 0x3a, 2), 0);
	wr(f, 0x30, RAM_SIZE - 32, 4); /* the frame would end past RAM */
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_int_equal(rd(f, 0x3a, 2), 0);
	/* Receiver off, or no bus mastering: frames dropped quietly. */
	wr(f, 0x30, RX_RING, 4);
	wr(f, 0x3e, 0xffff, 2);
	wr(f, CR, CR_TE, 1);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	wr(f, CR, CR_TE | CR_RE, 1);
	config_cycle(f, PCI_COMMAND, 0x3, true);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_int_equal(rd(f, 0x3e, 2), 0);
	assert_int_equal(rd(f, 0x3a, 2), 0);
}

static void test_rx_capr_garbage(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[1514];
	uint8_t *guard = gpa_to_hva(&f->mem, RX_RING + RING_8K + 16 + 2048, 64);

	make_frame(fr, mac, sizeof(fr), 0);
	memset(guard, 0xa5, 64);
	hw_start(f, RCR_APM | RCR_WRAP);
	srand(1);
	for (unsigned i = 0; i < 2000; i++) {
		wr(f, 0x38, (uint32_t)rand() & 0xffff, 2);
		if (i % 7 == 0)
			wr(f, 0x44, RCR_APM | ((uint32_t)rand() & 0x80), 4);
		rtl8139_receive(f->nic, fr, 60 + (size_t)rand() % (sizeof(fr) - 60));
		assert_true(rd(f, 0x3a, 2) < RING_8K);
		assert_int_equal(rd(f, 0x3a, 2) % 4, 0);
	}
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(guard[i], 0xa5); /* never past the ring and its spare room */
}

static void test_rx_enable_resets_ring(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[60];

	make_frame(fr, mac, sizeof(fr), 0);
	hw_start(f, RCR_APM);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_int_equal(rd(f, 0x3a, 2), 68);
	/* 8139too's rx_err: receiver off and on, cur_rx = 0. */
	wr(f, CR, CR_TE, 1);
	wr(f, CR, CR_TE | CR_RE, 1);
	assert_int_equal(rd(f, 0x3a, 2), 0);
	assert_int_equal(rd(f, CR, 1) & CR_BUFE, CR_BUFE);
	/* A reset with a frame pending stops both sides and empties the ring. */
	rtl8139_receive(f->nic, fr, sizeof(fr));
	wr(f, CR, CR_RST, 1);
	assert_int_equal(rd(f, CR, 1), CR_BUFE);
	assert_int_equal(rd(f, 0x3e, 2), 0);
	assert_false(f->irq);
	rtl8139_receive(f->nic, fr, sizeof(fr));
	assert_int_equal(rd(f, 0x3a, 2), 0);
}

static bool wait_ready(struct fixture *f, bool want_empty)
{
	for (int i = 0; i < 500; i++) {
		if (!!(rd(f, CR, 1) & CR_BUFE) == want_empty)
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

static void test_rx_thread(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[1514];

	make_frame(fr, mac, sizeof(fr), 0);
	hw_start(f, RCR_APM | RCR_WRAP);
	assert_int_equal(rtl8139_start(f->nic), 0);
	assert_int_equal(rtl8139_start(f->nic), 0);
	assert_int_equal(send(f->host, fr, 100, 0), 100);
	assert_true(wait_ready(f, false));
	assert_memory_equal(ring(f, 4), fr, 100);
	/*
	 * More than the 8 KiB ring holds: the thread stops taking frames while
	 * the ring lacks room for a big one, drops none and raises no
	 * overflow, and takes the rest once the guest has read the ring.
	 */
	for (int i = 0; i < 8; i++)
		assert_int_equal(send(f->host, fr, sizeof(fr), 0), (ssize_t)sizeof(fr));
	const uint32_t cbr = 108 + 5 * 1524; /* the 100-byte frame, then 5 of 1514 */

	for (int i = 0; i < 500 && rd(f, 0x3a, 2) != cbr; i++)
		poll(NULL, 0, 10);
	assert_int_equal(rd(f, 0x3a, 2), cbr);
	poll(NULL, 0, 50); /* and no further, whatever waits on the wire */
	assert_int_equal(rd(f, 0x3a, 2), cbr);
	assert_int_equal(rd(f, 0x3e, 2) & ISR_RXOVW, 0);
	assert_int_equal(rd(f, 0x4c, 4), 0);
	wr(f, 0x38, (uint16_t)(cbr - 16), 2);
	for (int i = 0; i < 500 && rd(f, 0x3a, 2) == cbr; i++)
		poll(NULL, 0, 10);
	assert_int_not_equal(rd(f, 0x3a, 2), cbr);
	assert_int_equal(rd(f, 0x4c, 4), 0);
	rtl8139_stop(f->nic);
	rtl8139_stop(f->nic);
}

/* Frame i of a stream: to our MAC, 60 to 1514 bytes, contents from i. */
static size_t stream_frame(uint8_t *fr, unsigned i)
{
	size_t len = 60 + (i * 37u) % 1455;

	make_frame(fr, mac, len, (uint8_t)i);
	return len;
}

/* 8139too's rtl8139_rx over a 32 KiB ring with RxNoWrap: returns the frames taken. */
static unsigned driver_rx(struct fixture *f, uint32_t *cur_rx, unsigned next)
{
	uint8_t want[1600];
	unsigned got = 0;

	while (!(rd(f, CR, 1) & CR_BUFE)) {
		const uint8_t *h = gpa_to_hva(&f->mem, RX_RING + *cur_rx % 32768, 4);
		unsigned status = h[0] | h[1] << 8, rx_size = h[2] | h[3] << 8;
		size_t len = stream_frame(want, next + got);

		assert_int_equal(status & 1, 1);
		assert_int_equal(rx_size, (len < 60 ? 60 : len) + 4);
		assert_memory_equal(h + 4, want, len);
		got++;
		*cur_rx = (*cur_rx + rx_size + 4 + 3) & ~3u;
		wr(f, 0x38, (uint16_t)(*cur_rx - 16), 2);
		wr(f, 0x3e, 0x51, 2);
	}
	return got;
}

/*
 * Traffic both ways the way 8139too drives it, through the receive thread,
 * with up to 64 frames in flight: more than the 32 KiB ring holds, so the
 * receiver must leave frames queued on the wire until the guest makes
 * room, and drop none.
 */
static void test_8139too_traffic(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 600;
	unsigned sent = 0, got = 0, tx = 0;
	uint32_t cur_rx = 0;
	uint8_t fr[1600];

	/* RxCfgRcv32K | RxNoWrap | FIFO and DMA thresholds | broadcast | my MAC */
	hw_start(f, 0x1000 | 0x80 | 7 << 13 | 7 << 8 | RCR_AB | RCR_APM);
	assert_int_equal(rtl8139_start(f->nic), 0);
	for (unsigned spins = 0; (got < n || tx < n) && spins < 20000; spins++) {
		while (sent < n && sent - got < 64) {
			size_t len = stream_frame(fr, sent);

			if (send(f->host, fr, len, MSG_DONTWAIT) < 0)
				break;
			sent++;
		}
		got += driver_rx(f, &cur_rx, got);
		/* And one transmit per round on descriptor tx % 4, as start_xmit does. */
		if (tx < n) {
			size_t len = stream_frame(fr, tx);

			memcpy(gpa_to_hva(&f->mem, TX_BUF + (tx % 4) * 1536, len), fr, len);
			wr(f, 0x20 + (tx % 4) * 4, TX_BUF + (tx % 4) * 1536, 4);
			wr(f, 0x10 + (tx % 4) * 4, 0x00080000 | (uint32_t)len, 4);
			assert_int_equal(recv(f->host, fr, sizeof(fr), MSG_DONTWAIT), (ssize_t)len);
			assert_int_equal(rd(f, 0x10 + (tx % 4) * 4, 4) & TSD_TOK, TSD_TOK);
			tx++;
		}
		if (got < sent)
			poll(NULL, 0, 1);
	}
	assert_int_equal(got, n);
	assert_int_equal(tx, n);
	assert_int_equal(rd(f, 0x4c, 4), 0); /* nothing missed */
	assert_int_equal(rd(f, 0x3e, 2) & ISR_RXOVW, 0);
	rtl8139_stop(f->nic);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pci_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eeprom_mac, setup, teardown),
	    cmocka_unit_test(test_eeprom_dummy_bit),
	    cmocka_unit_test(test_eeprom_ignores_writes),
	    cmocka_unit_test_setup_teardown(test_idr_mar_widths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timer_and_early_rx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_waits_for_te, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_ok_while_unread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_bad_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_capr_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_enable_resets_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_8139too_traffic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
