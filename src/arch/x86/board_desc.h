/* SPDX-License-Identifier: MIT */
/*
 * A board's device table: every fixed (non-PCI) device of an x86 board
 * with its I/O ports or MMIO range, its interrupt line and how ACPI names
 * it.  It is the one place a port or IRQ number is written: the board
 * places devices on the buses from it, routes their interrupts from it, and
 * acpi.c generates the FADT, MADT and DSDT from it.  The tables are const
 * data (board_pvh.c, board_pc.c); a VM never changes them.
 */
#ifndef XKVM_ARCH_X86_BOARD_DESC_H
#define XKVM_ARCH_X86_BOARD_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a table entry is: the board binds each kind to its device model. */
enum board_dev_kind {
	BOARD_DEV_SERIAL,	/* 16550 UART */
	BOARD_DEV_RTC,		/* MC146818 CMOS RTC */
	BOARD_DEV_PVPANIC,	/* QEMU's pvpanic port */
	BOARD_DEV_ACPI_PM1,	/* PM1a event (4 bytes) + control (2 bytes) blocks; irq: the SCI */
	BOARD_DEV_ACPI_TIMER,	/* ACPI PM timer, 4 bytes */
	BOARD_DEV_ACPI_RESET,	/* FADT reset register, 1 byte */
	BOARD_DEV_I8042,	/* keyboard controller: data port, command/status port */
	BOARD_DEV_I8042_AUX,	/* its mouse (AUX) interrupt */
	BOARD_DEV_PORT92,	/* System Control Port A (A20, fast reset) */
	BOARD_DEV_ELCR,		/* PIIX3 edge/level control registers */
	BOARD_DEV_FW_CFG,	/* QEMU firmware configuration: selector, data */
	BOARD_DEV_FW_CFG_DMA,	/* its DMA address register */
	BOARD_DEV_PCI_CONFIG,	/* configuration mechanism #1: 0xCF8 address, 0xCFC data */
	BOARD_DEV_IDE,		/* a legacy ATA channel: command block, control block */
	BOARD_DEV_DEBUGCON,	/* QEMU's debug console (SeaBIOS's log) */
	BOARD_DEV_XEN_PLATFORM, /* Xen's platform device's fixed unplug ports */
};

enum board_space { BOARD_IO, BOARD_MMIO };

#define BOARD_NO_IRQ	  (-1)
#define BOARD_MAX_RANGES  2
#define BOARD_NR_PIRQS	  4 /* PIRQA-D of a PIIX3 */
#define BOARD_NR_PCI_SLOT 32

struct board_range {
	uint64_t base;
	uint32_t len; /* 0: unused */
};

struct board_device {
	const char *name; /* bus label; also the ACPI device name (1-4 chars) */
	enum board_dev_kind kind;
	enum board_space space;
	struct board_range ranges[BOARD_MAX_RANGES];
	int irq; /* ISA IRQ (== GSI unless the board overrides it), or BOARD_NO_IRQ */
	/*
	 * ACPI _HID: "PNPxxxx" is encoded as an EISA id, anything else as a
	 * string.  NULL: the DSDT does not list the device (fixed hardware
	 * the FADT describes, or hardware the OS finds by itself).
	 */
	const char *hid;
	unsigned uid;
	unsigned instance; /* 0, 1...: which of several devices of one kind */
	/*
	 * Decoded inside another entry's range by that entry's device (the
	 * PIIX3's 0xCF9 reset register sits in 0xCF8-0xCFF): described here
	 * for ACPI, never placed on a bus by itself.
	 */
	bool nested;
};

struct board_desc {
	const char *name;
	const struct board_device *devices;
	size_t nr_devices;
	/* GSI the ISA timer (IRQ 0) arrives on; 0: identity (KVM's default routing). */
	unsigned timer_gsi;
	/*
	 * A PCI host bridge (PNP0A03) on bus 0 with its ISA bridge at this
	 * devfn, and the ISA IRQ each PIRQ line is routed to (PIRQA-D).
	 * Slot s, pin p (INTA = 1) raises PIRQ (s + p - 2) mod 4: the PIIX3
	 * swizzle SeaBIOS assumes.  has_pci false: no PCI at all.
	 */
	bool has_pci;
	uint8_t isa_bridge_devfn;
	uint8_t pirq_irqs[BOARD_NR_PIRQS];
	/* Where the machine's add-on PCI devices (NICs) start, one slot each. */
	uint8_t first_free_pci_slot;
};

/* The boards (board_pvh.c, board_pc.c). */
extern const struct board_desc board_pvh;
extern const struct board_desc board_pc;

/* The instance'th device of a kind, or NULL. */
const struct board_device *board_find(const struct board_desc *b, enum board_dev_kind kind,
				      unsigned instance);
/* The ISA IRQ a PCI slot's pin (1 = INTA .. 4 = INTD) raises; -1 for a bad pin or slot. */
int board_pci_irq(const struct board_desc *b, unsigned slot, unsigned pin);
/*
 * Check a table: names fit ACPI, ranges are non-empty, inside their space
 * and disjoint, IRQs are ISA IRQs.  0 or -EINVAL (why names the culprit).
 */
int board_desc_check(const struct board_desc *b, const char **why);

#endif
