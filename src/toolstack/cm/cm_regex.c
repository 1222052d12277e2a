/* SPDX-License-Identifier: MIT */
/*
 * complex-matcher: JavaScript regular expressions, as POSIX ones.
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
 * refused with an "Unsupported regular expression" error.
 *
 * Known difference: JavaScript sees a character outside the BMP as two
 * UTF-16 units, so an atom such as "." or [^a] matches one unit there and
 * the whole character here (quantified astral characters and astral
 * characters in classes are refused).
 */
#include "toolstack/cm/cm_internal.h"
#include "lib/util.h"

#include <locale.h>
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
	return cm_in_ranges(s->r, s->n, cp);
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
	size_t i, n = cm_canon_runs_len, pass;
	uint32_t cp;

	/* Lookups bisect s, so what is found is added only after each pass. */
	for (pass = 0; pass < 2; pass++) {
		add.n = 0;
		for (i = 0; i < n; i++) {
			for (cp = r[i].first; cp <= r[i].last; cp += r[i].stride) {
				uint32_t k = cm_js_canon(cp);

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
		cm_sb_adds(b, "\\^");
	else if (c && strchr(".[]\\()*+?{}|$", c))
		cm_sb_add(b, (const char[]){'[', (char)c, ']'}, 3);
	else
		cm_sb_addc(b, (char)c);
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
	cm_sb_adds(b, negate ? "[^" : "[");
	if (want[']']) {
		cm_sb_addc(b, ']');
		emitted++;
	}
	for (c = 1; c < 256; c++) {
		size_t end = c;

		if (!want[c] || strchr("]^-[", (int)c))
			continue;
		while (end + 1 < 256 && want[end + 1] && !strchr("]^-[", (int)(end + 1)))
			end++;
		cm_sb_addc(b, (char)c);
		if (end - c >= 2)
			cm_sb_addc(b, '-');
		if (end > c)
			cm_sb_addc(b, (char)end);
		emitted++;
		c = end;
	}
	if (want['[']) {
		cm_sb_addc(b, '[');
		emitted++;
	}
	if (want['^'] && !emitted && want['-']) {
		cm_sb_adds(b, "-^");
		want['-'] = false;
	} else if (want['^']) {
		cm_sb_addc(b, '^');
	}
	if (want['-'])
		cm_sb_addc(b, '-');
	cm_sb_addc(b, ']');
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
	n = cm_utf8_put(lo, l);
	if (cm_utf8_put(hi, h) != n) {
		b->oom = true;
		return;
	}
	if (!*first)
		cm_sb_addc(b, '|');
	*first = false;
	for (i = 0; i < n; i++) {
		if (l[i] == h[i]) {
			cm_sb_addc(b, (char)l[i]);
		} else {
			cm_sb_add(b, (const char[]){'[', (char)l[i], '-', (char)h[i], ']'}, 5);
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
		cm_sb_adds(b, "([b]\\`)");
		return;
	}
	cm_sb_addc(b, '(');
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
	cm_sb_addc(b, ')');
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
	cm_sb_free(&rx->out);
	rx->out.oom = true;
}

static int rx_byte(const struct rx *rx, size_t off)
{
	return rx->pos + off < rx->len ? (unsigned char)rx->src[rx->pos + off] : -1;
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

	if (at >= n || s[at] != '{' || at + 1 >= n || !cm_is_digit(s[at + 1]))
		return false;
	at++;
	for (;;) {
		*v = 0;
		while (at < n && cm_is_digit(s[at])) {
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
		if (at >= n || !cm_is_digit(s[at]))
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
			c = cm_utf8_next(rx->src, rx->len, &rx->pos);
		}
		if (c >= 0x80)
			rx_unsupported(rx, "non-ASCII group names");
		else if (!is_id_char(c, name->len == 0))
			return rx_fail(rx, "Invalid capture group name");
		cm_sb_addcp(name, c);
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
		return cm_utf8_next(rx->src, rx->len, &rx->pos);
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
		for (i = 0; i < cm_js_spaces_len; i++)
			set_add(&c, cm_js_spaces[i].lo, cm_js_spaces[i].hi);
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
	uint32_t k = cm_js_canon(cp);
	size_t i;

	set_add(s, cp, cp);
	set_add(s, k, k);
	for (i = 0; i < cm_canon_runs_len; i++) {
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
		*cp = cm_utf8_next(rx->src, rx->len, &rx->pos);
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

		if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z') || cm_is_digit(l) ||
		    l == '_') {
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
	cm_sb_adds(b, tmp);
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
		cm_sb_adds(&rx->out, "()");
	} else if (min == 0 && max == RX_INF) {
		cm_sb_addc(&rx->out, '*');
	} else if (min == 1 && max == RX_INF) {
		cm_sb_addc(&rx->out, '+');
	} else if (min == 0 && max == 1) {
		cm_sb_addc(&rx->out, '?');
	} else {
		cm_sb_addc(&rx->out, '{');
		sb_addu(&rx->out, min);
		if (max != min)
			cm_sb_addc(&rx->out, ',');
		if (max != min && max != RX_INF)
			sb_addu(&rx->out, max);
		cm_sb_addc(&rx->out, '}');
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
		cm_sb_adds(&rx->out, c == 'b' ? "\\b" : "\\B");
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

		while (cm_is_digit(rx_byte(rx, i)) && v <= 65535)
			v = v * 10 + (uint32_t)(rx_byte(rx, i++) - '0');
		if (v <= rx->captures) {
			rx_unsupported(rx, "back references");
			while (cm_is_digit(rx_byte(rx, 1)))
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
			cm_sb_free(&name);
			return false;
		}
		cm_sb_add(&rx->refs, name.s, name.len + 1);
		rx->refs.oom |= name.oom;
		cm_sb_free(&name);
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
	cm_sb_addc(&rx->out, '(');
	if (!rx_disjunction(rx, true, &inner))
		goto fail;
	rx->depth--;
	rx->pos++;
	cm_sb_addc(&rx->out, ')');
	if (name.len) {
		if (name_listed(&rx->names, name.s)) {
			rx_fail(rx, "Duplicate capture group name");
			goto fail;
		}
		cm_sb_add(&rx->names, name.s, name.len + 1);
		rx->names.oom |= name.oom;
	}
	cm_sb_free(&name);
	if (kind == LOOKAHEAD)
		rx_unsupported(rx, "lookahead assertions");
	if (kind == LOOKBEHIND)
		rx_unsupported(rx, "lookbehind assertions");
	return rx_quantifier(rx, at, inner + 2, cost, kind != LOOKBEHIND);
fail:
	cm_sb_free(&name);
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
		cm_sb_adds(&rx->out, rx->src[rx->pos++] == '^' ? "\\`" : "\\'");
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
		rx_literal(rx, cm_utf8_next(rx->src, rx->len, &rx->pos));
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
			cm_sb_addc(&rx->out, '|');
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
	cm_sb_adds(&b, "(\\`|");
	if (!all.oom)
		emit_set(&b, &all);
	cm_sb_adds(&b, ")(");
	cm_sb_add(&b, out->s ? out->s : "", out->len);
	cm_sb_addc(&b, ')');
	b.oom |= all.oom || out->oom;
	free(all.r);
	cm_sb_free(out);
	*out = b;
}

/*
 * Compile JavaScript regex source (valid UTF-8) for RegExp.test(), in the
 * C locale loc. On failure, append JavaScript's SyntaxError message (or
 * why there is no translation) to msg and return false.
 */
bool cm_js_regex_compile(regex_t *re, const char *src, size_t len, bool icase, locale_t loc,
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
	cm_sb_free(&rx.out);
	cm_sb_free(&rx.names);
	cm_sb_free(&rx.refs);
	if (why) {
		cm_sb_adds(msg, rx.error ? "Invalid" : "Unsupported");
		cm_sb_adds(msg, " regular expression: /");
		cm_sb_add(msg, src, len);
		cm_sb_adds(msg, icase ? "/i: " : "/: ");
		cm_sb_adds(msg, why);
		if (rx.unsupported && !rx.error)
			cm_sb_adds(msg, " are not supported");
		return false;
	}
	if (oom) {
		cm_sb_adds(msg, "out of memory");
		return false;
	}
	return true;
}
