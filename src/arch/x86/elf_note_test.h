/* SPDX-License-Identifier: MIT */
/*
 * For tests that build kernel images: one Xen ELF note (name "Xen"), laid
 * out as in a PT_NOTE segment, so that each test file does not spell the
 * note format again.
 */
#ifndef XKVM_ARCH_X86_ELF_NOTE_TEST_H
#define XKVM_ARCH_X86_ELF_NOTE_TEST_H

#include "lib/util.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Writes the note at p (room for 16 + descsz rounded up to 4); returns its size. */
static inline size_t put_note(uint8_t *p, uint32_t type, const void *desc, uint32_t descsz)
{
	uint32_t hdr[3] = {4, descsz, type};

	memcpy(p, hdr, 12);
	memcpy(p + 12, "Xen", 4);
	memcpy(p + 16, desc, descsz);
	return 16 + ALIGN_UP(descsz, 4);
}

#endif
