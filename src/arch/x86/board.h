/* SPDX-License-Identifier: MIT */
/*
 * The x86 board of a PVH VM at run time: the device models of its table
 * (board_desc.h), placed at the table's ports and wired to the table's
 * interrupt lines.  Device models know nothing of their placement.
 */
#ifndef XKVM_ARCH_X86_BOARD_H
#define XKVM_ARCH_X86_BOARD_H

#include "arch/x86/board_desc.h"
#include "devices/acpi_pm.h"
#include "devices/console.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "devices/serial.h"

struct vm;
struct xen_console;

struct board {
	struct vm *vm;
	const struct board_desc *desc;
	unsigned com1_irq;
	struct console console;
	struct serial com1;
	struct rtc rtc;
	struct pvpanic pvpanic;
	struct acpi_pm acpi_pm;
	bool console_ready;
	struct xen_console *xen_console; /* when set, terminal input goes to hvc0 */
};

/*
 * Create the devices of desc and place them; the console uses in_fd (-1:
 * none) and out_fd.  -ENODEV for a table entry this board has no model for.
 */
int board_init(struct board *b, struct vm *vm, const struct board_desc *desc, int in_fd,
	       int out_fd);
/*
 * Guest output to the terminal (board is a struct board *): COM1's and
 * console_io's, which wait a bounded time for room (console_write), and
 * the hvc0 ring's, which takes what fits now (console_offer).
 */
void board_console_write(void *board, const uint8_t *buf, size_t len);
size_t board_console_offer(void *board, const uint8_t *buf, size_t len);
/* Send terminal input to the guest's Xen console instead of COM1. */
void board_use_xen_console(struct board *b, struct xen_console *xc);
/* Start host-side I/O (console input) once the vCPUs are about to run. */
int board_start(struct board *b);
void board_destroy(struct board *b);

#endif
