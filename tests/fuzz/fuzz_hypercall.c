/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for hypercall decoding: xen_handle_exit with the
 * registers a guest chooses, on a Xen domain over 64 pages of guest RAM
 * and the fake KVM of fake_kvm.c (every KVM call succeeds; virtual
 * addresses translate through a page table the input supplies).  Input:
 *
 *   bytes  0-7    pages present (bit v: gva page v), 8-15 writable,
 *   byte   16     gfn = page ^ byte 16 (gfns past RAM are not RAM),
 *   byte   17     number of hypercalls - 1 (mod 8),
 *   then per call 53 bytes: u32 hypercall number, a flags byte (bit 0:
 *   64-bit mode, bit 1: vCPU 1, bit 2: from user mode), six u64 arguments,
 *   and the rest is guest RAM from gfn 0.
 *
 * Shared_info, grant frames and vcpu_info land where the guest says, in
 * RAM or in fresh overlay pages, so later calls see what earlier ones set.
 */
#include "fake_kvm.h"

#include "core/memory.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/hypercall.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE	   4096
#define RAM_PAGES  64
#define NR_VCPUS   2
#define HEADER	   18
#define CALL_BYTES 53

struct fixture {
	struct vm vm;
	struct vcpu vcpu[NR_VCPUS];
	struct vcpu *vcpus[NR_VCPUS];
	struct kvm_run run[NR_VCPUS];
	struct xen_vcpu_state xvcpus[NR_VCPUS];
	struct xen_domain xd;
	struct fake_mmu mmu;
	uint8_t console_sink;
};

static void console_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;
	uint8_t x = 0;

	/* Read every byte so that the sanitizers check the buffer. */
	for (size_t i = 0; i < len; i++)
		x ^= buf[i];
	f->console_sink ^= x;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int setup(struct fixture *f)
{
	struct vm *vm = &f->vm;
	struct xen_domain *xd = &f->xd;

	if (guest_memory_map(&vm->mem, (uint64_t)RAM_PAGES * PAGE))
		return -1;
	vm->kvm_fd = vm->vm_fd = FAKE_VM_FD;
	vm->stop_fd = -1;
	pthread_mutex_init(&vm->overlay_lock, NULL);
	memslot_map_init(&vm->slots, MEMSLOT_MAX);
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->nr_vcpus = NR_VCPUS;
	vm->vcpus = f->vcpus;
	vm_set_personality(vm, &xen_personality, xd);
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		f->vcpu[i] =
		    (struct vcpu){.vm = vm, .index = i, .fd = FAKE_VCPU_FD, .run = &f->run[i]};
		pthread_mutex_init(&f->vcpu[i].attr_lock, NULL);
		f->vcpus[i] = &f->vcpu[i];
	}
	xd->vm = vm;
	xd->domid = XEN_GUEST_DOMID;
	xd->name = "fuzz";
	pthread_mutex_init(&xd->lock, NULL);
	xd->long_mode = true;
	xd->shared_info_gfn = UINT64_MAX;
	xd->nr_vcpus = NR_VCPUS;
	xd->vcpus = f->xvcpus;
	xd->console_port = 2;
	xd->store_port = 1;
	xd->console_efd = xd->store_efd = xd->stop_efd = -1;
	xd->console_out = console_out;
	xd->console_opaque = f;
	evtchn_init(&xd->evtchn, vm, xd->domid);
	gnttab_init(&xd->gnttab, &vm->mem);
	xd->gnttab.place_outside_ram = xen_place_page;
	xd->gnttab.place_opaque = xd;
	return 0;
}

static void teardown(struct fixture *f)
{
	struct vm *vm = &f->vm;

	gnttab_destroy(&f->xd.gnttab);
	evtchn_destroy(&f->xd.evtchn);
	pthread_mutex_destroy(&f->xd.lock);
	for (unsigned i = 0; i < vm->nr_overlays; i++)
		munmap(vm->overlays[i].hva, vm->overlays[i].size);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		pthread_mutex_destroy(&f->vcpu[i].attr_lock);
	pthread_cond_destroy(&vm->pause_cond);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->overlay_lock);
	guest_memory_unmap(&vm->mem);
}

/* One KVM_EXIT_XEN as KVM would hand it over. */
static void one_call(struct fixture *f, const uint8_t *c)
{
	uint8_t flags = c[4];
	struct vcpu *v = &f->vcpu[(flags >> 1) & 1];
	struct kvm_xen_exit *x = &v->run->xen;
	uint32_t nr;

	memcpy(&nr, c, sizeof(nr));
	memset(v->run, 0, sizeof(*v->run));
	v->run->exit_reason = KVM_EXIT_XEN;
	x->type = KVM_EXIT_XEN_HCALL;
	x->u.hcall.longmode = flags & 1;
	x->u.hcall.cpl = (flags & 4) ? 3 : 0;
	x->u.hcall.input = nr;
	for (int i = 0; i < 6; i++)
		x->u.hcall.params[i] = get_u64(c + 5 + 8 * i);
	if (!xen_handle_exit(v))
		abort(); /* only a non-hypercall exit may stop the vCPU */
	if (!x->u.hcall.longmode && x->u.hcall.result > UINT32_MAX)
		abort(); /* a 32-bit guest gets a 32-bit result */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* On the stack: its pages stay mapped, where a fresh heap table would fault in each time.
	 */
	struct fixture fixture, *f = &fixture;
	size_t ncalls, ram_off;

	if (size < HEADER)
		return 0;
	ncalls = (size_t)(data[17] % 8) + 1;
	if (size < HEADER + ncalls * CALL_BYTES)
		return 0;
	log_set_level(LOG_ERROR);
	memset(f, 0, sizeof(*f));
	if (setup(f))
		abort();
	f->mmu.present = get_u64(data);
	f->mmu.writable = get_u64(data + 8);
	f->mmu.gfn_xor = data[16];
	fake_kvm_set_mmu(&f->mmu);
	ram_off = HEADER + ncalls * CALL_BYTES;
	memcpy(f->vm.mem.base, data + ram_off,
	       size - ram_off < (size_t)RAM_PAGES * PAGE ? size - ram_off
							 : (size_t)RAM_PAGES * PAGE);
	for (size_t i = 0; i < ncalls; i++)
		one_call(f, data + HEADER + i * CALL_BYTES);
	fake_kvm_set_mmu(NULL);
	teardown(f);
	return 0;
}
