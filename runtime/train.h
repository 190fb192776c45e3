/* The proxy trainer: trains an MLP on a data set with an optimizer rule
 * (a compiled step function) and reports validation (and on request test)
 * metrics. Deterministic for a given seed; divergence is a result, not an
 * error. Prints nothing: progress goes through a callback. */
#ifndef SYMOPT_TRAIN_H
#define SYMOPT_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/rule_abi.h"
#include "runtime/dataset.h"
#include "runtime/mlp.h"

typedef struct Optimizer {
    RuleStepFn step;
    int nstates;
    const float *hp; /* the rule's hyperparameters, header order */
    float base_lr;   /* value of the rule's `lr` (1 if it has none) */
} Optimizer;

typedef enum Schedule {
    SCHED_CONSTANT, /* lr_t = base_lr */
    SCHED_COSINE,   /* lr_t = base_lr * (1 + cos(pi (t-1) / steps)) / 2 */
} Schedule;

/* Called every `progress_every` steps and after the last one. */
typedef void (*TrainProgressFn)(void *ctx, int step, double loss);

typedef struct TrainConfig {
    int steps;
    int batch;
    int nhidden;                /* hidden layers, 0..MLP_MAX_HIDDEN */
    int hidden[MLP_MAX_HIDDEN]; /* their sizes */
    uint64_t seed;              /* init, minibatch order */
    Schedule schedule;
    int val_n;         /* validation examples scored (first val_n); 0 = all */
    bool eval_test;    /* also score the test split */
    double loss_bound; /* a minibatch loss above this means divergence */
    int progress_every;
    TrainProgressFn progress;
    void *progress_ctx;
} TrainConfig;

typedef struct TrainResult {
    double val_acc, val_loss;
    double test_acc, test_loss; /* 0 unless eval_test */
    bool diverged; /* NaN/Inf or huge loss, or non-finite weights; the
                      accuracies are then 0 and the losses infinite */
    int steps_done;
    double seconds; /* training and evaluation, not data loading */
} TrainResult;

/* The `symopt train` defaults: 784-256-10, batch 128, 1000 steps, cosine
 * schedule, seed 0, validation on all held-out images. Cosine is the
 * default because it trains best: over 2000 steps it lifts AdamW's
 * validation accuracy from 0.886 (constant) to 0.893, and leaves Lion at
 * its example lr of 1e-4 level (0.882 against 0.884, within seed noise). */
TrainConfig train_default_config(void);

/* The cheap proxy task the search scores candidates with: 784-64-10, 300
 * steps of batch 128, cosine schedule, validation on all held-out images.
 */
TrainConfig train_proxy_config(void);

/* The schedule's factor at 1-based step t of a run of `steps`. */
double train_schedule(Schedule s, int64_t t, int64_t steps);

/* Parses "constant" or "cosine"; -1 if neither. */
int train_schedule_parse(const char *name, Schedule *out);
const char *train_schedule_name(Schedule s);

/* Trains a fresh MLP on ds->train with `opt` and scores it. Returns 0 with
 * *res filled (also when the run diverged), or -1 with a message in err
 * for a bad configuration or when out of memory. */
int train_run(const Dataset *ds, const Optimizer *opt, const TrainConfig *cfg,
              TrainResult *res, char *err, size_t errlen);

#endif
