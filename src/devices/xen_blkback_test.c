/* SPDX-License-Identifier: MIT */
/*
 * The blkback request path against a real image file, a fake guest RAM
 * with a grant table in it, and a ring page driven from the front end.
 */
#include "devices/xen_blkback.h"
#include "block/disk_aio.h"
#include "block/disk_image.h"
#include "core/memory.h"
#include "core/vm.h"
#include "lib/test.h"
#include "lib/util.h"
#include "xen/domain.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE     (256 * KIB)
#define TABLE_GFN    1ULL
#define RING_GFN     2ULL
#define DATA_GFN     8ULL /* data page i is gfn DATA_GFN + i, granted by ref DATA_REF + i */
#define DATA_REF     8
#define NR_DATA	     16
#define RO_REF	     40	   /* read-only grants of the same pages */
#define RING_REF     60	   /* grants the ring page itself */
#define IND_GFN	     30ULL /* indirect page i is gfn IND_GFN + i, granted by ref IND_REF + i */
#define IND_REF	     56
#define NR_IND	     2
#define IND_RO_REF   58 /* a read-only grant of indirect page 0 */
#define SEGS_PER_IND (4096 / sizeof(struct blkif_request_segment))
#define DISK_SECTORS 2048
#define SECT	     512UL
#define DISK_BYTES   (DISK_SECTORS * SECT)

struct fixture {
	struct guest_memory mem;
	struct gnttab gt;
	blkif_front_ring_t front;
	struct blkback_queue q;
	struct disk_image img;
	struct disk_aio *aio;
	struct disk_aio_options opt;
	int fd;	       /* img.fd */
	uint8_t *disk; /* what the image held at setup */
	/*
	 * A multi-page ring's frontend view (see setup_multi): the front ring
	 * lives in front_buf, copied to and from the scattered guest pages
	 * around each pass of the backend.
	 */
	uint8_t *front_buf;
	void *ring_page[BLKBACK_MAX_RING_PAGES];
};

static uint8_t pattern(uint64_t byte)
{
	return (uint8_t)((byte >> 9) * 37 + (byte & 511) * 13 + 1);
}

static grant_entry_v1_t *table(struct fixture *f)
{
	return gpa_to_hva(&f->mem, TABLE_GFN * 4096, 4096);
}

static uint8_t *data_page(struct fixture *f, unsigned i)
{
	return gpa_to_hva(&f->mem, (DATA_GFN + i) * 4096ULL, 4096);
}

static void grant(struct fixture *f, grant_ref_t ref, uint16_t flags, uint32_t gfn)
{
	table(f)[ref] = (grant_entry_v1_t){.flags = flags, .domid = 0, .frame = gfn};
}

/* The request path over an engine of this kind (reaping newest first when reverse). */
static int setup_engine(void **state, enum disk_aio_kind kind, bool reverse)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/xkvm-blkback-test-XXXXXX";
	blkif_sring_t *sring;

	if (!f || guest_memory_map(&f->mem, RAM_SIZE))
		return -1;
	gnttab_init(&f->gt, &f->mem);
	if (gnttab_set_frame(&f->gt, 0, TABLE_GFN))
		return -1;
	for (unsigned i = 0; i < NR_DATA; i++) {
		grant(f, DATA_REF + i, GTF_permit_access, DATA_GFN + i);
		grant(f, RO_REF + i, GTF_permit_access | GTF_readonly, DATA_GFN + i);
	}
	grant(f, RING_REF, GTF_permit_access, RING_GFN);
	for (unsigned i = 0; i < NR_IND; i++)
		grant(f, IND_REF + i, GTF_permit_access, IND_GFN + i);
	grant(f, IND_RO_REF, GTF_permit_access | GTF_readonly, IND_GFN);

	f->disk = malloc(DISK_BYTES);
	f->fd = mkstemp(path);
	if (!f->disk || f->fd < 0)
		return -1;
	unlink(path);
	for (uint64_t i = 0; i < DISK_BYTES; i++)
		f->disk[i] = pattern(i);
	if (write_all(f->fd, f->disk, DISK_BYTES) ||
	    disk_image_from_fd(&f->img, f->fd, path, false))
		return -1;

	f->opt = (struct disk_aio_options){
	    .kind = kind, .depth = BLKBACK_MAX_RING_SLOTS, .inline_reverse = reverse};
	if (disk_aio_create(&f->aio, &f->img, &f->opt))
		return -1;
	sring = gpa_to_hva(&f->mem, RING_GFN * 4096, 4096);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&f->front, sring, 4096);
	*state = f;
	return blkback_queue_init(&f->q, (void *[]){sring}, 1, &f->gt, &f->img, f->aio,
				  BLKBACK_DISCARD);
}

/* The inline engine: each call of the request path does all its I/O, deterministically. */
static int setup(void **state)
{
	return setup_engine(state, DISK_AIO_INLINE, false);
}

static int setup_uring(void **state)
{
	return setup_engine(state, DISK_AIO_URING, false);
}

static int setup_pool(void **state)
{
	return setup_engine(state, DISK_AIO_POOL, false);
}

static int setup_reverse(void **state)
{
	return setup_engine(state, DISK_AIO_INLINE, true);
}

/* Persistent grants negotiated: data and indirect grants stay mapped. */
static int setup_persistent(void **state)
{
	struct fixture *f;

	if (setup_engine(state, DISK_AIO_INLINE, false))
		return -1;
	f = *state;
	blkback_queue_destroy(&f->q);
	return blkback_queue_init(&f->q, (void *[]){f->front.sring}, 1, &f->gt, &f->img, f->aio,
				  BLKBACK_DISCARD | BLKBACK_PERSISTENT);
}

/*
 * The largest ring, its pages granted at gfns out of order, as a guest
 * may place them: entries straddle pages that are not neighbours in the
 * backend's memory.  The test's frontend works on a contiguous copy
 * (front_buf), synced with the pages around each backend pass.
 */
#define MULTI_GFN(i) (47ULL - (i)*3 % 8) /* 47, 44, 41, 46, 43, 40, 45, 42 */
static int setup_multi_engine(void **state, enum disk_aio_kind kind)
{
	const size_t bytes = (size_t)BLKBACK_MAX_RING_PAGES * 4096;
	struct fixture *f;

	if (setup_engine(state, kind, false))
		return -1;
	f = *state;
	blkback_queue_destroy(&f->q);
	f->front_buf = aligned_alloc(4096, bytes);
	if (!f->front_buf)
		return -1;
	for (unsigned i = 0; i < BLKBACK_MAX_RING_PAGES; i++)
		f->ring_page[i] = gpa_to_hva(&f->mem, MULTI_GFN(i) * 4096, 4096);
	SHARED_RING_INIT((blkif_sring_t *)f->front_buf);
	FRONT_RING_INIT(&f->front, (blkif_sring_t *)f->front_buf, bytes);
	return blkback_queue_init(&f->q, f->ring_page, BLKBACK_MAX_RING_PAGES, &f->gt, &f->img,
				  f->aio, BLKBACK_DISCARD);
}

static int setup_multi_uring(void **state)
{
	return setup_multi_engine(state, DISK_AIO_URING);
}

static int setup_multi_pool(void **state)
{
	return setup_multi_engine(state, DISK_AIO_POOL);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->front_buf);
	blkback_queue_destroy(&f->q);
	disk_aio_destroy(f->aio);
	disk_image_close(&f->img);
	free(f->disk);
	gnttab_destroy(&f->gt);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}

static blkif_request_t *new_request(struct fixture *f, uint8_t op, uint64_t id, uint64_t sector)
{
	blkif_request_t *r = RING_GET_REQUEST(&f->front, f->front.req_prod_pvt);

	f->front.req_prod_pvt++;
	memset(r, 0, sizeof(*r));
	r->operation = op;
	r->id = id;
	r->sector_number = sector;
	r->handle = 51712;
	return r;
}

static void add_seg(blkif_request_t *r, grant_ref_t ref, uint8_t first, uint8_t last)
{
	r->seg[r->nr_segments++] =
	    (struct blkif_request_segment){.gref = ref, .first_sect = first, .last_sect = last};
}

/* Publish what was queued, run the backend, and return the one response expected. */
static blkif_response_t run_one(struct fixture *f)
{
	blkif_response_t rsp;
	bool more = true;

	RING_PUSH_REQUESTS(&f->front);
	assert_true(blkback_queue_process(&f->q, &more));
	assert_false(more);
	assert_false(f->q.broken);
	assert_int_equal(f->front.sring->rsp_prod, f->front.rsp_cons + 1);
	rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons);
	f->front.rsp_cons++;
	/* As a frontend does, ask to be notified of the next response. */
	f->front.sring->rsp_event = f->front.rsp_cons + 1;
	return rsp;
}

static int16_t status_of(struct fixture *f, uint64_t id)
{
	blkif_response_t rsp = run_one(f);

	assert_int_equal(rsp.id, id);
	return rsp.status;
}

static void assert_disk_untouched(struct fixture *f)
{
	uint8_t *now = malloc(DISK_BYTES);

	assert_non_null(now);
	assert_int_equal(pread(f->fd, now, DISK_BYTES, 0), DISK_BYTES);
	assert_memory_equal(now, f->disk, DISK_BYTES);
	free(now);
}

/* No grant may be left marked in use once a request is answered. */
static void assert_grants_released(struct fixture *f)
{
	for (unsigned ref = 0; ref < 64; ref++)
		assert_int_equal(table(f)[ref].flags & (GTF_reading | GTF_writing), 0);
}

static void test_read(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 77, 3);
	blkif_response_t rsp;

	add_seg(r, DATA_REF, 0, 7);
	rsp = run_one(f);
	assert_int_equal(rsp.id, 77);
	assert_int_equal(rsp.operation, BLKIF_OP_READ);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 3 * SECT, 4096);
	assert_grants_released(f);
}

static void test_write_read_back(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;
	uint8_t buf[4 * SECT];

	for (unsigned i = 0; i < 4096; i++)
		data_page(f, 1)[i] = (uint8_t)(i * 7 + 3);
	r = new_request(f, BLKIF_OP_WRITE, 1, 100);
	add_seg(r, DATA_REF + 1, 2, 5);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->fd, buf, sizeof(buf), 100 * SECT), sizeof(buf));
	assert_memory_equal(buf, data_page(f, 1) + 2 * SECT, sizeof(buf));
	/* The neighbours are untouched. */
	assert_int_equal(pread(f->fd, buf, 512, 99 * SECT), 512);
	assert_memory_equal(buf, f->disk + 99 * SECT, 512);
	assert_int_equal(pread(f->fd, buf, 512, 104 * SECT), 512);
	assert_memory_equal(buf, f->disk + 104 * SECT, 512);

	/* Read it back into another page. */
	memset(data_page(f, 2), 0, 4096);
	r = new_request(f, BLKIF_OP_READ, 2, 100);
	add_seg(r, DATA_REF + 2, 4, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 2) + 4 * SECT, data_page(f, 1) + 2 * SECT, 4 * SECT);
	assert_int_equal(data_page(f, 2)[4 * SECT - 1], 0);
	assert_grants_released(f);
}

static void test_multi_segment(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 5, 500);
	uint64_t off = 500 * SECT;

	add_seg(r, DATA_REF + 3, 0, 7); /* 8 sectors */
	add_seg(r, DATA_REF + 4, 6, 7); /* 2 */
	add_seg(r, DATA_REF + 5, 3, 3); /* 1 */
	for (unsigned i = 3; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		add_seg(r, DATA_REF + 6, 0, 0); /* 8 more, the same sector of one page */
	assert_int_equal(r->nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	assert_int_equal(status_of(f, 5), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 3), f->disk + off, 4096);
	assert_memory_equal(data_page(f, 4) + 6 * SECT, f->disk + off + 8 * SECT, 1024);
	assert_memory_equal(data_page(f, 5) + 3 * SECT, f->disk + off + 10 * SECT, 512);
	/* The last of the repeated segments wins. */
	assert_memory_equal(data_page(f, 6), f->disk + off + 18 * SECT, 512);

	/* Write the three pieces elsewhere, in one request; check the file layout. */
	r = new_request(f, BLKIF_OP_WRITE, 6, 1000);
	add_seg(r, DATA_REF + 3, 0, 7);
	add_seg(r, DATA_REF + 4, 6, 7);
	add_seg(r, DATA_REF + 5, 3, 3);
	assert_int_equal(status_of(f, 6), BLKIF_RSP_OKAY);
	memcpy(f->disk + 1000 * SECT, f->disk + off, 11 * SECT);
	assert_disk_untouched(f);
	assert_grants_released(f);
}

static void test_out_of_range(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	r = new_request(f, BLKIF_OP_WRITE, 1, DISK_SECTORS - 1);
	add_seg(r, DATA_REF, 0, 1);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 2, UINT64_MAX - 3);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_READ, 3, DISK_SECTORS);
	add_seg(r, DATA_REF, 0, 0);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_ERROR);
	/* The very last sector is fine. */
	r = new_request(f, BLKIF_OP_WRITE, 4, DISK_SECTORS - 1);
	add_seg(r, DATA_REF, 7, 7);
	assert_int_equal(status_of(f, 4), BLKIF_RSP_OKAY);
	memcpy(f->disk + (DISK_SECTORS - 1) * SECT, data_page(f, 0) + 7 * SECT, 512);
	assert_disk_untouched(f);
	assert_grants_released(f);
}

static void test_bad_gref(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	r = new_request(f, BLKIF_OP_WRITE, 1, 0);
	add_seg(r, 500, 0, 7); /* never granted */
	assert_int_equal(status_of(f, 1), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 2, 0);
	add_seg(r, 0xFFFFFFFF, 0, 7); /* beyond the table */
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	/* The first segment maps, the second does not: the first is released again. */
	r = new_request(f, BLKIF_OP_WRITE, 3, 0);
	add_seg(r, DATA_REF, 0, 7);
	add_seg(r, 501, 0, 7);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_ERROR);
	/* A read needs write access to the guest page. */
	r = new_request(f, BLKIF_OP_READ, 4, 0);
	add_seg(r, RO_REF, 0, 7);
	assert_int_equal(status_of(f, 4), BLKIF_RSP_ERROR);
	/* A grant to a frame outside RAM. */
	grant(f, 30, GTF_permit_access, RAM_SIZE / 4096 + 5);
	r = new_request(f, BLKIF_OP_WRITE, 5, 0);
	add_seg(r, 30, 0, 7);
	assert_int_equal(status_of(f, 5), BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
	assert_grants_released(f);
	/* A write only reads guest memory, so a read-only grant will do. */
	r = new_request(f, BLKIF_OP_WRITE, 6, 0);
	add_seg(r, RO_REF, 0, 7);
	assert_int_equal(status_of(f, 6), BLKIF_RSP_OKAY);
}

static void test_bad_sectors(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	r = new_request(f, BLKIF_OP_WRITE, 1, 0);
	add_seg(r, DATA_REF, 5, 4);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 2, 0);
	add_seg(r, DATA_REF, 0, 8);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 3, 0);
	add_seg(r, DATA_REF, 0, 7);
	add_seg(r, DATA_REF + 1, 200, 255);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
}

static void test_bad_segment_count(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	new_request(f, BLKIF_OP_READ, 1, 0);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_ERROR);
	new_request(f, BLKIF_OP_WRITE, 2, 0);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 3, 0);
	for (unsigned i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		add_seg(r, DATA_REF, 0, 7);
	r->nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
	assert_int_equal(status_of(f, 3), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE, 4, 0);
	r->nr_segments = 255;
	assert_int_equal(status_of(f, 4), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 5, 0);
	r->nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
	assert_int_equal(status_of(f, 5), BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	f->img.readonly = true;
	r = new_request(f, BLKIF_OP_WRITE, 1, 0);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_WRITE_BARRIER, 2, 0);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_DISCARD, 3, 0);
	((blkif_request_discard_t *)r)->nr_sectors = 8;
	assert_int_not_equal(status_of(f, 3), BLKIF_RSP_OKAY);
	assert_disk_untouched(f);
	/* Reads and empty flushes still work. */
	r = new_request(f, BLKIF_OP_READ, 4, 0);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 4), BLKIF_RSP_OKAY);
	new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 5, 0);
	assert_int_equal(status_of(f, 5), BLKIF_RSP_OKAY);
	assert_grants_released(f);
}

static void test_flush(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;
	blkif_response_t rsp;

	new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 1, 0);
	rsp = run_one(f);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	assert_int_equal(rsp.operation, BLKIF_OP_FLUSH_DISKCACHE);
	new_request(f, BLKIF_OP_WRITE_BARRIER, 2, 0);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_OKAY);
	/* A barrier or flush with data (blkfront's FUA write) writes it. */
	memset(data_page(f, 0), 0x5A, 4096);
	r = new_request(f, BLKIF_OP_WRITE_BARRIER, 3, 10);
	add_seg(r, DATA_REF, 0, 0);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_OKAY);
	r = new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 4, 20);
	add_seg(r, DATA_REF, 0, 1);
	assert_int_equal(status_of(f, 4), BLKIF_RSP_OKAY);
	memset(f->disk + 10 * SECT, 0x5A, 512);
	memset(f->disk + 20 * SECT, 0x5A, 1024);
	assert_disk_untouched(f);
	/* ... with the same checks as a write. */
	r = new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 5, DISK_SECTORS);
	add_seg(r, DATA_REF, 0, 0);
	assert_int_equal(status_of(f, 5), BLKIF_RSP_ERROR);
	assert_grants_released(f);
}

static void test_discard(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;
	uint8_t buf[8192];
	off_t hole;

	r = new_request(f, BLKIF_OP_DISCARD, 1, 16);
	((blkif_request_discard_t *)r)->nr_sectors = 16;
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->fd, buf, sizeof(buf), 16 * SECT), sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* The filesystem really freed it (ext4, xfs, btrfs, tmpfs all keep 4 KiB holes). */
	hole = lseek(f->fd, 0, SEEK_HOLE);
	assert_int_equal(hole, 16 * SECT);
	memset(f->disk + 16 * SECT, 0, sizeof(buf));
	assert_int_equal(lseek(f->fd, 0, SEEK_END), DISK_BYTES);

	r = new_request(f, BLKIF_OP_DISCARD, 2, DISK_SECTORS - 8);
	((blkif_request_discard_t *)r)->nr_sectors = 9;
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	r = new_request(f, BLKIF_OP_DISCARD, 3, 8);
	((blkif_request_discard_t *)r)->nr_sectors = UINT64_MAX;
	assert_int_equal(status_of(f, 3), BLKIF_RSP_ERROR);
	f->q.discard = false;
	r = new_request(f, BLKIF_OP_DISCARD, 4, 0);
	((blkif_request_discard_t *)r)->nr_sectors = 8;
	assert_int_equal(status_of(f, 4), BLKIF_RSP_EOPNOTSUPP);
	assert_disk_untouched(f);
}

static void test_unknown_op(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;
	blkif_response_t rsp;

	r = new_request(f, 42, 0xDEADBEEFCAFEULL, 0);
	add_seg(r, DATA_REF, 0, 7);
	rsp = run_one(f);
	assert_int_equal(rsp.id, 0xDEADBEEFCAFEULL);
	assert_int_equal(rsp.operation, 42);
	assert_int_equal(rsp.status, BLKIF_RSP_EOPNOTSUPP);
	new_request(f, BLKIF_OP_RESERVED_1, 3, 0);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_EOPNOTSUPP);
	assert_disk_untouched(f);
	assert_grants_released(f);
}

static void test_corrupt_req_prod(void **state)
{
	struct fixture *f = *state;
	bool more = true;
	blkif_request_t *r;

	r = new_request(f, BLKIF_OP_WRITE, 1, 0);
	add_seg(r, DATA_REF, 0, 7);
	RING_PUSH_REQUESTS(&f->front);
	f->front.sring->req_prod += 1000;
	assert_false(blkback_queue_process(&f->q, &more));
	assert_false(more);
	assert_true(f->q.broken);
	assert_int_equal(f->front.sring->rsp_prod, 0);
	/* Putting the index right again does not revive the ring. */
	f->front.sring->req_prod = 1;
	assert_false(blkback_queue_process(&f->q, &more));
	assert_false(more);
	assert_int_equal(f->front.sring->rsp_prod, 0);
	assert_disk_untouched(f);
}

static void test_req_prod_just_in_range(void **state)
{
	struct fixture *f = *state;
	bool more = true;
	unsigned n = RING_SIZE(&f->front);

	/* A full ring of (empty) flushes is legal and all of it is answered at once. */
	for (unsigned i = 0; i < n; i++)
		new_request(f, BLKIF_OP_FLUSH_DISKCACHE, i, 0);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(blkback_queue_process(&f->q, &more));
	assert_false(more);
	assert_false(f->q.broken);
	assert_int_equal(f->front.sring->rsp_prod, n);
	for (unsigned i = 0; i < n; i++) {
		blkif_response_t *rsp = RING_GET_RESPONSE(&f->front, i);

		assert_int_equal(rsp->id, i);
		assert_int_equal(rsp->status, BLKIF_RSP_OKAY);
	}
	/* The backend re-armed req_event for the next request. */
	assert_int_equal(f->front.sring->req_event, n + 1);
	/* One past a full ring is corrupt. */
	f->front.sring->req_prod = 2 * n + 1;
	assert_false(blkback_queue_process(&f->q, &more));
	assert_true(f->q.broken);
}

static void test_notify_holdoff(void **state)
{
	struct fixture *f = *state;
	bool more;

	new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 1, 0);
	RING_PUSH_REQUESTS(&f->front);
	/* The frontend asked to hear of response 5 only: no notification yet. */
	f->front.sring->rsp_event = 5;
	assert_false(blkback_queue_process(&f->q, &more));
	assert_int_equal(f->front.sring->rsp_prod, 1);
	/* Nothing new: nothing to do, nothing to notify. */
	assert_false(blkback_queue_process(&f->q, &more));
	assert_false(more);
}

static void test_read_into_ring_page(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 1, 0);
	bool more;

	/* The guest grants the ring page as a data buffer: the read overwrites the ring. */
	add_seg(r, RING_REF, 0, 7);
	RING_PUSH_REQUESTS(&f->front);
	blkback_queue_process(&f->q, &more);
	for (int i = 0; i < 8 && more && !f->q.broken; i++)
		blkback_queue_process(&f->q, &more);
	/* Past the response slot the backend wrote, the page holds what was read. */
	assert_memory_equal(gpa_to_hva(&f->mem, RING_GFN * 4096 + 512, 512), f->disk + 512, 512);
	assert_grants_released(f);
}

static void test_short_image(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	/* The image shrank under us: reads past its end return zeros. */
	assert_int_equal(ftruncate(f->fd, 10 * SECT + 100), 0);
	memset(data_page(f, 0), 0xEE, 4096);
	r = new_request(f, BLKIF_OP_READ, 1, 8);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 8 * SECT, 2 * SECT + 100);
	for (unsigned i = 2 * SECT + 100; i < 4096; i++)
		assert_int_equal(data_page(f, 0)[i], 0);
}

/* ---- Indirect requests ---- */

static struct blkif_request_segment *indirect_page(struct fixture *f, unsigned i)
{
	return gpa_to_hva(&f->mem, (IND_GFN + i) * 4096ULL, 4096);
}

/* An indirect request over indirect pages IND_REF...; add_ind_seg fills in its segments. */
static blkif_request_indirect_t *new_indirect(struct fixture *f, uint8_t op, uint64_t id,
					      uint64_t sector)
{
	blkif_request_indirect_t *r =
	    (blkif_request_indirect_t *)RING_GET_REQUEST(&f->front, f->front.req_prod_pvt);

	f->front.req_prod_pvt++;
	memset(r, 0, sizeof(blkif_request_t));
	r->operation = BLKIF_OP_INDIRECT;
	r->indirect_op = op;
	r->id = id;
	r->sector_number = sector;
	r->handle = 51712;
	for (unsigned i = 0; i < NR_IND; i++)
		r->indirect_grefs[i] = IND_REF + i;
	return r;
}

static void add_ind_seg(struct fixture *f, blkif_request_indirect_t *r, grant_ref_t ref,
			uint8_t first, uint8_t last)
{
	unsigned i = r->nr_segments++;

	assert_true(i < NR_IND * SEGS_PER_IND);
	indirect_page(f, i / SEGS_PER_IND)[i % SEGS_PER_IND] =
	    (struct blkif_request_segment){.gref = ref, .first_sect = first, .last_sect = last};
}

/* n segments of 128 / n sectors each, over the data pages in order: 64 KiB in all. */
static blkif_request_indirect_t *indirect_rw(struct fixture *f, uint8_t op, uint64_t id,
					     uint64_t sector, unsigned n)
{
	blkif_request_indirect_t *r = new_indirect(f, op, id, sector);
	unsigned per = NR_DATA * 8 / n;

	for (unsigned i = 0; i < n; i++) {
		unsigned first = i * per % 8;

		add_ind_seg(f, r, DATA_REF + i * per / 8, first, first + per - 1);
	}
	return r;
}

static void assert_data_pages_hold(struct fixture *f, uint64_t sector)
{
	for (unsigned p = 0; p < NR_DATA; p++)
		assert_memory_equal(data_page(f, p), f->disk + sector * SECT + p * 4096ULL, 4096);
}

static void fill_data_pages(struct fixture *f, uint8_t seed)
{
	for (unsigned p = 0; p < NR_DATA; p++)
		for (unsigned i = 0; i < 4096; i++)
			data_page(f, p)[i] = (uint8_t)(i * 11 + p * 29 + seed);
}

static void test_indirect_read_write(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r;
	blkif_response_t rsp;

	/* 64 segments of 2 sectors: more than a direct request carries. */
	indirect_rw(f, BLKIF_OP_READ, 0x1234567890ULL, 1000, 64);
	rsp = run_one(f);
	assert_int_equal(rsp.id, 0x1234567890ULL);
	/* Linux blkfront wants the operation inside the indirect request back. */
	assert_int_equal(rsp.operation, BLKIF_OP_READ);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	assert_data_pages_hold(f, 1000);
	assert_grants_released(f);

	fill_data_pages(f, 1);
	r = indirect_rw(f, BLKIF_OP_WRITE, 7, 300, 64);
	/* The backend only reads the indirect page: a read-only grant of it will do. */
	r->indirect_grefs[0] = IND_RO_REF;
	rsp = run_one(f);
	assert_int_equal(rsp.id, 7);
	assert_int_equal(rsp.operation, BLKIF_OP_WRITE);
	assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	for (unsigned p = 0; p < NR_DATA; p++)
		memcpy(f->disk + 300 * SECT + p * 4096ULL, data_page(f, p), 4096);
	assert_disk_untouched(f);

	/* Read it back, 16 segments of a page each this time. */
	for (unsigned p = 0; p < NR_DATA; p++)
		memset(data_page(f, p), 0, 4096);
	indirect_rw(f, BLKIF_OP_READ, 8, 300, 16);
	assert_int_equal(status_of(f, 8), BLKIF_RSP_OKAY);
	assert_data_pages_hold(f, 300);
	assert_grants_released(f);
}

static void test_indirect_max(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r;
	const unsigned max = BLKBACK_MAX_INDIRECT_SEGMENTS;

	/* The advertised maximum, one sector each, over the 128 data sectors twice. */
	fill_data_pages(f, 2);
	r = new_indirect(f, BLKIF_OP_WRITE, 1, 700);
	for (unsigned i = 0; i < max; i++)
		add_ind_seg(f, r, DATA_REF + i / 8 % NR_DATA, i % 8, i % 8);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	for (unsigned i = 0; i < max; i++)
		memcpy(f->disk + (700 + i) * SECT, data_page(f, i / 8 % NR_DATA) + i % 8 * SECT,
		       SECT);
	assert_disk_untouched(f);

	/* Read back: the later segments land last. */
	r = new_indirect(f, BLKIF_OP_READ, 2, 10);
	for (unsigned i = 0; i < max; i++)
		add_ind_seg(f, r, DATA_REF + i / 8 % NR_DATA, i % 8, i % 8);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_OKAY);
	assert_data_pages_hold(f, 10 + max - NR_DATA * 8);

	/* One segment is a fine indirect request too; the unused grefs are not looked at. */
	r = new_indirect(f, BLKIF_OP_READ, 3, 40);
	add_ind_seg(f, r, DATA_REF, 0, 7);
	for (unsigned i = 1; i < NR_IND; i++)
		r->indirect_grefs[i] = 0xFFFFFFFF;
	assert_int_equal(status_of(f, 3), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 40 * SECT, 4096);
	assert_grants_released(f);
}

/*
 * Publish the request just queued, then a good one-segment indirect read;
 * both are answered in one pass: the first with `want`, the second OKAY.
 */
static void assert_rejected(struct fixture *f, uint64_t id, int16_t want)
{
	blkif_request_indirect_t *good = new_indirect(f, BLKIF_OP_READ, id + 1000, 8);
	blkif_response_t bad_rsp, good_rsp;
	bool more = true;

	good->indirect_grefs[0] = IND_REF + 1;
	indirect_page(f, 1)[0] =
	    (struct blkif_request_segment){.gref = DATA_REF + 15, .first_sect = 0, .last_sect = 7};
	good->nr_segments = 1;
	memset(data_page(f, 15), 0, 4096);
	RING_PUSH_REQUESTS(&f->front);
	blkback_queue_process(&f->q, &more);
	assert_false(more);
	assert_false(f->q.broken);
	assert_int_equal(f->front.sring->rsp_prod, f->front.rsp_cons + 2);
	bad_rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons);
	good_rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons + 1);
	f->front.rsp_cons += 2;
	f->front.sring->rsp_event = f->front.rsp_cons + 1;
	assert_int_equal(bad_rsp.id, id);
	assert_int_equal(bad_rsp.status, want);
	assert_int_equal(good_rsp.id, id + 1000);
	assert_int_equal(good_rsp.status, BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 15), f->disk + 8 * SECT, 4096);
	assert_grants_released(f);
}

static void test_indirect_bad_count(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r;

	new_indirect(f, BLKIF_OP_READ, 1, 0);
	assert_rejected(f, 1, BLKIF_RSP_ERROR);
	r = indirect_rw(f, BLKIF_OP_WRITE, 2, 0, 128);
	for (unsigned i = 128; i <= BLKBACK_MAX_INDIRECT_SEGMENTS; i++)
		add_ind_seg(f, r, DATA_REF, 0, 0);
	assert_int_equal(r->nr_segments, BLKBACK_MAX_INDIRECT_SEGMENTS + 1);
	assert_rejected(f, 2, BLKIF_RSP_ERROR);
	r = new_indirect(f, BLKIF_OP_WRITE, 3, 0);
	r->nr_segments = 0xFFFF; /* would need more indirect pages than a request names */
	assert_rejected(f, 3, BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
}

static void test_indirect_bad_op(void **state)
{
	struct fixture *f = *state;
	static const uint8_t ops[] = {BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER,
				      BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT, 200};

	for (unsigned i = 0; i < sizeof(ops); i++) {
		indirect_rw(f, ops[i], i, 0, 16);
		assert_rejected(f, i, BLKIF_RSP_ERROR);
		/* The response echoes the operation asked for, as for any request. */
		assert_int_equal(RING_GET_RESPONSE(&f->front, f->front.rsp_cons - 2)->operation,
				 ops[i]);
	}
	assert_disk_untouched(f);
}

static void test_indirect_bad_gref(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r;

	r = indirect_rw(f, BLKIF_OP_WRITE, 1, 0, 16);
	r->indirect_grefs[0] = 500; /* never granted */
	assert_rejected(f, 1, BLKIF_RSP_ERROR);
	r = indirect_rw(f, BLKIF_OP_WRITE, 2, 0, 16);
	r->indirect_grefs[0] = 0xFFFFFFFF; /* beyond the table */
	assert_rejected(f, 2, BLKIF_RSP_ERROR);
	/* Revoked after the request was queued. */
	indirect_rw(f, BLKIF_OP_WRITE, 3, 0, 16);
	table(f)[IND_REF].flags = 0;
	assert_rejected(f, 3, BLKIF_RSP_ERROR);
	grant(f, IND_REF, GTF_permit_access, IND_GFN);
	/* A frame outside RAM. */
	grant(f, 30, GTF_permit_access, RAM_SIZE / 4096 + 5);
	r = indirect_rw(f, BLKIF_OP_WRITE, 4, 0, 16);
	r->indirect_grefs[0] = 30;
	assert_rejected(f, 4, BLKIF_RSP_ERROR);
	/* A data gref late in the list that does not map: the earlier ones are released. */
	indirect_rw(f, BLKIF_OP_WRITE, 5, 0, 64);
	indirect_page(f, 0)[40].gref = 501;
	assert_rejected(f, 5, BLKIF_RSP_ERROR);
	/* A read into a read-only data grant. */
	r = new_indirect(f, BLKIF_OP_READ, 6, 0);
	for (unsigned i = 0; i < 20; i++)
		add_ind_seg(f, r, i == 19 ? RO_REF : DATA_REF, 0, 7);
	assert_rejected(f, 6, BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
}

static void test_indirect_bad_sectors(void **state)
{
	struct fixture *f = *state;

	indirect_rw(f, BLKIF_OP_WRITE, 1, 0, 64);
	indirect_page(f, 0)[63].last_sect = 8;
	assert_rejected(f, 1, BLKIF_RSP_ERROR);
	indirect_rw(f, BLKIF_OP_WRITE, 2, 0, 64);
	indirect_page(f, 0)[30] =
	    (struct blkif_request_segment){.gref = DATA_REF, .first_sect = 5, .last_sect = 4};
	assert_rejected(f, 2, BLKIF_RSP_ERROR);
	indirect_rw(f, BLKIF_OP_WRITE, 3, 0, 16);
	indirect_page(f, 0)[0].first_sect = 255;
	indirect_page(f, 0)[0].last_sect = 255;
	assert_rejected(f, 3, BLKIF_RSP_ERROR);
	/* Beyond the disk by one sector, and wrapping around. */
	indirect_rw(f, BLKIF_OP_WRITE, 4, DISK_SECTORS - NR_DATA * 8 + 1, 64);
	assert_rejected(f, 4, BLKIF_RSP_ERROR);
	indirect_rw(f, BLKIF_OP_READ, 5, UINT64_MAX - 64, 64);
	assert_rejected(f, 5, BLKIF_RSP_ERROR);
	/* Up to the very last sector is fine. */
	fill_data_pages(f, 3);
	indirect_rw(f, BLKIF_OP_WRITE, 6, DISK_SECTORS - NR_DATA * 8, 64);
	assert_int_equal(status_of(f, 6), BLKIF_RSP_OKAY);
	for (unsigned p = 0; p < NR_DATA; p++)
		memcpy(f->disk + (DISK_SECTORS - NR_DATA * 8) * SECT + p * 4096ULL, data_page(f, p),
		       4096);
	assert_disk_untouched(f);
}

static void test_indirect_readonly(void **state)
{
	struct fixture *f = *state;

	f->img.readonly = true;
	indirect_rw(f, BLKIF_OP_WRITE, 1, 0, 32);
	assert_rejected(f, 1, BLKIF_RSP_ERROR);
	assert_disk_untouched(f);
	indirect_rw(f, BLKIF_OP_READ, 2, 64, 32);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_OKAY);
	assert_data_pages_hold(f, 64);
}

/*
 * The guest names its indirect page as a data page of the same read: the
 * read overwrites the descriptors, which the backend copied before; it
 * neither rereads them nor leaves a grant held.
 */
static void test_indirect_reads_into_own_list(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r = new_indirect(f, BLKIF_OP_READ, 1, 200);

	add_ind_seg(f, r, IND_REF, 0, 7);
	for (unsigned i = 1; i < 12; i++)
		add_ind_seg(f, r, DATA_REF + i, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_memory_equal(indirect_page(f, 0), f->disk + 200 * SECT, 4096);
	for (unsigned i = 1; i < 12; i++)
		assert_memory_equal(data_page(f, i), f->disk + (200 + i * 8) * SECT, 4096);
	assert_grants_released(f);
}

/* ---- Many requests in flight (each engine) ---- */

/* Process until nothing is in flight; true when any pass asked to notify. */
static bool settle(struct fixture *f)
{
	bool more, notify = blkback_queue_process(&f->q, &more);

	while (f->q.busy || more) {
		disk_aio_wait(f->aio);
		notify |= blkback_queue_process(&f->q, &more);
	}
	assert_false(f->q.broken);
	return notify;
}

/* Request i of a full ring: half (4 sectors) of data page i / 2, disk sectors 60 * i + 5 on. */
#define HALF_SECTORS 4
static uint64_t ring_sector(unsigned i)
{
	return 60ULL * i + 5;
}

static uint8_t *ring_buf(struct fixture *f, unsigned i)
{
	return data_page(f, i / 2) + (size_t)(i % 2) * HALF_SECTORS * SECT;
}

static void queue_half(struct fixture *f, uint8_t op, unsigned i)
{
	blkif_request_t *r = new_request(f, op, 1000 + i, ring_sector(i));
	uint8_t first = (uint8_t)((i % 2) * HALF_SECTORS);

	add_seg(r, DATA_REF + i / 2, first, (uint8_t)(first + HALF_SECTORS - 1));
}

/* Take the n responses; each id 1000 + 0..n-1 once, with op and status as given. */
static void collect(struct fixture *f, unsigned n, uint8_t op, int16_t status, uint64_t *order)
{
	bool seen[64] = {false};

	assert_int_equal(f->front.sring->rsp_prod - f->front.rsp_cons, n);
	for (unsigned k = 0; k < n; k++) {
		blkif_response_t rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons);
		uint64_t i = rsp.id - 1000;

		f->front.rsp_cons++;
		assert_true(i < n);
		assert_false(seen[i]);
		seen[i] = true;
		assert_int_equal(rsp.operation, op);
		assert_int_equal(rsp.status, status);
		if (order)
			order[k] = i;
	}
	f->front.sring->rsp_event = f->front.rsp_cons + 1;
}

static void test_ring_full(void **state)
{
	struct fixture *f = *state;
	unsigned n = RING_SIZE(&f->front);
	const size_t half = HALF_SECTORS * SECT;

	assert_int_equal(n, BLKBACK_RING_SLOTS);
	fill_data_pages(f, 17);
	for (unsigned i = 0; i < n; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(settle(f));
	collect(f, n, BLKIF_OP_WRITE, BLKIF_RSP_OKAY, NULL);
	for (unsigned i = 0; i < n; i++)
		memcpy(f->disk + ring_sector(i) * SECT, ring_buf(f, i), half);
	assert_disk_untouched(f);
	assert_grants_released(f);

	/* Read it all back at once into cleared pages. */
	for (unsigned p = 0; p < NR_DATA; p++)
		memset(data_page(f, p), 0, 4096);
	for (unsigned i = 0; i < n; i++)
		queue_half(f, BLKIF_OP_READ, i);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(settle(f));
	collect(f, n, BLKIF_OP_READ, BLKIF_RSP_OKAY, NULL);
	for (unsigned i = 0; i < n; i++)
		assert_memory_equal(ring_buf(f, i), f->disk + ring_sector(i) * SECT, half);
	assert_grants_released(f);
}

/* The inline engine's whole batch lands in one pass: one push, one notification. */
static void test_one_notification_per_batch(void **state)
{
	struct fixture *f = *state;
	unsigned n = RING_SIZE(&f->front);
	bool more;

	for (unsigned i = 0; i < n; i++)
		queue_half(f, BLKIF_OP_READ, i);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(blkback_queue_process(&f->q, &more));
	assert_false(more);
	assert_int_equal(f->front.sring->rsp_prod, n);
	assert_int_equal(f->q.busy, 0);
	collect(f, n, BLKIF_OP_READ, BLKIF_RSP_OKAY, NULL);
}

/* Completions newest first: answered in that order, each with its own id. */
static void test_out_of_order(void **state)
{
	struct fixture *f = *state;
	uint64_t order[4];

	for (unsigned i = 0; i < 4; i++)
		queue_half(f, BLKIF_OP_READ, i);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(settle(f));
	collect(f, 4, BLKIF_OP_READ, BLKIF_RSP_OKAY, order);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(order[i], 3 - i);
		assert_memory_equal(ring_buf(f, i), f->disk + ring_sector(i) * SECT,
				    HALF_SECTORS * SECT);
	}
	assert_grants_released(f);
}

/*
 * Writes, a flush, a read of what they wrote: the flush is answered after
 * every write, and the read (held back until the flush is answered) sees
 * the data.
 */
static void test_flush_ordering(void **state)
{
	struct fixture *f = *state;
	blkif_response_t rsp;
	blkif_request_t *r;

	fill_data_pages(f, 5);
	for (unsigned i = 0; i < 6; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 2000, 0);
	r = new_request(f, BLKIF_OP_READ, 3000, ring_sector(0));
	add_seg(r, DATA_REF + 10, 0, HALF_SECTORS - 1);
	RING_PUSH_REQUESTS(&f->front);
	assert_true(settle(f));
	assert_int_equal(f->front.sring->rsp_prod - f->front.rsp_cons, 8);
	for (unsigned k = 0; k < 8; k++) {
		rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons + k);
		assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
		if (k < 6)
			assert_int_equal(rsp.operation, BLKIF_OP_WRITE);
	}
	assert_int_equal(RING_GET_RESPONSE(&f->front, f->front.rsp_cons + 6)->id, 2000);
	assert_int_equal(RING_GET_RESPONSE(&f->front, f->front.rsp_cons + 6)->operation,
			 BLKIF_OP_FLUSH_DISKCACHE);
	assert_int_equal(RING_GET_RESPONSE(&f->front, f->front.rsp_cons + 7)->id, 3000);
	assert_memory_equal(data_page(f, 10), ring_buf(f, 0), HALF_SECTORS * SECT);
	assert_grants_released(f);
}

/*
 * While a flush waits for the writes before it, nothing after it is taken
 * off the ring.  The pool engine with the work still staged (not yet
 * submitted) cannot have completed them: look right after one pass.
 */
static void test_flush_holds_later_requests(void **state)
{
	struct fixture *f = *state;
	bool more;

	for (unsigned i = 0; i < 4; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	new_request(f, BLKIF_OP_FLUSH_DISKCACHE, 2000, 0);
	queue_half(f, BLKIF_OP_READ, 20);
	RING_PUSH_REQUESTS(&f->front);
	blkback_queue_process(&f->q, &more);
	if (f->q.busy) {
		/* Some writes (or the flush) still in flight: the read is not taken. */
		assert_int_equal(f->q.ring.req_cons, 5);
		assert_true(f->q.barrier >= 0);
	}
	settle(f);
	assert_int_equal(f->q.ring.req_cons, 6);
	assert_int_equal(RING_GET_RESPONSE(&f->front, 4)->id, 2000);
	assert_int_equal(RING_GET_RESPONSE(&f->front, 5)->id, 1020);
}

/* Bad requests in a batch of good ones: each answered for itself. */
static void test_errors_in_batch(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;
	int16_t want[8];

	fill_data_pages(f, 9);
	for (unsigned i = 0; i < 8; i++) {
		queue_half(f, i % 2 ? BLKIF_OP_READ : BLKIF_OP_WRITE, i);
		want[i] = BLKIF_RSP_OKAY;
	}
	/* Request 1002 writes past the end; 1005 reads from a never-granted page. */
	r = RING_GET_REQUEST(&f->front, 2);
	r->sector_number = DISK_SECTORS - 1;
	want[2] = BLKIF_RSP_ERROR;
	r = RING_GET_REQUEST(&f->front, 5);
	r->seg[0].gref = 500;
	want[5] = BLKIF_RSP_ERROR;
	RING_PUSH_REQUESTS(&f->front);
	settle(f);
	assert_int_equal(f->front.sring->rsp_prod, 8);
	for (unsigned k = 0; k < 8; k++) {
		blkif_response_t *rsp = RING_GET_RESPONSE(&f->front, k);

		assert_int_equal(rsp->status, want[rsp->id - 1000]);
		assert_int_equal(rsp->operation,
				 (rsp->id - 1000) % 2 ? BLKIF_OP_READ : BLKIF_OP_WRITE);
	}
	for (unsigned i = 0; i < 8; i += 2)
		if (i != 2)
			memcpy(f->disk + ring_sector(i) * SECT, ring_buf(f, i),
			       HALF_SECTORS * SECT);
	assert_disk_untouched(f);
	assert_grants_released(f);
}

/*
 * The host refuses the writes themselves (the image's fd is read-only
 * though the image is not): errors that come back as completions.
 */
static void test_host_write_error(void **state)
{
	struct fixture *f = *state;
	char path[64];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	blkback_queue_destroy(&f->q);
	disk_aio_destroy(f->aio);
	f->img.fd = ro; /* the fixture's own fd stays open in f->fd... */
	assert_int_equal(disk_aio_create(&f->aio, &f->img, &f->opt), 0);
	assert_int_equal(blkback_queue_init(&f->q, (void *[]){f->front.sring}, 1, &f->gt, &f->img,
					    f->aio, BLKBACK_DISCARD),
			 0);
	for (unsigned i = 0; i < 6; i++)
		queue_half(f, i % 3 ? BLKIF_OP_READ : BLKIF_OP_WRITE, i);
	RING_PUSH_REQUESTS(&f->front);
	settle(f);
	for (unsigned k = 0; k < 6; k++) {
		blkif_response_t *rsp = RING_GET_RESPONSE(&f->front, k);
		bool write = (rsp->id - 1000) % 3 == 0;

		assert_int_equal(rsp->status, write ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
	}
	assert_grants_released(f);
	/* ...and is the one the fixture closes. */
	disk_aio_destroy(f->aio);
	f->aio = NULL;
	blkback_queue_destroy(&f->q);
	close(ro);
	f->img.fd = f->fd;
	assert_disk_untouched(f);
}

/* A read-only image: its writes fail in a batch whose reads succeed. */
static void test_readonly_batch(void **state)
{
	struct fixture *f = *state;

	f->img.readonly = true;
	for (unsigned i = 0; i < 10; i++)
		queue_half(f, i % 2 ? BLKIF_OP_READ : BLKIF_OP_WRITE, i);
	RING_PUSH_REQUESTS(&f->front);
	settle(f);
	for (unsigned k = 0; k < 10; k++) {
		blkif_response_t *rsp = RING_GET_RESPONSE(&f->front, k);

		assert_int_equal(rsp->status,
				 (rsp->id - 1000) % 2 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR);
	}
	assert_disk_untouched(f);
	assert_grants_released(f);
}

/* Torn down with a full ring in flight: it waits, then every grant is back. */
static void test_destroy_in_flight(void **state)
{
	struct fixture *f = *state;
	unsigned n = RING_SIZE(&f->front);
	bool more;

	fill_data_pages(f, 33);
	for (unsigned i = 0; i < n; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	RING_PUSH_REQUESTS(&f->front);
	blkback_queue_process(&f->q, &more);
	blkback_queue_destroy(&f->q);
	assert_grants_released(f);
	assert_int_equal(disk_aio_pending(f->aio), 0);
	for (unsigned i = 0; i < n; i++)
		memcpy(f->disk + ring_sector(i) * SECT, ring_buf(f, i), HALF_SECTORS * SECT);
	assert_disk_untouched(f);
}

/* ---- Persistent grants ---- */

static bool in_use(struct fixture *f, grant_ref_t ref)
{
	return table(f)[ref].flags & (GTF_reading | GTF_writing);
}

/* A kept grant serves request after request, and is only released with the queue. */
static void test_persistent_keeps_grants(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 1, 3);

	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 3 * SECT, 4096);
	/* Kept writable, as Linux's backend keeps them, whatever the request did. */
	assert_int_equal(table(f)[DATA_REF].flags, GTF_permit_access | GTF_reading | GTF_writing);

	fill_data_pages(f, 5);
	r = new_request(f, BLKIF_OP_WRITE, 2, 200);
	add_seg(r, DATA_REF, 0, 7);
	add_seg(r, DATA_REF + 1, 0, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_OKAY);
	memcpy(f->disk + 200 * SECT, data_page(f, 0), 2 * 4096UL);
	assert_disk_untouched(f);
	assert_true(in_use(f, DATA_REF + 1));
	assert_int_equal(f->q.pgrants.used, 2);

	blkback_queue_destroy(&f->q);
	assert_grants_released(f);
}

/*
 * A read-only grant cannot be kept (kept grants are writable): a request
 * that only reads it still gets it mapped for itself; one that would
 * write into it is refused.
 */
static void test_persistent_readonly_grant(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r;

	fill_data_pages(f, 9);
	r = new_request(f, BLKIF_OP_WRITE, 1, 300);
	add_seg(r, RO_REF, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	memcpy(f->disk + 300 * SECT, data_page(f, 0), 4096);
	assert_disk_untouched(f);
	assert_false(in_use(f, RO_REF));

	r = new_request(f, BLKIF_OP_READ, 2, 0);
	add_seg(r, RO_REF, 0, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	assert_memory_equal(data_page(f, 0), f->disk + 300 * SECT, 4096);
	assert_grants_released(f);
}

/*
 * The guest rewrites a kept grant's entry: the request that next uses it
 * fails, the disk is untouched and the grant is given back; granted
 * properly again, it serves and is kept again.
 */
static void test_persistent_revoked(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 1, 0);

	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);

	/* Revoked: permission gone, in-use bits cleared by force. */
	grant(f, DATA_REF, 0, DATA_GFN);
	r = new_request(f, BLKIF_OP_WRITE, 2, 500);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	assert_int_equal(table(f)[DATA_REF].flags, 0);

	/* Pointed at another page, in-use bits kept. */
	grant(f, DATA_REF, GTF_permit_access, DATA_GFN + 3);
	r = new_request(f, BLKIF_OP_READ, 3, 0);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 3), BLKIF_RSP_OKAY);
	table(f)[DATA_REF].frame = DATA_GFN + 4;
	r = new_request(f, BLKIF_OP_WRITE, 4, 500);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 4), BLKIF_RSP_ERROR);
	assert_disk_untouched(f);

	/* Granted properly again: served, and kept. */
	grant(f, DATA_REF, GTF_permit_access, DATA_GFN);
	r = new_request(f, BLKIF_OP_READ, 5, 64);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(status_of(f, 5), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 64 * SECT, 4096);
	assert_true(in_use(f, DATA_REF));
	blkback_queue_destroy(&f->q);
	assert_grants_released(f);
}

/* Indirect requests keep their indirect pages' grants too; a bad ref is still refused. */
static void test_persistent_indirect(void **state)
{
	struct fixture *f = *state;
	blkif_request_indirect_t *r;

	indirect_rw(f, BLKIF_OP_READ, 1, 1000, 64);
	assert_int_equal(status_of(f, 1), BLKIF_RSP_OKAY);
	assert_data_pages_hold(f, 1000);
	assert_true(in_use(f, IND_REF));
	r = indirect_rw(f, BLKIF_OP_READ, 2, 1000, 64);
	r->indirect_grefs[0] = 4000; /* beyond the table */
	assert_int_equal(status_of(f, 2), BLKIF_RSP_ERROR);
	blkback_queue_destroy(&f->q);
	assert_grants_released(f);
}

/*
 * A grant revoked while its I/O is in flight (the guest rewrites the
 * entry): the I/O lands in the page the backend mapped, the request is
 * answered, and the backend leaves the guest's rewritten entry as the
 * guest wrote it rather than marking it again.
 */
static void test_grant_revoked_in_flight(void **state)
{
	struct fixture *f = *state;
	blkif_request_t *r = new_request(f, BLKIF_OP_READ, 1, 80);
	bool more;

	memset(data_page(f, 0), 0, 4096);
	add_seg(r, DATA_REF, 0, 7);
	RING_PUSH_REQUESTS(&f->front);
	blkback_queue_process(&f->q, &more);
	grant(f, DATA_REF, 0, DATA_GFN + 5);
	settle(f);
	assert_int_equal(f->front.sring->rsp_prod, 1);
	assert_int_equal(RING_GET_RESPONSE(&f->front, 0)->status, BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(f, 0), f->disk + 80 * SECT, 4096);
	assert_int_equal(table(f)[DATA_REF].flags, 0);
	assert_int_equal(table(f)[DATA_REF].frame, DATA_GFN + 5);
}

/* ---- A multi-page ring ---- */

/* The frontend's copy to the guest's pages, or back. */
static void sync_ring(struct fixture *f, bool to_pages)
{
	for (unsigned i = 0; i < BLKBACK_MAX_RING_PAGES; i++) {
		uint8_t *mine = f->front_buf + (size_t)i * 4096;

		memcpy(to_pages ? f->ring_page[i] : mine, to_pages ? mine : f->ring_page[i], 4096);
	}
}

/* settle() for the multi-page ring: each backend pass sees what the frontend wrote. */
static void settle_multi(struct fixture *f)
{
	bool more = true;

	RING_PUSH_REQUESTS(&f->front);
	sync_ring(f, true);
	blkback_queue_process(&f->q, &more);
	sync_ring(f, false);
	while (f->q.busy || more) {
		disk_aio_wait(f->aio);
		sync_ring(f, true);
		blkback_queue_process(&f->q, &more);
		sync_ring(f, false);
	}
	assert_false(f->q.broken);
}

/*
 * A full 8-page ring (256 requests) in flight at once.  Request i reads
 * one disk sector into sector i % 128 of the data pages; i and i + 128
 * read the same sector, so the outcome does not depend on their order.
 */
static void test_multi_page_ring(void **state)
{
	struct fixture *f = *state;
	unsigned n = RING_SIZE(&f->front);
	bool seen[BLKBACK_MAX_RING_SLOTS] = {false};

	assert_int_equal(n, BLKBACK_MAX_RING_SLOTS);
	assert_int_equal(RING_SIZE(&f->q.ring), n);
	for (unsigned p = 0; p < NR_DATA; p++)
		memset(data_page(f, p), 0, 4096);
	for (unsigned i = 0; i < n; i++) {
		unsigned slot = i % 128;
		blkif_request_t *r = new_request(f, BLKIF_OP_READ, 5000 + i, slot * 13ULL);

		add_seg(r, DATA_REF + slot / 8, (uint8_t)(slot % 8), (uint8_t)(slot % 8));
	}
	settle_multi(f);
	assert_int_equal(f->front.sring->rsp_prod, n);
	for (unsigned k = 0; k < n; k++) {
		blkif_response_t rsp = *RING_GET_RESPONSE(&f->front, f->front.rsp_cons++);

		assert_true(rsp.id >= 5000 && rsp.id < 5000 + n);
		assert_false(seen[rsp.id - 5000]);
		seen[rsp.id - 5000] = true;
		assert_int_equal(rsp.operation, BLKIF_OP_READ);
		assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
	}
	for (unsigned slot = 0; slot < 128; slot++)
		assert_memory_equal(data_page(f, slot / 8) + (slot % 8) * SECT,
				    f->disk + slot * 13ULL * SECT, SECT);
	assert_grants_released(f);

	/* Round the ring once more: indexes past its size map back to its start. */
	for (unsigned i = 0; i < 40; i++) {
		blkif_request_t *r = new_request(f, BLKIF_OP_READ, 9000 + i, 7);

		add_seg(r, DATA_REF + 15, 0, 0);
	}
	settle_multi(f);
	assert_int_equal(f->front.sring->rsp_prod - f->front.rsp_cons, 40);
	for (unsigned k = 0; k < 40; k++)
		assert_int_equal(RING_GET_RESPONSE(&f->front, f->front.rsp_cons++)->status,
				 BLKIF_RSP_OKAY);
}

/* Page counts that are not a power of two, or too many, are refused. */
static void test_ring_page_counts(void **state)
{
	struct fixture *f = *state;
	struct blkback_queue q;
	void *pages[BLKBACK_MAX_RING_PAGES * 2];

	for (unsigned i = 0; i < BLKBACK_MAX_RING_PAGES * 2; i++)
		pages[i] = f->front.sring;
	assert_int_equal(blkback_queue_init(&q, pages, 0, &f->gt, &f->img, f->aio, 0), -EINVAL);
	assert_int_equal(blkback_queue_init(&q, pages, 3, &f->gt, &f->img, f->aio, 0), -EINVAL);
	assert_int_equal(
	    blkback_queue_init(&q, pages, BLKBACK_MAX_RING_PAGES * 2, &f->gt, &f->img, f->aio, 0),
	    -EINVAL);
	assert_int_equal(blkback_queue_init(&q, pages, 2, &f->gt, &f->img, f->aio, 0), 0);
	assert_int_equal(RING_SIZE(&q.ring), 2 * BLKBACK_RING_SLOTS);
	blkback_queue_destroy(&q);
}

/* ---- The device on XenBus: keys, connect, the worker thread, disconnect ---- */

#define BACK  "/local/domain/0/backend/vbd/1/51712"
#define FRONT "/local/domain/1/device/vbd/51712"

struct bus_fixture {
	struct fixture *f; /* RAM, ring page and data grants, as above */
	struct vm vm;	   /* no KVM: vm_fd -1, so event delivery fails quietly */
	struct xen_domain xd;
	char path[64];
	evtchn_port_t port;
};

static int bus_setup(void **state)
{
	struct bus_fixture *bf = calloc(1, sizeof(*bf));
	struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
	int fd;

	if (!bf || setup((void **)&bf->f))
		return -1;
	bf->vm.vm_fd = -1;
	bf->xd.domid = 1;
	bf->xd.xs = xs_store_new(NULL);
	evtchn_init(&bf->xd.evtchn, &bf->vm, 1);
	/* The device maps through the domain's table: the same frame as the fixture's. */
	bf->xd.gnttab = bf->f->gt;
	pthread_mutex_init(&bf->xd.gnttab.lock, NULL);
	if (!bf->xd.xs || evtchn_op(&bf->xd.evtchn, EVTCHNOP_alloc_unbound, &a, 0))
		return -1;
	bf->port = a.port;
	snprintf(bf->path, sizeof(bf->path), "/tmp/xkvm-blkback-disk-XXXXXX");
	fd = mkstemp(bf->path);
	if (fd < 0 || write_all(fd, bf->f->disk, DISK_BYTES))
		return -1;
	close(fd);
	*state = bf;
	return 0;
}

static int bus_teardown(void **state)
{
	struct bus_fixture *bf = *state;

	unlink(bf->path);
	xs_store_free(bf->xd.xs);
	evtchn_destroy(&bf->xd.evtchn);
	gnttab_destroy(&bf->xd.gnttab);
	teardown((void **)&bf->f);
	free(bf);
	return 0;
}

static void assert_key(struct bus_fixture *bf, const char *path, const char *want)
{
	char *v = xs_read(bf->xd.xs, path);

	if (!want) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void front_write(struct bus_fixture *bf, const char *key, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), FRONT "/%s", key);
	assert_int_equal(xs_write(bf->xd.xs, path, value), 0);
}

/* What blkfront does to connect: ring keys, then Initialised (which connects us). */
static void front_connect(struct bus_fixture *bf, const char *protocol)
{
	char v[16];

	SHARED_RING_INIT(bf->f->front.sring);
	FRONT_RING_INIT(&bf->f->front, bf->f->front.sring, 4096);
	snprintf(v, sizeof(v), "%d", RING_REF);
	front_write(bf, "ring-ref", v);
	snprintf(v, sizeof(v), "%u", bf->port);
	front_write(bf, "event-channel", v);
	if (protocol)
		front_write(bf, "protocol", protocol);
	front_write(bf, "state", "3");
}

/* Queue one request, kick the backend as KVM would, wait for the response. */
static int16_t kick_and_wait(struct bus_fixture *bf)
{
	blkif_front_ring_t *front = &bf->f->front;
	uint64_t one = 1;
	struct timespec ts = {.tv_nsec = 1000000};

	RING_PUSH_REQUESTS(front);
	assert_int_equal(write(bf->xd.evtchn.ports[bf->port].backend_fd, &one, sizeof(one)),
			 sizeof(one));
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&front->sring->rsp_prod, __ATOMIC_ACQUIRE) != front->rsp_cons)
			return RING_GET_RESPONSE(front, front->rsp_cons++)->status;
		nanosleep(&ts, NULL);
	}
	fail_msg("no response from the worker thread");
	return 1;
}

/* Wait until the frontend has n responses it has not consumed. */
static void wait_responses(struct bus_fixture *bf, unsigned n)
{
	blkif_front_ring_t *front = &bf->f->front;
	struct timespec ts = {.tv_nsec = 1000000};

	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&front->sring->rsp_prod, __ATOMIC_ACQUIRE) - front->rsp_cons >=
		    n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the worker answered %u of %u requests", front->sring->rsp_prod - front->rsp_cons,
		 n);
}

static void kick(struct bus_fixture *bf)
{
	uint64_t one = 1;

	RING_PUSH_REQUESTS(&bf->f->front);
	assert_int_equal(write(bf->xd.evtchn.ports[bf->port].backend_fd, &one, sizeof(one)),
			 sizeof(one));
}

/*
 * The worker thread with the device's own engine: half a ring, kicked,
 * and the other half kicked while the first is in flight (that event must
 * not be lost); then a full ring left in flight when the device goes.
 */
static void test_bus_ring_in_flight(void **state)
{
	struct bus_fixture *bf = *state;
	struct xen_disk_spec spec = {.target = bf->path, .devid = 51712};
	struct xen_blkback *b = xen_blkback_create(&bf->xd, &spec);
	struct fixture *f = bf->f;
	unsigned n = RING_SIZE(&f->front);
	struct disk_image check;
	uint8_t *now = malloc(DISK_BYTES);

	assert_non_null(b);
	front_connect(bf, "x86_64-abi");
	assert_key(bf, BACK "/state", "4");
	fill_data_pages(f, 71);
	for (unsigned i = 0; i < n / 2; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	kick(bf);
	for (unsigned i = n / 2; i < n; i++)
		queue_half(f, BLKIF_OP_WRITE, i);
	kick(bf);
	wait_responses(bf, n);
	collect(f, n, BLKIF_OP_WRITE, BLKIF_RSP_OKAY, NULL);
	for (unsigned i = 0; i < n; i++)
		memcpy(f->disk + ring_sector(i) * SECT, ring_buf(f, i), HALF_SECTORS * SECT);

	/* A full ring of reads, and the device destroyed at once. */
	for (unsigned i = 0; i < n; i++)
		queue_half(f, BLKIF_OP_READ, i);
	kick(bf);
	xen_blkback_destroy(b);
	assert_grants_released(f);
	/* The image is unlocked, and holds what the writes wrote. */
	assert_int_equal(disk_image_open(&check, bf->path, false), 0);
	assert_non_null(now);
	assert_int_equal(pread(check.fd, now, DISK_BYTES, 0), DISK_BYTES);
	assert_memory_equal(now, f->disk, DISK_BYTES);
	disk_image_close(&check);
	free(now);
}

static void test_bus_lifecycle(void **state)
{
	struct bus_fixture *bf = *state;
	struct xen_disk_spec spec = {.target = bf->path, .vdev = "xvda", .devid = 51712};
	grant_entry_v1_t *ring_grant = &table(bf->f)[RING_REF];
	struct xen_blkback *b = xen_blkback_create(&bf->xd, &spec);
	blkif_request_t *r;

	assert_non_null(b);
	assert_key(bf, BACK "/state", "2");
	assert_key(bf, BACK "/sectors", "2048");
	assert_key(bf, BACK "/sector-size", "512");
	assert_key(bf, BACK "/info", "0");
	assert_key(bf, BACK "/mode", "w");
	assert_key(bf, BACK "/dev", "xvda");
	assert_key(bf, BACK "/feature-flush-cache", "1");
	assert_key(bf, BACK "/feature-max-indirect-segments", "256");
	assert_key(bf, BACK "/feature-persistent", NULL); /* not asked for in spec */
	assert_key(bf, BACK "/feature-discard", NULL);
	assert_key(bf, FRONT "/virtual-device", "51712");
	assert_key(bf, FRONT "/device-type", "disk");
	assert_key(bf, FRONT "/trusted", "1"); /* xl's default */

	/* No protocol key: refused (it may be a 32-bit frontend). */
	front_connect(bf, NULL);
	assert_key(bf, BACK "/state", "5");
	front_write(bf, "state", "6");
	assert_key(bf, BACK "/state", "6");
	front_write(bf, "state", "1");
	assert_key(bf, BACK "/state", "2");
	front_connect(bf, "x86_32-abi");
	assert_key(bf, BACK "/state", "5");
	front_write(bf, "state", "6");
	assert_int_equal(ring_grant->flags, GTF_permit_access);

	/* Asking for persistent grants that were not offered changes nothing. */
	front_write(bf, "feature-persistent", "1");
	front_connect(bf, "x86_64-abi");
	assert_key(bf, BACK "/state", "4");
	assert_int_equal(ring_grant->flags, GTF_permit_access | GTF_reading | GTF_writing);
	r = new_request(bf->f, BLKIF_OP_READ, 1, 40);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(kick_and_wait(bf), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(bf->f, 0), bf->f->disk + 40 * SECT, 4096);
	assert_int_equal(table(bf->f)[DATA_REF].flags, GTF_permit_access);

	/*
	 * The frontend closes: everything is released and the backend answers
	 * Closing (what Linux waits for when it shuts down); then it comes back.
	 */
	front_write(bf, "state", "5");
	assert_key(bf, BACK "/state", "5");
	assert_int_equal(ring_grant->flags, GTF_permit_access);
	front_write(bf, "state", "6");
	assert_key(bf, BACK "/state", "6");
	assert_int_equal(ring_grant->flags, GTF_permit_access);
	assert_int_equal(bf->xd.evtchn.ports[bf->port].state, EVTCHNSTAT_unbound);
	front_connect(bf, "x86_64-abi");
	assert_key(bf, BACK "/state", "4");
	r = new_request(bf->f, BLKIF_OP_WRITE, 2, 0);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(kick_and_wait(bf), BLKIF_RSP_OKAY);

	/*
	 * PV GRUB's hand-over: Connected straight to Closed, waiting for the
	 * backend's Closed (it polls for "6"), then Initialising for the kernel
	 * it boots, whose blkfront finds the backend in InitWait and connects.
	 */
	front_write(bf, "state", "6");
	assert_key(bf, BACK "/state", "6");
	assert_int_equal(ring_grant->flags, GTF_permit_access);
	front_write(bf, "state", "1");
	assert_key(bf, BACK "/state", "2");
	front_connect(bf, "x86_64-abi");
	assert_key(bf, BACK "/state", "4");
	r = new_request(bf->f, BLKIF_OP_READ, 3, 40);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(kick_and_wait(bf), BLKIF_RSP_OKAY);

	xen_blkback_destroy(b);
	assert_key(bf, BACK "/state", NULL);
	assert_int_equal(ring_grant->flags, GTF_permit_access);
	assert_grants_released(bf->f);
}

static void test_bus_create_errors(void **state)
{
	struct bus_fixture *bf = *state;
	struct xen_disk_spec spec = {.target = "/nonexistent/disk.img", .devid = 51712};
	struct xen_blkback *b, *b2;

	assert_null(xen_blkback_create(&bf->xd, &spec));
	spec.target = "/dev/null"; /* neither a file nor a block device */
	assert_null(xen_blkback_create(&bf->xd, &spec));

	/* Read-only: advertised as such; a second writer is refused, a second reader is not. */
	spec.target = bf->path;
	spec.readonly = true;
	spec.discard = true;
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	assert_key(bf, BACK "/mode", "r");
	assert_key(bf, BACK "/info", "4");
	assert_key(bf, BACK "/feature-discard", NULL);
	spec.devid = 51728;
	b2 = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b2);
	xen_blkback_destroy(b2);
	spec.readonly = false;
	assert_null(xen_blkback_create(&bf->xd, &spec));
	xen_blkback_destroy(b);

	/* Read-write with discard, on a filesystem that punches holes (ext4, tmpfs...). */
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	assert_key(bf, "/local/domain/0/backend/vbd/1/51728/mode", "w");
	assert_key(bf, "/local/domain/0/backend/vbd/1/51728/feature-discard", "1");
	xen_blkback_destroy(b);
	xen_blkback_destroy(NULL);
}

/* Unpublished: the image is open (and locked), XenStore has nothing until publish. */
static void test_bus_unpublished(void **state)
{
	struct bus_fixture *bf = *state;
	char target[64], vdev[16];
	struct xen_disk_spec spec = {
	    .target = target, .vdev = vdev, .devid = 51712, .unpublished = true};
	struct xen_blkback *b, *b2;

	/* The spec's strings may die with the call: publish must not need them. */
	snprintf(target, sizeof(target), "%s", bf->path);
	snprintf(vdev, sizeof(vdev), "xvda");
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	memset(target, 0, sizeof(target));
	memset(vdev, 0, sizeof(vdev));
	assert_key(bf, BACK, NULL);
	assert_key(bf, FRONT, NULL);
	/* Opened already: a second writer is refused. */
	spec.target = bf->path;
	spec.devid = 51728;
	assert_null(xen_blkback_create(&bf->xd, &spec));

	assert_int_equal(xen_blkback_publish(b), 0);
	assert_key(bf, BACK "/state", "2");
	assert_key(bf, BACK "/params", bf->path);
	assert_key(bf, BACK "/dev", "xvda");
	assert_key(bf, BACK "/mode", "w");
	assert_key(bf, BACK "/sectors", "2048");
	assert_key(bf, FRONT "/virtual-device", "51712");
	assert_key(bf, FRONT "/device-type", "disk");
	assert_int_equal(xen_blkback_publish(b), 0);
	assert_key(bf, BACK "/state", "2");

	/* It serves as a normally created one does. */
	front_connect(bf, "x86_64-abi");
	assert_key(bf, BACK "/state", "4");
	blkif_request_t *r = new_request(bf->f, BLKIF_OP_READ, 1, 8);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(kick_and_wait(bf), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(bf->f, 0), bf->f->disk + 8 * SECT, 4096);
	xen_blkback_destroy(b);
	assert_key(bf, BACK, NULL);
	assert_key(bf, FRONT, NULL);

	/* Own frontend keys are kept too; destroying without publishing is fine. */
	static const char *const keys[] = {"virtual-device=51728", "device-type=cdrom", NULL};
	spec.front_keys = keys;
	spec.readonly = true;
	b = xen_blkback_create(&bf->xd, &spec);
	b2 = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	assert_non_null(b2);
	assert_int_equal(xen_blkback_publish(b), 0);
	assert_key(bf, "/local/domain/1/device/vbd/51728/device-type", "cdrom");
	assert_key(bf, "/local/domain/1/device/vbd/51728/trusted", "1");
	xen_blkback_destroy(b);
	xen_blkback_destroy(b2);
}

/*
 * An untrusted disk (xl's untrusted): the frontend finds trusted=0 in its
 * own directory, written with the other keys before it can start, with
 * the default keys, its own, and when published late.
 */
static void test_bus_untrusted(void **state)
{
	struct bus_fixture *bf = *state;
	static const char *const keys[] = {"virtual-device=51712", "device-type=cdrom", NULL};
	struct xen_disk_spec spec = {
	    .target = bf->path, .devid = 51712, .readonly = true, .untrusted = true};
	struct xen_blkback *b = xen_blkback_create(&bf->xd, &spec);

	assert_non_null(b);
	assert_key(bf, FRONT "/state", "1");
	assert_key(bf, FRONT "/device-type", "disk");
	assert_key(bf, FRONT "/trusted", "0");
	xen_blkback_destroy(b);
	assert_key(bf, FRONT, NULL);

	spec.front_keys = keys;
	spec.unpublished = true;
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	assert_key(bf, FRONT, NULL);
	assert_int_equal(xen_blkback_publish(b), 0);
	assert_key(bf, FRONT "/device-type", "cdrom");
	assert_key(bf, FRONT "/trusted", "0");
	xen_blkback_destroy(b);
}

/*
 * The image already open (exclusively) by the emulated disk the guest
 * will unplug: a second open is refused as a second writer, sharing its
 * fd is not, and the lock outlives the emulated disk's close.
 */
static void test_bus_shared_image(void **state)
{
	struct bus_fixture *bf = *state;
	struct disk_image ide, other;
	struct xen_disk_spec spec = {
	    .target = bf->path, .devid = 51712, .unpublished = true, .share = &ide};
	struct xen_blkback *b;

	assert_int_equal(disk_image_open(&ide, bf->path, false), 0);
	spec.share = NULL;
	assert_null(xen_blkback_create(&bf->xd, &spec));
	spec.share = &ide;
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	disk_image_close(&ide); /* the unplug */
	assert_int_equal(disk_image_open(&other, bf->path, true), -EWOULDBLOCK);
	assert_int_equal(xen_blkback_publish(b), 0);
	assert_key(bf, BACK "/sectors", "2048");
	assert_key(bf, BACK "/mode", "w");
	xen_blkback_destroy(b);
	assert_int_equal(disk_image_open(&other, bf->path, false), 0);
	disk_image_close(&other);

	/* A read-write backend cannot share a read-only image, nor a closed one. */
	assert_int_equal(disk_image_open(&ide, bf->path, true), 0);
	assert_null(xen_blkback_create(&bf->xd, &spec));
	spec.readonly = true;
	b = xen_blkback_create(&bf->xd, &spec);
	assert_non_null(b);
	xen_blkback_destroy(b);
	disk_image_close(&ide);
	assert_null(xen_blkback_create(&bf->xd, &spec));
}

/* What a blkfront asking for a 2^order-page ring writes: pages at gfns 48 on, refs 110 on. */
#define BUS_RING_GFN 48ULL
#define BUS_RING_REF 110
static void front_connect_multi(struct bus_fixture *bf, unsigned order, unsigned refs_given,
				bool persistent)
{
	size_t bytes = 4096UL << order;
	blkif_sring_t *sring = gpa_to_hva(&bf->f->mem, BUS_RING_GFN * 4096, bytes);
	char key[24], v[16];

	assert_non_null(sring);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&bf->f->front, sring, bytes);
	snprintf(v, sizeof(v), "%u", order);
	front_write(bf, "ring-page-order", v);
	for (unsigned i = 0; i < refs_given; i++) {
		grant(bf->f, BUS_RING_REF + i, GTF_permit_access, (uint32_t)(BUS_RING_GFN + i));
		snprintf(key, sizeof(key), "ring-ref%u", i);
		snprintf(v, sizeof(v), "%u", BUS_RING_REF + i);
		front_write(bf, key, v);
	}
	snprintf(v, sizeof(v), "%u", bf->port);
	front_write(bf, "event-channel", v);
	front_write(bf, "protocol", "x86_64-abi");
	front_write(bf, "feature-persistent", persistent ? "1" : "0");
	front_write(bf, "state", "3");
}

static void front_reset(struct bus_fixture *bf)
{
	front_write(bf, "state", "6");
	assert_key(bf, BACK "/state", "6");
	front_write(bf, "state", "1");
	assert_key(bf, BACK "/state", "2");
}

/*
 * The keys a frontend negotiates a larger ring and persistent grants
 * with: what is offered, what is refused, and a 4-page ring whose data
 * grants stay mapped until the frontend closes.
 */
static void test_bus_multi_page_persistent(void **state)
{
	struct bus_fixture *bf = *state;
	struct xen_disk_spec spec = {.target = bf->path, .devid = 51712, .persistent = true};
	struct xen_blkback *b = xen_blkback_create(&bf->xd, &spec);
	blkif_request_t *r;

	assert_non_null(b);
	assert_key(bf, BACK "/max-ring-page-order", "3");
	assert_key(bf, BACK "/feature-persistent", "1");

	front_connect_multi(bf, 4, 16, false); /* more than offered */
	assert_key(bf, BACK "/state", "5");
	front_reset(bf);
	assert_int_equal(xs_rm(bf->xd.xs, FRONT "/ring-ref3"), 0);
	front_connect_multi(bf, 2, 3, false); /* ring-ref3 missing */
	assert_key(bf, BACK "/state", "5");
	front_reset(bf);
	front_write(bf, "ring-ref3", "4000"); /* beyond the table */
	front_connect_multi(bf, 2, 3, false);
	assert_key(bf, BACK "/state", "5");
	assert_false(table(bf->f)[BUS_RING_REF].flags & GTF_reading);
	front_reset(bf);

	front_connect_multi(bf, 2, 4, true);
	assert_key(bf, BACK "/state", "4");
	assert_int_equal(RING_SIZE(&bf->f->front), 4 * BLKBACK_RING_SLOTS);
	for (unsigned i = 0; i < 4; i++)
		assert_true(table(bf->f)[BUS_RING_REF + i].flags & GTF_writing);
	r = new_request(bf->f, BLKIF_OP_READ, 1, 40);
	add_seg(r, DATA_REF, 0, 7);
	assert_int_equal(kick_and_wait(bf), BLKIF_RSP_OKAY);
	assert_memory_equal(data_page(bf->f, 0), bf->f->disk + 40 * SECT, 4096);
	assert_true(table(bf->f)[DATA_REF].flags & GTF_writing); /* kept */

	front_write(bf, "state", "5");
	assert_key(bf, BACK "/state", "5");
	assert_grants_released(bf->f);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(table(bf->f)[BUS_RING_REF + i].flags, GTF_permit_access);
	xen_blkback_destroy(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define EACH(fn)                                                                                   \
	T(fn), cmocka_unit_test_setup_teardown(fn, setup_uring, teardown),                         \
	    cmocka_unit_test_setup_teardown(fn, setup_pool, teardown),                             \
	    cmocka_unit_test_setup_teardown(fn, setup_reverse, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_read),
	    T(test_write_read_back),
	    T(test_multi_segment),
	    T(test_out_of_range),
	    T(test_bad_gref),
	    T(test_bad_sectors),
	    T(test_bad_segment_count),
	    T(test_readonly),
	    T(test_flush),
	    T(test_discard),
	    T(test_unknown_op),
	    T(test_corrupt_req_prod),
	    T(test_req_prod_just_in_range),
	    T(test_notify_holdoff),
	    T(test_read_into_ring_page),
	    T(test_short_image),
	    T(test_indirect_read_write),
	    T(test_indirect_max),
	    T(test_indirect_bad_count),
	    T(test_indirect_bad_op),
	    T(test_indirect_bad_gref),
	    T(test_indirect_bad_sectors),
	    T(test_indirect_readonly),
	    T(test_indirect_reads_into_own_list),
	    T(test_one_notification_per_batch),
	    cmocka_unit_test_setup_teardown(test_persistent_keeps_grants, setup_persistent,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_persistent_readonly_grant, setup_persistent,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_persistent_revoked, setup_persistent, teardown),
	    cmocka_unit_test_setup_teardown(test_persistent_indirect, setup_persistent, teardown),
	    cmocka_unit_test_setup_teardown(test_grant_revoked_in_flight, setup_pool, teardown),
	    cmocka_unit_test_setup_teardown(test_grant_revoked_in_flight, setup_uring, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_page_ring, setup_multi_uring, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_page_ring, setup_multi_pool, teardown),
	    T(test_ring_page_counts),
	    cmocka_unit_test_setup_teardown(test_out_of_order, setup_reverse, teardown),
	    EACH(test_ring_full),
	    EACH(test_flush_ordering),
	    EACH(test_errors_in_batch),
	    EACH(test_host_write_error),
	    EACH(test_readonly_batch),
	    EACH(test_destroy_in_flight),
	    cmocka_unit_test_setup_teardown(test_flush_holds_later_requests, setup_pool, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_holds_later_requests, setup_uring, teardown),
	    cmocka_unit_test_setup_teardown(test_bus_lifecycle, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_create_errors, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_unpublished, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_untrusted, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_shared_image, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_ring_in_flight, bus_setup, bus_teardown),
	    cmocka_unit_test_setup_teardown(test_bus_multi_page_persistent, bus_setup,
					    bus_teardown),
	};
#undef T
#undef EACH

	return cmocka_run_group_tests(tests, NULL, NULL);
}
