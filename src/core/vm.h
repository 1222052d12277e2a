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

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct xen_domain;

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
	const char *kvm_path; /* NULL: /dev/kvm */
};

/* A VMM-owned page range the guest sees outside RAM (Xen's shared pages in the MMIO hole). */
struct vm_overlay {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
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

	pthread_mutex_t overlay_lock;
	unsigned nr_overlays;
	struct vm_overlay overlays[VM_MAX_OVERLAYS];

	/* Set when the guest is a Xen guest: hypercalls and Xen's shared pages. */
	struct xen_domain *xen;

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
/* Host address of [gpa, gpa+len) when it lies inside one overlay, else NULL. */
void *vm_overlay_hva(struct vm *vm, uint64_t gpa, uint64_t len);

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
