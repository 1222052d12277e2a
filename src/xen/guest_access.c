/* SPDX-License-Identifier: MIT */
#include "xen/guest_access.h"
#include "core/memory.h"
#include "core/vcpu.h"
#include "core/vm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define PAGE_SIZE 4096ULL

static int translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa, int *writeable)
{
	struct kvm_translation tr = {.linear_address = gva};

	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return -EFAULT;
	*gpa = tr.physical_address;
	*writeable = tr.writeable;
	return 0;
}

int guest_virt_to_phys(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	int writeable;

	return translate(vcpu, gva, gpa, &writeable);
}

/* Visit [gva, gva+len) one page-bounded chunk at a time with its host address. */
static int for_each_chunk(struct vcpu *vcpu, uint64_t gva, size_t len, bool write, void *buf)
{
	uint8_t *p = buf;

	if (gva + len < gva)
		return -EFAULT;
	while (len) {
		size_t chunk = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
		uint64_t gpa;
		int writeable;
		void *hva;

		if (chunk > len)
			chunk = len;
		if (translate(vcpu, gva, &gpa, &writeable) || (write && !writeable))
			return -EFAULT;
		hva = gpa_to_hva(&vcpu->vm->mem, gpa, chunk);
		if (!hva)
			return -EFAULT;
		if (write)
			memcpy(hva, p, chunk);
		else
			memcpy(p, hva, chunk);
		p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_virt_read(struct vcpu *vcpu, uint64_t gva, void *dst, size_t len)
{
	return for_each_chunk(vcpu, gva, len, false, dst);
}

int guest_virt_write(struct vcpu *vcpu, uint64_t gva, const void *src, size_t len)
{
	/* for_each_chunk only reads from buf when writing to the guest. */
	return for_each_chunk(vcpu, gva, len, true, (void *)src);
}
