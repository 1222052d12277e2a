/* SPDX-License-Identifier: MIT */
/*
 * The Xen HVM machine (type = "hvm" with xen_platform_pci = 1, xl's
 * default): the HVM PC of machine/hvm.c with a Xen personality.  The
 * guest sees Xen's CPUID leaves, hypercalls, XenStore and the Xen
 * platform PCI device; until its PV drivers take over it runs on the
 * emulated IDE disks and RTL8139 NICs.  Each disk and NIC also has a Xen
 * backend, opened at build (the VMM opens nothing once confined) but kept
 * out of XenStore until the guest unplugs the emulated device: a disk is
 * never served twice at once.  An unplug flushes and detaches the IDE
 * disk before its blkback appears, and hands the NIC's TAP to netback.
 * The toolstack reports "pvhvm" once a frontend connects.
 */
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/xen_blkback.h"
#include "devices/xen_netback.h"
#include "devices/xen_platform.h"
#include "lib/log.h"
#include "machine/hvm.h"
#include "machine/machine.h"
#include "machine/xen_common.h"
#include "xen/domain.h"
#include "xen/xs_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct xen_hvm {
	struct machine pc; /* the HVM PC underneath, driven through machine_hvm_ops */
	bool pc_created;
	struct xen_domain *xen;
	struct xs_socket *xs_socket;
	char xs_socket_path[256];
	struct xen_platform platform;
	bool platform_ready;
	pthread_mutex_t unplug_lock; /* one unplug at a time */
	struct xen_backends pv; /* per disk (none for a CD-ROM) and vif, unpublished until unplug */
};

static struct xen_hvm *state(struct machine *m)
{
	return m->priv;
}

static int xen_hvm_create(struct machine *m)
{
	struct xen_hvm *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	m->priv = x;
	pthread_mutex_init(&x->unplug_lock, NULL);
	x->pc = (struct machine){.ops = &machine_hvm_ops, .cfg = m->cfg, .vm = m->vm};
	r = machine_hvm_ops.create(&x->pc);
	x->pc_created = !r;
	return r;
}

/* The emulated disk's open image (whose lock a second open would meet). */
static const struct disk_image *ide_image(void *opaque, unsigned i)
{
	struct xen_hvm *x = opaque;

	return hvm_disk_image(&x->pc, i);
}

/* A duplicate of the emulated NIC's TAP fd, which the netback owns. */
static int nic_tap(void *opaque, unsigned i)
{
	struct xen_hvm *x = opaque;

	return fcntl(hvm_nic_fd(&x->pc, i), F_DUPFD_CLOEXEC, 3);
}

static void publish(struct xen_hvm *x, unsigned i, bool disk)
{
	int r = disk ? xen_blkback_publish(x->pv.disks[i]) : xen_netback_publish(x->pv.nics[i]);

	if (r)
		pr_err("%s %u: cannot hand it to the PV driver: %s", disk ? "vbd" : "vif", i,
		       strerror(-r));
}

/*
 * The guest's unplug write (a vCPU thread): the emulated devices go first
 * (disks flushed), then their backends appear in XenStore.
 */
static void unplug(void *opaque, unsigned mask)
{
	struct xen_hvm *x = opaque;
	const struct domain_config *cfg = x->pc.cfg;

	pthread_mutex_lock(&x->unplug_lock);
	if (mask & (XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_AUX_IDE_DISKS)) {
		bool keep_master = !(mask & XEN_UNPLUG_IDE_DISKS);
		int r = hvm_unplug_disks(&x->pc, keep_master);

		if (r)
			pr_err("unplug: flushing the IDE disks: %s", strerror(-r));
		for (unsigned i = 0; i < cfg->nr_disks; i++)
			if (x->pv.disks[i] && !(keep_master && cfg->disks[i].ide_slot == 0))
				publish(x, i, true);
	}
	if (mask & XEN_UNPLUG_NICS) {
		hvm_unplug_nics(&x->pc);
		for (unsigned i = 0; i < cfg->nr_nics; i++)
			publish(x, i, false);
	}
	pthread_mutex_unlock(&x->unplug_lock);
}

static const struct xen_platform_ops platform_ops = {.unplug = unplug};

/* ---- Xen's event callback on a line (HVM_PARAM_CALLBACK_IRQ via GSI or PCI INTx) ---- */

static bool callback_gsi_exists(void *opaque, unsigned gsi)
{
	struct xen_hvm *x = opaque;

	return hvm_gsi_exists(&x->pc, gsi);
}

/*
 * The GSI the platform device's INTA is routed to (what Linux's
 * platform-pci asks for) is raised as that INTA, wire-ORed at the PIIX3
 * with whatever else shares the PIRQ; any other GSI directly.  Lowering
 * lowers both: the platform device raises INTA for nothing else.
 */
static void callback_set_gsi(void *opaque, unsigned gsi, bool level)
{
	struct xen_hvm *x = opaque;
	uint8_t slot = (uint8_t)(x->platform.pci.devfn >> 3);
	bool platform_line = hvm_pci_intx_irq(&x->pc, slot, 1) == (int)gsi;

	if (level) {
		if (platform_line)
			pci_set_irq(&x->platform.pci, true);
		else
			hvm_set_gsi(&x->pc, gsi, true);
		return;
	}
	pci_set_irq(&x->platform.pci, false);
	if (!platform_line)
		hvm_set_gsi(&x->pc, gsi, false);
}

static void callback_set_pci_intx(void *opaque, uint8_t devfn, unsigned pin, bool level)
{
	struct xen_hvm *x = opaque;

	if (devfn == x->platform.pci.devfn && pin == 1)
		pci_set_irq(&x->platform.pci, level);
	else
		hvm_set_pci_intx(&x->pc, (uint8_t)(devfn >> 3), pin, level);
}

static const struct xen_callback_line_ops callback_line_ops = {
    .gsi_exists = callback_gsi_exists,
    .set_gsi = callback_set_gsi,
    .set_pci_intx = callback_set_pci_intx,
};

static int make_xen_domain(struct machine *m)
{
	struct xen_hvm *x = state(m);
	const struct domain_config *cfg = m->cfg;
	struct xen_domain_params params = {.domid = XEN_GUEST_DOMID,
					   .name = cfg->name,
					   .nr_vcpus = cfg->vcpus,
					   .memory_kib = cfg->memory_mib << 10};

	x->xen = xen_domain_create(m->vm, &params);
	if (!x->xen)
		return -EIO;
	x->xs_socket = xen_machine_open_xs_socket(x->xen, cfg->name, x->xs_socket_path,
						  sizeof(x->xs_socket_path));
	return 0;
}

/* The platform device, its ports and Xen's special pages, added to the PC before it is built. */
static int extend_pc(struct xen_hvm *x)
{
	int r;

	xen_platform_init(&x->platform, &platform_ops, x);
	x->platform_ready = true;
	r = hvm_add_pci_function(&x->pc, &x->platform.pci);
	if (!r)
		r = hvm_reserve_range(&x->pc, XEN_SPECIAL_PAGES_GPA,
				      XEN_NR_SPECIAL_PAGES * 4096ULL);
	hvm_set_platform_ports(&x->pc, xen_platform_ports_io, &x->platform);
	return r;
}

static int xen_hvm_build(struct machine *m, const struct machine_console *console)
{
	struct xen_hvm *x = state(m);
	int r = make_xen_domain(m);

	if (!r)
		r = extend_pc(x);
	if (!r)
		xen_callback_line_set_ops(&x->xen->callback, &callback_line_ops, x);
	if (!r)
		r = machine_hvm_ops.build(&x->pc, console);
	if (!r) {
		const struct xen_backend_source src = {.unpublished = true,
						       .skip_cdroms = true,
						       .disk_image = ide_image,
						       .nic_fd = nic_tap,
						       .opaque = x};

		r = xen_backends_create(&x->pv, x->xen, m->cfg, &src);
	}
	return r;
}

/* Xen's CPUID leaves and the vCPU's Xen id; registers stay at KVM's reset state. */
static int xen_hvm_setup_vcpu(struct machine *m, struct vcpu *vcpu)
{
	int r = machine_setup_vcpu_cpu(m->vm, vcpu, true);

	return r ? r : xen_vcpu_setup(state(m)->xen, vcpu);
}

static int xen_hvm_start(struct machine *m)
{
	struct xen_hvm *x = state(m);
	int r = machine_hvm_ops.start(&x->pc);

	return r ? r : xen_domain_start(x->xen);
}

static int xen_hvm_start_io(struct machine *m)
{
	return machine_hvm_ops.start_io(&state(m)->pc);
}

static void xen_hvm_destroy(struct machine *m)
{
	struct xen_hvm *x = state(m);

	if (!x)
		return;
	/* The Xen service stops last: it must not drive the PC's lines once they are gone. */
	if (x->xen)
		xen_callback_line_set_ops(&x->xen->callback, NULL, NULL);
	if (x->xs_socket)
		xs_socket_close(x->xs_socket);
	xen_backends_destroy(&x->pv, m->cfg);
	if (x->pc_created)
		machine_hvm_ops.destroy(&x->pc);
	if (x->platform_ready)
		xen_platform_destroy(&x->platform);
	xen_domain_destroy(x->xen);
	pthread_mutex_destroy(&x->unplug_lock);
	free(x);
	m->priv = NULL;
}

static bool xen_hvm_request_shutdown(struct machine *m, const char *how)
{
	struct xen_hvm *x = state(m);

	return x->xen && xen_request_shutdown(x->xen, how);
}

/* Only connected frontends count: an HVM guest's XenBus alone does not make it PVHVM. */
static bool xen_hvm_pv_drivers_active(struct machine *m)
{
	struct xen_hvm *x = state(m);

	return x->xen && xen_machine_frontends_connected(x->xen, m->cfg);
}

/* From the platform device's product and build ports, written before the unplug. */
static bool xen_hvm_pv_driver_version(struct machine *m, char *buf, size_t len)
{
	struct xen_hvm *x = state(m);

	return x->platform_ready && xen_platform_driver_version(&x->platform, buf, len);
}

const struct machine_ops machine_xen_hvm_ops = {
    .name = "xen-hvm",
    .create = xen_hvm_create,
    .build = xen_hvm_build,
    .setup_vcpu = xen_hvm_setup_vcpu,
    .start = xen_hvm_start,
    .start_io = xen_hvm_start_io,
    .destroy = xen_hvm_destroy,
    .request_shutdown = xen_hvm_request_shutdown,
    .pv_drivers_active = xen_hvm_pv_drivers_active,
    .pv_driver_version = xen_hvm_pv_driver_version,
};
