/* SPDX-License-Identifier: MIT */
#include "devices/fw_cfg.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Interface ID bit 0: the traditional port interface (bit 1, DMA, stays clear). */
#define FW_CFG_ID_TRADITIONAL 1u

/* One entry of the file directory, all fields big-endian (QEMU's FWCfgFile). */
struct fw_cfg_dir_entry {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_NAME_LEN];
};

_Static_assert(sizeof(struct fw_cfg_dir_entry) == 64, "fw_cfg directory entry layout");

/* Replace an item's contents with a copy of data (caller holds the lock or owns fw). */
static int set_item(struct fw_cfg_item *item, const void *data, uint32_t len)
{
	uint8_t *copy = NULL;

	if (len > FW_CFG_MAX_ITEM)
		return -EINVAL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	free(item->data);
	item->data = copy;
	item->len = len;
	return 0;
}

int fw_cfg_init(struct fw_cfg *fw)
{
	uint32_t id = htole32(FW_CFG_ID_TRADITIONAL);
	int r;

	memset(fw, 0, sizeof(*fw));
	pthread_mutex_init(&fw->lock, NULL);
	r = set_item(&fw->items[FW_CFG_SIGNATURE], "QEMU", 4);
	if (!r)
		r = set_item(&fw->items[FW_CFG_ID], &id, sizeof(id));
	if (!r) {
		/* An empty directory: a count of zero. */
		uint32_t count = 0;

		r = set_item(&fw->items[FW_CFG_FILE_DIR], &count, sizeof(count));
	}
	if (r)
		fw_cfg_destroy(fw);
	return r;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
	for (unsigned i = 0; i < FW_CFG_NR_KEYS; i++) {
		free(fw->items[i].data);
		fw->items[i].data = NULL;
		fw->items[i].len = 0;
	}
	fw->nr_files = 0;
	pthread_mutex_destroy(&fw->lock);
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, uint32_t len)
{
	int r;

	/* The directory is derived from the files; files have their own call. */
	if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_FILE_DIR)
		return -EINVAL;
	pthread_mutex_lock(&fw->lock);
	r = set_item(&fw->items[key], data, len);
	pthread_mutex_unlock(&fw->lock);
	return r;
}

int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t value)
{
	uint16_t le = htole16(value);

	return fw_cfg_add_bytes(fw, key, &le, sizeof(le));
}

/* Rebuild the directory item from the files (lock held). */
static int rebuild_directory(struct fw_cfg *fw)
{
	uint32_t len = 4 + fw->nr_files * (uint32_t)sizeof(struct fw_cfg_dir_entry);
	uint8_t *dir = calloc(1, len);
	uint32_t count = htobe32(fw->nr_files);

	if (!dir)
		return -ENOMEM;
	memcpy(dir, &count, sizeof(count));
	for (unsigned i = 0; i < fw->nr_files; i++) {
		struct fw_cfg_dir_entry e = {
		    .size = htobe32(fw->items[FW_CFG_FILE_FIRST + i].len),
		    .select = htobe16((uint16_t)(FW_CFG_FILE_FIRST + i)),
		};

		memcpy(e.name, fw->names[i], FW_CFG_NAME_LEN);
		memcpy(dir + 4 + i * sizeof(e), &e, sizeof(e));
	}
	free(fw->items[FW_CFG_FILE_DIR].data);
	fw->items[FW_CFG_FILE_DIR] = (struct fw_cfg_item){dir, len};
	return 0;
}

static int add_file_locked(struct fw_cfg *fw, const char *name, const void *data, uint32_t len)
{
	size_t name_len = strlen(name);
	unsigned slot = fw->nr_files;
	int r;

	if (!name_len)
		return -EINVAL;
	if (name_len >= FW_CFG_NAME_LEN)
		return -ENAMETOOLONG;
	for (unsigned i = 0; i < fw->nr_files; i++)
		if (strcmp(fw->names[i], name) == 0)
			return -EEXIST;
	if (slot >= FW_CFG_MAX_FILES)
		return -ENOSPC;
	r = set_item(&fw->items[FW_CFG_FILE_FIRST + slot], data, len);
	if (r)
		return r;
	memset(fw->names[slot], 0, FW_CFG_NAME_LEN);
	memcpy(fw->names[slot], name, name_len);
	fw->nr_files++;
	r = rebuild_directory(fw);
	if (r) {
		fw->nr_files--;
		set_item(&fw->items[FW_CFG_FILE_FIRST + slot], NULL, 0);
	}
	return r;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, uint32_t len)
{
	int r;

	pthread_mutex_lock(&fw->lock);
	r = add_file_locked(fw, name, data, len);
	pthread_mutex_unlock(&fw->lock);
	return r;
}

/* The next byte of the selected item; past its end (or for an unknown key) 0. */
static uint8_t next_byte(struct fw_cfg *fw)
{
	const struct fw_cfg_item *item;

	if (fw->selector >= FW_CFG_NR_KEYS)
		return 0;
	item = &fw->items[fw->selector];
	if (fw->cursor >= item->len)
		return 0;
	return item->data[fw->cursor++];
}

void fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fw_cfg *fw = opaque;

	pthread_mutex_lock(&fw->lock);
	if (offset == 0 && is_write && len >= 2) {
		/* Bit 14 (write) and bit 15 (arch-local) are part of the key: unknown keys read 0.
		 */
		fw->selector = (uint16_t)(data[0] | data[1] << 8);
		fw->cursor = 0;
	} else if (offset == 1 && !is_write) {
		/* The data port is 8 bits wide; a wider read sees one byte, as QEMU's. */
		data[0] = next_byte(fw);
	}
	/* Data writes (a write-enabled selector) are not supported and are ignored. */
	pthread_mutex_unlock(&fw->lock);
}
