/* SPDX-License-Identifier: MIT */
/* A virtual CPU: its KVM fd, shared kvm_run page and its thread. */
#ifndef XKVM_CORE_VCPU_H
#define XKVM_CORE_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define VCPU_MAX_PENDING_IOCTLS 8
/* Big enough for every vCPU ioctl argument queued here (kvm_xen_vcpu_attr: 72 bytes). */
#define VCPU_IOCTL_ARG_MAX 128

/* A vCPU ioctl another thread asked for, run later by the vCPU's own thread. */
struct vcpu_pending_ioctl {
	unsigned long req;
	_Alignas(8) uint8_t arg[VCPU_IOCTL_ARG_MAX];
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	/* Returns from KVM_RUN: tells a watcher that the vCPU left KVM since it last looked. */
	uint64_t runs;

	/*
	 * ioctls other threads make on this vCPU (a personality's vCPU
	 * attributes).  KVM serialises vCPU ioctls with KVM_RUN, so another
	 * thread's ioctl would wait until this vCPU exits, which a vCPU waiting
	 * for its SIPI never does.  They are queued, the vCPU is kicked, and its
	 * own thread runs them.  attr_lock also guards the start state below.
	 */
	pthread_mutex_t attr_lock;
	unsigned nr_pending;
	struct vcpu_pending_ioctl pending[VCPU_MAX_PENDING_IOCTLS];
	/* Registers to load and run from, queued the same way (vcpu_start_at). */
	bool start_pending;
	struct kvm_regs start_regs;
	struct kvm_sregs start_sregs;
	/* Kept out of KVM_RUN (Xen's VCPUOP_down); guarded by vm->stop_lock. */
	bool parked;
};

/* Create vCPU index and store it in vm->vcpus[index].  Returns 0 or -errno. */
int vcpu_create(struct vm *vm, unsigned index);
void vcpu_destroy(struct vcpu *vcpu);
/* Start the vCPU thread running KVM_RUN until the VM is asked to stop. */
int vcpu_start(struct vcpu *vcpu);
/* Make a running vCPU return from KVM_RUN promptly. */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/*
 * A vCPU ioctl that only sets state (arg is read, not written back), from
 * any thread: made at once on the vCPU's own thread or before it starts,
 * else queued for it.  Returns 0 or -errno (-EBUSY when the queue is
 * full, -EINVAL when size exceeds VCPU_IOCTL_ARG_MAX; a queued ioctl that
 * KVM later refuses is logged).
 */
int vcpu_ioctl_deferred(struct vcpu *vcpu, unsigned long req, const void *arg, size_t size);

/*
 * Make the vCPU run from these registers (Xen's VCPUOP_up after
 * VCPUOP_initialise): its own thread loads regs and, from sregs, cs ds es
 * ss tr, cr0 cr3 cr4 and efer, then makes it runnable (an AP no longer
 * waits for its SIPI).
 */
void vcpu_start_at(struct vcpu *vcpu, const struct kvm_regs *regs, const struct kvm_sregs *sregs);
/*
 * Keep the vCPU out of KVM_RUN, or let it run again (Xen's VCPUOP_down and
 * VCPUOP_up).  A parked vCPU still stops with the VM.
 */
void vcpu_set_parked(struct vcpu *vcpu, bool parked);

/* Handle one exit.  Returns false when the vCPU must stop. (Exposed for tests.) */
bool vcpu_handle_exit(struct vcpu *vcpu);

#endif
