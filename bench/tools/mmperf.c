/* SPDX-License-Identifier: MIT */
/*
 * xkvm-mmperf [FORKS [FAULT_MIB [ROUNDS [PINGS]]]]
 *
 * What a guest pays for memory management and for entering its kernel,
 * the costs that separate Xen's modes (a PV kernel's page-table updates
 * go through the hypervisor, which audits each; PVH and HVM guests own
 * their page tables under nested paging):
 *   fork-exec   FORKS times fork, exec this program (which exits at once)
 *               and wait: a new address space built and torn down each time
 *   page-fault-first  map FAULT_MIB MiB of anonymous memory, write one
 *               byte per 4 KiB page (a fault each) and unmap it, once:
 *               pages the guest never used before also cost the host
 *               backing them (a nested page fault, the host zeroing its
 *               page), and how much RAM the boot already used differs by
 *               mode (firmware and a decompressor touch more of it)
 *   page-fault  the same ROUNDS times more, on RAM the first round warmed:
 *               the guest kernel's own fault path
 *   pipe-pingpong  PINGS one-byte round trips between two processes over
 *               two pipes: system calls and context switches
 * Defaults: 300 forks, 64 MiB, 4 rounds, 20000 round trips.  Each test
 * prints a line, "mmperf: <test> <value> <us or ns>", the mean cost of
 * one operation (microseconds for fork-exec and a round trip, nanoseconds
 * for one page fault).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "mmperf"
#include "bench_tool.h"

#define PAGE 4096

static long arg_or(int argc, char **argv, int i, long def)
{
	long v = i < argc ? strtol(argv[i], NULL, 0) : def;

	if (v <= 0) {
		fprintf(stderr, "mmperf: argument %d must be a positive number\n", i);
		exit(2);
	}
	return v;
}

static void fork_exec(long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execl("/proc/self/exe", "xkvm-mmperf", "--exit", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "mmperf: the exec'd child failed\n");
			exit(1);
		}
	}
	printf("mmperf: fork-exec %.1f us\n", (now() - t0) * 1e6 / (double)n);
}

/* Map len bytes, fault in each page, unmap them: the seconds it took. */
static double fault_round(size_t len)
{
	double t0 = now();
	volatile char *p =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
	munmap((void *)p, len);
	return now() - t0;
}

static void page_faults(long mib, long rounds)
{
	size_t len = (size_t)mib << 20;
	double pages = (double)len / PAGE;
	double first = fault_round(len), warm = 0;

	for (long r = 0; r < rounds; r++)
		warm += fault_round(len);
	printf("mmperf: page-fault-first %.0f ns\n", first * 1e9 / pages);
	printf("mmperf: page-fault %.0f ns\n", warm * 1e9 / ((double)rounds * pages));
}

static void pingpong(long n)
{
	int to_child[2], to_parent[2];
	char c = 0;
	double t0;
	pid_t pid;

	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Only the parent's write end may stay open, or the last read never ends. */
		close(to_child[1]);
		close(to_parent[0]);
		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	t0 = now();
	for (long i = 0; i < n; i++)
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
			die("ping-pong");
	printf("mmperf: pipe-pingpong %.2f us\n", (now() - t0) * 1e6 / (double)n);
	close(to_child[1]);
	close(to_parent[0]);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fork_exec(arg_or(argc, argv, 1, 300));
	page_faults(arg_or(argc, argv, 2, 64), arg_or(argc, argv, 3, 4));
	pingpong(arg_or(argc, argv, 4, 20000));
	return 0;
}
