/* SPDX-License-Identifier: MIT */
/*
 * The VM object of the API (field names as Xen Orchestra's, see
 * docs/toolstack.md).
 */
#ifndef XKVM_DAEMON_VM_OBJECT_H
#define XKVM_DAEMON_VM_OBJECT_H

#include "daemon/store.h"
#include "toolstack/config.h"
#include "toolstack/vm_mode.h"

#include <jansson.h>
#include <stdbool.h>

/* What the supervisor knows of a running VMM (from its control socket). */
struct vm_live {
	enum power_state state;
	bool pv_drivers;
	char pv_driver_version[48]; /* "" while the guest's drivers said nothing */
	unsigned vcpus;		    /* 0: not reported */
	uint64_t memory_mib;	    /* 0: not reported */
	double cpu_seconds;	    /* the VMM's CPU time so far */
};

/*
 * The VM object.  cfg is the parsed config (NULL when it cannot be parsed
 * any more: config fields are then null); live is NULL for a halted VM.
 * Returns a new object or NULL when out of memory.
 */
json_t *vm_object_build(const struct vm_row *row, const struct domain_config *cfg,
			const struct vm_live *live);

#endif
