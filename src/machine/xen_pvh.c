/* SPDX-License-Identifier: MIT */
/*
 * The Xen PVH machine: no firmware, no emulated PC devices beyond the
 * board's few (COM1, RTC, ACPI PM, pvpanic), Xen's hypercalls, XenStore,
 * console ring and PV disk and network backends.  The kernel is entered
 * at its PVH entry.  A PV guest is this machine booting Xen's PV shim with
 * the PV kernel as a module (boot_image.c chooses what to load).
 */
#include "machine/machine.h"
#include "machine/xen_common.h"
#include "arch/x86/acpi.h"
#include "arch/x86/board.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/msr.h"
#include "arch/x86/pvh.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/xen_blkback.h"
#include "devices/xen_console.h"
#include "devices/xen_netback.h"
#include "lib/log.h"
#include "toolstack/boot_image.h"
#include "xen/domain.h"
#include "xen/xenstore.h"
#include "xen/xs_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct xen_pvh {
	struct board board;
	bool board_ready;
	struct xen_domain *xen;
	struct xs_socket *xs_socket;
	char xs_socket_path[256];
	struct xen_backends backends;
	struct pvh_entry entry;
};

static struct xen_pvh *state(struct machine *m)
{
	return m->priv;
}

static int xen_pvh_create(struct machine *m)
{
	m->priv = calloc(1, sizeof(struct xen_pvh));
	return m->priv ? 0 : -ENOMEM;
}

/* Hypercalls, XenStore (and its socket for Debian's clients), console ring, PV devices. */
static int make_xen_domain(struct machine *m)
{
	struct xen_pvh *p = state(m);
	const struct domain_config *cfg = m->cfg;
	struct xen_domain_params params = {.domid = XEN_GUEST_DOMID,
					   .name = cfg->name,
					   .nr_vcpus = cfg->vcpus,
					   .memory_kib = cfg->memory_mib << 10};

	p->xen = xen_domain_create(m->vm, &params);
	if (!p->xen)
		return -EIO;
	p->xen->console_out = board_console_write;
	p->xen->console_offer = board_console_offer;
	p->xen->console_opaque = &p->board;
	/* What hvc0 output did not fit waits in the guest's ring until the console has room. */
	console_set_room(&p->board.console, xen_console_room, p->xen->console);
	p->xs_socket = xen_machine_open_xs_socket(p->xen, cfg->name, p->xs_socket_path,
						  sizeof(p->xs_socket_path));
	return xen_backends_create(&p->backends, p->xen, cfg, NULL);
}

/* Terminal input goes where the guest's console is: hvc0 if its command line says so. */
static bool console_is_hvc(const char *cmdline)
{
	const char *last = NULL;

	for (const char *p = cmdline; p && (p = strstr(p, "console=")); p += 8)
		last = p + 8;
	return last && strncmp(last, "hvc", 3) == 0;
}

/*
 * The ACPI tables of the PVH board go in the BIOS area a firmware-less
 * PVH guest leaves free (pvh.h says why that is safe); the kernel finds
 * them through hvm_start_info's rsdp_paddr.
 */
static int write_acpi(struct vm *vm, struct pvh_image *img)
{
	struct acpi_config cfg = {
	    .board = &board_pvh, .nr_vcpus = vm->nr_vcpus, .ioapic_id = vm->nr_vcpus};
	uint8_t *buf = gpa_to_hva(&vm->mem, PVH_ACPI_GPA, PVH_ACPI_SIZE);
	long used;

	if (!buf)
		return -EFAULT;
	used = acpi_build_tables(buf, PVH_ACPI_SIZE, PVH_ACPI_GPA, &cfg);
	if (used < 0) {
		pr_err("building ACPI tables: %s", strerror((int)-used));
		return (int)used;
	}
	img->rsdp_gpa = PVH_ACPI_GPA;
	return 0;
}

static int xen_pvh_build(struct machine *m, const struct machine_console *console)
{
	struct xen_pvh *p = state(m);
	const struct domain_config *cfg = m->cfg;
	struct pvh_image img;
	int r = board_init(&p->board, m->vm, &board_pvh, console->in_fd, console->out_fd);

	p->board_ready = !r;
	p->board.console.no_escape = console->no_escape;
	if (!r)
		r = make_xen_domain(m);
	/* A PV guest's console is always its Xen console, as on Xen. */
	if (!r && (cfg->type == GUEST_PV || console_is_hvc(cfg->cmdline)))
		board_use_xen_console(&p->board, p->xen->console);
	boot_image_for(cfg, &img);
	if (!r)
		r = write_acpi(m->vm, &img);
	if (!r)
		r = pvh_load(m->vm, &img, &p->entry);
	return r;
}

static int xen_pvh_setup_vcpu(struct machine *m, struct vcpu *vcpu)
{
	struct xen_pvh *p = state(m);
	int r = machine_setup_vcpu_cpu(m->vm, vcpu, true);

	if (!r)
		r = xen_vcpu_setup(p->xen, vcpu);
	/* Only the boot vCPU starts at the PVH entry; the others wait for INIT/SIPI. */
	if (!r && vcpu->index == 0)
		r = pvh_set_boot_regs(vcpu->fd, &p->entry);
	return r;
}

static int xen_pvh_start(struct machine *m)
{
	return xen_domain_start(state(m)->xen);
}

static int xen_pvh_start_io(struct machine *m)
{
	return board_start(&state(m)->board);
}

static void xen_pvh_destroy(struct machine *m)
{
	struct xen_pvh *p = state(m);

	if (!p)
		return;
	if (p->xs_socket)
		xs_socket_close(p->xs_socket);
	xen_backends_destroy(&p->backends, m->cfg);
	/*
	 * The service thread offers hvc0 output to the board's console, whose
	 * thread signals the service (room) and passes input to hvc0: stop the
	 * service first, then the console, then free the domain.
	 */
	xen_domain_stop(p->xen);
	if (p->board_ready)
		board_destroy(&p->board);
	xen_domain_destroy(p->xen);
	free(p);
	m->priv = NULL;
}

static bool xen_pvh_request_shutdown(struct machine *m, const char *how)
{
	struct xen_pvh *p = state(m);

	return p->xen && xen_request_shutdown(p->xen, how);
}

/* Connected (XenbusStateConnected) frontends of our PV devices, or Linux's PV shutdown. */
static bool xen_pvh_pv_drivers_active(struct machine *m)
{
	struct xen_pvh *p = state(m);
	char path[96], *v;
	bool active;

	if (!p->xen)
		return false;
	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-poweroff", p->xen->domid);
	v = xs_read(p->xen->xs, path);
	active = v && strcmp(v, "1") == 0;
	free(v);
	return active || xen_machine_frontends_connected(p->xen, m->cfg);
}

const struct machine_ops machine_xen_pvh_ops = {
    .name = "pvh",
    .create = xen_pvh_create,
    .build = xen_pvh_build,
    .setup_vcpu = xen_pvh_setup_vcpu,
    .start = xen_pvh_start,
    .start_io = xen_pvh_start_io,
    .destroy = xen_pvh_destroy,
    .request_shutdown = xen_pvh_request_shutdown,
    .pv_drivers_active = xen_pvh_pv_drivers_active,
};

/* PV: the same machine, booting Xen's PV shim with the PV kernel as its module 0. */
const struct machine_ops machine_xen_pv_ops = {
    .name = "pv",
    .create = xen_pvh_create,
    .build = xen_pvh_build,
    .setup_vcpu = xen_pvh_setup_vcpu,
    .start = xen_pvh_start,
    .start_io = xen_pvh_start_io,
    .destroy = xen_pvh_destroy,
    .request_shutdown = xen_pvh_request_shutdown,
    .pv_drivers_active = xen_pvh_pv_drivers_active,
};
