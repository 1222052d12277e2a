/* SPDX-License-Identifier: MIT */
/* xen/xen.h first: it shadows <xen/xen.h> under -Isrc (see gnttab.c). */
#include "core/memory.h"
#include "lib/test.h"
#include "lib/util.h"
#include "xen/gnttab.h"
#include "xen/gnttab_persistent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE  (256 * KIB)
#define TABLE_GFN 4ULL /* frame 0 of the table */
#define DATA_GFN  10ULL

struct fixture {
	struct guest_memory mem;
	struct gnttab gt;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || guest_memory_map(&f->mem, RAM_SIZE)) {
		free(f);
		return -1;
	}
	gnttab_init(&f->gt, &f->mem);
	if (gnttab_set_frame(&f->gt, 0, TABLE_GFN)) {
		guest_memory_unmap(&f->mem);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gnttab_destroy(&f->gt);
	guest_memory_unmap(&f->mem);
	free(f);
	return 0;
}

static grant_entry_v1_t *entry(struct fixture *f, unsigned frame_index, grant_ref_t ref)
{
	uint64_t gfn = f->gt.frame_gfn[frame_index];
	grant_entry_v1_t *table = gpa_to_hva(&f->mem, gfn * 4096, 4096);

	assert_non_null(table);
	return &table[ref];
}

static void grant(struct fixture *f, grant_ref_t ref, uint16_t flags, uint16_t domid,
		  uint32_t frame)
{
	grant_entry_v1_t *e = entry(f, 0, ref);

	e->domid = domid;
	e->frame = frame;
	e->flags = flags;
}

static void test_map_rw(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_entry_v1_t *e = entry(f, 0, 9);

	grant(f, 9, GTF_permit_access, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 9, true, &m), 0);
	assert_ptr_equal(m.page, gpa_to_hva(&f->mem, DATA_GFN * 4096, 4096));
	assert_true(m.writable);
	assert_int_equal(e->flags, GTF_permit_access | GTF_reading | GTF_writing);
	memcpy(m.page, "granted", 8);
	gnttab_unmap(&f->gt, &m);
	assert_null(m.page);
	assert_int_equal(e->flags, GTF_permit_access);
	/* Idempotent. */
	gnttab_unmap(&f->gt, &m);
	assert_int_equal(e->flags, GTF_permit_access);
	assert_memory_equal(gpa_to_hva(&f->mem, DATA_GFN * 4096, 8), "granted", 8);
}

static void test_map_ro(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_entry_v1_t *e = entry(f, 0, 10);

	grant(f, 10, GTF_permit_access | GTF_readonly, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 10, false, &m), 0);
	assert_non_null(m.page);
	assert_int_equal(e->flags, GTF_permit_access | GTF_readonly | GTF_reading);
	gnttab_unmap(&f->gt, &m);
	assert_int_equal(e->flags, GTF_permit_access | GTF_readonly);
}

static void test_ro_mapped_writable(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_entry_v1_t *e = entry(f, 0, 11);

	grant(f, 11, GTF_permit_access | GTF_readonly, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 11, true, &m), -EPERM);
	assert_null(m.page);
	assert_int_equal(e->flags, GTF_permit_access | GTF_readonly);
}

static void test_wrong_domid(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;

	grant(f, 12, GTF_permit_access, 3, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 12, false, &m), -EINVAL);
	assert_null(m.page);
	assert_int_equal(entry(f, 0, 12)->flags, GTF_permit_access);
}

static void test_not_permitted(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;

	grant(f, 13, GTF_invalid, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 13, false, &m), -EINVAL);
	grant(f, 13, GTF_accept_transfer, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 13, false, &m), -EINVAL);
	grant(f, 13, GTF_transitive, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 13, false, &m), -EINVAL);
	grant(f, 13, GTF_permit_access | GTF_sub_page, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 13, false, &m), -EINVAL);
	assert_null(m.page);
}

static void test_ref_out_of_range(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;

	assert_int_equal(gnttab_map(&f->gt, GNTTAB_ENTRIES_PER_FRAME, false, &m), -EINVAL);
	assert_int_equal(gnttab_map(&f->gt, UINT32_MAX, false, &m), -EINVAL);
	assert_null(m.page);
	/* The last ref of frame 0 is in range. */
	grant(f, GNTTAB_ENTRIES_PER_FRAME - 1, GTF_permit_access, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, GNTTAB_ENTRIES_PER_FRAME - 1, false, &m), 0);
	gnttab_unmap(&f->gt, &m);
}

static void test_frame_not_placed(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_ref_t ref = 2 * GNTTAB_ENTRIES_PER_FRAME + 5;

	/* Frame 2 placed makes nr_frames 3, but frame 1 is a gap. */
	assert_int_equal(gnttab_set_frame(&f->gt, 2, TABLE_GFN + 2), 0);
	assert_int_equal(f->gt.nr_frames, 3);
	assert_int_equal(gnttab_map(&f->gt, GNTTAB_ENTRIES_PER_FRAME + 5, false, &m), -EINVAL);
	entry(f, 2, 5)->domid = 0;
	entry(f, 2, 5)->frame = DATA_GFN;
	entry(f, 2, 5)->flags = GTF_permit_access;
	assert_int_equal(gnttab_map(&f->gt, ref, false, &m), 0);
	gnttab_unmap(&f->gt, &m);
	gnttab_reset(&f->gt);
	assert_int_equal(gnttab_map(&f->gt, ref, false, &m), -EINVAL);
	assert_int_equal(gnttab_map(&f->gt, 0, false, &m), -EINVAL);
}

static void test_frame_outside_ram(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_entry_v1_t *e = entry(f, 0, 14);

	grant(f, 14, GTF_permit_access, 0, RAM_SIZE / 4096);
	assert_int_equal(gnttab_map(&f->gt, 14, true, &m), -EFAULT);
	assert_null(m.page);
	/* The failed map must not leave the entry marked in use. */
	assert_int_equal(e->flags, GTF_permit_access);
	grant(f, 14, GTF_permit_access, 0, UINT32_MAX);
	assert_int_equal(gnttab_map(&f->gt, 14, false, &m), -EFAULT);
	assert_int_equal(e->flags, GTF_permit_access);
}

static void test_reserved_refs(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;

	grant(f, GNTTAB_RESERVED_CONSOLE, GTF_permit_access, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, GNTTAB_RESERVED_CONSOLE, true, &m), 0);
	gnttab_unmap(&f->gt, &m);
	grant(f, GNTTAB_RESERVED_XENSTORE, GTF_permit_access, 0, DATA_GFN + 1);
	assert_int_equal(gnttab_map(&f->gt, GNTTAB_RESERVED_XENSTORE, false, &m), 0);
	gnttab_unmap(&f->gt, &m);
}

static void test_unmap_keeps_guest_bits(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m;
	grant_entry_v1_t *e = entry(f, 0, 15);

	grant(f, 15, GTF_permit_access | GTF_PAT, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 15, true, &m), 0);
	/* The guest flips a bit it owns while we hold the page. */
	e->flags |= GTF_PCD;
	gnttab_unmap(&f->gt, &m);
	assert_int_equal(e->flags, GTF_permit_access | GTF_PAT | GTF_PCD);
}

static void test_set_frame(void **state)
{
	struct fixture *f = *state;
	uint8_t *old_page, *new_page;

	assert_int_equal(gnttab_set_frame(&f->gt, GNTTAB_MAX_FRAMES, 20), -EINVAL);
	assert_int_equal(gnttab_set_frame(&f->gt, 1, RAM_SIZE / 4096), -EFAULT);
	assert_int_equal(gnttab_set_frame(&f->gt, 1, UINT64_MAX), -EFAULT);
	assert_int_equal(gnttab_set_frame(&f->gt, 1, UINT64_MAX >> 11), -EFAULT);
	assert_int_equal(f->gt.nr_frames, 1);
	assert_int_equal(f->gt.frame_gfn[1], GNTTAB_NO_FRAME);

	/* A first placement zeroes the page. */
	new_page = gpa_to_hva(&f->mem, 20ULL * 4096, 4096);
	memset(new_page, 0xAA, 4096);
	assert_int_equal(gnttab_set_frame(&f->gt, 1, 20), 0);
	assert_int_equal(new_page[0], 0);
	assert_int_equal(new_page[4095], 0);
	assert_int_equal(f->gt.nr_frames, 2);

	/* Moving frame 0 carries its entries along. */
	grant(f, 20, GTF_permit_access, 0, DATA_GFN);
	old_page = gpa_to_hva(&f->mem, TABLE_GFN * 4096, 4096);
	assert_int_equal(gnttab_set_frame(&f->gt, 0, 30), 0);
	assert_int_equal(f->gt.frame_gfn[0], 30);
	assert_memory_equal(gpa_to_hva(&f->mem, 30ULL * 4096, 4096), old_page, 4096);
	assert_int_equal(entry(f, 0, 20)->frame, DATA_GFN);
	/* Placing it at the same gfn again keeps the contents. */
	assert_int_equal(gnttab_set_frame(&f->gt, 0, 30), 0);
	assert_int_equal(entry(f, 0, 20)->flags, GTF_permit_access);
}

static void test_copy(void **state)
{
	struct fixture *f = *state;
	char buf[16] = {0};

	grant(f, 16, GTF_permit_access, 0, DATA_GFN);
	grant(f, 17, GTF_permit_access | GTF_readonly, 0, DATA_GFN);
	assert_int_equal(gnttab_copy_to_guest(&f->gt, 16, 4090, "abcdef", 6), 0);
	assert_int_equal(gnttab_copy_from_guest(&f->gt, 17, 4090, buf, 6), 0);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(gnttab_copy_to_guest(&f->gt, 17, 0, "x", 1), -EPERM);
	assert_int_equal(gnttab_copy_to_guest(&f->gt, 16, 4091, "abcdef", 6), -EINVAL);
	assert_int_equal(gnttab_copy_from_guest(&f->gt, 16, 4097, buf, 0), -EINVAL);
	assert_int_equal(gnttab_copy_from_guest(&f->gt, 16, 0, buf, SIZE_MAX), -EINVAL);
	assert_int_equal(entry(f, 0, 16)->flags, GTF_permit_access);
	assert_int_equal(entry(f, 0, 17)->flags, GTF_permit_access | GTF_readonly);
}

/* A mapping stands until the guest changes what it granted. */
static void test_mapping_intact(void **state)
{
	struct fixture *f = *state;
	struct gnttab_mapping m = {0};
	grant_entry_v1_t *e = entry(f, 0, 9);

	assert_false(gnttab_mapping_intact(&f->gt, &m));
	grant(f, 9, GTF_permit_access, 0, DATA_GFN);
	assert_int_equal(gnttab_map(&f->gt, 9, true, &m), 0);
	assert_true(gnttab_mapping_intact(&f->gt, &m));
	e->frame = DATA_GFN + 1;
	assert_false(gnttab_mapping_intact(&f->gt, &m));
	e->frame = DATA_GFN;
	e->domid = 3;
	assert_false(gnttab_mapping_intact(&f->gt, &m));
	e->domid = 0;
	e->flags = GTF_permit_access | GTF_reading; /* the guest cleared GTF_writing */
	assert_false(gnttab_mapping_intact(&f->gt, &m));
	e->flags = GTF_permit_access | GTF_reading | GTF_writing | GTF_readonly;
	assert_false(gnttab_mapping_intact(&f->gt, &m));
	e->flags = GTF_permit_access | GTF_reading | GTF_writing;
	assert_true(gnttab_mapping_intact(&f->gt, &m));
	gnttab_unmap(&f->gt, &m);
	assert_false(gnttab_mapping_intact(&f->gt, &m));
}

/* Kept grants: found again without a map, bounded by cap, all given back at the end. */
static void test_persistent_cache(void **state)
{
	struct fixture *f = *state;
	struct gnttab_persistent p;
	void *page, *again;

	for (grant_ref_t ref = 10; ref < 14; ref++)
		grant(f, ref, GTF_permit_access, 0, (uint32_t)(DATA_GFN + ref));
	grant(f, 14, GTF_permit_access | GTF_readonly, 0, DATA_GFN);
	assert_int_equal(gnttab_persistent_init(&p, &f->gt, 2), 0);
	assert_true(gnttab_persistent_enabled(&p));
	assert_int_equal(gnttab_persistent_get(&p, 10, &page), 0);
	assert_ptr_equal(page, gpa_to_hva(&f->mem, (DATA_GFN + 10) * 4096, 4096));
	assert_int_equal(gnttab_persistent_get(&p, 10, &again), 0);
	assert_ptr_equal(again, page);
	assert_int_equal(gnttab_persistent_get(&p, 14, &page), -EPERM);
	assert_int_equal(gnttab_persistent_get(&p, 9999, &page), -EINVAL);
	assert_int_equal(gnttab_persistent_get(&p, 11, &page), 0);
	assert_int_equal(gnttab_persistent_get(&p, 12, &page), -ENOSPC);
	assert_int_equal(entry(f, 0, 12)->flags, GTF_permit_access);
	assert_int_equal(p.used, 2);

	/* Revoked: dropped and given back, then kept again in its own place once re-granted. */
	entry(f, 0, 11)->flags = GTF_permit_access;
	assert_int_equal(gnttab_persistent_get(&p, 11, &page), -ESTALE);
	entry(f, 0, 11)->flags = 0;
	assert_int_equal(gnttab_persistent_get(&p, 11, &page), -EINVAL);
	grant(f, 11, GTF_permit_access, 0, DATA_GFN + 11);
	assert_int_equal(gnttab_persistent_get(&p, 11, &page), 0);
	assert_int_equal(p.used, 2);

	gnttab_persistent_destroy(&p);
	for (grant_ref_t ref = 10; ref < 15; ref++)
		assert_int_equal(entry(f, 0, ref)->flags & (GTF_reading | GTF_writing), 0);
	assert_false(gnttab_persistent_enabled(&p));
	gnttab_persistent_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_map_rw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_ro, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ro_mapped_writable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_domid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_permitted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ref_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_not_placed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_refs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_keeps_guest_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mapping_intact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persistent_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
