/* SPDX-License-Identifier: MIT */
/*
 * ACPI fixed hardware: the PM1a event and control blocks (sleep to S5 is
 * a power-off), the FADT reset register (a reboot) and the PM timer.
 */
#ifndef XKVM_DEVICES_ACPI_PM_H
#define XKVM_DEVICES_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

struct acpi_pm {
	struct vm *vm;
	pthread_mutex_t lock;
	uint16_t pm1_status, pm1_enable, pm1_control;
};

void acpi_pm_init(struct acpi_pm *pm, struct vm *vm);
void acpi_pm_destroy(struct acpi_pm *pm);
/* The 6-byte PM1a window: event block (status, enable), then control block. */
void acpi_pm1_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* The 1-byte FADT reset register. */
void acpi_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/*
 * The 4-byte ACPI PM timer: a free-running 24-bit counter at 3.579545 MHz
 * from the host's monotonic clock (opaque unused).  Firmware (SeaBIOS
 * times its delays with it) and OS both rely on it counting.
 */
void acpi_pm_timer_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Its value ns nanoseconds after the clock's origin. */
uint32_t acpi_pm_timer_ticks(uint64_t ns);

#endif
