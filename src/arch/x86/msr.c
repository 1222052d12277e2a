/* SPDX-License-Identifier: MIT */
#include "arch/x86/msr.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define MSR_IA32_MISC_ENABLE		 0x000001a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING (1ULL << 0)
#define MSR_IA32_CR_PAT			 0x00000277
/* The architectural power-on PAT: WB, WT, UC-, UC repeated. */
#define PAT_POWER_ON_VALUE 0x0007040600070406ULL

int msr_setup_vcpu(int vcpu_fd)
{
	static const struct kvm_msr_entry initial[] = {
	    {.index = MSR_IA32_MISC_ENABLE, .data = MSR_IA32_MISC_ENABLE_FAST_STRING},
	    {.index = MSR_IA32_CR_PAT, .data = PAT_POWER_ON_VALUE},
	};
	/* struct kvm_msrs ends in a flexible array: room for the entries follows it. */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(initial)];
	} msrs;
	int r;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = ARRAY_SIZE(initial);
	memcpy(msrs.bytes + sizeof(struct kvm_msrs), initial, sizeof(initial));
	r = ioctl(vcpu_fd, KVM_SET_MSRS, &msrs);
	if (r < 0) {
		pr_err("KVM_SET_MSRS: %s", strerror(errno));
		return -errno;
	}
	/* KVM stops at the first MSR it refuses; say which one. */
	if ((unsigned)r < ARRAY_SIZE(initial))
		pr_warn("KVM refused MSR 0x%x", initial[r].index);
	return 0;
}
