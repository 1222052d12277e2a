/* SPDX-License-Identifier: MIT */
#include "core/vm.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Where KVM puts its real-mode TSS and identity page table (Intel only; unused RAM hole). */
#define KVM_TSS_GPA	     0xFFFBD000ULL
#define KVM_IDENTITY_MAP_GPA 0xFFFBC000ULL
#define PAGE_SIZE_4K	     4096ULL

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	static const char *const names[] = {
	    [VM_RUNNING] = "running",	 [VM_STOP_POWEROFF] = "poweroff",
	    [VM_STOP_REBOOT] = "reboot", [VM_STOP_CRASH] = "crash",
	    [VM_STOP_ERROR] = "error",	 [VM_STOP_HOST] = "host request",
	};

	return (unsigned)reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

/* Point a slot at [gpa, gpa+size) of host memory hva; size 0 deletes the slot. */
static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
		    uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

static int map_ram_slots(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];
		int slot = memslot_alloc(&vm->slots);
		int err =
		    slot < 0 ? slot : set_slot(vm, (uint32_t)slot, r->gpa, r->size, r->hva, 0);

		if (err) {
			pr_err("guest RAM at 0x%llx: no KVM memory slot: %s",
			       (unsigned long long)r->gpa, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int create_irqchip_and_pit(struct vm *vm)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){KVM_IDENTITY_MAP_GPA}) < 0) {
		pr_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -errno;
	}
	/* PIC, I/O APIC and local APICs live in the kernel: interrupts never leave KVM. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		pr_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		pr_err("KVM_CREATE_PIT2: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static unsigned memslot_limit(int kvm_fd)
{
	int n = kvm_check_cap(kvm_fd, KVM_CAP_NR_MEMSLOTS);

	/* Every KVM offers at least 32 slots. */
	return n > 0 ? (unsigned)n : 32;
}

static int check_limits(struct vm *vm, const struct vm_params *p)
{
	int max_vcpus = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS);

	if (max_vcpus <= 0)
		max_vcpus = kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_VCPUS);
	if (max_vcpus <= 0)
		max_vcpus = 1;
	if (p->nr_vcpus == 0 || p->nr_vcpus > (unsigned)max_vcpus) {
		pr_err("vcpus = %u: this host's KVM supports 1 to %d", p->nr_vcpus, max_vcpus);
		return -EINVAL;
	}
	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_IRQCHIP) ||
	    !kvm_check_cap(vm->kvm_fd, KVM_CAP_USER_MEMORY)) {
		pr_err("this KVM lacks the in-kernel irqchip or user memory");
		return -ENOTSUP;
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vm_params *p)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->stop_fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_mutex_init(&vm->overlay_lock, NULL);
	io_bus_init(&vm->pio, "pio");
	io_bus_init(&vm->mmio, "mmio");

	vm->kvm_fd = kvm_open(p->kvm_path ? p->kvm_path : "/dev/kvm");
	if (vm->kvm_fd < 0)
		return vm->kvm_fd;
	r = check_limits(vm, p);
	if (r)
		goto fail;
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->stop_fd < 0 || vm->vm_fd < 0 || vm->vcpu_mmap_size <= 0) {
		r = -errno;
		pr_err("creating the KVM VM: %s", strerror(errno));
		goto fail;
	}
	vm->supported_cpuid = kvm_get_supported_cpuid(vm->kvm_fd);
	if (!vm->supported_cpuid) {
		r = -ENOTSUP;
		goto fail;
	}
	memslot_map_init(&vm->slots, memslot_limit(vm->kvm_fd));
	r = guest_memory_map_layout(&vm->mem, p->ram_bytes, &p->layout);
	if (r) {
		pr_err("cannot map %llu MiB of guest RAM: %s",
		       (unsigned long long)(p->ram_bytes >> 20), strerror(-r));
		goto fail;
	}
	r = map_ram_slots(vm);
	if (!r)
		r = create_irqchip_and_pit(vm);
	if (r)
		goto fail;
	vm->nr_vcpus = p->nr_vcpus;
	vm->vcpus = calloc(p->nr_vcpus, sizeof(struct vcpu *));
	if (!vm->vcpus) {
		r = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	vm_destroy(vm);
	return r;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	free(vm->supported_cpuid);
	vm->supported_cpuid = NULL;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	guest_memory_unmap(&vm->mem);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	for (unsigned i = 0; i < vm->nr_overlays; i++)
		munmap(vm->overlays[i].hva, vm->overlays[i].size);
	vm->nr_overlays = 0;
	pthread_mutex_destroy(&vm->overlay_lock);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_cond_destroy(&vm->pause_cond);
	vm->vm_fd = vm->kvm_fd = vm->stop_fd = -1;
}

static bool overlaps_guest_space(struct vm *vm, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return true;
	}
	for (unsigned i = 0; i < vm->nr_overlays; i++) {
		const struct vm_overlay *o = &vm->overlays[i];

		if (gpa < o->gpa + o->size && o->gpa < gpa + size)
			return true;
	}
	return false;
}

static bool placement_ok(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return size && !(gpa & (PAGE_SIZE_4K - 1)) && !(size & (PAGE_SIZE_4K - 1)) &&
	       gpa + size > gpa && !overlaps_guest_space(vm, gpa, size);
}

/* Give mem (size bytes, already filled) its own slot at gpa.  Under overlay_lock. */
static int add_overlay_slot(struct vm *vm, uint64_t gpa, uint64_t size, uint8_t *mem, bool readonly)
{
	int slot, r;

	if (!placement_ok(vm, gpa, size))
		return -EINVAL;
	if (vm->nr_overlays == VM_MAX_OVERLAYS)
		return -ENOSPC;
	slot = memslot_alloc(&vm->slots);
	if (slot < 0)
		return slot;
	r = set_slot(vm, (uint32_t)slot, gpa, size, mem, readonly ? KVM_MEM_READONLY : 0);
	if (r) {
		memslot_free(&vm->slots, (unsigned)slot);
		return r;
	}
	vm->overlays[vm->nr_overlays++] = (struct vm_overlay){
	    .gpa = gpa, .size = size, .hva = mem, .slot = (uint32_t)slot, .readonly = readonly};
	return 0;
}

void *vm_map_overlay(struct vm *vm, uint64_t gpa, uint64_t size, int *err)
{
	uint8_t *mem = MAP_FAILED;
	int r = -EINVAL;

	/* Checked again under the lock; this keeps a bad size from reaching mmap. */
	if (size && !(size & (PAGE_SIZE_4K - 1))) {
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		r = mem == MAP_FAILED ? -errno : 0;
	}
	if (!r) {
		pthread_mutex_lock(&vm->overlay_lock);
		r = add_overlay_slot(vm, gpa, size, mem, false);
		pthread_mutex_unlock(&vm->overlay_lock);
		if (r)
			munmap(mem, size);
	}
	if (err)
		*err = r;
	return r ? NULL : mem;
}

/*
 * Guest writes to a ROM exit as MMIO; they change nothing.  Reads never
 * exit while the slot is there; one racing vm_unmap_overlay sees all
 * ones rather than memory about to be unmapped.
 */
static void rom_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0xff, len);
}

/* A read-only host copy of data, padded to whole pages with 0xff. */
static uint8_t *rom_copy(const void *data, uint64_t size, uint64_t map_size)
{
	uint8_t *mem =
	    mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	memcpy(mem, data, size);
	memset(mem + size, 0xff, map_size - size);
	if (mprotect(mem, map_size, PROT_READ) < 0) {
		munmap(mem, map_size);
		return NULL;
	}
	return mem;
}

static int add_rom(struct vm *vm, uint64_t gpa, uint8_t *mem, uint64_t map_size)
{
	int r = io_bus_register(&vm->mmio, gpa, map_size, rom_access, mem, "rom");

	if (r)
		return r;
	pthread_mutex_lock(&vm->overlay_lock);
	r = add_overlay_slot(vm, gpa, map_size, mem, true);
	pthread_mutex_unlock(&vm->overlay_lock);
	if (r)
		io_bus_unregister(&vm->mmio, gpa, mem);
	return r;
}

const void *vm_map_rom(struct vm *vm, uint64_t gpa, const void *data, uint64_t size, int *err)
{
	uint64_t map_size = ALIGN_UP(size, PAGE_SIZE_4K);
	uint8_t *mem = NULL;
	int r = 0;

	if (kvm_check_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM) <= 0)
		r = -ENOTSUP;
	else if (!size || map_size < size)
		r = -EINVAL;
	if (!r) {
		mem = rom_copy(data, size, map_size);
		r = mem ? add_rom(vm, gpa, mem, map_size) : -ENOMEM;
	}
	if (r && mem) {
		munmap(mem, map_size);
		mem = NULL;
	}
	if (err)
		*err = r;
	return mem;
}

int vm_unmap_overlay(struct vm *vm, uint64_t gpa)
{
	struct vm_overlay o = {0};
	int r = -ENOENT;

	pthread_mutex_lock(&vm->overlay_lock);
	for (unsigned i = 0; i < vm->nr_overlays; i++) {
		if (vm->overlays[i].gpa != gpa)
			continue;
		o = vm->overlays[i];
		vm->overlays[i] = vm->overlays[--vm->nr_overlays];
		r = set_slot(vm, o.slot, gpa, 0, NULL, 0);
		memslot_free(&vm->slots, o.slot);
		break;
	}
	pthread_mutex_unlock(&vm->overlay_lock);
	if (r == -ENOENT)
		return r;
	if (r)
		pr_warn("removing the memory slot at 0x%llx: %s", (unsigned long long)gpa,
			strerror(-r));
	if (o.readonly)
		io_bus_unregister(&vm->mmio, gpa, o.hva);
	munmap(o.hva, o.size);
	return 0;
}

void *vm_overlay_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	void *hva = NULL;

	pthread_mutex_lock(&vm->overlay_lock);
	for (unsigned i = 0; i < vm->nr_overlays && !hva; i++) {
		const struct vm_overlay *o = &vm->overlays[i];

		/* A ROM's host copy is read-only: Xen's callers write what they find. */
		if (!o->readonly && gpa >= o->gpa && len <= o->size &&
		    gpa - o->gpa <= o->size - len)
			hva = o->hva + (gpa - o->gpa);
	}
	pthread_mutex_unlock(&vm->overlay_lock);
	return hva;
}

void vm_set_personality(struct vm *vm, const struct vm_personality *p, void *opaque)
{
	vm->personality = p;
	vm->personality_opaque = p ? opaque : NULL;
}

void *vm_personality_opaque(const struct vm *vm, const struct vm_personality *p)
{
	return p && vm->personality == p ? vm->personality_opaque : NULL;
}

int vm_set_irq_line(struct vm *vm, unsigned gsi, bool level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = level};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
		pr_warn_once("KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
		return -errno;
	}
	return 0;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, const char *fmt, ...)
{
	bool first;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	first = vm->stop_reason == VM_RUNNING;
	if (first) {
		vm->stop_reason = reason;
		va_start(ap, fmt);
		vsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	if (!first)
		return;
	if (vm->stop_fd >= 0 && write(vm->stop_fd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		pr_warn("stop eventfd: %s", strerror(errno));
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i]);
}

void vm_set_paused(struct vm *vm, bool paused)
{
	pthread_mutex_lock(&vm->stop_lock);
	vm->paused = paused;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	/* A vCPU inside KVM_RUN only sees the flag once kicked out of the guest. */
	for (unsigned i = 0; paused && vm->vcpus && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i]);
}

bool vm_is_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->stop_lock);
	paused = vm->paused;
	pthread_mutex_unlock(&vm->stop_lock);
	return paused;
}

void vm_wait_while_paused(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->paused && vm->stop_reason == VM_RUNNING)
		pthread_cond_wait(&vm->pause_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
}

enum vm_stop_reason vm_stop_reason(struct vm *vm)
{
	enum vm_stop_reason r;

	pthread_mutex_lock(&vm->stop_lock);
	r = vm->stop_reason;
	pthread_mutex_unlock(&vm->stop_lock);
	return r;
}
