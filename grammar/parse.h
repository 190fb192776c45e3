/* The entry point of the front end: .opt text to an unchecked AST. The
 * grammar itself lives in parser.y and lexer.l beside this header. */
#ifndef SYMOPT_PARSE_H
#define SYMOPT_PARSE_H

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/diag.h"

/* Limits that keep any input from exhausting time or stack. */
enum {
    PARSE_MAX_FILE = 1 << 20, /* bytes in a .opt file */
    PARSE_MAX_NAME = 64,      /* bytes in a name */
};

/* Parses one rule. Reports every syntax error through d (Bison error
 * recovery at statement level), returns NULL if there was any. The
 * returned rule is unchecked (run sema_check). Nodes live in a. */
Rule *parse_rule(Arena *a, const Source *src, Diag *d);

/* parse_rule, then sema_check: the path every rule takes from text to a
 * checked AST. Diagnostics go to `errs` (NULL: counted silently); `path`
 * names the text in them. The text is copied into a, so the rule and its
 * spans stay valid as long as a does. NULL on any error; *nerrors (if not
 * NULL) receives how many. */
Rule *parse_checked(Arena *a, const char *path, const char *text,
                    size_t len, FILE *errs, int *nerrors);

/* Reads a file and runs parse_checked on it. NULL with errno set and
 * *nerrors = 0 when the file cannot be read. */
Rule *parse_checked_file(Arena *a, const char *path, FILE *errs,
                         int *nerrors);

#endif
