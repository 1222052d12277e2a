/* SPDX-License-Identifier: MIT */
/*
 * xentest's first instructions and its interrupt entry points.
 *
 * The VMM enters pvh_start in 32-bit flat protected mode with paging off and
 * %ebx = the physical address of struct hvm_start_info.  We clear .bss, turn
 * on long mode with an identity map of the low 4 GiB (2 MiB pages, so the
 * Xen special pages at 0xFEFF8000 and the local APIC are reachable), and call
 * xentest_main(start_info) on our own stack.
 *
 * Every one of the 256 IDT vectors gets a stub here that pushes a uniform
 * frame (struct irq_frame in xentest.h) and calls interrupt_dispatch().
 */
#include <xen/elfnote.h>

#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)

#define SEL_CODE64	0x08
#define SEL_DATA	0x10

#define PTE_PRESENT	0x001
#define PTE_WRITE	0x002
#define PTE_LARGE	0x080

#define STACK_SIZE	(64 * 1024)

/* The note xkvm's (and QEMU's) PVH loader looks for: the 32-bit entry point. */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f		/* namesz */
	.long 4f - 3f		/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.p2align 2
3:	.long pvh_start
4:	.p2align 2

	.section .text.entry, "ax", @progbits
	.code32
	.global pvh_start
pvh_start:
	cli
	cld
	mov	%ebx, %esi		/* keep start_info; rep stos below uses edi/ecx/eax */

	/* Loaders normally zero .bss, but nothing here may depend on it. */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	lgdt	gdt_desc

	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0		/* EFER.LMA is set now: compatibility mode */
	ljmp	$SEL_CODE64, $long_mode

	.code64
long_mode:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	lea	stack_top(%rip), %rsp
	xor	%ebp, %ebp
	mov	%esi, %edi		/* zero-extends: start_info is below 4 GiB */
	call	xentest_main
	/* xentest_main powers off and never returns; never run on regardless. */
1:	cli
	hlt
	jmp	1b

/*
 * int wrmsr_safe(uint32_t msr, uint64_t value): 0, or -1 if WRMSR faulted.
 * A #GP on wrmsr_safe_insn is turned into a jump to wrmsr_safe_fixup by
 * interrupt_dispatch(), so probing an MSR the VMM may not provide is safe.
 */
	.text
	.global wrmsr_safe, wrmsr_safe_insn, wrmsr_safe_fixup
wrmsr_safe:
	mov	%edi, %ecx
	mov	%esi, %eax
	mov	%rsi, %rdx
	shr	$32, %rdx
wrmsr_safe_insn:
	wrmsr
	xor	%eax, %eax
	ret
wrmsr_safe_fixup:
	mov	$-1, %eax
	ret

/*
 * Interrupt stubs, one per vector, each IRQ_STUB_SIZE bytes apart so that
 * idt_init() can compute their addresses.  Vectors that come with a CPU
 * error code push only their number; the others push a zero first so every
 * frame looks the same.
 */
#define IRQ_STUB_SIZE 16

	.p2align 4
	.global irq_stubs
irq_stubs:
	.set vec, 0
	.rept 256
	.set stub_start, .
	.if (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30) == 0
	push	$0
	.endif
	push	$vec
	jmp	irq_common
	/* Pad to the fixed size; the assembler refuses if a stub got too big. */
	.org	stub_start + IRQ_STUB_SIZE, 0xcc
	.set vec, vec + 1
	.endr

irq_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	/* The CPU 16-byte aligns the frame; 7 + 15 pushes keep that for the call. */
	cld
	call	interrupt_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq

	.data
	.p2align 3
gdt:
	.quad	0				/* null */
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff		/* 0x10: flat data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

/* Identity map of 0-4 GiB: one PML4 entry, four PDPT entries, 2048 2 MiB pages. */
	.p2align 12
pml4:
	.quad	pdpt + PTE_PRESENT + PTE_WRITE
	.fill	511, 8, 0
pdpt:
	.quad	pd + 0x0000 + PTE_PRESENT + PTE_WRITE
	.quad	pd + 0x1000 + PTE_PRESENT + PTE_WRITE
	.quad	pd + 0x2000 + PTE_PRESENT + PTE_WRITE
	.quad	pd + 0x3000 + PTE_PRESENT + PTE_WRITE
	.fill	508, 8, 0
pd:
	.set addr, 0
	.rept 2048
	.quad	addr + PTE_PRESENT + PTE_WRITE + PTE_LARGE
	.set addr, addr + 0x200000
	.endr

	.bss
	.p2align 4
stack:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
