/* The training loop: seeded per-epoch shuffles, minibatch gather, forward
 * and backward, one rule call per parameter tensor, divergence checks and
 * the final scoring. */
#include "runtime/train.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/error.h"
#include "runtime/rng.h"

/* Rows per forward pass when scoring: large enough for sgemm to run at
 * full speed, small enough to keep the work buffers in cache. */
#define EVAL_ROWS 1000

TrainConfig train_default_config(void)
{
    TrainConfig c = {0};

    c.steps = 1000;
    c.batch = 128;
    c.nhidden = 1;
    c.hidden[0] = 256;
    c.seed = 0;
    c.schedule = SCHED_COSINE;
    c.val_n = 0;
    c.eval_test = false;
    c.loss_bound = 1e4;
    c.progress_every = 50;
    return c;
}

TrainConfig train_proxy_config(void)
{
    TrainConfig c = train_default_config();

    c.steps = 300;
    c.hidden[0] = 64;
    c.progress = NULL;
    return c;
}

double train_schedule(Schedule s, int64_t t, int64_t steps)
{
    switch (s) {
    case SCHED_CONSTANT:
        return 1.0;
    case SCHED_COSINE:
        if (steps <= 0)
            return 1.0;
        return 0.5 * (1.0 + cos(M_PI * (double)(t - 1) / (double)steps));
    }
    return 1.0;
}

int train_schedule_parse(const char *name, Schedule *out)
{
    if (!strcmp(name, "constant"))
        *out = SCHED_CONSTANT;
    else if (!strcmp(name, "cosine"))
        *out = SCHED_COSINE;
    else
        return -1;
    return 0;
}

const char *train_schedule_name(Schedule s)
{
    return s == SCHED_CONSTANT ? "constant" : "cosine";
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_config(const Dataset *ds, const Optimizer *opt,
                        const TrainConfig *c, char *err, size_t errlen)
{
    if (!opt->step || opt->nstates < 0 || opt->nstates > 1024) {
        rt_fail(err, errlen, "optimizer has no step function or bad states");
        return -1;
    }
    if (c->steps < 0 || c->batch <= 0 || c->batch > 1 << 16) {
        rt_fail(err, errlen, "steps must be >= 0 and batch in 1..%d", 1 << 16);
        return -1;
    }
    if (ds->train.n <= 0 || ds->dim <= 0 || ds->nclass < 2) {
        rt_fail(err, errlen, "the training split is empty");
        return -1;
    }
    if (c->val_n < 0 || c->val_n > ds->val.n) {
        rt_fail(err, errlen, "validation size %d exceeds the %d held out",
                c->val_n, ds->val.n);
        return -1;
    }
    return 0;
}

/* Fisher-Yates shuffle driven by the run's Rng. */
static void shuffle(int *idx, int n, Rng *r)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Per-tensor state storage: nstates zeroed tensors of each tensor's
 * length, and the pointer array the rule receives. */
typedef struct States {
    float **ptrs; /* ntensors * nstates */
} States;

static int states_alloc(States *s, const Mlp *m, int nstates)
{
    int count = m->ntensors * nstates;

    s->ptrs = calloc((size_t)(count ? count : 1), sizeof *s->ptrs);
    if (!s->ptrs)
        return -1;
    for (int k = 0; k < m->ntensors; k++) {
        for (int j = 0; j < nstates; j++) {
            size_t bytes = ((size_t)m->len[k] * sizeof(float) + 63) & ~63ul;
            float *p = aligned_alloc(64, bytes);
            if (!p)
                return -1;
            memset(p, 0, bytes);
            s->ptrs[k * nstates + j] = p;
        }
    }
    return 0;
}

static void states_free(States *s, const Mlp *m, int nstates)
{
    if (!s->ptrs)
        return;
    for (int k = 0; k < m->ntensors * nstates; k++)
        free(s->ptrs[k]);
    free(s->ptrs);
}

static void gather(Mlp *m, uint8_t *yb, const Split *s, const int *idx, int b,
                   int dim)
{
    size_t row = (size_t)dim * sizeof(float);

    for (int i = 0; i < b; i++) {
        memcpy(m->input + (size_t)i * dim, s->x + (size_t)idx[i] * dim, row);
        yb[i] = s->y[idx[i]];
    }
}

/* The step loop; returns false if the run diverged. */
static bool train_loop(Mlp *m, const Dataset *ds, const Optimizer *opt,
                       const TrainConfig *c, const States *st, int *idx,
                       uint8_t *yb, Rng *r, int *steps_done)
{
    int n = ds->train.n, pos = n, b = c->batch;
    double bound = c->loss_bound > 0 ? c->loss_bound : 1e4;

    for (int t = 1; t <= c->steps; t++) {
        float lr;
        double loss;

        /* A new permutation per epoch; a batch never spans two. */
        if (pos + b > n) {
            shuffle(idx, n, r);
            pos = 0;
        }
        gather(m, yb, &ds->train, idx + pos, b < n ? b : n, ds->dim);
        pos += b;

        loss = mlp_grad(m, m->input, yb, b < n ? b : n);
        if (!(loss <= bound)) {
            *steps_done = t;
            return false;
        }

        lr = (float)(opt->base_lr * train_schedule(c->schedule, t, c->steps));
        for (int k = 0; k < m->ntensors; k++)
            opt->step(m->len[k], m->param[k], m->grad[k],
                      st->ptrs + (size_t)k * opt->nstates, opt->hp, lr, t);

        *steps_done = t;
        if (c->progress &&
            ((c->progress_every > 0 && t % c->progress_every == 0) ||
             t == c->steps))
            c->progress(c->progress_ctx, t, loss);
    }
    return true;
}

static void score(Mlp *m, const Split *s, int n, double *loss, double *acc,
                  bool *diverged)
{
    mlp_evaluate(m, s->x, s->y, n, loss, acc);
    if (!isfinite(*loss))
        *diverged = true;
}

int train_run(const Dataset *ds, const Optimizer *opt, const TrainConfig *c,
              TrainResult *res, char *err, size_t errlen)
{
    int cap = c->batch > EVAL_ROWS ? c->batch : EVAL_ROWS;
    double t0 = now();
    States st = {0};
    int *idx = NULL;
    uint8_t *yb = NULL;
    Mlp m;
    Rng r;
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (check_config(ds, opt, c, err, errlen) < 0)
        return -1;
    if (mlp_init(&m, ds->dim, c->nhidden, c->hidden, ds->nclass, cap, c->seed,
                 err, errlen) < 0)
        return -1;
    idx = malloc((size_t)ds->train.n * sizeof *idx);
    yb = malloc((size_t)c->batch);
    if (!idx || !yb || states_alloc(&st, &m, opt->nstates) < 0) {
        rt_fail(err, errlen, "out of memory for training");
        goto done;
    }
    for (int i = 0; i < ds->train.n; i++)
        idx[i] = i;

    /* The minibatch stream gets its own seed, apart from the init's. */
    rng_seed(&r, c->seed ^ 0x5eed0fba7c4e5ull);
    res->diverged =
        !train_loop(&m, ds, opt, c, &st, idx, yb, &r, &res->steps_done);
    if (!res->diverged && !mlp_finite(&m))
        res->diverged = true;
    if (!res->diverged) {
        int nv = c->val_n ? c->val_n : ds->val.n;
        score(&m, &ds->val, nv, &res->val_loss, &res->val_acc, &res->diverged);
        if (c->eval_test)
            score(&m, &ds->test, ds->test.n, &res->test_loss, &res->test_acc,
                  &res->diverged);
    }
    if (res->diverged) {
        res->val_acc = res->test_acc = 0;
        res->val_loss = INFINITY;
        res->test_loss = c->eval_test ? INFINITY : 0;
    }
    res->seconds = now() - t0;
    rc = 0;

done:
    states_free(&st, &m, opt->nstates);
    free(idx);
    free(yb);
    mlp_free(&m);
    return rc;
}
