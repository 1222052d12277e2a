/* SPDX-License-Identifier: MIT */
/*
 * RTL8139 register file, transmit and receive.  Register meanings follow
 * the RTL8139C(L) datasheet; what Linux's 8139too relies on is noted
 * where the datasheet leaves room.
 */
#include "devices/rtl8139.h"

#include "core/memory.h"
#include "core/sandbox.h"
#include "devices/eeprom93c46.h"
#include "devices/tap.h"
#include "lib/log.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Register offsets. */
enum {
	REG_IDR0 = 0x00,
	REG_MAR0 = 0x08,
	REG_TSD0 = 0x10,
	REG_TSAD0 = 0x20,
	REG_RBSTART = 0x30,
	REG_ERBCR = 0x34, /* early receive: never used, reads 0 */
	REG_ERSR = 0x36,
	REG_CR = 0x37,
	REG_CAPR = 0x38,
	REG_CBR = 0x3a,
	REG_IMR = 0x3c,
	REG_ISR = 0x3e,
	REG_TCR = 0x40,
	REG_RCR = 0x44,
	REG_TCTR = 0x48,
	REG_MPC = 0x4c,
	REG_9346CR = 0x50,
	REG_CONFIG0 = 0x51,
	REG_CONFIG1 = 0x52,
	REG_TIMERINT = 0x54,
	REG_MSR = 0x58,
	REG_CONFIG3 = 0x59,
	REG_CONFIG4 = 0x5a,
	REG_MULINT = 0x5c,
	REG_RERID = 0x5e,
	REG_TSAD = 0x60, /* transmit status of all descriptors */
	REG_BMCR = 0x62,
	REG_BMSR = 0x64,
	REG_ANAR = 0x66,
	REG_ANLPAR = 0x68,
	REG_ANER = 0x6a,
	REG_CSCR = 0x74,
	REG_CONFIG5 = 0xd8,
};

/* CR */
#define CR_BUFE 0x01
#define CR_TE	0x04
#define CR_RE	0x08
#define CR_RST	0x10

/* ISR/IMR */
#define INT_ROK	  0x0001
#define INT_TOK	  0x0004
#define INT_TER	  0x0008
#define INT_RXOVW 0x0010
#define INT_SERR  0x8000
#define INT_MASK  0xe07f

/* TSD */
#define TSD_SIZE   0x00001fff
#define TSD_OWN	   0x00002000
#define TSD_TUN	   0x00004000
#define TSD_TOK	   0x00008000
#define TSD_ERTXTH 0x003f0000
#define TSD_TABT   0x40000000

/* TCR: the hardware version bits read as an RTL8139C (8139too's table). */
#define TCR_WMASK   0x030707f0
#define TCR_VERSION 0x74000000

/* RCR */
#define RCR_AAP	       0x01
#define RCR_APM	       0x02
#define RCR_AM	       0x04
#define RCR_AB	       0x08
#define RCR_WRAP       0x80
#define RCR_RBLEN(rcr) (((rcr) >> 11) & 3)
#define RCR_WMASK      0x0f03ffff

/* Receive status in the packet header. */
#define RXS_ROK 0x0001
#define RXS_BAR 0x2000
#define RXS_PAM 0x4000
#define RXS_MAR 0x8000

/* 9346CR: operating mode in bits 7-6, EEPROM pins in bits 3-0. */
#define EEM(v)	     ((v) >> 6)
#define EEM_NORMAL   0
#define EEM_AUTOLOAD 1
#define EEM_PROGRAM  2
#define EEM_CONFIG   3
#define EE_CS	     0x08
#define EE_SK	     0x04
#define EE_DI	     0x02
#define EE_DO	     0x01

/* PHY registers: autonegotiated 100BASE-TX full duplex, link up. */
#define BMCR_RESET	0x8000
#define BMCR_RESTART_AN 0x0200
#define BMCR_DEFAULT	0x3100 /* 100 Mb, autonegotiation on, full duplex */
#define BMSR_VALUE	0x782d /* 10/100 half/full, AN complete, AN able, link up, ext caps */
#define ANAR_DEFAULT	0x01e1
#define ANLPAR_VALUE	0x41e1 /* the partner acknowledges and offers the same */
#define ANER_VALUE	0x0001
#define CSCR_LINK_OK	0x0400

#define CONFIG1_DEFAULT 0x0c /* PIO and MMIO mapped */

#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_ZLEN      60 /* frames are padded to this on the wire, CRC excluded */
#define ETH_FCS_LEN   4
#define RX_HEADER_LEN 4
#define RX_STAGE_LEN  (RX_HEADER_LEN + RTL8139_RX_MAX + ETH_FCS_LEN + 3)
#define WIRE_BUF_LEN  65536 /* a TAP frame may be that long: read it whole, then judge */
#define RX_BATCH      64    /* frames per wakeup before looking at the stop eventfd again */
#define MPC_MAX	      0xffffff
#define TCTR_HZ	      33000000ull /* the timer counts PCI clocks */

struct rtl8139 {
	struct pci_function pci;
	const struct guest_memory *mem;
	pthread_mutex_t lock; /* everything below that the guest can see */
	struct eeprom93c46 eeprom;

	uint8_t idr[ETH_ALEN], mar[8];
	uint32_t tsd[4], tsad[4], rbstart, tcr, rcr, mpc, timer_int;
	uint64_t tctr_base_ns; /* when TCTR was last zero */
	uint16_t capr, cbr, imr, isr, mulint, bmcr, anar, cscr;
	uint8_t cr, cr9346, config0, config1, config3, config4, config5;
	uint8_t other[RTL8139_REGS_SIZE]; /* registers we only store (twister, wake-up) */
	bool rx_blocked; /* no room in the ring for a frame: wait for the guest to free some */

	int fd;
	bool vnet_hdr; /* fd is a TAP whose frames carry a virtio_net_hdr */
	char ifname[IFNAMSIZ];
	int stop_efd, kick_efd;
	pthread_t thread;
	bool running;

	uint8_t tx_buf[RTL8139_TX_MAX];
	uint8_t rx_stage[RX_STAGE_LEN];
	uint8_t wire[WIRE_BUF_LEN]; /* the receive thread's */
};

static void update_irq(struct rtl8139 *nic)
{
	pci_set_irq(&nic->pci, (nic->isr & nic->imr) != 0);
}

/* The device may only reach guest memory while the guest lets it master the bus. */
static bool dma_allowed(const struct rtl8139 *nic)
{
	return nic->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TCTR: a free-running count of 33 MHz PCI clocks since it was last written. */
static uint32_t tctr(const struct rtl8139 *nic)
{
	uint64_t ns = now_ns() - nic->tctr_base_ns;

	return (uint32_t)((ns / 1000000000ull) * TCTR_HZ +
			  (ns % 1000000000ull) * TCTR_HZ / 1000000000ull);
}

/* ---- Receive ring ---- */

static uint32_t ring_size(const struct rtl8139 *nic)
{
	return 8192u << RCR_RBLEN(nic->rcr);
}

/* Where the guest reads next, as CAPR says (it writes CAPR 16 bytes behind). */
static uint32_t ring_read_pos(const struct rtl8139 *nic)
{
	return (uint16_t)(nic->capr + 16) % ring_size(nic);
}

static bool ring_empty(const struct rtl8139 *nic)
{
	return ring_read_pos(nic) == nic->cbr % ring_size(nic);
}

static void ring_reset(struct rtl8139 *nic)
{
	nic->cbr = 0;
	nic->capr = 0xfff0; /* read position 0: empty */
}

/* Linux's ether_crc: the multicast filter hashes on its top 6 bits. */
static uint32_t ether_crc(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < n; i++) {
		unsigned byte = p[i];

		for (int bit = 0; bit < 8; bit++, byte >>= 1) {
			uint32_t carry = (crc >> 31) ^ (byte & 1);

			crc = (crc << 1) ^ (carry ? 0x04c11db7 : 0);
		}
	}
	return crc;
}

/* The receive status for a frame RCR accepts, or 0 to drop it. */
static uint16_t rx_filter(const struct rtl8139 *nic, const uint8_t *dst)
{
	static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (memcmp(dst, bcast, ETH_ALEN) == 0)
		return nic->rcr & RCR_AB ? RXS_ROK | RXS_BAR : 0;
	if (dst[0] & 1) {
		unsigned idx = ether_crc(dst, ETH_ALEN) >> 26;

		if (nic->rcr & RCR_AAP)
			return RXS_ROK | RXS_MAR;
		return (nic->rcr & RCR_AM) && (nic->mar[idx >> 3] & (1u << (idx & 7)))
			   ? RXS_ROK | RXS_MAR
			   : 0;
	}
	if (memcmp(dst, nic->idr, ETH_ALEN) == 0 && (nic->rcr & (RCR_APM | RCR_AAP)))
		return RXS_ROK | RXS_PAM;
	return nic->rcr & RCR_AAP ? RXS_ROK : 0;
}

/* Header, frame padded to the Ethernet minimum, CRC: the bytes that go into the ring. */
static size_t rx_stage(struct rtl8139 *nic, const uint8_t *frame, size_t len, uint16_t status)
{
	size_t wire_len = len < ETH_ZLEN ? ETH_ZLEN : len;
	uint16_t rx_size = (uint16_t)(wire_len + ETH_FCS_LEN);
	uint8_t *p = nic->rx_stage;
	uint32_t fcs;

	p[0] = (uint8_t)status;
	p[1] = (uint8_t)(status >> 8);
	p[2] = (uint8_t)rx_size;
	p[3] = (uint8_t)(rx_size >> 8);
	memcpy(p + RX_HEADER_LEN, frame, len);
	memset(p + RX_HEADER_LEN + len, 0, wire_len - len);
	fcs = (uint32_t)crc32(0, p + RX_HEADER_LEN, (uInt)wire_len);
	for (int i = 0; i < 4; i++)
		p[RX_HEADER_LEN + wire_len + i] = (uint8_t)(fcs >> (8 * i));
	return RX_HEADER_LEN + rx_size;
}

/*
 * Copy n staged bytes to the ring at pos.  With WRAP set (and a ring
 * under 64 KiB) the frame runs on past the end into the guest's spare
 * room; otherwise it continues at the ring's start.
 */
static int rx_copy(struct rtl8139 *nic, uint32_t pos, size_t n)
{
	uint32_t size = ring_size(nic);
	size_t first = n;
	int r;

	if (!((nic->rcr & RCR_WRAP) && size < 65536) && size - pos < n)
		first = size - pos;
	r = guest_write(nic->mem, (uint64_t)nic->rbstart + pos, nic->rx_stage, first);
	if (!r && first < n)
		r = guest_write(nic->mem, nic->rbstart, nic->rx_stage + first, n - first);
	return r;
}

/* Bytes the ring can take at CBR without reaching what the guest has not read. */
static uint32_t ring_room(const struct rtl8139 *nic)
{
	uint32_t size = ring_size(nic);
	uint32_t room = (ring_read_pos(nic) + size - nic->cbr % size) % size;

	return room ? room : size;
}

/* Under the lock: one frame from the wire into the ring.  True when the ring was full. */
static bool rx_frame(struct rtl8139 *nic, const uint8_t *frame, size_t len)
{
	uint32_t size = ring_size(nic), pos = nic->cbr % size, room = ring_room(nic);
	uint16_t status;
	size_t n, total;

	if (!(nic->cr & CR_RE) || len < ETH_HLEN || len > RTL8139_RX_MAX || !dma_allowed(nic))
		return false;
	status = rx_filter(nic, frame);
	if (!status)
		return false;
	n = rx_stage(nic, frame, len, status);
	total = (n + 3) & ~(size_t)3;
	if (total >= room) { /* never write over what the guest has not read */
		nic->isr |= INT_RXOVW;
		if (nic->mpc < MPC_MAX)
			nic->mpc++;
		return true;
	}
	if (rx_copy(nic, pos, n) < 0) {
		pr_warn_once("rtl8139: %s: receive ring at %#x is not RAM", nic->ifname,
			     nic->rbstart);
		nic->isr |= INT_SERR; /* the ring is not RAM: a master abort */
		return false;
	}
	nic->cbr = (uint16_t)((pos + total) % size);
	nic->isr |= INT_ROK;
	return false;
}

bool rtl8139_receive(struct rtl8139 *nic, const uint8_t *frame, size_t len)
{
	bool full;

	pthread_mutex_lock(&nic->lock);
	full = rx_frame(nic, frame, len);
	nic->rx_blocked = full;
	update_irq(nic);
	pthread_mutex_unlock(&nic->lock);
	return full;
}

/* ---- Transmit ---- */

/* Send descriptor i's buffer (the guest cleared OWN): TOK, or TABT when we cannot. */
static void tx_descriptor(struct rtl8139 *nic, unsigned i)
{
	uint32_t size = nic->tsd[i] & TSD_SIZE;
	int r = -EINVAL;

	if (size && size <= RTL8139_TX_MAX && dma_allowed(nic))
		r = guest_read(nic->mem, nic->tsad[i], nic->tx_buf, size);
	if (r < 0) {
		pr_warn_once("rtl8139: %s: aborted a transmit (%u bytes at %#x): bad size, not RAM "
			     "or no bus mastering",
			     nic->ifname, size, nic->tsad[i]);
		nic->tsd[i] |= TSD_OWN | TSD_TABT;
		nic->isr |= INT_TER;
		return;
	}
	/* A full host queue drops the frame, as a congested wire would. */
	if (tap_write_frame(nic->fd, nic->vnet_hdr, nic->tx_buf, size) < 0 && errno != EAGAIN)
		pr_warn_once("rtl8139: %s: transmit: %s", nic->ifname, strerror(errno));
	nic->tsd[i] |= TSD_OWN | TSD_TOK;
	nic->isr |= INT_TOK;
}

static void tx_pending(struct rtl8139 *nic)
{
	for (unsigned i = 0; i < 4; i++)
		if (!(nic->tsd[i] & TSD_OWN))
			tx_descriptor(nic, i);
}

static void write_tsd(struct rtl8139 *nic, unsigned i, uint32_t val)
{
	if (val & TSD_OWN) { /* the host still owns it: only the size and threshold change */
		nic->tsd[i] =
		    (nic->tsd[i] & ~(TSD_SIZE | TSD_ERTXTH)) | (val & (TSD_SIZE | TSD_ERTXTH));
		return;
	}
	nic->tsd[i] = val & (TSD_SIZE | TSD_ERTXTH); /* a new frame: status cleared */
	if (nic->cr & CR_TE)
		tx_descriptor(nic, i);
}

/* ---- Reset ---- */

/* CR.RST: transmitter and receiver stopped, buffers empty; addresses and filters stay. */
static void soft_reset(struct rtl8139 *nic)
{
	nic->cr = 0;
	nic->isr = nic->imr = 0;
	for (unsigned i = 0; i < 4; i++)
		nic->tsd[i] = TSD_OWN;
	ring_reset(nic);
}

static void load_from_eeprom(struct rtl8139 *nic)
{
	for (size_t i = 0; i < 3; i++) {
		uint16_t w = nic->eeprom.words[7 + i];

		nic->idr[2 * i] = (uint8_t)w;
		nic->idr[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void power_on_reset(struct rtl8139 *nic)
{
	soft_reset(nic);
	load_from_eeprom(nic);
	memset(nic->mar, 0, sizeof(nic->mar));
	memset(nic->tsad, 0, sizeof(nic->tsad));
	memset(nic->other, 0, sizeof(nic->other));
	nic->rbstart = nic->tcr = nic->rcr = nic->mpc = nic->timer_int = 0;
	nic->tctr_base_ns = now_ns();
	nic->mulint = nic->cscr = 0;
	nic->bmcr = BMCR_DEFAULT;
	nic->anar = ANAR_DEFAULT;
	nic->cr9346 = 0;
	nic->config0 = nic->config3 = nic->config4 = nic->config5 = 0;
	nic->config1 = CONFIG1_DEFAULT;
	eeprom93c46_reset(&nic->eeprom);
}

/* ---- Register access ---- */

/* The register holding byte `off`: its first byte and width. */
static unsigned reg_span(unsigned off, unsigned *size)
{
	if ((off >= REG_TSD0 && off < REG_RBSTART + 4) || (off >= REG_TCR && off < REG_MPC + 4) ||
	    (off >= REG_TIMERINT && off < REG_TIMERINT + 4)) {
		*size = 4;
		return off & ~3u;
	}
	if ((off >= REG_ERBCR && off < REG_ERBCR + 2) || (off >= REG_CAPR && off < REG_ISR + 2) ||
	    (off >= REG_MULINT && off < REG_RERID) || (off >= REG_TSAD && off < REG_CSCR + 2)) {
		*size = 2;
		return off & ~1u;
	}
	*size = 1;
	return off;
}

static uint32_t tsd_summary(const struct rtl8139 *nic)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++) {
		v |= (nic->tsd[i] & TSD_OWN) ? 1u << i : 0;
		v |= (nic->tsd[i] & TSD_TABT) ? 1u << (4 + i) : 0;
		v |= (nic->tsd[i] & TSD_TUN) ? 1u << (8 + i) : 0;
		v |= (nic->tsd[i] & TSD_TOK) ? 1u << (12 + i) : 0;
	}
	return v;
}

static uint8_t read_9346cr(const struct rtl8139 *nic)
{
	if (EEM(nic->cr9346) != EEM_PROGRAM)
		return nic->cr9346 & 0xc0;
	return (uint8_t)((nic->cr9346 & (0xc0 | EE_CS | EE_SK | EE_DI)) |
			 (nic->eeprom.dout ? EE_DO : 0));
}

static uint32_t reg_get(const struct rtl8139 *nic, unsigned base)
{
	if (base < REG_IDR0 + ETH_ALEN)
		return nic->idr[base];
	if (base >= REG_MAR0 && base < REG_MAR0 + 8)
		return nic->mar[base - REG_MAR0];
	if (base >= REG_TSD0 && base < REG_TSAD0)
		return nic->tsd[(base - REG_TSD0) / 4];
	if (base >= REG_TSAD0 && base < REG_RBSTART)
		return nic->tsad[(base - REG_TSAD0) / 4];
	switch (base) {
	case REG_RBSTART:
		return nic->rbstart;
	case REG_CR:
		return nic->cr | (ring_empty(nic) ? CR_BUFE : 0);
	case REG_CAPR:
		return nic->capr;
	case REG_CBR:
		return nic->cbr;
	case REG_IMR:
		return nic->imr;
	case REG_ISR:
		return nic->isr;
	case REG_TCR:
		return nic->tcr | TCR_VERSION;
	case REG_RCR:
		return nic->rcr;
	case REG_TCTR:
		return tctr(nic);
	case REG_ERBCR:
	case REG_ERSR:
		return 0;
	case REG_MPC:
		return nic->mpc;
	case REG_9346CR:
		return read_9346cr(nic);
	case REG_CONFIG0:
		return nic->config0;
	case REG_CONFIG1:
		return nic->config1;
	case REG_TIMERINT:
		return nic->timer_int;
	case REG_MSR:
		return 0; /* 100 Mb/s, link up */
	case REG_CONFIG3:
		return nic->config3;
	case REG_CONFIG4:
		return nic->config4;
	case REG_MULINT:
		return nic->mulint;
	case REG_RERID:
		return RTL8139_REVISION;
	case REG_TSAD:
		return tsd_summary(nic);
	case REG_BMCR:
		return nic->bmcr;
	case REG_BMSR:
		return BMSR_VALUE;
	case REG_ANAR:
		return nic->anar;
	case REG_ANLPAR:
		return ANLPAR_VALUE;
	case REG_ANER:
		return ANER_VALUE;
	case REG_CSCR:
		return nic->cscr | CSCR_LINK_OK;
	case REG_CONFIG5:
		return nic->config5;
	default: {
		unsigned size;
		uint32_t v = 0;

		reg_span(base, &size);
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)nic->other[base + i] << (8 * i);
		return v;
	}
	}
}

static void write_cr(struct rtl8139 *nic, uint8_t val)
{
	uint8_t old = nic->cr;

	if (val & CR_RST) { /* completes at once: 8139too polls for RST to clear */
		soft_reset(nic);
		return;
	}
	nic->cr = val & (CR_RE | CR_TE);
	/* Enabling the receiver starts the ring over: 8139too's error recovery counts on it. */
	if ((nic->cr & CR_RE) && !(old & CR_RE))
		ring_reset(nic);
	if ((nic->cr & CR_TE) && !(old & CR_TE))
		tx_pending(nic);
}

static void write_9346cr(struct rtl8139 *nic, uint8_t val)
{
	nic->cr9346 = val & (0xc0 | EE_CS | EE_SK | EE_DI);
	switch (EEM(val)) {
	case EEM_PROGRAM:
		eeprom93c46_pins(&nic->eeprom, val & EE_CS, val & EE_SK, val & EE_DI);
		break;
	case EEM_AUTOLOAD: /* reload from the EEPROM, then back to normal */
		load_from_eeprom(nic);
		nic->cr9346 = 0;
		eeprom93c46_reset(&nic->eeprom);
		break;
	default:
		eeprom93c46_reset(&nic->eeprom);
		break;
	}
}

/* CONFIG0-4 and BMCR only change while 9346CR says "config write enable". */
static bool config_unlocked(const struct rtl8139 *nic)
{
	return EEM(nic->cr9346) == EEM_CONFIG;
}

static void write_config(struct rtl8139 *nic, unsigned base, uint8_t val)
{
	if (!config_unlocked(nic))
		return;
	if (base == REG_CONFIG1)
		nic->config1 = val;
	else if (base == REG_CONFIG3)
		nic->config3 = val;
	else if (base == REG_CONFIG4)
		nic->config4 = val;
	/* CONFIG0 holds the boot ROM size and media: read-only here. */
}

static void write_bmcr(struct rtl8139 *nic, uint16_t val)
{
	if (config_unlocked(nic)) /* reset and restart complete at once */
		nic->bmcr = val & (uint16_t) ~(BMCR_RESET | BMCR_RESTART_AN);
}

/*
 * Store a write to the register at base: val is the register's value with
 * the written bytes replaced, written has the bits the access covered
 * (write-1-to-clear and clear-on-write registers look only at those).
 */
static void reg_set(struct rtl8139 *nic, unsigned base, uint32_t val, uint32_t written)
{
	if (base < REG_IDR0 + ETH_ALEN) {
		nic->idr[base] = (uint8_t)val;
		return;
	}
	if (base >= REG_MAR0 && base < REG_MAR0 + 8) {
		nic->mar[base - REG_MAR0] = (uint8_t)val;
		return;
	}
	if (base >= REG_TSD0 && base < REG_TSAD0) {
		write_tsd(nic, (base - REG_TSD0) / 4, val);
		return;
	}
	if (base >= REG_TSAD0 && base < REG_RBSTART) {
		nic->tsad[(base - REG_TSAD0) / 4] = val;
		return;
	}
	switch (base) {
	case REG_RBSTART:
		nic->rbstart = val;
		break;
	case REG_CR:
		write_cr(nic, (uint8_t)val);
		break;
	case REG_CAPR:
		nic->capr = (uint16_t)val;
		break;
	case REG_IMR:
		nic->imr = (uint16_t)(val & INT_MASK);
		break;
	case REG_ISR:
		nic->isr &= (uint16_t) ~(val & written);
		/*
		 * Frames still unread keep Rx OK set.  8139too acks Rx OK after
		 * each frame and, once a NAPI poll has used its budget, looks
		 * at the ring again only if Rx OK is set: a burst larger than
		 * its budget, with nothing arriving after it, would otherwise
		 * sit in the ring unannounced (a TCP sender waiting there for
		 * the ACKs it holds stalls until its retransmit timer fires).
		 */
		if ((nic->cr & CR_RE) && !ring_empty(nic))
			nic->isr |= INT_ROK;
		break;
	case REG_TCR:
		nic->tcr = val & TCR_WMASK;
		break; /* CLRABT: nothing to retry */
	case REG_RCR:
		nic->rcr = val & RCR_WMASK;
		break;
	case REG_MPC:
		nic->mpc = 0;
		break;
	case REG_9346CR:
		write_9346cr(nic, (uint8_t)val);
		break;
	case REG_CONFIG0:
	case REG_CONFIG1:
	case REG_CONFIG3:
	case REG_CONFIG4:
		write_config(nic, base, (uint8_t)val);
		break;
	case REG_CONFIG5:
		nic->config5 = (uint8_t)val;
		break;
	case REG_TIMERINT:
		nic->timer_int = val;
		break;
	case REG_MULINT:
		nic->mulint = (uint16_t)(val & 0x0fff);
		break;
	case REG_BMCR:
		write_bmcr(nic, (uint16_t)val);
		break;
	case REG_ANAR:
		nic->anar = (uint16_t)val;
		break;
	case REG_CSCR:
		nic->cscr = (uint16_t)(val & ~CSCR_LINK_OK);
		break;
	case REG_TCTR:
		nic->tctr_base_ns = now_ns();
		break;
	case REG_CBR:
	case REG_ERBCR:
	case REG_ERSR:
	case REG_MSR:
	case REG_RERID:
	case REG_TSAD:
	case REG_BMSR:
	case REG_ANLPAR:
	case REG_ANER:
		break; /* read-only */
	default: {
		unsigned size;

		reg_span(base, &size);
		for (unsigned i = 0; i < size; i++)
			nic->other[base + i] = (uint8_t)(val >> (8 * i));
		break;
	}
	}
}

/* One register's share of an access: bytes [off, off + n) of data, n within the register. */
static unsigned access_reg(struct rtl8139 *nic, unsigned off, uint8_t *data, unsigned n,
			   bool is_write)
{
	unsigned size, base = reg_span(off, &size), shift = 8 * (off - base);
	uint32_t val = reg_get(nic, base), written = 0;

	if (n > base + size - off)
		n = base + size - off;
	for (unsigned i = 0; i < n; i++) {
		unsigned s = shift + 8 * i;

		if (is_write) {
			val = (val & ~(0xffu << s)) | (uint32_t)data[i] << s;
			written |= 0xffu << s;
		} else {
			data[i] = (uint8_t)(val >> s);
		}
	}
	if (is_write)
		reg_set(nic, base, val, written);
	return n;
}

/*
 * After a write that can make room in the ring (CAPR, CR, RCR), a stalled
 * receiver looks again.  Other writes (the ISR ack that follows every
 * frame) cannot, so they do not wake it.
 */
static bool may_free_ring(unsigned off, unsigned end)
{
	return (off <= REG_CR && end > REG_CR) || (off < REG_CAPR + 2 && end > REG_CAPR) ||
	       (off < REG_RCR + 4 && end > REG_RCR);
}

static void kick_rx(struct rtl8139 *nic)
{
	if (!nic->rx_blocked)
		return;
	nic->rx_blocked = false;
	if (write(nic->kick_efd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		pr_warn_once("rtl8139: %s: kick: %s", nic->ifname, strerror(errno));
}

void rtl8139_regs_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rtl8139 *nic = opaque;
	unsigned start, off, end;

	if (offset >= RTL8139_REGS_SIZE)
		return;
	start = off = (unsigned)offset;
	end = len > RTL8139_REGS_SIZE - off ? RTL8139_REGS_SIZE : off + len;
	pthread_mutex_lock(&nic->lock);
	while (off < end)
		off += access_reg(nic, off, data + (off - offset), end - off, is_write);
	if (is_write) {
		update_irq(nic);
		if (may_free_ring(start, end))
			kick_rx(nic);
	}
	pthread_mutex_unlock(&nic->lock);
}

/* ---- The receive thread ---- */

static void drain_eventfd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn_once("rtl8139: eventfd: %s", strerror(errno));
}

static bool rx_is_blocked(struct rtl8139 *nic)
{
	bool blocked;

	pthread_mutex_lock(&nic->lock);
	blocked = nic->rx_blocked;
	pthread_mutex_unlock(&nic->lock);
	return blocked;
}

/*
 * A frame is taken off the TAP only when the ring has room for the
 * largest one (or the receiver is off and drops it anyway): otherwise the
 * receiver waits, with frames queued in the TAP as in the chip's FIFO,
 * until the guest frees the ring.  Taking a frame that may not fit would
 * drop one for each frame the guest reads while it drains a full ring.
 */
static bool rx_may_take(struct rtl8139 *nic)
{
	bool ok;

	pthread_mutex_lock(&nic->lock);
	ok = !(nic->cr & CR_RE) || ring_room(nic) > RX_STAGE_LEN;
	if (!ok)
		nic->rx_blocked = true;
	pthread_mutex_unlock(&nic->lock);
	return ok;
}

/* Read a batch of frames.  False when the fd is gone (closed or broken): stop reading it. */
static bool rx_drain(struct rtl8139 *nic)
{
	for (unsigned i = 0; i < RX_BATCH && rx_may_take(nic); i++) {
		ssize_t n = tap_read_frame(nic->fd, nic->vnet_hdr, nic->wire, sizeof(nic->wire));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			pr_err("rtl8139: %s: receive: %s", nic->ifname,
			       n ? strerror(errno) : "end of file");
			return false;
		}
		if (rtl8139_receive(nic, nic->wire, (size_t)n))
			return true; /* no room: wait for the guest */
	}
	return true;
}

static void *rx_thread(void *arg)
{
	struct rtl8139 *nic = arg;
	bool fd_ok = true;

	sandbox_confine_thread(SANDBOX_IO);
	for (;;) {
		bool want = fd_ok && !rx_is_blocked(nic);
		struct pollfd fds[3] = {
		    {.fd = nic->stop_efd, .events = POLLIN},
		    {.fd = nic->kick_efd, .events = POLLIN},
		    {.fd = want ? nic->fd : -1, .events = POLLIN},
		};

		if (poll(fds, 3, -1) < 0 && errno != EINTR) {
			pr_err("rtl8139: %s: poll: %s", nic->ifname, strerror(errno));
			break;
		}
		if (fds[0].revents)
			break;
		if (fds[1].revents)
			drain_eventfd(nic->kick_efd);
		if (want && fds[2].revents)
			fd_ok = rx_drain(nic);
	}
	return NULL;
}

int rtl8139_start(struct rtl8139 *nic)
{
	int r;

	if (nic->running)
		return 0;
	r = -pthread_create(&nic->thread, NULL, rx_thread, nic);
	if (r) {
		pr_err("rtl8139: %s: receive thread: %s", nic->ifname, strerror(-r));
		return r;
	}
	nic->running = true;
	return 0;
}

void rtl8139_stop(struct rtl8139 *nic)
{
	if (!nic->running)
		return;
	if (write(nic->stop_efd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		pr_warn("rtl8139: %s: stop: %s", nic->ifname, strerror(errno));
	pthread_join(nic->thread, NULL);
	drain_eventfd(nic->stop_efd);
	nic->running = false;
}

/* ---- Life cycle ---- */

static void eeprom_init(struct rtl8139 *nic, const uint8_t mac[ETH_ALEN])
{
	uint16_t *w = nic->eeprom.words;

	memset(w, 0, sizeof(nic->eeprom.words));
	w[0] = 0x8129; /* the RTL8139 EEPROM's ID word */
	w[1] = RTL8139_VENDOR_ID;
	w[2] = RTL8139_DEVICE_ID;
	w[3] = RTL8139_VENDOR_ID; /* subsystem */
	w[4] = RTL8139_DEVICE_ID;
	for (size_t i = 0; i < 3; i++)
		w[7 + i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
}

static void pci_init(struct rtl8139 *nic)
{
	struct pci_function *fn = &nic->pci;

	pci_function_init(fn, "rtl8139", RTL8139_VENDOR_ID, RTL8139_DEVICE_ID, 0x020000,
			  RTL8139_REVISION, 1);
	pci_config_set16(fn, PCI_SUBSYSTEM_VENDOR_ID, RTL8139_VENDOR_ID);
	pci_config_set16(fn, PCI_SUBSYSTEM_ID, RTL8139_DEVICE_ID);
	fn->opaque = nic;
	fn->bars[0] = (struct pci_bar){.type = PCI_BAR_IO,
				       .size = RTL8139_REGS_SIZE,
				       .prefetchable = false,
				       .handler = rtl8139_regs_io,
				       .opaque = nic};
	fn->bars[1] = fn->bars[0];
	fn->bars[1].type = PCI_BAR_MEM32;
}

static int open_fd(struct rtl8139 *nic, const struct rtl8139_spec *spec)
{
	if (spec->fd >= 0) {
		nic->fd = spec->fd;
		nic->vnet_hdr = tap_vnet_hdr(spec->fd) == 1;
		snprintf(nic->ifname, sizeof(nic->ifname), "%s",
			 spec->ifname ? spec->ifname : "fd");
		return 0;
	}
	/*
	 * With a virtio_net_hdr on every frame, so that a Xen netback that
	 * takes the TAP over (a PVHVM guest unplugged this NIC) can offer
	 * checksum offload and GSO; this NIC adds and drops empty headers.
	 */
	nic->fd = tap_open(spec->ifname, spec->bridge, true, nic->ifname);
	nic->vnet_hdr = nic->fd >= 0;
	return nic->fd < 0 ? nic->fd : 0;
}

struct rtl8139 *rtl8139_create(const struct guest_memory *mem, const struct rtl8139_spec *spec)
{
	struct rtl8139 *nic = calloc(1, sizeof(*nic));

	if (!nic) {
		pr_err("rtl8139: out of memory");
		return NULL;
	}
	nic->mem = mem;
	nic->fd = nic->stop_efd = nic->kick_efd = -1;
	pthread_mutex_init(&nic->lock, NULL);
	if (open_fd(nic, spec) < 0)
		goto fail;
	nic->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	nic->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nic->stop_efd < 0 || nic->kick_efd < 0) {
		pr_err("rtl8139: eventfd: %s", strerror(errno));
		goto fail;
	}
	eeprom_init(nic, spec->mac);
	pci_init(nic);
	power_on_reset(nic);
	return nic;
fail:
	rtl8139_destroy(nic);
	return NULL;
}

void rtl8139_destroy(struct rtl8139 *nic)
{
	if (!nic)
		return;
	rtl8139_stop(nic);
	if (nic->stop_efd >= 0)
		close(nic->stop_efd);
	if (nic->kick_efd >= 0)
		close(nic->kick_efd);
	if (nic->fd >= 0)
		tap_close(nic->fd);
	pthread_mutex_destroy(&nic->lock);
	free(nic);
}

struct pci_function *rtl8139_pci(struct rtl8139 *nic)
{
	return &nic->pci;
}

const char *rtl8139_ifname(const struct rtl8139 *nic)
{
	return nic->ifname;
}

int rtl8139_fd(const struct rtl8139 *nic)
{
	return nic->fd;
}

void rtl8139_reset(struct rtl8139 *nic)
{
	pthread_mutex_lock(&nic->lock);
	power_on_reset(nic);
	update_irq(nic);
	kick_rx(nic);
	pthread_mutex_unlock(&nic->lock);
}
