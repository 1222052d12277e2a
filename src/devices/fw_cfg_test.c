/* SPDX-License-Identifier: MIT */
#include "devices/fw_cfg.h"
#include "lib/test.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void select_key(struct fw_cfg *fw, uint16_t key)
{
	uint8_t v[2] = {(uint8_t)key, (uint8_t)(key >> 8)};

	fw_cfg_io(fw, 0, v, 2, true);
}

static void read_data(struct fw_cfg *fw, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		p[i] = 0xee;
		fw_cfg_io(fw, 1, &p[i], 1, false);
	}
}

static void test_signature_and_id(void **state)
{
	struct fw_cfg fw;
	char sig[5] = "";
	uint32_t id;

	(void)state;
	assert_int_equal(fw_cfg_init(&fw), 0);
	select_key(&fw, FW_CFG_SIGNATURE);
	read_data(&fw, sig, 4);
	assert_string_equal(sig, "QEMU");
	select_key(&fw, FW_CFG_ID);
	read_data(&fw, &id, 4);
	/* Traditional interface only: SeaBIOS must not try DMA. */
	assert_int_equal(le32toh(id), 1);
	fw_cfg_destroy(&fw);
}

static void test_reads_past_end_and_unknown_keys_are_zero(void **state)
{
	struct fw_cfg fw;
	uint8_t buf[8];
	const uint8_t zero[8] = {0};

	(void)state;
	assert_int_equal(fw_cfg_init(&fw), 0);
	assert_int_equal(fw_cfg_add_u16(&fw, FW_CFG_NB_CPUS, 2), 0);
	select_key(&fw, FW_CFG_NB_CPUS);
	read_data(&fw, buf, sizeof(buf));
	assert_int_equal(buf[0], 2);
	assert_memory_equal(buf + 1, zero, sizeof(buf) - 1);
	/* Unset legacy keys, arch-local keys, write-flagged keys, unused file slots. */
	for (unsigned k = 0; k < 5; k++) {
		static const uint16_t keys[] = {FW_CFG_NUMA, 0x8003, 0x4005, FW_CFG_FILE_FIRST + 7,
						0xffff};

		select_key(&fw, keys[k]);
		read_data(&fw, buf, sizeof(buf));
		assert_memory_equal(buf, zero, sizeof(buf));
	}
	fw_cfg_destroy(&fw);
}

static void test_reselect_rewinds_and_writes_are_ignored(void **state)
{
	struct fw_cfg fw;
	char sig[5] = "";
	uint8_t junk = 0x55;

	(void)state;
	assert_int_equal(fw_cfg_init(&fw), 0);
	select_key(&fw, FW_CFG_SIGNATURE);
	read_data(&fw, sig, 2);
	fw_cfg_io(&fw, 1, &junk, 1, true);
	select_key(&fw, FW_CFG_SIGNATURE);
	read_data(&fw, sig, 4);
	assert_string_equal(sig, "QEMU");
	fw_cfg_destroy(&fw);
}

static void test_file_directory(void **state)
{
	struct fw_cfg fw;
	uint32_t count;
	uint8_t entry[64], content[6];

	(void)state;
	assert_int_equal(fw_cfg_init(&fw), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "etc/e820", "abcdef", 6), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "bootorder", "x", 1), 0);
	select_key(&fw, FW_CFG_FILE_DIR);
	read_data(&fw, &count, 4);
	assert_int_equal(be32toh(count), 2);
	read_data(&fw, entry, sizeof(entry));
	assert_int_equal(entry[0] << 24 | entry[1] << 16 | entry[2] << 8 | entry[3], 6);
	assert_int_equal(entry[4] << 8 | entry[5], FW_CFG_FILE_FIRST);
	assert_string_equal((char *)entry + 8, "etc/e820");
	read_data(&fw, entry, sizeof(entry));
	assert_int_equal(entry[4] << 8 | entry[5], FW_CFG_FILE_FIRST + 1);
	assert_string_equal((char *)entry + 8, "bootorder");
	select_key(&fw, FW_CFG_FILE_FIRST);
	read_data(&fw, content, sizeof(content));
	assert_memory_equal(content, "abcdef", 6);
	fw_cfg_destroy(&fw);
}

static void test_file_errors(void **state)
{
	struct fw_cfg fw;
	char name[FW_CFG_NAME_LEN + 1];

	(void)state;
	assert_int_equal(fw_cfg_init(&fw), 0);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	assert_int_equal(fw_cfg_add_file(&fw, name, "", 0), -ENAMETOOLONG);
	assert_int_equal(fw_cfg_add_file(&fw, "", "", 0), -EINVAL);
	assert_int_equal(fw_cfg_add_file(&fw, "f", "", 0), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "f", "", 0), -EEXIST);
	for (unsigned i = 1; i < FW_CFG_MAX_FILES; i++) {
		char n[8];

		snprintf(n, sizeof(n), "f%u", i);
		assert_int_equal(fw_cfg_add_file(&fw, n, "", 0), 0);
	}
	assert_int_equal(fw_cfg_add_file(&fw, "one-too-many", "", 0), -ENOSPC);
	assert_int_equal(fw_cfg_add_bytes(&fw, FW_CFG_FILE_DIR, "", 0), -EINVAL);
	assert_int_equal(fw_cfg_add_bytes(&fw, FW_CFG_FILE_FIRST, "", 0), -EINVAL);
	fw_cfg_destroy(&fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature_and_id),
	    cmocka_unit_test(test_reads_past_end_and_unknown_keys_are_zero),
	    cmocka_unit_test(test_reselect_rewinds_and_writes_are_ignored),
	    cmocka_unit_test(test_file_directory),
	    cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
