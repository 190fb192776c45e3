/* From text or a file to a checked rule: the parser and the checks in the
 * one order every caller needs. */
#include <errno.h>

#include "compiler/sema.h"
#include "grammar/parse.h"

Rule *parse_checked(Arena *a, const char *path, const char *text, size_t len,
                    FILE *errs, int *nerrors)
{
    Source *src = arena_alloc(a, sizeof *src);
    src->path = arena_strdup(a, path);
    src->text = arena_strndup(a, text, len);
    src->len = len;

    Diag d;
    diag_init(&d, src, errs);
    Rule *r = parse_rule(a, src, &d);
    if (r)
        sema_check(r, &d);
    if (nerrors)
        *nerrors = d.nerrors;
    return d.nerrors ? NULL : r;
}

Rule *parse_checked_file(Arena *a, const char *path, FILE *errs, int *nerrors)
{
    Source file;
    if (nerrors)
        *nerrors = 0;
    /* A longer file is read no further than one byte past the limit,
     * which parse_rule then reports. */
    if (source_read_file_max(&file, path, PARSE_MAX_FILE) < 0)
        return NULL;
    Rule *r = parse_checked(a, path, file.text, file.len, errs, nerrors);
    source_free(&file);
    errno = 0;
    return r;
}
