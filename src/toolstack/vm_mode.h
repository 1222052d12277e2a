/* SPDX-License-Identifier: MIT */
/*
 * The virtualization mode as Xen Orchestra stores and shows it
 * (docs/toolstack.md): one table for xkvmd's VM object and the CLI.
 */
#ifndef XKVM_TOOLSTACK_VM_MODE_H
#define XKVM_TOOLSTACK_VM_MODE_H

#include "toolstack/config.h"

#include <stdbool.h>

/* The virtualizationMode stored for a config's guest type. */
const char *vm_mode_for_type(enum guest_type type);
/* pv, hvm, pvhvm, pv_in_pvh, pvh; NULL for an unknown mode. */
const char *vm_mode_short(const char *mode, bool pv_drivers);
/* XO's wording; NULL for an unknown mode. */
const char *vm_mode_long(const char *mode, bool pv_drivers);

#endif
