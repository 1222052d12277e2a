/* SPDX-License-Identifier: MIT */
/*
 * xkvm-ioperf FILE_OR_DEV SIZE_MIB [RAND_OPS [RAND_SECONDS]]
 *
 * Block I/O throughput of a file or block device, with O_DIRECT so that
 * the page cache of whoever runs it does not weigh:
 *   seq-write   1 MiB writes over the first SIZE_MIB MiB, then fdatasync
 *   seq-read    1 MiB reads of the same range
 *   rand-write  4 KiB writes at random 4 KiB-aligned offsets, then fdatasync
 *   rand-read   4 KiB reads at random 4 KiB-aligned offsets
 * The random tests stop after RAND_OPS operations (default 20000) or
 * RAND_SECONDS seconds (default 10), whichever comes first; their offsets
 * come from a fixed seed, so every run and every VMM sees the same ones.
 * Each test prints one line, "ioperf: <test> <value> <MB/s or IOPS>",
 * where MB is 10^6 bytes.  The fdatasync after writes is part of the time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "ioperf"
#include "bench_tool.h"

#define SEQ_BLOCK  (1024 * 1024)
#define RAND_BLOCK 4096
#define ALIGN	   4096
#define SEED	   0x9e3779b97f4a7c15ULL

/* xorshift64*: small, fast and good enough to spread offsets. */
static uint64_t next_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* One full-size transfer at off; short transfers are errors (O_DIRECT needs whole blocks). */
static void xfer(int fd, int wr, char *buf, size_t len, off_t off)
{
	ssize_t n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	if (n < 0)
		die(wr ? "pwrite" : "pread");
	if ((size_t)n != len) {
		fprintf(stderr, "ioperf: short %s at %jd: %zd of %zu bytes\n",
			wr ? "write" : "read", (intmax_t)off, n, len);
		exit(1);
	}
}

static void seq(int fd, int wr, char *buf, uint64_t size)
{
	double t0 = now(), dt;

	for (uint64_t off = 0; off < size; off += SEQ_BLOCK)
		xfer(fd, wr, buf, SEQ_BLOCK, (off_t)off);
	if (wr && fdatasync(fd))
		die("fdatasync");
	dt = now() - t0;
	printf("ioperf: seq-%s %.1f MB/s\n", wr ? "write" : "read", (double)size / 1e6 / dt);
	fflush(stdout);
}

static void rnd(int fd, int wr, char *buf, uint64_t size, long ops, double seconds)
{
	uint64_t state = SEED, blocks = size / RAND_BLOCK;
	double t0 = now(), dt;
	long done;

	for (done = 0; done < ops; done++) {
		/* Look at the clock only every 64 operations: it is not free in a guest. */
		if (done % 64 == 0 && now() - t0 > seconds)
			break;
		xfer(fd, wr, buf, RAND_BLOCK, (off_t)(next_rand(&state) % blocks * RAND_BLOCK));
	}
	if (wr && fdatasync(fd))
		die("fdatasync");
	dt = now() - t0;
	printf("ioperf: rand-%s %.0f IOPS\n", wr ? "write" : "read", (double)done / dt);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t size, state = SEED;
	long ops = 20000;
	double seconds = 10;
	char *buf;
	int fd;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s FILE_OR_DEV SIZE_MIB [RAND_OPS [RAND_SECONDS]]\n",
			argv[0]);
		return 2;
	}
	size = strtoull(argv[2], NULL, 10) * 1024 * 1024;
	if (argc > 3)
		ops = strtol(argv[3], NULL, 10);
	if (argc > 4)
		seconds = strtod(argv[4], NULL);
	if (size == 0 || ops <= 0 || seconds <= 0) {
		fprintf(stderr, "ioperf: SIZE_MIB, RAND_OPS and RAND_SECONDS must be positive\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		die(argv[1]);
	buf = aligned_alloc(ALIGN, SEQ_BLOCK);
	if (!buf)
		die("aligned_alloc");
	/* Data that no layer can compress or recognise as zeroes. */
	for (size_t i = 0; i < SEQ_BLOCK; i += 8) {
		uint64_t v = next_rand(&state);

		memcpy(buf + i, &v, 8);
	}

	seq(fd, 1, buf, size);
	seq(fd, 0, buf, size);
	rnd(fd, 1, buf, size, ops, seconds);
	rnd(fd, 0, buf, size, ops, seconds);
	close(fd);
	free(buf);
	return 0;
}
