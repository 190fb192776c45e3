/* The printer: canonical .opt text of a rule or an expression, with only
 * the parentheses precedence needs, so that parse(print(ast)) equals ast
 * and printing is idempotent. */
#ifndef SYMOPT_PRINT_H
#define SYMOPT_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include "compiler/ast.h"

/* Canonical .opt text of a rule, malloc'ed (caller frees). Expressions
 * are printed to SEMA_MAX_DEPTH levels (what sema_check accepts); deeper
 * subtrees print as `...`, which does not parse. Non-finite numbers print
 * as `inf` and `nan`, which do not parse either. */
char *print_rule(const Rule *r);

/* Canonical text of one expression, malloc'ed (caller frees). */
char *print_node(const Node *n);
void print_node_to(FILE *out, const Node *n);

/* Writes the shortest decimal text that strtod reads back as the
 * non-negative finite v: integers below 1e7 without exponent, else the
 * shortest %g form, or the exponent form if shorter (1e-3, 2.5e-7). */
void print_number(char *buf, size_t size, double v);

#endif
