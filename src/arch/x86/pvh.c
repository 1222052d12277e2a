/* SPDX-License-Identifier: MIT */
#include "arch/x86/pvh.h"
#include "arch/x86/acpi.h"
#include "arch/x86/e820.h"
#include "arch/x86/elf.h"
#include "arch/x86/kernel_image.h"
#include "core/vm.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#define PAGE_SIZE 4096ULL
/* A kernel file, or the ELF inside it, larger than this is not one we can boot. */
#define KERNEL_FILE_MAX (512 * MIB)

static int load_kernel(struct vm *vm, const char *path, struct elf_kernel *k)
{
	struct kernel_image ki;
	const char *why = NULL;
	int r = kernel_image_open(&ki, path, KERNEL_FILE_MAX);

	if (r)
		return r;
	r = elf_parse(ki.elf, ki.elf_size, k, &why);
	if (r) {
		pr_err("kernel '%s' (%s): %s", path, ki.format, why);
		goto out;
	}
	if (k->phys32_entry > UINT32_MAX) {
		pr_err("kernel '%s': PVH entry 0x%llx is above 4 GiB", path,
		       (unsigned long long)k->phys32_entry);
		r = -EINVAL;
		goto out;
	}
	r = elf_load(ki.elf, ki.elf_size, &vm->mem);
	if (r) {
		pr_err("kernel '%s' is loaded at 0x%llx-0x%llx, which is not all guest RAM: "
		       "memory = %llu MiB is too small",
		       path, (unsigned long long)k->load_start, (unsigned long long)k->load_end,
		       (unsigned long long)(vm->mem.size >> 20));
		r = -E2BIG;
	}
out:
	kernel_image_close(&ki);
	return r;
}

/*
 * Where an initrd of size bytes goes: as high as possible in low RAM, above
 * the kernel.  -E2BIG (logged) when it does not fit.
 */
static int place_initrd(const struct guest_memory *mem, const char *path, uint64_t kernel_end,
			size_t size, uint64_t *gpa)
{
	uint64_t top = ALIGN_DOWN(guest_low_ram_end(mem), PAGE_SIZE);
	uint64_t floor = ALIGN_UP(MAX(kernel_end, E820_HIGH_MEM_GPA), PAGE_SIZE);

	if (top < floor || top - floor < size) {
		pr_err("ramdisk '%s' (%zu KiB) does not fit in guest RAM between the kernel "
		       "and %llu MiB: increase memory",
		       path, size >> 10, (unsigned long long)(top >> 20));
		return -E2BIG;
	}
	*gpa = ALIGN_DOWN(top - size, PAGE_SIZE);
	return 0;
}

/* Linux's limit on the command line.  Returns its length, or -E2BIG (logged). */
static long check_cmdline(const char *cmdline)
{
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (len >= PVH_CMDLINE_MAX) {
		pr_err("cmdline is %zu bytes; Linux accepts at most %d", len, PVH_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	return (long)len;
}

static int load_initrd(struct vm *vm, const char *path, uint64_t kernel_end,
		       struct hvm_modlist_entry *mod)
{
	struct file_buf fb;
	uint64_t gpa;
	int r = file_buf_open(&fb, path, (size_t)vm->mem.size, "ramdisk");

	if (r) {
		if (r == -EFBIG)
			pr_err("ramdisk '%s' does not fit in memory = %llu MiB", path,
			       (unsigned long long)(vm->mem.size >> 20));
		return r;
	}
	r = place_initrd(&vm->mem, path, kernel_end, fb.size, &gpa);
	if (!r)
		r = guest_write(&vm->mem, gpa, fb.data, fb.size);
	*mod = (struct hvm_modlist_entry){.paddr = gpa, .size = fb.size};
	file_buf_close(&fb);
	return r;
}

static int write_memmap(struct vm *vm, struct hvm_start_info *si)
{
	struct e820_entry e820[E820_MAX_ENTRIES];
	unsigned n = e820_build(&vm->mem, e820);

	for (unsigned i = 0; i < n; i++) {
		struct hvm_memmap_table_entry m = {
		    .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};

		if (guest_write(&vm->mem, PVH_MEMMAP_GPA + i * sizeof(m), &m, sizeof(m)))
			return -EFAULT;
	}
	si->memmap_paddr = PVH_MEMMAP_GPA;
	si->memmap_entries = n;
	return 0;
}

static int write_cmdline(struct vm *vm, const char *cmdline, struct hvm_start_info *si)
{
	long len = check_cmdline(cmdline);

	if (len < 0)
		return (int)len;
	si->cmdline_paddr = PVH_CMDLINE_GPA;
	return guest_write(&vm->mem, PVH_CMDLINE_GPA, cmdline ? cmdline : "", (uint64_t)len + 1);
}

static int write_acpi(struct vm *vm, struct hvm_start_info *si)
{
	struct acpi_config cfg = {.nr_vcpus = vm->nr_vcpus, .ioapic_id = vm->nr_vcpus};
	uint8_t *buf = gpa_to_hva(&vm->mem, ACPI_TABLES_GPA, ACPI_TABLES_SIZE);
	long used;

	if (!buf)
		return -EFAULT;
	used = acpi_build_tables(buf, ACPI_TABLES_SIZE, ACPI_TABLES_GPA, &cfg);
	if (used < 0) {
		pr_err("building ACPI tables: %s", strerror((int)-used));
		return (int)used;
	}
	si->rsdp_paddr = ACPI_TABLES_GPA;
	return 0;
}

int pvh_preflight(const struct pvh_image *img, uint64_t ram_bytes)
{
	struct guest_memory layout;
	struct kernel_image ki;
	struct file_buf fb;
	struct elf_kernel k;
	const char *why = NULL;
	uint64_t initrd_gpa;
	int r = kernel_image_open(&ki, img->kernel_path, KERNEL_FILE_MAX);

	if (r)
		return r;
	guest_memory_layout(&layout, ram_bytes);
	r = elf_parse(ki.elf, ki.elf_size, &k, &why);
	if (r)
		pr_err("kernel '%s' (%s): %s", img->kernel_path, ki.format, why);
	kernel_image_close(&ki);
	if (r)
		return r;
	if (k.load_end > guest_low_ram_end(&layout) || k.load_start < E820_HIGH_MEM_GPA) {
		pr_err("kernel '%s' is loaded at 0x%llx-0x%llx: memory = %llu MiB is too small",
		       img->kernel_path, (unsigned long long)k.load_start,
		       (unsigned long long)k.load_end, (unsigned long long)(ram_bytes >> 20));
		return -E2BIG;
	}
	if (check_cmdline(img->cmdline) < 0)
		return -E2BIG;
	if (img->initrd_path) {
		r = file_buf_open(&fb, img->initrd_path, SIZE_MAX, "ramdisk");
		if (r)
			return r;
		r = place_initrd(&layout, img->initrd_path, k.load_end, fb.size, &initrd_gpa);
		file_buf_close(&fb);
	}
	return r;
}

int pvh_load(struct vm *vm, const struct pvh_image *img, struct pvh_entry *entry)
{
	struct hvm_start_info si = {
	    .magic = XEN_HVM_START_MAGIC_VALUE,
	    .version = 1,
	};
	struct hvm_modlist_entry mod;
	struct elf_kernel k;
	int r;

	r = load_kernel(vm, img->kernel_path, &k);
	if (r)
		return r;
	if (img->initrd_path) {
		r = load_initrd(vm, img->initrd_path, k.load_end, &mod);
		if (r)
			return r;
		if (guest_write(&vm->mem, PVH_MODLIST_GPA, &mod, sizeof(mod)))
			return -EFAULT;
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST_GPA;
	}
	r = write_cmdline(vm, img->cmdline, &si);
	if (!r)
		r = write_memmap(vm, &si);
	if (!r)
		r = write_acpi(vm, &si);
	if (!r)
		r = guest_write(&vm->mem, PVH_START_INFO_GPA, &si, sizeof(si));
	if (r)
		return r;
	entry->entry = (uint32_t)k.phys32_entry;
	entry->start_info = PVH_START_INFO_GPA;
	return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	*s = (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = 1,
	    .s = 1,
	    .l = 0,
	    .g = 1,
	};
}

int pvh_set_boot_regs(int vcpu_fd, const struct pvh_entry *entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
	    .rip = entry->entry, .rbx = entry->start_info, .rflags = 0x2, /* bit 1 is always set */
	};

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	flat_segment(&sregs.cs, 0x10, 0xb); /* execute/read, accessed */
	flat_segment(&sregs.ds, 0x18, 0x3); /* read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	/* A valid busy 32-bit TSS: VMX refuses entry without one. */
	sregs.tr = (struct kvm_segment){.limit = 0x67, .type = 0xb, .present = 1, .selector = 0x20};
	sregs.cr0 = 0x11; /* PE | ET: protected mode, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:
	pr_err("setting PVH entry registers: %s", strerror(errno));
	return -errno;
}
