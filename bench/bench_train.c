/* Trainer steps per second on a 784-256-10 MLP, batch 128, one thread,
 * Fashion-MNIST, AdamW JIT-compiled from examples/adamw.opt, against the
 * same model and optimizer in PyTorch (bench/torch_mlp.py) run in the same
 * invocation. Usage: bench_train [--data DIR] [--steps N] [--warmup N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "compiler/jit.h"
#include "runtime/dataset.h"
#include "runtime/train.h"

#ifndef SYMOPT_SOURCE_DIR
#define SYMOPT_SOURCE_DIR "."
#endif

#define PYTHON "/usr/bin/python3"

/* Timestamps of the progress callback at the end of the warm-up and at the
 * last step, so that set-up and evaluation are not counted. */
typedef struct Clock {
    int warmup, last;
    double t_warm, t_last;
} Clock;

static void on_progress(void *ctx, int step, double loss)
{
    Clock *c = ctx;
    (void)loss;
    if (step == c->warmup)
        c->t_warm = bench_now();
    if (step == c->last)
        c->t_last = bench_now();
}

/* Steps per second of our trainer over `steps` after `warmup`; -1 on an
 * error. */
static double ours(const Dataset *ds, const Optimizer *opt, int warmup,
                   int steps)
{
    TrainConfig cfg = train_default_config();
    Clock clk = {warmup, warmup + steps, 0, 0};
    TrainResult res;
    char err[512];

    cfg.steps = warmup + steps;
    cfg.batch = 128;
    cfg.nhidden = 1;
    cfg.hidden[0] = 256;
    cfg.schedule = SCHED_CONSTANT;
    cfg.val_n = 128; /* scoring is not what is measured */
    cfg.eval_test = false;
    cfg.progress_every = warmup;
    cfg.progress = on_progress;
    cfg.progress_ctx = &clk;
    if (train_run(ds, opt, &cfg, &res, err, sizeof err) < 0) {
        fprintf(stderr, "bench_train: %s\n", err);
        return -1;
    }
    if (res.diverged || res.steps_done != cfg.steps) {
        fprintf(stderr, "bench_train: the run diverged\n");
        return -1;
    }
    return steps / (clk.t_last - clk.t_warm);
}

/* Runs the PyTorch peer; its steps/s, 0 if torch is unavailable, -1 on
 * another failure. */
static double peer(const char *data, int warmup, int steps)
{
    char cmd[2048], line[512];
    double rate = -1;

    if (access(PYTHON, X_OK) != 0)
        return 0;
    snprintf(cmd, sizeof cmd,
             PYTHON " '%s/bench/torch_mlp.py' --data '%s' --hidden 256 "
                    "--batch 128 --steps %d --warmup %d",
             SYMOPT_SOURCE_DIR, data, steps, warmup);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p))
        if (strncmp(line, "steps/s: ", 9) == 0)
            rate = atof(line + 9);
    int status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return 0;
    if (status != 0)
        return -1;
    return rate;
}

int main(int argc, char **argv)
{
    const char *data = DATASET_DEFAULT_DIR;
    int warmup = 20, steps = 300;
    char err[512], path[1024];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_train [--data DIR] [--steps N] "
                            "[--warmup N]\n");
            return 2;
        }
    }
    if (steps < 1 || warmup < 1) {
        fprintf(stderr, "bench_train: --steps and --warmup must be >= 1\n");
        return 2;
    }

    Dataset ds;
    if (dataset_load(&ds, data, 5000, err, sizeof err) < 0) {
        fprintf(stderr, "bench_train: %s\n", err);
        return 1;
    }
    BenchRule br;
    snprintf(path, sizeof path, "%s/examples/adamw.opt", SYMOPT_SOURCE_DIR);
    if (bench_load_rule(&br, path) < 0)
        return 1;
    float hp[16];
    if (bench_default_hp(br.rule, hp, 16) < 0)
        return 1;
    Jit *jit = jit_new(err, sizeof err);
    JitRule *jr = jit ? jit_compile(jit, br.rule, err, sizeof err) : NULL;
    if (!jr) {
        fprintf(stderr, "bench_train: %s\n", err);
        return 1;
    }
    Optimizer opt = {jit_fn(jr), br.rule->nstates, hp, hp[br.rule->lr_param]};

    /* Ours: the median of three runs, one before the peer and two after,
     * so that a change in the machine's load hits both; the peer: the
     * median of three timed windows in one process (it starts slowly). */
    double r[3], theirs = 0;
    for (int k = 0; k < 3; k++) {
        if ((r[k] = ours(&ds, &opt, warmup, steps)) < 0)
            return 1;
        if (k == 0)
            theirs = peer(data, warmup, steps);
    }
    double mine = bench_median(r, 3);

    printf("784-256-10 MLP, batch 128, AdamW, one thread, %d steps timed "
           "after %d\n",
           steps, warmup);
    printf("%-22s %10.1f steps/s\n", "symopt (JIT AdamW)", mine);
    if (theirs > 0) {
        printf("%-22s %10.1f steps/s\n", "PyTorch 1 thread", theirs);
        printf("%-22s %10.2f (target >= 1.2)\n", "ratio symopt/PyTorch",
               mine / theirs);
    } else if (theirs == 0) {
        printf("PyTorch: not measured (" PYTHON " with torch is missing)\n");
    } else {
        printf("PyTorch: the peer failed (see its messages above)\n");
    }

    jit_release(jit, jr);
    jit_free(jit);
    bench_free_rule(&br);
    dataset_free(&ds);
    return 0;
}
