/* SPDX-License-Identifier: MIT */
/*
 * struct vm: memory slots, overlays and read-only ROMs against the real
 * KVM (skipped where there is no /dev/kvm: run it in the test host,
 * `xkvm testhost run -- build/vm_test`), and the personality hook.
 */
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/test.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The HVM machine's shape: a gap for the VGA window and BIOS area, a ROM at 0xE0000. */
#define ROM_GPA	 0xE0000ULL
#define ROM_SIZE (128 * KIB)

static const struct vm_params params = {
    .ram_bytes = 64 * MIB,
    .nr_vcpus = 1,
    .layout = {.hole_start = 0xE0000000ULL, .gap_start = 0xA0000, .gap_end = 0x100000},
};

static int setup(void **state)
{
	static struct vm vm;

	if (access("/dev/kvm", R_OK | W_OK) || vm_create(&vm, &params))
		return 0; /* *state stays NULL: the tests skip */
	*state = &vm;
	return 0;
}

static int teardown(void **state)
{
	if (*state)
		vm_destroy(*state);
	return 0;
}

static struct vm *get_vm(void **state)
{
	if (!*state)
		skip();
	return *state;
}

static void test_rom_maps_and_drops_writes(void **state)
{
	struct vm *vm = get_vm(state);
	static uint8_t image[ROM_SIZE - 100];
	uint8_t b[4] = {0x11, 0x22, 0x33, 0x44};
	const uint8_t *rom;
	int err = -1;

	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7);
	rom = vm_map_rom(vm, ROM_GPA, image, sizeof(image), &err);
	assert_int_equal(err, 0);
	assert_non_null(rom);
	assert_memory_equal(rom, image, sizeof(image));
	assert_int_equal(rom[ROM_SIZE - 1], 0xff); /* the padded tail */
	/* A write that exits as MMIO is claimed and changes nothing. */
	assert_true(io_bus_access(&vm->mmio, ROM_GPA + 8, b, 4, true));
	assert_memory_equal(rom + 8, image + 8, 4);
	/* Nothing may write into a ROM's host copy through the overlay lookup. */
	assert_null(vm_overlay_hva(vm, ROM_GPA, 1));
	assert_int_equal(vm_unmap_overlay(vm, ROM_GPA), 0);
	assert_false(io_bus_access(&vm->mmio, ROM_GPA + 8, b, 4, true));
	assert_int_equal(vm_unmap_overlay(vm, ROM_GPA), -ENOENT);
}

static void test_rom_placement_checked(void **state)
{
	struct vm *vm = get_vm(state);
	static const uint8_t image[8192];
	int err = 0;

	assert_null(vm_map_rom(vm, 0x1000, image, sizeof(image), &err)); /* on RAM */
	assert_int_equal(err, -EINVAL);
	assert_null(vm_map_rom(vm, ROM_GPA + 1, image, sizeof(image), &err)); /* unaligned */
	assert_int_equal(err, -EINVAL);
	assert_null(vm_map_rom(vm, ROM_GPA, image, 0, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(vm_map_rom(vm, ROM_GPA, image, UINT64_MAX, &err)); /* size wraps */
	assert_int_equal(err, -EINVAL);
	assert_non_null(vm_map_rom(vm, ROM_GPA, image, sizeof(image), &err));
	assert_null(vm_map_rom(vm, ROM_GPA + 4096, image, sizeof(image), &err)); /* overlaps */
	assert_int_equal(err, -EBUSY);
	assert_null(vm_map_overlay(vm, ROM_GPA, 4096, &err));
	assert_int_equal(err, -EINVAL);
	/* The failed attempts left nothing behind: the next range is free. */
	assert_non_null(vm_map_rom(vm, ROM_GPA + 8192, image, sizeof(image), &err));
	assert_int_equal(vm_unmap_overlay(vm, ROM_GPA), 0);
	assert_int_equal(vm_unmap_overlay(vm, ROM_GPA + 8192), 0);
	assert_int_equal(vm->nr_overlays, 0);
}

/* Slots come back on release: far more map/unmap cycles than KVM has slots. */
static void test_slots_recycled(void **state)
{
	struct vm *vm = get_vm(state);
	static const uint8_t image[4096];

	for (unsigned i = 0; i < 4 * MEMSLOT_MAX; i++) {
		int err = -1;

		if (i % 2)
			vm_map_rom(vm, 0xFFFC0000ULL, image, sizeof(image), &err);
		else
			vm_map_overlay(vm, 0xFFFC0000ULL, 4096, &err);
		assert_int_equal(err, 0);
		assert_int_equal(vm_unmap_overlay(vm, 0xFFFC0000ULL), 0);
	}
}

static int count_port_out;

static void port_out(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)offset;
	(void)len;
	if (is_write) {
		*(uint8_t *)opaque = data[0];
		count_port_out++;
	}
}

/* Real mode at 0x1000: copy ROM byte 0 over byte 1, read byte 1 back, out it to port 0x10. */
static const uint8_t guest_code[] = {
    0xB8, 0x00, 0xE0,	    /* mov ax, 0xE000 */
    0x8E, 0xD8,		    /* mov ds, ax */
    0xA0, 0x00, 0x00,	    /* mov al, [0] */
    0xA2, 0x01, 0x00,	    /* mov [1], al: a write to ROM */
    0x8A, 0x1E, 0x01, 0x00, /* mov bl, [1] */
    0x88, 0xD8,		    /* mov al, bl */
    0xE6, 0x10,		    /* out 0x10, al */
    0xF4,		    /* hlt */
};

static void start_real_mode(struct vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};

	assert_int_equal(ioctl(vcpu->fd, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	assert_int_equal(ioctl(vcpu->fd, KVM_SET_SREGS, &sregs), 0);
	assert_int_equal(ioctl(vcpu->fd, KVM_SET_REGS, &regs), 0);
}

/* A guest's write to ROM exits as MMIO, is dropped, and the ROM still reads as before. */
static void test_guest_cannot_write_rom(void **state)
{
	struct vm *vm = get_vm(state);
	static const uint8_t image[4096] = {0x5A, 0xA5};
	uint8_t seen = 0;
	unsigned rom_writes = 0;
	struct vcpu *vcpu;
	int err = -1;

	assert_non_null(vm_map_rom(vm, ROM_GPA, image, sizeof(image), &err));
	assert_int_equal(guest_write(&vm->mem, 0x1000, guest_code, sizeof(guest_code)), 0);
	assert_int_equal(io_bus_register(&vm->pio, 0x10, 1, port_out, &seen, "test"), 0);
	assert_int_equal(vcpu_create(vm, 0), 0);
	vcpu = vm->vcpus[0];
	start_real_mode(vcpu);
	for (int i = 0; i < 16 && !count_port_out; i++) {
		assert_int_equal(ioctl(vcpu->fd, KVM_RUN, 0), 0);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO && vcpu->run->mmio.is_write &&
		    vcpu->run->mmio.phys_addr == ROM_GPA + 1)
			rom_writes++;
		assert_true(vcpu_handle_exit(vcpu));
	}
	assert_int_equal(count_port_out, 1);
	assert_int_equal(rom_writes, 1);
	assert_int_equal(seen, 0xA5);
	assert_int_equal(vm_unmap_overlay(vm, ROM_GPA), 0);
}

/* What a personality's exit handler saw. */
struct seen_exit {
	void *opaque;
	struct vcpu *vcpu;
	int calls;
};

static bool record_exit(void *opaque, struct vcpu *vcpu)
{
	struct seen_exit *seen = opaque;

	seen->opaque = opaque;
	seen->vcpu = vcpu;
	seen->calls++;
	return true;
}

static const struct vm_personality recorder = {.name = "test", .handle_exit = record_exit};
static const struct vm_personality other = {.name = "other"};

/* Exits core does not know reach the attached personality, and only those. */
static void test_personality_gets_unknown_exits(void **state)
{
	struct vm vm = {.stop_fd = -1};
	struct kvm_run run = {.exit_reason = KVM_EXIT_XEN};
	struct vcpu v = {.vm = &vm, .run = &run};
	struct seen_exit seen = {0};

	(void)state;
	pthread_mutex_init(&vm.stop_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	vm_set_personality(&vm, &recorder, &seen);
	assert_ptr_equal(vm_personality_opaque(&vm, &recorder), &seen);
	assert_null(vm_personality_opaque(&vm, &other));
	assert_true(vcpu_handle_exit(&v));
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.opaque, &seen);
	assert_ptr_equal(seen.vcpu, &v);
	run.exit_reason = KVM_EXIT_INTR;
	assert_true(vcpu_handle_exit(&v));
	assert_int_equal(seen.calls, 1);
	assert_int_equal(vm_stop_reason(&vm), VM_RUNNING);
	/* Detached: the same exit stops the VM with an error. */
	vm_set_personality(&vm, NULL, &seen);
	assert_null(vm_personality_opaque(&vm, &recorder));
	run.exit_reason = KVM_EXIT_XEN;
	assert_false(vcpu_handle_exit(&v));
	assert_int_equal(seen.calls, 1);
	assert_int_equal(vm_stop_reason(&vm), VM_STOP_ERROR);
	pthread_cond_destroy(&vm.pause_cond);
	pthread_mutex_destroy(&vm.stop_lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rom_maps_and_drops_writes),
	    cmocka_unit_test(test_rom_placement_checked),
	    cmocka_unit_test(test_slots_recycled),
	    cmocka_unit_test(test_guest_cannot_write_rom),
	    cmocka_unit_test(test_personality_gets_unknown_exits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
