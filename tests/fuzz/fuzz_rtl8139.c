/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the RTL8139: register accesses from the guest,
 * guest RAM contents and frames from the wire, interleaved.  The input is
 * a list of operations, each an opcode byte and its operands:
 *
 *   0  register write   offset, width (1/2/4/8 by the low 2 bits), 8 value bytes
 *   1  register read    offset, width
 *   2  frame from wire  u16 length (mod 2048), then that many bytes
 *   3  RAM write        u16 address, length byte, then that many bytes
 *   4  bus mastering    on when the operand is odd
 *   5  machine reset
 *
 * over 64 KiB of guest RAM, with the device started the way 8139too starts
 * it (ring at 0x8000, receiver and transmitter on, everything accepted).
 * A datagram socket pair stands in for the TAP; every frame the device
 * transmits must be 1 to 1792 bytes.  Everything is rebuilt per input.
 */
#include "core/memory.h"
#include "devices/rtl8139.h"
#include "lib/log.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE  65536
#define RING	  0x8000
#define FRAME_MAX 2048

struct fixture {
	struct guest_memory mem;
	struct rtl8139 *nic;
	int host;
	uint8_t frame[FRAME_MAX];
};

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static unsigned next(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* Copy n operand bytes (zero past the input's end). */
static void take(struct input *in, uint8_t *dst, size_t n)
{
	size_t have = in->size - in->pos < n ? in->size - in->pos : n;

	memcpy(dst, in->data + in->pos, have);
	memset(dst + have, 0, n - have);
	in->pos += have;
}

static void reg(struct fixture *f, unsigned off, uint32_t val, unsigned len)
{
	uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			(uint8_t)(val >> 24)};

	rtl8139_regs_io(f->nic, off, b, len, true);
}

static void start_like_8139too(struct fixture *f)
{
	struct pci_function *fn = rtl8139_pci(f->nic);

	fn->config[PCI_COMMAND] |= PCI_COMMAND_MASTER;
	reg(f, 0x37, 0x10, 1);	     /* reset */
	reg(f, 0x30, RING, 4);	     /* RBSTART */
	reg(f, 0x37, 0x0c, 1);	     /* RE | TE */
	reg(f, 0x44, 0x0000008f, 4); /* 8 KiB ring, WRAP, accept all */
	reg(f, 0x3c, 0xe07f, 2);     /* IMR */
}

static void drain_host(struct fixture *f)
{
	ssize_t n;

	while ((n = recv(f->host, f->frame, sizeof(f->frame), MSG_DONTWAIT)) >= 0)
		if (n < 1 || n > RTL8139_TX_MAX)
			abort();
}

static void op(struct fixture *f, struct input *in)
{
	unsigned code = next(in) % 6, off, len;
	uint8_t buf[8] = {0};

	switch (code) {
	case 0:
	case 1:
		off = next(in);
		len = 1u << (next(in) & 3);
		take(in, buf, code == 0 ? 8 : 0);
		rtl8139_regs_io(f->nic, off, buf, len, code == 0);
		break;
	case 2:
		len = next(in);
		len = (len | next(in) << 8) % FRAME_MAX;
		take(in, f->frame, len);
		rtl8139_receive(f->nic, f->frame, len);
		break;
	case 3: {
		uint64_t gpa = next(in);

		gpa |= (uint64_t)next(in) << 8;
		len = next(in);
		take(in, f->frame, len);
		guest_write(&f->mem, gpa, f->frame, len); /* may run off RAM: refused */
		break;
	}
	case 4:
		if (next(in) & 1)
			rtl8139_pci(f->nic)->config[PCI_COMMAND] |= PCI_COMMAND_MASTER;
		else
			rtl8139_pci(f->nic)->config[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MASTER;
		break;
	default:
		rtl8139_reset(f->nic);
		break;
	}
	drain_host(f);
	/* The write pointer moves in whole dwords from 0, whatever the guest did. */
	rtl8139_regs_io(f->nic, 0x3a, buf, 2, false);
	if (buf[0] & 3)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct input in = {.data = data, .size = size, .pos = 0};
	struct rtl8139_spec spec = {
	    .mac = {0x00, 0x16, 0x3e, 0x01, 0x02, 0x03}, .fd = -1, .ifname = NULL, .bridge = NULL};
	int sv[2];

	log_set_level(LOG_ERROR);
	if (!f || guest_memory_map(&f->mem, RAM_SIZE) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	spec.fd = sv[0];
	f->host = sv[1];
	f->nic = rtl8139_create(&f->mem, &spec);
	if (!f->nic)
		abort();
	start_like_8139too(f);
	while (in.pos < in.size)
		op(f, &in);
	rtl8139_destroy(f->nic);
	close(f->host);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}
