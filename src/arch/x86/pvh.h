/* SPDX-License-Identifier: MIT */
/*
 * The PVH boot protocol: an ELF kernel entered at its PHYS32 entry in
 * 32-bit flat protected mode, paging off, with %ebx pointing at an
 * hvm_start_info (version 1) that carries the command line, modules
 * (Linux's initrd; for Xen's PV shim, the PV kernel with its command line
 * and its initrd), the memory map and the RSDP.
 */
#ifndef XKVM_ARCH_X86_PVH_H
#define XKVM_ARCH_X86_PVH_H

#include <stdint.h>

struct vm;

/* Where the boot data goes: one page below the legacy area, inside RAM Linux reserves. */
#define PVH_START_INFO_GPA 0x6000ULL
#define PVH_MODLIST_GPA	   0x6040ULL
#define PVH_MEMMAP_GPA	   0x6100ULL
#define PVH_CMDLINE_GPA	   0x7000ULL
/* Linux on x86 accepts a command line of at most 2048 bytes including the NUL. */
#define PVH_CMDLINE_MAX 2048
/* The first module's command line shares the page, after the kernel's. */
#define PVH_MODULE_CMDLINE_GPA (PVH_CMDLINE_GPA + PVH_CMDLINE_MAX)
#define PVH_MAX_MODULES	       2
/*
 * Where a PVH machine may keep its ACPI tables: the BIOS area, which a PVH
 * guest (no firmware) never has, and which e820.c reports reserved, so the
 * kernel neither allocates it nor loads anything there (kernels and
 * modules go above 1 MiB).  Linux finds the RSDP through hvm_start_info.
 */
#define PVH_ACPI_GPA  0xE0000ULL
#define PVH_ACPI_SIZE 0x10000ULL

struct pvh_module {
	const char *what; /* "ramdisk", "kernel": for messages */
	const char *path;
	const char *cmdline; /* NULL: none; only the first module may have one */
};

struct pvh_image {
	const char *kernel_path;
	const char *cmdline; /* NULL: empty */
	unsigned nr_modules;
	struct pvh_module modules[PVH_MAX_MODULES];
	uint64_t rsdp_gpa; /* where the machine put the ACPI RSDP; 0: none */
};

struct pvh_entry {
	uint32_t entry;	     /* guest-physical entry point */
	uint32_t start_info; /* value for %ebx */
};

/*
 * Check, without a VM, that the image can boot in ram_bytes of memory:
 * the kernel is an ELF with a PVH entry that fits, the modules fit above
 * it, the command lines are not too long.  Errors are logged; 0 or -errno.
 */
int pvh_preflight(const struct pvh_image *img, uint64_t ram_bytes);

/*
 * Load the kernel and modules into the VM's memory and write the boot data
 * (hvm_start_info, memory map, command lines; the RSDP address the
 * machine chose).  Errors are logged with the offending file and a hint;
 * returns 0 or -errno.
 */
int pvh_load(struct vm *vm, const struct pvh_image *img, struct pvh_entry *entry);
/* Put the boot vCPU in the PVH entry state. */
int pvh_set_boot_regs(int vcpu_fd, const struct pvh_entry *entry);

#endif
