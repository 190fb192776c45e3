/* Diagnostic printing: location, message, the source line and a caret. */
#include "compiler/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(Diag *d, const Source *src, FILE *out)
{
    d->src = src;
    d->out = out;
    d->nerrors = 0;
    d->first[0] = '\0';
}

void diag_linecol(const Source *src, uint32_t off, int *line, int *col)
{
    int ln = 1;
    uint32_t bol = 0;
    if (off > src->len)
        off = (uint32_t)src->len;
    for (uint32_t i = 0; i < off; i++) {
        if (src->text[i] == '\n') {
            ln++;
            bol = i + 1;
        }
    }
    *line = ln;
    *col = (int)(off - bol) + 1;
}

enum { SHOW_WIDTH = 72 };

/* Bytes in the well-formed UTF-8 sequence at s (at most len bytes), or 0
 * if there is none: a terminal is shown only text it can print. */
static uint32_t utf8_len(const char *s, uint32_t len)
{
    unsigned char c = (unsigned char)s[0];
    uint32_t n = c < 0x80                ? 1
                 : c >= 0xc2 && c < 0xe0 ? 2
                 : c >= 0xe0 && c < 0xf0 ? 3
                 : c >= 0xf0 && c < 0xf5 ? 4
                                         : 0;
    if (n == 0 || n > len)
        return 0;
    for (uint32_t k = 1; k < n; k++)
        if (((unsigned char)s[k] & 0xc0) != 0x80)
            return 0;
    return n;
} /* at most this many bytes of a source line */

/* Prints the line holding `at` and a caret run under the span; a long line
 * is cut to a window around the span. */
static void show_span(FILE *out, const Source *src, Span at)
{
    uint32_t off = at.off > src->len ? (uint32_t)src->len : at.off;
    uint32_t bol = off, eol = off;
    while (bol > 0 && src->text[bol - 1] != '\n')
        bol--;
    while (eol < src->len && src->text[eol] != '\n')
        eol++;
    if (off - bol > SHOW_WIDTH / 2)
        bol = off - SHOW_WIDTH / 2;
    if (eol - bol > SHOW_WIDTH)
        eol = bol + SHOW_WIDTH;

    fputs("    ", out);
    for (uint32_t i = bol; i < eol;) {
        unsigned char c = (unsigned char)src->text[i];
        uint32_t n = utf8_len(src->text + i, eol - i);
        if (c >= 0x80 && n)
            fwrite(src->text + i, 1, n, out);
        else
            fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', out);
        i += n ? n : 1;
    }
    fputs("\n    ", out);
    /* One column per character shown above, so the caret lines up. */
    for (uint32_t i = bol; i < off;) {
        uint32_t n = utf8_len(src->text + i, eol - i);
        fputc(src->text[i] == '\t' ? '\t' : ' ', out);
        i += n ? n : 1;
    }
    uint32_t n = at.len ? at.len : 1;
    if (off + n > eol && eol > off)
        n = eol - off;
    for (uint32_t i = 0; i < n; i++)
        fputc(i ? '~' : '^', out);
    fputc('\n', out);
}

/* Errors printed per Diag; the rest are only counted. Finding a line
 * number is linear in the offset, so printing every error of a file full
 * of them would take time quadratic in its size. */
enum { DIAG_MAX_SHOWN = 100 };

static void report(Diag *d, Span at, const char *kind, const char *fmt,
                   va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!d->out || d->nerrors > DIAG_MAX_SHOWN + 1)
        return;
    if (d->nerrors == DIAG_MAX_SHOWN + 1) {
        if (*kind == 'e')
            fprintf(d->out,
                    "%s: more than %d errors; the rest are not "
                    "shown\n",
                    d->src ? d->src->path : "symopt", DIAG_MAX_SHOWN);
        return;
    }
    if (d->src) {
        int line, col;
        diag_linecol(d->src, at.off, &line, &col);
        fprintf(d->out, "%s:%d:%d: %s: %s\n", d->src->path, line, col, kind,
                msg);
        show_span(d->out, d->src, at);
    } else {
        fprintf(d->out, "%s: %s\n", kind, msg);
    }
}

void diag_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void diag_error(Diag *d, Span at, const char *fmt, ...)
{
    va_list ap;
    if (d->nerrors == 0) {
        va_start(ap, fmt);
        vsnprintf(d->first, sizeof d->first, fmt, ap);
        va_end(ap);
    }
    d->nerrors++;
    va_start(ap, fmt);
    report(d, at, "error", fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, at, "note", fmt, ap);
    va_end(ap);
}

int source_read_file(Source *src, const char *path)
{
    return source_read_file_max(src, path, SIZE_MAX - 1);
}

int source_read_file_max(Source *src, const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1 || len > max)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (!buf || err) {
        free(buf);
        errno = buf ? err : ENOMEM;
        return -1;
    }
    buf[len] = '\0';
    src->path = path;
    src->text = buf;
    src->len = len;
    return 0;
}

void source_from_string(Source *src, const char *text)
{
    src->path = "<string>";
    src->text = text;
    src->len = strlen(text);
}

void source_free(Source *src)
{
    free((char *)src->text);
    src->text = NULL;
    src->len = 0;
}

void diag_internal(const char *file, int line, const char *msg)
{
    fprintf(stderr, "symopt: internal error at %s:%d: %s\n", file, line, msg);
    abort();
}
