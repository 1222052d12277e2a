/* SPDX-License-Identifier: MIT */
/* A virtual CPU: its KVM fd, shared kvm_run page and its thread. */
#ifndef XKVM_CORE_VCPU_H
#define XKVM_CORE_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* Create vCPU index and store it in vm->vcpus[index].  Returns 0 or -errno. */
int vcpu_create(struct vm *vm, unsigned index);
void vcpu_destroy(struct vcpu *vcpu);
/* Start the vCPU thread running KVM_RUN until the VM is asked to stop. */
int vcpu_start(struct vcpu *vcpu);
/* Make a running vCPU return from KVM_RUN promptly. */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/* Handle one exit.  Returns false when the vCPU must stop. (Exposed for tests.) */
bool vcpu_handle_exit(struct vcpu *vcpu);

#endif
