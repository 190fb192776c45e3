/* Tests of the MLP: forward loss and accuracy against an independent
 * double-precision reference, gradients against central differences of
 * that reference, He initialization, determinism, and bad sizes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/mlp.h"
#include "runtime/rng.h"

/* The reference network: the same parameters in double, a plain loop per
 * layer, log-sum-exp cross-entropy. `p` holds the tensors in the Mlp's
 * order (W0, b0, W1, b1, ...), W_l as inputs by outputs. Returns the mean
 * loss; *margin gets the smallest |pre-activation| of any hidden unit. */
static double ref_loss(const Mlp *m, double *const *p, const float *x,
                       const uint8_t *y, int b, long *correct, double *margin)
{
    double a[64], z[64], total = 0;

    if (margin)
        *margin = INFINITY;
    for (int i = 0; i < b; i++) {
        int k = m->size[0];
        for (int j = 0; j < k; j++)
            a[j] = x[i * k + j];
        for (int l = 0; l < m->nlayers; l++) {
            int fi = m->size[l], fo = m->size[l + 1];
            for (int o = 0; o < fo; o++) {
                z[o] = p[2 * l + 1][o];
                for (int q = 0; q < fi; q++)
                    z[o] += a[q] * p[2 * l][q * fo + o];
            }
            for (int o = 0; o < fo; o++) {
                int last = l + 1 == m->nlayers;
                if (!last && margin && fabs(z[o]) < *margin)
                    *margin = fabs(z[o]);
                a[o] = last || z[o] > 0 ? z[o] : 0;
            }
            k = fo;
        }
        double mx = a[0], s = 0;
        int arg = 0;
        for (int o = 1; o < k; o++)
            if (a[o] > mx)
                mx = a[o], arg = o;
        for (int o = 0; o < k; o++)
            s += exp(a[o] - mx);
        total += log(s) + mx - a[y[i]];
        if (correct)
            *correct += arg == y[i];
    }
    return total / b;
}

static void random_batch(float *x, uint8_t *y, int b, int in, int out,
                         uint64_t seed)
{
    Rng r;

    rng_seed(&r, seed);
    for (int i = 0; i < b * in; i++)
        x[i] = (float)rng_normal(&r);
    for (int i = 0; i < b; i++)
        y[i] = (uint8_t)rng_below(&r, (uint64_t)out);
}

/* Double copies of the Mlp's parameters. */
static double **ref_params(const Mlp *m)
{
    double **p = calloc(MLP_MAX_TENSORS, sizeof *p);

    for (int k = 0; k < m->ntensors; k++) {
        p[k] = malloc((size_t)m->len[k] * sizeof **p);
        for (int64_t i = 0; i < m->len[k]; i++)
            p[k][i] = m->param[k][i];
    }
    return p;
}

static void free_params(const Mlp *m, double **p)
{
    for (int k = 0; k < m->ntensors; k++)
        free(p[k]);
    free(p);
}

/* Biases start at zero; give them values so that their gradients and the
 * forward pass test their use. */
static void random_biases(Mlp *m, uint64_t seed)
{
    Rng r;

    rng_seed(&r, seed);
    for (int l = 0; l < m->nlayers; l++)
        for (int64_t i = 0; i < m->len[2 * l + 1]; i++)
            m->param[2 * l + 1][i] = (float)(0.3 * rng_normal(&r));
}

static void check_gradient(int nhidden, const int *hidden, uint64_t seed)
{
    enum { IN = 7, OUT = 4, B = 5 };
    float x[B * IN];
    uint8_t y[B];
    char err[256];
    double margin;
    Mlp m;

    assert_int_equal(
        mlp_init(&m, IN, nhidden, hidden, OUT, B, seed, err, sizeof err), 0);
    random_biases(&m, seed + 100);
    random_batch(x, y, B, IN, OUT, seed + 200);
    double **p = ref_params(&m);
    double loss = mlp_grad(&m, x, y, B);

    /* Central differences are valid only away from ReLU kinks: with step
     * h = 1e-6 a pre-activation moves by about h * |input| < 1e-5. */
    double ref = ref_loss(&m, p, x, y, B, NULL, &margin);
    assert_true(margin > 1e-4);
    assert_float_equal(loss, ref, 1e-5 * (1 + fabs(ref)));

    /* The reference in double has rounding error near 1e-16 / h = 1e-10
     * and truncation error O(h^2); the float gradient carries relative
     * errors near 1e-6 of the terms it sums. */
    for (int k = 0; k < m.ntensors; k++) {
        for (int64_t i = 0; i < m.len[k]; i++) {
            const double h = 1e-6;
            double keep = p[k][i];
            p[k][i] = keep + h;
            double up = ref_loss(&m, p, x, y, B, NULL, NULL);
            p[k][i] = keep - h;
            double down = ref_loss(&m, p, x, y, B, NULL, NULL);
            p[k][i] = keep;
            double fd = (up - down) / (2 * h);
            double an = m.grad[k][i];
            if (fabs(an - fd) > 1e-5 + 1e-3 * fabs(fd))
                fail_msg("tensor %d element %ld: analytic %.9g, central "
                         "difference %.9g",
                         k, (long)i, an, fd);
        }
    }
    free_params(&m, p);
    mlp_free(&m);
}

static void test_grad_one_hidden(void **state)
{
    int h[] = {6};

    (void)state;
    check_gradient(1, h, 11);
}

static void test_grad_two_hidden(void **state)
{
    int h[] = {6, 5};

    (void)state;
    check_gradient(2, h, 12);
}

static void test_grad_no_hidden(void **state)
{
    (void)state;
    check_gradient(0, NULL, 13);
}

static void test_forward_matches_reference(void **state)
{
    enum { IN = 9, OUT = 5, N = 37 };
    int h[] = {8};
    float x[N * IN];
    uint8_t y[N];
    char err[256];
    long correct = 0, ref_correct = 0;
    double loss, acc;
    Mlp m;

    (void)state;
    /* cap 10 < N: mlp_evaluate must go through the rows in chunks. */
    assert_int_equal(mlp_init(&m, IN, 1, h, OUT, 10, 5, err, sizeof err), 0);
    random_biases(&m, 6);
    random_batch(x, y, N, IN, OUT, 7);
    double **p = ref_params(&m);
    double ref = ref_loss(&m, p, x, y, N, &ref_correct, NULL);

    mlp_evaluate(&m, x, y, N, &loss, &acc);
    assert_float_equal(loss, ref, 1e-5 * (1 + fabs(ref)));
    assert_float_equal(acc, (double)ref_correct / N, 1e-12);

    double sum = mlp_forward(&m, x, y, 10, &correct);
    assert_float_equal(sum / 10, ref_loss(&m, p, x, y, 10, NULL, NULL), 1e-5);
    free_params(&m, p);
    mlp_free(&m);
}

static void test_init_he_normal(void **state)
{
    int h[] = {300};
    char err[256];
    Mlp m;

    (void)state;
    assert_int_equal(mlp_init(&m, 400, 1, h, 10, 4, 1, err, sizeof err), 0);
    assert_int_equal(m.ntensors, 4);
    assert_int_equal(m.len[0], 400 * 300);
    assert_int_equal(m.len[1], 300);
    assert_int_equal(m.len[2], 300 * 10);
    assert_int_equal(m.len[3], 10);

    /* W0: 120,000 draws of N(0, 2/400); the sample variance has relative
     * standard error sqrt(2/120000) = 0.4%, so 3% is far outside noise. */
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < m.len[0]; i++) {
        s += m.param[0][i];
        s2 += (double)m.param[0][i] * m.param[0][i];
    }
    assert_float_equal(s / m.len[0], 0.0, 5 * sqrt(2.0 / 400 / 120000));
    assert_float_equal(s2 / m.len[0] / (2.0 / 400), 1.0, 0.03);
    for (int i = 0; i < 300; i++)
        assert_true(m.param[1][i] == 0.0f);
    mlp_free(&m);
}

static void test_init_deterministic(void **state)
{
    int h[] = {16, 8};
    char err[256];
    Mlp a, b, c;

    (void)state;
    assert_int_equal(mlp_init(&a, 20, 2, h, 3, 4, 42, err, sizeof err), 0);
    assert_int_equal(mlp_init(&b, 20, 2, h, 3, 4, 42, err, sizeof err), 0);
    assert_int_equal(mlp_init(&c, 20, 2, h, 3, 4, 43, err, sizeof err), 0);
    for (int k = 0; k < a.ntensors; k++)
        assert_memory_equal(a.param[k], b.param[k],
                            (size_t)a.len[k] * sizeof(float));
    assert_memory_not_equal(a.param[0], c.param[0],
                            (size_t)a.len[0] * sizeof(float));
    mlp_free(&a);
    mlp_free(&b);
    mlp_free(&c);
}

static void test_finite(void **state)
{
    int h[] = {4};
    char err[256];
    Mlp m;

    (void)state;
    assert_int_equal(mlp_init(&m, 3, 1, h, 2, 2, 1, err, sizeof err), 0);
    assert_true(mlp_finite(&m));
    m.param[3][1] = INFINITY;
    assert_false(mlp_finite(&m));
    m.param[3][1] = 0;
    m.param[0][5] = NAN;
    assert_false(mlp_finite(&m));
    mlp_free(&m);
}

static void test_init_bad_sizes(void **state)
{
    int h[] = {0}, many[MLP_MAX_HIDDEN + 1] = {1, 1, 1, 1, 1};
    char err[256];
    Mlp m;

    (void)state;
    assert_int_equal(mlp_init(&m, 3, 1, h, 2, 2, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "hidden"));
    assert_int_equal(
        mlp_init(&m, 3, MLP_MAX_HIDDEN + 1, many, 2, 2, 1, err, sizeof err),
        -1);
    assert_int_equal(mlp_init(&m, 0, 0, NULL, 2, 2, 1, err, sizeof err), -1);
    assert_int_equal(mlp_init(&m, 3, 0, NULL, 2, 0, 1, err, sizeof err), -1);
    mlp_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_one_hidden),
        cmocka_unit_test(test_grad_two_hidden),
        cmocka_unit_test(test_grad_no_hidden),
        cmocka_unit_test(test_forward_matches_reference),
        cmocka_unit_test(test_init_he_normal),
        cmocka_unit_test(test_init_deterministic),
        cmocka_unit_test(test_finite),
        cmocka_unit_test(test_init_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
