/* SPDX-License-Identifier: MIT */
/*
 * One virtual machine: KVM file descriptors, guest memory, buses, vCPUs
 * and devices.  Everything a VM needs hangs off struct vm; nothing is
 * file-scope, so a process (or a unit test) can hold several.
 */
#ifndef XKVM_CORE_VM_H
#define XKVM_CORE_VM_H

#include "core/bus.h"
#include "core/memory.h"
#include "core/memslot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* Why a VM stopped running.  The first reason recorded wins. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF, /* guest powered off */
	VM_STOP_REBOOT,	  /* guest asked for a reset */
	VM_STOP_CRASH,	  /* guest panicked (pvpanic) or triple-faulted */
	VM_STOP_ERROR,	  /* the VMM or KVM failed */
	VM_STOP_HOST,	  /* the host asked us to stop (signal, console escape) */
};

const char *vm_stop_reason_name(enum vm_stop_reason reason);

struct vm_params {
	uint64_t ram_bytes;
	unsigned nr_vcpus;
	const char *kvm_path;	  /* NULL: /dev/kvm */
	struct mem_layout layout; /* the machine's; all zero: the default (PVH) layout */
};

/*
 * A personality attached to the VM (Xen's, from src/xen/): core hands it
 * the exits it does not handle itself (KVM_EXIT_XEN) and knows nothing
 * else about it.
 */
struct vm_personality {
	const char *name;
	/* An exit reason core does not know.  Returns false when the vCPU must stop. */
	bool (*handle_exit)(void *opaque, struct vcpu *vcpu);
};

/*
 * A VMM-owned page range the guest sees outside RAM: Xen's shared pages in
 * the MMIO hole, or a read-only ROM (firmware).
 */
struct vm_overlay {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
	bool readonly;
};

/* Linux places each of its 64 grant frames separately, each its own memslot. */
#define VM_MAX_OVERLAYS 128

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct guest_memory mem;
	struct io_bus pio;
	struct io_bus mmio;

	/* Guards slots and overlays: memory may be added or removed while vCPUs run. */
	pthread_mutex_t overlay_lock;
	struct memslot_map slots;
	unsigned nr_overlays;
	struct vm_overlay overlays[VM_MAX_OVERLAYS];

	/* Set before the vCPUs run, when a personality (Xen) is attached. */
	const struct vm_personality *personality;
	void *personality_opaque;

	unsigned nr_vcpus;
	struct vcpu **vcpus;
	struct kvm_cpuid2 *supported_cpuid;

	/*
	 * Stop protocol: any thread records a reason and signals stop_fd (an
	 * eventfd the runner polls beside its other event sources).
	 */
	pthread_mutex_t stop_lock;
	int stop_fd;
	enum vm_stop_reason stop_reason;
	char stop_detail[256];
	/* Pause (xl pause): vCPUs wait on pause_cond, under stop_lock, before KVM_RUN. */
	bool paused;
	pthread_cond_t pause_cond;
};

/* Create the KVM VM: memory, in-kernel irqchip and PIT.  Returns 0 or -errno. */
int vm_create(struct vm *vm, const struct vm_params *params);
void vm_destroy(struct vm *vm);

/*
 * Back [gpa, gpa+size) with fresh zeroed VMM memory in its own memslot
 * (page-aligned, outside RAM and other overlays).  Returns the host
 * address or NULL (-errno in *err).
 */
void *vm_map_overlay(struct vm *vm, uint64_t gpa, uint64_t size, int *err);
/*
 * Map a copy of data at [gpa, gpa+size rounded up to a page) as read-only
 * guest memory (KVM_MEM_READONLY): the guest reads it, and its writes exit
 * as MMIO that the VM's MMIO bus drops.  The tail of the last page reads
 * as 0xff.  gpa must be page-aligned and outside RAM and other overlays.
 * Returns the (read-only) host copy or NULL (-errno in *err; -ENOTSUP when
 * KVM lacks read-only memory).
 */
const void *vm_map_rom(struct vm *vm, uint64_t gpa, const void *data, uint64_t size, int *err);
/* Remove the overlay or ROM that starts at gpa and free its slot.  0 or -ENOENT. */
int vm_unmap_overlay(struct vm *vm, uint64_t gpa);
/* Host address of [gpa, gpa+len) when it lies inside one writable overlay, else NULL. */
void *vm_overlay_hva(struct vm *vm, uint64_t gpa, uint64_t len);

/* Attach a personality (NULL: detach); only while no vCPU runs. */
void vm_set_personality(struct vm *vm, const struct vm_personality *p, void *opaque);
/* The opaque attached with p, or NULL when p is not the VM's personality. */
void *vm_personality_opaque(const struct vm *vm, const struct vm_personality *p);

/* Set an interrupt line (GSI) level through the in-kernel irqchip. */
int vm_set_irq_line(struct vm *vm, unsigned gsi, bool level);

/* Record why the VM must stop and wake every vCPU.  Later calls are ignored. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum vm_stop_reason vm_stop_reason(struct vm *vm);

/* Pause or resume every vCPU; a stop request also ends a pause. */
void vm_set_paused(struct vm *vm, bool paused);
bool vm_is_paused(struct vm *vm);
/* On a vCPU thread: wait while the VM is paused (and not stopping). */
void vm_wait_while_paused(struct vm *vm);

#endif
