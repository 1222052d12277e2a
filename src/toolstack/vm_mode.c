/* SPDX-License-Identifier: MIT */
#include "toolstack/vm_mode.h"
#include "lib/util.h"

#include <string.h>

struct mode_labels {
	const char *mode, *short_label, *long_label;
};

/* hvm with PV drivers is its own label (pvhvm), never a mode. */
static const struct mode_labels labels[] = {
    {"pv", "pv", "Paravirtualization (PV)"},
    {"hvm", "hvm", "Hardware virtualization (HVM)"},
    {"pv_in_pvh", "pv_in_pvh", "PV inside a PVH container (PV in PVH)"},
    {"pvh", "pvh", "pvh"},
};

static const char pvhvm_short[] = "pvhvm";
static const char pvhvm_long[] =
    "Hardware virtualization with paravirtualization drivers enabled (PVHVM)";

const char *vm_mode_for_type(enum guest_type type)
{
	switch (type) {
	case GUEST_HVM:
		return "hvm";
	case GUEST_PV:
		/* KVM has no PV MMU: a PV guest can only run inside a PVH shim. */
		return "pv_in_pvh";
	case GUEST_PVH:
		break;
	}
	return "pvh";
}

static const struct mode_labels *find_mode(const char *mode)
{
	for (size_t i = 0; mode && i < ARRAY_SIZE(labels); i++)
		if (strcmp(labels[i].mode, mode) == 0)
			return &labels[i];
	return NULL;
}

const char *vm_mode_short(const char *mode, bool pv_drivers)
{
	const struct mode_labels *m = find_mode(mode);

	if (m && pv_drivers && strcmp(mode, "hvm") == 0)
		return pvhvm_short;
	return m ? m->short_label : NULL;
}

const char *vm_mode_long(const char *mode, bool pv_drivers)
{
	const struct mode_labels *m = find_mode(mode);

	if (m && pv_drivers && strcmp(mode, "hvm") == 0)
		return pvhvm_long;
	return m ? m->long_label : NULL;
}
