/* SPDX-License-Identifier: MIT */
/*
 * Xen Orchestra's search syntax: the grammar and the semantics of the npm
 * package complex-matcher 0.7.0, written for jansson values.
 *
 *   power_state:Halted !virtualizationMode:hvm   terms are ANDed
 *   |(vm1 vm2)  (a b)  !term                     OR, group, negation
 *   CPUs:number:>1  auto_poweron?  tags:/^prod$/ property, truthy, regex
 *   "my VM"  web*  32                            string, glob, number
 *
 * The package is the reference: tests/parity runs both over one corpus.
 * Where a JavaScript regular expression cannot be expressed as a POSIX one
 * (lookaround, back references) cm_parse says so instead of guessing.
 */
#ifndef XKVM_TOOLSTACK_COMPLEX_MATCHER_H
#define XKVM_TOOLSTACK_COMPLEX_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Terms nest (groups, negations, properties) at most this deep. */
#define CM_MAX_DEPTH 64

struct cm_node;

/*
 * Parse a filter (UTF-8). On error return NULL and write the package's
 * message (e.g. "parse error: expected end of input at position 4",
 * positions in UTF-16 code units as JavaScript counts them) into err,
 * always NUL-terminated. An empty or all-space filter matches everything.
 */
struct cm_node *cm_parse(const char *filter, char *err, size_t errlen);

/* Does value match? NULL stands for JavaScript's undefined. */
bool cm_match(const struct cm_node *node, const json_t *value);

void cm_free(struct cm_node *node);

/* The filter as the package's toString() prints it; malloc'd, NULL on ENOMEM. */
char *cm_to_string(const struct cm_node *node);

#endif
