/* SPDX-License-Identifier: MIT */
#include "devices/pvpanic.h"
#include "core/vm.h"
#include "lib/log.h"

void pvpanic_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pvpanic *p = opaque;

	(void)offset;
	(void)len;
	if (!is_write) {
		/* The events this device understands. */
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
		return;
	}
	if (data[0] & PVPANIC_PANICKED)
		vm_request_stop(p->vm, VM_STOP_CRASH, "guest kernel panic (pvpanic)");
	else if (data[0] & PVPANIC_CRASH_LOADED)
		pr_info("guest kernel crashed into its crash kernel (pvpanic)");
}
