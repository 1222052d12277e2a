/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for /dev/kvm in the fuzz targets: ioctl() is replaced in the
 * fuzz binary (the executable's definition wins over libc's and the
 * sanitizers' weak interceptor).  On the fake fds every KVM call succeeds
 * except KVM_TRANSLATE, which walks a tiny page table the input supplies;
 * any other fd goes to the real system call.
 */
#ifndef XKVM_TESTS_FUZZ_FAKE_KVM_H
#define XKVM_TESTS_FUZZ_FAKE_KVM_H

#include <stdint.h>

/* Never a real descriptor. */
#define FAKE_VM_FD   (-100)
#define FAKE_VCPU_FD (-101)

/*
 * The guest's virtual memory: 64 pages at gva 0 and again at the kernel's
 * 0xffffffff80000000.  Page v is present when bit v of `present` is set,
 * writable when bit v of `writable` is too, and maps to gfn (v ^ gfn_xor).
 */
struct fake_mmu {
	uint64_t present;
	uint64_t writable;
	uint8_t gfn_xor;
};

#define FAKE_MMU_PAGES	     64
#define FAKE_MMU_KERNEL_BASE 0xffffffff80000000ULL

/* The page table KVM_TRANSLATE uses from now on (NULL: nothing is mapped). */
void fake_kvm_set_mmu(const struct fake_mmu *mmu);

#endif
