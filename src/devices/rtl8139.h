/* SPDX-License-Identifier: MIT */
/*
 * RTL8139 Fast Ethernet NIC (PCI 10ec:8139), xl's default emulated vif
 * model, on a host TAP like netback.  Modelled as the RTL8139C that
 * Linux's 8139too drives: the ring-buffer receiver and four transmit
 * descriptors, not the C+ descriptor mode (the PCI revision is below
 * 0x20, so 8139too takes the device and 8139cp leaves it alone).  The
 * registers answer in I/O BAR0 and memory BAR1 alike.
 *
 * Transmit runs on the vCPU thread that writes a TSD register; receive on
 * a thread of the device's own that polls the TAP.  Both move frames with
 * guest_read/guest_write under the device lock, so a guest that points
 * the NIC anywhere gets an error status (TxAborted, PCI system error)
 * rather than our memory.
 *
 * Not modelled: the general-purpose timer's interrupt (TimerInt; TCTR
 * counts, 8139too uses neither), loopback, early receive/transmit
 * thresholds, wake-on-LAN and C+ mode.  The link is always up at 100 Mb/s full
 * duplex.
 */
#ifndef XKVM_DEVICES_RTL8139_H
#define XKVM_DEVICES_RTL8139_H

#include "devices/pci.h"

#include <stddef.h>
#include <stdint.h>

struct guest_memory;
struct rtl8139;

#define RTL8139_VENDOR_ID 0x10ec
#define RTL8139_DEVICE_ID 0x8139
#define RTL8139_REVISION  0x10 /* < 0x20: 8139too, not 8139cp */
#define RTL8139_REGS_SIZE 256  /* BAR0 (I/O) and BAR1 (memory) */

/* The largest frame the transmitter takes (TSD SIZE), as the datasheet says. */
#define RTL8139_TX_MAX 1792
/* The longest frame delivered to the guest, without the CRC: VLAN-tagged 1500-byte MTU. */
#define RTL8139_RX_MAX 1518

struct rtl8139_spec {
	uint8_t mac[6];
	/*
	 * A non-blocking fd carrying one Ethernet frame per read/write (a TAP,
	 * or a datagram socket in tests), which the device then owns, and
	 * `ifname` only names it in messages; or -1 to open the TAP `ifname`
	 * on `bridge` (NULL: none) with tap_open.
	 */
	int fd;
	const char *ifname;
	const char *bridge;
};

/*
 * Create the device in its reset state.  The machine places
 * rtl8139_pci(nic) on its bus, then calls rtl8139_start.  NULL after
 * logging why.
 */
struct rtl8139 *rtl8139_create(const struct guest_memory *mem, const struct rtl8139_spec *spec);
/*
 * Stop the receive thread and free everything, the TAP included, once the
 * bus holding rtl8139_pci(nic) is gone.  NULL is fine.
 */
void rtl8139_destroy(struct rtl8139 *nic);

struct pci_function *rtl8139_pci(struct rtl8139 *nic);
/* The TAP's name (for a caller's fd: spec->ifname, or "fd"). */
const char *rtl8139_ifname(const struct rtl8139 *nic);
/* The TAP (or caller's) fd the NIC sends and receives on. */
int rtl8139_fd(const struct rtl8139 *nic);

/* Start or stop the receive thread (both idempotent).  0 or -errno. */
int rtl8139_start(struct rtl8139 *nic);
void rtl8139_stop(struct rtl8139 *nic);

/* Power-on/PCI reset of the registers (a machine reset); the EEPROM keeps the MAC. */
void rtl8139_reset(struct rtl8139 *nic);

/* The register file, as BAR0 and BAR1 reach it (offset 0-255). */
void rtl8139_regs_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/*
 * Deliver one frame from the wire to the guest's receive ring, as the
 * receive thread does: filtered per RCR, dropped (RxOverflow, MPC) when
 * the ring has no room.  Returns true when the guest must free ring space
 * before more frames can land.  Exposed for tests and fuzzing.
 */
bool rtl8139_receive(struct rtl8139 *nic, const uint8_t *frame, size_t len);

#endif
