/* The MLP's passes. The three large products (layer 1 forward, its weight
 * gradient, the layer-2 products) go to sgemm; everything else is one
 * fused loop per row: bias and ReLU, softmax and cross-entropy and its
 * gradient, bias gradients. No gradient with respect to the input. */
#include "runtime/mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error.h"
#include "runtime/rng.h"

/* 64-byte aligned, zeroed floats: whole cache lines for the vector loops
 * and for the JIT-compiled rule that runs over each tensor. */
static float *alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);

    if (p)
        memset(p, 0, bytes);
    return p;
}

int mlp_init(Mlp *m, int in, int nhidden, const int *hidden, int out, int cap,
             uint64_t seed, char *err, size_t errlen)
{
    Rng r;

    memset(m, 0, sizeof *m);
    if (nhidden < 0 || nhidden > MLP_MAX_HIDDEN) {
        rt_fail(err, errlen, "an MLP has 0..%d hidden layers, not %d",
                MLP_MAX_HIDDEN, nhidden);
        return -1;
    }
    if (in <= 0 || out <= 0 || cap <= 0 || in > 1 << 20 || out > 1 << 20 ||
        cap > 1 << 20) {
        rt_fail(err, errlen, "bad MLP sizes (inputs %d, outputs %d, batch %d)",
                in, out, cap);
        return -1;
    }
    m->nlayers = nhidden + 1;
    m->size[0] = in;
    for (int l = 0; l < nhidden; l++) {
        if (hidden[l] <= 0 || hidden[l] > 1 << 16) {
            rt_fail(err, errlen, "hidden layer size %d must be in 1..%d",
                    hidden[l], 1 << 16);
            return -1;
        }
        m->size[l + 1] = hidden[l];
    }
    m->size[m->nlayers] = out;
    m->cap = cap;
    m->ntensors = 2 * m->nlayers;

    m->input = alloc_floats((size_t)cap * in);
    if (!m->input)
        goto oom;
    for (int l = 0; l < m->nlayers; l++) {
        int fi = m->size[l], fo = m->size[l + 1];
        m->len[2 * l] = (int64_t)fi * fo;
        m->len[2 * l + 1] = fo;
        for (int k = 2 * l; k <= 2 * l + 1; k++) {
            m->param[k] = alloc_floats((size_t)m->len[k]);
            m->grad[k] = alloc_floats((size_t)m->len[k]);
            if (!m->param[k] || !m->grad[k])
                goto oom;
        }
        m->act[l + 1] = alloc_floats((size_t)cap * fo);
        m->delta[l + 1] = alloc_floats((size_t)cap * fo);
        if (!m->act[l + 1] || !m->delta[l + 1])
            goto oom;
    }

    /* He (Kaiming) normal: std sqrt(2 / fan_in), biases zero. */
    rng_seed(&r, seed);
    for (int l = 0; l < m->nlayers; l++) {
        double sd = sqrt(2.0 / m->size[l]);
        float *w = m->param[2 * l];
        for (int64_t k = 0; k < m->len[2 * l]; k++)
            w[k] = (float)(sd * rng_normal(&r));
    }
    openblas_set_num_threads(1);
    return 0;

oom:
    mlp_free(m);
    rt_fail(err, errlen, "out of memory for the MLP");
    return -1;
}

void mlp_free(Mlp *m)
{
    free(m->input);
    for (int k = 0; k < MLP_MAX_TENSORS; k++) {
        free(m->param[k]);
        free(m->grad[k]);
    }
    for (int l = 0; l < MLP_MAX_HIDDEN + 2; l++) {
        free(m->act[l]);
        free(m->delta[l]);
    }
    memset(m, 0, sizeof *m);
}

/* act[l+1] = a * W_l + b_l, then ReLU unless it is the last layer. */
static void layer_forward(Mlp *m, int l, const float *a, int b)
{
    int fi = m->size[l], fo = m->size[l + 1];
    const float *restrict bias = m->param[2 * l + 1];
    float *z = m->act[l + 1];

    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, fo, fi, 1.0f, a,
                fi, m->param[2 * l], fo, 0.0f, z, fo);

    if (l + 1 < m->nlayers) {
        for (int i = 0; i < b; i++) {
            float *restrict row = z + (size_t)i * fo;
            for (int j = 0; j < fo; j++) {
                float v = row[j] + bias[j];
                row[j] = v > 0.0f ? v : 0.0f;
            }
        }
    } else {
        for (int i = 0; i < b; i++) {
            float *restrict row = z + (size_t)i * fo;
            for (int j = 0; j < fo; j++)
                row[j] += bias[j];
        }
    }
}

/* d[k] = 0 where the layer's ReLU output a[k] is 0 (written as a select
 * so that it vectorizes, with no branch to mispredict). */
static void relu_mask(float *restrict d, const float *restrict a, size_t n)
{
    for (size_t k = 0; k < n; k++)
        d[k] = a[k] > 0.0f ? d[k] : 0.0f;
}

/* Softmax cross-entropy of each logit row: returns the summed loss, counts
 * correct argmaxes, and if dz is not NULL writes (softmax - onehot) * scale
 * there (the gradient of the mean loss when scale = 1/b). */
static double softmax_ce(const float *z, const uint8_t *y, int b, int k,
                         float *dz, float scale, long *ncorrect)
{
    double total = 0;
    long correct = 0;

    for (int i = 0; i < b; i++) {
        const float *row = z + (size_t)i * k;
        float mx = row[0], sum = 0.0f;
        int arg = 0;
        for (int j = 1; j < k; j++) {
            if (row[j] > mx) {
                mx = row[j];
                arg = j;
            }
        }
        for (int j = 0; j < k; j++)
            sum += expf(row[j] - mx);
        total += (double)logf(sum) - (double)(row[y[i]] - mx);
        correct += arg == y[i];

        if (dz) {
            float *d = dz + (size_t)i * k;
            float inv = scale / sum;
            for (int j = 0; j < k; j++)
                d[j] = expf(row[j] - mx) * inv;
            d[y[i]] -= scale;
        }
    }
    if (ncorrect)
        *ncorrect += correct;
    return total;
}

double mlp_forward(Mlp *m, const float *x, const uint8_t *y, int b,
                   long *ncorrect)
{
    const float *a = x;
    int L = m->nlayers;

    for (int l = 0; l < L; l++) {
        layer_forward(m, l, a, b);
        a = m->act[l + 1];
    }
    return softmax_ce(m->act[L], y, b, m->size[L], NULL, 0, ncorrect);
}

double mlp_grad(Mlp *m, const float *x, const uint8_t *y, int b)
{
    const float *a = x;
    int L = m->nlayers;
    double loss;

    for (int l = 0; l < L; l++) {
        layer_forward(m, l, a, b);
        a = m->act[l + 1];
    }
    loss = softmax_ce(m->act[L], y, b, m->size[L], m->delta[L], 1.0f / (float)b,
                      NULL);

    for (int l = L - 1; l >= 0; l--) {
        int fi = m->size[l], fo = m->size[l + 1];
        const float *in = l ? m->act[l] : x;
        const float *restrict dz = m->delta[l + 1];
        float *restrict db = m->grad[2 * l + 1];

        /* dW_l = in^T dz, db_l = column sums of dz. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fi, fo, b, 1.0f,
                    in, fi, dz, fo, 0.0f, m->grad[2 * l], fo);
        memcpy(db, dz, (size_t)fo * sizeof *db);
        for (int i = 1; i < b; i++) {
            const float *row = dz + (size_t)i * fo;
            for (int j = 0; j < fo; j++)
                db[j] += row[j];
        }
        if (l == 0)
            break;

        /* Through W_l and the ReLU below it: d = (dz W_l^T) * [act > 0]. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, fi, fo, 1.0f,
                    dz, fo, m->param[2 * l], fo, 0.0f, m->delta[l], fi);
        relu_mask(m->delta[l], m->act[l], (size_t)b * fi);
    }
    return loss / b;
}

void mlp_evaluate(Mlp *m, const float *x, const uint8_t *y, int n, double *loss,
                  double *acc)
{
    double total = 0;
    long correct = 0;

    for (int i = 0; i < n; i += m->cap) {
        int b = n - i < m->cap ? n - i : m->cap;
        total += mlp_forward(m, x + (size_t)i * m->size[0], y + i, b, &correct);
    }
    *loss = n ? total / n : 0;
    *acc = n ? (double)correct / n : 0;
}

int mlp_finite(const Mlp *m)
{
    for (int k = 0; k < m->ntensors; k++) {
        const float *p = m->param[k];
        float acc = 0.0f;
        /* p * 0 is NaN exactly when p is NaN or infinite. */
        for (int64_t i = 0; i < m->len[k]; i++)
            acc += p[i] * 0.0f;
        if (acc != 0.0f)
            return 0;
    }
    return 1;
}
