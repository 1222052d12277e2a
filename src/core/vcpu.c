/* SPDX-License-Identifier: MIT */
#include "core/vcpu.h"
#include "core/sandbox.h"
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
	pthread_mutex_init(&vcpu->attr_lock, NULL);
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
	pthread_mutex_destroy(&vcpu->attr_lock);
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
		/* Exits of a personality (KVM_EXIT_XEN) go to the one attached, if any. */
		if (vcpu->vm->personality && vcpu->vm->personality->handle_exit)
			return vcpu->vm->personality->handle_exit(vcpu->vm->personality_opaque,
								  vcpu);
		vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: unexpected KVM exit reason %u",
				vcpu->index, run->exit_reason);
		return false;
	}
}

static bool on_own_thread(const struct vcpu *vcpu)
{
	return !__atomic_load_n(&vcpu->started, __ATOMIC_ACQUIRE) ||
	       pthread_equal(pthread_self(), vcpu->thread);
}

int vcpu_ioctl_deferred(struct vcpu *vcpu, unsigned long req, const void *arg, size_t size)
{
	int r = 0;

	if (size > VCPU_IOCTL_ARG_MAX)
		return -EINVAL;
	if (on_own_thread(vcpu))
		return ioctl(vcpu->fd, req, arg) < 0 ? -errno : 0;
	pthread_mutex_lock(&vcpu->attr_lock);
	if (vcpu->nr_pending < VCPU_MAX_PENDING_IOCTLS) {
		struct vcpu_pending_ioctl *p = &vcpu->pending[vcpu->nr_pending++];

		p->req = req;
		memcpy(p->arg, arg, size);
	} else {
		r = -EBUSY;
	}
	pthread_mutex_unlock(&vcpu->attr_lock);
	if (!r)
		vcpu_kick(vcpu);
	return r;
}

static void apply_pending_ioctls(struct vcpu *vcpu)
{
	struct vcpu_pending_ioctl ops[VCPU_MAX_PENDING_IOCTLS];
	unsigned n;

	pthread_mutex_lock(&vcpu->attr_lock);
	n = vcpu->nr_pending;
	memcpy(ops, vcpu->pending, n * sizeof(ops[0]));
	vcpu->nr_pending = 0;
	pthread_mutex_unlock(&vcpu->attr_lock);
	for (unsigned i = 0; i < n; i++)
		if (ioctl(vcpu->fd, ops[i].req, ops[i].arg) < 0)
			pr_warn("vCPU %u: KVM refused queued ioctl 0x%lx: %s", vcpu->index,
				ops[i].req, strerror(errno));
}

void vcpu_start_at(struct vcpu *vcpu, const struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	pthread_mutex_lock(&vcpu->attr_lock);
	vcpu->start_regs = *regs;
	vcpu->start_sregs = *sregs;
	__atomic_store_n(&vcpu->start_pending, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vcpu->attr_lock);
	if (!on_own_thread(vcpu))
		vcpu_kick(vcpu);
}

static void load_start_state(struct vcpu *vcpu)
{
	struct kvm_mp_state runnable = {.mp_state = KVM_MP_STATE_RUNNABLE};
	struct kvm_sregs sregs, want;
	struct kvm_regs regs;

	pthread_mutex_lock(&vcpu->attr_lock);
	regs = vcpu->start_regs;
	want = vcpu->start_sregs;
	vcpu->start_pending = false;
	pthread_mutex_unlock(&vcpu->attr_lock);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	sregs.cs = want.cs;
	sregs.ds = want.ds;
	sregs.es = want.es;
	sregs.ss = want.ss;
	sregs.tr = want.tr;
	sregs.cr0 = want.cr0;
	sregs.cr3 = want.cr3;
	sregs.cr4 = want.cr4;
	sregs.efer = want.efer;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_MP_STATE, &runnable) < 0)
		goto fail;
	return;
fail:
	vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: cannot load its start state: %s",
			vcpu->index, strerror(errno));
}

void vcpu_set_parked(struct vcpu *vcpu, bool parked)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->stop_lock);
	vcpu->parked = parked;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	if (parked && !on_own_thread(vcpu))
		vcpu_kick(vcpu);
}

static void wait_while_parked(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->stop_lock);
	while (vcpu->parked && vm->stop_reason == VM_RUNNING)
		pthread_cond_wait(&vm->pause_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t unblock;

	sandbox_confine_thread(SANDBOX_VCPU);
	sigemptyset(&unblock);
	sigaddset(&unblock, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	while (vm_stop_reason(vcpu->vm) == VM_RUNNING) {
		if (__atomic_load_n(&vcpu->nr_pending, __ATOMIC_ACQUIRE))
			apply_pending_ioctls(vcpu);
		if (__atomic_load_n(&vcpu->start_pending, __ATOMIC_ACQUIRE))
			load_start_state(vcpu);
		if (__atomic_load_n(&vcpu->vm->paused, __ATOMIC_RELAXED))
			vm_wait_while_paused(vcpu->vm);
		if (__atomic_load_n(&vcpu->parked, __ATOMIC_RELAXED))
			wait_while_parked(vcpu);
		if (vm_stop_reason(vcpu->vm) != VM_RUNNING)
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			__atomic_add_fetch(&vcpu->runs, 1, __ATOMIC_RELAXED);
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: KVM_RUN: %s",
					vcpu->index, strerror(errno));
			break;
		}
		__atomic_add_fetch(&vcpu->runs, 1, __ATOMIC_RELAXED);
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int r;

	/* Marked first: from now on other threads queue attributes instead of blocking. */
	__atomic_store_n(&vcpu->started, true, __ATOMIC_RELEASE);
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r) {
		vcpu->started = false;
		pr_err("cannot start vCPU %u thread: %s", vcpu->index, strerror(r));
		return -r;
	}
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
