#!/bin/sh
# PVHVM guests: the HVM disk image booted with Xen's platform PCI device.
# The guest finds Xen, unplugs its emulated disk and NIC and runs on
# xen-blkfront and xen-netfront.  The cases live beside the HVM ones in
# hvm_test.sh (they share its machine set-up); this group runs them in a
# test host of their own.
HVM_GROUP=pvhvm_test
export HVM_GROUP
exec sh "$(dirname "$0")/hvm_test.sh"
