/* SPDX-License-Identifier: MIT */
/*
 * Where VMs run: on this machine's /dev/kvm ("native"), or inside the KVM
 * test host ("nested"), which xkvm uses wherever /dev/kvm cannot run a
 * stock guest (no VMX/SVM, or a software backend such as kvm-pvm).
 */
#ifndef XKVM_TOOLSTACK_ACCEL_H
#define XKVM_TOOLSTACK_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

enum accel_mode { ACCEL_AUTO, ACCEL_NATIVE, ACCEL_NESTED };

/* Parse "auto", "native" or "nested".  Returns 0 or -EINVAL. */
int accel_parse(const char *s, enum accel_mode *mode);
const char *accel_name(enum accel_mode mode);
/* Can this machine run stock guests on /dev/kvm?  If not, why is set. */
bool accel_native_usable(char *why, size_t len);
/* Turn AUTO into NATIVE or NESTED for this machine. */
enum accel_mode accel_resolve(enum accel_mode requested);

#endif
