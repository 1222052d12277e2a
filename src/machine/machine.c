/* SPDX-License-Identifier: MIT */
#include "machine/machine.h"

#include <stddef.h>

const struct machine_ops *machine_for_type(enum guest_type type)
{
	switch (type) {
	case GUEST_PVH:
		return &machine_xen_pvh_ops;
	case GUEST_PV:
		return &machine_xen_pv_ops;
	case GUEST_HVM:
		return &machine_hvm_ops;
	}
	return NULL;
}
