/* Helpers shared by the CMocka tests. */
#include "tests/support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/parse.h"

Rule *tu_rule(Arena *a, const char *text)
{
    Rule *r = parse_checked(a, "<test>", text, strlen(text), stderr, NULL);
    assert_non_null(r);
    return r;
}

const char *tu_example_path(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", SYMOPT_SOURCE_DIR, name);
    return path;
}

Rule *tu_example(Arena *a, const char *name)
{
    Rule *r = parse_checked_file(a, tu_example_path(name), stderr, NULL);
    assert_non_null(r);
    return r;
}
