/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the blkback request path.  The input is the guest's
 * side of the device:
 *
 *   byte  0             bit 0: read-only disk, bit 1: discard offered,
 *                       bit 2: completions reaped newest first,
 *                       bit 3: persistent grants (kept across requests)
 *   bytes [1, 257)      grant table entries 0..31 (the rest of frame 0 is zero)
 *   bytes [257, 4353)   the shared ring page (indexes, then requests)
 *   bytes [4353, ...)   gfns 2 and 3: segment lists for BLKIF_OP_INDIRECT
 *                       requests whose indirect grefs grant them (or data)
 *
 * over 16 pages of guest RAM (gfn 0 ring, gfn 1 grant table, the rest
 * data) and a 512-sector memfd image, room for the largest indirect
 * request.  Grants may point anywhere, the ring page included.
 * The I/O engine is the inline one: every operation runs when it is
 * queued, so a run is deterministic, while completions still come back
 * through the engine (in submission order or reversed), exercising the
 * same request slots, flush draining and responses as io_uring does.
 * Everything is rebuilt for each input.  Inputs that reach the indirect
 * pages are longer than libFuzzer's default 4096 bytes; the longer seeds
 * in tests/fuzz/corpus/blkback (fuzz_make_corpus) raise its -max_len.
 */
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "core/memory.h"
#include "devices/xen_blkback.h"
#include "lib/log.h"
#include "xen/gnttab.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE	      4096
#define RAM_PAGES     16
#define RING_GFN      0ULL
#define TABLE_GFN     1ULL
#define INDIRECT_GFN  2ULL
#define NR_INDIRECT   2
#define IMAGE_SECTORS 512
#define GRANT_BYTES   (32 * sizeof(grant_entry_v1_t))
/* Each call serves at most a ring's worth; a hostile ring can keep asking for more. */
#define MAX_ROUNDS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void copy_in(void *dst, const uint8_t *data, size_t size, size_t off, size_t len)
{
	if (size > off)
		memcpy(dst, data + off, size - off < len ? size - off : len);
}

/* The guest's pages from the input, then the request path over them. */
static void serve(struct guest_memory *mem, struct gnttab *gt, struct disk_image *img,
		  struct disk_aio *aio, const uint8_t *data, size_t size)
{
	struct blkback_queue q;
	void *ring = gpa_to_hva(mem, RING_GFN * PAGE, PAGE);
	uint8_t opts = size ? data[0] : 0;
	bool more = true;

	copy_in(gpa_to_hva(mem, TABLE_GFN * PAGE, PAGE), data, size, 1, GRANT_BYTES);
	copy_in(ring, data, size, 1 + GRANT_BYTES, PAGE);
	copy_in(gpa_to_hva(mem, INDIRECT_GFN * PAGE, NR_INDIRECT * PAGE), data, size,
		1 + GRANT_BYTES + PAGE, NR_INDIRECT * PAGE);
	if (blkback_queue_init(&q, &ring, 1, gt, img, aio,
			       (opts & 2 ? BLKBACK_DISCARD : 0) |
				   (opts & 8 ? BLKBACK_PERSISTENT : 0)))
		abort();
	for (int i = 0; i < MAX_ROUNDS && more && !q.broken; i++)
		blkback_queue_process(&q, &more);
	blkback_queue_destroy(&q);
	/* Nothing may be left in flight once the queue is gone. */
	if (disk_aio_pending(aio))
		abort();
}

static void run(struct guest_memory *mem, struct disk_image *img, const uint8_t *data, size_t size)
{
	struct gnttab gt;
	struct disk_aio *aio;
	uint8_t opts = size ? data[0] : 0;
	struct disk_aio_options opt = {
	    .kind = DISK_AIO_INLINE, .depth = BLKBACK_RING_SLOTS, .inline_reverse = opts & 4};

	gnttab_init(&gt, mem);
	img->readonly = opts & 1;
	if (disk_aio_create(&aio, img, &opt))
		abort();
	if (gnttab_set_frame(&gt, 0, TABLE_GFN) == 0)
		serve(mem, &gt, img, aio, data, size);
	disk_aio_destroy(aio);
	gnttab_destroy(&gt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_memory mem;
	struct disk_image img;
	int fd;

	/* Bad requests are logged at debug level; keep the fuzzer's output readable. */
	log_set_level(LOG_ERROR);
	if (guest_memory_map(&mem, (uint64_t)RAM_PAGES * PAGE))
		abort();
	fd = memfd_create("fuzz-blkback", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)IMAGE_SECTORS * BLKBACK_SECTOR_SIZE) ||
	    disk_image_from_fd(&img, fd, "fuzz-blkback", false))
		abort();
	run(&mem, &img, data, size);
	disk_image_close(&img);
	guest_memory_unmap(&mem);
	return 0;
}
