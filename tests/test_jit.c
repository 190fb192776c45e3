/* Tests of the JIT: every example compiles and runs, SGD's and Lion's steps
 * match hand-computed values, memory stays flat over thousands of compiles
 * in one session, and compile time in a reused session is measured. */
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
#include <time.h>
#include <unistd.h>

#include "compiler/jit.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "tests/support.h"

static float *hparams(const Rule *r)
{
    float *hp = calloc((size_t)r->nparams + 1, sizeof *hp);
    for (int k = 0; k < r->nparams; k++)
        hp[k] = (float)r->params[k].value;
    return hp;
}

/* sgd: w - lr * g exactly, with lr the argument, not the default. */
static void test_jit_sgd_exact(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule sgd(lr = 0.1) { return lr * g; }");
    char err[256] = "";
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);
    JitRule *jr = jit_compile(j, r, err, sizeof err);
    assert_non_null(jr);

    enum { N = 37 };
    float w[N], g[N], w0[N];
    for (int i = 0; i < N; i++) {
        w0[i] = w[i] = (float)i * 0.37f - 3.0f;
        g[i] = (float)(i % 7) * -1.3f + 2.5f;
    }
    float hp[1] = {0.1f};
    float lr = 0.0375f;
    jit_fn(jr)(N, w, g, NULL, hp, lr, 1);
    for (int i = 0; i < N; i++) {
        volatile float u = lr * g[i];
        float want = w0[i] - u;
        assert_memory_equal(&w[i], &want, sizeof want);
    }

    /* n = 0 reads nothing, not even the hyperparameters. */
    jit_fn(jr)(0, NULL, NULL, NULL, NULL, lr, 1);

    jit_release(j, jr);
    jit_free(j);
    arena_free(&a);
}

/* Lion on one element over two steps, by hand: m starts at 0. */
static void test_jit_lion_hand(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_example(&a, "lion.opt");
    char err[256] = "";
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);
    JitRule *jr = jit_compile(j, r, err, sizeof err);
    assert_non_null(jr);

    /* beta1 = 0.9, beta2 = 0.99, wd = 0.1; lr = 0.5 (exact in binary). */
    float hp[4] = {1e-4f, 0.9f, 0.99f, 0.1f};
    float w[1] = {2.0f}, g[1] = {-3.0f}, m[1] = {0.0f};
    float *states[1] = {m};
    jit_fn(jr)(1, w, g, states, hp, 0.5f, 1);
    /* u = sign(0.1 * -3 + 0.9 * 0) = -1; w = 2 - 0.5 * (-1 + 0.1 * 2). */
    volatile float wd_w = 0.1f * 2.0f;
    volatile float upd = 0.5f * (-1.0f + wd_w);
    float want_w = 2.0f - upd;
    volatile float m1 = (1.0f - 0.99f) * -3.0f;
    float want_m = m1 + 0.99f * 0.0f;
    assert_memory_equal(w, &want_w, sizeof want_w);
    assert_memory_equal(m, &want_m, sizeof want_m);
    assert_true(fabsf(w[0] - 2.4f) < 1e-6f);

    /* Second step with g = +1e-3: interp(g, m, 0.9) = 1e-4*... < 0,
     * so u = -1 again although g > 0. */
    g[0] = 1e-3f;
    float wbefore = w[0];
    jit_fn(jr)(1, w, g, states, hp, 0.5f, 2);
    volatile float wd_w2 = 0.1f * wbefore;
    volatile float upd2 = 0.5f * (-1.0f + wd_w2);
    float want_w2 = wbefore - upd2;
    assert_memory_equal(w, &want_w2, sizeof want_w2);
    jit_fn(jr)(0, NULL, NULL, NULL, NULL, 0.5f, 3);
    jit_fn(jr)(-5, NULL, NULL, NULL, NULL, 0.5f, 3);

    jit_release(j, jr);
    jit_free(j);
    arena_free(&a);
}

static int is_opt(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".opt");
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Every example compiles in one session and its step leaves finite
 * weights on ordinary inputs; the median compile time is reported. */
static void test_jit_examples_compile(void **unused)
{
    (void)unused;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/examples", SYMOPT_SOURCE_DIR);
    struct dirent **names;
    int nfiles = scandir(dir, &names, is_opt, alphasort);
    assert_true(nfiles >= 10);

    char err[256] = "";
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);
    enum { N = 1003, ROUNDS = 5 };
    double *times = calloc((size_t)nfiles * ROUNDS, sizeof *times);
    int ntimes = 0;
    for (int f = 0; f < nfiles; f++) {
        Arena a;
        arena_init(&a);
        Rule *r = tu_example(&a, names[f]->d_name);
        for (int round = 0; round < ROUNDS; round++) {
            double t0 = now_ms();
            JitRule *jr = jit_compile(j, r, err, sizeof err);
            times[ntimes++] = now_ms() - t0;
            if (!jr)
                fail_msg("%s: %s", names[f]->d_name, err);

            float *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
            float *st[64];
            for (int k = 0; k < r->nstates; k++)
                st[k] = calloc(N, sizeof(float));
            for (int i = 0; i < N; i++) {
                w[i] = sinf((float)i);
                g[i] = cosf((float)i * 0.7f);
            }
            float *hp = hparams(r);
            for (int s = 1; s <= 3; s++)
                jit_fn(jr)(N, w, g, st, hp, hp[0], s);
            for (int i = 0; i < N; i++)
                if (!isfinite(w[i]))
                    fail_msg("%s: w[%d] = %g", names[f]->d_name, i, w[i]);
            for (int k = 0; k < r->nstates; k++)
                free(st[k]);
            free(w);
            free(g);
            free(hp);
            jit_release(j, jr);
        }
        arena_free(&a);
        free(names[f]);
    }
    free(names);
    qsort(times, (size_t)ntimes, sizeof *times, cmp_double);
    fprintf(stderr, "jit: median compile time %.2f ms over %d compiles\n",
            times[ntimes / 2], ntimes);
    free(times);
    jit_free(j);
}

static double rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
    fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* 5,000 compiles, calls and releases in one session: the resident set
 * after the last is within 10 MiB of the one after the 500th. */
static void test_jit_memory_flat(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule mom(lr = 0.1, mu = 0.9) { state b; "
                          "b = mu * b + g; return lr * b; }");
    char err[256] = "";
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);

    float w[16] = {0}, g[16], b[16] = {0}, hp[2] = {0.1f, 0.9f};
    float *st[1] = {b};
    for (int i = 0; i < 16; i++)
        g[i] = 1.0f;
    double at500 = 0;
    for (int k = 1; k <= 5000; k++) {
        JitRule *jr = jit_compile(j, r, err, sizeof err);
        if (!jr)
            fail_msg("compile %d: %s", k, err);
        jit_fn(jr)(16, w, g, st, hp, 0.1f, k);
        jit_release(j, jr);
        if (k == 500)
            at500 = rss_mib();
    }
    double at5000 = rss_mib();
    fprintf(stderr,
            "jit: RSS %.1f MiB after 500 compiles, %.1f after "
            "5000\n",
            at500, at5000);
#ifndef __SANITIZE_ADDRESS__
    /* AddressSanitizer's quarantine keeps freed blocks resident on
     * purpose; there LeakSanitizer checks the releases instead. */
    assert_true(at5000 - at500 < 10.0);
#endif
    /* Each call added lr * b with b -> 10 geometric; w is finite. */
    assert_true(isfinite(w[0]) && w[0] < 0);

    jit_free(j);
    arena_free(&a);
}

/* A rule still in the session when it is freed goes with it. */
static void test_jit_free_with_live_rules(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule s(lr = 0.1) { return lr * g; }");
    char err[256] = "";
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);
    JitRule *x = jit_compile(j, r, err, sizeof err);
    JitRule *y = jit_compile(j, r, err, sizeof err);
    assert_non_null(x);
    assert_non_null(y);
    assert_ptr_not_equal(jit_fn(x), jit_fn(y));
    float w = 1, g = 2, hp = 0.5f;
    jit_fn(y)(1, &w, &g, NULL, &hp, 0.5f, 1);
    assert_true(w == 0.0f);
    jit_free(j);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jit_sgd_exact),
        cmocka_unit_test(test_jit_lion_hand),
        cmocka_unit_test(test_jit_examples_compile),
        cmocka_unit_test(test_jit_free_with_live_rules),
        cmocka_unit_test(test_jit_memory_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
