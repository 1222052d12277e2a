/* SPDX-License-Identifier: MIT */
#include "arch/x86/board.h"
#include "core/vm.h"
#include "devices/xen_console.h"
#include "lib/log.h"

#include <errno.h>
#include <string.h>

static void com1_set_irq(void *opaque, bool level)
{
	struct board *b = opaque;

	vm_set_irq_line(b->vm, b->com1_irq, level);
}

void board_console_write(void *board, const uint8_t *buf, size_t len)
{
	struct board *b = board;

	console_write(&b->console, buf, len);
}

size_t board_console_offer(void *board, const uint8_t *buf, size_t len)
{
	struct board *b = board;

	return console_offer(&b->console, buf, len);
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

/*
 * The device model serving a table entry, and the interrupt line it gets.
 * -ENODEV for a kind this board has no model for.
 */
static int bind_device(struct board *b, const struct board_device *d, io_handler_fn *fn,
		       void **opaque)
{
	switch (d->kind) {
	case BOARD_DEV_SERIAL:
		if (d->instance || d->irq == BOARD_NO_IRQ)
			return -ENODEV;
		b->com1_irq = (unsigned)d->irq;
		*fn = serial_io;
		*opaque = &b->com1;
		return 0;
	case BOARD_DEV_RTC:
		*fn = rtc_io;
		*opaque = &b->rtc;
		return 0;
	case BOARD_DEV_PVPANIC:
		*fn = pvpanic_io;
		*opaque = &b->pvpanic;
		return 0;
	case BOARD_DEV_ACPI_PM1:
		*fn = acpi_pm1_io;
		*opaque = &b->acpi_pm;
		return 0;
	case BOARD_DEV_ACPI_RESET:
		*fn = acpi_reset_io;
		*opaque = &b->acpi_pm;
		return 0;
	default:
		return -ENODEV;
	}
}

/* Every entry of the table on the I/O bus, at the table's ports. */
static int place_devices(struct board *b)
{
	const struct board_desc *desc = b->desc;

	for (size_t i = 0; i < desc->nr_devices; i++) {
		const struct board_device *d = &desc->devices[i];
		io_handler_fn fn = NULL;
		void *opaque = NULL;

		if (d->space != BOARD_IO || d->nested || bind_device(b, d, &fn, &opaque)) {
			pr_err("board '%s': no model for device '%s'", desc->name, d->name);
			return -ENODEV;
		}
		for (unsigned j = 0; j < BOARD_MAX_RANGES; j++) {
			const struct board_range *r = &d->ranges[j];

			if (r->len &&
			    io_bus_register(&b->vm->pio, r->base, r->len, fn, opaque, d->name)) {
				pr_err("board '%s': device '%s' overlaps another", desc->name,
				       d->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int board_init(struct board *b, struct vm *vm, const struct board_desc *desc, int in_fd, int out_fd)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->vm = vm;
	b->desc = desc;
	r = console_init(&b->console, vm, in_fd, out_fd);
	if (r)
		return r;
	b->console_ready = true;
	serial_init(&b->com1, &com1_ops, b);
	rtc_init(&b->rtc, host_time);
	rtc_set_memory_size(&b->rtc, guest_low_ram_end(&vm->mem), guest_high_ram_size(&vm->mem));
	b->pvpanic.vm = vm;
	acpi_pm_init(&b->acpi_pm, vm);
	return place_devices(b);
}

int board_start(struct board *b)
{
	return console_start(&b->console, console_to_guest, b);
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
