/* SPDX-License-Identifier: MIT */
#include "fake_kvm.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kvm.h>

/*
 * ioctl() has no context argument, so the table the current input set up
 * is found here.  The fuzz targets run one input at a time.
 */
static const struct fake_mmu *current_mmu;

void fake_kvm_set_mmu(const struct fake_mmu *mmu)
{
	current_mmu = mmu;
}

static int translate(struct kvm_translation *tr)
{
	const struct fake_mmu *m = current_mmu;
	uint64_t gva = tr->linear_address, page;

	if (gva >= FAKE_MMU_KERNEL_BASE)
		gva -= FAKE_MMU_KERNEL_BASE;
	page = gva >> 12;
	tr->valid = 0;
	tr->writeable = 0;
	if (!m || page >= FAKE_MMU_PAGES || !(m->present >> page & 1))
		return 0; /* KVM answers "not valid" rather than failing */
	tr->valid = 1;
	tr->writeable = (m->writable >> page & 1) != 0;
	tr->physical_address = ((page ^ m->gfn_xor) << 12) | (gva & 0xfff);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_VM_FD && fd != FAKE_VCPU_FD)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	if (req == KVM_TRANSLATE)
		return fd == FAKE_VCPU_FD ? translate(arg) : (errno = ENOTTY, -1);
	return 0;
}
