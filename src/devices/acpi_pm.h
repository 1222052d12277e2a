/* SPDX-License-Identifier: MIT */
/*
 * ACPI fixed hardware: the PM1a event and control blocks (sleep to S5 is
 * a power-off) and the FADT reset register (a reboot).
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
/* Ports ACPI_PM1A_EVT_PORT .. +6 (event block, control block). */
void acpi_pm1_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Port ACPI_RESET_PORT. */
void acpi_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
