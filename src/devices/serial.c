/* SPDX-License-Identifier: MIT */
#include "devices/serial.h"

#include <string.h>

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI	 0x01 /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_FIFO   0xc0 /* FIFOs enabled: what identifies a 16550A */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR	 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI	0x40
#define MSR_DCD 0x80

void serial_init(struct serial *s, const struct serial_ops *ops, void *opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->ops = ops;
	s->opaque = opaque;
	s->mcr = MCR_OUT2;
	s->dll = 0x0c; /* 9600 baud, as after reset */
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t compute_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_interrupt)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

/* Called with the lock held after any state change. */
static void update_irq(struct serial *s)
{
	bool level = !(compute_iir(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		s->ops->set_irq(s->opaque, level);
	}
}

static void rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count == SERIAL_RX_BUF)
		return;
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_BUF] = byte;
	s->rx_count++;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->rx_count)
		return 0;
	byte = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUF;
	s->rx_count--;
	return byte;
}

/* In loopback the modem outputs feed the modem status inputs. */
static uint8_t modem_status(const struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return (uint8_t)(((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
				 ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
				 ((s->mcr & MCR_OUT1) ? MSR_RI : 0) |
				 ((s->mcr & MCR_OUT2) ? MSR_DCD : 0));
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static void write_reg(struct serial *s, unsigned reg, uint8_t val)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab) {
			s->dll = val;
		} else if (s->mcr & MCR_LOOP) {
			rx_push(s, val);
		} else {
			s->ops->transmit(s->opaque, &val, 1);
			/* Sent at once, so the holding register is empty again. */
			s->thr_interrupt = true;
		}
		break;
	case REG_IER:
		if (dlab) {
			s->dlm = val;
		} else {
			/* Enabling THRI while the THR is empty raises it, as on hardware. */
			if (!(s->ier & IER_THRI) && (val & IER_THRI))
				s->thr_interrupt = true;
			s->ier = val & IER_MASK;
		}
		break;
	case REG_IIR_FCR:
		s->fcr = val & 0xc9;
		if (val & FCR_CLEAR_RX)
			s->rx_head = s->rx_count = 0;
		break;
	case REG_LCR:
		s->lcr = val;
		break;
	case REG_MCR:
		s->mcr = val & MCR_MASK;
		break;
	case REG_SCR:
		s->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t read_reg(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case REG_RBR_THR:
		return dlab ? s->dll : rx_pop(s);
	case REG_IER:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		iir = compute_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if ((iir & 0x0f) == IIR_THRI)
			s->thr_interrupt = false;
		return iir;
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case REG_MSR:
		return modem_status(s);
	case REG_SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	/* The UART's registers are bytes; wider accesses touch the first one only. */
	if (offset >= SERIAL_NR_REGS)
		return;
	pthread_mutex_lock(&s->lock);
	if (is_write)
		write_reg(s, (unsigned)offset, data[0]);
	else
		data[0] = read_reg(s, (unsigned)offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	(void)len;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* While the guest loops data back to itself, host input waits. */
	if (!(s->mcr & MCR_LOOP)) {
		for (; n < len && s->rx_count < SERIAL_RX_BUF; n++)
			rx_push(s, buf[n]);
		update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}
