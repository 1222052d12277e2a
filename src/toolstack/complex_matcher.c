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
 * tables are generated from Node itself (cm/cm_unicode.c).
 *
 * Regular expressions are JavaScript's, checked as V8 checks them and
 * translated into POSIX extended regexes (cm/cm_regex.c); what has no
 * translation (lookaround, back references) is refused with an
 * "Unsupported regular expression" error. Globs are matched natively,
 * with the same case folding.
 *
 * This file holds the syntax tree, the parser, matching, printing and the
 * interface; strings, UTF-8 and numbers are in cm/cm_text.c.
 *
 * Known differences: JavaScript sees a character outside the BMP as two
 * UTF-16 units, so an atom such as "." or [^a] matches one unit there and
 * the whole character here (quantified astral characters and astral
 * characters in classes are refused). The methods values inherit
 * ("toString") are truthy but have no properties of their own here.
 * Invalid UTF-8 in a JSON string reads as U+FFFD throughout.
 */
#include "toolstack/complex_matcher.h"
#include "toolstack/cm/cm_internal.h"
#include "lib/util.h"

#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of JSON values searched (jansson decodes at most 2048 levels). */
#define VALUE_MAX_DEPTH 2048

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
		 cm_utf16_units(p->s, pos < p->len ? pos : p->len));
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
		cm_sb_free(text);
		throw_msg(p, "out of memory");
		return NULL;
	}
	n = new_node(p, kind);
	if (!n) {
		cm_sb_free(text);
		return NULL;
	}
	n->text = text->s ? text->s : strdup("");
	n->text_len = text->len;
	text->s = NULL;
	if (!n->text)
		goto oom;
	if (kind == CM_STRING || kind == CM_NUMBER_OR_STRING || kind == CM_GLOB) {
		if (kind == CM_GLOB)
			cm_js_canon_string(&lower, n->text, n->text_len);
		else
			cm_js_lower(&lower, n->text, n->text_len);
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
		if (!cm_is_js_space(cm_utf8_next(p->s, p->len, &at)))
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
		cp = cm_utf8_next(p->s, p->len, &at);
		if (!cm_is_raw_unit(cp) && !(glob && cp == '*'))
			break;
		*pos = at;
	}
	cm_sb_add(out, p->s + start, *pos - start);
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
		uint32_t cp = cm_utf8_next(p->s, p->len, pos);

		if (cp == '"')
			break;
		if (cp == '\\') {
			if (*pos >= p->len) {
				*pos = p->len + 1;
				break;
			}
			at = *pos;
			cm_utf8_next(p->s, p->len, pos);
		}
		cm_sb_add(out, p->s + at, *pos - at);
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
		cm_sb_free(&word);
		return NULL;
	}
	if (word.oom || !cm_js_to_number(word.s, word.len, p->loc, &v)) {
		throw_msg(p, word.oom ? "out of memory" : "value must be a number");
		cm_sb_free(&word);
		return NULL;
	}
	cm_sb_free(&word);
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
		cm_sb_free(&text);
		return NULL;
	}
	skip_ws(p, pos);
	kid = term(p, pos);
	if (!kid) {
		cm_sb_free(&text);
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
		cm_sb_free(&text);
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
		c = cm_utf8_next(p->s, p->len, pos);
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
	cm_sb_add(&src, p->s + start, *pos - start - (closed ? 1 : 0));
	n = text_node(p, CM_REGEX, &src);
	if (!n)
		return NULL;
	n->icase = take(p, pos, 'i');
	if (!cm_js_regex_compile(&n->re, n->text, n->text_len, n->icase, p->loc, &msg)) {
		throw_msg(p, msg.oom ? "out of memory" : msg.s);
		cm_sb_free(&msg);
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
		cm_sb_free(&text);
		return regex(p, pos);
	}
	if (!raw_word(p, pos, true, &text)) {
		cm_sb_free(&text);
		return NULL;
	}
	if (!text.oom && cm_js_to_number(text.s, text.len, p->loc, &v)) {
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
		if (!cm_is_digit(name[i]))
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
		cp = cm_utf8_next(s, len, &pos);
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
			r.num = (double)cm_utf16_units(s, len);
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

	cm_js_lower(&b, s, len);
	found = !b.oom && memmem(b.s ? b.s : "", b.len, n->lower, n->lower_len);
	cm_sb_free(&b);
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

	cm_js_canon_string(&b, s, len);
	if (b.oom) {
		cm_sb_free(&b);
		return false;
	}
	while (!found) {
		size_t at = pos;
		bool end = pos >= b.len;
		uint32_t cp = end ? 0 : cm_utf8_next(b.s, b.len, &pos);

		if (end || cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
			found =
			    glob_in_line(b.s ? b.s + line : "", at - line, n->lower, n->lower_len);
			line = pos;
			if (end)
				break;
		}
	}
	cm_sb_free(&b);
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

	while (pos < len && (step = cm_utf8_seq_len((const unsigned char *)s + pos, len - pos)))
		pos += step;
	if (pos < len) {
		for (pos = 0; pos < len;)
			cm_sb_addcp(&fixed, cm_utf8_next(s, len, &pos));
		if (fixed.oom) {
			cm_sb_free(&fixed);
			return false;
		}
		s = fixed.s;
		len = fixed.len;
	}
	m.rm_eo = (regoff_t)len;
	r = regexec(&n->re, s, 1, &m, REG_STARTEND) == 0;
	cm_sb_free(&fixed);
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
		if (!cm_is_raw_cp(cm_utf8_next(s, len, &pos)))
			return false;
	return true;
}

/* A word as is, a numeric string quoted as is, anything else quoted and escaped. */
static void format_string(struct sbuf *b, const char *s, size_t len, locale_t loc)
{
	double d;
	size_t i;

	if (cm_js_to_number(s, len, loc, &d)) {
		cm_sb_addc(b, '"');
		cm_sb_add(b, s, len);
		cm_sb_addc(b, '"');
	} else if (is_raw_string(s, len)) {
		cm_sb_add(b, s, len);
	} else {
		cm_sb_addc(b, '"');
		for (i = 0; i < len; i++) {
			if (s[i] == '\\' || s[i] == '"')
				cm_sb_addc(b, '\\');
			cm_sb_addc(b, s[i]);
		}
		cm_sb_addc(b, '"');
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
		cm_sb_adds(b, "(?:)");
		return;
	}
	for (i = 0; i < len; i++) {
		bool lt = i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r' ||
					  (i + 3 < len && !memcmp(s + i + 1, "\xe2\x80\xa8", 3)) ||
					  (i + 3 < len && !memcmp(s + i + 1, "\xe2\x80\xa9", 3)));

		if (s[i] == '\\' && lt)
			continue; /* the terminator gets its own escape */
		if (s[i] == '\\') {
			cm_sb_addc(b, s[i++]);
			if (i < len)
				cm_sb_addc(b, s[i]);
			continue;
		}
		if (s[i] == '\n') {
			cm_sb_adds(b, "\\n");
		} else if (s[i] == '\r') {
			cm_sb_adds(b, "\\r");
		} else if (i + 2 < len && !memcmp(s + i, "\xe2\x80\xa8", 3)) {
			cm_sb_adds(b, "\\u2028");
			i += 2;
		} else if (i + 2 < len && !memcmp(s + i, "\xe2\x80\xa9", 3)) {
			cm_sb_adds(b, "\\u2029");
			i += 2;
		} else {
			if (s[i] == '/' && !in_class)
				cm_sb_addc(b, '\\');
			else if (s[i] == '[')
				in_class = true;
			else if (s[i] == ']')
				in_class = false;
			cm_sb_addc(b, s[i]);
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
			cm_sb_adds(b, "|(");
		else if (nested)
			cm_sb_addc(b, '(');
		for (kid = n->kid; kid; kid = kid->next) {
			if (kid != n->kid)
				cm_sb_addc(b, ' ');
			to_string(b, kid, true, loc);
		}
		if (n->kind == CM_OR || nested)
			cm_sb_addc(b, ')');
		break;
	case CM_NOT:
		cm_sb_addc(b, '!');
		to_string(b, n->kid, true, loc);
		break;
	case CM_COMPARISON:
		cm_sb_adds(b, op_names[n->op]);
		cm_js_number_string(b, n->number, loc);
		break;
	case CM_NUMBER_OR_STRING:
	case CM_GLOB:
		cm_sb_add(b, n->text, n->text_len);
		break;
	case CM_PROPERTY:
		format_string(b, n->text, n->text_len, loc);
		cm_sb_addc(b, ':');
		to_string(b, n->kid, true, loc);
		break;
	case CM_TRUTHY:
		format_string(b, n->text, n->text_len, loc);
		cm_sb_addc(b, '?');
		break;
	case CM_STRING:
		format_string(b, n->text, n->text_len, loc);
		break;
	case CM_REGEX:
		cm_sb_addc(b, '/');
		regex_source(b, n->text, n->text_len);
		cm_sb_adds(b, n->icase ? "/i" : "/");
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
		n = cm_utf8_seq_len((const unsigned char *)p.s + pos, p.len - pos);
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
		cm_sb_free(&b);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}
