/* The one diagnostic sink. Locations are byte spans in a Source; the sink
 * turns them into `file:line:col: error: message`, the source line and a
 * caret under the span. Library code reports here and returns; it never
 * exits and never writes to stdout. */
#ifndef SYMOPT_DIAG_H
#define SYMOPT_DIAG_H

#include <stdint.h>
#include <stdio.h>

typedef struct Span {
    uint32_t off, len; /* byte offset and length in Source.text */
} Span;

typedef struct Source {
    const char *path; /* as the user named it; "<string>" for strings */
    const char *text; /* NUL-terminated; owned by whoever made the Source */
    size_t len;
} Source;

typedef struct Diag {
    const Source *src; /* may be NULL: messages then carry no location */
    FILE *out;         /* where to print; NULL counts errors silently */
    int nerrors;
    char first[256]; /* the first error's message, for callers without out */
} Diag;

void diag_init(Diag *d, const Source *src, FILE *out);
/* Reports an error at span `at` and counts it. */
void diag_error(Diag *d, Span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A note attached to the previous error (e.g. "first defined here"). */
void diag_note(Diag *d, Span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats a library's error message into a caller's buffer (dropped
 * when err is NULL or errlen 0), for errors that have no source span. */
void diag_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1-based line and column (in bytes) of byte offset `off`. */
void diag_linecol(const Source *src, uint32_t off, int *line, int *col);

/* Reads a whole file into a Source (text is malloc'ed, caller frees it
 * with source_free). Returns 0, or -1 with errno set. */
int source_read_file(Source *src, const char *path);
/* Like source_read_file, but reads at most max + 1 bytes, so that a file
 * longer than max is seen to be (src->len > max) without reading it all. */
int source_read_file_max(Source *src, const char *path, size_t max);
void source_from_string(Source *src, const char *text);
void source_free(Source *src);

/* Internal bugs: aborts, naming symopt's own file and line. */
#define unreachable()                                                          \
    diag_internal(__FILE__, __LINE__, "unreachable code reached")
_Noreturn void diag_internal(const char *file, int line, const char *msg);

#endif
