/* SPDX-License-Identifier: MIT */
#include "arch/x86/pvh.h"
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

static int load_kernel(struct vm *vm, const char *path, struct elf_kernel *k)
{
	struct kernel_image ki;
	const char *why = NULL;
	int r = kernel_image_open(&ki, path, KERNEL_IMAGE_MAX);

	if (r)
		return r;
	r = elf_parse(ki.elf, ki.elf_size, ELF_BOOT_PVH, k, &why);
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
 * Where a module of size bytes goes: as high as possible below *top (the end
 * of low RAM for the first), above the kernel; *top moves below it for the
 * next.  -E2BIG (logged) when it does not fit.
 */
static int place_module(const struct guest_memory *mem, const struct pvh_module *m,
			uint64_t kernel_end, size_t size, uint64_t *top, uint64_t *gpa)
{
	uint64_t floor = ALIGN_UP(MAX(kernel_end, E820_HIGH_MEM_GPA), PAGE_SIZE);

	if (!*top)
		*top = ALIGN_DOWN(guest_low_ram_end(mem), PAGE_SIZE);
	if (*top < floor || *top - floor < size) {
		pr_err("%s '%s' (%zu KiB) does not fit in guest RAM between the kernel and "
		       "%llu MiB: increase memory",
		       m->what, m->path, size >> 10, (unsigned long long)(*top >> 20));
		return -E2BIG;
	}
	*gpa = ALIGN_DOWN(*top - size, PAGE_SIZE);
	*top = *gpa;
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

static int load_module(struct vm *vm, const struct pvh_module *m, uint64_t kernel_end,
		       uint64_t *top, struct hvm_modlist_entry *mod)
{
	struct file_buf fb;
	uint64_t gpa;
	int r = file_buf_open(&fb, m->path, (size_t)vm->mem.size, m->what);

	if (r) {
		if (r == -EFBIG)
			pr_err("%s '%s' does not fit in memory = %llu MiB", m->what, m->path,
			       (unsigned long long)(vm->mem.size >> 20));
		return r;
	}
	r = place_module(&vm->mem, m, kernel_end, fb.size, top, &gpa);
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

/* A NUL-terminated command line at gpa, after the length check. */
static int write_string(struct vm *vm, uint64_t gpa, const char *text)
{
	long len = check_cmdline(text);

	if (len < 0)
		return (int)len;
	return guest_write(&vm->mem, gpa, text ? text : "", (uint64_t)len + 1);
}

/* The kernel parses, has a PVH entry, and lies in RAM of the given layout. */
static int preflight_kernel(const char *path, const struct guest_memory *layout,
			    struct elf_kernel *k)
{
	struct kernel_image ki;
	const char *why = NULL;
	int r = kernel_image_open(&ki, path, KERNEL_IMAGE_MAX);

	if (r)
		return r;
	r = elf_parse(ki.elf, ki.elf_size, ELF_BOOT_PVH, k, &why);
	if (r)
		pr_err("kernel '%s' (%s): %s", path, ki.format, why);
	kernel_image_close(&ki);
	if (!r && (k->load_end > guest_low_ram_end(layout) || k->load_start < E820_HIGH_MEM_GPA)) {
		pr_err("kernel '%s' is loaded at 0x%llx-0x%llx: memory = %llu MiB is too small",
		       path, (unsigned long long)k->load_start, (unsigned long long)k->load_end,
		       (unsigned long long)(layout->size >> 20));
		r = -E2BIG;
	}
	return r;
}

static int check_modules(const struct pvh_image *img)
{
	if (img->nr_modules > PVH_MAX_MODULES)
		return -E2BIG;
	for (unsigned i = 1; i < img->nr_modules; i++) {
		if (img->modules[i].cmdline) {
			pr_err("%s '%s': only the first module takes a command line",
			       img->modules[i].what, img->modules[i].path);
			return -EINVAL;
		}
	}
	return img->nr_modules && check_cmdline(img->modules[0].cmdline) < 0 ? -E2BIG : 0;
}

int pvh_preflight(const struct pvh_image *img, uint64_t ram_bytes)
{
	struct guest_memory layout;
	struct elf_kernel k;
	uint64_t top = 0, gpa;
	int r;

	guest_memory_layout(&layout, ram_bytes);
	r = preflight_kernel(img->kernel_path, &layout, &k);
	if (!r && check_cmdline(img->cmdline) < 0)
		r = -E2BIG;
	if (!r)
		r = check_modules(img);
	for (unsigned i = 0; !r && i < img->nr_modules; i++) {
		struct file_buf fb;

		r = file_buf_open(&fb, img->modules[i].path, SIZE_MAX, img->modules[i].what);
		if (r)
			break;
		r = place_module(&layout, &img->modules[i], k.load_end, fb.size, &top, &gpa);
		file_buf_close(&fb);
	}
	return r;
}

/* Load the modules from the top of low RAM down, with the first one's command line. */
static int load_modules(struct vm *vm, const struct pvh_image *img, uint64_t kernel_end,
			struct hvm_start_info *si)
{
	struct hvm_modlist_entry mods[PVH_MAX_MODULES] = {{0}};
	uint64_t top = 0;
	int r = check_modules(img);

	for (unsigned i = 0; !r && i < img->nr_modules; i++)
		r = load_module(vm, &img->modules[i], kernel_end, &top, &mods[i]);
	if (!r && img->nr_modules && img->modules[0].cmdline) {
		mods[0].cmdline_paddr = PVH_MODULE_CMDLINE_GPA;
		r = write_string(vm, PVH_MODULE_CMDLINE_GPA, img->modules[0].cmdline);
	}
	if (r || !img->nr_modules)
		return r;
	si->nr_modules = img->nr_modules;
	si->modlist_paddr = PVH_MODLIST_GPA;
	return guest_write(&vm->mem, PVH_MODLIST_GPA, mods, img->nr_modules * sizeof(mods[0]));
}

int pvh_load(struct vm *vm, const struct pvh_image *img, struct pvh_entry *entry)
{
	struct hvm_start_info si = {
	    .magic = XEN_HVM_START_MAGIC_VALUE,
	    .version = 1,
	};
	struct elf_kernel k;
	int r;

	r = load_kernel(vm, img->kernel_path, &k);
	if (!r)
		r = load_modules(vm, img, k.load_end, &si);
	if (!r) {
		si.cmdline_paddr = PVH_CMDLINE_GPA;
		r = write_string(vm, PVH_CMDLINE_GPA, img->cmdline);
	}
	if (!r)
		r = write_memmap(vm, &si);
	si.rsdp_paddr = img->rsdp_gpa;
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
