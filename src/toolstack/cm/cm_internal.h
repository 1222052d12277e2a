/* SPDX-License-Identifier: MIT */
/*
 * complex-matcher internals shared by its files (not a public header; the
 * interface is toolstack/complex_matcher.h):
 *
 *   cm_text.c     growable strings, UTF-8, numbers as JavaScript converts them
 *   cm_unicode.c  the Unicode tables generated from Node, case mapping
 *   cm_regex.c    sets of code points, JavaScript regexes translated to POSIX
 *   ../complex_matcher.c  the syntax tree, parser, matching, printing
 */
#ifndef XKVM_TOOLSTACK_CM_CM_INTERNAL_H
#define XKVM_TOOLSTACK_CM_CM_INTERNAL_H

#include <locale.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A limit, spelled out in a message. */
#define STR(x)	#x
#define XSTR(x) STR(x)

static inline bool cm_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ---- cm_text.c: growable strings ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom; /* sticky: an allocation failed, the contents are incomplete */
};

void cm_sb_add(struct sbuf *b, const void *p, size_t n);
void cm_sb_addc(struct sbuf *b, char c);
void cm_sb_adds(struct sbuf *b, const char *s);
/* Append cp as UTF-8. */
void cm_sb_addcp(struct sbuf *b, uint32_t cp);
void cm_sb_free(struct sbuf *b);

/* ---- cm_text.c: UTF-8 ---- */

/* Encode cp as UTF-8 into u; the number of bytes. */
size_t cm_utf8_put(uint32_t cp, unsigned char u[4]);
/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t cm_utf8_seq_len(const unsigned char *s, size_t n);
/* Decode the code point at *pos and step over it; invalid bytes read as U+FFFD. */
uint32_t cm_utf8_next(const char *str, size_t len, size_t *pos);
/* Decode the code point that ends at byte *pos and step back over it. */
uint32_t cm_utf8_prev(const char *s, size_t len, size_t *pos);
/* The length of s in UTF-16 code units, as JavaScript counts it. */
size_t cm_utf16_units(const char *s, size_t len);

/* ---- cm_text.c: numbers, as JavaScript converts them ---- */

/* JavaScript's Number(string), read in the C locale loc: false for NaN. */
bool cm_js_to_number(const char *str, size_t len, locale_t loc, double *out);
/* Append JavaScript's String(d). */
void cm_js_number_string(struct sbuf *b, double d, locale_t loc);

/* ---- cm_unicode.c: Unicode tables and case mapping ---- */

struct cm_range {
	uint32_t lo, hi;
};

/* Code points first, first + stride, ... last map to themselves + delta. */
struct cm_case_run {
	uint32_t first, last;
	uint32_t stride;
	int32_t delta;
};

/* The regex Canonicalize() of BMP code units, as runs. */
extern const struct cm_case_run cm_canon_runs[];
extern const size_t cm_canon_runs_len;
/* JavaScript's \s: white space and line terminators. */
extern const struct cm_range cm_js_spaces[];
extern const size_t cm_js_spaces_len;

/* Is cp in one of the n sorted, disjoint ranges r? */
bool cm_in_ranges(const struct cm_range *r, size_t n, uint32_t cp);
/* Regex Canonicalize() of one UTF-16 code unit (astral ones never fold). */
uint32_t cm_js_canon(uint32_t cp);
/* JavaScript's \s, also what Number() trims. */
bool cm_is_js_space(uint32_t cp);
/* A character of an unquoted word: a digit, _ - . $ or a letter with case. */
bool cm_is_raw_cp(uint32_t cp);
/* The same, for the UTF-16 code units the parser reads: no astral character. */
bool cm_is_raw_unit(uint32_t cp);
/* Append JavaScript's s.toLowerCase() (locale-independent) to b. */
void cm_js_lower(struct sbuf *b, const char *s, size_t len);
/* Append s with each character replaced by its regex Canonicalize(). */
void cm_js_canon_string(struct sbuf *b, const char *s, size_t len);

/* ---- cm_regex.c: JavaScript regular expressions ---- */

/*
 * Compile JavaScript regex source (valid UTF-8) for RegExp.test(), in the
 * C locale loc. On failure, append JavaScript's SyntaxError message (or
 * why there is no translation) to msg and return false.
 */
bool cm_js_regex_compile(regex_t *re, const char *src, size_t len, bool icase, locale_t loc,
			 struct sbuf *msg);

#endif
