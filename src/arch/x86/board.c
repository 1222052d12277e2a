/* SPDX-License-Identifier: MIT */
#include "arch/x86/board.h"
#include "arch/x86/acpi.h"
#include "core/vm.h"
#include "devices/xen_console.h"
#include "lib/log.h"

#include <string.h>

static void com1_set_irq(void *opaque, bool level)
{
	struct board *b = opaque;

	vm_set_irq_line(b->vm, SERIAL_COM1_IRQ, level);
}

void board_console_write(void *board, const uint8_t *buf, size_t len)
{
	struct board *b = board;

	console_write(&b->console, buf, len);
}

static const struct serial_ops com1_ops = {
    .set_irq = com1_set_irq,
    .transmit = board_console_write,
};

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct board *b = opaque;

	if (b->xen_console)
		return xen_console_receive(b->xen_console, buf, len);
	return serial_receive(&b->com1, buf, len);
}

void board_use_xen_console(struct board *b, struct xen_console *xc)
{
	b->xen_console = xc;
}

static time_t host_time(void)
{
	return time(NULL);
}

static int place_devices(struct board *b)
{
	struct io_bus *pio = &b->vm->pio;
	int r = 0;

	r |= io_bus_register(pio, SERIAL_COM1_PORT, SERIAL_NR_REGS, serial_io, &b->com1, "com1");
	r |= io_bus_register(pio, RTC_PORT, RTC_NR_PORTS, rtc_io, &b->rtc, "rtc");
	r |= io_bus_register(pio, PVPANIC_PORT, 1, pvpanic_io, &b->pvpanic, "pvpanic");
	r |= io_bus_register(pio, ACPI_PM1A_EVT_PORT, 6, acpi_pm1_io, &b->acpi_pm, "acpi-pm1");
	r |= io_bus_register(pio, ACPI_RESET_PORT, 1, acpi_reset_io, &b->acpi_pm, "acpi-reset");
	if (r) {
		pr_err("placing the board's devices: overlapping or invalid ranges");
		return -1;
	}
	return 0;
}

int board_init(struct board *b, struct vm *vm, int in_fd, int out_fd)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->vm = vm;
	r = console_init(&b->console, vm, in_fd, out_fd);
	if (r)
		return r;
	b->console_ready = true;
	serial_init(&b->com1, &com1_ops, b);
	rtc_init(&b->rtc, host_time);
	rtc_set_memory_size(&b->rtc, vm->mem.regions[0].size,
			    vm->mem.nr_regions > 1 ? vm->mem.regions[1].size : 0);
	b->pvpanic.vm = vm;
	acpi_pm_init(&b->acpi_pm, vm);
	return place_devices(b);
}

int board_start(struct board *b)
{
	return console_start_input(&b->console, console_to_guest, b);
}

void board_destroy(struct board *b)
{
	if (!b->vm)
		return;
	if (b->console_ready)
		console_destroy(&b->console);
	serial_destroy(&b->com1);
	rtc_destroy(&b->rtc);
	acpi_pm_destroy(&b->acpi_pm);
	b->vm = NULL;
}
