/* SPDX-License-Identifier: MIT */
#include "toolstack/domain.h"
#include "toolstack/paths.h"
#include "arch/x86/board.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/msr.h"
#include "arch/x86/pvh.h"
#include "toolstack/boot_image.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/xen_blkback.h"
#include "devices/xen_console.h"
#include "devices/xen_netback.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/xenstore.h"
#include "xen/xs_socket.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Everything one boot of a domain holds. */
struct domain_instance {
	const struct domain_config *cfg;
	struct vm vm;
	struct board board;
	struct xen_domain *xen;
	struct xs_socket *xs_socket;
	char xs_socket_path[256];
	struct xen_blkback **disks;
	struct xen_netback **nics;
};

static int setup_vcpu(struct vm *vm, unsigned index, const struct pvh_entry *entry)
{
	uint32_t tsc_khz;
	struct kvm_cpuid2 *cpuid;
	struct vcpu *vcpu;
	int r = vcpu_create(vm, index);

	if (r)
		return r;
	vcpu = vm->vcpus[index];
	cpuid = cpuid_for_vcpu(vm->supported_cpuid, index, vm->nr_vcpus,
			       kvm_check_cap(vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	if (cpuid && vm->xen) {
		int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

		tsc_khz = khz > 0 ? (uint32_t)khz : 0;
		cpuid = cpuid_add_xen_leaves(cpuid, index, tsc_khz);
	}
	if (!cpuid)
		return -ENOMEM;
	/* CPUID first: KVM refuses some register states until it is set. */
	r = cpuid_set(vcpu->fd, cpuid);
	free(cpuid);
	if (!r)
		r = msr_setup_vcpu(vcpu->fd);
	if (!r && vm->xen)
		r = xen_vcpu_setup(vm->xen, vcpu);
	/* Only the boot vCPU starts at the PVH entry; the others wait for INIT/SIPI. */
	if (!r && index == 0)
		r = pvh_set_boot_regs(vcpu->fd, entry);
	return r;
}

/*
 * Where XenStore's socket goes: the run directory (toolstack/paths.h), or
 * a per-user one in /tmp for a user without XDG_RUNTIME_DIR.
 */
static int xenstore_socket_path(struct domain_instance *d)
{
	char dir[200];

	if (xkvm_run_dir(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "/tmp/xkvm-%u", (unsigned)geteuid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(d->xs_socket_path, sizeof(d->xs_socket_path), "%s/%s.xenstored", dir,
		 d->cfg->name);
	return 0;
}

static int create_backends(struct domain_instance *d)
{
	const struct domain_config *cfg = d->cfg;

	d->disks = calloc(cfg->nr_disks + 1, sizeof(struct xen_blkback *));
	d->nics = calloc(cfg->nr_nics + 1, sizeof(struct xen_netback *));
	if (!d->disks || !d->nics)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];
		struct xen_disk_spec spec = {.target = dc->target,
					     .vdev = dc->vdev,
					     .devid = dc->devid,
					     .readonly = dc->readonly,
					     .discard = dc->discard};

		d->disks[i] = xen_blkback_create(d->xen, &spec);
		if (!d->disks[i])
			return -EIO;
	}
	for (unsigned i = 0; i < cfg->nr_nics; i++) {
		const struct nic_config *nc = &cfg->nics[i];
		struct xen_nic_spec spec = {
		    .bridge = nc->bridge, .ifname = nc->ifname, .devid = nc->devid};

		memcpy(spec.mac, nc->mac, sizeof(spec.mac));
		d->nics[i] = xen_netback_create(d->xen, &spec);
		if (!d->nics[i])
			return -EIO;
		pr_info("domain '%s': vif %u is %s", cfg->name, i, xen_netback_ifname(d->nics[i]));
	}
	return 0;
}

static void destroy_backends(struct domain_instance *d)
{
	for (unsigned i = 0; d->disks && i < d->cfg->nr_disks; i++)
		xen_blkback_destroy(d->disks[i]);
	for (unsigned i = 0; d->nics && i < d->cfg->nr_nics; i++)
		xen_netback_destroy(d->nics[i]);
	free(d->disks);
	free(d->nics);
	d->disks = NULL;
	d->nics = NULL;
}

/* A PVH guest is a Xen guest: hypercalls, XenStore, console ring, PV devices. */
static int make_xen_domain(struct domain_instance *d)
{
	const struct domain_config *cfg = d->cfg;
	struct xen_domain_params p = {.domid = XEN_GUEST_DOMID,
				      .name = cfg->name,
				      .nr_vcpus = cfg->vcpus,
				      .memory_kib = cfg->memory_mib << 10};
	int r;

	d->xen = xen_domain_create(&d->vm, &p);
	if (!d->xen)
		return -EIO;
	d->xen->console_out = board_console_write;
	d->xen->console_opaque = &d->board;
	r = xenstore_socket_path(d);
	if (!r) {
		d->xs_socket = xs_socket_open(d->xen->xs, d->xs_socket_path);
		if (d->xs_socket)
			pr_info("domain '%s': XenStore at XENSTORED_PATH=%s", cfg->name,
				d->xs_socket_path);
	}
	return create_backends(d);
}

/* Terminal input goes where the guest's console is: hvc0 if its command line says so. */
static bool console_is_hvc(const char *cmdline)
{
	const char *last = NULL;

	for (const char *p = cmdline; p && (p = strstr(p, "console=")); p += 8)
		last = p + 8;
	return last && strncmp(last, "hvc", 3) == 0;
}

static int build(struct domain_instance *d, const struct domain_io *io)
{
	const struct domain_config *cfg = d->cfg;
	struct pvh_image img;
	struct pvh_entry entry;
	int r = board_init(&d->board, &d->vm, io->console_in, io->console_out);

	d->board.console.no_escape = io->console_no_escape;
	if (!r)
		r = make_xen_domain(d);
	/* A PV guest's console is always its Xen console, as on Xen. */
	if (!r && (cfg->type == GUEST_PV || console_is_hvc(cfg->cmdline)))
		board_use_xen_console(&d->board, d->xen->console);
	boot_image_for(cfg, &img);
	if (!r)
		r = pvh_load(&d->vm, &img, &entry);
	for (unsigned i = 0; !r && i < d->vm.nr_vcpus; i++)
		r = setup_vcpu(&d->vm, i, &entry);
	return r;
}

/* A first signal asks the guest to power off; a second (or a guest that can't) stops it now. */
static void handle_signal(struct domain_instance *d, int signo, bool *asked)
{
	if (!*asked && d->xen && xen_request_shutdown(d->xen, "poweroff")) {
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

/* Connected (XenbusStateConnected) frontends of our PV devices, or Linux's PV shutdown. */
static bool pv_drivers_active(struct domain_instance *d)
{
	const struct domain_config *cfg = d->cfg;
	bool active = false;
	char path[96], *v;

	if (!d->xen)
		return false;
	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-poweroff", d->xen->domid);
	v = xs_read(d->xen->xs, path);
	active = v && strcmp(v, "1") == 0;
	free(v);
	for (unsigned i = 0; !active && i < cfg->nr_disks + cfg->nr_nics; i++) {
		bool disk = i < cfg->nr_disks;

		snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%u/state", d->xen->domid,
			 disk ? "vbd" : "vif",
			 disk ? cfg->disks[i].devid : cfg->nics[i - cfg->nr_disks].devid);
		v = xs_read(d->xen->xs, path);
		active = v && strcmp(v, "4") == 0;
		free(v);
	}
	return active;
}

void domain_control_status(struct domain_control *c, struct domain_status *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&c->lock);
	if (c->current) {
		st->paused = vm_is_paused(&c->current->vm);
		st->pv_drivers = pv_drivers_active(c->current);
	}
	pthread_mutex_unlock(&c->lock);
}

static int request_clean(struct domain_instance *d, const char *how, char *why, size_t len)
{
	if (d->xen && xen_request_shutdown(d->xen, how))
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
	if (d->xs_socket)
		xs_socket_close(d->xs_socket);
	destroy_backends(d);
	board_destroy(&d->board);
	xen_domain_destroy(d->xen);
	d->xen = NULL;
}

static enum vm_stop_reason run_once(const struct domain_config *cfg, const struct domain_io *io,
				    int sig_fd)
{
	struct vm_params params = {.ram_bytes = cfg->memory_mib << 20, .nr_vcpus = cfg->vcpus};
	struct domain_instance d = {.cfg = cfg};
	enum vm_stop_reason reason;
	int r = vm_create(&d.vm, &params);

	if (r)
		return VM_STOP_ERROR; /* vm_create said why */
	r = build(&d, io);
	if (!r)
		r = xen_domain_start(d.xen);
	/* Everything is open; the threads started from here on narrow themselves. */
	if (!r && io->sandbox)
		r = sandbox_enter(io->sandbox);
	if (!r)
		r = board_start(&d.board);
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
