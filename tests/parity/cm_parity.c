/* SPDX-License-Identifier: MIT */
/*
 * The C side of the parity test: run every query of tests/parity/corpus.json
 * through complex_matcher.c over every VM of the corpus and print what
 * parity.mjs prints for the npm package, byte for byte.
 */
#include "toolstack/complex_matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON string as JavaScript's JSON.stringify writes it. */
static void put_string(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\b':
			fputs("\\b", stdout);
			break;
		case '\f':
			fputs("\\f", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

static void put_result(const char *query, const json_t *vms)
{
	char err[512];
	struct cm_node *node = cm_parse(query, err, sizeof(err));
	const json_t *vm;
	char *text;
	size_t i;
	bool first = true;

	fputs("{\"query\":", stdout);
	put_string(query, strlen(query));
	fputs(",\"result\":{", stdout);
	if (!node) {
		fputs("\"error\":", stdout);
		put_string(err, strlen(err));
		fputs("}}", stdout);
		return;
	}
	fputs("\"names\":[", stdout);
	json_array_foreach(vms, i, vm)
	{
		const json_t *name = json_object_get(vm, "name_label");

		if (!cm_match(node, vm))
			continue;
		if (!first)
			putchar(',');
		first = false;
		put_string(json_string_value(name), json_string_length(name));
	}
	fputs("],\"string\":", stdout);
	text = cm_to_string(node);
	put_string(text ? text : "(out of memory)", strlen(text ? text : "(out of memory)"));
	fputs("}}", stdout);
	free(text);
	cm_free(node);
}

int main(int argc, char **argv)
{
	json_error_t error;
	json_t *corpus, *vms, *queries, *query;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus.json\n", argv[0]);
		return 2;
	}
	corpus = json_load_file(argv[1], 0, &error);
	if (!corpus) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], error.line, error.text);
		return 1;
	}
	vms = json_object_get(corpus, "vms");
	queries = json_object_get(corpus, "queries");
	if (!json_is_array(vms) || !json_is_array(queries)) {
		fprintf(stderr, "%s: needs arrays \"vms\" and \"queries\"\n", argv[1]);
		json_decref(corpus);
		return 1;
	}
	puts("[");
	json_array_foreach(queries, i, query)
	{
		if (i)
			puts(",");
		put_result(json_string_value(query), vms);
	}
	puts("\n]");
	json_decref(corpus);
	return 0;
}
