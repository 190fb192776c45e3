/* Interpreter tests: rules over several steps against values computed by
 * hand from their formulas (momentum, Lion as PAPER.md states it, Adam
 * with bias correction), sign(0), and the state semantics: a read before
 * the assignment sees the previous step, a read after sees the new value. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/interp.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "tests/support.h"

static void test_interp_momentum(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule m(lr = 0.5, mu = 0.9) {\n state buf;\n"
                          " buf = mu * buf + g;\n return lr * buf;\n}\n");
    float w[2] = {1.0f, -2.0f}, g[2] = {0.25f, 1.0f}, buf[2] = {0, 0};
    float *states[1] = {buf};
    float hp[2] = {0.5f, 0.9f};
    /* buf after t steps with constant g: g (1 + mu + ... + mu^(t-1)). */
    for (int step = 1; step <= 3; step++)
        interp_step(r, 2, w, g, states, hp, 0.5f, step);
    float s1 = 1.0f, s2 = 0.9f * s1 + 1.0f, s3 = 0.9f * s2 + 1.0f;
    assert_float_equal(buf[0], 0.25f * s3, 1e-6);
    assert_float_equal(buf[1], s3, 1e-6);
    assert_float_equal(w[0], 1.0f - 0.5f * 0.25f * (s1 + s2 + s3), 1e-6);
    assert_float_equal(w[1], -2.0f - 0.5f * (s1 + s2 + s3), 1e-6);
    assert_float_equal(s3, 2.71f, 1e-6);
    arena_free(&a);
}

/* Lion from PAPER.md: c = b1 m + (1 - b1) g with the old m; w -= lr
 * (sign(c) + wd w); m = b2 m + (1 - b2) g. */
static void test_interp_lion(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Source src;
    assert_int_equal(
        source_read_file(&src, SYMOPT_SOURCE_DIR "/examples/lion.opt"), 0);
    Rule *r = tu_rule(&a, src.text);
    source_free(&src);

    enum { N = 4 };
    float w[N] = {1, -2, 0.5f, 0}, g0[N] = {0.5f, -0.5f, 0, 2};
    float m[N] = {0}, *states[1] = {m};
    double ww[N], mm[N] = {0};
    for (int i = 0; i < N; i++)
        ww[i] = w[i];
    float hp[4] = {1e-4f, 0.9f, 0.99f, 0.1f};
    double lr = 0.01, b1 = 0.9, b2 = 0.99, wd = 0.1;

    for (int step = 1; step <= 5; step++) {
        float g[N];
        for (int i = 0; i < N; i++)
            g[i] = g0[i] * (float)(step % 2 ? 1 : -3);
        interp_step(r, N, w, g, states, hp, 0.01f, step);
        for (int i = 0; i < N; i++) {
            double c = b1 * mm[i] + (1 - b1) * g[i];
            double s = c > 0 ? 1 : c < 0 ? -1 : 0;
            ww[i] -= lr * (s + wd * ww[i]);
            mm[i] = b2 * mm[i] + (1 - b2) * g[i];
        }
        for (int i = 0; i < N; i++) {
            assert_float_equal(w[i], ww[i], 1e-5);
            assert_float_equal(m[i], mm[i], 1e-5);
        }
    }
    /* g = 0 at element 2 every step: sign(0) = 0, so only decay moves
     * it: 0.5 (1 - lr wd)^5. */
    assert_float_equal(w[2], 0.5 * pow(1 - 0.001, 5), 1e-6);
    arena_free(&a);
}

static void test_interp_adam_bias_correction(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Source src;
    assert_int_equal(
        source_read_file(&src, SYMOPT_SOURCE_DIR "/examples/adam.opt"), 0);
    Rule *r = tu_rule(&a, src.text);
    source_free(&src);
    float w = 1, g = 0.5f, m = 0, v = 0, *states[2] = {&m, &v};
    float hp[4] = {1e-3f, 0.9f, 0.999f, 1e-8f};
    /* Constant g: bias-corrected m and v are g and g^2 at every step, so
     * each update is lr g / (|g| + eps) = lr (to 1e-8 relative). */
    for (int step = 1; step <= 3; step++)
        interp_step(r, 1, &w, &g, states, hp, 1e-3f, step);
    assert_float_equal(w, 1 - 3e-3, 1e-6);
    assert_float_equal(m, 0.5 * (1 - pow(0.9, 3)), 1e-7);
    assert_float_equal(v, 0.25 * (1 - pow(0.999, 3)), 1e-8);
    arena_free(&a);
}

static void test_interp_state_semantics(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    /* old = m of the previous step; m is assigned twice, the last value
     * is stored; new reads it after the assignment. */
    Rule *r = tu_rule(&a, "rule s() {\n state m;\n old = m;\n m = g;\n"
                          " m = m + 10;\n new = m;\n"
                          " return old * 1000 + new;\n}\n");
    float sv[1] = {0};
    float u = interp_element(r, 0, 1, sv, NULL, 0, 1);
    assert_true(u == 0 * 1000 + 11);
    assert_true(sv[0] == 11);
    u = interp_element(r, 0, 2, sv, NULL, 0, 2);
    assert_true(u == 11 * 1000 + 12);
    assert_true(sv[0] == 12);
    arena_free(&a);
}

static void test_interp_functions(void **state)
{
    (void)state;
    float z[2] = {0.0f, 0}, nz[1] = {-0.0f}, nan1[1] = {NAN};
    assert_true(interp_apply(FN_SIGN, z) == 0 &&
                !signbit(interp_apply(FN_SIGN, z)));
    assert_true(signbit(interp_apply(FN_SIGN, nz)));
    assert_true(isnan(interp_apply(FN_SIGN, nan1)));
    float x[3] = {2, 10, 0.25f};
    assert_true(interp_apply(FN_INTERP, x) == 0.75f * 2 + 0.25f * 10);
    float c[2] = {-5, 2}, c2[2] = {1.5f, 2};
    assert_true(interp_apply(FN_CLIP, c) == -2);
    assert_true(interp_apply(FN_CLIP, c2) == 1.5f);
    float p[2] = {2, 10};
    assert_true(interp_apply(FN_POW, p) == 1024);
    assert_true(interp_apply(FN_RSQRT, (float[]){4}) == 0.5f);
    assert_true(interp_apply(FN_CUBE, (float[]){-3}) == -27);
    assert_true(interp_apply(FN_RECIPROCAL, (float[]){8}) == 0.125f);
    assert_true(interp_apply(FN_MAX, (float[]){NAN, 3}) == 3);
    assert_true(isnan(interp_apply(FN_LOG, (float[]){-1})));

    /* Constants are (float)num, step is (float)step. */
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule k(lr = 1, b = 0.1) {\n"
                          " return 0.1 * step + lr * b + w * g;\n}\n");
    float hp[2] = {7, 0.1f};
    float u = interp_element(r, 3, -2, NULL, hp, 0.5f, 4);
    float want = 0.1f * 4.0f;
    want = want + 0.5f * 0.1f;
    want = want + 3.0f * -2.0f;
    assert_true(u == want);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_momentum),
        cmocka_unit_test(test_interp_lion),
        cmocka_unit_test(test_interp_adam_bias_correction),
        cmocka_unit_test(test_interp_state_semantics),
        cmocka_unit_test(test_interp_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
