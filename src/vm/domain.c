/* SPDX-License-Identifier: MIT */
#include "vm/domain.h"
#include "core/bus.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "machine/machine.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Everything one boot of a domain holds. */
struct domain_instance {
	const struct domain_config *cfg;
	struct vm vm;
	struct machine machine;
};

/*
 * What the guest can reach of the VMM's emulated devices once the machine is
 * built, whatever its mode, for -v and the benchmarks' device-surface figures.
 */
static void log_device_buses(struct domain_instance *d)
{
	pr_info("%s: device buses: pio_ranges=%u pio_ports=%llu mmio_ranges=%u mmio_bytes=%llu",
		d->machine.ops->name, io_bus_count(&d->vm.pio),
		(unsigned long long)io_bus_span(&d->vm.pio), io_bus_count(&d->vm.mmio),
		(unsigned long long)io_bus_span(&d->vm.mmio));
}

static int build(struct domain_instance *d, const struct domain_io *io)
{
	struct machine *m = &d->machine;
	struct machine_console console = {
	    .in_fd = io->console_in, .out_fd = io->console_out, .no_escape = io->console_no_escape};
	int r;

	m->ops = machine_for_config(d->cfg);
	m->cfg = d->cfg;
	m->vm = &d->vm;
	if (!m->ops) {
		pr_err("domain '%s': this build cannot run %s guests", d->cfg->name,
		       guest_type_name(d->cfg->type));
		return -EOPNOTSUPP;
	}
	r = m->ops->create(m);
	if (!r)
		r = m->ops->build(m, &console);
	if (!r)
		log_device_buses(d);
	for (unsigned i = 0; !r && i < d->vm.nr_vcpus; i++) {
		r = vcpu_create(&d->vm, i);
		if (!r)
			r = m->ops->setup_vcpu(m, d->vm.vcpus[i]);
	}
	return r;
}

static bool request_shutdown(struct domain_instance *d, const char *how)
{
	const struct machine_ops *ops = d->machine.ops;

	return ops && ops->request_shutdown && d->machine.priv &&
	       ops->request_shutdown(&d->machine, how);
}

/* A first signal asks the guest to power off; a second (or a guest that can't) stops it now. */
static void handle_signal(struct domain_instance *d, int signo, bool *asked)
{
	if (!*asked && request_shutdown(d, "poweroff")) {
		*asked = true;
		pr_info("domain '%s': %s: asked the guest to power off (again to stop it now)",
			d->cfg->name, strsignal(signo));
		return;
	}
	vm_request_stop(&d->vm, VM_STOP_HOST, "signal %s", strsignal(signo));
}

/* Wait until the VM stops, turning SIGINT/SIGTERM/SIGHUP into shutdown requests. */
static void wait_for_stop(struct domain_instance *d, int sig_fd)
{
	bool asked = false;

	while (vm_stop_reason(&d->vm) == VM_RUNNING) {
		struct pollfd fds[2] = {{.fd = d->vm.stop_fd, .events = POLLIN},
					{.fd = sig_fd, .events = POLLIN}};
		struct signalfd_siginfo si;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si))
			handle_signal(d, (int)si.ssi_signo, &asked);
	}
}

/* Make d the domain that control requests reach (NULL: none, it is going away). */
static void control_attach(struct domain_control *c, struct domain_instance *d)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->current = d;
	pthread_mutex_unlock(&c->lock);
}

void domain_control_init(struct domain_control *c)
{
	pthread_mutex_init(&c->lock, NULL);
	c->current = NULL;
}

void domain_control_destroy(struct domain_control *c)
{
	pthread_mutex_destroy(&c->lock);
}

static bool pv_drivers_active(struct domain_instance *d)
{
	const struct machine_ops *ops = d->machine.ops;

	return ops && ops->pv_drivers_active && d->machine.priv &&
	       ops->pv_drivers_active(&d->machine);
}

static void pv_driver_version(struct domain_instance *d, char *buf, size_t len)
{
	const struct machine_ops *ops = d->machine.ops;

	if (ops && ops->pv_driver_version && d->machine.priv)
		ops->pv_driver_version(&d->machine, buf, len);
}

void domain_control_status(struct domain_control *c, struct domain_status *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&c->lock);
	if (c->current) {
		st->paused = vm_is_paused(&c->current->vm);
		st->pv_drivers = pv_drivers_active(c->current);
		pv_driver_version(c->current, st->pv_driver_version, sizeof(st->pv_driver_version));
	}
	pthread_mutex_unlock(&c->lock);
}

static int request_clean(struct domain_instance *d, const char *how, char *why, size_t len)
{
	if (request_shutdown(d, how))
		return 0;
	snprintf(why, len, "the guest has not enabled Xen's PV %s (control/feature-%s)", how, how);
	return -EOPNOTSUPP;
}

int domain_control_request(struct domain_control *c, enum domain_request req, char *why,
			   size_t why_len)
{
	struct domain_instance *d;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	d = c->current;
	if (!d) {
		snprintf(why, why_len, "the domain is between two boots; try again");
		r = -EAGAIN;
	} else if (req == DOMAIN_PAUSE || req == DOMAIN_UNPAUSE) {
		vm_set_paused(&d->vm, req == DOMAIN_PAUSE);
	} else if (req == DOMAIN_SHUTDOWN || req == DOMAIN_REBOOT) {
		if (vm_is_paused(&d->vm)) {
			snprintf(why, why_len, "the domain is paused: unpause it first");
			r = -EBUSY;
		} else {
			r = request_clean(d, req == DOMAIN_SHUTDOWN ? "poweroff" : "reboot", why,
					  why_len);
		}
	} else {
		vm_request_stop(&d->vm, VM_STOP_HOST, "destroyed from the toolstack");
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void teardown(struct domain_instance *d)
{
	for (unsigned i = 0; d->vm.vcpus && i < d->vm.nr_vcpus; i++)
		if (d->vm.vcpus[i])
			vcpu_join(d->vm.vcpus[i]);
	if (d->machine.ops)
		d->machine.ops->destroy(&d->machine);
}

static enum vm_stop_reason run_once(const struct domain_config *cfg, const struct domain_io *io,
				    int sig_fd)
{
	const struct machine_ops *ops = machine_for_config(cfg);
	struct vm_params params = {.ram_bytes = cfg->memory_mib << 20, .nr_vcpus = cfg->vcpus};
	struct domain_instance d = {.cfg = cfg};
	enum vm_stop_reason reason;
	int r;

	/* The machine lays out guest memory before the VM exists. */
	if (ops && ops->mem_layout)
		params.layout = *ops->mem_layout;
	r = vm_create(&d.vm, &params);

	if (r)
		return VM_STOP_ERROR; /* vm_create said why */
	r = build(&d, io);
	if (!r)
		r = d.machine.ops->start(&d.machine);
	/* Everything is open; the threads started from here on narrow themselves. */
	if (!r && io->sandbox)
		r = sandbox_enter(io->sandbox);
	if (!r)
		r = d.machine.ops->start_io(&d.machine);
	for (unsigned i = 0; !r && i < d.vm.nr_vcpus; i++)
		r = vcpu_start(d.vm.vcpus[i]);
	if (!r)
		sandbox_confine_thread(SANDBOX_MAIN);
	if (r) {
		vm_request_stop(&d.vm, VM_STOP_ERROR, "cannot start the VM");
	} else {
		control_attach(io->control, &d);
		wait_for_stop(&d, sig_fd);
		control_attach(io->control, NULL);
	}
	teardown(&d);
	reason = vm_stop_reason(&d.vm);
	if (reason == VM_STOP_ERROR || reason == VM_STOP_CRASH)
		pr_err("domain '%s': %s", cfg->name, d.vm.stop_detail);
	else
		pr_info("domain '%s': %s", cfg->name, d.vm.stop_detail);
	vm_destroy(&d.vm);
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
		if (action != ACTION_RESTART || io->sandbox)
			break;
		pr_info("domain '%s': restarting (%s)", cfg->name, vm_stop_reason_name(reason));
	}
	close(sig_fd);
	return code;
}
