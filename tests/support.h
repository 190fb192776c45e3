/* Helpers shared by the CMocka tests: checked rules from text or from
 * examples/, failing the test on any diagnostic. */
#ifndef SYMOPT_TEST_SUPPORT_H
#define SYMOPT_TEST_SUPPORT_H

#include "compiler/ast.h"

/* A checked rule parsed from `text`; diagnostics go to stderr. */
Rule *tu_rule(Arena *a, const char *text);
/* A checked rule from examples/NAME (e.g. "lion.opt"). */
Rule *tu_example(Arena *a, const char *name);
/* The path of examples/NAME in the source tree (a static buffer). */
const char *tu_example_path(const char *name);

#endif
