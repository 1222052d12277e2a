/* SPDX-License-Identifier: MIT */
/*
 * Writes tiny PVH "kernels" for integration tests: a 32-bit ELF with a Xen
 * PHYS32_ENTRY note and a few bytes of code at 1 MiB.
 *
 *   tiny-pvh triple-fault OUT   ud2 with no IDT: #UD, then #DF, then a triple fault
 *   tiny-pvh poweroff OUT       writes S5 to the ACPI PM1a control port
 *   tiny-pvh idle OUT           halts with interrupts off, for ever: a guest that
 *                               runs (at no CPU cost) until it is destroyed
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <xen/elfnote.h>

#define LOAD_ADDR 0x100000

static const unsigned char code_triple_fault[] = {
    0x0f, 0x0b, /* ud2 */
};

/* mov $0x604,%dx; mov $(5<<10 | 1<<13),%ax; out %ax,(%dx); hlt */
static const unsigned char code_poweroff[] = {
    0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x34, 0x66, 0xef, 0xf4,
};

/* cli; 1: hlt; jmp 1b */
static const unsigned char code_idle[] = {
    0xfa,
    0xf4,
    0xeb,
    0xfd,
};

struct note {
	Elf32_Nhdr hdr;
	char name[4];
	uint32_t entry;
};

int main(int argc, char **argv)
{
	const unsigned char *code;
	size_t code_len;
	Elf32_Ehdr eh = {0};
	Elf32_Phdr ph[2] = {{0}};
	struct note note = {{4, 4, XEN_ELFNOTE_PHYS32_ENTRY}, "Xen", LOAD_ADDR};
	size_t code_off = sizeof(eh) + sizeof(ph) + sizeof(note);
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: tiny-pvh triple-fault|poweroff|idle OUT\n");
		return 2;
	}
	if (strcmp(argv[1], "triple-fault") == 0) {
		code = code_triple_fault;
		code_len = sizeof(code_triple_fault);
	} else if (strcmp(argv[1], "poweroff") == 0) {
		code = code_poweroff;
		code_len = sizeof(code_poweroff);
	} else if (strcmp(argv[1], "idle") == 0) {
		code = code_idle;
		code_len = sizeof(code_idle);
	} else {
		fprintf(stderr, "tiny-pvh: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_entry = LOAD_ADDR;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = 2;
	ph[0] = (Elf32_Phdr){.p_type = PT_NOTE,
			     .p_offset = sizeof(eh) + sizeof(ph),
			     .p_filesz = sizeof(note),
			     .p_align = 4};
	ph[1] = (Elf32_Phdr){.p_type = PT_LOAD,
			     .p_offset = (Elf32_Off)code_off,
			     .p_vaddr = LOAD_ADDR,
			     .p_paddr = LOAD_ADDR,
			     .p_filesz = (Elf32_Word)code_len,
			     .p_memsz = (Elf32_Word)code_len,
			     .p_flags = PF_R | PF_X,
			     .p_align = 1};
	f = fopen(argv[2], "wb");
	if (!f || fwrite(&eh, sizeof(eh), 1, f) != 1 || fwrite(ph, sizeof(ph), 1, f) != 1 ||
	    fwrite(&note, sizeof(note), 1, f) != 1 || fwrite(code, code_len, 1, f) != 1 ||
	    fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
