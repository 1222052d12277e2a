/* SPDX-License-Identifier: MIT */
/*
 * A machine: what one virtualization mode puts around the VM's vCPUs and
 * memory.  The Xen PVH machine has no firmware and only Xen PV devices; a
 * PV guest is the PVH machine carrying Xen's PV shim; an HVM machine has
 * SeaBIOS and emulated PC devices.  The VM lifecycle (vm/domain.c) knows a
 * machine only through these operations, chosen by the config's `type`.
 */
#ifndef XKVM_MACHINE_MACHINE_H
#define XKVM_MACHINE_MACHINE_H

#include "toolstack/config.h"

#include <stdbool.h>
#include <stddef.h>

struct vm;
struct vcpu;
struct machine;
struct mem_layout;

/* The terminal (or a managed VMM's sockets) the guest's console talks to. */
struct machine_console {
	int in_fd; /* -1: no input */
	int out_fd;
	bool no_escape; /* Ctrl-] is data, not "stop the domain" */
};

struct machine_ops {
	const char *name; /* "pvh", "pv", "hvm", "xen-hvm" */
	/* Where guest RAM and the 32-bit device hole go (core/memory.h); NULL: the default. */
	const struct mem_layout *mem_layout;
	/* Allocate per-boot state in m->priv.  0 or -errno. */
	int (*create)(struct machine *m);
	/* Place devices and load firmware or kernel into the created VM.  0 or -errno. */
	int (*build)(struct machine *m, const struct machine_console *console);
	/* Configure a created vCPU (CPUID, MSRs, entry state).  0 or -errno. */
	int (*setup_vcpu)(struct machine *m, struct vcpu *vcpu);
	/* Start host-side work (backends) before the VMM confines itself.  0 or -errno. */
	int (*start)(struct machine *m);
	/*
	 * Start the threads that narrow their own seccomp filter (console
	 * input), once the VMM is confined and just before the vCPUs run.
	 */
	int (*start_io)(struct machine *m);
	/* After the vCPUs stopped: stop host-side work and free everything. */
	void (*destroy)(struct machine *m);
	/*
	 * Ask the guest to power off or reboot ("poweroff", "reboot").  false
	 * when the guest offers no way (why says so).  Optional.
	 */
	bool (*request_shutdown)(struct machine *m, const char *how);
	/* Xen PV frontends connected (what Xen Orchestra calls PV drivers).  Optional. */
	bool (*pv_drivers_active)(struct machine *m);
	/* What the guest's PV drivers said of themselves ("linux 1"); false: nothing.  Optional. */
	bool (*pv_driver_version)(struct machine *m, char *buf, size_t len);
};

struct machine {
	const struct machine_ops *ops;
	const struct domain_config *cfg;
	struct vm *vm;
	void *priv; /* the machine's own state */
};

/* The machines of this build (machine/xen_pvh.c, machine/hvm.c, machine/xen_hvm.c). */
extern const struct machine_ops machine_xen_pvh_ops;
extern const struct machine_ops machine_xen_pv_ops;
extern const struct machine_ops machine_hvm_ops;
extern const struct machine_ops machine_xen_hvm_ops;

/* The machine for a config (its type, and for HVM its platform device), or NULL for none. */
const struct machine_ops *machine_for_config(const struct domain_config *cfg);

/*
 * What every machine's vCPU starts with: CPUID (KVM's supported set made
 * per-vCPU, plus Xen's leaves when asked) and the power-on MSRs.  0 or -errno.
 */
int machine_setup_vcpu_cpu(struct vm *vm, struct vcpu *vcpu, bool xen_leaves);

#endif
