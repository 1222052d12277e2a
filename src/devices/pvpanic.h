/* SPDX-License-Identifier: MIT */
/*
 * The pvpanic I/O port (ACPI id QEMU0001): a guest kernel writes here
 * when it panics, so a crash stops the VM instead of hanging it.
 */
#ifndef XKVM_DEVICES_PVPANIC_H
#define XKVM_DEVICES_PVPANIC_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define PVPANIC_PANICKED     (1U << 0)
#define PVPANIC_CRASH_LOADED (1U << 1)

struct pvpanic {
	struct vm *vm;
};

void pvpanic_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
