/* SPDX-License-Identifier: MIT */
#include "toolstack/complex_matcher.h"
#include "lib/test.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VM objects shaped as docs/toolstack.md has them. */
static const char *const vms_json =
    "["
    "{\"name_label\":\"web1\",\"name_description\":\"\",\"tags\":[\"prod\",\"web\"],"
    " \"power_state\":\"Running\",\"virtualizationMode\":\"pvh\",\"pvDriversDetected\":true,"
    " \"CPUs\":{\"number\":2,\"max\":2},\"memory\":{\"size\":536870912},"
    " \"VIFs\":[{\"device\":\"0\",\"MAC\":\"00:16:3e:12:34:56\",\"bridge\":\"xenbr0\"}],"
    " \"$VBDs\":[{\"device\":\"xvda\",\"size\":67108864,\"read_only\":false}],"
    " \"startTime\":1790000000,\"auto_poweron\":false,\"PV_args\":\"console=hvc0\","
    " \"boot\":{\"kernel\":\"/k\",\"ramdisk\":null,\"firmware\":null,\"order\":null},"
    " \"domid\":1},"
    "{\"name_label\":\"db\",\"name_description\":\"PostgreSQL primary\",\"tags\":[\"prod\"],"
    " \"power_state\":\"Halted\",\"virtualizationMode\":\"hvm\",\"pvDriversDetected\":false,"
    " \"CPUs\":{\"number\":4,\"max\":4},\"memory\":{\"size\":2147483648},\"VIFs\":[],"
    " \"startTime\":null,\"auto_poweron\":true,"
    " \"boot\":{\"firmware\":\"seabios\",\"order\":\"cd\"},\"domid\":null},"
    "{\"name_label\":\"my VM\",\"tags\":[],\"power_state\":\"Paused\","
    " \"virtualizationMode\":\"pv\",\"CPUs\":{\"number\":1,\"max\":8},\"auto_poweron\":false},"
    "{\"name_label\":\"DNS server 12\",\"tags\":[\"infra\",\"web\"],"
    " \"power_state\":\"Suspended\",\"virtualizationMode\":\"pv_in_pvh\","
    " \"CPUs\":{\"number\":1,\"max\":1},\"auto_poweron\":true},"
    "{\"name_label\":\"vm1\",\"tags\":[\"test\"],\"power_state\":\"Halted\","
    " \"virtualizationMode\":\"pvh\",\"CPUs\":{\"number\":1}},"
    "{\"name_label\":\"vm2\",\"tags\":[\"test\"],\"power_state\":\"Running\","
    " \"virtualizationMode\":\"hvm\",\"CPUs\":{\"number\":32}}"
    "]";

/* The name_labels of the VMs that filter matches, space-separated. */
static char *names(const char *filter)
{
	json_t *vms = json_loads(vms_json, 0, NULL);
	char err[256], out[512] = "";
	struct cm_node *n = cm_parse(filter, err, sizeof(err));
	const json_t *vm;
	size_t i, len = 0;

	assert_non_null(vms);
	if (!n)
		fail_msg("%s: %s", filter, err);
	json_array_foreach(vms, i, vm)
	{
		if (cm_match(n, vm))
			len +=
			    (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? " " : "",
					     json_string_value(json_object_get(vm, "name_label")));
	}
	cm_free(n);
	json_decref(vms);
	return strdup(out);
}

static void check_names(const char *filter, const char *want)
{
	char *got = names(filter);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("%s: matched \"%s\", want \"%s\"", filter, got, want);
	free(got);
}

/* Does filter match the JSON value? */
static bool matches(const char *filter, const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char err[256];
	struct cm_node *n = cm_parse(filter, err, sizeof(err));
	bool r;

	assert_non_null(v);
	if (!n)
		fail_msg("%s: %s", filter, err);
	r = cm_match(n, v);
	cm_free(n);
	json_decref(v);
	return r;
}

static void check_error(const char *filter, const char *want)
{
	char err[256];
	struct cm_node *n = cm_parse(filter, err, sizeof(err));

	if (n)
		fail_msg("%s: parsed, want error \"%s\"", filter, want);
	assert_string_equal(err, want);
}

/* The filter printed back, as the package's toString(). */
static void check_string(const char *filter, const char *want)
{
	char err[256];
	struct cm_node *n = cm_parse(filter, err, sizeof(err));
	char *s;

	if (!n)
		fail_msg("%s: %s", filter, err);
	s = cm_to_string(n);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	cm_free(n);
}

static void test_xo_examples(void **state)
{
	(void)state;
	check_names("virtualizationMode:hvm", "db vm2");
	check_names("power_state:Halted !virtualizationMode:hvm", "vm1");
	check_names("!(power_state:Running virtualizationMode:hvm)",
		    "web1 db my VM DNS server 12 vm1");
	check_names("|(vm1 vm2)", "vm1 vm2");
	check_names("power_state:|(Running suspended)", "web1 DNS server 12 vm2");
	check_names("auto_poweron?", "db DNS server 12");
	check_names("name_label:\"my VM\"", "my VM");
	check_names("/^DNS server \\d+$/", "DNS server 12");
	check_names("tags:|(/^prod$/ /^web$/)", "web1 db DNS server 12");
	check_names("CPUs:number:>1", "web1 db vm2");
	/* Substrings: pv is also in pvh and pv_in_pvh; a regex is exact. */
	check_names("virtualizationMode:pv", "web1 my VM DNS server 12 vm1");
	check_names("virtualizationMode:/^pv$/", "my VM");
	check_names("power_state:running", "web1 vm2");
}

static void test_empty_filter(void **state)
{
	struct cm_node *n;
	char err[64];

	(void)state;
	check_names("", "web1 db my VM DNS server 12 vm1 vm2");
	check_names(" \t\n\u00a0\u3000", "web1 db my VM DNS server 12 vm1 vm2");
	check_string("  ", "");
	n = cm_parse("", err, sizeof(err));
	assert_non_null(n);
	assert_true(cm_match(n, NULL));
	cm_free(n);
}

static void test_and_or_not(void **state)
{
	(void)state;
	check_names("prod web", "web1");
	check_names("prod !web", "db");
	check_names("(prod web)", "web1");
	check_names("((prod) (web))", "web1");
	check_names("|(db web1)", "web1 db");
	check_names("| ( db web1 )", "web1 db");
	check_names("!!prod", "web1 db");
	check_names("! prod", "my VM DNS server 12 vm1 vm2");
	check_names("!|(prod test)", "my VM DNS server 12");
	check_names("|(!prod tags:test)", "my VM DNS server 12 vm1 vm2");
	/* No space needed before a negation. */
	check_names("web!db", "web1 DNS server 12");
	check_string("web!db", "web !db");
}

static void test_properties(void **state)
{
	(void)state;
	check_names("CPUs:number:4", "db");
	check_names("CPUs : number: 4", "db");
	check_names("boot:order:cd", "db");
	check_names("CPUs:(number:1 max:8)", "my VM");
	check_names("CPUs:number:(>1 <4)", "web1");
	check_names("name_label:|(vm1 db)", "db vm1");
	check_names("missing:foo", "");
	check_names("!missing:foo", "web1 db my VM DNS server 12 vm1 vm2");
	/* An array has no property MAC: index it, or search it whole. */
	check_names("VIFs:MAC:56", "");
	check_names("VIFs:0:MAC:56", "web1");
	check_names("VIFs:56", "web1");
	check_names("VIFs:00:MAC:56", "");
	check_names("tags:length:2", "web1 DNS server 12");
	check_names("tags:1:web", "web1 DNS server 12");
	check_names("name_label:length:2", "db");
	check_names("name_label:0:d", "db DNS server 12");
	check_names("$VBDs:0:size:>1", "web1");
	assert_true(matches("name.with.dots:x", "{\"name.with.dots\":\"x\"}"));
	assert_true(matches("$special:42", "{\"$special\":42}"));
	assert_true(matches("\"my prop\":spaced", "{\"my prop\":\"spaced\"}"));
	assert_true(matches("0:zero", "{\"0\":\"zero\"}"));
	assert_true(matches("åäöé:ÅÄÖÉ", "{\"åäöé\":\"åäöé\"}"));
	assert_true(matches("__proto__:x?", "{\"__proto__\":{\"x\":1}}"));
	assert_false(matches("a:b", "null"));
	assert_false(matches("a:b", "\"ab\""));
}

static void test_truthy(void **state)
{
	static const char *const falsy[] = {"false", "0", "-0", "0.0", "\"\"", "null"};
	static const char *const truthy[] = {"true", "1", "-1", "\"false\"", "\"0\"", "[]", "{}"};
	char json[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
		snprintf(json, sizeof(json), "{\"x\":%s}", falsy[i]);
		assert_false(matches("x?", json));
		assert_true(matches("!x?", json));
	}
	for (i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++) {
		snprintf(json, sizeof(json), "{\"x\":%s}", truthy[i]);
		assert_true(matches("x?", json));
	}
	assert_false(matches("x?", "{}"));
	assert_false(matches("x?", "null"));
	check_names("startTime?", "web1");
	check_names("boot:order?", "db");
	check_names("tags:length?", "web1 db DNS server 12 vm1 vm2");
	check_names("tags:0?", "web1 db DNS server 12 vm1 vm2");
	/* What every value inherits is truthy, as in JavaScript. */
	assert_true(matches("toString?", "{}"));
	assert_true(matches("constructor?", "1"));
	assert_true(matches("map?", "[]"));
	assert_false(matches("map?", "{}"));
	assert_true(matches("toUpperCase?", "\"\""));
	assert_true(matches("toFixed?", "1.5"));
	assert_false(matches("toFixed?", "true"));
	assert_false(matches("hasOwnProperty:x", "{}"));
}

static void test_comparisons(void **state)
{
	(void)state;
	check_names("CPUs:number:>2", "db vm2");
	check_names("CPUs:number:>=2", "web1 db vm2");
	check_names("CPUs:number:<2", "my VM DNS server 12 vm1");
	check_names("CPUs:number:<=2", "web1 my VM DNS server 12 vm1");
	check_names("memory:size:>=2147483648", "db");
	check_names("memory:size:>0x1fffffff", "web1 db");
	check_names("memory:size:>5e8", "web1 db");
	check_names("memory:size:<Infinity", "web1 db");
	check_names("CPUs:number:>.5", "web1 db my VM DNS server 12 vm1 vm2");
	check_names("CPUs:number:>1.5", "web1 db vm2");
	/* Only numbers compare: not the object itself, not strings. */
	check_names(">1", "");
	assert_false(matches("x:>1", "{\"x\":\"5\"}"));
	assert_true(matches("x:>-1", "{\"x\":-0.5}"));
	check_error("x:<-0x10", "value must be a number");
	check_error(">abc", "value must be a number");
	check_error("x:>1.2.3", "value must be a number");
	check_error("(>x", "value must be a number");
	check_error("> 5", "parse error: expected end of input at position 0");
	check_error(">==5", "parse error: expected end of input at position 0");
}

static void test_numbers_and_strings(void **state)
{
	(void)state;
	/* A numeric word is the number or a substring; quoted only a string. */
	assert_true(matches("32", "32"));
	assert_true(matches("32", "\"x32x\""));
	assert_false(matches("\"32\"", "32"));
	assert_true(matches("\"32\"", "\"32\""));
	assert_true(matches("0x20", "32"));
	assert_true(matches("0X20", "\"a0x20\""));
	assert_true(matches("1e3", "1000"));
	assert_true(matches("-0", "0"));
	assert_true(matches("1.50", "1.5"));
	assert_false(matches("Infinity", "1e308"));
	/* Numbers are not searched as text. */
	check_names("536", "");
	check_names("536870912", "web1");
	check_names("2", "web1 DNS server 12 vm2");
	check_string("0x1F", "0x1F");
	check_string("\"32\"", "\"32\"");
	check_string("\" 1 \"", "\" 1 \"");
}

static void test_substrings(void **state)
{
	(void)state;
	check_names("WEB", "web1 DNS server 12");
	check_names("postgres", "db");
	check_names("\"DNS server\"", "DNS server 12");
	check_names("\"my  VM\"", "");
	check_names("\"\"", "web1 db my VM DNS server 12 vm1 vm2");
	check_names("hvc0", "web1");
	/* Search recurses through arrays and objects, not into keys. */
	assert_true(matches("needle", "{\"a\":[1,[{\"b\":\"a needle\"}]]}"));
	assert_false(matches("needle", "{\"needle\":1}"));
	assert_false(matches("true", "true"));
	assert_false(matches("null", "null"));
	/* Escapes in quotes; an unterminated quote runs to the end. */
	assert_true(matches("\"a\\\"b\"", "\"a\\\"b\""));
	assert_true(matches("\"back\\\\slash\"", "\"back\\\\slash\""));
	assert_true(matches("\"back\\slash\"", "\"backslash\""));
	assert_true(matches("\"unterminated", "\"xunterminated\""));
	check_string("\"abc", "abc");
	check_error("\"abc\\", "parse error: expected end of input at position 0");
	check_error("a:\"abc\\", "parse error: expected end of input at position 1");
}

static void test_unicode_case(void **state)
{
	(void)state;
	assert_true(matches("straße", "\"STRAßE\""));
	assert_false(matches("strasse", "\"Straße\""));
	assert_true(matches("été", "\"ÉTÉ\""));
	assert_true(matches("ω", "\"Ω\""));
	/* Final sigma: toLowerCase("ΟΔΥΣΣΕΥΣ") is "οδυσσευς". */
	assert_true(matches("οδυσσευς", "\"ΟΔΥΣΣΕΥΣ\""));
	assert_false(matches("ευσ", "\"ΟΔΥΣΣΕΥΣ\""));
	/* İ lowers to i and a combining dot. */
	assert_false(matches("istanbul", "\"İstanbul\""));
	assert_true(matches("\"i\u0307stanbul\"", "\"İstanbul\""));
	/* A word stops at a character outside the BMP or without case. */
	check_error("😀", "parse error: expected end of input at position 0");
	check_error("web 😀", "parse error: expected end of input at position 4");
	check_error("\"😀\" ?", "parse error: expected end of input at position 5");
	assert_true(matches("\"😀\"", "\"a😀b\""));
}

static void test_globs(void **state)
{
	(void)state;
	check_names("w*b", "web1 DNS server 12");
	check_names("W*B", "web1 DNS server 12");
	check_names("name_label:*1", "web1 DNS server 12 vm1");
	check_names("name_label:d*2", "DNS server 12");
	check_names("*", "web1 db my VM DNS server 12 vm1 vm2");
	assert_true(matches("a*", "\"\\na\""));
	assert_false(matches("a*b", "\"a\\nb\""));
	assert_false(matches("a*b", "\"a\\u2028b\""));
	assert_true(matches("a*b", "\"x\\na b\""));
	assert_true(matches("a.*$", "\"a.b$\""));
	assert_false(matches("a.*$", "\"ab$\""));
	assert_false(matches("1*", "1"));
	/* Globs fold as regexes do: ß and ẞ differ, unlike in toLowerCase(). */
	assert_false(matches("st*ße", "\"STRASSE STRAẞE\""));
	assert_true(matches("straße", "\"STRAẞE\""));
	check_string("w*b", "w*b");
}

static void test_regex(void **state)
{
	(void)state;
	check_names("name_label:/^vm\\d$/", "vm1 vm2");
	check_names("/WEB/", "");
	check_names("/WEB/i", "web1 DNS server 12");
	check_names("name_label:/\\bserver\\b/", "DNS server 12");
	check_names("name_label:/^\\w+$/", "web1 db vm1 vm2");
	check_names("name_label:/^(web|db)\\d*$/", "web1 db");
	check_names("name_label:/^.{2}$/", "db");
	check_names("name_label:/[^a-z0-9]/", "my VM DNS server 12");
	check_names("name_label:/^[^]+$/", "web1 db my VM DNS server 12 vm1 vm2");
	check_names("name_label:/[]/", "");
	check_names("name_label:/(?:vm)+[12]/", "vm1 vm2");
	check_names("name_label:/(?<n>db)/", "db");
	check_names("name_label:/d+?b*?/", "db");
	check_names("name_label:/b{0}d/i", "db DNS server 12");
	check_names("//", "web1 db my VM DNS server 12 vm1 vm2");
	/* JavaScript escapes, translated. */
	assert_true(matches("/\\x41\\u00e9\\cI\\t\\101/", "\"Aé\\t\\tA\""));
	assert_true(matches("/^\\s\\S\\D\\W$/", "\"\\u00a0x-é\""));
	assert_true(matches("/[\\d-]+/", "\"-1-\""));
	assert_true(matches("/\\0/", "\"a\\u0000b\""));
	assert_true(matches("/{,2}]}/", "\"{,2}]}\""));
	assert_true(matches("/\\8\\9/", "\"89\""));
	/* "." stops at line terminators; [^] does not. */
	assert_false(matches("/a.b/", "\"a\\nb\""));
	assert_true(matches("/a[^]b/", "\"a\\nb\""));
	/* ^ and $ are the ends of the string, even next to a newline. */
	assert_false(matches("/a$\\n/", "\"a\\nb\""));
	assert_false(matches("/\\n^b/", "\"a\\nb\""));
	/* The i flag folds as JavaScript's Canonicalize(), BMP only. */
	assert_true(matches("/[α-ω]+/i", "\"ΟΔΥΣ\""));
	assert_true(matches("/σ/i", "\"ς\""));
	assert_false(matches("/s/i", "\"ſ\""));
	assert_false(matches("/k/i", "\"\u212a\""));
	assert_false(matches("/SS/i", "\"ß\""));
	/* \B holds between characters, never inside one. */
	assert_false(matches("/\\B/", "\"a\u2028b\""));
	assert_true(matches("/\\B/", "\"ab\""));
	assert_true(matches("/\\B/", "\"\""));
	/* A '/' after a backslash does not end the regex, even after "\\". */
	assert_true(matches("/a\\/b/", "\"a/b\""));
	check_string("/a\\\\/ b/", "/a\\\\\\/ b/");
	/* Only i is a flag: /db/g is a regex and the word g. */
	check_string("/db/g", "/db/ g");
	check_string("/db/ii", "/db/i i");
	check_error("/db/i:x", "parse error: expected end of input at position 5");
	/* A match at the end of a long string. */
	assert_true(
	    matches("/x$/", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax\""));
}

static void test_regex_errors(void **state)
{
	(void)state;
	check_error("/(/", "Invalid regular expression: /(/: Unterminated group");
	check_error("/(/i", "Invalid regular expression: /(/i: Unterminated group");
	check_error("/)/", "Invalid regular expression: /)/: Unmatched ')'");
	check_error("/[a/", "Invalid regular expression: /[a/: Unterminated character class");
	check_error("/[/]/", "Invalid regular expression: /[/: Unterminated character class");
	check_error("/*/", "Invalid regular expression: /*/: Nothing to repeat");
	check_error("/a**/", "Invalid regular expression: /a**/: Nothing to repeat");
	check_error("/^*/", "Invalid regular expression: /^*/: Nothing to repeat");
	check_error("/\\b+/", "Invalid regular expression: /\\b+/: Nothing to repeat");
	check_error("/{1}/", "Invalid regular expression: /{1}/: Nothing to repeat");
	check_error("/a{2,1}/",
		    "Invalid regular expression: /a{2,1}/: numbers out of order in {} quantifier");
	check_error("/[z-a]/",
		    "Invalid regular expression: /[z-a]/: Range out of order in character class");
	check_error("/(?x)/", "Invalid regular expression: /(?x)/: Invalid group");
	check_error("/(?<1>a)/",
		    "Invalid regular expression: /(?<1>a)/: Invalid capture group name");
	check_error("/(?<n>a)(?<n>b)/",
		    "Invalid regular expression: /(?<n>a)(?<n>b)/: Duplicate capture group name");
	check_error(
	    "/(?<n>a)\\k<m>/",
	    "Invalid regular expression: /(?<n>a)\\k<m>/: Invalid named capture referenced");
	check_error("/(?<n>a)\\k/",
		    "Invalid regular expression: /(?<n>a)\\k/: Invalid named reference");
	check_error("/(?<n>a)[\\k]/", "Invalid regular expression: /(?<n>a)[\\k]/: Invalid escape");
	check_error("/(?<=a)*/", "Invalid regular expression: /(?<=a)*/: Invalid quantifier");
	check_error("/(?<a\\u004>x)/",
		    "Invalid regular expression: /(?<a\\u004>x)/: Invalid Unicode escape");
	/* The first error in reading order wins, as the package throws. */
	check_error("foo /(/ >x", "Invalid regular expression: /(/: Unterminated group");
	check_error(">x /(/", "value must be a number");
	check_error(") /(/", "parse error: expected end of input at position 0");
	/* JavaScript's error comes first, then what cannot be translated. */
	check_error("/(?=a)(/", "Invalid regular expression: /(?=a)(/: Unterminated group");
}

static void test_regex_unsupported(void **state)
{
	char *big;

	(void)state;
	check_error(
	    "/a(?=b)/",
	    "Unsupported regular expression: /a(?=b)/: lookahead assertions are not supported");
	check_error("/(?<!a)b/i", "Unsupported regular expression: /(?<!a)b/i: lookbehind "
				  "assertions are not supported");
	check_error("/(a)\\1/",
		    "Unsupported regular expression: /(a)\\1/: back references are not supported");
	check_error("/(?<n>a)\\k<n>/", "Unsupported regular expression: /(?<n>a)\\k<n>/: back "
				       "references are not supported");
	check_error("/a{1001}/", "Unsupported regular expression: /a{1001}/: repetition counts "
				 "above 1000 are not supported");
	check_error("/(.{100}){100}/", "Unsupported regular expression: /(.{100}){100}/: patterns "
				       "this complex are not supported");
	check_error("/[😀]/", "Unsupported regular expression: /[😀]/: characters outside the BMP "
			     "in classes are not supported");
	check_error("/😀+/", "Unsupported regular expression: /😀+/: quantified characters "
			    "outside the BMP are not supported");
	check_error("/\\ud83d/", "Unsupported regular expression: /\\ud83d/: surrogate code units "
				 "are not supported");
	check_error("/(?<é>a)/", "Unsupported regular expression: /(?<é>a)/: non-ASCII group names "
				 "are not supported");
	/* Without a group, \1 is an octal escape, and \k a letter. */
	assert_true(matches("/\\1\\k/", "\"\\u0001k\""));
	assert_true(matches("/😀/", "\"a😀\""));
	big = calloc(1, 100);
	assert_non_null(big);
	memset(big, '(', 70);
	big[0] = '/';
	memcpy(big + 70, "/", 2);
	check_error(big, "Unsupported regular expression: /(((((((((((((((((((((((((((((((((((("
			 "(((((((((((((((((((((((((((((((((/: groups nested more than 64 deep are "
			 "not supported");
	free(big);
}

static void test_parse_errors(void **state)
{
	(void)state;
	check_error("()", "parse error: expected end of input at position 0");
	check_error("|()", "parse error: expected end of input at position 0");
	check_error("foo (bar", "parse error: expected end of input at position 4");
	check_error("foo bar)", "parse error: expected end of input at position 7");
	check_error("(a))", "parse error: expected end of input at position 3");
	check_error("!", "parse error: expected end of input at position 0");
	check_error("a:", "parse error: expected end of input at position 1");
	check_error(":a", "parse error: expected end of input at position 0");
	check_error("a:b:c:(", "parse error: expected end of input at position 5");
	check_error("x|y", "parse error: expected end of input at position 1");
	check_error("web1 @", "parse error: expected end of input at position 5");
	check_error("name:00:16:3e,", "parse error: expected end of input at position 13");
	check_error("/", "parse error: expected end of input at position 0");
	check_error("/ab", "parse error: expected end of input at position 0");
	check_error("/a/b/", "parse error: expected end of input at position 4");
	check_error("  )", "parse error: expected end of input at position 2");
	/* Positions count UTF-16 code units, as JavaScript does. */
	check_error("é😀 )", "parse error: expected end of input at position 1");
	check_error("\"😀\" )", "parse error: expected end of input at position 5");
}

static void test_depth_limit(void **state)
{
	char filter[3 * CM_MAX_DEPTH + 8];
	size_t i;

	(void)state;
	/* CM_MAX_DEPTH terms deep is fine, one more is not. */
	for (i = 0; i < CM_MAX_DEPTH - 1; i++)
		filter[i] = '!';
	memcpy(filter + i, "a", 2);
	assert_true(matches(filter, "\"b\""));
	for (i = 0; i < CM_MAX_DEPTH; i++)
		filter[i] = '!';
	memcpy(filter + i, "a", 2);
	check_error(filter, "parse error: terms nested more than 64 deep at position 64");
	for (i = 0; i < CM_MAX_DEPTH; i++) {
		filter[i] = '(';
		filter[CM_MAX_DEPTH + 1 + i] = ')';
	}
	filter[CM_MAX_DEPTH] = 'a';
	filter[2 * CM_MAX_DEPTH + 1] = '\0';
	check_error(filter, "parse error: terms nested more than 64 deep at position 64");
	for (i = 0; i < CM_MAX_DEPTH; i++)
		memcpy(filter + 2 * i, "a:", 2);
	memcpy(filter + 2 * i, "b", 2);
	check_error(filter, "parse error: terms nested more than 64 deep at position 128");
}

static void test_to_string(void **state)
{
	(void)state;
	/* The package's own fixture reads back as it was written. */
	check_string("foo !\"\\\\ \\\"\" name:|(wonderwoman batman) hasCape? age:32 chi*go "
		     "/^foo\\/bar\\./i",
		     "foo !\"\\\\ \\\"\" name:|(wonderwoman batman) hasCape? age:32 chi*go "
		     "/^foo\\/bar\\./i");
	check_string("(a)", "a");
	check_string("|(a)", "a");
	check_string("((a b))", "a b");
	check_string("a (b c) |(d e) !(f g)", "a (b c) |(d e) !(f g)");
	check_string("name : x", "name:x");
	check_string("0:x", "\"0\":x");
	check_string("\"a b\":\"c d\"", "\"a b\":\"c d\"");
	check_string("\"x\"?", "x?");
	check_string("\"\\\\\"", "\"\\\\\"");
	check_string(">1e3 >=0x10 <.5 <=-0 >1e21 >1e-7 >Infinity",
		     ">1000 >=16 <0.5 <=0 >1e+21 >1e-7 >Infinity");
	check_string("//", "/(?:)/");
	check_string("/a\nb/", "/a\\nb/");
	check_string("/a\\\nb/", "/a\\nb/");
	/* A '/' inside a class is not escaped; only "\\" gets one there. */
	check_string("/[\\\\/]/", "/[\\\\/]/");
}

static void test_hostile_inputs(void **state)
{
	size_t n = 1 << 20, i;
	char *s = malloc(n + 8), err[32];
	struct cm_node *node;
	json_t *v, *deep;

	(void)state;
	assert_non_null(s);
	/* A million terms. */
	for (i = 0; i + 2 < n; i += 2)
		memcpy(s + i, "a ", 2);
	s[i] = '\0';
	assert_true(matches(s, "[\"a\"]"));
	assert_false(matches(s, "[\"b\"]"));
	/* A million opening parentheses, negations, properties. */
	memset(s, '(', n);
	s[n] = '\0';
	check_error(s, "parse error: terms nested more than 64 deep at position 64");
	memset(s, '!', n);
	check_error(s, "parse error: terms nested more than 64 deep at position 64");
	/* Unterminated quotes and regexes. */
	memset(s, 'x', n);
	s[0] = '"';
	assert_false(matches(s, "\"\""));
	v = json_string(s + 1);
	node = cm_parse(s, err, sizeof(err));
	assert_true(node && cm_match(node, v));
	cm_free(node);
	json_decref(v);
	s[0] = '/';
	check_error(s, "parse error: expected end of input at position 0");
	/* A long regex; a longer one is refused. */
	memcpy(s + 32768 + 1, "/", 2);
	assert_true(matches(s, "[\"x\", \"y\"]") == false);
	memset(s + 1, 'a', 32768);
	v = json_string(s + 1);
	node = cm_parse(s, err, sizeof(err));
	assert_non_null(node);
	assert_true(cm_match(node, v));
	cm_free(node);
	json_decref(v);
	memcpy(s + 32769 + 1, "/", 2);
	s[32769] = 'a';
	assert_null(cm_parse(s, err, sizeof(err)));
	/* The message is cut to the buffer, and terminated. */
	assert_string_equal(err, "Unsupported regular expression:");
	free(s);
	/* Invalid UTF-8 in a filter; in a value, which reads as U+FFFD. */
	check_error("ab \xff", "parse error: invalid UTF-8 at position 3");
	check_error("\xc3", "parse error: invalid UTF-8 at position 0");
	check_error("\xed\xa0\x80", "parse error: invalid UTF-8 at position 0");
	v = json_stringn_nocheck("a\xff\xc3z", 4);
	node = cm_parse("/^a\\uFFFD{2}z$/ /^a..z$/ A length:4 \"\xef\xbf\xbdz\" a*z", err,
			sizeof(err));
	assert_non_null(node);
	assert_true(cm_match(node, v));
	cm_free(node);
	json_decref(v);
	/* Values nested deeper than the search goes. */
	v = json_string("needle");
	for (i = 0; i < 3000; i++) {
		deep = json_array();
		json_array_append_new(deep, v);
		v = deep;
	}
	node = cm_parse("needle", err, sizeof(err));
	assert_false(cm_match(node, v));
	cm_free(node);
	json_decref(v);
	/* Missing pieces. */
	assert_null(cm_parse(NULL, err, sizeof(err)));
	assert_string_equal(err, "parse error: no filter");
	assert_null(cm_parse(")", NULL, 0));
	assert_false(cm_match(NULL, NULL));
	assert_null(cm_to_string(NULL));
	cm_free(NULL);
}

static void test_locale_independent(void **state)
{
	const char *old = setlocale(LC_ALL, NULL);
	char *saved = old ? strdup(old) : NULL;

	(void)state;
	/* A UTF-8 locale must change neither regexes nor numbers. */
	if (setlocale(LC_ALL, "C.UTF-8") || setlocale(LC_ALL, "C.utf8")) {
		assert_false(matches("/^.$/", "\"\\u00e9\"") == false);
		assert_false(matches("/^..$/", "\"\\u00e9\""));
		assert_true(matches("x:>1.5", "{\"x\":2}"));
		check_string(">0.25", ">0.25");
	}
	setlocale(LC_ALL, saved ? saved : "C");
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xo_examples),
	    cmocka_unit_test(test_empty_filter),
	    cmocka_unit_test(test_and_or_not),
	    cmocka_unit_test(test_properties),
	    cmocka_unit_test(test_truthy),
	    cmocka_unit_test(test_comparisons),
	    cmocka_unit_test(test_numbers_and_strings),
	    cmocka_unit_test(test_substrings),
	    cmocka_unit_test(test_unicode_case),
	    cmocka_unit_test(test_globs),
	    cmocka_unit_test(test_regex),
	    cmocka_unit_test(test_regex_errors),
	    cmocka_unit_test(test_regex_unsupported),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_to_string),
	    cmocka_unit_test(test_hostile_inputs),
	    cmocka_unit_test(test_locale_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
