/* SPDX-License-Identifier: MIT */
/* A virtual CPU: its KVM fd, shared kvm_run page and its thread. */
#ifndef XKVM_CORE_VCPU_H
#define XKVM_CORE_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define VCPU_MAX_PENDING_ATTRS 8

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
	 * Xen attributes other threads set on this vCPU.  KVM serialises vCPU
	 * ioctls with KVM_RUN, so another thread's ioctl would wait until this
	 * vCPU exits, which a vCPU waiting for its SIPI never does.  They are
	 * queued, the vCPU is kicked, and its own thread applies them.
	 */
	pthread_mutex_t attr_lock;
	unsigned nr_pending_attrs;
	struct kvm_xen_vcpu_attr pending_attrs[VCPU_MAX_PENDING_ATTRS];
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
 * KVM_XEN_VCPU_SET_ATTR from any thread: applied at once on the vCPU's own
 * thread or before it starts, else queued for it.  Returns 0 or -errno
 * (a queued attribute that KVM later refuses is logged).
 */
int vcpu_set_xen_attr(struct vcpu *vcpu, const struct kvm_xen_vcpu_attr *attr);

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
