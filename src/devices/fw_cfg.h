/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device (fw_cfg), the way SeaBIOS finds
 * its configuration on a PC: a 16-bit selector port picks an item and an
 * 8-bit data port streams its bytes.  Items are the legacy numbered keys
 * (signature, interface ID, CPU count, "no graphics") and named files
 * listed in a directory (etc/e820, bootorder, the ACPI table loader).
 * Only the traditional port interface: the ID item does not advertise
 * DMA, so firmware never uses it.  Everything the guest can read is built
 * by the VMM before the vCPUs run; the guest only moves a cursor.
 */
#ifndef XKVM_DEVICES_FW_CFG_H
#define XKVM_DEVICES_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define FW_CFG_PORT	0x510
#define FW_CFG_NR_PORTS 2 /* offset 0: selector (16-bit), offset 1: data (8-bit) */

/* Legacy keys SeaBIOS reads (src/fw/paravirt.c). */
#define FW_CFG_SIGNATURE  0x00
#define FW_CFG_ID	  0x01
#define FW_CFG_UUID	  0x02
#define FW_CFG_NOGRAPHIC  0x04
#define FW_CFG_NB_CPUS	  0x05
#define FW_CFG_NUMA	  0x0d
#define FW_CFG_BOOT_MENU  0x0e
#define FW_CFG_MAX_CPUS	  0x0f
#define FW_CFG_FILE_DIR	  0x19
#define FW_CFG_FILE_FIRST 0x20

#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN	 56 /* with its terminating NUL */
/* No item the VMM builds comes near this; a bigger one is a VMM bug. */
#define FW_CFG_MAX_ITEM (16u << 20)

#define FW_CFG_NR_KEYS (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

struct fw_cfg_item {
	uint8_t *data;
	uint32_t len;
};

struct fw_cfg {
	pthread_mutex_t lock;
	uint16_t selector;
	uint32_t cursor; /* next byte of the selected item */
	struct fw_cfg_item items[FW_CFG_NR_KEYS];
	char names[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
	unsigned nr_files;
};

/* An empty device holding the signature and interface ID.  0 or -ENOMEM. */
int fw_cfg_init(struct fw_cfg *fw);
void fw_cfg_destroy(struct fw_cfg *fw);
/* Set a legacy item (key below FW_CFG_FILE_FIRST) to a copy of data.  0 or -errno. */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, uint32_t len);
/* A 16-bit little-endian legacy item (NB_CPUS, NOGRAPHIC, ...). */
int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t value);
/*
 * Add a named file holding a copy of data and list it in the directory.
 * 0, -EEXIST (name taken), -ENAMETOOLONG, -ENOSPC (directory full),
 * -EINVAL (empty name or too big) or -ENOMEM.
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, uint32_t len);
/* The bus handler for FW_CFG_PORT .. +1. */
void fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
