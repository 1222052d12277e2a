/* SPDX-License-Identifier: MIT */
/*
 * For the network tests: the Internet checksum (RFC 1071) written the plain
 * way, as a reference the code under test is checked against, so that each
 * test file does not spell it again.
 */
#ifndef XKVM_DEVICES_INET_CSUM_TEST_H
#define XKVM_DEVICES_INET_CSUM_TEST_H

#include <stddef.h>
#include <stdint.h>

/* Adds len bytes as big-endian 16-bit words (an odd last byte padded) to s. */
static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i += 2)
		s += (uint32_t)(p[i] << 8) | (i + 1 < len ? p[i + 1] : 0);
	return s;
}

/* Folds the carries back in: a correct checksum over its data gives 0xffff. */
static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
