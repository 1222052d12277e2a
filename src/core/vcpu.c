/* SPDX-License-Identifier: MIT */
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* The signal that kicks a vCPU thread out of KVM_RUN.  Its handler does nothing. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

static void install_kick_handler(void)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_create(struct vm *vm, unsigned index)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;

	pthread_once(&once, install_kick_handler);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0) {
		int err = errno;

		pr_err("KVM_CREATE_VCPU %u: %s", index, strerror(err));
		free(vcpu);
		return -err;
	}
	run =
	    mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		int err = errno;

		pr_err("mmap kvm_run of vCPU %u: %s", index, strerror(err));
		close(vcpu->fd);
		free(vcpu);
		return -err;
	}
	vcpu->run = run;
	vm->vcpus[index] = vcpu;
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	vcpu_join(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->vm->vcpu_mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->vm->vcpus[vcpu->index] = NULL;
	free(vcpu);
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep ins/outs) arrives as count consecutive elements. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (!io_bus_access(&vcpu->vm->pio, run->io.port, data, run->io.size, is_write))
			pr_debug("unclaimed port %s 0x%x size %u", is_write ? "write" : "read",
				 run->io.port, run->io.size);
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len =
	    run->mmio.len > sizeof(run->mmio.data) ? sizeof(run->mmio.data) : run->mmio.len;

	if (!io_bus_access(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
			   run->mmio.is_write))
		pr_debug("unclaimed MMIO %s 0x%llx len %u", run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, len);
}

static void report_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char extra[160] = "";
	size_t used = 0;

	for (uint32_t i = 0; i < run->internal.ndata && i < 16 && used < sizeof(extra) - 20; i++)
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, " %llx",
					 (unsigned long long)run->internal.data[i]);
	vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: KVM internal error, suberror %u%s%s",
			vcpu->index, run->internal.suberror, used ? ", data" : "", extra);
}

bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: the guest has no way left to handle its own error. */
		vm_request_stop(vcpu->vm, VM_STOP_CRASH, "vCPU %u: triple fault", vcpu->index);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_request_stop(vcpu->vm, VM_STOP_ERROR,
				"vCPU %u: VM entry failed, hardware reason 0x%llx", vcpu->index,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_stop(vcpu->vm, VM_STOP_REBOOT, "vCPU %u: reset", vcpu->index);
		else if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			vm_request_stop(vcpu->vm, VM_STOP_CRASH, "vCPU %u: crash", vcpu->index);
		else
			vm_request_stop(vcpu->vm, VM_STOP_POWEROFF, "vCPU %u: system event %u",
					vcpu->index, run->system_event.type);
		return false;
	default:
		vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: unexpected KVM exit reason %u",
				vcpu->index, run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t unblock;

	sigemptyset(&unblock);
	sigaddset(&unblock, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	while (vm_stop_reason(vcpu->vm) == VM_RUNNING) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: KVM_RUN: %s",
					vcpu->index, strerror(errno));
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (r) {
		pr_err("cannot start vCPU %u thread: %s", vcpu->index, strerror(r));
		return -r;
	}
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN is entered. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELAXED);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}
