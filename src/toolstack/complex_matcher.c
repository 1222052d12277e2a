/* SPDX-License-Identifier: MIT */
/*
 * complex-matcher: Xen Orchestra's search syntax (npm complex-matcher 0.7.0).
 *
 * The package is a small PEG parser in JavaScript; this file follows its
 * grammar rule by rule, backtracking included, so that the same filters
 * parse, fail at the same position and match the same values:
 *
 *   filter   = ws term* EOF                  (no term: matches everything)
 *   term     = ( "(" ws term+ ")"            AND
 *              | "|" ws "(" ws term+ ")"     OR
 *              | "!" ws term                 NOT
 *              | [<>] "="? raw               comparison with a number
 *              | name ws ":" ws term         property
 *              | name "?"                    truthy property
 *              | quoted | regex | glob ) ws
 *   name     = quoted | raw
 *
 * Matching follows JavaScript's rules on JSON values: a property of an
 * array may be an index or "length", of a string its length or a UTF-16
 * code unit, and names the prototypes carry ("toString") are truthy.
 * Strings are compared through JavaScript's toLowerCase(), whose Unicode
 * tables are generated below from Node itself.
 *
 * Regular expressions are JavaScript's (non-Unicode mode, with the web
 * compatibility grammar of Annex B). They are checked as V8 checks them,
 * with V8's messages, then translated into a POSIX extended regex that
 * runs byte-wise in the C locale: each JavaScript character class becomes
 * an alternation of UTF-8 byte sequences, the i flag becomes explicit
 * case variants computed as JavaScript's Canonicalize() does, ^ and $
 * become GNU's \` and \' (glibc's own ^ and $ misbehave next to a
 * newline), \b and \B are GNU's, whose word characters are JavaScript's
 * in the C locale. Lookaround and back references have no POSIX
 * equivalent: they, and patterns too large for glibc to expand, are
 * refused with an "Unsupported regular expression" error. Globs are
 * matched natively, with the same case folding.
 *
 * Known differences: JavaScript sees a character outside the BMP as two
 * UTF-16 units, so an atom such as "." or [^a] matches one unit there and
 * the whole character here (quantified astral characters and astral
 * characters in classes are refused). The methods values inherit
 * ("toString") are truthy but have no properties of their own here.
 * Invalid UTF-8 in a JSON string reads as U+FFFD throughout.
 */
#include "toolstack/complex_matcher.h"
#include "lib/util.h"

#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of groups inside one regular expression. */
#define RX_MAX_DEPTH 64
/* Counted repetition above this is refused (glibc expands it in memory). */
#define RX_MAX_REPEAT 1000
/* Rough size of the POSIX automaton: bytes of regex times repetitions. */
#define RX_MAX_COST 200000.0
/* Nesting of JSON values searched (jansson decodes at most 2048 levels). */
#define VALUE_MAX_DEPTH 2048

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A limit, spelled out in a message. */
#define STR(x)	#x
#define XSTR(x) STR(x)

/* ---- growable strings ---------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom; /* sticky: an allocation failed, the contents are incomplete */
};

static void sb_add(struct sbuf *b, const void *p, size_t n)
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

static void sb_addc(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Encode cp as UTF-8 into u; the number of bytes. */
static size_t utf8_put(uint32_t cp, unsigned char u[4])
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

static void sb_addcp(struct sbuf *b, uint32_t cp)
{
	unsigned char u[4];

	sb_add(b, u, utf8_put(cp, u));
}

static void sb_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
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
static uint32_t utf8_next(const char *str, size_t len, size_t *pos)
{
	const unsigned char *s = (const unsigned char *)str + *pos;
	size_t n = utf8_seq_len(s, len - *pos), i;
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
static uint32_t utf8_prev(const char *s, size_t len, size_t *pos)
{
	size_t end = *pos, at = end, next;
	uint32_t cp;

	do
		at--;
	while (at > 0 && end - at < 4 && ((unsigned char)s[at] & 0xc0) == 0x80);
	next = at;
	cp = utf8_next(s, len, &next);
	if (next != end) {
		*pos = end - 1;
		return 0xfffd;
	}
	*pos = at;
	return cp;
}

/* JavaScript counts positions and lengths in UTF-16 code units. */
static size_t utf16_units(const char *s, size_t len)
{
	size_t pos = 0, units = 0;

	while (pos < len)
		units += utf8_next(s, len, &pos) > 0xffff ? 2 : 1;
	return units;
}

/* ---- Unicode tables -------------------------------------------------- */

struct cm_range {
	uint32_t lo, hi;
};

/* Code points first, first + stride, ... last map to themselves + delta. */
struct cm_case_run {
	uint32_t first, last;
	uint32_t stride;
	int32_t delta;
};

/*
 * Generated with Node (see the first line) by evaluating, for every code
 * point c: cm_letters, c.toUpperCase() !== c.toLowerCase() (the package's
 * test for a letter in a raw word); cm_lower_runs, c.toLowerCase() where it
 * is one other code point (U+0130 lowers to two, handled in code);
 * cm_canon_runs, for BMP code units, the regex Canonicalize() of ECMA-262
 * 22.2.2.7.3 without the u flag (toUpperCase() if that is one code unit
 * and does not turn a non-ASCII character into an ASCII one); cm_cased and
 * cm_case_ignorable, /\p{Cased}/u and /\p{Case_Ignorable}/u, which decide
 * the final form of capital sigma in toLowerCase().
 */
/* Generated from Node 20.20.2 (ICU 78.2, Unicode 17.0). */
static const struct cm_range cm_letters[] = {
    {0x0041, 0x005A},	{0x0061, 0x007A},   {0x00B5, 0x00B5},	{0x00C0, 0x00D6},
    {0x00D8, 0x00F6},	{0x00F8, 0x0137},   {0x0139, 0x018C},	{0x018E, 0x01A9},
    {0x01AC, 0x01B9},	{0x01BC, 0x01BD},   {0x01BF, 0x01BF},	{0x01C4, 0x0220},
    {0x0222, 0x0233},	{0x023A, 0x0254},   {0x0256, 0x0257},	{0x0259, 0x0259},
    {0x025B, 0x025C},	{0x0260, 0x0261},   {0x0263, 0x0266},	{0x0268, 0x026C},
    {0x026F, 0x026F},	{0x0271, 0x0272},   {0x0275, 0x0275},	{0x027D, 0x027D},
    {0x0280, 0x0280},	{0x0282, 0x0283},   {0x0287, 0x028C},	{0x0292, 0x0292},
    {0x029D, 0x029E},	{0x0345, 0x0345},   {0x0370, 0x0373},	{0x0376, 0x0377},
    {0x037B, 0x037D},	{0x037F, 0x037F},   {0x0386, 0x0386},	{0x0388, 0x038A},
    {0x038C, 0x038C},	{0x038E, 0x03A1},   {0x03A3, 0x03D1},	{0x03D5, 0x03F5},
    {0x03F7, 0x03FB},	{0x03FD, 0x0481},   {0x048A, 0x052F},	{0x0531, 0x0556},
    {0x0561, 0x0587},	{0x10A0, 0x10C5},   {0x10C7, 0x10C7},	{0x10CD, 0x10CD},
    {0x10D0, 0x10FA},	{0x10FD, 0x10FF},   {0x13A0, 0x13F5},	{0x13F8, 0x13FD},
    {0x1C80, 0x1C8A},	{0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},	{0x1D79, 0x1D79},
    {0x1D7D, 0x1D7D},	{0x1D8E, 0x1D8E},   {0x1E00, 0x1E9B},	{0x1E9E, 0x1E9E},
    {0x1EA0, 0x1F15},	{0x1F18, 0x1F1D},   {0x1F20, 0x1F45},	{0x1F48, 0x1F4D},
    {0x1F50, 0x1F57},	{0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},	{0x1F5D, 0x1F5D},
    {0x1F5F, 0x1F7D},	{0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},	{0x1FBE, 0x1FBE},
    {0x1FC2, 0x1FC4},	{0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},	{0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},	{0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},	{0x2126, 0x2126},
    {0x212A, 0x212B},	{0x2132, 0x2132},   {0x214E, 0x214E},	{0x2160, 0x217F},
    {0x2183, 0x2184},	{0x24B6, 0x24E9},   {0x2C00, 0x2C70},	{0x2C72, 0x2C73},
    {0x2C75, 0x2C76},	{0x2C7E, 0x2CE3},   {0x2CEB, 0x2CEE},	{0x2CF2, 0x2CF3},
    {0x2D00, 0x2D25},	{0x2D27, 0x2D27},   {0x2D2D, 0x2D2D},	{0xA640, 0xA66D},
    {0xA680, 0xA69B},	{0xA722, 0xA72F},   {0xA732, 0xA76F},	{0xA779, 0xA787},
    {0xA78B, 0xA78D},	{0xA790, 0xA794},   {0xA796, 0xA7AE},	{0xA7B0, 0xA7DC},
    {0xA7F5, 0xA7F6},	{0xAB53, 0xAB53},   {0xAB70, 0xABBF},	{0xFB00, 0xFB06},
    {0xFB13, 0xFB17},	{0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},	{0x10400, 0x1044F},
    {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10570, 0x1057A}, {0x1057C, 0x1058A},
    {0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1}, {0x105A3, 0x105B1},
    {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2},
    {0x10D50, 0x10D65}, {0x10D70, 0x10D85}, {0x118A0, 0x118DF}, {0x16E40, 0x16E7F},
    {0x16EA0, 0x16EB8}, {0x16EBB, 0x16ED3}, {0x1E900, 0x1E943},
};
static const struct cm_case_run cm_lower_runs[] = {
    {0x0041, 0x005A, 1, 32},	 {0x00C0, 0x00D6, 1, 32},     {0x00D8, 0x00DE, 1, 32},
    {0x0100, 0x012E, 2, 1},	 {0x0132, 0x0136, 2, 1},      {0x0139, 0x0147, 2, 1},
    {0x014A, 0x0176, 2, 1},	 {0x0178, 0x0178, 1, -121},   {0x0179, 0x017D, 2, 1},
    {0x0181, 0x0181, 1, 210},	 {0x0182, 0x0184, 2, 1},      {0x0186, 0x0186, 1, 206},
    {0x0187, 0x0187, 1, 1},	 {0x0189, 0x018A, 1, 205},    {0x018B, 0x018B, 1, 1},
    {0x018E, 0x018E, 1, 79},	 {0x018F, 0x018F, 1, 202},    {0x0190, 0x0190, 1, 203},
    {0x0191, 0x0191, 1, 1},	 {0x0193, 0x0193, 1, 205},    {0x0194, 0x0194, 1, 207},
    {0x0196, 0x0196, 1, 211},	 {0x0197, 0x0197, 1, 209},    {0x0198, 0x0198, 1, 1},
    {0x019C, 0x019C, 1, 211},	 {0x019D, 0x019D, 1, 213},    {0x019F, 0x019F, 1, 214},
    {0x01A0, 0x01A4, 2, 1},	 {0x01A6, 0x01A6, 1, 218},    {0x01A7, 0x01A7, 1, 1},
    {0x01A9, 0x01A9, 1, 218},	 {0x01AC, 0x01AC, 1, 1},      {0x01AE, 0x01AE, 1, 218},
    {0x01AF, 0x01AF, 1, 1},	 {0x01B1, 0x01B2, 1, 217},    {0x01B3, 0x01B5, 2, 1},
    {0x01B7, 0x01B7, 1, 219},	 {0x01B8, 0x01B8, 1, 1},      {0x01BC, 0x01BC, 1, 1},
    {0x01C4, 0x01C4, 1, 2},	 {0x01C5, 0x01C5, 1, 1},      {0x01C7, 0x01C7, 1, 2},
    {0x01C8, 0x01C8, 1, 1},	 {0x01CA, 0x01CA, 1, 2},      {0x01CB, 0x01DB, 2, 1},
    {0x01DE, 0x01EE, 2, 1},	 {0x01F1, 0x01F1, 1, 2},      {0x01F2, 0x01F4, 2, 1},
    {0x01F6, 0x01F6, 1, -97},	 {0x01F7, 0x01F7, 1, -56},    {0x01F8, 0x021E, 2, 1},
    {0x0220, 0x0220, 1, -130},	 {0x0222, 0x0232, 2, 1},      {0x023A, 0x023A, 1, 10795},
    {0x023B, 0x023B, 1, 1},	 {0x023D, 0x023D, 1, -163},   {0x023E, 0x023E, 1, 10792},
    {0x0241, 0x0241, 1, 1},	 {0x0243, 0x0243, 1, -195},   {0x0244, 0x0244, 1, 69},
    {0x0245, 0x0245, 1, 71},	 {0x0246, 0x024E, 2, 1},      {0x0370, 0x0372, 2, 1},
    {0x0376, 0x0376, 1, 1},	 {0x037F, 0x037F, 1, 116},    {0x0386, 0x0386, 1, 38},
    {0x0388, 0x038A, 1, 37},	 {0x038C, 0x038C, 1, 64},     {0x038E, 0x038F, 1, 63},
    {0x0391, 0x03A1, 1, 32},	 {0x03A3, 0x03AB, 1, 32},     {0x03CF, 0x03CF, 1, 8},
    {0x03D8, 0x03EE, 2, 1},	 {0x03F4, 0x03F4, 1, -60},    {0x03F7, 0x03F7, 1, 1},
    {0x03F9, 0x03F9, 1, -7},	 {0x03FA, 0x03FA, 1, 1},      {0x03FD, 0x03FF, 1, -130},
    {0x0400, 0x040F, 1, 80},	 {0x0410, 0x042F, 1, 32},     {0x0460, 0x0480, 2, 1},
    {0x048A, 0x04BE, 2, 1},	 {0x04C0, 0x04C0, 1, 15},     {0x04C1, 0x04CD, 2, 1},
    {0x04D0, 0x052E, 2, 1},	 {0x0531, 0x0556, 1, 48},     {0x10A0, 0x10C5, 1, 7264},
    {0x10C7, 0x10C7, 1, 7264},	 {0x10CD, 0x10CD, 1, 7264},   {0x13A0, 0x13EF, 1, 38864},
    {0x13F0, 0x13F5, 1, 8},	 {0x1C89, 0x1C89, 1, 1},      {0x1C90, 0x1CBA, 1, -3008},
    {0x1CBD, 0x1CBF, 1, -3008},	 {0x1E00, 0x1E94, 2, 1},      {0x1E9E, 0x1E9E, 1, -7615},
    {0x1EA0, 0x1EFE, 2, 1},	 {0x1F08, 0x1F0F, 1, -8},     {0x1F18, 0x1F1D, 1, -8},
    {0x1F28, 0x1F2F, 1, -8},	 {0x1F38, 0x1F3F, 1, -8},     {0x1F48, 0x1F4D, 1, -8},
    {0x1F59, 0x1F5F, 2, -8},	 {0x1F68, 0x1F6F, 1, -8},     {0x1F88, 0x1F8F, 1, -8},
    {0x1F98, 0x1F9F, 1, -8},	 {0x1FA8, 0x1FAF, 1, -8},     {0x1FB8, 0x1FB9, 1, -8},
    {0x1FBA, 0x1FBB, 1, -74},	 {0x1FBC, 0x1FBC, 1, -9},     {0x1FC8, 0x1FCB, 1, -86},
    {0x1FCC, 0x1FCC, 1, -9},	 {0x1FD8, 0x1FD9, 1, -8},     {0x1FDA, 0x1FDB, 1, -100},
    {0x1FE8, 0x1FE9, 1, -8},	 {0x1FEA, 0x1FEB, 1, -112},   {0x1FEC, 0x1FEC, 1, -7},
    {0x1FF8, 0x1FF9, 1, -128},	 {0x1FFA, 0x1FFB, 1, -126},   {0x1FFC, 0x1FFC, 1, -9},
    {0x2126, 0x2126, 1, -7517},	 {0x212A, 0x212A, 1, -8383},  {0x212B, 0x212B, 1, -8262},
    {0x2132, 0x2132, 1, 28},	 {0x2160, 0x216F, 1, 16},     {0x2183, 0x2183, 1, 1},
    {0x24B6, 0x24CF, 1, 26},	 {0x2C00, 0x2C2F, 1, 48},     {0x2C60, 0x2C60, 1, 1},
    {0x2C62, 0x2C62, 1, -10743}, {0x2C63, 0x2C63, 1, -3814},  {0x2C64, 0x2C64, 1, -10727},
    {0x2C67, 0x2C6B, 2, 1},	 {0x2C6D, 0x2C6D, 1, -10780}, {0x2C6E, 0x2C6E, 1, -10749},
    {0x2C6F, 0x2C6F, 1, -10783}, {0x2C70, 0x2C70, 1, -10782}, {0x2C72, 0x2C72, 1, 1},
    {0x2C75, 0x2C75, 1, 1},	 {0x2C7E, 0x2C7F, 1, -10815}, {0x2C80, 0x2CE2, 2, 1},
    {0x2CEB, 0x2CED, 2, 1},	 {0x2CF2, 0x2CF2, 1, 1},      {0xA640, 0xA66C, 2, 1},
    {0xA680, 0xA69A, 2, 1},	 {0xA722, 0xA72E, 2, 1},      {0xA732, 0xA76E, 2, 1},
    {0xA779, 0xA77B, 2, 1},	 {0xA77D, 0xA77D, 1, -35332}, {0xA77E, 0xA786, 2, 1},
    {0xA78B, 0xA78B, 1, 1},	 {0xA78D, 0xA78D, 1, -42280}, {0xA790, 0xA792, 2, 1},
    {0xA796, 0xA7A8, 2, 1},	 {0xA7AA, 0xA7AA, 1, -42308}, {0xA7AB, 0xA7AB, 1, -42319},
    {0xA7AC, 0xA7AC, 1, -42315}, {0xA7AD, 0xA7AD, 1, -42305}, {0xA7AE, 0xA7AE, 1, -42308},
    {0xA7B0, 0xA7B0, 1, -42258}, {0xA7B1, 0xA7B1, 1, -42282}, {0xA7B2, 0xA7B2, 1, -42261},
    {0xA7B3, 0xA7B3, 1, 928},	 {0xA7B4, 0xA7C2, 2, 1},      {0xA7C4, 0xA7C4, 1, -48},
    {0xA7C5, 0xA7C5, 1, -42307}, {0xA7C6, 0xA7C6, 1, -35384}, {0xA7C7, 0xA7C9, 2, 1},
    {0xA7CB, 0xA7CB, 1, -42343}, {0xA7CC, 0xA7DA, 2, 1},      {0xA7DC, 0xA7DC, 1, -42561},
    {0xA7F5, 0xA7F5, 1, 1},	 {0xFF21, 0xFF3A, 1, 32},     {0x10400, 0x10427, 1, 40},
    {0x104B0, 0x104D3, 1, 40},	 {0x10570, 0x1057A, 1, 39},   {0x1057C, 0x1058A, 1, 39},
    {0x1058C, 0x10592, 1, 39},	 {0x10594, 0x10595, 1, 39},   {0x10C80, 0x10CB2, 1, 64},
    {0x10D50, 0x10D65, 1, 32},	 {0x118A0, 0x118BF, 1, 32},   {0x16E40, 0x16E5F, 1, 32},
    {0x16EA0, 0x16EB8, 1, 27},	 {0x1E900, 0x1E921, 1, 34},
};
static const struct cm_case_run cm_canon_runs[] = {
    {0x0061, 0x007A, 1, -32},	 {0x00B5, 0x00B5, 1, 743},    {0x00E0, 0x00F6, 1, -32},
    {0x00F8, 0x00FE, 1, -32},	 {0x00FF, 0x00FF, 1, 121},    {0x0101, 0x012F, 2, -1},
    {0x0133, 0x0137, 2, -1},	 {0x013A, 0x0148, 2, -1},     {0x014B, 0x0177, 2, -1},
    {0x017A, 0x017E, 2, -1},	 {0x0180, 0x0180, 1, 195},    {0x0183, 0x0185, 2, -1},
    {0x0188, 0x0188, 1, -1},	 {0x018C, 0x018C, 1, -1},     {0x0192, 0x0192, 1, -1},
    {0x0195, 0x0195, 1, 97},	 {0x0199, 0x0199, 1, -1},     {0x019A, 0x019A, 1, 163},
    {0x019B, 0x019B, 1, 42561},	 {0x019E, 0x019E, 1, 130},    {0x01A1, 0x01A5, 2, -1},
    {0x01A8, 0x01A8, 1, -1},	 {0x01AD, 0x01AD, 1, -1},     {0x01B0, 0x01B0, 1, -1},
    {0x01B4, 0x01B6, 2, -1},	 {0x01B9, 0x01B9, 1, -1},     {0x01BD, 0x01BD, 1, -1},
    {0x01BF, 0x01BF, 1, 56},	 {0x01C5, 0x01C5, 1, -1},     {0x01C6, 0x01C6, 1, -2},
    {0x01C8, 0x01C8, 1, -1},	 {0x01C9, 0x01C9, 1, -2},     {0x01CB, 0x01CB, 1, -1},
    {0x01CC, 0x01CC, 1, -2},	 {0x01CE, 0x01DC, 2, -1},     {0x01DD, 0x01DD, 1, -79},
    {0x01DF, 0x01EF, 2, -1},	 {0x01F2, 0x01F2, 1, -1},     {0x01F3, 0x01F3, 1, -2},
    {0x01F5, 0x01F5, 1, -1},	 {0x01F9, 0x021F, 2, -1},     {0x0223, 0x0233, 2, -1},
    {0x023C, 0x023C, 1, -1},	 {0x023F, 0x0240, 1, 10815},  {0x0242, 0x0242, 1, -1},
    {0x0247, 0x024F, 2, -1},	 {0x0250, 0x0250, 1, 10783},  {0x0251, 0x0251, 1, 10780},
    {0x0252, 0x0252, 1, 10782},	 {0x0253, 0x0253, 1, -210},   {0x0254, 0x0254, 1, -206},
    {0x0256, 0x0257, 1, -205},	 {0x0259, 0x0259, 1, -202},   {0x025B, 0x025B, 1, -203},
    {0x025C, 0x025C, 1, 42319},	 {0x0260, 0x0260, 1, -205},   {0x0261, 0x0261, 1, 42315},
    {0x0263, 0x0263, 1, -207},	 {0x0264, 0x0264, 1, 42343},  {0x0265, 0x0265, 1, 42280},
    {0x0266, 0x0266, 1, 42308},	 {0x0268, 0x0268, 1, -209},   {0x0269, 0x0269, 1, -211},
    {0x026A, 0x026A, 1, 42308},	 {0x026B, 0x026B, 1, 10743},  {0x026C, 0x026C, 1, 42305},
    {0x026F, 0x026F, 1, -211},	 {0x0271, 0x0271, 1, 10749},  {0x0272, 0x0272, 1, -213},
    {0x0275, 0x0275, 1, -214},	 {0x027D, 0x027D, 1, 10727},  {0x0280, 0x0280, 1, -218},
    {0x0282, 0x0282, 1, 42307},	 {0x0283, 0x0283, 1, -218},   {0x0287, 0x0287, 1, 42282},
    {0x0288, 0x0288, 1, -218},	 {0x0289, 0x0289, 1, -69},    {0x028A, 0x028B, 1, -217},
    {0x028C, 0x028C, 1, -71},	 {0x0292, 0x0292, 1, -219},   {0x029D, 0x029D, 1, 42261},
    {0x029E, 0x029E, 1, 42258},	 {0x0345, 0x0345, 1, 84},     {0x0371, 0x0373, 2, -1},
    {0x0377, 0x0377, 1, -1},	 {0x037B, 0x037D, 1, 130},    {0x03AC, 0x03AC, 1, -38},
    {0x03AD, 0x03AF, 1, -37},	 {0x03B1, 0x03C1, 1, -32},    {0x03C2, 0x03C2, 1, -31},
    {0x03C3, 0x03CB, 1, -32},	 {0x03CC, 0x03CC, 1, -64},    {0x03CD, 0x03CE, 1, -63},
    {0x03D0, 0x03D0, 1, -62},	 {0x03D1, 0x03D1, 1, -57},    {0x03D5, 0x03D5, 1, -47},
    {0x03D6, 0x03D6, 1, -54},	 {0x03D7, 0x03D7, 1, -8},     {0x03D9, 0x03EF, 2, -1},
    {0x03F0, 0x03F0, 1, -86},	 {0x03F1, 0x03F1, 1, -80},    {0x03F2, 0x03F2, 1, 7},
    {0x03F3, 0x03F3, 1, -116},	 {0x03F5, 0x03F5, 1, -96},    {0x03F8, 0x03F8, 1, -1},
    {0x03FB, 0x03FB, 1, -1},	 {0x0430, 0x044F, 1, -32},    {0x0450, 0x045F, 1, -80},
    {0x0461, 0x0481, 2, -1},	 {0x048B, 0x04BF, 2, -1},     {0x04C2, 0x04CE, 2, -1},
    {0x04CF, 0x04CF, 1, -15},	 {0x04D1, 0x052F, 2, -1},     {0x0561, 0x0586, 1, -48},
    {0x10D0, 0x10FA, 1, 3008},	 {0x10FD, 0x10FF, 1, 3008},   {0x13F8, 0x13FD, 1, -8},
    {0x1C80, 0x1C80, 1, -6254},	 {0x1C81, 0x1C81, 1, -6253},  {0x1C82, 0x1C82, 1, -6244},
    {0x1C83, 0x1C84, 1, -6242},	 {0x1C85, 0x1C85, 1, -6243},  {0x1C86, 0x1C86, 1, -6236},
    {0x1C87, 0x1C87, 1, -6181},	 {0x1C88, 0x1C88, 1, 35266},  {0x1C8A, 0x1C8A, 1, -1},
    {0x1D79, 0x1D79, 1, 35332},	 {0x1D7D, 0x1D7D, 1, 3814},   {0x1D8E, 0x1D8E, 1, 35384},
    {0x1E01, 0x1E95, 2, -1},	 {0x1E9B, 0x1E9B, 1, -59},    {0x1EA1, 0x1EFF, 2, -1},
    {0x1F00, 0x1F07, 1, 8},	 {0x1F10, 0x1F15, 1, 8},      {0x1F20, 0x1F27, 1, 8},
    {0x1F30, 0x1F37, 1, 8},	 {0x1F40, 0x1F45, 1, 8},      {0x1F51, 0x1F57, 2, 8},
    {0x1F60, 0x1F67, 1, 8},	 {0x1F70, 0x1F71, 1, 74},     {0x1F72, 0x1F75, 1, 86},
    {0x1F76, 0x1F77, 1, 100},	 {0x1F78, 0x1F79, 1, 128},    {0x1F7A, 0x1F7B, 1, 112},
    {0x1F7C, 0x1F7D, 1, 126},	 {0x1FB0, 0x1FB1, 1, 8},      {0x1FBE, 0x1FBE, 1, -7205},
    {0x1FD0, 0x1FD1, 1, 8},	 {0x1FE0, 0x1FE1, 1, 8},      {0x1FE5, 0x1FE5, 1, 7},
    {0x214E, 0x214E, 1, -28},	 {0x2170, 0x217F, 1, -16},    {0x2184, 0x2184, 1, -1},
    {0x24D0, 0x24E9, 1, -26},	 {0x2C30, 0x2C5F, 1, -48},    {0x2C61, 0x2C61, 1, -1},
    {0x2C65, 0x2C65, 1, -10795}, {0x2C66, 0x2C66, 1, -10792}, {0x2C68, 0x2C6C, 2, -1},
    {0x2C73, 0x2C73, 1, -1},	 {0x2C76, 0x2C76, 1, -1},     {0x2C81, 0x2CE3, 2, -1},
    {0x2CEC, 0x2CEE, 2, -1},	 {0x2CF3, 0x2CF3, 1, -1},     {0x2D00, 0x2D25, 1, -7264},
    {0x2D27, 0x2D27, 1, -7264},	 {0x2D2D, 0x2D2D, 1, -7264},  {0xA641, 0xA66D, 2, -1},
    {0xA681, 0xA69B, 2, -1},	 {0xA723, 0xA72F, 2, -1},     {0xA733, 0xA76F, 2, -1},
    {0xA77A, 0xA77C, 2, -1},	 {0xA77F, 0xA787, 2, -1},     {0xA78C, 0xA78C, 1, -1},
    {0xA791, 0xA793, 2, -1},	 {0xA794, 0xA794, 1, 48},     {0xA797, 0xA7A9, 2, -1},
    {0xA7B5, 0xA7C3, 2, -1},	 {0xA7C8, 0xA7CA, 2, -1},     {0xA7CD, 0xA7DB, 2, -1},
    {0xA7F6, 0xA7F6, 1, -1},	 {0xAB53, 0xAB53, 1, -928},   {0xAB70, 0xABBF, 1, -38864},
    {0xFF41, 0xFF5A, 1, -32},
};
static const struct cm_range cm_cased[] = {
    {0x0041, 0x005A},	{0x0061, 0x007A},   {0x00AA, 0x00AA},	{0x00B5, 0x00B5},
    {0x00BA, 0x00BA},	{0x00C0, 0x00D6},   {0x00D8, 0x00F6},	{0x00F8, 0x01BA},
    {0x01BC, 0x01BF},	{0x01C4, 0x0293},   {0x0296, 0x02B8},	{0x02C0, 0x02C1},
    {0x02E0, 0x02E4},	{0x0345, 0x0345},   {0x0370, 0x0373},	{0x0376, 0x0377},
    {0x037A, 0x037D},	{0x037F, 0x037F},   {0x0386, 0x0386},	{0x0388, 0x038A},
    {0x038C, 0x038C},	{0x038E, 0x03A1},   {0x03A3, 0x03F5},	{0x03F7, 0x0481},
    {0x048A, 0x052F},	{0x0531, 0x0556},   {0x0560, 0x0588},	{0x10A0, 0x10C5},
    {0x10C7, 0x10C7},	{0x10CD, 0x10CD},   {0x10D0, 0x10FA},	{0x10FC, 0x10FF},
    {0x13A0, 0x13F5},	{0x13F8, 0x13FD},   {0x1C80, 0x1C8A},	{0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},	{0x1D00, 0x1DBF},   {0x1E00, 0x1F15},	{0x1F18, 0x1F1D},
    {0x1F20, 0x1F45},	{0x1F48, 0x1F4D},   {0x1F50, 0x1F57},	{0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},	{0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},	{0x1F80, 0x1FB4},
    {0x1FB6, 0x1FBC},	{0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},	{0x1FC6, 0x1FCC},
    {0x1FD0, 0x1FD3},	{0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},	{0x1FF2, 0x1FF4},
    {0x1FF6, 0x1FFC},	{0x2071, 0x2071},   {0x207F, 0x207F},	{0x2090, 0x209C},
    {0x2102, 0x2102},	{0x2107, 0x2107},   {0x210A, 0x2113},	{0x2115, 0x2115},
    {0x2119, 0x211D},	{0x2124, 0x2124},   {0x2126, 0x2126},	{0x2128, 0x2128},
    {0x212A, 0x212D},	{0x212F, 0x2134},   {0x2139, 0x2139},	{0x213C, 0x213F},
    {0x2145, 0x2149},	{0x214E, 0x214E},   {0x2160, 0x217F},	{0x2183, 0x2184},
    {0x24B6, 0x24E9},	{0x2C00, 0x2CE4},   {0x2CEB, 0x2CEE},	{0x2CF2, 0x2CF3},
    {0x2D00, 0x2D25},	{0x2D27, 0x2D27},   {0x2D2D, 0x2D2D},	{0xA640, 0xA66D},
    {0xA680, 0xA69D},	{0xA722, 0xA787},   {0xA78B, 0xA78E},	{0xA790, 0xA7DC},
    {0xA7F1, 0xA7F6},	{0xA7F8, 0xA7FA},   {0xAB30, 0xAB5A},	{0xAB5C, 0xAB69},
    {0xAB70, 0xABBF},	{0xFB00, 0xFB06},   {0xFB13, 0xFB17},	{0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},	{0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10570, 0x1057A}, {0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595},
    {0x10597, 0x105A1}, {0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC},
    {0x10780, 0x10780}, {0x10783, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x10D50, 0x10D65}, {0x10D70, 0x10D85},
    {0x118A0, 0x118DF}, {0x16E40, 0x16E7F}, {0x16EA0, 0x16EB8}, {0x16EBB, 0x16ED3},
    {0x1D400, 0x1D454}, {0x1D456, 0x1D49C}, {0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2},
    {0x1D4A5, 0x1D4A6}, {0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB},
    {0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A}, {0x1D50D, 0x1D514},
    {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539}, {0x1D53B, 0x1D53E}, {0x1D540, 0x1D544},
    {0x1D546, 0x1D546}, {0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D6C0},
    {0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714}, {0x1D716, 0x1D734},
    {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E}, {0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8},
    {0x1D7AA, 0x1D7C2}, {0x1D7C4, 0x1D7CB}, {0x1DF00, 0x1DF09}, {0x1DF0B, 0x1DF1E},
    {0x1DF25, 0x1DF2A}, {0x1E030, 0x1E06D}, {0x1E900, 0x1E943}, {0x1F130, 0x1F149},
    {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
};
static const struct cm_range cm_case_ignorable[] = {
    {0x0027, 0x0027},	{0x002E, 0x002E},   {0x003A, 0x003A},	{0x005E, 0x005E},
    {0x0060, 0x0060},	{0x00A8, 0x00A8},   {0x00AD, 0x00AD},	{0x00AF, 0x00AF},
    {0x00B4, 0x00B4},	{0x00B7, 0x00B8},   {0x02B0, 0x036F},	{0x0374, 0x0375},
    {0x037A, 0x037A},	{0x0384, 0x0385},   {0x0387, 0x0387},	{0x0483, 0x0489},
    {0x0559, 0x0559},	{0x055F, 0x055F},   {0x0591, 0x05BD},	{0x05BF, 0x05BF},
    {0x05C1, 0x05C2},	{0x05C4, 0x05C5},   {0x05C7, 0x05C7},	{0x05F4, 0x05F4},
    {0x0600, 0x0605},	{0x0610, 0x061A},   {0x061C, 0x061C},	{0x0640, 0x0640},
    {0x064B, 0x065F},	{0x0670, 0x0670},   {0x06D6, 0x06DD},	{0x06DF, 0x06E8},
    {0x06EA, 0x06ED},	{0x070F, 0x070F},   {0x0711, 0x0711},	{0x0730, 0x074A},
    {0x07A6, 0x07B0},	{0x07EB, 0x07F5},   {0x07FA, 0x07FA},	{0x07FD, 0x07FD},
    {0x0816, 0x082D},	{0x0859, 0x085B},   {0x0888, 0x0888},	{0x0890, 0x0891},
    {0x0897, 0x089F},	{0x08C9, 0x0902},   {0x093A, 0x093A},	{0x093C, 0x093C},
    {0x0941, 0x0948},	{0x094D, 0x094D},   {0x0951, 0x0957},	{0x0962, 0x0963},
    {0x0971, 0x0971},	{0x0981, 0x0981},   {0x09BC, 0x09BC},	{0x09C1, 0x09C4},
    {0x09CD, 0x09CD},	{0x09E2, 0x09E3},   {0x09FE, 0x09FE},	{0x0A01, 0x0A02},
    {0x0A3C, 0x0A3C},	{0x0A41, 0x0A42},   {0x0A47, 0x0A48},	{0x0A4B, 0x0A4D},
    {0x0A51, 0x0A51},	{0x0A70, 0x0A71},   {0x0A75, 0x0A75},	{0x0A81, 0x0A82},
    {0x0ABC, 0x0ABC},	{0x0AC1, 0x0AC5},   {0x0AC7, 0x0AC8},	{0x0ACD, 0x0ACD},
    {0x0AE2, 0x0AE3},	{0x0AFA, 0x0AFF},   {0x0B01, 0x0B01},	{0x0B3C, 0x0B3C},
    {0x0B3F, 0x0B3F},	{0x0B41, 0x0B44},   {0x0B4D, 0x0B4D},	{0x0B55, 0x0B56},
    {0x0B62, 0x0B63},	{0x0B82, 0x0B82},   {0x0BC0, 0x0BC0},	{0x0BCD, 0x0BCD},
    {0x0C00, 0x0C00},	{0x0C04, 0x0C04},   {0x0C3C, 0x0C3C},	{0x0C3E, 0x0C40},
    {0x0C46, 0x0C48},	{0x0C4A, 0x0C4D},   {0x0C55, 0x0C56},	{0x0C62, 0x0C63},
    {0x0C81, 0x0C81},	{0x0CBC, 0x0CBC},   {0x0CBF, 0x0CBF},	{0x0CC6, 0x0CC6},
    {0x0CCC, 0x0CCD},	{0x0CE2, 0x0CE3},   {0x0D00, 0x0D01},	{0x0D3B, 0x0D3C},
    {0x0D41, 0x0D44},	{0x0D4D, 0x0D4D},   {0x0D62, 0x0D63},	{0x0D81, 0x0D81},
    {0x0DCA, 0x0DCA},	{0x0DD2, 0x0DD4},   {0x0DD6, 0x0DD6},	{0x0E31, 0x0E31},
    {0x0E34, 0x0E3A},	{0x0E46, 0x0E4E},   {0x0EB1, 0x0EB1},	{0x0EB4, 0x0EBC},
    {0x0EC6, 0x0EC6},	{0x0EC8, 0x0ECE},   {0x0F18, 0x0F19},	{0x0F35, 0x0F35},
    {0x0F37, 0x0F37},	{0x0F39, 0x0F39},   {0x0F71, 0x0F7E},	{0x0F80, 0x0F84},
    {0x0F86, 0x0F87},	{0x0F8D, 0x0F97},   {0x0F99, 0x0FBC},	{0x0FC6, 0x0FC6},
    {0x102D, 0x1030},	{0x1032, 0x1037},   {0x1039, 0x103A},	{0x103D, 0x103E},
    {0x1058, 0x1059},	{0x105E, 0x1060},   {0x1071, 0x1074},	{0x1082, 0x1082},
    {0x1085, 0x1086},	{0x108D, 0x108D},   {0x109D, 0x109D},	{0x10FC, 0x10FC},
    {0x135D, 0x135F},	{0x1712, 0x1714},   {0x1732, 0x1733},	{0x1752, 0x1753},
    {0x1772, 0x1773},	{0x17B4, 0x17B5},   {0x17B7, 0x17BD},	{0x17C6, 0x17C6},
    {0x17C9, 0x17D3},	{0x17D7, 0x17D7},   {0x17DD, 0x17DD},	{0x180B, 0x180F},
    {0x1843, 0x1843},	{0x1885, 0x1886},   {0x18A9, 0x18A9},	{0x1920, 0x1922},
    {0x1927, 0x1928},	{0x1932, 0x1932},   {0x1939, 0x193B},	{0x1A17, 0x1A18},
    {0x1A1B, 0x1A1B},	{0x1A56, 0x1A56},   {0x1A58, 0x1A5E},	{0x1A60, 0x1A60},
    {0x1A62, 0x1A62},	{0x1A65, 0x1A6C},   {0x1A73, 0x1A7C},	{0x1A7F, 0x1A7F},
    {0x1AA7, 0x1AA7},	{0x1AB0, 0x1ADD},   {0x1AE0, 0x1AEB},	{0x1B00, 0x1B03},
    {0x1B34, 0x1B34},	{0x1B36, 0x1B3A},   {0x1B3C, 0x1B3C},	{0x1B42, 0x1B42},
    {0x1B6B, 0x1B73},	{0x1B80, 0x1B81},   {0x1BA2, 0x1BA5},	{0x1BA8, 0x1BA9},
    {0x1BAB, 0x1BAD},	{0x1BE6, 0x1BE6},   {0x1BE8, 0x1BE9},	{0x1BED, 0x1BED},
    {0x1BEF, 0x1BF1},	{0x1C2C, 0x1C33},   {0x1C36, 0x1C37},	{0x1C78, 0x1C7D},
    {0x1CD0, 0x1CD2},	{0x1CD4, 0x1CE0},   {0x1CE2, 0x1CE8},	{0x1CED, 0x1CED},
    {0x1CF4, 0x1CF4},	{0x1CF8, 0x1CF9},   {0x1D2C, 0x1D6A},	{0x1D78, 0x1D78},
    {0x1D9B, 0x1DFF},	{0x1FBD, 0x1FBD},   {0x1FBF, 0x1FC1},	{0x1FCD, 0x1FCF},
    {0x1FDD, 0x1FDF},	{0x1FED, 0x1FEF},   {0x1FFD, 0x1FFE},	{0x200B, 0x200F},
    {0x2018, 0x2019},	{0x2024, 0x2024},   {0x2027, 0x2027},	{0x202A, 0x202E},
    {0x2060, 0x2064},	{0x2066, 0x206F},   {0x2071, 0x2071},	{0x207F, 0x207F},
    {0x2090, 0x209C},	{0x20D0, 0x20F0},   {0x2C7C, 0x2C7D},	{0x2CEF, 0x2CF1},
    {0x2D6F, 0x2D6F},	{0x2D7F, 0x2D7F},   {0x2DE0, 0x2DFF},	{0x2E2F, 0x2E2F},
    {0x3005, 0x3005},	{0x302A, 0x302D},   {0x3031, 0x3035},	{0x303B, 0x303B},
    {0x3099, 0x309E},	{0x30FC, 0x30FE},   {0xA015, 0xA015},	{0xA4F8, 0xA4FD},
    {0xA60C, 0xA60C},	{0xA66F, 0xA672},   {0xA674, 0xA67D},	{0xA67F, 0xA67F},
    {0xA69C, 0xA69F},	{0xA6F0, 0xA6F1},   {0xA700, 0xA721},	{0xA770, 0xA770},
    {0xA788, 0xA78A},	{0xA7F1, 0xA7F4},   {0xA7F8, 0xA7F9},	{0xA802, 0xA802},
    {0xA806, 0xA806},	{0xA80B, 0xA80B},   {0xA825, 0xA826},	{0xA82C, 0xA82C},
    {0xA8C4, 0xA8C5},	{0xA8E0, 0xA8F1},   {0xA8FF, 0xA8FF},	{0xA926, 0xA92D},
    {0xA947, 0xA951},	{0xA980, 0xA982},   {0xA9B3, 0xA9B3},	{0xA9B6, 0xA9B9},
    {0xA9BC, 0xA9BD},	{0xA9CF, 0xA9CF},   {0xA9E5, 0xA9E6},	{0xAA29, 0xAA2E},
    {0xAA31, 0xAA32},	{0xAA35, 0xAA36},   {0xAA43, 0xAA43},	{0xAA4C, 0xAA4C},
    {0xAA70, 0xAA70},	{0xAA7C, 0xAA7C},   {0xAAB0, 0xAAB0},	{0xAAB2, 0xAAB4},
    {0xAAB7, 0xAAB8},	{0xAABE, 0xAABF},   {0xAAC1, 0xAAC1},	{0xAADD, 0xAADD},
    {0xAAEC, 0xAAED},	{0xAAF3, 0xAAF4},   {0xAAF6, 0xAAF6},	{0xAB5B, 0xAB5F},
    {0xAB69, 0xAB6B},	{0xABE5, 0xABE5},   {0xABE8, 0xABE8},	{0xABED, 0xABED},
    {0xFB1E, 0xFB1E},	{0xFBB2, 0xFBC2},   {0xFE00, 0xFE0F},	{0xFE13, 0xFE13},
    {0xFE20, 0xFE2F},	{0xFE52, 0xFE52},   {0xFE55, 0xFE55},	{0xFEFF, 0xFEFF},
    {0xFF07, 0xFF07},	{0xFF0E, 0xFF0E},   {0xFF1A, 0xFF1A},	{0xFF3E, 0xFF3E},
    {0xFF40, 0xFF40},	{0xFF70, 0xFF70},   {0xFF9E, 0xFF9F},	{0xFFE3, 0xFFE3},
    {0xFFF9, 0xFFFB},	{0x101FD, 0x101FD}, {0x102E0, 0x102E0}, {0x10376, 0x1037A},
    {0x10780, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x10A01, 0x10A03},
    {0x10A05, 0x10A06}, {0x10A0C, 0x10A0F}, {0x10A38, 0x10A3A}, {0x10A3F, 0x10A3F},
    {0x10AE5, 0x10AE6}, {0x10D24, 0x10D27}, {0x10D4E, 0x10D4E}, {0x10D69, 0x10D6D},
    {0x10D6F, 0x10D6F}, {0x10EAB, 0x10EAC}, {0x10EC5, 0x10EC5}, {0x10EFA, 0x10EFF},
    {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11001, 0x11001}, {0x11038, 0x11046},
    {0x11070, 0x11070}, {0x11073, 0x11074}, {0x1107F, 0x11081}, {0x110B3, 0x110B6},
    {0x110B9, 0x110BA}, {0x110BD, 0x110BD}, {0x110C2, 0x110C2}, {0x110CD, 0x110CD},
    {0x11100, 0x11102}, {0x11127, 0x1112B}, {0x1112D, 0x11134}, {0x11173, 0x11173},
    {0x11180, 0x11181}, {0x111B6, 0x111BE}, {0x111C9, 0x111CC}, {0x111CF, 0x111CF},
    {0x1122F, 0x11231}, {0x11234, 0x11234}, {0x11236, 0x11237}, {0x1123E, 0x1123E},
    {0x11241, 0x11241}, {0x112DF, 0x112DF}, {0x112E3, 0x112EA}, {0x11300, 0x11301},
    {0x1133B, 0x1133C}, {0x11340, 0x11340}, {0x11366, 0x1136C}, {0x11370, 0x11374},
    {0x113BB, 0x113C0}, {0x113CE, 0x113CE}, {0x113D0, 0x113D0}, {0x113D2, 0x113D2},
    {0x113E1, 0x113E2}, {0x11438, 0x1143F}, {0x11442, 0x11444}, {0x11446, 0x11446},
    {0x1145E, 0x1145E}, {0x114B3, 0x114B8}, {0x114BA, 0x114BA}, {0x114BF, 0x114C0},
    {0x114C2, 0x114C3}, {0x115B2, 0x115B5}, {0x115BC, 0x115BD}, {0x115BF, 0x115C0},
    {0x115DC, 0x115DD}, {0x11633, 0x1163A}, {0x1163D, 0x1163D}, {0x1163F, 0x11640},
    {0x116AB, 0x116AB}, {0x116AD, 0x116AD}, {0x116B0, 0x116B5}, {0x116B7, 0x116B7},
    {0x1171D, 0x1171D}, {0x1171F, 0x1171F}, {0x11722, 0x11725}, {0x11727, 0x1172B},
    {0x1182F, 0x11837}, {0x11839, 0x1183A}, {0x1193B, 0x1193C}, {0x1193E, 0x1193E},
    {0x11943, 0x11943}, {0x119D4, 0x119D7}, {0x119DA, 0x119DB}, {0x119E0, 0x119E0},
    {0x11A01, 0x11A0A}, {0x11A33, 0x11A38}, {0x11A3B, 0x11A3E}, {0x11A47, 0x11A47},
    {0x11A51, 0x11A56}, {0x11A59, 0x11A5B}, {0x11A8A, 0x11A96}, {0x11A98, 0x11A99},
    {0x11B60, 0x11B60}, {0x11B62, 0x11B64}, {0x11B66, 0x11B66}, {0x11C30, 0x11C36},
    {0x11C38, 0x11C3D}, {0x11C3F, 0x11C3F}, {0x11C92, 0x11CA7}, {0x11CAA, 0x11CB0},
    {0x11CB2, 0x11CB3}, {0x11CB5, 0x11CB6}, {0x11D31, 0x11D36}, {0x11D3A, 0x11D3A},
    {0x11D3C, 0x11D3D}, {0x11D3F, 0x11D45}, {0x11D47, 0x11D47}, {0x11D90, 0x11D91},
    {0x11D95, 0x11D95}, {0x11D97, 0x11D97}, {0x11DD9, 0x11DD9}, {0x11EF3, 0x11EF4},
    {0x11F00, 0x11F01}, {0x11F36, 0x11F3A}, {0x11F40, 0x11F40}, {0x11F42, 0x11F42},
    {0x11F5A, 0x11F5A}, {0x13430, 0x13440}, {0x13447, 0x13455}, {0x1611E, 0x16129},
    {0x1612D, 0x1612F}, {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36}, {0x16B40, 0x16B43},
    {0x16D40, 0x16D42}, {0x16D6B, 0x16D6C}, {0x16F4F, 0x16F4F}, {0x16F8F, 0x16F9F},
    {0x16FE0, 0x16FE1}, {0x16FE3, 0x16FE4}, {0x16FF2, 0x16FF3}, {0x1AFF0, 0x1AFF3},
    {0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1BC9D, 0x1BC9E}, {0x1BCA0, 0x1BCA3},
    {0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46}, {0x1D167, 0x1D169}, {0x1D173, 0x1D182},
    {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36},
    {0x1DA3B, 0x1DA6C}, {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1DA9F},
    {0x1DAA1, 0x1DAAF}, {0x1E000, 0x1E006}, {0x1E008, 0x1E018}, {0x1E01B, 0x1E021},
    {0x1E023, 0x1E024}, {0x1E026, 0x1E02A}, {0x1E030, 0x1E06D}, {0x1E08F, 0x1E08F},
    {0x1E130, 0x1E13D}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EB, 0x1E4EF},
    {0x1E5EE, 0x1E5EF}, {0x1E6E3, 0x1E6E3}, {0x1E6E6, 0x1E6E6}, {0x1E6EE, 0x1E6EF},
    {0x1E6F5, 0x1E6F5}, {0x1E6FF, 0x1E6FF}, {0x1E8D0, 0x1E8D6}, {0x1E944, 0x1E94B},
    {0x1F3FB, 0x1F3FF}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};

static bool in_ranges(const struct cm_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* The run holding cp, or NULL. Runs are sorted and their spans disjoint. */
static const struct cm_case_run *find_run(const struct cm_case_run *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].first)
			hi = mid;
		else if (cp > r[mid].last)
			lo = mid + 1;
		else
			return (cp - r[mid].first) % r[mid].stride == 0 ? &r[mid] : NULL;
	}
	return NULL;
}

static uint32_t map_run(const struct cm_case_run *r, size_t n, uint32_t cp)
{
	const struct cm_case_run *run = find_run(r, n, cp);

	return run ? (uint32_t)((int32_t)cp + run->delta) : cp;
}

/* Regex Canonicalize() of one UTF-16 code unit (astral ones never fold). */
static uint32_t js_canon(uint32_t cp)
{
	return map_run(cm_canon_runs, ARRAY_SIZE(cm_canon_runs), cp);
}

/* JavaScript's \s: white space and line terminators, also what Number() trims. */
static const struct cm_range js_spaces[] = {
    {0x09, 0x0d},     {0x20, 0x20},	{0xa0, 0xa0},	  {0x1680, 0x1680}, {0x2000, 0x200a},
    {0x2028, 0x2029}, {0x202f, 0x202f}, {0x205f, 0x205f}, {0x3000, 0x3000}, {0xfeff, 0xfeff},
};

static bool is_js_space(uint32_t cp)
{
	return in_ranges(js_spaces, ARRAY_SIZE(js_spaces), cp);
}

/* A character of an unquoted word: a digit, _ - . $ or a letter with case. */
static bool is_raw_cp(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' || cp == '.' || cp == '$' ||
	       in_ranges(cm_letters, ARRAY_SIZE(cm_letters), cp);
}

/*
 * The parser reads UTF-16 code units: half a surrogate pair is no letter,
 * so a word stops before any character outside the BMP.
 */
static bool is_raw_unit(uint32_t cp)
{
	return cp <= 0xffff && is_raw_cp(cp);
}

/*
 * Final_Sigma (Unicode 3.13): a cased letter before, none after, skipping
 * case-ignorable characters. As ICU (so V8) does, a character that is both
 * (U+0345) is skipped.
 */
static bool sigma_is_final(const char *s, size_t len, size_t at, size_t end)
{
	size_t pos = at;
	bool before = false;
	uint32_t cp;

	while (pos > 0) {
		cp = utf8_prev(s, len, &pos);
		if (in_ranges(cm_case_ignorable, ARRAY_SIZE(cm_case_ignorable), cp))
			continue;
		before = in_ranges(cm_cased, ARRAY_SIZE(cm_cased), cp);
		break;
	}
	if (!before)
		return false;
	pos = end;
	while (pos < len) {
		cp = utf8_next(s, len, &pos);
		if (in_ranges(cm_case_ignorable, ARRAY_SIZE(cm_case_ignorable), cp))
			continue;
		return !in_ranges(cm_cased, ARRAY_SIZE(cm_cased), cp);
	}
	return true;
}

/* Append JavaScript's s.toLowerCase() (locale-independent) to b. */
static void js_lower(struct sbuf *b, const char *s, size_t len)
{
	size_t pos = 0, at;
	uint32_t cp;

	while (pos < len) {
		if ((unsigned char)s[pos] < 0x80) {
			char c = s[pos++];

			sb_addc(b, c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c);
			continue;
		}
		at = pos;
		cp = utf8_next(s, len, &pos);
		if (cp == 0x130) {
			/* Capital I with dot lowers to i + combining dot above. */
			sb_addc(b, 'i');
			sb_addcp(b, 0x307);
		} else if (cp == 0x3a3) {
			sb_addcp(b, sigma_is_final(s, len, at, pos) ? 0x3c2 : 0x3c3);
		} else {
			sb_addcp(b, map_run(cm_lower_runs, ARRAY_SIZE(cm_lower_runs), cp));
		}
	}
}

/*
 * Append s with each character replaced by its regex Canonicalize(): two
 * strings are equal under the i flag when these forms are.
 */
static void js_canon_string(struct sbuf *b, const char *s, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		if ((unsigned char)s[pos] < 0x80) {
			char c = s[pos++];

			sb_addc(b, c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
			continue;
		}
		sb_addcp(b, js_canon(utf8_next(s, len, &pos)));
	}
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

	sb_adds(&hex, "0x");
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
				sb_addc(&hex, "0123456789abcdef"[acc]);
				acc = 0;
				have = 0;
			}
		}
	}
	if (hex.oom) {
		sb_free(&hex);
		return false;
	}
	*out = strtod_l(hex.s, NULL, loc);
	sb_free(&hex);
	return true;
}

/*
 * JavaScript's Number(string): false for NaN (or when memory runs out,
 * which only very long hexadecimal words can cause).
 */
static bool js_to_number(const char *str, size_t len, locale_t loc, double *out)
{
	size_t start = 0, end = len, p;
	const char *s;
	char *copy;
	bool neg = false;

	/* Trim white space and line terminators at both ends. */
	while (start < end) {
		p = start;
		if (!is_js_space(utf8_next(str, len, &p)))
			break;
		start = p;
	}
	while (end > start) {
		p = end;
		if (!is_js_space(utf8_prev(str, len, &p)))
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
static void js_number_string(struct sbuf *b, double d, locale_t loc)
{
	char digits[24], tmp[16];
	int e, k, n, i;

	if (isnan(d)) {
		sb_adds(b, "NaN");
		return;
	}
	if (d == 0) {
		sb_addc(b, '0');
		return;
	}
	if (d < 0) {
		sb_addc(b, '-');
		d = -d;
	}
	if (isinf(d)) {
		sb_adds(b, "Infinity");
		return;
	}
	shortest_digits(d, loc, digits, &e);
	k = (int)strlen(digits);
	n = e + 1;
	if (k <= n && n <= 21) {
		sb_adds(b, digits);
		for (i = 0; i < n - k; i++)
			sb_addc(b, '0');
	} else if (0 < n && n <= 21) {
		sb_add(b, digits, (size_t)n);
		sb_addc(b, '.');
		sb_adds(b, digits + n);
	} else if (-6 < n && n <= 0) {
		sb_adds(b, "0.");
		for (i = 0; i < -n; i++)
			sb_addc(b, '0');
		sb_adds(b, digits);
	} else {
		sb_addc(b, digits[0]);
		if (k > 1) {
			sb_addc(b, '.');
			sb_adds(b, digits + 1);
		}
		snprintf(tmp, sizeof(tmp), "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
		sb_adds(b, tmp);
	}
}

/* ---- sets of code points, and their POSIX form --------------------- */

#define CP_MAX 0x10ffffu

struct cpset {
	struct cm_range *r;
	size_t n, cap;
	bool oom;
};

static void set_add(struct cpset *s, uint32_t lo, uint32_t hi)
{
	if (s->oom)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct cm_range *r = reallocarray(s->r, cap, sizeof(*r));

		if (!r) {
			s->oom = true;
			return;
		}
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
}

static int range_cmp(const void *a, const void *b)
{
	const struct cm_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge, so that lookups can bisect. */
static void set_normalize(struct cpset *s)
{
	size_t i, n = 0;

	if (s->n == 0)
		return;
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	for (i = 1; i < s->n; i++) {
		if (s->r[i].lo <= s->r[n].hi + 1) {
			if (s->r[i].hi > s->r[n].hi)
				s->r[n].hi = s->r[i].hi;
		} else {
			s->r[++n] = s->r[i];
		}
	}
	s->n = n + 1;
}

static bool set_has(const struct cpset *s, uint32_t cp)
{
	return in_ranges(s->r, s->n, cp);
}

/* Replace a normalized set by its complement in [0, CP_MAX]. */
static void set_complement(struct cpset *s)
{
	struct cpset c = {0};
	uint32_t next = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->r[i].lo > next)
			set_add(&c, next, s->r[i].lo - 1);
		next = s->r[i].hi + 1;
	}
	if (s->n == 0 || s->r[s->n - 1].hi < CP_MAX)
		set_add(&c, next, CP_MAX);
	c.oom |= s->oom;
	free(s->r);
	*s = c;
}

/*
 * Close a normalized set under the i flag: every code unit whose
 * Canonicalize() equals that of a member. Canonicalize() is idempotent,
 * so it is the set, the canonical forms of its members, and what folds
 * onto one of those.
 */
static void set_close_case(struct cpset *s)
{
	const struct cm_case_run *r = cm_canon_runs;
	struct cpset add = {0};
	size_t i, n = ARRAY_SIZE(cm_canon_runs), pass;
	uint32_t cp;

	/* Lookups bisect s, so what is found is added only after each pass. */
	for (pass = 0; pass < 2; pass++) {
		add.n = 0;
		for (i = 0; i < n; i++) {
			for (cp = r[i].first; cp <= r[i].last; cp += r[i].stride) {
				uint32_t k = js_canon(cp);

				if (pass == 0 && set_has(s, cp))
					set_add(&add, k, k);
				else if (pass == 1 && set_has(s, k))
					set_add(&add, cp, cp);
			}
		}
		for (i = 0; i < add.n; i++)
			set_add(s, add.r[i].lo, add.r[i].hi);
		set_normalize(s);
	}
	s->oom |= add.oom;
	free(add.r);
}

/* One byte, escaped where an ERE would read it as an operator. */
static void emit_byte(struct sbuf *b, unsigned char c)
{
	if (c == '^')
		sb_adds(b, "\\^");
	else if (c && strchr(".[]\\()*+?{}|$", c))
		sb_add(b, (const char[]){'[', (char)c, ']'}, 3);
	else
		sb_addc(b, (char)c);
}

/*
 * A bracket expression for the ASCII bytes in set[]. Inside brackets ']'
 * must come first, '-' last, '^' not first and '[' where no '.', '=' or ':'
 * follows; NUL cannot be written, so a set holding it is negated instead.
 */
static void emit_ascii_bracket(struct sbuf *b, const bool set[128])
{
	bool want[256] = {false}, negate = set[0];
	size_t c, count = 0, first = 0, emitted = 0;

	for (c = 0; c < 256; c++) {
		want[c] = c < 128 ? set[c] != negate : negate;
		if (want[c] && !count++)
			first = c;
	}
	if (!negate && count == 1) {
		emit_byte(b, (unsigned char)first);
		return;
	}
	sb_adds(b, negate ? "[^" : "[");
	if (want[']']) {
		sb_addc(b, ']');
		emitted++;
	}
	for (c = 1; c < 256; c++) {
		size_t end = c;

		if (!want[c] || strchr("]^-[", (int)c))
			continue;
		while (end + 1 < 256 && want[end + 1] && !strchr("]^-[", (int)(end + 1)))
			end++;
		sb_addc(b, (char)c);
		if (end - c >= 2)
			sb_addc(b, '-');
		if (end > c)
			sb_addc(b, (char)end);
		emitted++;
		c = end;
	}
	if (want['[']) {
		sb_addc(b, '[');
		emitted++;
	}
	if (want['^'] && !emitted && want['-']) {
		sb_adds(b, "-^");
		want['-'] = false;
	} else if (want['^']) {
		sb_addc(b, '^');
	}
	if (want['-'])
		sb_addc(b, '-');
	sb_addc(b, ']');
}

/* Alternatives for the non-ASCII code points lo..hi, of one UTF-8 length. */
static void emit_utf8_range(struct sbuf *b, uint32_t lo, uint32_t hi, bool *first)
{
	unsigned char l[4], h[4];
	size_t n, i;

	for (i = 1; i < 4; i++) {
		uint32_t m = (1u << (6 * i)) - 1;

		if ((lo & ~m) == (hi & ~m))
			continue;
		if (lo & m) {
			emit_utf8_range(b, lo, lo | m, first);
			emit_utf8_range(b, (lo | m) + 1, hi, first);
			return;
		}
		if ((hi & m) != m) {
			emit_utf8_range(b, lo, (hi & ~m) - 1, first);
			emit_utf8_range(b, hi & ~m, hi, first);
			return;
		}
	}
	n = utf8_put(lo, l);
	if (utf8_put(hi, h) != n) {
		b->oom = true;
		return;
	}
	if (!*first)
		sb_addc(b, '|');
	*first = false;
	for (i = 0; i < n; i++) {
		if (l[i] == h[i]) {
			sb_addc(b, (char)l[i]);
		} else {
			sb_add(b, (const char[]){'[', (char)l[i], '-', (char)h[i], ']'}, 5);
		}
	}
}

/*
 * Append an ERE atom matching one character of the normalized set s, as
 * UTF-8 bytes: the ASCII members in one bracket, the others as byte
 * sequences. Surrogates never occur in UTF-8 text, so they may be added
 * where that makes ranges merge.
 */
static void emit_set(struct sbuf *b, const struct cpset *s)
{
	static const uint32_t bounds[] = {0x7f, 0x7ff, 0xffff, CP_MAX};
	bool ascii[128] = {false}, any_ascii = false, first = true;
	size_t i, alts = 0, start = b->len;
	uint32_t cp;

	if (s->n == 0) {
		/* Nothing matches: a character, then the start of the string. */
		sb_adds(b, "([b]\\`)");
		return;
	}
	sb_addc(b, '(');
	for (i = 0; i < s->n; i++)
		for (cp = s->r[i].lo; cp <= s->r[i].hi && cp < 128; cp++)
			ascii[cp] = any_ascii = true;
	if (any_ascii) {
		emit_ascii_bracket(b, ascii);
		first = false;
		alts++;
	}
	for (i = 0; i < s->n; i++) {
		uint32_t lo = s->r[i].lo < 0x80 ? 0x80 : s->r[i].lo, hi = s->r[i].hi;
		size_t k;

		if (hi < 0x80)
			continue;
		/* Bridge the surrogates: one range instead of two. */
		while (hi == 0xd7ff && i + 1 < s->n && s->r[i + 1].lo == 0xe000)
			hi = s->r[++i].hi;
		for (k = 0; k < ARRAY_SIZE(bounds) && lo <= hi; k++) {
			uint32_t top = hi < bounds[k] ? hi : bounds[k];

			if (lo > bounds[k])
				continue;
			emit_utf8_range(b, lo, top, &first);
			alts++;
			lo = top + 1;
		}
	}
	if (alts == 1 && any_ascii) {
		/* A lone bracket or byte needs no parentheses. */
		memmove(b->s + start, b->s + start + 1, b->len - start - 1);
		b->len--;
		b->s[b->len] = '\0';
		return;
	}
	sb_addc(b, ')');
}

/* ---- JavaScript regular expressions --------------------------------- */

/* Longer regex sources are refused: every later step is then bounded. */
#define RX_MAX_LEN 32768
/* V8 saturates counts at INT_MAX and reads that as "no upper bound". */
#define RX_INF 0x7fffffffu

struct rx {
	const char *src;
	size_t len, pos;
	bool icase;
	bool named;		 /* some group has a name: V8 then reads \k strictly */
	unsigned captures;	 /* capturing groups in the whole pattern */
	struct sbuf names;	 /* names of the groups closed so far, NUL-separated */
	struct sbuf refs;	 /* names that \k<...> refers to, NUL-separated */
	struct sbuf out;	 /* the POSIX translation */
	const char *error;	 /* V8's message: the pattern is invalid */
	const char *unsupported; /* valid, but without a POSIX translation */
	unsigned depth;
	bool nonword; /* \B is used */
};

static bool rx_fail(struct rx *rx, const char *msg)
{
	rx->error = msg;
	return false;
}

/* Note the first untranslatable feature; the output is moot from then on. */
static void rx_unsupported(struct rx *rx, const char *what)
{
	if (rx->unsupported)
		return;
	rx->unsupported = what;
	sb_free(&rx->out);
	rx->out.oom = true;
}

static int rx_byte(const struct rx *rx, size_t off)
{
	return rx->pos + off < rx->len ? (unsigned char)rx->src[rx->pos + off] : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Count capturing groups and notice named ones, as V8's ScanForCaptures. */
static void rx_scan(struct rx *rx)
{
	const char *s = rx->src;
	size_t i = 0, n = rx->len;

	while (i < n) {
		char c = s[i++];

		if (c == '\\') {
			i++;
		} else if (c == '[') {
			while (i < n && s[i] != ']')
				i += s[i] == '\\' ? 2 : 1;
			i++;
		} else if (c == '(') {
			if (i < n && s[i] == '?') {
				if (i + 1 >= n || s[i + 1] != '<')
					continue;
				if (i + 2 < n && (s[i + 2] == '=' || s[i + 2] == '!'))
					continue;
				rx->named = true;
			}
			rx->captures++;
		}
	}
}

/* An interval quantifier {n}, {n,} or {n,m} at `at`? Reads, never fails. */
static bool rx_interval(const struct rx *rx, size_t at, size_t *end, uint32_t *min, uint32_t *max)
{
	const char *s = rx->src;
	size_t n = rx->len;
	uint32_t *v = min;

	if (at >= n || s[at] != '{' || at + 1 >= n || !is_digit(s[at + 1]))
		return false;
	at++;
	for (;;) {
		*v = 0;
		while (at < n && is_digit(s[at])) {
			uint32_t d = (uint32_t)(s[at++] - '0');

			*v = *v > (RX_INF - d) / 10 ? RX_INF : *v * 10 + d;
		}
		if (v == max || at >= n || s[at] != ',')
			break;
		at++;
		v = max;
		if (at < n && s[at] == '}') {
			*max = RX_INF;
			break;
		}
		if (at >= n || !is_digit(s[at]))
			return false;
	}
	if (v == min)
		*max = *min;
	if (at >= n || s[at] != '}')
		return false;
	*end = at + 1;
	return true;
}

static bool is_id_char(uint32_t c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* \u escape of a group name: \uXXXX or \u{X...}; pos is at the 'u'. */
static bool rx_name_escape(struct rx *rx, uint32_t *cp)
{
	int i, h;

	if (rx_byte(rx, 1) == '{') {
		rx->pos += 2;
		*cp = 0;
		for (i = 0; (h = hex_digit_value(rx_byte(rx, 0))) >= 0; i++, rx->pos++) {
			*cp = *cp * 16 + (uint32_t)h;
			if (*cp > CP_MAX)
				return rx_fail(rx, "Invalid Unicode escape");
		}
		if (i == 0 || rx_byte(rx, 0) != '}')
			return rx_fail(rx, "Invalid Unicode escape");
		rx->pos++;
		return true;
	}
	*cp = 0;
	for (i = 1; i <= 4; i++) {
		h = hex_digit_value(rx_byte(rx, (size_t)i));
		if (h < 0)
			return rx_fail(rx, "Invalid Unicode escape");
		*cp = *cp * 16 + (uint32_t)h;
	}
	rx->pos += 5;
	return true;
}

/*
 * A group name after "(?<" or "\k<", through the '>'. V8 takes any
 * ID_Start/ID_Continue letter; only ASCII names are checked here.
 */
static bool rx_group_name(struct rx *rx, struct sbuf *name)
{
	for (;;) {
		uint32_t c;

		if (rx->pos >= rx->len)
			return rx_fail(rx, "Invalid capture group name");
		if (rx->src[rx->pos] == '>') {
			rx->pos++;
			if (!name->len)
				return rx_fail(rx, "Invalid capture group name");
			return true;
		}
		if (rx->src[rx->pos] == '\\') {
			rx->pos++;
			if (rx_byte(rx, 0) != 'u')
				return rx_fail(rx, "Invalid capture group name");
			if (!rx_name_escape(rx, &c))
				return false;
		} else {
			c = utf8_next(rx->src, rx->len, &rx->pos);
		}
		if (c >= 0x80)
			rx_unsupported(rx, "non-ASCII group names");
		else if (!is_id_char(c, name->len == 0))
			return rx_fail(rx, "Invalid capture group name");
		sb_addcp(name, c);
	}
}

/* Is name (NUL-terminated) one of the NUL-separated names in list? */
static bool name_listed(const struct sbuf *list, const char *name)
{
	size_t at = 0;

	while (at < list->len) {
		if (!strcmp(list->s + at, name))
			return true;
		at += strlen(list->s + at) + 1;
	}
	return false;
}

/* Legacy octal escape (Annex B): up to three digits, at most \377. */
static uint32_t rx_octal(struct rx *rx)
{
	uint32_t v = (uint32_t)(rx->src[rx->pos++] - '0');
	int c = rx_byte(rx, 0);

	if (c >= '0' && c <= '7') {
		v = v * 8 + (uint32_t)(c - '0');
		rx->pos++;
		c = rx_byte(rx, 0);
		if (v < 32 && c >= '0' && c <= '7') {
			v = v * 8 + (uint32_t)(c - '0');
			rx->pos++;
		}
	}
	return v;
}

/*
 * The escapes that read alike in and out of classes; pos is at the letter
 * after the backslash. Anything else escapes itself (Annex B).
 */
static uint32_t rx_char_escape(struct rx *rx)
{
	int c = rx_byte(rx, 0), i, h;
	uint32_t v = 0;

	switch (c) {
	case 'f':
		rx->pos++;
		return '\f';
	case 'n':
		rx->pos++;
		return '\n';
	case 'r':
		rx->pos++;
		return '\r';
	case 't':
		rx->pos++;
		return '\t';
	case 'v':
		rx->pos++;
		return '\v';
	case 'x':
	case 'u':
		for (i = 1; i <= (c == 'x' ? 2 : 4); i++) {
			h = hex_digit_value(rx_byte(rx, (size_t)i));
			if (h < 0) {
				rx->pos++;
				return (uint32_t)c;
			}
			v = v * 16 + (uint32_t)h;
		}
		rx->pos += (size_t)i;
		if (v >= 0xd800 && v <= 0xdfff)
			rx_unsupported(rx, "surrogate code units");
		return v;
	default:
		return utf8_next(rx->src, rx->len, &rx->pos);
	}
}

enum rx_class_escape { RX_NONE, RX_DIGIT, RX_WORD, RX_SPACE };

/* \d \w \s and their complements, added to s. */
static void add_class_escape(struct cpset *s, enum rx_class_escape kind, bool negate)
{
	struct cpset c = {0};
	size_t i;

	switch (kind) {
	case RX_DIGIT:
		set_add(&c, '0', '9');
		break;
	case RX_WORD:
		set_add(&c, '0', '9');
		set_add(&c, 'A', 'Z');
		set_add(&c, '_', '_');
		set_add(&c, 'a', 'z');
		break;
	case RX_SPACE:
		for (i = 0; i < ARRAY_SIZE(js_spaces); i++)
			set_add(&c, js_spaces[i].lo, js_spaces[i].hi);
		break;
	case RX_NONE:
		break;
	}
	set_normalize(&c);
	if (negate)
		set_complement(&c);
	for (i = 0; i < c.n; i++)
		set_add(s, c.r[i].lo, c.r[i].hi);
	s->oom |= c.oom;
	free(c.r);
}

/* Which class escape the letter after a backslash is, if any. */
static enum rx_class_escape class_escape(int c, bool *negate)
{
	*negate = c == 'D' || c == 'W' || c == 'S';
	switch (c) {
	case 'd':
	case 'D':
		return RX_DIGIT;
	case 'w':
	case 'W':
		return RX_WORD;
	case 's':
	case 'S':
		return RX_SPACE;
	default:
		return RX_NONE;
	}
}

/* Emit a finished set: fold case for the i flag, complement for [^...]. */
static void rx_emit_set(struct rx *rx, struct cpset *s, bool negate)
{
	if (rx->unsupported) {
		free(s->r);
		return;
	}
	set_normalize(s);
	if (rx->icase)
		set_close_case(s);
	if (negate)
		set_complement(s);
	if (s->oom)
		rx->out.oom = true;
	else
		emit_set(&rx->out, s);
	free(s->r);
}

/* Add to s what Canonicalize() folds together with cp, cp included. */
static void add_case_variants(struct cpset *s, uint32_t cp)
{
	const struct cm_case_run *r = cm_canon_runs;
	uint32_t k = js_canon(cp);
	size_t i;

	set_add(s, cp, cp);
	set_add(s, k, k);
	for (i = 0; i < ARRAY_SIZE(cm_canon_runs); i++) {
		uint32_t y = (uint32_t)((int32_t)k - r[i].delta);

		if (y >= r[i].first && y <= r[i].last && (y - r[i].first) % r[i].stride == 0)
			set_add(s, y, y);
	}
}

static void rx_emit_char(struct rx *rx, uint32_t cp)
{
	struct cpset s = {0};
	bool icase = rx->icase;

	if (rx->unsupported)
		return;
	if (cp > 0 && cp < 0x80 && !(icase && ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))) {
		emit_byte(&rx->out, (unsigned char)cp);
		return;
	}
	if (icase)
		add_case_variants(&s, cp);
	else
		set_add(&s, cp, cp);
	/* The variants are complete: no need for the general closure. */
	rx->icase = false;
	rx_emit_set(rx, &s, false);
	rx->icase = icase;
}

/* A character outside classes, just read. */
static void rx_literal(struct rx *rx, uint32_t cp)
{
	/* JavaScript would repeat the second half of the surrogate pair only. */
	if (cp > 0xffff && rx->pos < rx->len && strchr("*+?{", rx->src[rx->pos]))
		rx_unsupported(rx, "quantified characters outside the BMP");
	rx_emit_char(rx, cp);
}

/* The element of a class: one character, or a class escape added to s. */
static bool rx_class_atom(struct rx *rx, struct cpset *s, uint32_t *cp, bool *is_class)
{
	enum rx_class_escape kind;
	bool negate;
	int c;

	*is_class = false;
	if (rx->src[rx->pos] != '\\') {
		*cp = utf8_next(rx->src, rx->len, &rx->pos);
		if (*cp > 0xffff)
			rx_unsupported(rx, "characters outside the BMP in classes");
		return true;
	}
	c = rx_byte(rx, 1);
	if (c < 0)
		return rx_fail(rx, "\\ at end of pattern");
	kind = class_escape(c, &negate);
	if (kind != RX_NONE) {
		add_class_escape(s, kind, negate);
		*is_class = true;
		rx->pos += 2;
		return true;
	}
	switch (c) {
	case 'b':
		*cp = '\b';
		rx->pos += 2;
		return true;
	case 'c': {
		int l = rx_byte(rx, 2);

		if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z') || is_digit(l) || l == '_') {
			*cp = (uint32_t)l % 32;
			rx->pos += 3;
		} else {
			/* A lone \c is a backslash; the c is read next. */
			*cp = '\\';
			rx->pos++;
		}
		return true;
	}
	case 'k':
		if (rx->named)
			return rx_fail(rx, "Invalid escape");
		break;
	default:
		if (c >= '0' && c <= '7') {
			rx->pos++;
			*cp = rx_octal(rx);
			return true;
		}
	}
	rx->pos++;
	*cp = rx_char_escape(rx);
	if (*cp > 0xffff)
		rx_unsupported(rx, "characters outside the BMP in classes");
	return true;
}

static bool rx_class(struct rx *rx)
{
	struct cpset s = {0};
	bool negate = false;

	rx->pos++;
	if (rx_byte(rx, 0) == '^') {
		negate = true;
		rx->pos++;
	}
	for (;;) {
		uint32_t a, b;
		bool a_class, b_class;

		if (rx->pos >= rx->len)
			goto unterminated;
		if (rx->src[rx->pos] == ']')
			break;
		if (!rx_class_atom(rx, &s, &a, &a_class))
			goto fail;
		if (rx_byte(rx, 0) != '-') {
			if (!a_class)
				set_add(&s, a, a);
			continue;
		}
		rx->pos++;
		if (rx->pos >= rx->len)
			goto unterminated;
		if (rx->src[rx->pos] == ']') {
			if (!a_class)
				set_add(&s, a, a);
			set_add(&s, '-', '-');
			continue;
		}
		if (!rx_class_atom(rx, &s, &b, &b_class))
			goto fail;
		if (a_class || b_class) {
			/* Annex B: a range with a class escape is a union. */
			if (!a_class)
				set_add(&s, a, a);
			if (!b_class)
				set_add(&s, b, b);
			set_add(&s, '-', '-');
		} else if (a > b) {
			rx_fail(rx, "Range out of order in character class");
			goto fail;
		} else {
			set_add(&s, a, b);
		}
	}
	rx->pos++;
	rx_emit_set(rx, &s, negate);
	return true;
unterminated:
	rx_fail(rx, "Unterminated character class");
fail:
	free(s.r);
	return false;
}

/* Append n decimal, for counted repetition. */
static void sb_addu(struct sbuf *b, uint32_t n)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%u", n);
	sb_adds(b, tmp);
}

/*
 * An optional quantifier after the atom emitted from out offset `at`,
 * costing `c`. Laziness changes which match is found, never whether one
 * is, so "*?" is "*" here.
 */
static bool rx_quantifier(struct rx *rx, size_t at, double c, double *cost, bool quantifiable)
{
	uint32_t min, max;
	size_t end = rx->pos + 1;
	int q = rx_byte(rx, 0);

	min = q == '+' ? 1 : 0;
	max = q == '?' ? 1 : RX_INF;
	if (q == '*' || q == '+' || q == '?') {
		/* min and max are set */
	} else if (!rx_interval(rx, rx->pos, &end, &min, &max)) {
		*cost += c;
		return true;
	}
	rx->pos = end;
	if (max < min)
		return rx_fail(rx, "numbers out of order in {} quantifier");
	if (rx_byte(rx, 0) == '?')
		rx->pos++;
	if (!quantifiable)
		return rx_fail(rx, "Invalid quantifier");
	if (min > RX_MAX_REPEAT || (max != RX_INF && max > RX_MAX_REPEAT)) {
		rx_unsupported(rx, "repetition counts above " XSTR(RX_MAX_REPEAT));
		return true;
	}
	*cost += c * (max == RX_INF ? min + 1 : max > 1 ? max : 1);
	if (rx->unsupported)
		return true;
	if (max == 0) {
		/* Repeated zero times: the atom matches the empty string. */
		rx->out.len = at;
		sb_adds(&rx->out, "()");
	} else if (min == 0 && max == RX_INF) {
		sb_addc(&rx->out, '*');
	} else if (min == 1 && max == RX_INF) {
		sb_addc(&rx->out, '+');
	} else if (min == 0 && max == 1) {
		sb_addc(&rx->out, '?');
	} else {
		sb_addc(&rx->out, '{');
		sb_addu(&rx->out, min);
		if (max != min)
			sb_addc(&rx->out, ',');
		if (max != min && max != RX_INF)
			sb_addu(&rx->out, max);
		sb_addc(&rx->out, '}');
	}
	return true;
}

/* A backslash outside classes; *atom is false for \b and \B. */
static bool rx_atom_escape(struct rx *rx, bool *atom)
{
	enum rx_class_escape kind;
	struct cpset s = {0};
	bool negate;
	int c = rx_byte(rx, 1);

	*atom = true;
	if (c < 0)
		return rx_fail(rx, "\\ at end of pattern");
	if (c == 'b' || c == 'B') {
		/* GNU \b: in the C locale its word characters are JavaScript's. */
		sb_adds(&rx->out, c == 'b' ? "\\b" : "\\B");
		rx->nonword |= c == 'B';
		rx->pos += 2;
		*atom = false;
		return true;
	}
	kind = class_escape(c, &negate);
	if (kind != RX_NONE) {
		add_class_escape(&s, kind, negate);
		rx->pos += 2;
		rx_emit_set(rx, &s, false);
		return true;
	}
	if (c >= '1' && c <= '9') {
		size_t i = 1;
		uint32_t v = 0;

		while (is_digit(rx_byte(rx, i)) && v <= 65535)
			v = v * 10 + (uint32_t)(rx_byte(rx, i++) - '0');
		if (v <= rx->captures) {
			rx_unsupported(rx, "back references");
			while (is_digit(rx_byte(rx, 1)))
				rx->pos++;
			rx->pos++;
			return true;
		}
		/* Not a group: \8 and \9 are digits, the others octal (Annex B). */
		if (c >= '8') {
			rx->pos += 2;
			rx_emit_char(rx, (uint32_t)c);
			return true;
		}
	}
	if (c >= '0' && c <= '7') {
		rx->pos++;
		rx_emit_char(rx, rx_octal(rx));
		return true;
	}
	if (c == 'k' && rx->named) {
		struct sbuf name = {0};

		rx->pos += 2;
		if (rx_byte(rx, 0) != '<')
			return rx_fail(rx, "Invalid named reference");
		rx->pos++;
		if (!rx_group_name(rx, &name)) {
			sb_free(&name);
			return false;
		}
		sb_add(&rx->refs, name.s, name.len + 1);
		rx->refs.oom |= name.oom;
		sb_free(&name);
		rx_unsupported(rx, "back references");
		return true;
	}
	if (c == 'c') {
		int l = rx_byte(rx, 2);

		if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z')) {
			rx->pos += 3;
			rx_emit_char(rx, (uint32_t)l % 32);
		} else {
			/* A lone \c is a backslash; the c is read next. */
			rx->pos++;
			rx_emit_char(rx, '\\');
		}
		return true;
	}
	rx->pos++;
	rx_literal(rx, rx_char_escape(rx));
	return true;
}

static bool rx_disjunction(struct rx *rx, bool in_group, double *cost);

static bool rx_group(struct rx *rx, double *cost)
{
	enum { CAPTURE, PLAIN, LOOKAHEAD, LOOKBEHIND } kind = CAPTURE;
	struct sbuf name = {0};
	size_t at = rx->out.len;
	double inner = 0;

	rx->pos++;
	if (rx_byte(rx, 0) == '?') {
		int c = rx_byte(rx, 1), d = rx_byte(rx, 2);

		if (c == ':') {
			kind = PLAIN;
			rx->pos += 2;
		} else if (c == '=' || c == '!') {
			kind = LOOKAHEAD;
			rx->pos += 2;
		} else if (c == '<' && (d == '=' || d == '!')) {
			kind = LOOKBEHIND;
			rx->pos += 3;
		} else if (c == '<') {
			rx->pos += 2;
			if (!rx_group_name(rx, &name))
				goto fail;
		} else {
			return rx_fail(rx, "Invalid group");
		}
	}
	if (rx->depth >= RX_MAX_DEPTH) {
		rx_unsupported(rx, "groups nested more than " XSTR(RX_MAX_DEPTH) " deep");
		goto fail;
	}
	rx->depth++;
	sb_addc(&rx->out, '(');
	if (!rx_disjunction(rx, true, &inner))
		goto fail;
	rx->depth--;
	rx->pos++;
	sb_addc(&rx->out, ')');
	if (name.len) {
		if (name_listed(&rx->names, name.s)) {
			rx_fail(rx, "Duplicate capture group name");
			goto fail;
		}
		sb_add(&rx->names, name.s, name.len + 1);
		rx->names.oom |= name.oom;
	}
	sb_free(&name);
	if (kind == LOOKAHEAD)
		rx_unsupported(rx, "lookahead assertions");
	if (kind == LOOKBEHIND)
		rx_unsupported(rx, "lookbehind assertions");
	return rx_quantifier(rx, at, inner + 2, cost, kind != LOOKBEHIND);
fail:
	sb_free(&name);
	return false;
}

/* The set "." matches: all but line terminators. */
static void rx_emit_dot(struct rx *rx)
{
	struct cpset s = {0};
	bool icase = rx->icase;

	set_add(&s, '\n', '\n');
	set_add(&s, '\r', '\r');
	set_add(&s, 0x2028, 0x2029);
	rx->icase = false;
	rx_emit_set(rx, &s, true);
	rx->icase = icase;
}

/* One term: an assertion, or an atom and its quantifier. */
static bool rx_term(struct rx *rx, double *cost)
{
	size_t at = rx->out.len, end;
	uint32_t min, max;
	bool atom;

	switch (rx->src[rx->pos]) {
	case '^':
	case '$':
		/*
		 * Without the m flag these are the ends of the string: GNU's \`
		 * and \'. glibc's ^ and $ also match next to a newline that the
		 * pattern itself consumes.
		 */
		sb_adds(&rx->out, rx->src[rx->pos++] == '^' ? "\\`" : "\\'");
		return true;
	case '(':
		return rx_group(rx, cost);
	case '[':
		if (!rx_class(rx))
			return false;
		break;
	case '.':
		rx->pos++;
		rx_emit_dot(rx);
		break;
	case '\\':
		if (!rx_atom_escape(rx, &atom))
			return false;
		if (!atom)
			return true;
		break;
	case '*':
	case '+':
	case '?':
		return rx_fail(rx, "Nothing to repeat");
	case '{':
		if (rx_interval(rx, rx->pos, &end, &min, &max))
			return rx_fail(rx, "Nothing to repeat");
		rx->pos++;
		emit_byte(&rx->out, '{');
		break;
	default:
		rx_literal(rx, utf8_next(rx->src, rx->len, &rx->pos));
	}
	return rx_quantifier(rx, at, (double)(rx->out.len - at) + 1, cost, true);
}

static bool rx_disjunction(struct rx *rx, bool in_group, double *cost)
{
	double sum = 0;

	for (;;) {
		if (rx->pos >= rx->len) {
			if (in_group)
				return rx_fail(rx, "Unterminated group");
			break;
		}
		if (rx->src[rx->pos] == '|') {
			sb_addc(&rx->out, '|');
			rx->pos++;
			continue;
		}
		if (rx->src[rx->pos] == ')') {
			if (!in_group)
				return rx_fail(rx, "Unmatched ')'");
			break;
		}
		if (!rx_term(rx, &sum))
			return false;
		if (sum > RX_MAX_COST)
			rx_unsupported(rx, "patterns this complex");
	}
	*cost += sum;
	return true;
}

/* Every \k<name> must name a group somewhere in the pattern. */
static bool rx_check_refs(struct rx *rx)
{
	size_t at = 0;

	while (at < rx->refs.len) {
		if (!name_listed(&rx->names, rx->refs.s + at))
			return rx_fail(rx, "Invalid named capture referenced");
		at += strlen(rx->refs.s + at) + 1;
	}
	return true;
}

/*
 * GNU \B also holds between two bytes of one UTF-8 character, where the
 * search may start an empty match. Start the pattern at the beginning of
 * the string or after a whole character, (\`|any)(pattern), so that it
 * only ever starts between characters.
 */
static void start_at_characters(struct sbuf *out)
{
	struct sbuf b = {0};
	struct cpset all = {0};

	set_add(&all, 0, CP_MAX);
	sb_adds(&b, "(\\`|");
	if (!all.oom)
		emit_set(&b, &all);
	sb_adds(&b, ")(");
	sb_add(&b, out->s ? out->s : "", out->len);
	sb_addc(&b, ')');
	b.oom |= all.oom || out->oom;
	free(all.r);
	sb_free(out);
	*out = b;
}

/*
 * Compile JavaScript regex source (valid UTF-8) for RegExp.test(), in the
 * C locale loc. On failure, append JavaScript's SyntaxError message (or
 * why there is no translation) to msg and return false.
 */
static bool js_regex_compile(regex_t *re, const char *src, size_t len, bool icase, locale_t loc,
			     struct sbuf *msg)
{
	struct rx rx = {.src = src, .len = len, .icase = icase};
	const char *why;
	char buf[128];
	double cost = 0;
	bool oom;
	int rc = 0;

	if (len > RX_MAX_LEN) {
		rx.unsupported = "patterns longer than " XSTR(RX_MAX_LEN) " bytes";
	} else {
		rx_scan(&rx);
		if (rx_disjunction(&rx, false, &cost))
			rx_check_refs(&rx);
	}
	if (rx.nonword && !rx.unsupported && !rx.error)
		start_at_characters(&rx.out);
	why = rx.error ? rx.error : rx.unsupported;
	oom = rx.out.oom || rx.names.oom || rx.refs.oom;
	if (!why && !oom) {
		locale_t old = uselocale(loc);

		rc = regcomp(re, rx.out.s ? rx.out.s : "", REG_EXTENDED | REG_NOSUB);
		uselocale(old);
		if (rc) {
			regerror(rc, re, buf, sizeof(buf));
			why = buf;
		}
	}
	sb_free(&rx.out);
	sb_free(&rx.names);
	sb_free(&rx.refs);
	if (why) {
		sb_adds(msg, rx.error ? "Invalid" : "Unsupported");
		sb_adds(msg, " regular expression: /");
		sb_add(msg, src, len);
		sb_adds(msg, icase ? "/i: " : "/: ");
		sb_adds(msg, why);
		if (rx.unsupported && !rx.error)
			sb_adds(msg, " are not supported");
		return false;
	}
	if (oom) {
		sb_adds(msg, "out of memory");
		return false;
	}
	return true;
}

/* ---- the syntax tree ----------------------------------------------- */

enum cm_kind {
	CM_NULL,	     /* empty filter: matches everything */
	CM_AND,		     /* the kids all match */
	CM_OR,		     /* a kid matches */
	CM_NOT,		     /* the kid does not match */
	CM_COMPARISON,	     /* a number, compared with `number` */
	CM_NUMBER_OR_STRING, /* a numeric word: that number, or a substring */
	CM_PROPERTY,	     /* the kid matches value[text] */
	CM_TRUTHY,	     /* value[text] is truthy */
	CM_STRING,	     /* a substring, case-insensitive, searched recursively */
	CM_GLOB,	     /* a word with '*': the package's /a.*b/i, matched natively */
	CM_REGEX,	     /* a JavaScript regex */
};

enum cm_op { CM_GT, CM_GE, CM_LT, CM_LE };

struct cm_node {
	enum cm_kind kind;
	char *text; /* the word, string, property name or regex source */
	size_t text_len;
	char *lower; /* CM_STRING, CM_NUMBER_OR_STRING: text.toLowerCase(); CM_GLOB: canonical */
	size_t lower_len;
	double number; /* CM_COMPARISON: the operand; CM_NUMBER_OR_STRING: +text */
	enum cm_op op;
	bool icase;    /* CM_REGEX: the i flag */
	bool compiled; /* re holds a compiled regex */
	regex_t re;
	struct cm_node *kid;  /* the first (CM_AND, CM_OR) or only kid */
	struct cm_node *next; /* the next kid of the same parent */
	locale_t c_locale;    /* the root only: where regexes and numbers are read */
};

/* Free n and the nodes after it; kids nest at most CM_MAX_DEPTH deep. */
static void node_free(struct cm_node *n)
{
	while (n) {
		struct cm_node *next = n->next;

		node_free(n->kid);
		if (n->compiled)
			regfree(&n->re);
		free(n->text);
		free(n->lower);
		if (n->c_locale)
			freelocale(n->c_locale);
		free(n);
		n = next;
	}
}

/* ---- the parser ------------------------------------------------------ */

struct parser {
	const char *s; /* the filter, valid UTF-8 */
	size_t len;
	locale_t loc;
	unsigned depth;
	bool thrown; /* the package throws here: the parse ends at once */
	char *err;
	size_t errlen;
};

static void throw_msg(struct parser *p, const char *msg)
{
	p->thrown = true;
	snprintf(p->err, p->errlen, "%s", msg);
}

static void throw_at(struct parser *p, const char *what, size_t pos)
{
	p->thrown = true;
	snprintf(p->err, p->errlen, "parse error: %s at position %zu", what,
		 utf16_units(p->s, pos < p->len ? pos : p->len));
}

static struct cm_node *new_node(struct parser *p, enum cm_kind kind)
{
	struct cm_node *n = calloc(1, sizeof(*n));

	if (!n)
		throw_msg(p, "out of memory");
	else
		n->kind = kind;
	return n;
}

/*
 * A node owning text (taken over, freed on failure). Strings and numeric
 * words also keep their lower case form for matching.
 */
static struct cm_node *text_node(struct parser *p, enum cm_kind kind, struct sbuf *text)
{
	struct cm_node *n;
	struct sbuf lower = {0};

	if (text->oom) {
		sb_free(text);
		throw_msg(p, "out of memory");
		return NULL;
	}
	n = new_node(p, kind);
	if (!n) {
		sb_free(text);
		return NULL;
	}
	n->text = text->s ? text->s : strdup("");
	n->text_len = text->len;
	text->s = NULL;
	if (!n->text)
		goto oom;
	if (kind == CM_STRING || kind == CM_NUMBER_OR_STRING || kind == CM_GLOB) {
		if (kind == CM_GLOB)
			js_canon_string(&lower, n->text, n->text_len);
		else
			js_lower(&lower, n->text, n->text_len);
		n->lower = lower.s ? lower.s : strdup("");
		n->lower_len = lower.len;
		if (lower.oom || !n->lower)
			goto oom;
	}
	return n;
oom:
	node_free(n);
	throw_msg(p, "out of memory");
	return NULL;
}

/* ws = /\s* / ; fails only past the end (a quoted string's trailing \). */
static bool skip_ws(const struct parser *p, size_t *pos)
{
	size_t at;

	if (*pos > p->len)
		return false;
	while (*pos < p->len) {
		at = *pos;
		if (!is_js_space(utf8_next(p->s, p->len, &at)))
			break;
		*pos = at;
	}
	return true;
}

static bool take(const struct parser *p, size_t *pos, char c)
{
	if (*pos >= p->len || p->s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/* A raw word (also '*' for globs); false if empty. */
static bool raw_word(const struct parser *p, size_t *pos, bool glob, struct sbuf *out)
{
	size_t start = *pos, at;

	while (*pos < p->len) {
		uint32_t cp;

		at = *pos;
		cp = utf8_next(p->s, p->len, &at);
		if (!is_raw_unit(cp) && !(glob && cp == '*'))
			break;
		*pos = at;
	}
	sb_add(out, p->s + start, *pos - start);
	return *pos > start;
}

/*
 * "..." with backslash escapes. An unterminated string runs to the end of
 * the filter; a backslash at the very end steps one past it, which makes
 * whatever follows fail, as in the package.
 */
static bool quoted(const struct parser *p, size_t *pos, struct sbuf *out)
{
	if (!take(p, pos, '"'))
		return false;
	while (*pos < p->len) {
		size_t at = *pos;
		uint32_t cp = utf8_next(p->s, p->len, pos);

		if (cp == '"')
			break;
		if (cp == '\\') {
			if (*pos >= p->len) {
				*pos = p->len + 1;
				break;
			}
			at = *pos;
			utf8_next(p->s, p->len, pos);
		}
		sb_add(out, p->s + at, *pos - at);
	}
	return true;
}

static bool name(const struct parser *p, size_t *pos, struct sbuf *out)
{
	return quoted(p, pos, out) || raw_word(p, pos, false, out);
}

static struct cm_node *term(struct parser *p, size_t *pos);

/* A node over a list of kids; one kid stands for itself, as in the package. */
static struct cm_node *parent_node(struct parser *p, enum cm_kind kind, struct cm_node *kids)
{
	struct cm_node *node;

	if (kids && !kids->next && kind != CM_NOT && kind != CM_PROPERTY)
		return kids;
	node = new_node(p, kind);
	if (!node)
		node_free(kids);
	else
		node->kid = kids;
	return node;
}

/* term* (at least min of them): the list of terms up to the first failure. */
static struct cm_node *terms(struct parser *p, size_t *pos, size_t min)
{
	struct cm_node *first = NULL, **tail = &first;
	size_t n = 0;

	while ((*tail = term(p, pos))) {
		tail = &(*tail)->next;
		n++;
	}
	if (p->thrown || n < min) {
		node_free(first);
		return NULL;
	}
	return first;
}

/* term+ ")" : the inside of ( ... ) and |( ... ). */
static struct cm_node *terms_in_parens(struct parser *p, size_t *pos, enum cm_kind kind)
{
	struct cm_node *kids = terms(p, pos, 1);

	if (kids && !take(p, pos, ')')) {
		node_free(kids);
		return NULL;
	}
	return kids ? parent_node(p, kind, kids) : NULL;
}

static struct cm_node *group(struct parser *p, size_t *pos)
{
	if (!take(p, pos, '('))
		return NULL;
	skip_ws(p, pos);
	return terms_in_parens(p, pos, CM_AND);
}

static struct cm_node *or_group(struct parser *p, size_t *pos)
{
	if (!take(p, pos, '|'))
		return NULL;
	skip_ws(p, pos);
	if (!take(p, pos, '('))
		return NULL;
	skip_ws(p, pos);
	return terms_in_parens(p, pos, CM_OR);
}

static struct cm_node *negation(struct parser *p, size_t *pos)
{
	struct cm_node *kid;

	if (!take(p, pos, '!'))
		return NULL;
	skip_ws(p, pos);
	kid = term(p, pos);
	return kid ? parent_node(p, CM_NOT, kid) : NULL;
}

/* [<>]=? then a raw word, which must be a number (else the package throws). */
static struct cm_node *comparison(struct parser *p, size_t *pos)
{
	struct sbuf word = {0};
	struct cm_node *n;
	enum cm_op op;
	double v;

	if (*pos >= p->len || (p->s[*pos] != '<' && p->s[*pos] != '>'))
		return NULL;
	op = p->s[(*pos)++] == '<' ? CM_LT : CM_GT;
	if (take(p, pos, '='))
		op = op == CM_LT ? CM_LE : CM_GE;
	if (!raw_word(p, pos, false, &word)) {
		sb_free(&word);
		return NULL;
	}
	if (word.oom || !js_to_number(word.s, word.len, p->loc, &v)) {
		throw_msg(p, word.oom ? "out of memory" : "value must be a number");
		sb_free(&word);
		return NULL;
	}
	sb_free(&word);
	n = new_node(p, CM_COMPARISON);
	if (n) {
		n->op = op;
		n->number = v;
	}
	return n;
}

static struct cm_node *property(struct parser *p, size_t *pos)
{
	struct sbuf text = {0};
	struct cm_node *n, *kid;

	if (!name(p, pos, &text) || !skip_ws(p, pos) || !take(p, pos, ':')) {
		sb_free(&text);
		return NULL;
	}
	skip_ws(p, pos);
	kid = term(p, pos);
	if (!kid) {
		sb_free(&text);
		return NULL;
	}
	n = text_node(p, CM_PROPERTY, &text);
	if (!n)
		node_free(kid);
	else
		n->kid = kid;
	return n;
}

static struct cm_node *truthy(struct parser *p, size_t *pos)
{
	struct sbuf text = {0};

	if (!name(p, pos, &text) || !take(p, pos, '?')) {
		sb_free(&text);
		return NULL;
	}
	return text_node(p, CM_TRUTHY, &text);
}

/* "/" pattern "/" "i"? — a '/' after a backslash does not end it. */
static struct cm_node *regex(struct parser *p, size_t *pos)
{
	struct sbuf src = {0}, msg = {0};
	struct cm_node *n;
	size_t start;
	uint32_t c = 0;
	bool escaped = false, closed = false;

	if (!take(p, pos, '/'))
		return NULL;
	start = *pos;
	while (*pos < p->len) {
		c = utf8_next(p->s, p->len, pos);
		if (c == '/' && !escaped) {
			closed = true;
			break;
		}
		/*
		 * The package's bug, kept: "\\" leaves the next character
		 * escaped too, so /a\\/ does not end at its last slash.
		 */
		escaped = c == '\\';
	}
	/* The package only checks that the last character read was a '/'. */
	if (c != '/')
		return NULL;
	sb_add(&src, p->s + start, *pos - start - (closed ? 1 : 0));
	n = text_node(p, CM_REGEX, &src);
	if (!n)
		return NULL;
	n->icase = take(p, pos, 'i');
	if (!js_regex_compile(&n->re, n->text, n->text_len, n->icase, p->loc, &msg)) {
		throw_msg(p, msg.oom ? "out of memory" : msg.s);
		sb_free(&msg);
		node_free(n);
		return NULL;
	}
	n->compiled = true;
	return n;
}

static struct cm_node *value(struct parser *p, size_t *pos)
{
	struct sbuf text = {0};
	struct cm_node *n;
	double v;

	if (quoted(p, pos, &text))
		return text_node(p, CM_STRING, &text);
	if (*pos < p->len && p->s[*pos] == '/') {
		sb_free(&text);
		return regex(p, pos);
	}
	if (!raw_word(p, pos, true, &text)) {
		sb_free(&text);
		return NULL;
	}
	if (!text.oom && js_to_number(text.s, text.len, p->loc, &v)) {
		n = text_node(p, CM_NUMBER_OR_STRING, &text);
		if (n)
			n->number = v;
		return n;
	}
	if (text.oom || !memchr(text.s, '*', text.len))
		return text_node(p, CM_STRING, &text);
	return text_node(p, CM_GLOB, &text);
}

typedef struct cm_node *(*alternative_fn)(struct parser *, size_t *);

/* The alternatives of a term, in the package's order, then trailing space. */
static struct cm_node *term(struct parser *p, size_t *pos)
{
	static const alternative_fn alternatives[] = {
	    group, or_group, negation, comparison, property, truthy, value,
	};
	struct cm_node *n = NULL;
	size_t i, at = *pos;

	if (p->depth >= CM_MAX_DEPTH) {
		throw_at(p, "terms nested more than " XSTR(CM_MAX_DEPTH) " deep", *pos);
		return NULL;
	}
	p->depth++;
	for (i = 0; i < ARRAY_SIZE(alternatives) && !n && !p->thrown; i++) {
		at = *pos;
		n = alternatives[i](p, &at);
	}
	p->depth--;
	if (n && !skip_ws(p, &at)) {
		node_free(n);
		n = NULL;
	}
	if (n)
		*pos = at;
	return n;
}

/* filter = ws term* EOF */
static struct cm_node *filter(struct parser *p)
{
	struct cm_node *kids;
	size_t pos = 0;

	skip_ws(p, &pos);
	kids = terms(p, &pos, 0);
	if (!p->thrown && pos < p->len)
		throw_at(p, "expected end of input", pos);
	if (p->thrown) {
		node_free(kids);
		return NULL;
	}
	return kids ? parent_node(p, CM_AND, kids) : new_node(p, CM_NULL);
}

/* ---- matching -------------------------------------------------------- */

/* A JavaScript value met while matching: JSON, or what JavaScript adds. */
enum jsv_kind {
	JSV_UNDEFINED,
	JSV_JSON,    /* json, null included */
	JSV_NUMBER,  /* the length of an array or a string */
	JSV_CHAR,    /* one UTF-16 unit of a string, as UTF-8 */
	JSV_BUILTIN, /* an inherited method or prototype: truthy, matches no term */
};

struct jsv {
	enum jsv_kind kind;
	const json_t *json;
	double num;
	char ch[4];
	size_t ch_len;
};

/* Names every value inherits from Object.prototype (Node 20). */
static const char *const object_proto[] = {
    "constructor",	"__defineGetter__", "__defineSetter__", "hasOwnProperty",
    "__lookupGetter__", "__lookupSetter__", "isPrototypeOf",	"propertyIsEnumerable",
    "toString",		"valueOf",	    "__proto__",	"toLocaleString",
};

static const char *const array_proto[] = {
    "at",	"concat",	 "copyWithin",	"fill",	    "find",	 "findIndex",
    "findLast", "findLastIndex", "lastIndexOf", "pop",	    "push",	 "reverse",
    "shift",	"unshift",	 "slice",	"sort",	    "splice",	 "includes",
    "indexOf",	"join",		 "keys",	"entries",  "values",	 "forEach",
    "filter",	"flat",		 "flatMap",	"map",	    "every",	 "some",
    "reduce",	"reduceRight",	 "toReversed",	"toSorted", "toSpliced", "with",
};

static const char *const string_proto[] = {
    "anchor",
    "at",
    "big",
    "blink",
    "bold",
    "charAt",
    "charCodeAt",
    "codePointAt",
    "concat",
    "endsWith",
    "fontcolor",
    "fontsize",
    "fixed",
    "includes",
    "indexOf",
    "isWellFormed",
    "italics",
    "lastIndexOf",
    "link",
    "localeCompare",
    "match",
    "matchAll",
    "normalize",
    "padEnd",
    "padStart",
    "repeat",
    "replace",
    "replaceAll",
    "search",
    "slice",
    "small",
    "split",
    "strike",
    "sub",
    "substr",
    "substring",
    "sup",
    "startsWith",
    "toWellFormed",
    "trim",
    "trimStart",
    "trimLeft",
    "trimEnd",
    "trimRight",
    "toLocaleLowerCase",
    "toLocaleUpperCase",
    "toLowerCase",
    "toUpperCase",
};

static const char *const number_proto[] = {
    "toExponential",
    "toFixed",
    "toPrecision",
};

static bool listed(const char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

/* A canonical array index: "0", or digits without a leading zero, < 2^32 - 1. */
static bool array_index(const char *name, size_t *index)
{
	size_t len = strlen(name), i;
	uint64_t v = 0;

	if (len == 0 || len > 10 || (name[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++) {
		if (!is_digit(name[i]))
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (v > 4294967294u)
		return false;
	*index = (size_t)v;
	return true;
}

static bool jsv_string(const struct jsv *v, const char **s, size_t *len)
{
	if (v->kind == JSV_CHAR) {
		*s = v->ch;
		*len = v->ch_len;
		return true;
	}
	if (v->kind != JSV_JSON || !json_is_string(v->json))
		return false;
	*s = json_string_value(v->json);
	*len = json_string_length(v->json);
	return true;
}

static bool jsv_number(const struct jsv *v, double *d)
{
	if (v->kind == JSV_NUMBER) {
		*d = v->num;
		return true;
	}
	if (v->kind != JSV_JSON || !json_is_number(v->json))
		return false;
	*d = json_number_value(v->json);
	return true;
}

/* undefined and null: what `value != null` excludes. */
static bool jsv_nullish(const struct jsv *v)
{
	return v->kind == JSV_UNDEFINED || (v->kind == JSV_JSON && json_is_null(v->json));
}

static bool jsv_truthy(const struct jsv *v)
{
	const char *s;
	size_t len;
	double d;

	if (jsv_nullish(v) || (v->kind == JSV_JSON && json_is_false(v->json)))
		return false;
	if (jsv_number(v, &d))
		return d != 0 && !isnan(d);
	if (jsv_string(v, &s, &len))
		return len > 0;
	return true;
}

/* The UTF-16 unit at index of a string (half a pair reads as U+FFFD). */
static bool string_unit(const char *s, size_t len, size_t index, struct jsv *out)
{
	size_t pos = 0, unit = 0, at;

	while (pos < len) {
		uint32_t cp;

		at = pos;
		cp = utf8_next(s, len, &pos);
		if (unit == index || (cp > 0xffff && unit + 1 == index)) {
			out->kind = JSV_CHAR;
			if (cp > 0xffff) {
				memcpy(out->ch, "\xef\xbf\xbd", 3);
				out->ch_len = 3;
			} else {
				out->ch_len = pos - at;
				memcpy(out->ch, s + at, out->ch_len);
			}
			return true;
		}
		unit += cp > 0xffff ? 2 : 1;
	}
	return false;
}

/* value[name], for a value that is neither undefined nor null. */
static struct jsv jsv_get(const struct jsv *v, const char *name)
{
	struct jsv r = {.kind = JSV_UNDEFINED};
	const json_t *j = v->kind == JSV_JSON ? v->json : NULL;
	const char *s;
	size_t len, index = 0;
	bool has_index = array_index(name, &index);
	double d;

	if (json_is_object(j)) {
		r.json = json_object_get(j, name);
		if (r.json)
			r.kind = JSV_JSON;
	} else if (json_is_array(j)) {
		if (has_index && index < json_array_size(j)) {
			r.kind = JSV_JSON;
			r.json = json_array_get(j, index);
		} else if (!strcmp(name, "length")) {
			r.kind = JSV_NUMBER;
			r.num = (double)json_array_size(j);
		} else if (listed(array_proto, ARRAY_SIZE(array_proto), name)) {
			r.kind = JSV_BUILTIN;
		}
	} else if (jsv_string(v, &s, &len)) {
		if (has_index && string_unit(s, len, index, &r)) {
			/* r is set */
		} else if (!strcmp(name, "length")) {
			r.kind = JSV_NUMBER;
			r.num = (double)utf16_units(s, len);
		} else if (listed(string_proto, ARRAY_SIZE(string_proto), name)) {
			r.kind = JSV_BUILTIN;
		}
	} else if (jsv_number(v, &d)) {
		if (listed(number_proto, ARRAY_SIZE(number_proto), name))
			r.kind = JSV_BUILTIN;
	}
	if (r.kind == JSV_UNDEFINED && listed(object_proto, ARRAY_SIZE(object_proto), name))
		r.kind = JSV_BUILTIN;
	return r;
}

static bool match(const struct cm_node *n, const struct jsv *v, unsigned depth);

/* lodash's some(): an array's elements, a plain object's own values. */
static bool match_some(const struct cm_node *n, const struct jsv *v, unsigned depth)
{
	json_t *j = (json_t *)v->json;
	struct jsv kid = {.kind = JSV_JSON};
	const char *key;
	json_t *item;
	size_t i;

	if (v->kind != JSV_JSON || depth >= VALUE_MAX_DEPTH)
		return false;
	if (json_is_array(j)) {
		json_array_foreach(j, i, item)
		{
			kid.json = item;
			if (match(n, &kid, depth + 1))
				return true;
		}
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, item)
		{
			kid.json = item;
			if (match(n, &kid, depth + 1))
				return true;
		}
	}
	return false;
}

/* s.toLowerCase().indexOf(lower) !== -1; false if memory runs out. */
static bool contains_lower(const struct cm_node *n, const char *s, size_t len)
{
	struct sbuf b = {0};
	bool found;

	js_lower(&b, s, len);
	found = !b.oom && memmem(b.s ? b.s : "", b.len, n->lower, n->lower_len);
	sb_free(&b);
	return found;
}

/* Do the '*'-separated parts of glob occur in order in line? */
static bool glob_in_line(const char *line, size_t len, const char *glob, size_t glen)
{
	size_t at = 0, start = 0;

	for (;;) {
		const char *star = memchr(glob + start, '*', glen - start);
		size_t end = star ? (size_t)(star - glob) : glen;

		if (end > start) {
			const char *hit = memmem(line + at, len - at, glob + start, end - start);

			if (!hit)
				return false;
			at = (size_t)(hit - line) + end - start;
		}
		if (!star)
			return true;
		start = end + 1;
	}
}

/*
 * The package turns a glob into /part.*part/i. Rather than a regex (whose
 * unanchored search may take quadratic time), find the parts in order,
 * leftmost first, within one line: "." does not match line terminators.
 * Canonical forms make the comparison the i flag's.
 */
static bool glob_test(const struct cm_node *n, const char *s, size_t len)
{
	struct sbuf b = {0};
	size_t pos = 0, line = 0;
	bool found = false;

	js_canon_string(&b, s, len);
	if (b.oom) {
		sb_free(&b);
		return false;
	}
	while (!found) {
		size_t at = pos;
		bool end = pos >= b.len;
		uint32_t cp = end ? 0 : utf8_next(b.s, b.len, &pos);

		if (end || cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
			found =
			    glob_in_line(b.s ? b.s + line : "", at - line, n->lower, n->lower_len);
			line = pos;
			if (end)
				break;
		}
	}
	sb_free(&b);
	return found;
}

/*
 * The compiled patterns match valid UTF-8 only: a string that is not is
 * read with U+FFFD for its stray bytes, as everywhere else here.
 */
static bool regex_test(const struct cm_node *n, const char *s, size_t len)
{
	struct sbuf fixed = {0};
	regmatch_t m = {.rm_so = 0};
	size_t pos = 0, step;
	bool r;

	while (pos < len && (step = utf8_seq_len((const unsigned char *)s + pos, len - pos)))
		pos += step;
	if (pos < len) {
		for (pos = 0; pos < len;)
			sb_addcp(&fixed, utf8_next(s, len, &pos));
		if (fixed.oom) {
			sb_free(&fixed);
			return false;
		}
		s = fixed.s;
		len = fixed.len;
	}
	m.rm_eo = (regoff_t)len;
	r = regexec(&n->re, s, 1, &m, REG_STARTEND) == 0;
	sb_free(&fixed);
	return r;
}

static bool compare(const struct cm_node *n, double d)
{
	switch (n->op) {
	case CM_GT:
		return d > n->number;
	case CM_GE:
		return d >= n->number;
	case CM_LT:
		return d < n->number;
	case CM_LE:
		return d <= n->number;
	}
	return false;
}

/* Strings, globs and regexes: test a string, else search arrays and objects. */
static bool match_text(const struct cm_node *n, const struct jsv *v, unsigned depth)
{
	const char *s;
	size_t len;

	if (!jsv_string(v, &s, &len))
		return match_some(n, v, depth);
	if (n->kind == CM_STRING || n->kind == CM_NUMBER_OR_STRING)
		return contains_lower(n, s, len);
	if (n->kind == CM_GLOB)
		return glob_test(n, s, len);
	return regex_test(n, s, len);
}

static bool match(const struct cm_node *n, const struct jsv *v, unsigned depth)
{
	const struct cm_node *kid;
	struct jsv prop;
	double d;

	switch (n->kind) {
	case CM_NULL:
		return true;
	case CM_AND:
		for (kid = n->kid; kid; kid = kid->next)
			if (!match(kid, v, depth))
				return false;
		return true;
	case CM_OR:
		for (kid = n->kid; kid; kid = kid->next)
			if (match(kid, v, depth))
				return true;
		return false;
	case CM_NOT:
		return !match(n->kid, v, depth);
	case CM_COMPARISON:
		return jsv_number(v, &d) && compare(n, d);
	case CM_NUMBER_OR_STRING:
		if (jsv_number(v, &d) && d == n->number)
			return true;
		return match_text(n, v, depth);
	case CM_PROPERTY:
		if (jsv_nullish(v))
			return false;
		prop = jsv_get(v, n->text);
		return match(n->kid, &prop, depth);
	case CM_TRUTHY:
		if (jsv_nullish(v))
			return false;
		prop = jsv_get(v, n->text);
		return jsv_truthy(&prop);
	case CM_STRING:
	case CM_GLOB:
	case CM_REGEX:
		return match_text(n, v, depth);
	}
	return false;
}

/* ---- printing, as the package's toString() ------------------------- */

/* Every code point a raw-word character (the package's isRawString). */
static bool is_raw_string(const char *s, size_t len)
{
	size_t pos = 0;

	while (pos < len)
		if (!is_raw_cp(utf8_next(s, len, &pos)))
			return false;
	return true;
}

/* A word as is, a numeric string quoted as is, anything else quoted and escaped. */
static void format_string(struct sbuf *b, const char *s, size_t len, locale_t loc)
{
	double d;
	size_t i;

	if (js_to_number(s, len, loc, &d)) {
		sb_addc(b, '"');
		sb_add(b, s, len);
		sb_addc(b, '"');
	} else if (is_raw_string(s, len)) {
		sb_add(b, s, len);
	} else {
		sb_addc(b, '"');
		for (i = 0; i < len; i++) {
			if (s[i] == '\\' || s[i] == '"')
				sb_addc(b, '\\');
			sb_addc(b, s[i]);
		}
		sb_addc(b, '"');
	}
}

/*
 * RegExp.prototype.source as V8 writes it: a '/' outside classes and line
 * terminators are escaped, so that /source/ reads back as one literal.
 */
static void regex_source(struct sbuf *b, const char *s, size_t len)
{
	bool in_class = false;
	size_t i;

	if (len == 0) {
		sb_adds(b, "(?:)");
		return;
	}
	for (i = 0; i < len; i++) {
		bool lt = i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r' ||
					  (i + 3 < len && !memcmp(s + i + 1, "\xe2\x80\xa8", 3)) ||
					  (i + 3 < len && !memcmp(s + i + 1, "\xe2\x80\xa9", 3)));

		if (s[i] == '\\' && lt)
			continue; /* the terminator gets its own escape */
		if (s[i] == '\\') {
			sb_addc(b, s[i++]);
			if (i < len)
				sb_addc(b, s[i]);
			continue;
		}
		if (s[i] == '\n') {
			sb_adds(b, "\\n");
		} else if (s[i] == '\r') {
			sb_adds(b, "\\r");
		} else if (i + 2 < len && !memcmp(s + i, "\xe2\x80\xa8", 3)) {
			sb_adds(b, "\\u2028");
			i += 2;
		} else if (i + 2 < len && !memcmp(s + i, "\xe2\x80\xa9", 3)) {
			sb_adds(b, "\\u2029");
			i += 2;
		} else {
			if (s[i] == '/' && !in_class)
				sb_addc(b, '\\');
			else if (s[i] == '[')
				in_class = true;
			else if (s[i] == ']')
				in_class = false;
			sb_addc(b, s[i]);
		}
	}
}

static const char *const op_names[] = {
    [CM_GT] = ">",
    [CM_GE] = ">=",
    [CM_LT] = "<",
    [CM_LE] = "<=",
};

static void to_string(struct sbuf *b, const struct cm_node *n, bool nested, locale_t loc)
{
	const struct cm_node *kid;

	switch (n->kind) {
	case CM_NULL:
		break;
	case CM_AND:
	case CM_OR:
		if (n->kind == CM_OR)
			sb_adds(b, "|(");
		else if (nested)
			sb_addc(b, '(');
		for (kid = n->kid; kid; kid = kid->next) {
			if (kid != n->kid)
				sb_addc(b, ' ');
			to_string(b, kid, true, loc);
		}
		if (n->kind == CM_OR || nested)
			sb_addc(b, ')');
		break;
	case CM_NOT:
		sb_addc(b, '!');
		to_string(b, n->kid, true, loc);
		break;
	case CM_COMPARISON:
		sb_adds(b, op_names[n->op]);
		js_number_string(b, n->number, loc);
		break;
	case CM_NUMBER_OR_STRING:
	case CM_GLOB:
		sb_add(b, n->text, n->text_len);
		break;
	case CM_PROPERTY:
		format_string(b, n->text, n->text_len, loc);
		sb_addc(b, ':');
		to_string(b, n->kid, true, loc);
		break;
	case CM_TRUTHY:
		format_string(b, n->text, n->text_len, loc);
		sb_addc(b, '?');
		break;
	case CM_STRING:
		format_string(b, n->text, n->text_len, loc);
		break;
	case CM_REGEX:
		sb_addc(b, '/');
		regex_source(b, n->text, n->text_len);
		sb_adds(b, n->icase ? "/i" : "/");
		break;
	}
}

/* ---- the interface ----------------------------------------------------- */

struct cm_node *cm_parse(const char *filter_text, char *err, size_t errlen)
{
	struct parser p = {0};
	struct cm_node *root;
	char scratch[1];
	size_t pos = 0, n;

	p.err = err && errlen ? err : scratch;
	p.errlen = err && errlen ? errlen : sizeof(scratch);
	p.err[0] = '\0';
	if (!filter_text) {
		throw_msg(&p, "parse error: no filter");
		return NULL;
	}
	p.s = filter_text;
	p.len = strlen(filter_text);
	while (pos < p.len) {
		n = utf8_seq_len((const unsigned char *)p.s + pos, p.len - pos);
		if (!n) {
			throw_at(&p, "invalid UTF-8", pos);
			return NULL;
		}
		pos += n;
	}
	p.loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!p.loc) {
		throw_msg(&p, "out of memory");
		return NULL;
	}
	root = filter(&p);
	if (!root) {
		freelocale(p.loc);
		return NULL;
	}
	root->c_locale = p.loc;
	return root;
}

bool cm_match(const struct cm_node *node, const json_t *value)
{
	struct jsv v = {.kind = value ? JSV_JSON : JSV_UNDEFINED, .json = value};
	locale_t old;
	bool r;

	if (!node)
		return false;
	/* The regexes were compiled for the C locale; run them in it. */
	old = uselocale(node->c_locale ? node->c_locale : LC_GLOBAL_LOCALE);
	r = match(node, &v, 0);
	uselocale(old);
	return r;
}

void cm_free(struct cm_node *node)
{
	node_free(node);
}

char *cm_to_string(const struct cm_node *node)
{
	struct sbuf b = {0};
	locale_t loc;

	if (!node)
		return NULL;
	/* Only the root returned by cm_parse carries the C locale. */
	loc = node->c_locale ? node->c_locale : newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!loc)
		return NULL;
	to_string(&b, node, false, loc);
	if (loc != node->c_locale)
		freelocale(loc);
	if (b.oom) {
		sb_free(&b);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}
