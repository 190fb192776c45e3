/* The properties behind the fuzz targets: the front end's round trip, the
 * JIT against the interpreter, and the IDX reader on arbitrary bytes.
 * Library code only: no output, Diag sinks with out = NULL. */
#include "tests/fuzz/targets.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compiler/interp.h"
#include "compiler/print.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "runtime/dataset.h"
#include "tests/diff_compare.h"

static char finding[1024];

static const char *found(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static const char *found(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(finding, sizeof finding, fmt, ap);
    va_end(ap);
    return finding;
}

/* Parses text (len bytes, NUL-terminated) with a silent sink; *checked
 * receives whether sema_check passed too. A rejected text must have been
 * given at least one error with a message: *quiet says it was not. */
static Rule *parse_silent(Arena *a, const char *text, size_t len, bool *checked,
                          bool *quiet)
{
    Source *src = arena_alloc(a, sizeof *src);
    src->path = "<fuzz>";
    src->text = text;
    src->len = len;

    Diag d;
    diag_init(&d, src, NULL);
    Rule *r = parse_rule(a, src, &d);
    *checked = r && sema_check(r, &d);
    *quiet = !*checked && (d.nerrors == 0 || !d.first[0]);
    return r;
}

const char *fuzz_rule_check(const uint8_t *data, size_t size)
{
    const char *msg = NULL;
    char *text1 = NULL, *text2 = NULL;
    Arena a;
    arena_init(&a);

    bool ok1, ok2, quiet;
    char *in = arena_strndup(&a, (const char *)data, size);
    Rule *r1 = parse_silent(&a, in, size, &ok1, &quiet);
    if (quiet) {
        msg = found("input %s without an error message",
                    r1 ? "fails the checks" : "does not parse");
        goto done;
    }
    if (!r1)
        goto done;

    /* The parser bounds nesting at what the printer prints in full, so
     * every rule that parses has a text that parses back. */
    text1 = print_rule(r1);
    Rule *r2 = parse_silent(&a, text1, strlen(text1), &ok2, &quiet);
    if (!r2) {
        msg = found("printed rule does not parse:\n%s", text1);
        goto done;
    }
    if (!ast_equal(r1, r2)) {
        msg = found("printed rule parses to another AST:\n%s", text1);
        goto done;
    }
    if (ok1 != ok2) {
        msg = found("checks %s the input but %s its printed form:\n%s",
                    ok1 ? "pass" : "fail", ok2 ? "pass" : "fail", text1);
        goto done;
    }
    if (ok1 && (r1->nlocals != r2->nlocals || r1->lr_param != r2->lr_param)) {
        msg = found("checks resolve the printed form differently:\n%s", text1);
        goto done;
    }
    text2 = print_rule(r2);
    if (strcmp(text1, text2))
        msg = found("printing is not idempotent:\n%s\n---\n%s", text1, text2);

done:
    free(text1);
    free(text2);
    arena_free(&a);
    return msg;
}

/* The fixed input of fuzz_jit: special values first (zeros of both
 * signs, NaN, infinities, huge, tiny, subnormal), then ordinary ones; a
 * length that is no multiple of any vector width, so that both the vector
 * loop and its remainder run. */
enum { JIT_N = 37, JIT_STEPS = 3 };

static const float jit_specials[] = {
    0.0f,    -0.0f, 1.0f,     -1.0f,     1e30f, -1e30f, 1e-30f,
    -1e-30f, NAN,   INFINITY, -INFINITY, 0.5f,  -2.0f,  1e-45f};
enum { JIT_NSPEC = sizeof jit_specials / sizeof *jit_specials };

static void jit_inputs(float *w, float *g)
{
    for (int i = 0; i < JIT_N; i++) {
        float ordinary = (float)((i * 7) % 23 - 11) * 0.1875f;
        w[i] = i < JIT_NSPEC ? jit_specials[i] : ordinary;
        g[i] = i >= JIT_N - JIT_NSPEC ? jit_specials[JIT_N - 1 - i]
                                      : ordinary * -0.5f + 0.25f;
    }
}

static const char *jit_compare(const char *tensor, int step, const float *x,
                               const float *y, bool tol, const char *text)
{
    for (int i = 0; i < JIT_N; i++)
        if (!diff_agree(x[i], y[i], tol))
            return found("step %d, %s[%d]: interpreter %a, JIT %a in:\n%s",
                         step, tensor, i, x[i], y[i], text);
    return NULL;
}

const char *fuzz_jit_check(Jit *jit, const uint8_t *data, size_t size)
{
    const char *msg = NULL;
    Arena a;
    arena_init(&a);

    Rule *r = parse_checked(&a, "<fuzz>", (const char *)data, size, NULL, NULL);
    if (!r) {
        arena_free(&a);
        return NULL;
    }
    char err[512] = "";
    JitRule *jr = jit_compile(jit, r, err, sizeof err);
    char *text = print_rule(r);
    if (!jr) {
        msg = found("a checked rule does not compile (%s):\n%s", err, text);
        free(text);
        arena_free(&a);
        return msg;
    }

    float w1[JIT_N], w2[JIT_N], g[JIT_N];
    float *s1[SEMA_MAX_STATES], *s2[SEMA_MAX_STATES];
    float *pool = calloc((size_t)2 * SEMA_MAX_STATES * JIT_N, sizeof *pool);
    if (!pool)
        abort();
    for (int k = 0; k < r->nstates; k++) {
        s1[k] = pool + (size_t)(2 * k) * JIT_N;
        s2[k] = pool + (size_t)(2 * k + 1) * JIT_N;
    }
    float hp[SEMA_MAX_PARAMS];
    for (int k = 0; k < r->nparams; k++)
        hp[k] = (float)r->params[k].value;
    /* A scheduled rate unlike the base one, so that mixing the two up
     * shows. */
    float lr = r->lr_param >= 0 ? hp[r->lr_param] * 0.75f : 0.0f;
    bool tol = diff_rule_transcendental(r);

    jit_inputs(w1, g);
    memcpy(w2, w1, sizeof w1);
    for (int s = 1; s <= JIT_STEPS && !msg; s++) {
        interp_step(r, JIT_N, w1, g, s1, hp, lr, s);
        jit_fn(jr)(JIT_N, w2, g, s2, hp, lr, s);
        msg = jit_compare("w", s, w1, w2, tol, text);
        for (int k = 0; k < r->nstates && !msg; k++)
            msg = jit_compare(r->states[k].name, s, s1[k], s2[k], tol, text);
    }

    free(pool);
    free(text);
    jit_release(jit, jr);
    arena_free(&a);
    return msg;
}

/* Whether `data` is a well-formed IDX file of unsigned bytes with ndims
 * dimensions, by the format's definition: magic 0x000008<ndims>, ndims
 * big-endian sizes, none 0, and exactly their product of bytes after. */
static bool idx_well_formed(const uint8_t *data, size_t size, int ndims)
{
    size_t header = 4 + 4 * (size_t)ndims;
    if (size < header || data[0] || data[1] || data[2] != 8 || data[3] != ndims)
        return false;
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++) {
        const uint8_t *b = data + 4 + 4 * i;
        uint64_t d = (uint64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        total *= d;
        if (total == 0 || total > size)
            return false;
    }
    return total == size - header;
}

/* One read of the file at path as an IDX file of ndims dimensions. The
 * file holds `data` (size bytes), gzip'ed or not; `known` says whether
 * that is also what gzopen reads from it (false for input that is itself
 * gzip data, which is read as the bytes it inflates to). */
static const char *idx_read(const char *path, const uint8_t *data, size_t size,
                            bool known, int ndims)
{
    uint8_t *out = (uint8_t *)"";
    uint32_t dims[3] = {0, 0, 0};
    char err[512];
    memset(err, 0, sizeof err);

    int rc = dataset_read_idx(path, ndims, &out, dims, err, sizeof err);
    bool valid = known && idx_well_formed(data, size, ndims);
    if (rc < 0) {
        if (out)
            return found("failed read leaves data at %p", (void *)out);
        if (!strstr(err, path))
            return found("error does not name the file: '%s'", err);
        /* Inputs are at most FUZZ_MAX_LEN bytes, so memory for them never
         * runs out unless the reader believes the header over the file. */
        if (strstr(err, "out of memory"))
            return found("%zu-byte file: %s", size, err);
        if (valid)
            return found("well-formed %d-dimensional file refused: %s", ndims,
                         err);
        return NULL;
    }
    if (rc != 0)
        return found("dataset_read_idx returned %d", rc);

    const char *msg = NULL;
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++)
        total *= dims[i];
    size_t header = 4 + 4 * (size_t)ndims;
    if (known && !valid)
        msg = found("%s: accepted a file that is not a well-formed "
                    "%d-dimensional IDX file",
                    path, ndims);
    else if (known && memcmp(out, data + header, total))
        msg = found("%s: data differs from the file's bytes", path);
    else if (total == 0)
        msg = found("%s: accepted a header with a dimension 0", path);
    free(out);
    return msg;
}

static const char *write_file(const char *path, const uint8_t *data,
                              size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return found("cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0) {
            close(fd);
            return found("cannot write %s: %s", path, strerror(errno));
        }
        done += (size_t)n;
    }
    close(fd);
    return NULL;
}

static const char *write_gzip(const char *path, const uint8_t *data,
                              size_t size)
{
    gzFile f = gzopen(path, "wb");
    if (!f)
        return found("cannot create %s", path);
    if (size && gzwrite(f, data, (unsigned)size) != (int)size) {
        gzclose(f);
        return found("cannot write %s", path);
    }
    if (gzclose(f) != Z_OK)
        return found("cannot write %s", path);
    return NULL;
}

const char *fuzz_idx_check(const char *dir, const uint8_t *data, size_t size)
{
    char path[4096];
    const char *msg;
    bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    /* The bytes as they are. */
    snprintf(path, sizeof path, "%s/input.idx", dir);
    msg = write_file(path, data, size);
    for (int nd = 1; nd <= 3 && !msg; nd += 2)
        msg = idx_read(path, data, size, !gz, nd);
    unlink(path);

    /* The same bytes gzip'ed: the fuzzer's mutations of the IDX layout
     * reach the gzip path too, with the same expected outcome. */
    if (!msg && !gz) {
        snprintf(path, sizeof path, "%s/input.idx.gz", dir);
        msg = write_gzip(path, data, size);
        for (int nd = 1; nd <= 3 && !msg; nd += 2)
            msg = idx_read(path, data, size, true, nd);
        unlink(path);
    }
    return msg;
}
