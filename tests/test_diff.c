/* Differential tests: the JIT against the interpreter, for every example
 * and for every function of the language, on inputs that include zeros of
 * both signs, negatives, huge and tiny values, NaN and infinities, at
 * lengths that exercise the vector loop's remainder, over several steps
 * with state. Bit for bit unless a libm transcendental is involved, then
 * within 4 ulp; NaN must agree with NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/interp.h"
#include "compiler/jit.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "tests/diff_compare.h"

static Jit *jit;

static Rule *load(Arena *a, const char *path, const char *text)
{
    Source *src = arena_alloc(a, sizeof *src);
    if (path) {
        Source file;
        assert_int_equal(source_read_file(&file, path), 0);
        src->text = arena_strndup(a, file.text, file.len);
        src->len = file.len;
        src->path = arena_strdup(a, path);
        source_free(&file);
    } else {
        source_from_string(src, arena_strdup(a, text));
    }
    Diag d;
    diag_init(&d, src, stderr);
    Rule *r = parse_rule(a, src, &d);
    if (!r || !sema_check(r, &d))
        fail_msg("cannot load %s", path ? path : text);
    return r;
}

/* splitmix64: the test's own random stream. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static const float specials[] = {0.0f,   -0.0f, 1.0f,   -1.0f, 1e30f,
                                 -1e30f, 1e-30f, -1e-30f, NAN,  INFINITY,
                                 -INFINITY, 0.5f, -2.0f, 1e-45f};
enum { NSPEC = sizeof specials / sizeof *specials };

/* Every pair of specials first (w from one, g from the other), then values
 * of random sign and magnitude, ordinary ones more often. */
static void fill(float *w, float *g, int64_t n, uint64_t *seed)
{
    for (int64_t i = 0; i < n; i++) {
        if (i < NSPEC * NSPEC) {
            w[i] = specials[i / NSPEC];
            g[i] = specials[(i + 3 * (i / NSPEC)) % NSPEC];
            continue;
        }
        for (int k = 0; k < 2; k++) {
            uint64_t x = mix(seed);
            double u = (double)(x >> 11) / 9007199254740992.0;
            double mag = (x & 3) ? u * 4 - 2 : exp((u - 0.5) * 120.0);
            float v = (float)((x & 4) && !(x & 3) ? -mag : mag);
            *(k ? &g[i] : &w[i]) = v;
        }
    }
}

static void compare(const char *what, const char *tensor, int step,
                    const float *x, const float *y, int64_t n, bool tol)
{
    for (int64_t i = 0; i < n; i++)
        if (!diff_agree(x[i], y[i], tol))
            fail_msg("%s: step %d, %s[%lld]: interpreter %a, JIT %a", what,
                     step, tensor, (long long)i, x[i], y[i]);
}

/* Runs `steps` steps of r on n elements both ways and compares w and
 * every state after each step. */
static void diff_rule(const char *what, const Rule *r, int64_t n, int steps)
{
    char err[256] = "";
    JitRule *jr = jit_compile(jit, r, err, sizeof err);
    if (!jr)
        fail_msg("%s: %s", what, err);
    bool tol = diff_rule_transcendental(r);

    size_t bytes = (size_t)n * sizeof(float);
    float *w1 = malloc(bytes), *w2 = malloc(bytes), *g = malloc(bytes);
    float *s1[64], *s2[64];
    for (int k = 0; k < r->nstates; k++) {
        s1[k] = calloc((size_t)n, sizeof(float));
        s2[k] = calloc((size_t)n, sizeof(float));
    }
    float hp[64];
    for (int k = 0; k < r->nparams; k++)
        hp[k] = (float)r->params[k].value;
    float lr = r->lr_param >= 0 ? hp[r->lr_param] * 0.75f : 0.0f;

    uint64_t seed = 12345;
    fill(w1, g, n, &seed);
    memcpy(w2, w1, bytes);
    for (int s = 1; s <= steps; s++) {
        interp_step(r, n, w1, g, s1, hp, lr, s);
        jit_fn(jr)(n, w2, g, s2, hp, lr, s);
        compare(what, "w", s, w1, w2, n, tol);
        for (int k = 0; k < r->nstates; k++)
            compare(what, r->states[k].name, s, s1[k], s2[k], n, tol);
        /* A new gradient for the next step, the same for both. */
        for (int64_t i = NSPEC * NSPEC; i < n; i++)
            g[i] = g[i] * -0.5f + (float)(mix(&seed) % 7) * 0.125f;
    }

    for (int k = 0; k < r->nstates; k++) {
        free(s1[k]);
        free(s2[k]);
    }
    free(w1);
    free(w2);
    free(g);
    jit_release(jit, jr);
}

static int is_opt(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".opt");
}

static void test_diff_examples(void **unused)
{
    (void)unused;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/examples", SYMOPT_SOURCE_DIR);
    struct dirent **names;
    int nfiles = scandir(dir, &names, is_opt, alphasort);
    assert_true(nfiles >= 10);
    static const int64_t lengths[] = {1, 7, 203, 1000003};
    for (int f = 0; f < nfiles; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]->d_name);
        Arena a;
        arena_init(&a);
        Rule *r = load(&a, path, NULL);
        for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++)
            diff_rule(names[f]->d_name, r, lengths[l], 4);
        arena_free(&a);
        free(names[f]);
    }
    free(names);
}

/* Each function, on tensor arguments, on a state, and on scalars (the
 * hoisted path), in one small rule. */
static void test_diff_functions(void **unused)
{
    (void)unused;
    for (int fn = 0; fn < FN__COUNT; fn++) {
        const FnInfo *f = &fn_info[fn];
        char text[1024];
        if (fn == FN_NEG) {
            snprintf(text, sizeof text,
                     "rule t(lr = 0.5, b = 0.3) { state s; s = -g + s; "
                     "return -w - -b * lr; }");
        } else if (f->op) {
            snprintf(text, sizeof text,
                     "rule t(lr = 0.5, b = 0.3) { state s; s = g %s s; "
                     "x = w %s g; return x - (b %s lr) * (lr %s step); }",
                     f->name, f->name, f->name, f->name);
        } else if (f->arity == 1) {
            snprintf(text, sizeof text,
                     "rule t(lr = 0.5, b = 0.3) { state s; s = %s(g) + s; "
                     "x = %s(w); return x - %s(b) * lr + %s(step); }",
                     f->name, f->name, f->name, f->name);
        } else if (f->arity == 2) {
            snprintf(text, sizeof text,
                     "rule t(lr = 0.5, b = 0.3) { state s; s = %s(g, s); "
                     "x = %s(w, g); y = %s(g, w); "
                     "return x - y * %s(b, lr); }",
                     f->name, f->name, f->name, f->name);
        } else {
            snprintf(text, sizeof text,
                     "rule t(lr = 0.5, b = 0.3) { state s; "
                     "s = %s(g, s, b); x = %s(w, g, s); "
                     "return x + %s(b, lr, 0.25) * w; }",
                     f->name, f->name, f->name);
        }
        Arena a;
        arena_init(&a);
        Rule *r = load(&a, NULL, text);
        diff_rule(text, r, 1, 3);
        diff_rule(text, r, 3001, 3);
        arena_free(&a);
    }
}

/* A local reassigned from a scalar to a tensor value and back, and a state
 * read before and after its assignment. */
static void test_diff_reassignment(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = load(&a, NULL,
                   "rule t(lr = 0.5, b = 0.9) { state m, v; x = 1 - b; "
                   "y = x * m; m = interp(g, m, b); x = x * m + y; "
                   "v = max(v, abs(m)); x = x / (sqrt(v) + 1e-8); "
                   "return lr * x + clip(w, b) * m; }");
    diff_rule("reassignment", r, 1, 5);
    diff_rule("reassignment", r, 20011, 5);
    arena_free(&a);
}

static int setup(void **unused)
{
    (void)unused;
    char err[256];
    jit = jit_new(err, sizeof err);
    if (!jit)
        fprintf(stderr, "%s\n", err);
    return jit ? 0 : -1;
}

static int teardown(void **unused)
{
    (void)unused;
    jit_free(jit);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_examples),
        cmocka_unit_test(test_diff_functions),
        cmocka_unit_test(test_diff_reassignment),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
