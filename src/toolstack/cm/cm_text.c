/* SPDX-License-Identifier: MIT */
/*
 * complex-matcher: the text it works on. Growable strings; UTF-8, which
 * filters are checked to be and JSON strings need not be (a byte that
 * starts no valid sequence reads as U+FFFD); and numbers as JavaScript
 * converts them, Number(string) and String(number), read and written in
 * the C locale whatever the process's.
 */
#include "toolstack/cm/cm_internal.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable strings ---------------------------------------------- */

void cm_sb_add(struct sbuf *b, const void *p, size_t n)
{
	char *s;
	size_t cap;

	if (b->oom)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void cm_sb_addc(struct sbuf *b, char c)
{
	cm_sb_add(b, &c, 1);
}

void cm_sb_adds(struct sbuf *b, const char *s)
{
	cm_sb_add(b, s, strlen(s));
}

/* Encode cp as UTF-8 into u; the number of bytes. */
size_t cm_utf8_put(uint32_t cp, unsigned char u[4])
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

void cm_sb_addcp(struct sbuf *b, uint32_t cp)
{
	unsigned char u[4];

	cm_sb_add(b, u, cm_utf8_put(cp, u));
}

void cm_sb_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t cm_utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Decode the code point at *pos and step over it. Filters are checked
 * first, but JSON strings need not be valid (json_string_nocheck): a byte
 * that starts no valid sequence reads as U+FFFD.
 */
uint32_t cm_utf8_next(const char *str, size_t len, size_t *pos)
{
	const unsigned char *s = (const unsigned char *)str + *pos;
	size_t n = cm_utf8_seq_len(s, len - *pos), i;
	uint32_t cp;

	if (n == 0) {
		*pos += 1;
		return 0xfffd;
	}
	*pos += n;
	if (n == 1)
		return s[0];
	cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Decode the code point that ends at byte *pos and step back over it. */
uint32_t cm_utf8_prev(const char *s, size_t len, size_t *pos)
{
	size_t end = *pos, at = end, next;
	uint32_t cp;

	do
		at--;
	while (at > 0 && end - at < 4 && ((unsigned char)s[at] & 0xc0) == 0x80);
	next = at;
	cp = cm_utf8_next(s, len, &next);
	if (next != end) {
		*pos = end - 1;
		return 0xfffd;
	}
	*pos = at;
	return cp;
}

/* JavaScript counts positions and lengths in UTF-16 code units. */
size_t cm_utf16_units(const char *s, size_t len)
{
	size_t pos = 0, units = 0;

	while (pos < len)
		units += cm_utf8_next(s, len, &pos) > 0xffff ? 2 : 1;
	return units;
}

/* ---- numbers, as JavaScript converts them ---------------------------- */

static bool digits_in_base(const char *s, size_t len, unsigned base)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'z')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'Z')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (d >= base)
			return false;
	}
	return true;
}

/* StrUnsignedDecimalLiteral: digits [. digits] [e [+-] digits], a digit somewhere. */
static bool is_decimal_literal(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == len)
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == len;
}

/*
 * The value of 0x/0o/0b digits, rounded to nearest even as V8 does: octal
 * and binary are rewritten as hexadecimal for strtod, which rounds right.
 */
static bool radix_value(const char *s, size_t len, unsigned bits, locale_t loc, double *out)
{
	struct sbuf hex = {0};
	size_t total = len * bits, i;
	unsigned acc = 0, have;

	cm_sb_adds(&hex, "0x");
	/* Left-pad to a multiple of 4 bits, then emit a hex digit per 4 bits. */
	have = (unsigned)((4 - total % 4) % 4);
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] >= 'a'   ? s[i] - 'a' + 10
					: s[i] >= 'A' ? s[i] - 'A' + 10
						      : s[i] - '0');
		int k;

		for (k = (int)bits - 1; k >= 0; k--) {
			acc = acc << 1 | (d >> k & 1);
			if (++have == 4) {
				cm_sb_addc(&hex, "0123456789abcdef"[acc]);
				acc = 0;
				have = 0;
			}
		}
	}
	if (hex.oom) {
		cm_sb_free(&hex);
		return false;
	}
	*out = strtod_l(hex.s, NULL, loc);
	cm_sb_free(&hex);
	return true;
}

/*
 * JavaScript's Number(string): false for NaN (or when memory runs out,
 * which only very long hexadecimal words can cause).
 */
bool cm_js_to_number(const char *str, size_t len, locale_t loc, double *out)
{
	size_t start = 0, end = len, p;
	const char *s;
	char *copy;
	bool neg = false;

	/* Trim white space and line terminators at both ends. */
	while (start < end) {
		p = start;
		if (!cm_is_js_space(cm_utf8_next(str, len, &p)))
			break;
		start = p;
	}
	while (end > start) {
		p = end;
		if (!cm_is_js_space(cm_utf8_prev(str, len, &p)))
			break;
		end = p;
	}
	s = str + start;
	len = end - start;
	if (len == 0) {
		*out = 0;
		return true;
	}
	if (len > 2 && s[0] == '0') {
		unsigned base = 0;

		switch (s[1]) {
		case 'x':
		case 'X':
			base = 16;
			break;
		case 'o':
		case 'O':
			base = 8;
			break;
		case 'b':
		case 'B':
			base = 2;
			break;
		}
		if (base) {
			if (!digits_in_base(s + 2, len - 2, base))
				return false;
			return radix_value(s + 2, len - 2,
					   base == 16  ? 4
					   : base == 8 ? 3
						       : 1,
					   loc, out);
		}
	}
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if (len == 8 && !memcmp(s, "Infinity", 8)) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	if (!is_decimal_literal(s, len))
		return false;
	copy = strndup(s, len);
	if (!copy)
		return false;
	*out = strtod_l(copy, NULL, loc);
	free(copy);
	if (neg)
		*out = -*out;
	return true;
}

/* The shortest decimal digits that read back as d (> 0), and the exponent. */
static void shortest_digits(double d, locale_t loc, char digits[24], int *exp10)
{
	char buf[40], again[40];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		char *e;
		size_t n = 0, i;

		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		/* Keep the digits whatever the locale's radix character. */
		for (i = 0; buf[i] && buf[i] != 'e'; i++)
			if (buf[i] >= '0' && buf[i] <= '9')
				digits[n++] = buf[i];
		digits[n] = '\0';
		*exp10 = (int)strtol(buf + i + 1, &e, 10);
		snprintf(again, sizeof(again), "%c.%se%d", digits[0], digits + 1, *exp10);
		if (strtod_l(again, NULL, loc) == d)
			break;
	}
	/* Trailing zeros are not significant. */
	for (prec = (int)strlen(digits); prec > 1 && digits[prec - 1] == '0'; prec--)
		digits[prec - 1] = '\0';
}

/* Append JavaScript's String(d) (Number::toString, ECMA-262 6.1.6.1.20). */
void cm_js_number_string(struct sbuf *b, double d, locale_t loc)
{
	char digits[24], tmp[16];
	int e, k, n, i;

	if (isnan(d)) {
		cm_sb_adds(b, "NaN");
		return;
	}
	if (d == 0) {
		cm_sb_addc(b, '0');
		return;
	}
	if (d < 0) {
		cm_sb_addc(b, '-');
		d = -d;
	}
	if (isinf(d)) {
		cm_sb_adds(b, "Infinity");
		return;
	}
	shortest_digits(d, loc, digits, &e);
	k = (int)strlen(digits);
	n = e + 1;
	if (k <= n && n <= 21) {
		cm_sb_adds(b, digits);
		for (i = 0; i < n - k; i++)
			cm_sb_addc(b, '0');
	} else if (0 < n && n <= 21) {
		cm_sb_add(b, digits, (size_t)n);
		cm_sb_addc(b, '.');
		cm_sb_adds(b, digits + n);
	} else if (-6 < n && n <= 0) {
		cm_sb_adds(b, "0.");
		for (i = 0; i < -n; i++)
			cm_sb_addc(b, '0');
		cm_sb_adds(b, digits);
	} else {
		cm_sb_addc(b, digits[0]);
		if (k > 1) {
			cm_sb_addc(b, '.');
			cm_sb_adds(b, digits + 1);
		}
		snprintf(tmp, sizeof(tmp), "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
		cm_sb_adds(b, tmp);
	}
}
