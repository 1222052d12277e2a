/* SPDX-License-Identifier: MIT */
#include "toolstack/domain.h"
#include "arch/x86/board.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/msr.h"
#include "arch/x86/pvh.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int setup_vcpu(struct vm *vm, unsigned index, const struct pvh_entry *entry)
{
	struct kvm_cpuid2 *cpuid;
	struct vcpu *vcpu;
	int r = vcpu_create(vm, index);

	if (r)
		return r;
	vcpu = vm->vcpus[index];
	cpuid = cpuid_for_vcpu(vm->supported_cpuid, index, vm->nr_vcpus,
			       kvm_check_cap(vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	if (!cpuid)
		return -ENOMEM;
	/* CPUID first: KVM refuses some register states until it is set. */
	r = cpuid_set(vcpu->fd, cpuid);
	free(cpuid);
	if (!r)
		r = msr_setup_vcpu(vcpu->fd);
	/* Only the boot vCPU starts at the PVH entry; the others wait for INIT/SIPI. */
	if (!r && index == 0)
		r = pvh_set_boot_regs(vcpu->fd, entry);
	return r;
}

static int build(struct vm *vm, struct board *board, const struct domain_config *cfg,
		 const struct domain_io *io)
{
	struct pvh_image img = {cfg->kernel, cfg->ramdisk, cfg->cmdline};
	struct pvh_entry entry;
	int r = board_init(board, vm, io->console_in, io->console_out);

	if (!r)
		r = pvh_load(vm, &img, &entry);
	for (unsigned i = 0; !r && i < vm->nr_vcpus; i++)
		r = setup_vcpu(vm, i, &entry);
	return r;
}

/* Wait until the VM stops, turning SIGINT/SIGTERM/SIGHUP into a host stop. */
static void wait_for_stop(struct vm *vm, int sig_fd)
{
	while (vm_stop_reason(vm) == VM_RUNNING) {
		struct pollfd fds[2] = {{.fd = vm->stop_fd, .events = POLLIN},
					{.fd = sig_fd, .events = POLLIN}};
		struct signalfd_siginfo si;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si))
			vm_request_stop(vm, VM_STOP_HOST, "signal %s",
					strsignal((int)si.ssi_signo));
	}
}

static enum vm_stop_reason run_once(const struct domain_config *cfg, const struct domain_io *io,
				    int sig_fd)
{
	struct vm_params params = {.ram_bytes = cfg->memory_mib << 20, .nr_vcpus = cfg->vcpus};
	struct board board = {0};
	enum vm_stop_reason reason;
	struct vm vm;
	int r = vm_create(&vm, &params);

	if (r)
		return VM_STOP_ERROR; /* vm_create said why */
	r = build(&vm, &board, cfg, io);
	if (!r)
		r = board_start(&board);
	for (unsigned i = 0; !r && i < vm.nr_vcpus; i++)
		r = vcpu_start(vm.vcpus[i]);
	if (r) {
		vm_request_stop(&vm, VM_STOP_ERROR, "cannot start the VM");
	} else {
		wait_for_stop(&vm, sig_fd);
	}
	for (unsigned i = 0; vm.vcpus && i < vm.nr_vcpus; i++)
		if (vm.vcpus[i])
			vcpu_join(vm.vcpus[i]);
	board_destroy(&board);
	reason = vm_stop_reason(&vm);
	if (reason == VM_STOP_ERROR || reason == VM_STOP_CRASH)
		pr_err("domain '%s': %s", cfg->name, vm.stop_detail);
	else
		pr_info("domain '%s': %s", cfg->name, vm.stop_detail);
	vm_destroy(&vm);
	return reason;
}

static int block_host_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so only the signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int domain_run(const struct domain_config *cfg, const struct domain_io *io)
{
	int sig_fd = block_host_signals();
	int code = EXIT_VMM_ERROR;

	if (sig_fd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		return EXIT_VMM_ERROR;
	}
	for (;;) {
		enum vm_stop_reason reason = run_once(cfg, io, sig_fd);
		enum lifecycle_action action = ACTION_DESTROY;

		if (reason == VM_STOP_POWEROFF) {
			action = cfg->on_poweroff;
			code = EXIT_GUEST_POWEROFF;
		} else if (reason == VM_STOP_REBOOT) {
			action = cfg->on_reboot;
			code = EXIT_GUEST_REBOOT;
		} else if (reason == VM_STOP_CRASH) {
			action = cfg->on_crash;
			code = EXIT_GUEST_CRASH;
		} else {
			code = reason == VM_STOP_HOST ? EXIT_HOST_STOP : EXIT_VMM_ERROR;
		}
		if (action != ACTION_RESTART)
			break;
		pr_info("domain '%s': restarting (%s)", cfg->name, vm_stop_reason_name(reason));
	}
	close(sig_fd);
	return code;
}
