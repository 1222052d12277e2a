/* SPDX-License-Identifier: MIT */
/*
 * A tiny AML (ACPI Machine Language) writer: just the opcodes xkvm's DSDT
 * needs.  Each call appends to a bounded buffer; an overflow is sticky and
 * reported by aml_error(), so callers check once at the end.  Malformed
 * input (a bad NameSeg, a non-ASCII string...) sets the same error.
 *
 * Constructs with a PkgLength are opened and closed in LIFO order.  Opening
 * reserves the 4-byte maximum; closing re-encodes the length in the fewest
 * bytes and moves the body down, so the buffer needs up to 3 spare bytes per
 * construct still open at the deepest point.
 */
#ifndef XKVM_ARCH_X86_AML_H
#define XKVM_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t size;
	size_t len;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t size);
bool aml_error(const struct aml *a);

/* Opcodes for aml_open(); AML_DEVICE_OP is an extended (0x5B-prefixed) one. */
#define AML_SCOPE_OP   0x10
#define AML_BUFFER_OP  0x11
#define AML_PACKAGE_OP 0x12
#define AML_DEVICE_OP  0x82

/* Start a length-prefixed construct (Device, Package, Buffer...); returns a mark. */
size_t aml_open(struct aml *a, uint8_t opcode, bool extended);
/* Close it: back-patch the PkgLength of the construct opened at mark. */
void aml_close(struct aml *a, size_t mark);

void aml_byte(struct aml *a, uint8_t b);
void aml_integer(struct aml *a, uint64_t v);	   /* smallest Byte/Word/DWord/QWord const */
void aml_name_seg(struct aml *a, const char *seg); /* 1-4 chars, padded with '_' */
void aml_name(struct aml *a, const char *seg);	   /* NameOp + NameSeg; a value follows */
void aml_string(struct aml *a, const char *s);

/*
 * Encode a PkgLength value (which counts its own bytes) into out; returns
 * the number of bytes (1-4), or 0 if len does not fit in 28 bits.
 */
size_t aml_pkg_length_encode(uint32_t len, uint8_t out[4]);

/* A NameString: optional '\\' root or '^' parent prefixes, then dot-separated segs. */
void aml_name_path(struct aml *a, const char *path);
/* EisaId("PNP0501"): the compressed 32-bit EISA ID as a DWordConst. */
void aml_eisa_id(struct aml *a, const char *id);

/* Scope(path) { ... }, Device(seg) { ... }, Package(n) { ... }: close with aml_close(). */
size_t aml_scope_open(struct aml *a, const char *path);
size_t aml_device_open(struct aml *a, const char *seg);
size_t aml_package_open(struct aml *a, uint8_t nr_elements);

/* Buffer() { bytes }: the BufferSize is patched in by aml_buffer_close(). */
size_t aml_buffer_open(struct aml *a);
void aml_buffer_close(struct aml *a, size_t mark);

/* ResourceTemplate() { descriptors }: a Buffer whose close appends the EndTag. */
size_t aml_resource_template_open(struct aml *a);
void aml_resource_template_close(struct aml *a, size_t mark);
/* IO (Decode16, min, max, align, len) */
void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
/*
 * Address space descriptors a PCI host bridge produces (MinFixed, MaxFixed,
 * PosDecode, ResourceProducer): WordBusNumber, WordIO (EntireRange) and
 * DWordMemory (NonCacheable, ReadWrite), covering min..max inclusive.
 */
void aml_word_bus_number(struct aml *a, uint16_t min, uint16_t max);
void aml_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_dword_memory(struct aml *a, uint32_t min, uint32_t max);
/* IRQNoFlags () {irq}: edge-triggered, active high, exclusive; irq < 16. */
void aml_irq_no_flags(struct aml *a, unsigned irq);

#endif
